"""Phase 5: state updates (docs/ODD.md 7.10, 7.11).

Bounded confidence toward content (Deffuant et al. 2000), weighted by trust and averaged over
the step's views; outlet trust and belonging; peer trust; emotion; belonging decay and
community belonging; rounds of Deffuant peer exchange between disjoint pairs (the peer-mixing
rule chooses the pairs); emotion and following by their rules (churn by default); clipping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.step.records import Reactions, Views

if TYPE_CHECKING:
    from model.world import World


def update(world: World, t: int, v: Views, r: Reactions) -> None:
    """Update users' opinion, trust, belonging, emotion and follows after the step's views."""
    p, s, c = world.params, world.state, world.content
    n = world.n_users
    u, it = v.user, v.item
    stance = c.stance[it].astype(np.float64)
    diff = stance - s.opinion[u]
    inside = np.abs(diff) < s.epsilon[u]
    # bounded confidence toward content, weighted by trust (averaged over the step's views)
    if len(u):
        s.opinion += world.rules["opinion"].content_pull(world, u, diff, inside, r.trust)
    # trust in outlets moves toward the outcome: a value match (times quality) or a mismatch
    out = r.outlet
    if out.any():
        k = c.source[it[out]].astype(np.int64)
        key = u[out] * world.n_outlets + k
        y = np.where(inside[out], c.quality[it[out]], 0.0)
        cnt = np.bincount(key, minlength=n * world.n_outlets)
        tot = np.bincount(key, weights=y, minlength=n * world.n_outlets)
        tm = s.trust_media.reshape(-1)
        seen = np.flatnonzero(cnt)
        tm[seen] += p.trust_rate * (tot[seen] / cnt[seen] - tm[seen])
        # belonging grows with resonant contact with the outlet's content
        b = s.belonging.reshape(-1)
        gain = np.bincount(key, weights=r.res[out], minlength=n * world.n_outlets)[seen]
        b[seen] += (p.belonging_gain * gain * (1.0 - b[seen])).astype(np.float32)
    fwd_view = v.source_user >= 0
    if fwd_view.any():
        uf = u[fwd_view]
        cnt = np.bincount(uf, minlength=n)
        y = np.bincount(uf, weights=inside[fwd_view].astype(np.float64), minlength=n)
        seen = cnt > 0
        s.trust_peers[seen] += (
            0.5 * p.trust_rate * (y[seen] / cnt[seen] - s.trust_peers[seen])
        ).astype(np.float32)
    # emotion: the emotion rule (relaxation to baseline pulled by what was consumed, or
    # collective emotions; model/rules/emotion.py)
    world.rules["emotion"].update(world, t, v, world.streams["emotion"])
    # belonging decays; active community members keep each other close
    s.belonging *= np.float32(1.0 - p.belonging_decay)
    if world.strategy.community:
        members = s.community & (s.last_active == t)
        s.belonging[members, 0] += np.float32(p.community_gain) * (1 - s.belonging[members, 0])
    # peer exchange (Deffuant): disjoint random pairs per round, so the order inside a round
    # does not matter and the vectorised update is the sequential model's; or the opinion rule's
    peer_round = world.rules["opinion"].peer_round
    for _ in range(p.peer_rounds):
        if peer_round is None:
            _peer_round(world)
        else:
            peer_round(world, world.streams["peer"])
    # following: churn, or a voter rule (model/rules/following.py)
    world.rules["following"].update(world, world.streams["update"])
    _clip(world)


def _peer_round(world: World) -> None:
    """One round of Deffuant exchange: participants with ``peer_prob``, pairs from the rule."""
    p, s = world.params, world.state
    if p.peer_prob <= 0:
        return
    rng = world.streams["peer"]
    n = world.n_users
    part = np.flatnonzero(rng.random(n) < p.peer_prob)
    a, b = world.rules["peer_choice"].pairs(rng, part, world)
    if len(a) == 0:
        return
    xa, xb = s.opinion[a], s.opinion[b]
    d = xb - xa
    move_a = np.abs(d) < s.epsilon[a]
    move_b = np.abs(d) < s.epsilon[b]
    s.opinion[a] = np.where(move_a, xa + p.peer_mu * d, xa)
    s.opinion[b] = np.where(move_b, xb - p.peer_mu * d, xb)


def _clip(world: World) -> None:
    s = world.state
    np.clip(s.opinion, -1, 1, out=s.opinion)
    np.clip(s.trust_media, 0, 1, out=s.trust_media)
    np.clip(s.trust_peers, 0, 1, out=s.trust_peers)
    np.clip(s.valence, -1, 1, out=s.valence)
    np.clip(s.arousal, 0, 1, out=s.arousal)
    np.clip(s.belonging, 0, 1, out=s.belonging)
