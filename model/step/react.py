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

The per-view arithmetic runs in three compiled kernels (:func:`_judge`: resonance, likes and
comments; :func:`_forwards`: the forward decision from the rule's probability;
:func:`_tally`: comment stance and tone, the item counters, the tallies and the new follows),
so a step costs a few calls whatever the number of views. They follow the array functions
below (:func:`emotional_match`, :func:`outrage_odds`, :func:`p_uncivil`,
:func:`model.content.item_proof`, :func:`model.rules.forwarding.friction_of`) operation by
operation, rounding to float32 where numpy does, so the results are the same bits
(tests/unit/test_react_kernels.py). The uniforms are drawn by the phase's generators outside
the kernels, in the same order and sizes as ever.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from model import jit, portable
from model.content import OUTLET, PROOF_MIN_VIEWS, USER
from model.fatigue import decay_factor, decayed, load_keep
from model.jit import expit, njit
from model.measures.calibration import record_comments
from model.step.records import Reactions, Views
from model.topics import tally, topics_on

if TYPE_CHECKING:
    from model.world import World

__all__ = ["decayed", "emotional_match", "load_keep", "outrage_odds", "p_uncivil", "react"]


def p_uncivil(params, disagreement: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """sigma(logit(incivility) + b_dis disagreement + b_ar (arousal - 0.5)) (docs/ODD.md 7.9)."""
    z = (
        _incivility_logit(params)
        + params.incivility_disagreement * disagreement
        + params.incivility_arousal * (arousal - 0.5)
    )
    return portable.expit(z)


def _incivility_logit(params) -> float:
    """logit(incivility), -inf for none."""
    inc = params.incivility
    return math.log(inc / (1.0 - inc)) if inc > 0 else -math.inf


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


# The kernels' float parameters, one array (positions below): numpy rounds a Python float to
# float32 where it meets a float32 array, and the kernels do the same with the entries marked.
(
    _W_TRUST,  # meets float32 trust
    _W_EMOTION,
    _W_VALUE,
    _W_PROOF,
    _W_DEN,
    _NEG_EMOTION,  # meets float32 valence
    _LOG_KEEP,
    _SATURATION,
    _TWO_LIKE,
    _TWO_COMMENT,
    _COMMENT_DIS,
    _SHARE_FRICTION,
    _TERMS,  # meets float32 outrage
    _LOG_BOOST,
    _NEGATIVITY,
    _PROOF_SHARE,
    _FOLLOW_PROB,
    _INC_BASE,
    _INC_DIS,
    _INC_AR,  # meets float32 arousal
    _N_COEF,
) = range(21)


#: Entries of the kernels' caches of powers (a power of two).
_CACHE = 1024


#: The last Params' coefficients: a run asks for the same (immutable) Params every step.
_LAST: tuple = (None, None)


def _coefficients(p) -> np.ndarray:
    """The kernels' float parameters of ``p`` (read only; computed once per Params)."""
    global _LAST
    last = _LAST  # one read: another thread may replace it
    if last[0] is p:
        return last[1]
    coef = np.empty(_N_COEF)
    wsum = p.w_trust + p.w_emotion + p.w_value
    if p.comments_visible:
        wsum += p.w_proof
    coef[_W_TRUST], coef[_W_EMOTION], coef[_W_VALUE] = p.w_trust, p.w_emotion, p.w_value
    coef[_W_PROOF], coef[_W_DEN] = p.w_proof, max(wsum, 1e-12)
    coef[_NEG_EMOTION] = p.negativity_emotion
    coef[_LOG_KEEP] = jit.log(load_keep(p))
    coef[_SATURATION] = p.fatigue_saturation
    coef[_TWO_LIKE], coef[_TWO_COMMENT] = 2.0 * p.base_like, 2.0 * p.base_comment
    coef[_COMMENT_DIS], coef[_SHARE_FRICTION] = p.comment_disagreement, p.share_friction
    coef[_TERMS], coef[_LOG_BOOST] = p.outrage_terms, jit.log(p.outgroup_boost)
    coef[_NEGATIVITY], coef[_PROOF_SHARE] = p.negativity_weight, p.proof_share
    coef[_FOLLOW_PROB], coef[_INC_BASE] = p.follow_prob, _incivility_logit(p)
    coef[_INC_DIS], coef[_INC_AR] = p.incivility_disagreement, p.incivility_arousal
    coef.flags.writeable = False
    _LAST = (p, coef)
    return coef


@njit
def _proof(sup0, crit0, unc0, rem, rem_crit, rem_unc, replies, views, x, negativity, share):
    """Signed social proof of item ``x``: model.content.item_proof's arithmetic, one item."""
    crit = crit0[x] - rem_crit[x]
    sup = sup0[x] - (rem[x] - rem_crit[x])
    unc = unc0[x] - rem_unc[x]
    rep = float(replies[x])
    s = float(sup) + rep
    neg = negativity * (float(crit) + float(unc))
    n = (float(sup) + float(crit)) + rep
    tot = s + neg
    sign = (s - neg) / tot if tot > 0 else 0.0
    size = min(1.0, n / (share * max(float(views[x]), PROOF_MIN_VIEWS)))
    return sign * size


@njit
def _judge(
    u, it, src_user, draws, kind_of, source_of, intensity, ivalence, stance, outrage,
    gen, trust_media, trust_peers, uvalence, opinion, load, load_last, reactivity, share_prompt,
    thread, views, coef, t, visible,
):  # fmt: skip
    """Per view: trust, emotion, proof, resonance, like and comment, 1 - friction and the
    outrage multiplier (``mult``, outlets' items only); comment positions."""
    m = u.shape[0]
    res = np.empty(m)
    trust = np.empty(m, np.float32)
    emotion = np.empty(m)
    proof = np.zeros(m)
    dist = np.empty(m)
    outlet = np.empty(m, np.bool_)
    focal = np.empty(m, np.bool_)
    like = np.empty(m, np.bool_)
    comment = np.empty(m, np.bool_)
    keep = np.empty(m)
    mult = np.ones(m)
    w_trust = np.float32(coef[_W_TRUST])
    neg_emotion = np.float32(coef[_NEG_EMOTION])
    terms = np.float32(coef[_TERMS])
    sup0, crit0, unc0, rem, rem_crit, rem_unc, replies = thread
    # the thread's proof (by item) and the two powers (load decay by age, outrage multiplier
    # by item) repeat across views: a direct-mapped cache of each computes every distinct one
    # about once (the thread's counters do not change during the kernel)
    age_key = np.full(_CACHE, -1, np.int64)
    age_fac = np.empty(_CACHE)
    item_key = np.full(_CACHE, -1, np.int64)
    item_mult = np.empty(_CACHE)
    proof_key = np.full(_CACHE, -1, np.int64)
    item_proof = np.empty(_CACHE)
    n_comments = 0
    for i in range(m):
        x, a = it[i], u[i]
        is_out = kind_of[x] == OUTLET
        col = source_of[x] if is_out else 0
        outlet[i] = is_out
        focal[i] = is_out and col == 0
        # float32 as in numpy: sqrt of a float32 product (double rounding of one correctly
        # rounded operation through float64 is exact for float32, so casts stand in for it)
        tm, tp = trust_media[a, col], trust_peers[a]
        if is_out:
            tr = np.float32(math.sqrt(np.float32(tm * tp))) if src_user[i] >= 0 else tm
        else:
            tr = tp
        trust[i] = tr
        iv = ivalence[x]
        match = np.float32(1.0 - np.float32(abs(np.float32(uvalence[a] - iv)) / 2.0))
        neg = np.float32(neg_emotion * np.float32(max(np.float32(0.0), -iv)))
        emo = float(intensity[x]) * reactivity[gen[a]] * min(1.0, float(np.float32(match + neg)))
        emotion[i] = emo
        d = abs(opinion[a] - float(stance[x]))
        dist[i] = d
        num = float(np.float32(w_trust * tr)) + coef[_W_EMOTION] * emo
        num = num + coef[_W_VALUE] * (1.0 - d / 2.0)
        if visible:
            slot = x & (_CACHE - 1)
            if proof_key[slot] != x:
                proof_key[slot] = x
                item_proof[slot] = _proof(
                    sup0, crit0, unc0, rem, rem_crit, rem_unc, replies, views, x,
                    coef[_NEGATIVITY], coef[_PROOF_SHARE],
                )  # fmt: skip
            pr = item_proof[slot]
            proof[i] = pr
            num = num + coef[_W_PROOF] * (1.0 + pr) / 2.0
        r = num / coef[_W_DEN]
        if is_out:
            age = t - load_last[a, col]
            slot = age & (_CACHE - 1)
            if age_key[slot] != age:
                age_key[slot] = age
                age_fac[slot] = decay_factor(coef[_LOG_KEEP], float(age))
            ld = float(load[a, col]) * age_fac[slot]
            r = r / (1.0 + ld / coef[_SATURATION])
            keep[i] = 1.0 - max(0.0, coef[_SHARE_FRICTION] - share_prompt[col])
            slot = x & (_CACHE - 1)
            if item_key[slot] != x:
                item_key[slot] = x
                # boost^(terms x outrage), with terms x outrage in float32 as numpy has it
                e = float(np.float32(terms * outrage[x]))
                item_mult[slot] = decay_factor(coef[_LOG_BOOST], e)
            mult[i] = item_mult[slot]
        else:
            keep[i] = 1.0
        res[i] = r
        like[i] = draws[0, i] < min(1.0, coef[_TWO_LIKE] * r)
        p_comment = coef[_TWO_COMMENT] * r * (1.0 + coef[_COMMENT_DIS] * d / 2.0)
        c = draws[1, i] < min(1.0, p_comment)
        comment[i] = c
        if c:
            n_comments += 1
    ci = np.empty(n_comments, np.int64)
    j = 0
    for i in range(m):
        if comment[i]:
            ci[j] = i
            j += 1
    return res, trust, emotion, proof, dist, outlet, focal, like, comment, keep, mult, ci


@njit
def _forwards(p_fwd, draw, outlet, mult, keep):
    """Forward flags: the rule's probability, raised by outrage on outlets' items
    (:func:`outrage_odds`) and by creator appeal on users' posts (:func:`_appeal`), times
    1 - friction, against the view's forward uniform."""
    m = p_fwd.shape[0]
    forward = np.empty(m, np.bool_)
    for i in range(m):
        q = p_fwd[i]
        # a creator's appeal puts a multiplier on a user's post too (1.0 unless it is on)
        if (outlet[i] or mult[i] != 1.0) and q < 1.0:
            odds = q / max(1.0 - q, 1e-12)
            q = odds * mult[i] / (1.0 + odds * mult[i])
        elif outlet[i]:
            q = 1.0
        forward[i] = draw[i] < q * keep[i]
    return forward


@njit
def _appeal(it, kind_of, appeal, res, like_draw, two_like, like, mult):
    """Creator appeal on users' posts (docs/ODD.md 7.18): for a view of a post whose appeal
    ln a is not 0, the like probability q = min(1, 2 base_like r) becomes a q / (1 - q + a q)
    (its odds times a; 1 stays 1) against the view's like uniform, and the forward odds
    multiplier ``mult`` becomes a (:func:`_forwards` applies it). Views of outlets' items and
    of neutral posts keep what :func:`_judge` decided."""
    for i in range(it.shape[0]):
        x = it[i]
        if kind_of[x] == OUTLET or appeal[x] == 0.0:
            continue
        a = math.exp(float(appeal[x]))
        q = min(1.0, two_like * res[i])
        if q < 1.0:
            q = a * q / (1.0 - q + a * q)
        like[i] = like_draw[i] < q
        mult[i] = a


@njit
def _tally(
    u, it, src_user, kind_of, source_of, gen, focal, like, comment, forward, ci, dist,
    epsilon, arousal, tone, follow_draw, follows, last_engage, likes, comments, forwards,
    n_critical, n_supportive, n_uncivil, engaged_by, focal_forwards_by, t, coef,
):  # fmt: skip
    """Each comment's stance and tone (:func:`p_uncivil`), the item counters, the focal
    tallies and the new follows of the focal outlet; the forwards as (users, items, parents)
    and each comment's user and whether it is on an outlet's item and on the focal outlet's."""
    nc = ci.shape[0]
    critical = np.empty(nc, np.bool_)
    uncivil = np.empty(nc, np.bool_)
    c_user = np.empty(nc, np.int64)
    c_outlet = np.empty(nc, np.bool_)
    c_focal = np.empty(nc, np.bool_)
    ar = np.float32(coef[_INC_AR])
    inc_base, inc_dis, follow_prob = coef[_INC_BASE], coef[_INC_DIS], coef[_FOLLOW_PROB]
    for j in range(nc):
        i = ci[j]
        a, x = u[i], it[i]
        c_user[j], c_outlet[j], c_focal[j] = a, kind_of[x] == OUTLET, focal[i]
        crit = dist[i] > epsilon[a]
        critical[j] = crit
        z = inc_base + inc_dis * (dist[i] / 2.0)
        z = z + float(np.float32(ar * np.float32(arousal[a] - np.float32(0.5))))
        unc = tone[j] < expit(z)
        uncivil[j] = unc
        if crit:
            n_critical[x] += 1
        else:
            n_supportive[x] += 1
        if unc:
            n_uncivil[x] += 1
    m = u.shape[0]
    nf = 0
    for i in range(m):
        x = it[i]
        if like[i]:
            likes[x] += 1
        if comment[i]:
            comments[x] += 1
        if forward[i]:
            forwards[x] += 1
            nf += 1
        if focal[i]:
            a = u[i]
            g = gen[a]
            if like[i] or comment[i] or forward[i]:
                last_engage[a] = t
            engaged_by[g, 0] += like[i]
            engaged_by[g, 1] += comment[i]
            engaged_by[g, 2] += forward[i]
            focal_forwards_by[g] += forward[i]
            # engaged non-followers may follow (the flag is set, so a second view is a no-op)
            if (like[i] or comment[i]) and not follows[a, 0] and follow_draw[i] < follow_prob:
                follows[a, 0] = True
    fu = np.empty(nf, np.int64)
    fi = np.empty(nf, np.int64)
    fp = np.empty(nf, np.int64)
    j = 0
    for i in range(m):
        if forward[i]:
            x = it[i]
            fu[j], fi[j] = u[i], x
            # a user's own post forwarded from its own share has no parent
            own = kind_of[x] == USER and source_of[x] == src_user[i]
            fp[j] = -1 if own else src_user[i]
            j += 1
    return critical, uncivil, fu, fi, fp, c_user, c_outlet, c_focal


def react(world: World, t: int, v: Views) -> Reactions:
    """Like, comment, forward and follow for each view: four uniforms per view, one per comment."""
    p, s, c = world.params, world.state, world.content
    u, it, su = v.user, v.item, v.source_user
    draws = world.streams["react"].random((4, len(u)))
    coef = _coefficients(p)
    kind_of, source_of = c.source_kind, c.source
    thread = (
        c.supportive, c.critical, c.uncivil, c.removed, c.removed_critical, c.removed_uncivil,
        c.replies,
    )  # fmt: skip
    res, trust, emotion, proof, dist, outlet, focal, like, comment, keep, mult, ci = _judge(
        u, it, su, draws, kind_of, source_of, c.intensity, c.valence, c.stance, c.outrage,
        s.gen, s.trust_media, s.trust_peers, s.valence, s.opinion, s.load, s.load_last,
        world.prof["reactivity"], world.outlet["share_prompt"], thread, c.views,
        coef, t, p.comments_visible,
    )  # fmt: skip
    if p.creator_sigma > 0 or p.creator >= 0:
        _appeal(it, kind_of, c.appeal, res, draws[0], coef[_TWO_LIKE], like, mult)
    rule = world.rules.forwarding
    p_fwd = np.ascontiguousarray(rule.probability(p, res, emotion), dtype=np.float64)
    forward = _forwards(p_fwd, draws[2], outlet, mult, keep)
    # rules that remember what users saw decide the forwards themselves (model/rules/spreading.py)
    forward, late = rule.adopt(world, t, v, draws[2], keep, forward)
    # the comments' tone: one uniform each
    tone = world.streams["tone"].random(len(ci))
    critical, uncivil, fu, fi, fp, cu, c_outlet, c_focal = _tally(
        u, it, su, kind_of, source_of, s.gen, focal, like, comment, forward, ci, dist,
        s.epsilon, s.arousal, tone, draws[3], s.follows, s.last_focal_engage,
        c.likes, c.comments, c.forwards, c.critical, c.supportive, c.uncivil,
        world.engaged_by, world.focal_forwards_by, t, coef,
    )  # fmt: skip
    if len(late[0]):  # adoptions without a view (the rule's own)
        lu, li, lp = late
        c.count("forwards", li)
        own = (c.source_kind[li] == OUTLET) & (c.source[li] == 0)
        world.focal_forwards_by += np.bincount(s.gen[lu[own]], minlength=4)
        fu, fi, fp = (np.concatenate([a, b]) for a, b in zip((fu, fi, fp), late, strict=True))
    if rule.broadcast:
        world.outbox.queue_shares(fu, fi)
    # every forward is logged (item, forwarder, the user it came from, step): forwards are
    # few next to views, so this costs little even at 10^6 users
    world.forward_log.append(fi, fu, fp, np.full(len(fu), t))
    if topics_on(world.params):  # comments per (cohort, topic) for the topic measures
        tally(world.topics.comments_by, s.gen, cu, c.topic, it[ci])
    # who commented on what, per user, for the calibration targets (model/measures/calibration.py)
    record_comments(world, t, cu, c_outlet, c_focal)
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
