"""Topics, the platform's trending list of topics and the per-topic tallies (docs/ODD.md 7.18).

Every item belongs to one of ``n_topics`` topics. A new outlet item or user post draws its
topic from a Zipf law, P(k) proportional to (k + 1)^-s (``topic_zipf``); a follow-up or a
community member's post keeps its parent's topic (:meth:`model.content.ContentStore.add`); a
derivative post takes a topic on the trending list (:func:`derivative_topics`).

The trending list ranks topics by recent engagement: the score of topic k at step t is

    E_k(t) = sum over items i of topic k created in [t - W, t] of
             w_v views_i + w_c comments_i + w_f forwards_i

(W ``trending_window``; the weights ``trending_w_*``), and the list holds the
``trending_size`` topics of highest positive score, ties to the lower topic index. It is
updated at the end of every step (:meth:`Topics.update`), so the next step's trending channel
and derivative posts read it. :attr:`Topics.since` keeps when each listed topic entered the list
(its current spell), for mechanisms that join a topic some steps after it starts trending.

Nothing here runs at the defaults (one topic, ``trending_by = "items"``, no derivative posts):
:func:`topics_on` is False, no draw is made and no tally is kept. It reads the parameters at
each step, so a branch (``OpinionEcology.branch``) may switch derivative posts or the channel
by topics on after a burn-in; the number of topics and their law are fixed at build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.content import first_since
from model.jit import njit

if TYPE_CHECKING:
    from model.params import Params

#: Number of cohorts (rows of the per-topic tallies).
_COHORTS = 4


def topics_on(params: Params) -> bool:
    """Whether any topic mechanism is on: more than one topic, the trending channel by topics,
    or derivative posts. When False nothing of this module is drawn, updated or tallied."""
    return params.n_topics > 1 or params.trending_by == "topics" or params.derivative_share > 0


def zipf_cdf(n_topics: int, s: float) -> np.ndarray:
    """Cumulative Zipf probabilities of topics 0..n-1: P(k) = (k + 1)^-s / sum_j (j + 1)^-s."""
    w = np.arange(1, n_topics + 1, dtype=np.float64) ** -float(s)
    cdf = np.cumsum(w)
    return cdf / cdf[-1]


def draw_topics(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Topics by inversion of the uniforms ``u`` on ``cdf``: the number of entries at or below u."""
    k = np.searchsorted(cdf, u, side="right")
    return np.minimum(k, len(cdf) - 1).astype(np.int32)


@njit
def topic_scores(topic, created, views, comments, forwards, since, n_topics, wv, wc, wf):
    """E_k: the weighted views, comments and forwards of each topic's items created at or after
    ``since`` (``created`` is sorted, so only the window's items are read)."""
    score = np.zeros(n_topics)
    for it in range(first_since(created, since), created.shape[0]):
        score[topic[it]] += wv * views[it] + wc * comments[it] + wf * forwards[it]
    return score


def rank_topics(score: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` topics of highest positive score, best first, ties to the lower index."""
    pos = np.flatnonzero(score > 0)
    # lexsort's last key is the primary one: score descending, then topic ascending
    order = np.lexsort((pos, -score[pos]))
    return pos[order[:size]].astype(np.int64)


@njit
def best_items(topic, created, likes, comments, forwards, since, n_topics):
    """Per topic, its item created at or after ``since`` with most likes + comments + forwards
    (at least one; earlier items win ties), or -1: what a derivative post derives from."""
    best = np.full(n_topics, -1, np.int64)
    score = np.zeros(n_topics, np.int64)
    for it in range(first_since(created, since), created.shape[0]):
        e = likes[it] + comments[it] + forwards[it]
        k = topic[it]
        if e > score[k]:
            score[k] = e
            best[k] = it
    return best


@njit
def tally(by, gen, users, topic, items):
    """Add one to ``by[cohort of user, topic of item]`` per (user, item) pair."""
    for j in range(users.shape[0]):
        by[gen[users[j]], topic[items[j]]] += 1


class Topics:
    """The topics' state: the trending list, when each listed topic entered it, which topics
    ever trended, and views and comments per (cohort, topic).

    Attributes:
        n: Number of topics.
        cdf: Cumulative Zipf probabilities of a new item's topic.
        listed: The trending list, best first (topic indices).
        rank: Each topic's position on the list (0 = top), -1 when not listed.
        since: The step each listed topic entered the list (its current spell), -1 when not
            listed: ``topic_trending_since``.
        ever: Whether each topic has been on the list at some step.
        views_by: Views of each topic's items by the viewer's cohort, (4, n); cumulative.
        comments_by: Comments on each topic's items by the commenter's cohort, (4, n).
        updated: The last step the list was updated (-1: never).
    """

    def __init__(self, params: Params) -> None:
        n = int(params.n_topics)
        self.n = n
        self.cdf = zipf_cdf(n, params.topic_zipf)
        self.listed = np.zeros(0, dtype=np.int64)
        self.rank = np.full(n, -1, dtype=np.int32)
        self.since = np.full(n, -1, dtype=np.int32)
        self.ever = np.zeros(n, dtype=np.bool_)
        self.views_by = np.zeros((_COHORTS, n), dtype=np.int64)
        self.comments_by = np.zeros((_COHORTS, n), dtype=np.int64)
        self.updated = -1

    def set_list(self, listed: np.ndarray, t: int) -> None:
        """Make ``listed`` (best first) the trending list at step ``t``: topics new to it enter
        at ``t``; topics that left it lose their entry step."""
        listed = np.asarray(listed, dtype=np.int64)
        was = self.rank >= 0
        self.rank[:] = -1
        self.rank[listed] = np.arange(len(listed), dtype=np.int32)
        now = self.rank >= 0
        self.since[now & ~was] = t
        self.since[~now] = -1
        self.ever |= now
        self.listed = listed
        self.updated = int(t)

    def update(self, content, params: Params, t: int) -> None:
        """Rank the topics by their engagement over the window ending at ``t`` and keep the top
        ``trending_size`` as the list (docs/ODD.md 7.18)."""
        c = content
        score = topic_scores(
            c.topic, c.created, c.views, c.comments, c.forwards,
            int(t) - int(params.trending_window), self.n, float(params.trending_w_views),
            float(params.trending_w_comments), float(params.trending_w_forwards),
        )  # fmt: skip
        self.set_list(rank_topics(score, int(params.trending_size)), t)

    def trending_since(self, topics: np.ndarray | int) -> np.ndarray:
        """The step each of ``topics`` entered the trending list (current spell), -1 if off."""
        return self.since[np.asarray(topics, dtype=np.int64)]

    def nbytes(self) -> int:
        """Bytes held by the per-topic arrays."""
        return sum(
            a.nbytes
            for a in (self.cdf, self.listed, self.rank, self.since, self.ever)
            + (self.views_by, self.comments_by)
        )
