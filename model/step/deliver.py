"""Phase 2: delivery onto screens (docs/ODD.md 7.3), all through :class:`model.screens.Screens`.

Direct: every follower of an outlet gets its new items, in order. Social: what users shared
(forwards of the last step, posts of this one) reaches their acquaintances and followers, each
with probability ``organic_reach``. Recommended: an outlet whose strategy targets offers its
new items to non-followers by value and format match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.constants import RECOMMEND_SHARE
from model.content import RECOMMENDED, SOCIAL, USER
from model.jit import njit

if TYPE_CHECKING:
    from model.world import World


@njit
def _audience_size(acq_ptr, fol_start, fol_end, users):
    """Pairs (sharer, recipient) over both layers: the acquaintances and followers of ``users``
    (a follower row is ``fol_start[u]:fol_end[u]``: the static CSR or the dynamic layer)."""
    total = 0
    for i in range(users.shape[0]):
        u = users[i]
        total += acq_ptr[u + 1] - acq_ptr[u] + fol_end[u] - fol_start[u]
    return total


@njit
def _reached(
    acq_ptr, acq_idx, fol_start, fol_end, fol_idx, users, items, source_kind, source, draw, reach
):
    """The shares that reach a screen: (recipient, item, sharer) of every pair whose uniform
    ``draw`` is below ``reach``, but none to the item's own author; acquaintances of all
    sharers first, then followers, each sharer's in its row's order."""
    n = draw.shape[0]
    rec = np.empty(n, dtype=np.int64)
    it = np.empty(n, dtype=np.int64)
    frm = np.empty(n, dtype=np.int64)
    j = 0
    m = 0
    for layer in range(2):
        idx = acq_idx if layer == 0 else fol_idx
        for i in range(users.shape[0]):
            u = users[i]
            item = items[i]
            author = source[item] if source_kind[item] == USER else -1
            lo = acq_ptr[u] if layer == 0 else fol_start[u]
            hi = acq_ptr[u + 1] if layer == 0 else fol_end[u]
            for e in range(lo, hi):
                r = idx[e]
                if draw[j] < reach and r != author:
                    rec[m] = r
                    it[m] = item
                    frm[m] = u
                    m += 1
                j += 1
    return rec[:m], it[:m], frm[:m]


def deliver(world: World, t: int) -> None:
    """Deliver this step's outlet items and the queued shares (``world.outbox``)."""
    p, s, c, sc = world.params, world.state, world.content, world.screens
    box = world.outbox
    new = box.new_items
    # a follower keeps at most a screen-full of each outlet's items
    sc.deliver_outlets(c, s.follows, new)
    users, items = box.take_shares()
    if len(users):
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        net = world.networks
        # the follow layer as it is now (it changes under the user_follow rule, 7.19)
        fol_start, fol_end, fol_idx = net.followers.spans()
        n_pairs = _audience_size(net.acq.indptr, fol_start, fol_end, users)
        # one uniform per (sharer, recipient) pair, acquaintances of all sharers first and then
        # followers, the order the draws have always been taken in
        draw = world.streams["deliver"].random(n_pairs)
        rec, it, frm = _reached(
            net.acq.indptr,
            net.acq.indices,
            fol_start,
            fol_end,
            fol_idx,
            users,
            items,
            c.source_kind,
            c.source,
            draw,
            p.organic_reach,
        )
        # rules with memory count each (user, item)'s sharers (threshold forwarding)
        world.rules.forwarding.observe(world, rec, it, frm)
        sc.push_social(c, s.follows, rec, it, frm, SOCIAL)
    targeting = world.outlet["targeting"]
    if targeting.any():
        rng = world.streams["target"]
        for item in new[targeting[c.source[new]]].tolist():
            # two draws per item as always: a uniform per user picks the candidates, and one
            # per candidate accepts it with probability min(1, its match)
            cand = _candidates(
                rng.random(world.n_users), s.follows, int(c.source[item]), RECOMMEND_SHARE
            )
            cand = _matched(
                cand,
                rng.random(len(cand)),
                world.fmt_pref,
                s.gen,
                s.opinion,
                int(c.format[item]),
                float(c.stance[item]),
            )
            sc.push_social(
                c, s.follows, cand, np.full(len(cand), item), np.full(len(cand), -1), RECOMMENDED
            )


@njit
def _candidates(u, follows, k, share):
    """Users whose uniform is below the recommendation ``share`` and who do not follow outlet
    k (the share is an argument: a cached kernel would not see a changed constant)."""
    out = np.empty(u.shape[0], dtype=np.int64)
    m = 0
    for i in range(u.shape[0]):
        if u[i] < share and not follows[i, k]:
            out[m] = i
            m += 1
    return out[:m]


@njit
def _matched(cand, u, fmt_pref, gen, opinion, fmt, stance):
    """The candidates whose uniform is below min(1, match): the cohort's preference for the
    item's format x 4 x (1 - |opinion - stance| / 2)."""
    out = np.empty(cand.shape[0], dtype=np.int64)
    m = 0
    for j in range(cand.shape[0]):
        i = cand[j]
        match = fmt_pref[gen[i], fmt] * 4.0 * (1.0 - abs(opinion[i] - stance) / 2.0)
        if u[j] < min(max(match, 0.0), 1.0):
            out[m] = i
            m += 1
    return out[:m]
