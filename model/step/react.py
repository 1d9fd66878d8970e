"""Phase 4: reactions (docs/ODD.md 7.9).

Every view is judged on the state at the start of the step: resonance weighs trust in the
source, emotional resonance, value match and (if comments are visible) social proof; likes,
comments and forwards are each more likely with resonance, the forward probability coming from
the forwarding rule. Forwards are queued for delivery at the next step and logged; engaged
non-followers may start following the focal outlet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.content import OUTLET, USER, social_proof
from model.step.records import Reactions, Views
from model.strategies import BROADCAST_FRICTION

if TYPE_CHECKING:
    from model.world import World


def react(world: World, t: int, v: Views) -> Reactions:
    """Like, comment, forward and follow for each view: four uniforms per view."""
    p, s, c = world.params, world.state, world.content
    strategy = world.strategy
    rng = world.streams["react"]
    u, it = v.user, v.item
    m = len(u)
    draws = rng.random((4, m))
    kind, src = c.source_kind[it], c.source[it]
    outlet = kind == OUTLET
    focal = outlet & (src == 0)
    g = s.gen[u]
    t_media = s.trust_media[u, np.where(outlet, src, 0)]
    forwarded = v.source_user >= 0
    # trust in the source: the outlet, or (for a forward) outlet and forwarder together
    trust = np.where(
        outlet,
        np.where(forwarded, np.sqrt(t_media * s.trust_peers[u]), t_media),
        s.trust_peers[u],
    )
    reactivity = world.prof["reactivity"][g]
    emotion = c.intensity[it] * reactivity * (1.0 - np.abs(s.valence[u] - c.valence[it]) / 2.0)
    value = 1.0 - np.abs(s.opinion[u] - c.stance[it]) / 2.0
    proof = np.zeros(m)
    if strategy.comments_visible:
        proof = np.where(focal, social_proof(c.comments[it]), 0.0)
    # w_proof stays in the denominator when comments are invisible, so that visible
    # comments can only add resonance (one_way's resonance tops out at 3/3.5 by default)
    wsum = p.w_trust + p.w_emotion + p.w_value + p.w_proof
    res = (p.w_trust * trust + p.w_emotion * emotion + p.w_value * value + p.w_proof * proof) / max(
        wsum, 1e-12
    )
    like = draws[0] < np.minimum(1.0, 2.0 * p.base_like * res)
    comment = draws[1] < np.minimum(1.0, 2.0 * p.base_comment * res)
    friction = np.where(focal, strategy.forward_friction, np.where(outlet, BROADCAST_FRICTION, 0.0))
    rule = world.rules["forwarding"]
    p_fwd = rule.probability(p, res, emotion)
    forward = draws[2] < p_fwd * (1.0 - friction)
    late = None
    if hasattr(rule, "adopt"):  # rules that remember what users saw (model/rules/spreading.py)
        forward, late = rule.adopt(world, t, v, draws[2], 1.0 - friction)
    c.count("likes", it[like])
    c.count("comments", it[comment])
    c.count("forwards", it[forward])
    gf = g[focal]
    s.last_focal_engage[u[focal & (like | comment | forward)]] = t
    world.engaged_by += np.stack(
        [np.bincount(gf[x[focal]], minlength=4) for x in (like, comment, forward)], axis=1
    )
    # every forward is logged (item, forwarder, the user it came from, step): forwards are
    # few next to views, so this costs little even at 10^6 users
    parent = np.where((kind == USER) & (src == v.source_user), -1, v.source_user)
    fu, fi, fp = u[forward], it[forward], parent[forward]
    if late is not None and len(late[0]):  # adoptions without a view (the rule's own)
        c.count("forwards", late[1])
        fu, fi, fp = (np.concatenate([a, b]) for a, b in zip((fu, fi, fp), late, strict=True))
    if getattr(rule, "broadcast", True):
        world.outbox.queue_shares(fu, fi)
    world.forward_log.append(fi, fu, fp, np.full(len(fu), t))
    # engaged non-followers may start following the focal outlet
    engaged = focal & (like | comment) & ~s.follows[u, 0] & (draws[3] < p.follow_prob)
    s.follows[u[engaged], 0] = True
    return Reactions(
        res=res,
        trust=trust,
        focal=focal,
        outlet=outlet,
        like=like,
        comment=comment,
        forward=forward,
        emotion=emotion,
    )
