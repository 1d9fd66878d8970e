"""Phase 4: reactions (docs/ODD.md 7.9).

Every view is judged on the state at the start of the step: resonance weighs trust in the
source, emotional resonance (negative items resonate more), value match and, when the platform
shows comments, the thread's signed social proof; resonance to an outlet's items is damped by
the viewer's exposure load from that outlet (fatigue). Likes, comments and forwards are each
more likely with resonance; disagreement also drives commenting; each comment is supportive or
critical (outside the commenter's confidence bound) and civil or uncivil. The forward
probability comes from the forwarding rule, raised by outrage (Rathje et al. 2021) and reduced
by the platform's share friction. Forwards are queued for delivery at the next step and logged;
engaged non-followers may start following the focal outlet.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from model import portable
from model.content import OUTLET, USER, item_proof
from model.fatigue import decayed, load_keep
from model.rules.forwarding import friction_of
from model.step.records import Reactions, Views

if TYPE_CHECKING:
    from model.world import World


def p_uncivil(params, disagreement: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """sigma(logit(incivility) + b_dis disagreement + b_ar (arousal - 0.5)) (docs/ODD.md 7.9)."""
    base = (
        math.log(params.incivility / (1.0 - params.incivility))
        if params.incivility > 0
        else -math.inf
    )
    z = (
        base
        + params.incivility_disagreement * disagreement
        + params.incivility_arousal * (arousal - 0.5)
    )
    return portable.expit(z)


def outrage_odds(p_fwd: np.ndarray, outrage: np.ndarray, params) -> np.ndarray:
    """Forward probability with its odds multiplied by boost^(terms x outrage) (Rathje 2021)."""
    mult = portable.power(params.outgroup_boost, params.outrage_terms * outrage)
    odds = p_fwd / np.maximum(1.0 - p_fwd, 1e-12)
    return np.where(p_fwd >= 1.0, 1.0, odds * mult / (1.0 + odds * mult))


def emotional_match(intensity, reactivity, user_valence, item_valence, params) -> np.ndarray:
    """intensity x reactivity x min(1, 1 - |dv| / 2 + nu_neg max(0, -v_item)), in [0, 1]."""
    match = 1.0 - np.abs(user_valence - item_valence) / 2.0
    neg = params.negativity_emotion * np.maximum(0.0, -item_valence)
    return intensity * reactivity * np.minimum(1.0, match + neg)


def react(world: World, t: int, v: Views) -> Reactions:
    """Like, comment, forward and follow for each view: four uniforms per view, one per comment."""
    p, s, c = world.params, world.state, world.content
    rng = world.streams["react"]
    u, it = v.user, v.item
    m = len(u)
    draws = rng.random((4, m))
    kind, src = c.source_kind[it], c.source[it]
    outlet = kind == OUTLET
    focal = outlet & (src == 0)
    g = s.gen[u]
    col = np.where(outlet, src, 0).astype(np.int64)
    t_media = s.trust_media[u, col]
    forwarded = v.source_user >= 0
    # trust in the source: the outlet, or (for a forward) outlet and forwarder together
    trust = np.where(
        outlet,
        np.where(forwarded, np.sqrt(t_media * s.trust_peers[u]), t_media),
        s.trust_peers[u],
    )
    reactivity = world.prof["reactivity"][g]
    emotion = emotional_match(c.intensity[it], reactivity, s.valence[u], c.valence[it], p)
    dist = np.abs(s.opinion[u] - c.stance[it])
    value = 1.0 - dist / 2.0
    num = p.w_trust * trust + p.w_emotion * emotion + p.w_value * value
    wsum = p.w_trust + p.w_emotion + p.w_value
    proof = np.zeros(m)
    if p.comments_visible:
        # signed proof enters as (1 + P) / 2 in [0, 1]; hidden comments drop out entirely
        proof = item_proof(c, it, p)
        num = num + p.w_proof * (1.0 + proof) / 2.0
        wsum += p.w_proof
    res = num / max(wsum, 1e-12)
    # fatigue: the response to an outlet's items habituates with recent exposure to it
    load = decayed(s.load[u, col], s.load_last[u, col], t, load_keep(p))
    res = np.where(outlet, res / (1.0 + load / p.fatigue_saturation), res)
    like = draws[0] < np.minimum(1.0, 2.0 * p.base_like * res)
    p_comment = 2.0 * p.base_comment * res * (1.0 + p.comment_disagreement * dist / 2.0)
    comment = draws[1] < np.minimum(1.0, p_comment)
    friction = friction_of(world, it)
    rule = world.rules.forwarding
    p_fwd = rule.probability(p, res, emotion)
    p_fwd = np.where(outlet, outrage_odds(p_fwd, c.outrage[it], p), p_fwd)
    forward = draws[2] < p_fwd * (1.0 - friction)
    # rules that remember what users saw decide the forwards themselves (model/rules/spreading.py)
    forward, late = rule.adopt(world, t, v, draws[2], 1.0 - friction, forward)
    # the comments' stance (outside the commenter's bound: critical) and tone (one draw each)
    ci = np.flatnonzero(comment)
    critical = dist[ci] > s.epsilon[u[ci]]
    tone = world.streams["tone"].random(len(ci))
    uncivil = tone < p_uncivil(p, dist[ci] / 2.0, s.arousal[u[ci]])
    c.count("likes", it[like])
    c.count("comments", it[comment])
    c.count("forwards", it[forward])
    c.count("critical", it[ci[critical]])
    c.count("supportive", it[ci[~critical]])
    c.count("uncivil", it[ci[uncivil]])
    gf = g[focal]
    s.last_focal_engage[u[focal & (like | comment | forward)]] = t
    world.engaged_by += np.stack(
        [np.bincount(gf[x[focal]], minlength=4) for x in (like, comment, forward)], axis=1
    )
    # every forward is logged (item, forwarder, the user it came from, step): forwards are
    # few next to views, so this costs little even at 10^6 users
    parent = np.where((kind == USER) & (src == v.source_user), -1, v.source_user)
    fu, fi, fp = u[forward], it[forward], parent[forward]
    if len(late[0]):  # adoptions without a view (the rule's own)
        c.count("forwards", late[1])
        fu, fi, fp = (np.concatenate([a, b]) for a, b in zip((fu, fi, fp), late, strict=True))
    fwd_focal = (c.source_kind[fi] == OUTLET) & (c.source[fi] == 0)
    world.focal_forwards_by += np.bincount(s.gen[fu[fwd_focal]], minlength=4)
    if rule.broadcast:
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
        proof=proof,
        comment_idx=ci,
        critical=critical,
        uncivil=uncivil,
    )
