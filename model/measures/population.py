"""Population measures: reach, dissemination, engagement, loyalty, trust, emotion, belonging.

Each takes ``by=None`` (one number) or ``by="generation"`` (a dict keyed by cohort) and reads the
model's arrays and cumulative tallies only. An *exposure* in the sense of docs/ODD.md (section
7.13) is a view: an item a user attended.

* reach: share of users who viewed at least one focal-outlet item (cumulative);
* secondary_share: share of focal views that came through a forward (social channel);
* social_channel_share: share of all views taken from the social screen (social, recommended,
  trending): the calibration target of each cohort's ``social_share``;
* engagement: likes + comments + forwards per view of focal items (cumulative);
* stickiness: daily active / followers, where a daily active follower liked, commented on or
  forwarded a focal item in the last day (``DAY`` = 24 steps);
* retention: initial followers of the focal outlet who never unfollowed it;
* steps_to_reach: how fast reach got to a share (final reach saturates in long runs);
* adopted_share: share of users who forwarded at least one item (every forward is logged),
  the adopters of threshold and rumour models (Watts 2002; Maki & Thompson 1973);
* reach_non_followers: reach among users who never followed the focal outlet;
* daily_focal_viewers: share of users who viewed a focal item in the last day, and its mean
  over the run (a current audience, where reach only accumulates);
* forwards, forwarded_views, forwards_per_item: the forwards of focal items, the views they
  brought and forwards per focal item published (counts: the cohorts' values add up to the
  overall one);
* primary_share, platform_share: with secondary_share, the channel decomposition of focal
  views (the outlet's delivery, forwards, the platform's trending top-up), adding up to 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.generations import GENERATIONS
from model.constants import DAY
from model.content import DIRECT, RECOMMENDED, SOCIAL, TRENDING
from model.measures import kernels
from model.measures._cohort import By, by_gen, check_by, ratio
from model.measures._world import World
from model.trust import keep_per_step, trust_at


# ------------------------------------------------------------------ reach and dissemination
def reach(model: World, by: By = None):
    """Share of users who have viewed at least one item of the focal outlet."""
    return by_gen(model, model.state.reached, by)


def adopted_share(model: World) -> float:
    """Share of users who forwarded (adopted) at least one item, from ``forward_log``."""
    users = model.forward_log["user"] if len(model.forward_log) else np.zeros(0, dtype=np.int64)
    return float(len(np.unique(users))) / model.n_users


def secondary_share(model: World, by: By = None):
    """Share of views of focal items that came through a forward."""
    vb = model.views_by[:, :, 1]
    return ratio(vb[:, SOCIAL], vb.sum(axis=1), by)


def primary_share(model: World, by: By = None):
    """Share of views of focal items the outlet delivered itself: its followers' direct screens,
    and the recommended channel (targeting, the outlet's delivery to matched non-followers)."""
    vb = model.views_by[:, :, 1]
    return ratio(vb[:, DIRECT] + vb[:, RECOMMENDED], vb.sum(axis=1), by)


def platform_share(model: World, by: By = None):
    """Share of views of focal items the platform's trending top-up delivered.

    With :func:`primary_share` and :func:`secondary_share` it covers every channel, so the three
    add up to 1 wherever a focal item was viewed.
    """
    vb = model.views_by[:, :, 1]
    return ratio(vb[:, TRENDING], vb.sum(axis=1), by)


def reach_non_followers(model: World, by: By = None):
    """Share of users who never followed the focal outlet that viewed at least one focal item.

    Never followed: not an initial follower, not following now and never unfollowed (a user
    who unfollowed had followed). Followers see the outlet's items on their direct screens;
    non-followers only through forwards, targeting or the platform, so this reach saturates
    later than :func:`reach`.
    """
    s = model.state
    never = ~(s.initial_follows | s.follows[:, 0] | s.ever_unfollowed)
    return by_gen(model, s.reached, by, mask=never)


def daily_focal_viewers(model: World, by: By = None):
    """Share of users who viewed at least one focal item in the last day (``DAY`` steps)."""
    return by_gen(model, model.last_focal_view > model.steps - DAY, by)


def _counts(per_cohort: np.ndarray, by: By):
    """A count overall (the sum) or per cohort (axis 0 is the cohort)."""
    check_by(by)
    if by is None:
        return float(per_cohort.sum())
    return {name: float(per_cohort[i]) for i, name in enumerate(GENERATIONS)}


def forwards(model: World, by: By = None):
    """Forwards of focal items (cumulative), by the forwarder's cohort.

    Every forward counts, adoptions a rule decides without a view included (``forward_log``).
    """
    return _counts(model.focal_forwards_by, by)


def forwarded_views(model: World, by: By = None):
    """Views of focal items that came through a user's forward (the social channel), by the
    viewer's cohort (cumulative): the numerator of :func:`secondary_share`."""
    return _counts(model.views_by[:, SOCIAL, 1], by)


def forwards_per_item(model: World, by: By = None):
    """Forwards of focal items per focal item published (follow-ups included), NaN before the
    first; per cohort, the forwards of the cohort's users per item (the cohorts add up)."""
    check_by(by)
    n = model.focal_items
    if by is None:
        return float(model.focal_forwards_by.sum() / n) if n else float("nan")
    return {
        name: (float(model.focal_forwards_by[i] / n) if n else float("nan"))
        for i, name in enumerate(GENERATIONS)
    }


def social_channel_share(model: World, by: By = None):
    """Share of all views taken through social channels (everything but direct)."""
    vb = model.views_by.sum(axis=2)
    return ratio(vb.sum(axis=1) - vb[:, DIRECT], vb.sum(axis=1), by)


def engagement(model: World, by: By = None, kind: str = "all"):
    """Likes, comments, forwards (or all three) per view of focal items."""
    cols = {"like": [0], "comment": [1], "forward": [2], "all": [0, 1, 2]}
    if kind not in cols:
        raise ValueError(f"kind={kind!r} is not allowed; use one of {', '.join(cols)}")
    num = model.engaged_by[:, cols[kind]].sum(axis=1)
    return ratio(num, model.views_by[:, :, 1].sum(axis=1), by)


def steps_to_reach(model: World, share: float) -> float:
    """The first step at which ``reach`` was at least ``share`` (NaN if it never was).

    Final reach saturates in long runs; how fast it got there is the difference that remains.
    Read from ``model.step_series``, which the model fills once per step from step 0.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share={share} must be in (0, 1]")
    series = np.asarray(model.step_series["reach"], dtype=float)
    hit = np.flatnonzero(series >= share)
    return float(hit[0]) if len(hit) else float("nan")


def days_to_reach(model: World, share: float) -> float:
    """:func:`steps_to_reach` in days (``DAY`` steps each; NaN if reach never got there)."""
    return steps_to_reach(model, share) / DAY


def mean_daily_focal_viewers(model: World) -> float:
    """Mean of :func:`daily_focal_viewers` over the steps run (step 0, before anything
    happened, left out; NaN before the first step), read from ``model.step_series``."""
    series = np.asarray(model.step_series["daily_focal_viewers"], dtype=float)
    return float(series[1:].mean()) if len(series) > 1 else float("nan")


# ------------------------------------------------------------------ loyalty
def stickiness(model: World, by: By = None):
    """Daily active followers: followers of the focal outlet who liked, commented on or forwarded
    its content in the last day, as a share of followers."""
    s = model.state
    daily = s.last_focal_engage > model.steps - DAY
    return by_gen(model, daily, by, mask=s.follows[:, 0])


def retention(model: World, by: By = None):
    """Share of the focal outlet's initial followers who never unfollowed it.

    A follower who left and came back (an engaged non-follower may follow again) is not retained.
    """
    s = model.state
    kept = s.follows[:, 0] & ~s.ever_unfollowed
    return by_gen(model, kept, by, mask=s.initial_follows)


def follower_share(model: World, by: By = None):
    """Share of users who follow the focal outlet."""
    return by_gen(model, model.state.follows[:, 0], by)


# ------------------------------------------------------------------ trust, emotion, belonging
def mean_trust(model: World, by: By = None):
    """Mean trust in the focal outlet now: each user's evidence decayed to the current step
    (:func:`model.trust.trust_at`), not frozen at their last evidence."""
    return by_gen(model, trust_at(model.state, model.params, model.steps), by)


def belonging(model: World, by: By = None):
    """Mean belonging to the focal outlet's community."""
    return by_gen(model, model.state.belonging[:, 0], by)


def mean_valence(model: World, by: By = None):
    """Mean emotional valence."""
    return by_gen(model, model.state.valence, by)


def mean_arousal(model: World, by: By = None):
    """Mean emotional arousal."""
    return by_gen(model, model.state.arousal, by)


def emotion_climate(model: World, by: By = None) -> dict[str, Any]:
    """Mean valence and arousal: {'valence': ..., 'arousal': ...} (each per cohort with by)."""
    return {"valence": mean_valence(model, by), "arousal": mean_arousal(model, by)}


# ------------------------------------------------------------------ run totals
def reply_count(model: World) -> float:
    """Replies the focal outlet has sent."""
    return float(model.replies_sent)


def staff_hours(model: World) -> float:
    """Staff-hours the focal outlet has spent: items and follow-ups at item_hours, replies at
    reply_hours, reviews at review_hours, member-steps at member_hours / 24 (docs/ODD.md 7.12)."""
    return float(model.staff_spent[0])


def published(model: World) -> float:
    """Focal items published so far (follow-ups included)."""
    return float(model.focal_items)


def community_members(model: World, by: By = None):
    """Share of users who are members of the focal outlet's community."""
    return by_gen(model, model.state.community[:, 0], by)


def item_count(model: World) -> float:
    """Items created so far (every outlet and user)."""
    return float(model.content.n)


# ------------------------------------------------------------------ the step snapshot
def step_columns(model: World) -> dict[str, list[float]]:
    """The population measures of the step snapshot, overall and per cohort, in a few passes.

    One compiled pass over the users for the shares, one for the means, one over the cohort
    tallies (:mod:`model.measures.kernels`); equal, bit for bit, to each measure's own
    function (``tests/unit/test_measure_kernels.py``).

    Returns:
        measure name -> [overall value, then one per cohort in ``GENERATIONS`` order].
    """
    s, p = model.state, model.params
    k = len(GENERATIONS)
    flags = kernels.flag_shares(
        s.gen,
        k,
        s.reached,
        s.follows,
        s.initial_follows,
        s.ever_unfollowed,
        s.community,
        model.last_focal_view,
        s.last_focal_engage,
        model.steps - DAY,
    )
    values = kernels.value_sums(
        s.gen,
        k,
        s.trust0,
        s.trust_pos,
        s.trust_neg,
        s.trust_last,
        keep_per_step(p),
        float(p.trust_prior),
        model.steps,
        s.valence,
        s.arousal,
        s.belonging,
        s.seen_distance,
        s.seen_count,
    )
    tallies = kernels.tally_shares(
        model.views_by, model.engaged_by, model.focal_forwards_by, model.focal_items
    )
    return {
        **dict(zip(kernels.FLAG_SHARES, flags.tolist(), strict=True)),
        **dict(zip(kernels.VALUE_MEANS, values.tolist(), strict=True)),
        **dict(zip(kernels.TALLY_MEASURES, tallies.tolist(), strict=True)),
    }
