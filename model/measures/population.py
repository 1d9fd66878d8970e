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
  the adopters of threshold and rumour models (Watts 2002; Maki & Thompson 1973).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.constants import DAY
from model.content import DIRECT, SOCIAL
from model.measures._cohort import By, by_gen, ratio
from model.measures._world import World


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
    Read from the DataCollector, which the model fills once per step from step 0.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share={share} must be in (0, 1]")
    series = np.asarray(model.datacollector.model_vars["reach"], dtype=float)
    hit = np.flatnonzero(series >= share)
    return float(hit[0]) if len(hit) else float("nan")


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
    """Mean trust in the focal outlet."""
    return by_gen(model, model.state.trust_media[:, 0], by)


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


def item_count(model: World) -> float:
    """Items created so far (every outlet and user)."""
    return float(model.content.n)
