"""Phase 3: attention (docs/ODD.md 7.5-7.8).

Browsing users view up to their attention budget (the attention rule), split between the social
and the direct screen by their cohort's social share; a short social feed may be topped up with
trending items (7.6); the feed-choice rule picks the slots, on the social screen weighted also
by the platform's feed ranking (7.7); the views are tallied and, for
recorded items, logged as cascade edges (7.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.constants import TRENDING_POOL
from model.content import DIRECT, OUTLET, TRENDING, USER
from model.rules.feed_choice import draw_keys, take_slots
from model.step.records import Sessions, Views

if TYPE_CHECKING:
    from model.world import SlotWeights, World


def attend(world: World, t: int, sess: Sessions) -> Views:
    """The browsers' views of step ``t``; the slots they view are marked seen."""
    p, s, sc = world.params, world.state, world.screens
    rng = world.streams["attend"]
    users = sess.browsers
    g = s.gen[users]
    # unseen counts come from the writer: no screen is read for a user with nothing to see
    a_soc, a_dir = sc.soc_unseen[users], sc.dir_unseen[users]
    attention = world.rules.attention
    if attention.takes_all and p.trending_prob <= 0:
        # both screens are viewed in full whatever the split, and no top-up asks for it: the
        # split is not drawn (nothing else in this stream is drawn either: no slot is sampled)
        n_soc, n_dir = a_soc.copy(), a_dir.copy()
    else:
        budget = attention.budget(rng, world.prof["attention"][g], sc.size)
        want_soc = rng.binomial(budget, world.prof["social_share"][g])
        if p.trending_prob > 0:
            filled = _platform_fill(world, t, users, want_soc, a_soc)
            if len(filled):
                a_soc[filled] = sc.soc_unseen[users[filled]]
        n_soc = np.minimum(want_soc, a_soc)
        n_dir = np.minimum(budget - want_soc, a_dir)
        spare = budget - n_soc - n_dir
        extra = np.minimum(spare, a_soc - n_soc)
        n_soc += extra
        n_dir += np.minimum(spare - extra, a_dir - n_dir)

    weigh = world.rules.feed_choice.slot_weights(world, t)
    rank = world.rules.feed_ranking.slot_factor(world, t)
    u1, c1, i1 = _take(rng, users, n_soc, a_soc, sc.soc_item, sc.soc_seen, _ranked(weigh, rank))
    u2, c2, i2 = _take(rng, users, n_dir, a_dir, sc.dir_item, sc.dir_seen, weigh)
    views = Views(
        user=np.concatenate([u1, u2]),
        item=np.concatenate([i1, i2]).astype(np.int64),
        chan=np.concatenate([sc.soc_chan[u1, c1], np.full(len(u2), DIRECT, np.int8)]),
        source_user=np.concatenate([sc.soc_from[u1, c1], np.full(len(u2), -1, np.int32)]).astype(
            np.int64
        ),
    )
    sc.mark_seen(users, n_soc, n_dir, (u1, c1), (u2, c2))
    _record_views(world, t, views)
    return views


def _ranked(weigh: SlotWeights, rank: SlotWeights) -> SlotWeights:
    """The social feed's weights: the feed-choice weights times the platform's ranking factor."""
    if rank is None:
        return weigh
    if weigh is None:
        return rank
    return lambda users, items: weigh(users, items) * rank(users, items)


def _take(
    rng: np.random.Generator,
    users: np.ndarray,
    n_take: np.ndarray,
    avail: np.ndarray,
    item: np.ndarray,
    seen: np.ndarray,
    weigh: SlotWeights,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (user, slot, item) each of ``users`` views on one screen (``item``, ``seen``).

    Only the rows of users who sample (0 < ``n_take`` < ``avail``) draw keys and are weighed,
    as in :func:`sample_slots`; one kernel (:func:`take_slots`) reads the screens and picks.
    """
    n_take = n_take.astype(np.int64)
    avail = avail.astype(np.int64)
    part = users[(n_take < avail) & (n_take > 0)]
    keys, w = draw_keys(rng, len(part), item.shape[1], weigh, part, item[part])
    return take_slots(users.astype(np.int64), item, seen, n_take, avail, keys, w)


def _platform_fill(
    world: World, t: int, users: np.ndarray, want: np.ndarray, unseen: np.ndarray
) -> np.ndarray:
    """A social feed never runs dry: the platform tops it up with trending items (7.6).

    A user who opens a social channel wanting more items than its social screen holds unseen
    (``unseen``) is shown items drawn from the day's most engaging ones (channel 'trending').
    Returns the positions in ``users`` whose screens were topped up.
    """
    rng = world.streams["trending"]
    short = want - unseen
    short[rng.random(len(users)) >= world.params.trending_prob] = 0
    filled = np.flatnonzero(short > 0)
    need = users[filled]
    pool = world.trending_items(t, top=TRENDING_POOL)
    if len(need) == 0 or len(pool) == 0:
        return np.zeros(0, dtype=np.int64)
    # twice the shortfall, since items already on the screen are not shown again
    rec = np.repeat(need, 2 * short[short > 0])
    c = world.content
    it = pool[rng.integers(0, len(pool), size=len(rec))]
    own = (c.source_kind[it] == USER) & (c.source[it] == rec)
    rec, it = rec[~own], it[~own]
    world.screens.push_social(c, world.state.follows, rec, it, np.full(len(rec), -1), TRENDING)
    return filled


def _record_views(world: World, t: int, v: Views) -> None:
    """Count views, tally them by cohort, channel and focal, mark reach, log cascade edges."""
    p, s, c = world.params, world.state, world.content
    if len(v.user) == 0:
        return
    c.count("views", v.item)
    focal = (c.source_kind[v.item] == OUTLET) & (c.source[v.item] == 0)
    g = s.gen[v.user]
    tally = world.views_by
    key = (g.astype(np.int64) * tally.shape[1] + v.chan) * 2 + focal
    tally += np.bincount(key, minlength=tally.size).reshape(tally.shape)
    s.reached[v.user[focal]] = True
    world.last_focal_view[v.user[focal]] = t
    if p.record_cascades != "none":
        rec = focal if p.record_cascades == "focal" else np.ones(len(focal), dtype=bool)
        it = v.item[rec]
        parent = v.source_user[rec]
        # a user's own post reaches its audience from the root
        parent = np.where((c.source_kind[it] == USER) & (c.source[it] == parent), -1, parent)
        world.view_log.append(it, parent, v.user[rec], np.full(int(rec.sum()), t))
