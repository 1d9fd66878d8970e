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

if TYPE_CHECKING:
    from model.world import World


def deliver(world: World, t: int) -> None:
    """Deliver this step's outlet items and the queued shares (``world.outbox``)."""
    p, s, c, sc = world.params, world.state, world.content, world.screens
    box = world.outbox
    new = box.new_items
    # one vectorised write per outlet; a follower keeps at most a screen-full of them
    for k in np.unique(c.source[new]) if len(new) else ():
        items = new[c.source[new] == k][-sc.size :]
        sc.deliver_direct(c, np.flatnonzero(s.follows[:, k]), items)
    users, items = box.take_shares()
    if len(users):
        owner, rec = world.networks.audience(users)
        keep = world.streams["deliver"].random(len(rec)) < p.organic_reach
        owner, rec = owner[keep], rec[keep]
        it = items[owner]
        author = np.where(c.source_kind[it] == USER, c.source[it], -1)
        ok = rec != author
        # rules with memory count each (user, item)'s sharers (threshold forwarding)
        world.rules.forwarding.observe(world, rec[ok], it[ok], users[owner[ok]])
        sc.push_social(c, s.follows, rec[ok], it[ok], users[owner[ok]], SOCIAL)
    targeting = world.outlet["targeting"]
    if targeting.any():
        rng = world.streams["target"]
        for item in new:
            k = int(c.source[item])
            if not targeting[k]:
                continue
            cand = np.flatnonzero(rng.random(world.n_users) < RECOMMEND_SHARE)
            cand = cand[~s.follows[cand, k]]
            match = (
                world.fmt_pref[s.gen[cand], c.format[item]]
                * 4.0
                * (1.0 - np.abs(s.opinion[cand] - c.stance[item]) / 2.0)
            )
            cand = cand[rng.random(len(cand)) < np.clip(match, 0, 1)]
            sc.push_social(
                c, s.follows, cand, np.full(len(cand), item), np.full(len(cand), -1), RECOMMENDED
            )
