"""Phase 6: the focal outlet responds (docs/ODD.md 7.12).

Replies to commenters (up to ``reply_capacity`` per step, with emotional rewards if the
strategy has them), the community (commenters join; their comments become items members see),
and follow-ups on large conversations, published at the next step through ``world.outbox``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.content import OUTLET, SOCIAL, USER
from model.step.records import Reactions, Views

if TYPE_CHECKING:
    from model.world import World


def respond(world: World, t: int, v: Views, r: Reactions) -> None:
    """Replies, community comment items and follow-ups for step ``t``."""
    p, s, c, st = world.params, world.state, world.content, world.strategy
    commented = r.comment & r.focal
    cu, ci = v.user[commented], v.item[commented]
    if st.reply_capacity > 0 and len(cu):
        # one reply per commenter per step, to at most reply_capacity commenters
        commenters = np.unique(cu)
        ru = commenters[world.streams["reply"].permutation(len(commenters))[: st.reply_capacity]]
        gain = p.reply_gain * (2.0 if st.emotional_rewards else 1.0)
        s.trust_media[ru, 0] += np.float32(p.reply_gain) * (1 - s.trust_media[ru, 0])
        s.belonging[ru, 0] += np.float32(gain) * (1 - s.belonging[ru, 0])
        if st.emotional_rewards:
            s.valence[ru] += np.float32(0.3) * (1 - s.valence[ru])
        s.replies[ru] += 1
        world.replies_sent += len(ru)
    if st.community and len(cu):
        s.community[cu] = True
        members = np.flatnonzero(s.community)
        if p.community_fanout > 0 and len(members) > 1:
            # what users add becomes content: each comment is an item members see
            rng = world.streams["community"]
            k = len(cu)
            items = c.add(
                source_kind=np.full(k, USER),
                source=cu,
                format=np.zeros(k, np.int8),
                stance=np.clip(s.opinion[cu], -1, 1),
                valence=s.valence[cu],
                intensity=s.arousal[cu],
                quality=c.quality[ci],
                created=np.full(k, t),
                parent=ci,
            )
            f = min(p.community_fanout, len(members) - 1)
            rec = members[rng.integers(0, len(members), size=(k, f))].reshape(-1)
            who = np.repeat(cu, f)
            ok = rec != who
            world.screens.push_social(
                c, s.follows, rec[ok], np.repeat(items, f)[ok], who[ok], SOCIAL
            )
    if st.follow_up:
        hot = np.flatnonzero(
            (c.source_kind == OUTLET)
            & (c.source == 0)
            & (c.comments >= p.follow_up_threshold)
            & ~c.followed_up
            & (c.parent < 0)
        )
        if len(hot):
            c.followed_up[hot] = True
            rng = world.rng_followups
            k = len(hot)
            new = c.add(
                source_kind=np.full(k, OUTLET),
                source=np.zeros(k, np.int32),
                format=c.format[hot],
                stance=c.stance[hot],
                valence=c.valence[hot],
                intensity=c.intensity[hot],
                quality=np.clip(c.quality[hot] + 0.1 * rng.random(k), 0, 1),
                created=np.full(k, t),
                parent=hot,
            )
            box = world.outbox
            box.outlet_items = np.concatenate([box.outlet_items, new])
