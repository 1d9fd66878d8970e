"""Phase 3: attention (docs/ODD.md 7.5-7.8).

Browsing users view up to their attention budget (the attention rule), split between the social
and the direct screen by their cohort's social share; a short social feed may be topped up with
trending items (7.6); the feed-choice rule picks the slots, on the social screen weighted also
by the platform's feed ranking (7.7); the views are tallied and, for
recorded items, logged as cascade edges (7.8).

The arithmetic runs in a few compiled kernels (:mod:`model.jit`) over the screens and the
content columns; the random draws stay numpy ``Generator`` calls that give the same draws in
the same order as the array code they replaced (the two screens' keys in one call), so the
streams and results are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.constants import TRENDING_POOL
from model.content import DIRECT, OUTLET, TRENDING, USER
from model.jit import njit
from model.rules.feed_choice import draw_keys, take_slots
from model.step.records import Sessions, Views
from model.topics import tally, topics_on

if TYPE_CHECKING:
    from model.world import SlotWeights, World


def attend(world: World, t: int, sess: Sessions) -> Views:
    """The browsers' views of step ``t``; the slots they view are marked seen."""
    p, s, sc = world.params, world.state, world.screens
    rng = world.streams["attend"]
    users = sess.browsers.astype(np.int64, copy=False)
    attention = world.rules.attention
    if attention.takes_all and p.trending_prob <= 0:
        # both screens are viewed in full whatever the split, and no top-up asks for it: the
        # split is not drawn (nothing else in this stream is drawn either: no slot is sampled)
        budget = want_soc = _NO_DRAW
    else:
        g = s.gen[users]
        budget = attention.budget(rng, world.prof["attention"][g], sc.size)
        want_soc = rng.binomial(budget, world.prof["social_share"][g])
        if p.trending_prob > 0:
            _platform_fill(world, t, users, want_soc)
    # unseen counts come from the writer (after the top-up): no screen is read for a user with
    # nothing to see
    n_soc, n_dir, part_soc, part_dir, a_soc, a_dir = _split(
        users, budget, want_soc, sc.soc_unseen, sc.dir_unseen
    )

    weigh = world.rules.feed_choice.slot_weights(world, t)
    rank = world.rules.feed_ranking.slot_factor(world, t)
    # both screens' keys in one draw, the social screen's rows first: the same draws as a draw
    # per screen (nothing is drawn between them)
    n1 = len(part_soc)
    keys, _ = draw_keys(rng, n1 + len(part_dir), sc.size, None)
    soc_w = _ranked(weigh, rank)
    soc = _take(users, n_soc, a_soc, part_soc, sc.soc_item, sc.soc_seen, keys[:n1], soc_w)
    dir_ = _take(users, n_dir, a_dir, part_dir, sc.dir_item, sc.dir_seen, keys[n1:], weigh)
    views = Views(*_views(*soc, dir_[0], dir_[2], sc.soc_chan, sc.soc_from, DIRECT))
    sc.mark_seen(users, n_soc, n_dir, soc[:2], dir_[:2])
    _record_views(world, t, views)
    return views


# the split's budget when none is drawn: every unseen slot is viewed
_NO_DRAW = np.zeros(0, dtype=np.int64)


@njit
def _split(
    users: np.ndarray,
    budget: np.ndarray,
    want_soc: np.ndarray,
    soc_unseen: np.ndarray,
    dir_unseen: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Slots each user takes on the social and the direct screen, and who samples on each.

    A user takes min(wanted, unseen) social slots (``want_soc``) and min(budget - wanted,
    unseen) direct ones; budget left over goes to the social screen first, then the direct one.
    With no ``budget`` (empty) every unseen slot is taken. A user samples on a screen when it
    takes some but not all of the unseen slots there. ``soc_unseen`` and ``dir_unseen`` are
    every user's unseen slots (by user id).

    Returns:
        (n_soc, n_dir, the users sampling on the social screen, those on the direct screen,
        and ``users``' unseen social and direct slots), all int64.
    """
    n = users.shape[0]
    a_soc = np.empty(n, dtype=np.int64)
    a_dir = np.empty(n, dtype=np.int64)
    for i in range(n):
        a_soc[i] = soc_unseen[users[i]]
        a_dir[i] = dir_unseen[users[i]]
    n_soc = a_soc.copy()
    n_dir = a_dir.copy()
    if budget.shape[0] == 0:
        return n_soc, n_dir, users[:0].copy(), users[:0].copy(), a_soc, a_dir
    n_part_soc = 0
    n_part_dir = 0
    for i in range(n):
        ns = min(want_soc[i], a_soc[i])
        nd = min(budget[i] - want_soc[i], a_dir[i])
        spare = budget[i] - ns - nd
        extra = min(spare, a_soc[i] - ns)
        ns += extra
        nd += min(spare - extra, a_dir[i] - nd)
        n_soc[i], n_dir[i] = ns, nd
        n_part_soc += 0 < ns < a_soc[i]
        n_part_dir += 0 < nd < a_dir[i]
    part_soc = np.empty(n_part_soc, dtype=np.int64)
    part_dir = np.empty(n_part_dir, dtype=np.int64)
    k_soc = k_dir = 0
    for i in range(n):
        if 0 < n_soc[i] < a_soc[i]:
            part_soc[k_soc] = users[i]
            k_soc += 1
        if 0 < n_dir[i] < a_dir[i]:
            part_dir[k_dir] = users[i]
            k_dir += 1
    return n_soc, n_dir, part_soc, part_dir, a_soc, a_dir


@njit
def _views(
    u1: np.ndarray,
    c1: np.ndarray,
    i1: np.ndarray,
    u2: np.ndarray,
    i2: np.ndarray,
    soc_chan: np.ndarray,
    soc_from: np.ndarray,
    direct: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The views' columns (user, item, chan, source_user): the social slots taken (``u1``,
    ``c1``, ``i1``) with their channel and sharer, then the direct ones (``u2``, ``i2``) on channel
    ``direct`` with no sharer."""
    n1, n = u1.shape[0], u1.shape[0] + i2.shape[0]
    user = np.empty(n, dtype=np.int64)
    item = np.empty(n, dtype=np.int64)
    chan = np.empty(n, dtype=np.int8)
    source = np.empty(n, dtype=np.int64)
    for k in range(n1):
        user[k], item[k] = u1[k], i1[k]
        chan[k], source[k] = soc_chan[u1[k], c1[k]], soc_from[u1[k], c1[k]]
    for k in range(n1, n):
        user[k], item[k] = u2[k - n1], i2[k - n1]
        chan[k], source[k] = direct, -1
    return user, item, chan, source


def _ranked(weigh: SlotWeights, rank: SlotWeights) -> SlotWeights:
    """The social feed's weights: the feed-choice weights times the platform's ranking factor."""
    if rank is None:
        return weigh
    if weigh is None:
        return rank
    return lambda users, items: weigh(users, items) * rank(users, items)


def _take(
    users: np.ndarray,
    n_take: np.ndarray,
    avail: np.ndarray,
    part: np.ndarray,
    item: np.ndarray,
    seen: np.ndarray,
    keys: np.ndarray,
    weigh: SlotWeights,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (user, slot, item) each of ``users`` views on one screen (``item``, ``seen``).

    Only the users who sample (``part``: 0 < ``n_take`` < ``avail``) have keys (``keys``, a row
    each) and are weighed, as in :func:`sample_slots`; one kernel (:func:`take_slots`) reads
    the screens and picks.
    """
    if weigh is None or len(part) == 0:
        w = np.zeros((0, item.shape[1]), dtype=np.float32)
    else:
        w = np.ascontiguousarray(weigh(part, _rows(item, part)), dtype=np.float32)
    return take_slots(users, item, seen, n_take, avail, keys, w)


@njit
def _rows(item: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``item[rows]`` as int64 (the weight functions' item ids), in one pass."""
    out = np.empty((rows.shape[0], item.shape[1]), dtype=np.int64)
    for i in range(rows.shape[0]):
        for j in range(item.shape[1]):
            out[i, j] = item[rows[i], j]
    return out


def _platform_fill(world: World, t: int, users: np.ndarray, want: np.ndarray) -> None:
    """A social feed never runs dry: the platform tops it up with trending items (7.6).

    A user who opens a social channel wanting more items than its social screen holds unseen
    is shown items drawn from the day's most engaging ones (channel 'trending'), or, with
    ``trending_by = "topics"``, from the most engaging of the day's items of the topics on the
    trending list (:meth:`World.trending_items`, docs/ODD.md 7.18).
    """
    rng = world.streams["trending"]
    rec = _shortfall(
        users, want, world.screens.soc_unseen, rng.random(len(users)), world.params.trending_prob
    )
    if len(rec) == 0:
        return
    pool = world.trending_items(t, top=TRENDING_POOL)
    if len(pool) == 0:
        return
    c = world.content
    it = pool[rng.integers(0, len(pool), size=len(rec))]
    rec, it = _not_own(rec, it, c.source_kind, c.source)
    world.screens.push_social(c, world.state.follows, rec, it, np.full(len(rec), -1), TRENDING)


@njit
def _shortfall(
    users: np.ndarray, want: np.ndarray, unseen: np.ndarray, u01: np.ndarray, prob: float
) -> np.ndarray:
    """The recipient of each trending slot: each of ``users`` who wants more than its unseen
    social slots (``unseen``, by user id), with probability ``prob`` from the uniform draws
    ``u01``, repeated twice its shortfall, since items already on the screen are not shown
    again."""
    n = users.shape[0]
    n_rec = 0
    for i in range(n):
        short = want[i] - unseen[users[i]]
        if u01[i] < prob and short > 0:
            n_rec += 2 * short
    rec = np.empty(n_rec, dtype=np.int64)
    m = 0
    for i in range(n):
        short = want[i] - unseen[users[i]]
        if u01[i] < prob and short > 0:
            for _ in range(2 * short):
                rec[m] = users[i]
                m += 1
    return rec


@njit
def _not_own(
    rec: np.ndarray, item: np.ndarray, source_kind: np.ndarray, source: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The (recipient, item) pairs whose item is not the recipient's own post."""
    keep = np.empty(rec.shape[0], dtype=np.bool_)
    for k in range(rec.shape[0]):
        keep[k] = not (source_kind[item[k]] == USER and source[item[k]] == rec[k])
    return rec[keep], item[keep]


def _record_views(world: World, t: int, v: Views) -> None:
    """Count views, tally them by cohort, channel and focal, mark reach, log cascade edges."""
    p, s, c = world.params, world.state, world.content
    if len(v.user) == 0:
        return
    mode = _CASCADES[p.record_cascades]
    it, parent, user = _tally_views(
        v.user.astype(np.int64, copy=False),
        v.item.astype(np.int64, copy=False),
        v.chan.astype(np.int8, copy=False),
        v.source_user.astype(np.int64, copy=False),
        s.gen,
        c.source_kind,
        c.source,
        c.views,
        world.views_by,
        s.reached,
        world.last_focal_view,
        t,
        mode,
    )
    if mode != _CASCADES["none"]:
        world.view_log.append(it, parent, user, np.full(len(it), t))
    if topics_on(world.params):  # views per (cohort, topic) for the topic measures
        tally(world.topics.views_by, s.gen, v.user, c.topic, v.item)


#: record_cascades -> the kernel's mode
_CASCADES = {"none": 0, "focal": 1, "all": 2}


@njit
def _tally_views(
    user: np.ndarray,
    item: np.ndarray,
    chan: np.ndarray,
    source_user: np.ndarray,
    gen: np.ndarray,
    source_kind: np.ndarray,
    source: np.ndarray,
    views: np.ndarray,
    tally: np.ndarray,
    reached: np.ndarray,
    last_focal_view: np.ndarray,
    t: int,
    mode: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add each view to its item's ``views`` and to ``tally[cohort, chan, focal]``; a view of
    the focal outlet's item marks the viewer reached at ``t``.

    Returns:
        The cascade edges (item, parent, user) of the views recorded (``mode`` 0: none, 1: focal
        items', 2: all), a user's own post reaching its audience from the root (parent -1).
    """
    n = user.shape[0]
    log_item = np.empty(n, dtype=np.int64)
    log_parent = np.empty(n, dtype=np.int64)
    log_user = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        it, u = item[i], user[i]
        views[it] += 1
        focal = source_kind[it] == OUTLET and source[it] == 0
        tally[gen[u], chan[i], 1 if focal else 0] += 1
        if focal:
            reached[u] = True
            last_focal_view[u] = t
        if mode == 2 or (mode == 1 and focal):
            parent = source_user[i]
            if source_kind[it] == USER and source[it] == parent:
                parent = -1
            log_item[k], log_parent[k], log_user[k] = it, parent, u
            k += 1
    return log_item[:k], log_parent[:k], log_user[:k]
