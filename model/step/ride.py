"""Outlets that ride users' trends (docs/ODD.md 7.20).

An outlet rides when its strategy's ``ride_trends`` is on (the focal outlet) or when it is one
of the first round(``background_ride_share`` x n_background) background outlets (the j-th of
them, j = 0, 1, ..., with the delay ``background_ride_delay + j background_ride_spacing`` and the
item share ``background_ride_items``). At step t a riding outlet k rides every topic on the
trending list that entered it at step s with ``t - s >= delay_k`` (the list read at t is the
one ranked at the end of t - 1, so the earliest is delay 1). On the topics it rides it:

- publishes: each of its new items of the step goes to a ridden topic with probability
  ``share_k`` (one uniform per item), the topic drawn uniformly among those it rides (one more
  uniform), and records in ``derived`` the topic's creator item (below);
- engages the topic's *creator item*, its most engaging user post of the trending window (likes
  + comments + forwards, at least one; the earlier on a tie): a public reply on the thread (one
  more ``replies``, which counts as a supportive voice in the thread's social proof) and a
  forward of the post to the outlet's followers (delivered on their social screens, with no
  user sharer). An outlet engages each creator item once per topic; it engages again when the
  topic's creator item changes. Each engagement is paid ``reply_hours`` from the step's
  publishing time (docs/ODD.md 7.2), as a follow-up is paid ``item_hours``;
- invites the creator: at its first engagement on a topic, the outlet invites the creator
  item's author (one pending invitation per outlet; a later one waits until it is used). The
  creator's next post is co-published: delivered to the outlet's followers as well as the
  creator's own audience, and paid ``item_hours`` by the outlet (from its balance, a debt the
  next step's publishing pays).

``ride_engage`` = False knocks out the engagements (and so the invitations, which come with the
first engagement), ``ride_invite`` = False the invitations alone; both are True at the defaults
and inert while nothing rides.

Nothing here runs while no outlet rides or the trending list is empty: no draw, no state
change. The draws come from their own stream (``streams["ride"]``), after every other draw of
the phase, so riding never shifts another mechanism's draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.content import SOCIAL, USER
from model.ride import creator_items, ridden_topics

if TYPE_CHECKING:
    from model.world import World


def settings(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per outlet: whether it rides, its delay and its item share, read from the focal
    strategy and the background parameters at each step (a branch may change them)."""
    p = world.params
    n_out = world.n_outlets
    on = np.zeros(n_out, dtype=np.bool_)
    delay = np.zeros(n_out, dtype=np.int64)
    share = np.zeros(n_out, dtype=np.float64)
    st = world.params.strategy  # the focal outlet's (a branch changes both)
    on[0], delay[0], share[0] = st.ride_trends, st.ride_delay, st.ride_share
    m = min(int(np.floor(p.background_ride_share * (n_out - 1) + 0.5)), n_out - 1)
    if m:
        on[1 : 1 + m] = True
        delay[1 : 1 + m] = p.background_ride_delay + p.background_ride_spacing * np.arange(m)
        share[1 : 1 + m] = p.background_ride_items
    return on, delay, share


class Plan:
    """One step's riding, decided before the budget: who rides what and what it engages."""

    def __init__(self, ridden, listed, creator, engage):
        self.ridden = ridden  # (n_outlets, len(listed)) bool
        self.listed = listed  # the trending list's topics
        self.creator = creator  # the creator item of each topic (-1)
        self.engage = engage  # (n_outlets, len(listed)) bool: engage the topic's creator item

    def hours(self, reply_hours: float) -> np.ndarray:
        """Staff-hours of the step's engagements per outlet."""
        return self.engage.sum(axis=1) * float(reply_hours)


def plan(world: World, t: int) -> Plan | None:
    """This step's riding (None when no outlet rides a topic now: nothing is drawn or kept)."""
    tp = world.topics
    if len(tp.listed) == 0:
        return None
    on, delay, _ = settings(world)
    if not on.any():
        return None
    listed = tp.listed
    ridden = ridden_topics(listed, tp.since, on, delay, t)
    if not ridden.any():
        return None
    c, p = world.content, world.params
    creator = creator_items(
        c.topic, c.created, c.source_kind, c.likes, c.comments, c.forwards,
        int(t) - int(p.trending_window), tp.n,
    )  # fmt: skip
    cre = creator[listed]
    engage = ridden & (cre[None, :] >= 0) & (world.ride.engaged[:, listed] != cre[None, :])
    if not p.ride_engage:  # knocked out: no reply, no forward, so no invitation either
        engage[:] = False
    return Plan(ridden, listed, creator, engage)


def followers_of(world: World, k: int) -> np.ndarray:
    """The users who follow outlet ``k`` now (one pass over the users: called only at a ride
    event, a first ride, a forward or a co-published post)."""
    return np.flatnonzero(world.state.follows[:, k])


def _push(world: World, k: int, items: np.ndarray) -> None:
    """Deliver ``items`` to outlet k's followers' social screens (no user sharer; not to the
    post's own author)."""
    c = world.content
    fol = followers_of(world, k)
    if len(fol) == 0 or len(items) == 0:
        return
    rec = np.repeat(fol, len(items))
    it = np.tile(items, len(fol))
    keep = ~((c.source_kind[it] == USER) & (c.source[it] == rec))
    rec, it = rec[keep], it[keep]
    world.screens.push_social(c, world.state.follows, rec, it, np.full(len(rec), -1), SOCIAL)


def apply(world: World, t: int, pl: Plan, new: np.ndarray) -> None:
    """Carry out the step's plan after the budget: start records, the ride items among the
    outlets' ``new`` items, the engagements (reply + forward) and invitations."""
    r, c, s = world.ride, world.content, world.state
    _, _, share = settings(world)
    riding = np.flatnonzero(pl.ridden.any(axis=1))
    first = riding[r.start[riding] < 0]
    for k in first.tolist():  # outlets, not users: a handful per run
        r.start[k] = t
        r.followers0[k] = int(s.follows[:, k].sum())
    r.rode[:, pl.listed] |= pl.ridden
    # ride items: one uniform per new item of an outlet that rides now, then one per ride item
    src = c.source[new]
    cand = new[pl.ridden.any(axis=1)[src]]
    if len(cand):
        rng = world.streams["ride"]
        go = rng.random(len(cand)) < share[c.source[cand]]
        picked = cand[go]
        u = rng.random(len(picked))
        for j, item in enumerate(picked.tolist()):  # the ride items of one step: a few
            k = int(c.source[item])
            topics = pl.listed[pl.ridden[k]]
            topic = int(topics[min(int(u[j] * len(topics)), len(topics) - 1)])
            c.topic[item] = topic
            c.derived[item] = pl.creator[topic]
            r.items[k] += 1
    # engagements: a public reply and a forward of each creator item engaged; the first
    # engagement on a topic invites its creator
    ks, js = np.nonzero(pl.engage)
    invite = bool(world.params.ride_invite)
    for k, j in zip(ks.tolist(), js.tolist(), strict=True):
        topic = int(pl.listed[j])
        item = int(pl.creator[topic])
        if invite and r.engaged[k, topic] < 0 and r.invite[k] < 0:
            r.invite[k] = int(c.source[item])
        r.engaged[k, topic] = item
        c.replies[item] += 1
        r.engagements[k] += 1
    for k in np.unique(ks).tolist():
        _push(world, k, pl.creator[pl.listed[js[ks == k]]])
    r.hours += pl.hours(world.params.reply_hours)


def co_publish(world: World, posters: np.ndarray, items: np.ndarray) -> None:
    """Co-publish the posts of invited creators among ``posters`` (their ``items``) to the
    inviting outlets' followers, each paid ``item_hours`` from the outlet's balance."""
    r = world.ride
    pending = np.flatnonzero(r.invite >= 0)
    if len(pending) == 0 or len(posters) == 0:
        return
    hours = float(world.params.item_hours)
    for k in pending.tolist():  # outlets with an invitation pending: a handful
        mine = items[posters == r.invite[k]]
        if len(mine) == 0:
            continue
        _push(world, k, mine[:1])
        r.invite[k] = -1
        r.co_published[k] += 1
        r.hours[k] += hours
        world.staff_balance[k] -= hours
        world.staff_spent[k] += hours
