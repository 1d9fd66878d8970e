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
churn from the focal outlet: low belonging and trust, or overload); clipping to the state's
bounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import portable
from model.content import USER, thread_shares
from model.fatigue import decayed, load_keep
from model.step.records import Reactions, Views
from model.trust import add_evidence

if TYPE_CHECKING:
    from model.world import World


def update(world: World, t: int, v: Views, r: Reactions) -> None:
    """Update users' opinion, trust, belonging, emotion and follows after the step's views."""
    p, s, c = world.params, world.state, world.content
    n, k_out = world.n_users, world.n_outlets
    u, it = v.user, v.item
    stance = c.stance[it].astype(np.float64)
    diff = stance - s.opinion[u]
    inside = np.abs(diff) < s.epsilon[u]
    # the exposure-based echo chamber: distance of what each user viewed (before updating)
    if len(u):
        s.seen_distance += np.bincount(u, weights=np.abs(diff), minlength=n)
        s.seen_count += np.bincount(u, minlength=n).astype(np.int32)
    if p.comments_visible and len(u):
        unc, crit = thread_shares(c, it)
    else:
        unc, crit = np.zeros(len(u)), np.zeros(len(u))
    # bounded confidence toward content, weighted by trust (averaged over the step's views);
    # the nasty effect moves viewers of uncivil threads away from the centre
    if len(u):
        s.opinion += world.rules.opinion.content_pull(world, u, diff, inside, r.trust)
        if p.nasty_polarization > 0 and unc.any():
            nviews = np.bincount(u, minlength=n)
            # averaged over the step's views like the content pull, and shrinking toward the
            # poles, so that the effect is a push away from the centre, not a drift to +-1
            push = np.bincount(u, weights=unc, minlength=n) / np.maximum(nviews, 1)
            x = s.opinion
            s.opinion += p.nasty_polarization * push * np.sign(x) * (1.0 - np.abs(x))
    out = np.flatnonzero(r.outlet)
    if len(out):
        uo, io = u[out], it[out]
        k = c.source[io].astype(np.int64)
        q = c.quality[io].astype(np.float64)
        ins = inside[out]
        ve = p.view_evidence
        # a view is evidence: quality positive and 1 - quality negative inside the bound, a
        # mismatch outside it; outrage costs trust among those who disagree; so do uncivil
        # threads, and critical threads among distrusting viewers (Prochazka & Obermaier 2022)
        pos = np.where(ins, ve * q, 0.0)
        neg = np.where(ins, ve * (1.0 - q), ve)
        neg = neg + np.where(ins, 0.0, p.outrage_trust * c.outrage[io]) + p.nasty_trust * unc[out]
        cynic = s.trust_media[uo, k] < p.reply_backfire_trust
        neg = neg + np.where(cynic, p.critical_trust * crit[out], 0.0)
        add_evidence(s, p, t, uo, k, pos, neg)
        key = uo * k_out + k
        cnt = np.bincount(key, minlength=n * k_out)
        seen = np.flatnonzero(cnt)
        # belonging grows with resonant accepted contact and falls after rejected or uncivil contact
        b = s.belonging.reshape(-1)
        gain = np.bincount(key, weights=np.where(ins, r.res[out], 0.0), minlength=n * k_out)[seen]
        lost = np.bincount(key, weights=(~ins) + unc[out], minlength=n * k_out)[seen]
        bs = b[seen] + p.belonging_gain * np.minimum(gain, 1.0) * (1.0 - b[seen])
        b[seen] = (bs * portable.power(1.0 - p.belonging_loss, lost)).astype(np.float32)
        # fatigue: exposure load decays lazily and grows by one per view
        ld, ll = s.load.reshape(-1), s.load_last.reshape(-1)
        ld[seen] = decayed(ld[seen], ll[seen], t, load_keep(p)) + cnt[seen]
        ll[seen] = t
    fwd_view = v.source_user >= 0
    if fwd_view.any():
        uf = u[fwd_view]
        cnt = np.bincount(uf, minlength=n)
        y = np.bincount(uf, weights=inside[fwd_view].astype(np.float64), minlength=n)
        peers = cnt > 0
        s.trust_peers[peers] += (
            0.5 * p.trust_rate * (y[peers] / cnt[peers] - s.trust_peers[peers])
        ).astype(np.float32)
    # emotion: the emotion rule (relaxation to baseline pulled by what was consumed, or
    # collective emotions; model/rules/emotion.py)
    world.rules.emotion.update(world, t, v, world.streams["emotion"])
    # belonging decays; members gain it from members' comments they view (docs/ODD.md 7.10)
    s.belonging *= np.float32(1.0 - p.belonging_decay)
    community_contact(world, u, it, inside)
    # peer influence: rounds of the opinion rule (by default Deffuant exchange between
    # disjoint pairs, model/rules/opinion.py)
    for _ in range(p.peer_rounds):
        world.rules.opinion.peer_round(world, world.streams["peer"])
    # following: churn (the unfollow hazard rises as belonging and trust fall, and with
    # overload), or a voter rule (model/rules/following.py)
    world.rules.following.update(world, world.streams["update"])
    clip_state(world)


def community_contact(world: World, u: np.ndarray, it: np.ndarray, inside: np.ndarray) -> None:
    """Belonging from community contact: a member who viewed, this step, a member's comment
    item of their community gains community_gain (1 - B) if at least one was inside their
    confidence bound, and loses a share belonging_loss per one outside it."""
    p, s, c = world.params, world.state, world.content
    if len(u) == 0 or not (world.outlet["community_share"] > 0).any():
        return
    par = c.parent[it]
    sel = np.flatnonzero((c.source_kind[it] == USER) & (par >= 0))
    if len(sel) == 0:
        return
    k = c.source[par[sel]].astype(np.int64)
    uu = u[sel]
    member = s.community[uu, k]
    if not member.any():
        return
    uu, k, ins = uu[member], k[member], inside[sel][member]
    k_out = world.n_outlets
    key = uu * k_out + k
    pairs, inv = np.unique(key, return_inverse=True)
    acc = np.bincount(inv, weights=ins.astype(np.float64), minlength=len(pairs))
    rej = np.bincount(inv, weights=(~ins).astype(np.float64), minlength=len(pairs))
    b = s.belonging.reshape(-1)
    bs = b[pairs] + p.community_gain * (acc > 0) * (1.0 - b[pairs])
    b[pairs] = (bs * portable.power(1.0 - p.belonging_loss, rej)).astype(np.float32)


def clip_state(world: World) -> None:
    """Clip every bounded state to its bounds (after update and after respond)."""
    s = world.state
    np.clip(s.opinion, -1, 1, out=s.opinion)
    np.clip(s.trust_media, 0, 1, out=s.trust_media)
    np.clip(s.trust_peers, 0, 1, out=s.trust_peers)
    np.clip(s.valence, -1, 1, out=s.valence)
    np.clip(s.arousal, 0, 1, out=s.arousal)
    np.clip(s.belonging, 0, 1, out=s.belonging)
