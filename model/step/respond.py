"""Phase 6: every outlet responds with its staff budget (docs/ODD.md 7.12).

Each outlet's strategy splits one staff budget of ``staff`` = rate x item_hours staff-hours per
step (the same whatever the audience's size): publishing (phase 1) gets 1 - reply_share -
moderation_share - community_share of it and every hour the conversation leaves unused; the
conversation's capacities are

    replies per step  = reply_share x staff / reply_hours,
    reviews per step  = moderation_share x staff / review_hours,
    community members = community_share x staff / (member_hours / 24),

replies and reviews rounded stochastically. The hours actually spent leave the outlet's balance
(``world.staff_balance``); what is left goes to the next step's publishing. Replies go to
distinct commenters on the outlet's items; their effect
on the recipient's trust depends on its trust and stance (:func:`model.trust.reply_evidence`),
and they are public: each counts as a visible comment of the outlet on the thread. Moderation
reviews this step's comments on the outlet's items, removing uncivil ones with recall and civil
ones by mistake (precision < 1); a wrongly removed commenter loses belonging. When the platform
hides comments, moderation reviews nothing (its time goes back to publishing). Civil commenters
may join the outlet's community (:func:`join_probability`) while it has room; uncivil and
removed commenters do not join and members who comment uncivilly or are removed leave; members'
civil comments, with their stance, become items other members see; membership lapses without a
comment for ``community_window`` steps. Follow-ups are queued on
items whose conversation reached a share of the outlet's followers (published at the next step
and paid from its publishing time at ``item_hours`` each; docs/ODD.md 7.2). Everything is
vectorised over outlets; the state is clipped at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.constants import DAY
from model.content import OUTLET, SOCIAL, USER
from model.step.records import Reactions, Views
from model.step.update import clip_state
from model.trust import add_evidence, reply_evidence

if TYPE_CHECKING:
    from model.world import World


def capacities(world: World, share: np.ndarray, hours: float, u: np.ndarray) -> np.ndarray:
    """share x staff / hours per outlet (the actions its share of the staff budget buys),
    rounded stochastically with uniforms ``u``."""
    return np.floor(share * world.outlet["staff"] / hours + u).astype(np.int64)


def member_capacity(world: World) -> np.ndarray:
    """Members each outlet's community can hold: community_share x staff / (member_hours / 24)
    (rounded down; a tiny tolerance keeps exact products whole)."""
    per_step = world.params.member_hours / DAY
    cap = world.outlet["community_share"] * world.outlet["staff"] / per_step
    return np.floor(cap + 1e-9).astype(np.int64)


def join_probability(
    trust: np.ndarray, belonging: np.ndarray, critical: np.ndarray, uncivil: np.ndarray, params
) -> np.ndarray:
    """P(a commenter joins the outlet's community) = community_join x (trust + belonging) / 2,
    halved for a critical comment, 0 for an uncivil one (docs/ODD.md 7.12)."""
    p = params.community_join * 0.5 * (trust.astype(np.float64) + belonging)
    p = np.where(critical, 0.5 * p, p)
    return np.where(uncivil, 0.0, p)


def ranked_within(group: np.ndarray, keys: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Positions of the rows whose rank by ``keys`` inside their ``group`` is below cap[group]."""
    order = np.lexsort((keys, group))
    g = group[order]
    start = np.ones(len(g), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    first = np.flatnonzero(start)
    rank = np.arange(len(g)) - first[np.cumsum(start) - 1]
    return order[rank < cap[g]]


def respond(world: World, t: int, v: Views, r: Reactions) -> None:
    """Replies, moderation, community and follow-ups of every outlet for step ``t``."""
    p, s, c, o = world.params, world.state, world.content, world.outlet
    ci = r.comment_idx
    on_outlet = r.outlet[ci]
    cu = v.user[ci][on_outlet]
    citem = v.item[ci][on_outlet]
    crit, unc = r.critical[on_outlet], r.uncivil[on_outlet]
    ck = c.source[citem].astype(np.int64)
    k_out = world.n_outlets
    budget = world.budget
    budget["replies"][:] = 0
    budget["reviews"][:] = 0
    gone = np.zeros(0, dtype=np.int64)
    # replies: one per (outlet, commenter) per step, to at most the outlet's capacity
    if o["reply_share"].any():
        rng = world.streams["reply"]
        cap = capacities(world, o["reply_share"], p.reply_hours, rng.random(k_out))
        budget["reply_cap"][:] = cap
        if len(cu):
            pair = ck * world.n_users + cu
            _, first = np.unique(pair, return_index=True)
            sel = first[ranked_within(ck[first], rng.random(len(first)), cap)]
            _reply(world, t, cu[sel], ck[sel], citem[sel], crit[sel])
    else:
        budget["reply_cap"][:] = 0
    # moderation: review this step's comments, remove uncivil ones (recall) and some civil ones;
    # on a platform that hides comments there is no thread to keep clean (the time goes back to
    # publishing through the balance)
    if o["moderation_share"].any() and p.comments_visible:
        rng = world.streams["moderate"]
        cap = capacities(world, o["moderation_share"], p.review_hours, rng.random(k_out))
        budget["review_cap"][:] = cap
        if len(cu):
            rev = ranked_within(ck, rng.random(len(cu)), cap)
            budget["reviews"] += np.bincount(ck[rev], minlength=k_out)
            world.reviews_by += np.bincount(ck[rev], minlength=k_out)
            removed = rng.random(len(rev)) < np.where(
                unc[rev], p.moderation_recall, false_removal(p)
            )
            gone = rev[removed]
            c.count("removed", citem[gone])
            c.count("removed_uncivil", citem[gone[unc[gone]]])
            c.count("removed_critical", citem[gone[crit[gone]]])
            wrong = gone[~unc[gone]]
            s.belonging[cu[wrong], ck[wrong]] *= np.float32(1.0 - p.removal_belonging_loss)
    else:
        budget["review_cap"][:] = 0
    removed = np.zeros(len(cu), dtype=bool)
    removed[gone] = True
    _community(world, t, cu, ck, citem, crit, unc | removed)
    # the conversation's hours spent this step leave the balance (docs/ODD.md 7.12)
    spent = (
        budget["replies"] * p.reply_hours
        + budget["reviews"] * p.review_hours
        + budget["members"] * (p.member_hours / DAY)
    )
    world.staff_balance -= spent
    world.staff_spent += spent
    _follow_ups(world, t)
    clip_state(world)


def false_removal(p) -> float:
    """P(a reviewed civil comment is removed) = recall (1 - prec) / prec x inc / (1 - inc).

    With that rate the removals among reviewed comments have precision ``moderation_precision``
    when a share ``incivility`` of them is uncivil (docs/evidence.md 3); at most 1.
    """
    inc = min(p.incivility, 0.99)
    rate = p.moderation_recall * (1 - p.moderation_precision) / p.moderation_precision
    return float(min(1.0, rate * inc / (1.0 - inc)))


def _reply(
    world: World, t: int, ru: np.ndarray, rk: np.ndarray, items: np.ndarray, critic: np.ndarray
) -> None:
    """The outlets' replies to commenters ``ru`` (outlet ``rk``, on ``items``)."""
    p, s, c, o = world.params, world.state, world.content, world.outlet
    if len(ru) == 0:
        return
    pos, neg = reply_evidence(s.trust_media[ru, rk], critic, p)
    add_evidence(s, p, t, ru, rk, pos, neg)
    # belonging follows the positive part of the reply (full for a trusted supporter)
    share = pos / p.reply_evidence if p.reply_evidence > 0 else np.where(critic, 0.5, 1.0)
    warm = o["emotional_rewards"][rk]
    gain = np.minimum(1.0, p.reply_gain * np.where(warm, 2.0, 1.0) * share)
    s.belonging[ru, rk] += (gain * (1.0 - s.belonging[ru, rk])).astype(np.float32)
    lift = np.where(warm, 0.3 * share, 0.0)
    # a user may get replies from several outlets: the valence lift is applied once per reply
    np.add.at(s.valence, ru, (lift * (1.0 - s.valence[ru])).astype(np.float32))
    np.add.at(s.replies, ru, 1)
    c.count("replies", items)
    n_by = np.bincount(rk, minlength=world.n_outlets)
    world.budget["replies"] += n_by
    world.replies_by += n_by
    world.replies_sent += int(n_by[0])


def _community(
    world: World,
    t: int,
    cu: np.ndarray,
    ck: np.ndarray,
    citem: np.ndarray,
    crit: np.ndarray,
    out: np.ndarray,
) -> None:
    """Each community's step: members who commented uncivilly or were removed (``out``) leave,
    civil commenters join by :func:`join_probability` while there is room, members' civil
    comments renew their membership and become items other members see, and membership lapses.
    """
    p, s, c = world.params, world.state, world.content
    budget = world.budget
    budget["members"][:] = 0
    budget["member_cap"][:] = 0
    has = np.flatnonzero(world.outlet["community_share"] > 0)
    if len(has) == 0:
        return
    caps = member_capacity(world)
    rng = world.streams["community"]
    for k in has:
        mine = ck == k
        ku, ki, kcrit, kout = cu[mine], citem[mine], crit[mine], out[mine]
        col = s.community[:, k]
        col &= (t - s.community_last[:, k]) <= p.community_window
        col[ku[kout]] = False
        civil = ku[~kout]
        # a commenter counts once per step (a member renews, a non-member may join once)
        civil, first = np.unique(civil, return_index=True)
        was = col[civil]
        s.community_last[civil[was], k] = t
        new, new_first = civil[~was], first[~was]
        if len(new):
            kc = kcrit[~kout][new_first]
            pj = join_probability(
                s.trust_media[new, k], s.belonging[new, k], kc, np.zeros(len(new), bool), p
            )
            joins = new[rng.random(len(new)) < pj]
            room = max(int(caps[k]) - int(np.count_nonzero(col)), 0)
            if len(joins) > room:
                joins = np.sort(joins[rng.permutation(len(joins))[:room]])
            col[joins] = True
            s.community_last[joins, k] = t
        n_members = int(np.count_nonzero(col))
        budget["members"][k] = n_members
        budget["member_cap"][k] = caps[k]
        world.member_steps[k] += n_members
        # what members add stays content: their civil comments, with stance and emotion
        speak = ~kout & col[ku]
        if p.community_fanout <= 0 or n_members <= 1 or not speak.any():
            continue
        members = np.flatnonzero(col)
        su, si = ku[speak], ki[speak]
        m = len(su)
        items = c.add(
            source_kind=np.full(m, USER),
            source=su,
            format=np.zeros(m, np.int8),
            stance=np.clip(s.opinion[su], -1, 1),
            valence=s.valence[su],
            intensity=s.arousal[su],
            quality=c.quality[si],
            created=np.full(m, t),
            parent=si,
            outrage=np.zeros(m, np.float32),
        )
        f = min(p.community_fanout, n_members - 1)
        rec = members[rng.integers(0, n_members, size=(m, f))].reshape(-1)
        who = np.repeat(su, f)
        ok = rec != who
        world.screens.push_social(c, s.follows, rec[ok], np.repeat(items, f)[ok], who[ok], SOCIAL)


def _follow_ups(world: World, t: int) -> None:
    """Queue follow-ups on items whose comments reached follow_up_share of the followers."""
    p, c, o = world.params, world.content, world.outlet
    if not o["follow_up"].any():
        return
    followers = world.state.follows.sum(axis=0)
    thr = np.maximum(1.0, p.follow_up_share * followers)
    outlet = c.source_kind == OUTLET
    src = np.where(outlet, c.source, 0)
    hot = np.flatnonzero(
        outlet
        & o["follow_up"][src]
        & (c.supportive + c.critical >= thr[src])
        & ~c.followed_up
        & (c.parent < 0)
    )
    if len(hot) == 0:
        return
    c.followed_up[hot] = True
    rng = world.rng_followups
    k = len(hot)
    new = c.add(
        source_kind=np.full(k, OUTLET),
        source=c.source[hot],
        format=c.format[hot],
        stance=c.stance[hot],
        valence=c.valence[hot],
        intensity=c.intensity[hot],
        quality=np.clip(c.quality[hot] + 0.1 * rng.random(k), 0, 1),
        created=np.full(k, t),
        parent=hot,
        outrage=c.outrage[hot],
    )
    box = world.outbox
    box.outlet_items = np.concatenate([box.outlet_items, new])
