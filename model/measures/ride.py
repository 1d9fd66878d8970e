"""Measures of an outlet that rides users' trends (docs/ODD.md 7.20).

On request (``when="query"``): ``follower_gain`` is the focal outlet's followers now minus its
followers at the step it first rode a topic (NaN if it never rode: the gain is counted from the
start of riding, not of the run, so that an early and a late rider are compared on their own
riding); ``topic_view_share`` is its items' share of the views of the topics it has ridden (views
of every item of those topics, its own and everyone else's; NaN if it rode none or they have no
views). Each reads one column of the follow matrix or of the content store once.
"""

from __future__ import annotations

from model.content import OUTLET
from model.measures._world import World


def follower_gain(model: World, outlet: int = 0) -> float:
    """Followers of ``outlet`` gained since the step it first rode a topic (NaN: never rode)."""
    r = model.ride
    if r.start[outlet] < 0:
        return float("nan")
    return float(int(model.state.follows[:, outlet].sum()) - int(r.followers0[outlet]))


def topic_view_share(model: World, outlet: int = 0) -> float:
    """The share of the views of the topics ``outlet`` has ridden that went to its own items
    (NaN: it rode no topic, or those topics have no views)."""
    rode = model.ride.rode[outlet]
    if not rode.any():
        return float("nan")
    c = model.content
    on = rode[c.topic]
    views = c.views[on]
    total = float(views.sum())
    if total == 0:
        return float("nan")
    mine = (c.source_kind[on] == OUTLET) & (c.source[on] == outlet)
    return float(views[mine].sum()) / total
