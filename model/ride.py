"""The riding outlets' state and its pure kernels (docs/ODD.md 7.20; the step that uses them
is :mod:`model.step.ride`, whose docstring describes the mechanism).
"""

from __future__ import annotations

import numpy as np

from model.content import USER
from model.jit import njit


class Ride:
    """The riding outlets' state (kept across steps and in snapshots).

    Attributes:
        start: The first step each outlet rode a topic (-1: never).
        followers0: Each outlet's followers at its ``start`` (for ``follower_gain``).
        rode: Whether outlet k has ridden topic j, (n_outlets, n_topics).
        engaged: The creator item outlet k last engaged on topic j (-1: none).
        invite: The user whose next post outlet k co-publishes (-1: none pending).
        items: Items each outlet published on ridden topics (cumulative).
        engagements: Creator items each outlet replied to and forwarded (cumulative).
        co_published: Creators' posts each outlet co-published (cumulative).
        hours: Staff-hours each outlet spent on engagements and co-published posts.
    """

    def __init__(self, n_outlets: int, n_topics: int) -> None:
        self.start = np.full(n_outlets, -1, dtype=np.int64)
        self.followers0 = np.zeros(n_outlets, dtype=np.int64)
        self.rode = np.zeros((n_outlets, n_topics), dtype=np.bool_)
        self.engaged = np.full((n_outlets, n_topics), -1, dtype=np.int64)
        self.invite = np.full(n_outlets, -1, dtype=np.int64)
        self.items = np.zeros(n_outlets, dtype=np.int64)
        self.engagements = np.zeros(n_outlets, dtype=np.int64)
        self.co_published = np.zeros(n_outlets, dtype=np.int64)
        self.hours = np.zeros(n_outlets, dtype=np.float64)


def ridden_topics(listed: np.ndarray, since: np.ndarray, on, delay, t: int) -> np.ndarray:
    """(n_outlets, len(listed)): whether outlet k rides the listed topic j at step ``t``:
    it rides and the topic entered the list at least ``delay_k`` steps before t."""
    age = int(t) - since[listed].astype(np.int64)
    return on[:, None] & (age[None, :] >= delay[:, None])


@njit
def creator_items(topic, created, source_kind, likes, comments, forwards, since, n_topics):
    """Per topic, its user post created at or after ``since`` with most likes + comments +
    forwards (at least one; earlier posts win ties), or -1."""
    n = created.shape[0]
    lo, hi = 0, n
    while lo < hi:  # the first item created at or after ``since`` (``created`` is sorted)
        mid = (lo + hi) // 2
        if created[mid] < since:
            lo = mid + 1
        else:
            hi = mid
    best = np.full(n_topics, -1, np.int64)
    score = np.zeros(n_topics, np.int64)
    for it in range(lo, n):
        if source_kind[it] != USER:
            continue
        e = likes[it] + comments[it] + forwards[it]
        k = topic[it]
        if e > score[k]:
            score[k] = e
            best[k] = it
    return best
