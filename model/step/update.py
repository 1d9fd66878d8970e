"""Phase 5: state updates (docs/ODD.md 7.10, 7.11).

Bounded confidence toward content (Deffuant et al. 2000), weighted by trust and averaged over
the step's views; the nasty effect of visible uncivil threads (Anderson et al. 2014: viewers
polarise, away from the centre); trust in outlets as Beta evidence (:mod:`model.trust`: value
match x quality, mismatch, outrage seen by those who disagree, uncivil threads, critical threads
seen by distrusting viewers); belonging
(gains from accepted contact, losses from rejected or uncivil contact); exposure load
(fatigue); the exposure-based echo chamber tallies; peer trust; emotion; belonging decay and
belonging from community contact; rounds of peer influence by the opinion rule (by default Deffuant exchange
between disjoint pairs the peer-choice and peer-mixing rules choose); emotion and following by their rules (by default relaxation, and
churn from the focal outlet: low belonging and trust, or overload); users following and
unfollowing users by the user follow rule (7.19; off by default); clipping to the state's
bounds.

The arithmetic runs in compiled kernels (:mod:`model.jit`), one per part, each a loop over the
views or the users that does what the former numpy expressions did, operation by operation and
in their dtypes (float32 where numpy computed a float32 array with a Python float), so the
results are the same bits. Sums over a user's or a pair's views add in the views' order, as
``np.bincount`` does. The file is over 400 lines because each part's kernel stays next to the
phase that calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import jit
from model.content import USER
from model.fatigue import load_keep
from model.step.records import Reactions, Views
from model.trust import (
    decay,
    decay_table,
    evidence_pair,
    keep_per_step,
    scalar_power,
    stable_order,
)

if TYPE_CHECKING:
    from model.world import World


@jit.njit
def view_distance(
    u: np.ndarray,
    it: np.ndarray,
    stance: np.ndarray,
    opinion: np.ndarray,
    epsilon: np.ndarray,
    seen_distance: np.ndarray,
    seen_count: np.ndarray,
    tot: np.ndarray,
    cnt: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each view's stance - opinion and whether it is inside the viewer's bound; adds each
    viewer's summed |diff| and view count to the echo-chamber tallies.

    ``tot`` (float64) and ``cnt`` (int64) are per-user scratch, all zero on entry and left all
    zero (only the viewers' entries are touched: the cost follows the views, not the users).
    """
    m = u.shape[0]
    diff = np.empty(m)
    inside = np.empty(m, dtype=np.bool_)
    for j in range(m):
        i = u[j]
        d = np.float64(stance[it[j]]) - opinion[i]
        diff[j] = d
        inside[j] = abs(d) < epsilon[i]
        tot[i] += abs(d)
        cnt[i] += 1
    for j in range(m):
        i = u[j]
        if cnt[i] > 0:
            seen_distance[i] += tot[i]
            seen_count[i] += cnt[i]
            tot[i] = 0.0
            cnt[i] = 0
    return diff, inside


@jit.njit
def thread_shares_kernel(
    it: np.ndarray,
    supportive: np.ndarray,
    critical: np.ndarray,
    uncivil: np.ndarray,
    removed: np.ndarray,
    removed_critical: np.ndarray,
    removed_uncivil: np.ndarray,
    replies: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """model.content.thread_shares of each viewed item: the visible thread's uncivil and
    critical shares (0 for an empty thread)."""
    m = it.shape[0]
    unc = np.zeros(m)
    crit = np.zeros(m)
    for j in range(m):
        i = it[j]
        cr = critical[i] - removed_critical[i]
        sup = supportive[i] - (removed[i] - removed_critical[i])
        tot = np.float64(sup + cr + replies[i])
        if tot > 0:
            unc[j] = np.float64(uncivil[i] - removed_uncivil[i]) / tot
            crit[j] = np.float64(cr) / tot
    return unc, crit


@jit.njit
def sign(x: float) -> float:
    """np.sign: -1, 0 or 1 (+0 for -0), nan for nan."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x


@jit.njit
def nasty_push(
    u: np.ndarray,
    unc: np.ndarray,
    opinion: np.ndarray,
    rate: float,
    tot: np.ndarray,
    cnt: np.ndarray,
) -> None:
    """x += rate push sign(x) (1 - |x|), push the viewer's mean uncivil share over its views.

    Only viewers move (a push of 0 adds +-0, which leaves x as it is, but turns -0 into +0: a
    user without views keeps a -0). ``tot`` and ``cnt``: per-user scratch, zero on entry and
    on return.
    """
    for j in range(u.shape[0]):
        tot[u[j]] += unc[j]
        cnt[u[j]] += 1
    for j in range(u.shape[0]):
        i = u[j]
        if cnt[i] > 0:
            push = tot[i] / cnt[i]
            x = opinion[i]
            opinion[i] = x + rate * push * sign(x) * (1.0 - abs(x))
            tot[i] = 0.0
            cnt[i] = 0


@jit.njit
def outlet_views(
    u: np.ndarray,
    it: np.ndarray,
    is_outlet: np.ndarray,
    inside: np.ndarray,
    unc: np.ndarray,
    crit: np.ndarray,
    res: np.ndarray,
    source: np.ndarray,
    quality: np.ndarray,
    outrage: np.ndarray,
    trust_media: np.ndarray,
    trust_pos: np.ndarray,
    trust_neg: np.ndarray,
    trust_last: np.ndarray,
    trust0: np.ndarray,
    belonging: np.ndarray,
    load: np.ndarray,
    load_last: np.ndarray,
    coef: np.ndarray,
    t: int,
    k_out: int,
    trust_table: np.ndarray,
    load_table: np.ndarray,
) -> None:
    """Views of outlets' items: trust evidence, belonging gained and lost, exposure load.

    ``coef`` holds view_evidence, outrage_trust, nasty_trust, critical_trust,
    reply_backfire_trust, belonging_gain, belonging_loss, trust keep per step, trust prior and
    load keep per step. The (user x outlet) arrays are flat.
    """
    ve, outrage_trust, nasty_trust, critical_trust = coef[0], coef[1], coef[2], coef[3]
    backfire, gain_rate, loss = np.float32(coef[4]), coef[5], coef[6]
    trust_keep, prior, load_keep_ = coef[7], coef[8], coef[9]
    outrage32 = np.float32(outrage_trust)
    out = np.flatnonzero(is_outlet)
    m = out.shape[0]
    if m == 0:
        return
    key = np.empty(m, dtype=np.int64)
    for j in range(m):
        v = out[j]
        key[j] = u[v] * k_out + np.int64(source[it[v]])
    # per (user, outlet) pair: trust evidence, belonging and load; sums in view order, as
    # np.bincount (numpy added all evidence before any belonging: they touch other arrays).
    # A pair's trust is read before its own evidence is added, as when numpy read them all
    # first; the decay factors come from the tables (model.trust.decay's bits)
    order = stable_order(key)
    ltrust = jit.log(trust_keep)
    prior32 = np.float32(prior)
    lloss = jit.log(1.0 - loss)
    lload = jit.log(load_keep_)
    n_trust, n_load = trust_table.shape[0], load_table.shape[0]
    j = 0
    while j < m:
        kk = key[order[j]]
        cynic = trust_media[kk] < backfire
        cnt = 0
        dp = 0.0
        dn = 0.0
        gain = 0.0
        lost = 0.0
        while j < m and key[order[j]] == kk:
            v = out[order[j]]
            q = np.float64(quality[it[v]])
            if inside[v]:
                dp += ve * q
                ng = ve * (1.0 - q) + 0.0
            else:
                dp += 0.0
                ng = ve + np.float64(outrage32 * outrage[it[v]])
            ng = ng + nasty_trust * unc[v]
            # + 0.0 where numpy added np.where's 0: the same bits (x + 0.0 is x for x != -0.0)
            dn += ng + (critical_trust * crit[v] if cynic else 0.0)
            gain += res[v] if inside[v] else 0.0
            lost += (0.0 if inside[v] else 1.0) + unc[v]
            cnt += 1
            j += 1
        a = t - trust_last[kk]
        fac = trust_table[a] if 0 <= a < n_trust else decay(trust_table, trust_keep, ltrust, a)
        trust_pos[kk], trust_neg[kk], trust_media[kk] = evidence_pair(
            trust_pos[kk], trust_neg[kk], trust0[kk], fac, dp, dn, prior32
        )
        trust_last[kk] = t
        b = belonging[kk]
        bs = np.float64(b) + gain_rate * min(gain, 1.0) * np.float64(np.float32(1.0) - b)
        belonging[kk] = np.float32(bs * scalar_power(1.0 - loss, lloss, lost))
        a = t - load_last[kk]
        fac = load_table[a] if 0 <= a < n_load else decay(load_table, load_keep_, lload, a)
        load[kk] = np.float32(np.float64(load[kk]) * fac + cnt)
        load_last[kk] = t


@jit.njit
def peer_trust(
    u: np.ndarray,
    source_user: np.ndarray,
    inside: np.ndarray,
    trust_peers: np.ndarray,
    rate: float,
    y: np.ndarray,
    cnt: np.ndarray,
) -> None:
    """Peer trust moves rate of the way to the share of forwarded views inside the bound.

    ``y`` and ``cnt``: per-user scratch, zero on entry and on return."""
    for j in range(u.shape[0]):
        if source_user[j] >= 0:
            cnt[u[j]] += 1
            y[u[j]] += 1.0 if inside[j] else 0.0
    for j in range(u.shape[0]):
        i = u[j]
        if source_user[j] >= 0 and cnt[i] > 0:
            trust_peers[i] += np.float32(rate * (y[i] / cnt[i] - np.float64(trust_peers[i])))
            y[i] = 0.0
            cnt[i] = 0


@jit.njit
def decay_belonging(belonging: np.ndarray, keep: float) -> None:
    """B *= keep, in float32, over every (user, outlet) pair."""
    k = np.float32(keep)
    for j in range(belonging.shape[0]):
        belonging[j] = belonging[j] * k


@jit.njit
def community_kernel(
    u: np.ndarray,
    it: np.ndarray,
    inside: np.ndarray,
    source_kind: np.ndarray,
    source: np.ndarray,
    parent: np.ndarray,
    community: np.ndarray,
    belonging: np.ndarray,
    gain_rate: float,
    loss: float,
    k_out: int,
) -> None:
    """Belonging from members' comments viewed by members (see :func:`community_contact`); the
    (user x outlet) arrays are flat."""
    m = 0
    sel = np.empty(u.shape[0], dtype=np.int64)
    key = np.empty(u.shape[0], dtype=np.int64)
    for j in range(u.shape[0]):
        par = parent[it[j]]
        if source_kind[it[j]] == USER and par >= 0:
            kk = u[j] * k_out + np.int64(source[par])
            if community[kk]:
                sel[m] = j
                key[m] = kk
                m += 1
    if m == 0:
        return
    sel, key = sel[:m], key[:m]
    order = stable_order(key)
    lloss = jit.log(1.0 - loss)
    j = 0
    while j < m:
        kk = key[order[j]]
        acc = 0.0
        rej = 0.0
        while j < m and key[order[j]] == kk:
            ins = inside[sel[order[j]]]
            acc += 1.0 if ins else 0.0
            rej += 0.0 if ins else 1.0
            j += 1
        b = belonging[kk]
        g = gain_rate * (1.0 if acc > 0 else 0.0)
        bs = np.float64(b) + g * np.float64(np.float32(1.0) - b)
        belonging[kk] = np.float32(bs * scalar_power(1.0 - loss, lloss, rej))


@jit.njit
def clip_kernel(
    opinion: np.ndarray,
    trust_media: np.ndarray,
    trust_peers: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    belonging: np.ndarray,
) -> None:
    """np.clip of every bounded state, in place."""
    for i in range(opinion.shape[0]):
        opinion[i] = clip(opinion[i], -1.0, 1.0)
        trust_peers[i] = clip(trust_peers[i], np.float32(0.0), np.float32(1.0))
        valence[i] = clip(valence[i], np.float32(-1.0), np.float32(1.0))
        arousal[i] = clip(arousal[i], np.float32(0.0), np.float32(1.0))
    for j in range(trust_media.shape[0]):
        trust_media[j] = clip(trust_media[j], np.float32(0.0), np.float32(1.0))
        belonging[j] = clip(belonging[j], np.float32(0.0), np.float32(1.0))


@jit.njit
def clip(x, lo, hi):  # noqa: ANN001, ANN201 (float32 or float64, typed by numba)
    """numpy's clip of one value: x unless it is below lo or above hi (nan stays nan, -0 at a
    bound of 0 stays -0, as np.clip gives)."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def update(world: World, t: int, v: Views, r: Reactions) -> None:
    """Update users' opinion, trust, belonging, emotion and follows after the step's views."""
    p, s, c = world.params, world.state, world.content
    u, it = v.user, v.item
    # the exposure-based echo chamber: distance of what each user viewed (before updating)
    tot, cnt = world.scratch.sums, world.scratch.counts
    diff, inside = view_distance(
        u, it, c.stance, s.opinion, s.epsilon, s.seen_distance, s.seen_count, tot, cnt
    )
    if p.comments_visible and len(u):
        unc, crit = thread_shares_kernel(
            it, c.supportive, c.critical, c.uncivil, c.removed, c.removed_critical,
            c.removed_uncivil, c.replies,
        )  # fmt: skip
    else:
        unc, crit = np.zeros(len(u)), np.zeros(len(u))
    # bounded confidence toward content, weighted by trust (averaged over the step's views);
    # the nasty effect moves viewers of uncivil threads away from the centre
    if len(u):
        s.opinion += world.rules.opinion.content_pull(world, u, diff, inside, r.trust)
        if p.nasty_polarization > 0 and unc.any():
            # averaged over the step's views like the content pull, and shrinking toward the
            # poles, so that the effect is a push away from the centre, not a drift to +-1
            nasty_push(u, unc, s.opinion, p.nasty_polarization, tot, cnt)
        # a view is evidence: quality positive and 1 - quality negative inside the bound, a
        # mismatch outside it; outrage costs trust among those who disagree; so do uncivil
        # threads, and critical threads among distrusting viewers (Prochazka & Obermaier 2022);
        # belonging grows with resonant accepted contact and falls after rejected or uncivil
        # contact; fatigue: exposure load decays lazily and grows by one per view
        coef = np.array(
            [
                p.view_evidence,
                p.outrage_trust,
                p.nasty_trust,
                p.critical_trust,
                p.reply_backfire_trust,
                p.belonging_gain,
                p.belonging_loss,
                keep_per_step(p),
                p.trust_prior,
                load_keep(p),
            ],
            dtype=np.float64,
        )
        outlet_views(
            u, it, r.outlet, inside, unc, crit, r.res, c.source, c.quality, c.outrage,
            s.trust_media.reshape(-1), s.trust_pos.reshape(-1), s.trust_neg.reshape(-1),
            s.trust_last.reshape(-1), s.trust0.reshape(-1), s.belonging.reshape(-1),
            s.load.reshape(-1), s.load_last.reshape(-1), coef, int(t), world.n_outlets,
            decay_table(keep_per_step(p)), decay_table(load_keep(p)),
        )  # fmt: skip
        peer_trust(u, v.source_user, inside, s.trust_peers, 0.5 * p.trust_rate, tot, cnt)
    # emotion: the emotion rule (relaxation to baseline pulled by what was consumed, or
    # collective emotions; model/rules/emotion.py)
    world.rules.emotion.update(world, t, v, world.streams["emotion"])
    # belonging decays; members gain it from members' comments they view (docs/ODD.md 7.10)
    decay_belonging(s.belonging.reshape(-1), 1.0 - p.belonging_decay)
    community_contact(world, u, it, inside)
    # peer influence: rounds of the opinion rule (by default Deffuant exchange between
    # disjoint pairs, model/rules/opinion.py)
    for _ in range(p.peer_rounds):
        world.rules.opinion.peer_round(world, world.streams["peer"])
    # following: churn (the unfollow hazard rises as belonging and trust fall, and with
    # overload), or a voter rule (model/rules/following.py)
    world.rules.following.update(world, world.streams["update"])
    # users follow the authors of liked items and unfollow discordant followees (7.19)
    world.rules.user_follow.update(world, t, v, r, inside, world.streams["user_follow"])
    clip_state(world)


def community_contact(world: World, u: np.ndarray, it: np.ndarray, inside: np.ndarray) -> None:
    """Belonging from community contact: a member who viewed, this step, a member's comment
    item of their community gains community_gain (1 - B) if at least one was inside their
    confidence bound, and loses a share belonging_loss per one outside it."""
    p, s, c = world.params, world.state, world.content
    if len(u) == 0 or not (world.outlet["community_share"] > 0).any():
        return
    community_kernel(
        u, it, inside, c.source_kind, c.source, c.parent, s.community.reshape(-1),
        s.belonging.reshape(-1), p.community_gain, p.belonging_loss, world.n_outlets,
    )  # fmt: skip


def clip_state(world: World) -> None:
    """Clip every bounded state to its bounds (after update and after respond)."""
    s = world.state
    clip_kernel(
        s.opinion, s.trust_media.reshape(-1), s.trust_peers, s.valence, s.arousal,
        s.belonging.reshape(-1),
    )  # fmt: skip
