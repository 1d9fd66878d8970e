"""Measures of the calibration targets: each the model's side of a published figure.

docs/ODD.md section 7.13 defines each one and docs/evidence.md ("Calibration targets") gives
the figure, its population and source. They are reported on request (catalogue ``when="query"``),
so the step snapshot and the experiments' columns stay as they were; the calibration
(``experiments.targets``) reads them at the end of a run.

* weekly_commenters: share of users who commented on a news (outlet) item in the last week
  (Newman, Levy & Nielsen 2015: 8-19% of online news users comment in a typical week);
* top10_contribution_share: share of all contributions (original posts, forwards, comments)
  made by the most active 10% of users (Pew Research Center 2019: 80% of tweets, retweets
  included, by the top 10% of U.S. adult Twitter users);
* incivility_share, focal_incivility_share: uncivil share of user comments on outlet items,
  or on the focal outlet's items (Coe, Kenski & Rains 2014; Stroud et al. 2015's effect);
* unfollow_rate, ties_broken_51d: the daily unfollow hazard of the focal outlet's initial
  followers implied by their retention, and the share of them the same hazard breaks in 51
  days (Kwak, Chun & Moon 2011);
* weekly_reach: share of users who viewed a focal item in the last week;
* engagement_per_impression: likes, comments and forwards of focal items per delivery of a
  focal item to a screen (an impression, whether or not the user attended to it);
* never_forwarded_share: share of outlet items nobody forwarded (Goel et al.);
* commenter_return: share of users who commented on a focal item and did so again in a
  later step (Joyce & Kraut 2006's newcomers who post again).

Comment counts per user are recorded by :func:`record_comments`, called once per step by the
react phase (one additive hook); the rest read arrays the model keeps already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.constants import DAY
from model.content import OUTLET, USER
from model.jit import njit
from model.measures._cohort import By, by_gen, check_by
from model.measures._world import World

#: One week of hourly steps: the window of the weekly measures.
WEEK = 7 * DAY
#: Kwak, Chun & Moon's observation window, in days.
KWAK_DAYS = 51
#: The share of most active users whose contributions top10_contribution_share counts.
TOP_SHARE = 0.1
#: ``last`` of a user who never commented.
NEVER = -(10**6)
#: The model attribute holding the comment log (created by the first :func:`record_comments`).
ATTRIBUTE = "comment_log"


@dataclass
class CommentLog:
    """Per user: comments on outlet (news) items, the last step of one, and the first and last
    steps of a comment on a focal item (4 x 4 bytes per user).

    Attributes:
        news: Comments on outlet items, cumulative.
        last_news: Step of the latest comment on an outlet item (:data:`NEVER` if none).
        first_focal: Step of the first comment on a focal item (:data:`NEVER` if none).
        last_focal: Step of the latest comment on a focal item (:data:`NEVER` if none).
    """

    news: np.ndarray
    last_news: np.ndarray
    first_focal: np.ndarray
    last_focal: np.ndarray

    @classmethod
    def empty(cls, n_users: int) -> CommentLog:
        """A log of ``n_users`` users with no comment."""
        return cls(
            np.zeros(n_users, np.int32),
            np.full(n_users, NEVER, np.int32),
            np.full(n_users, NEVER, np.int32),
            np.full(n_users, NEVER, np.int32),
        )


def comment_log(model: World) -> CommentLog:
    """The model's comment log (an empty one before the first step)."""
    log = getattr(model, ATTRIBUTE, None)
    if log is None:
        log = CommentLog.empty(model.n_users)
        setattr(model, ATTRIBUTE, log)
    return log


def record_comments(
    model: World, t: int, users: np.ndarray, outlet: np.ndarray, focal: np.ndarray
) -> None:
    """Add step ``t``'s comments to the log: ``users`` commented, on an outlet's item where
    ``outlet``, on the focal outlet's where ``focal`` (one entry per comment)."""
    log = comment_log(model)
    if len(users):
        _record(log.news, log.last_news, log.first_focal, log.last_focal, t, users, outlet, focal)


@njit
def _record(news, last_news, first_focal, last_focal, t, users, outlet, focal):
    """:func:`record_comments` in one pass over the comments, in place."""
    for j in range(users.shape[0]):
        i = users[j]
        if outlet[j]:
            news[i] += 1
            last_news[i] = t
        if focal[j]:
            if first_focal[i] == NEVER:
                first_focal[i] = t
            last_focal[i] = t


# ------------------------------------------------------------------------------------ measures
def weekly_commenters(model: World, by: By = None):
    """Share of users who commented on an outlet's item in the last week (:data:`WEEK` steps;
    the whole run if it is shorter)."""
    return by_gen(model, comment_log(model).last_news > model.steps - WEEK, by)


def contributions(model: World) -> np.ndarray:
    """Per user: original posts, forwards (every logged forward) and comments on outlet items."""
    n = model.n_users
    c = model.content
    posted = c.source[c.source_kind == USER]
    forwarded = model.forward_log["user"]
    counts = np.bincount(posted, minlength=n)[:n] + np.bincount(forwarded, minlength=n)[:n]
    return counts + comment_log(model).news


def top10_contribution_share(model: World) -> float:
    """Share of all contributions (:func:`contributions`) by the most active ``ceil(0.1 n)``
    users, ties broken arbitrarily (NaN without contributions)."""
    counts = contributions(model)
    total = counts.sum()
    if total == 0:
        return float("nan")
    k = int(np.ceil(TOP_SHARE * len(counts)))
    return float(np.sort(counts)[::-1][:k].sum() / total)


def _incivility(model: World, items: np.ndarray) -> float:
    c = model.content
    comments = c.comments[items].sum()
    return float(c.uncivil[items].sum() / comments) if comments else float("nan")


def incivility_share(model: World) -> float:
    """Uncivil share of user comments on outlet items, removed ones included (NaN if none)."""
    c = model.content
    return _incivility(model, c.source_kind == OUTLET)


def focal_incivility_share(model: World) -> float:
    """Uncivil share of user comments on the focal outlet's items (NaN if none)."""
    c = model.content
    return _incivility(model, (c.source_kind == OUTLET) & (c.source == 0))


def _hazard(model: World, days: float, by: By):
    """``1 - retention ** (days / run days)``: the share of initial followers a constant daily
    hazard, fitted to the run's retention, breaks in ``days``."""
    check_by(by)
    s = model.state
    kept = (s.follows[:, 0] & ~s.ever_unfollowed).astype(np.float64)
    retention = by_gen(model, kept, by, mask=s.initial_follows)
    run_days = model.steps / DAY

    def one(r: float) -> float:
        if run_days <= 0 or not np.isfinite(r):
            return float("nan")
        return float(1.0 - r ** (days / run_days))

    return one(retention) if by is None else {g: one(r) for g, r in retention.items()}


def unfollow_rate(model: World, by: By = None):
    """Daily unfollow hazard of the focal outlet's initial followers: ``1 - R ** (1 / days)``
    with R their retention after the run's ``days`` (a constant hazard that leaves R)."""
    return _hazard(model, 1.0, by)


def ties_broken_51d(model: World, by: By = None):
    """Share of the focal outlet's initial followers that the run's daily hazard
    (:func:`unfollow_rate`) breaks in 51 days: ``1 - R ** (51 / days)``."""
    return _hazard(model, float(KWAK_DAYS), by)


def weekly_reach(model: World, by: By = None):
    """Share of users who viewed a focal item in the last week (:data:`WEEK` steps)."""
    return by_gen(model, model.last_focal_view > model.steps - WEEK, by)


def engagement_per_impression(model: World) -> float:
    """Likes + comments + forwards of focal items per delivery of a focal item to a screen
    (NaN before any delivery)."""
    c = model.content
    focal = (c.source_kind == OUTLET) & (c.source == 0)
    shown = c.exposures[focal].sum()
    if not shown:
        return float("nan")
    acts = c.likes[focal].sum() + c.comments[focal].sum() + c.forwards[focal].sum()
    return float(acts / shown)


def never_forwarded_share(model: World) -> float:
    """Share of outlet items that nobody forwarded (NaN before any item)."""
    c = model.content
    outlet = c.source_kind == OUTLET
    return float((c.forwards[outlet] == 0).mean()) if outlet.any() else float("nan")


def commenter_return(model: World, by: By = None):
    """Share of users who commented on a focal item and commented on one again in a later
    step (NaN without focal commenters)."""
    log = comment_log(model)
    started = log.first_focal != NEVER
    return by_gen(model, (log.last_focal > log.first_focal).astype(np.float64), by, mask=started)
