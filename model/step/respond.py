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

The bookkeeping runs in a few compiled kernels (which comments are on outlets' items, the
replies' and reviews' selection, the replies' effects, each community's step, the hours spent
and the follow-up scan); they follow the array functions below (:func:`ranked_within`,
:func:`join_probability`, :func:`capacities`) step by step, so the state is the same bits
(tests/unit/test_respond_kernels.py). The uniforms are drawn outside the kernels, stream by
stream in the same order and sizes as ever; :func:`model.trust.reply_evidence`,
:func:`model.trust.add_evidence`, the content store and the screens are called as they are.

The file is longer than most (about 650 lines) because each kernel sits beside the array
function it follows (:func:`ranked_within` and :func:`_ranked`, :func:`capacities` and
:func:`_capacity`, ...), so that a change to one is seen next to the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.constants import DAY
from model.content import OUTLET, SOCIAL, USER
from model.jit import njit
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
    k_out = world.n_outlets
    budget = world.budget
    replying = bool(o["reply_share"].any())
    moderating = bool(o["moderation_share"].any()) and p.comments_visible
    # each stream draws in its old order: the capacities' uniforms first, then per comment
    rng_reply, rng_mod = world.streams["reply"], world.streams["moderate"]
    u_reply = rng_reply.random(k_out) if replying else _NO_DRAWS
    u_mod = rng_mod.random(k_out) if moderating else _NO_DRAWS
    cu, citem, ck, crit, unc, first, n_reviews = _outlet_comments(
        r.comment_idx, r.outlet, r.critical, r.uncivil, v.user, v.item, c.source,
        world.n_users, o["staff"], o["reply_share"], p.reply_hours, u_reply,
        budget["reply_cap"], o["moderation_share"], p.review_hours, u_mod, budget["review_cap"],
    )  # fmt: skip
    n = len(cu)
    key_reply = rng_reply.random(len(first)) if replying and n else _NO_DRAWS
    key_mod = rng_mod.random(n) if moderating and n else _NO_DRAWS
    u_remove = rng_mod.random(n_reviews) if moderating and n else _NO_DRAWS
    budget["replies"][:] = 0
    budget["reviews"][:] = 0
    ru, rk, ritems, rcritic, rtrust, wrong, removed = _select(
        cu, citem, ck, crit, unc, first, key_reply, budget["reply_cap"], key_mod, u_remove,
        budget["review_cap"], s.trust_media, p.moderation_recall, _false_removal(p),
        c.removed, c.removed_uncivil, c.removed_critical, budget["reviews"], world.reviews_by,
        replying and n > 0, moderating and n > 0,
    )  # fmt: skip
    if len(ru):
        pos, neg = reply_evidence(rtrust, rcritic, p)
        add_evidence(s, p, t, ru, rk, pos, neg)
    else:
        pos = _NO_DRAWS
    world.replies_sent += _reply_effects(
        ru, rk, ritems, rcritic, pos, p.reply_evidence, p.reply_gain, o["emotional_rewards"],
        s.belonging, s.valence, s.replies, c.replies, budget["replies"], world.replies_by,
        cu[wrong], ck[wrong], 1.0 - p.removal_belonging_loss,
    )  # fmt: skip
    _community(world, t, cu, ck, citem, crit, unc | removed)
    hot = _close(
        budget["replies"], budget["reviews"], budget["members"], p.reply_hours,
        p.review_hours, p.member_hours / DAY, world.staff_balance, world.staff_spent,
        s.follows, o["follow_up"], p.follow_up_share, c.source_kind, c.source, c.supportive,
        c.critical, c.followed_up, c.parent,
    )  # fmt: skip
    _follow_ups(world, t, hot)
    clip_state(world)
    # the viewers' emotion is final for this step: a lazy emotion rule anchors it here
    world.rules.emotion.commit(world, t, v.user)


_NO_DRAWS = np.zeros(0)


@njit
def _stable_argsort(keys):
    """``np.argsort(keys, kind="stable")``: a bottom-up merge sort of the positions (equal keys
    keep their order). Written out because numba's own stable argsort takes long to compile,
    and the arrays here are a step's comments, so O(n log n) in a plain loop is cheap."""
    n = keys.shape[0]
    order = np.arange(n)
    tmp = np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if keys[order[j]] < keys[order[i]]:
                    tmp[k] = order[j]
                    j += 1
                else:
                    tmp[k] = order[i]
                    i += 1
                k += 1
            while i < mid:
                tmp[k] = order[i]
                i += 1
                k += 1
            while j < hi:
                tmp[k] = order[j]
                j += 1
                k += 1
        order, tmp = tmp, order
        width *= 2
    return order


@njit
def _stable_argsort_int(keys):
    """``np.argsort(keys, kind="stable")`` of non-negative integer keys: a least-significant-
    digit radix sort in 11-bit digits (no comparisons, so no mispredicted branches), for the
    thousands of comments of a large population; a few go to :func:`_stable_argsort`."""
    n = keys.shape[0]
    if n < 256:
        return _stable_argsort(keys)
    top = keys.max() if n else 0
    order = np.arange(n)
    tmp = np.empty(n, np.int64)
    count = np.empty(2049, np.int64)
    shift = 0
    while (top >> shift) > 0:
        count[:] = 0
        for i in range(n):
            count[((keys[order[i]] >> shift) & 2047) + 1] += 1
        for d in range(2048):
            count[d + 1] += count[d]
        for i in range(n):
            d = (keys[order[i]] >> shift) & 2047
            tmp[count[d]] = order[i]
            count[d] += 1
        order, tmp = tmp, order
        shift += 11
    return order


@njit
def _capacity(share, staff, hours, u, cap):
    """:func:`capacities` into ``cap`` (0 where no uniforms were drawn: the share is 0)."""
    cap[:] = 0
    for k in range(u.shape[0]):
        cap[k] = np.int64(np.floor(share[k] * staff[k] / hours + u[k]))


@njit
def _outlet_comments(
    ci, outlet, critical, uncivil, user, item, source, n_users, staff, reply_share,
    reply_hours, u_reply, reply_cap, review_share, review_hours, u_mod, review_cap,
):  # fmt: skip
    """The comments on outlets' items (commenter, item, outlet, stance, tone); the first comment
    of each (outlet, commenter) pair in the order of ck * n + cu (``np.unique``'s
    ``return_index``); the reply and review capacities (into ``reply_cap``, ``review_cap``)
    and the reviews the latter buy."""
    nc = 0
    for j in range(ci.shape[0]):
        if outlet[ci[j]]:
            nc += 1
    cu = np.empty(nc, np.int64)
    citem = np.empty(nc, np.int64)
    ck = np.empty(nc, np.int64)
    crit = np.empty(nc, np.bool_)
    unc = np.empty(nc, np.bool_)
    i = 0
    for j in range(ci.shape[0]):
        if outlet[ci[j]]:
            cu[i], citem[i] = user[ci[j]], item[ci[j]]
            ck[i] = source[citem[i]]
            crit[i], unc[i] = critical[j], uncivil[j]
            i += 1
    pair = ck * n_users + cu
    order = _stable_argsort_int(pair)
    n_first = 0
    for j in range(nc):
        if j == 0 or pair[order[j]] != pair[order[j - 1]]:
            n_first += 1
    first = np.empty(n_first, np.int64)
    i = 0
    for j in range(nc):
        if j == 0 or pair[order[j]] != pair[order[j - 1]]:
            first[i] = order[j]
            i += 1
    _capacity(reply_share, staff, reply_hours, u_reply, reply_cap)
    _capacity(review_share, staff, review_hours, u_mod, review_cap)
    per_outlet = np.zeros(review_cap.shape[0], np.int64)
    for j in range(nc):
        per_outlet[ck[j]] += 1
    n_reviews = 0
    for k in range(u_mod.shape[0]):
        n_reviews += min(per_outlet[k], review_cap[k])
    return cu, citem, ck, crit, unc, first, n_reviews


@njit
def _ranked_by_sorting(group, keys, cap):
    """:func:`ranked_within` by a stable sort by key, then a stable one by group."""
    order = _stable_argsort(keys)
    k_out = cap.shape[0]
    start = np.zeros(k_out + 1, np.int64)
    for j in range(group.shape[0]):
        start[group[j] + 1] += 1
    for k in range(k_out):
        start[k + 1] += start[k]
    placed = start[:-1].copy()
    by_group = np.empty(group.shape[0], np.int64)
    for j in order:
        by_group[placed[group[j]]] = j
        placed[group[j]] += 1
    n_sel = 0
    for k in range(k_out):
        n_sel += min(max(cap[k], 0), start[k + 1] - start[k])
    out = np.empty(n_sel, np.int64)
    i = 0
    for k in range(k_out):
        for j in range(start[k], start[k] + min(max(cap[k], 0), start[k + 1] - start[k])):
            out[i] = by_group[j]
            i += 1
    return out


#: Above this capacity :func:`_ranked` sorts whole groups instead of keeping the best rows.
_FEW = 64


@njit
def _ranked(group, keys, cap):
    """:func:`ranked_within`: the rows of each group in numpy's lexsort order (by key; equal
    keys by row) up to the group's capacity, groups in order. Capacities are a few actions per
    step, so each group keeps only its best rows so far (an insertion into a short sorted
    list), which costs one pass over the rows instead of a sort; large ones sort."""
    k_out = cap.shape[0]
    count = np.zeros(k_out, np.int64)
    for j in range(group.shape[0]):
        count[group[j]] += 1
    take = np.empty(k_out, np.int64)
    for k in range(k_out):
        take[k] = min(max(cap[k], 0), count[k])
    width = take.max() if k_out else 0
    if width > _FEW:
        return _ranked_by_sorting(group, keys, cap)
    best = np.empty((k_out, max(width, 1)), np.int64)
    n_best = np.zeros(k_out, np.int64)
    for j in range(group.shape[0]):
        g = group[j]
        t = take[g]
        if t == 0:
            continue
        nb = n_best[g]
        # a full list admits only a strictly smaller key: on a tie the earlier row stays ahead
        if nb == t and not keys[j] < keys[best[g, t - 1]]:
            continue
        pos = min(nb, t - 1)
        while pos > 0 and keys[j] < keys[best[g, pos - 1]]:
            best[g, pos] = best[g, pos - 1]
            pos -= 1
        best[g, pos] = j
        n_best[g] = min(nb + 1, t)
    out = np.empty(take.sum(), np.int64)
    i = 0
    for k in range(k_out):
        for q in range(take[k]):
            out[i] = best[k, q]
            i += 1
    return out


@njit
def _select(
    cu, citem, ck, crit, unc, first, key_reply, reply_cap, key_mod, u_remove, review_cap,
    trust_media, recall, false_rate, n_removed, n_removed_uncivil, n_removed_critical,
    reviews, reviews_by, replying, moderating,
):  # fmt: skip
    """The replies (first comment of each pair, ranked by key within the outlet, up to its
    capacity) as (users, outlets, items, critic?, trust), and the reviews: removals counted,
    reviews tallied; positions of wrongly removed civil comments and a removed flag per comment.
    """
    # plain loops rather than fancy indexing, which numba is slow to compile
    ns = 0
    if replying:
        group = np.empty(first.shape[0], np.int64)
        for j in range(first.shape[0]):
            group[j] = ck[first[j]]
        ranked = _ranked(group, key_reply, reply_cap)
        ns = ranked.shape[0]
    ru, rk, ritems = np.empty(ns, np.int64), np.empty(ns, np.int64), np.empty(ns, np.int64)
    rcritic = np.empty(ns, np.bool_)
    rtrust = np.empty(ns, trust_media.dtype)
    for j in range(ns):
        x = first[ranked[j]]
        ru[j], rk[j], ritems[j], rcritic[j] = cu[x], ck[x], citem[x], crit[x]
        rtrust[j] = trust_media[ru[j], rk[j]]
    removed = np.zeros(cu.shape[0], np.bool_)
    n_wrong = 0
    rev = np.zeros(0, np.int64)
    if moderating:
        rev = _ranked(ck, key_mod, review_cap)
        for j in range(rev.shape[0]):
            x = rev[j]
            reviews[ck[x]] += 1
            reviews_by[ck[x]] += 1
            if u_remove[j] < (recall if unc[x] else false_rate):
                removed[x] = True
                n_removed[citem[x]] += 1
                if unc[x]:
                    n_removed_uncivil[citem[x]] += 1
                else:
                    n_wrong += 1
                if crit[x]:
                    n_removed_critical[citem[x]] += 1
    wrong = np.empty(n_wrong, np.int64)
    i = 0
    for j in range(rev.shape[0]):
        x = rev[j]
        if removed[x] and not unc[x]:
            wrong[i] = x
            i += 1
    return ru, rk, ritems, rcritic, rtrust, wrong, removed


#: The last Params and its false-removal rate: a run asks for the same Params every step.
_LAST: tuple = (None, 0.0)


def _false_removal(p) -> float:
    """:func:`false_removal`, computed once per (immutable) Params."""
    global _LAST
    last = _LAST  # one read: another thread may replace it
    if last[0] is not p:
        last = _LAST = (p, false_removal(p))
    return last[1]


@njit
def _reply_effects(
    ru, rk, items, critic, pos, w, reply_gain, warm_by, belonging, valence, replies,
    n_replies, budget_replies, replies_by, wrong_u, wrong_k, keep,
):  # fmt: skip
    """The replies' belonging gain and valence lift (float32 where numpy rounds), reply counts
    and tallies, then the belonging lost by wrongly removed commenters (x keep, once per pair,
    as numpy's fancy-indexed ``*=``); returns the focal outlet's replies."""
    m = ru.shape[0]
    lift = np.empty(m, np.float32)
    for j in range(m):
        a, k = ru[j], rk[j]
        share = pos[j] / w if w > 0 else 0.5 if critic[j] else 1.0
        warm = warm_by[k]
        gain = min(1.0, reply_gain * (2.0 if warm else 1.0) * share)
        b = belonging[a, k]
        belonging[a, k] = b + np.float32(gain * float(np.float32(1.0 - b)))
        # every lift comes from the valence before any of this step's replies
        lift[j] = np.float32((0.3 * share if warm else 0.0) * float(np.float32(1.0 - valence[a])))
    for j in range(m):
        valence[ru[j]] = valence[ru[j]] + lift[j]
        replies[ru[j]] += 1
        n_replies[items[j]] += 1
        budget_replies[rk[j]] += 1
        replies_by[rk[j]] += 1
    loss = np.float32(keep)
    after = np.empty(wrong_u.shape[0], np.float32)
    for j in range(wrong_u.shape[0]):
        after[j] = belonging[wrong_u[j], wrong_k[j]] * loss
    for j in range(wrong_u.shape[0]):
        belonging[wrong_u[j], wrong_k[j]] = after[j]
    n0 = 0
    for j in range(m):
        if rk[j] == 0:
            n0 += 1
    return n0


def false_removal(p) -> float:
    """P(a reviewed civil comment is removed) = recall (1 - prec) / prec x inc / (1 - inc).

    With that rate the removals among reviewed comments have precision ``moderation_precision``
    when a share ``incivility`` of them is uncivil (docs/evidence.md 3); at most 1.
    """
    inc = min(p.incivility, 0.99)
    rate = p.moderation_recall * (1 - p.moderation_precision) / p.moderation_precision
    return float(min(1.0, rate * inc / (1.0 - inc)))


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
        new, pj, n_left = _community_open(
            s.community, s.community_last, s.trust_media, s.belonging, int(k), t,
            p.community_window, p.community_join, cu, ck, crit, out,
        )  # fmt: skip
        joins = _NO_USERS
        if len(new):
            joins = new[rng.random(len(new)) < pj]
            room = max(int(caps[k]) - n_left, 0)
            if len(joins) > room:
                joins = np.sort(joins[rng.permutation(len(joins))[:room]])
        n_members = n_left + len(joins)
        budget["members"][k] = n_members
        budget["member_cap"][k] = caps[k]
        world.member_steps[k] += n_members
        # what members add stays content: their civil comments, with stance and emotion
        share = p.community_fanout > 0 and n_members > 1
        su, si, members = _community_close(
            s.community, s.community_last, int(k), t, joins, cu, ck, citem, out, share
        )
        if not share or len(su) == 0:
            continue
        f = min(p.community_fanout, n_members - 1)
        # the recipients' draw comes before the items exist (content.add draws nothing)
        picks = rng.integers(0, n_members, size=(len(su), f))
        cols, rec, who, pos = _member_posts(
            su, si, members, picks, t, s.opinion, s.valence, s.arousal, c.quality
        )
        kind, fmt, stance, valence, intensity, quality, created, outrage = cols
        items = c.add(
            source_kind=kind,
            source=su,
            format=fmt,
            stance=stance,
            valence=valence,
            intensity=intensity,
            quality=quality,
            created=created,
            parent=si,
            outrage=outrage,
        )
        world.screens.push_social(c, s.follows, rec, items[pos], who, SOCIAL)


_NO_USERS = np.zeros(0, dtype=np.int64)


@njit
def _community_open(
    community, last, trust_media, belonging, k, t, window, join, cu, ck, crit, out
):  # fmt: skip
    """Community ``k`` before the joins: lapsed memberships end, ``out`` commenters leave,
    members among the civil commenters renew; the civil non-members (sorted, each once) with
    their join probability (:func:`join_probability`, by their first civil comment's stance),
    and the members left."""
    n = community.shape[0]
    n_left = 0
    for a in range(n):
        if community[a, k]:
            if t - last[a, k] <= window:
                n_left += 1
            else:
                community[a, k] = False
    for j in range(cu.shape[0]):
        if ck[j] == k and out[j] and community[cu[j], k]:
            community[cu[j], k] = False
            n_left -= 1
    # the civil commenters of k, each once (its first comment), in order of user id
    civil = np.empty(cu.shape[0], np.int64)
    nc = 0
    for j in range(cu.shape[0]):
        if ck[j] == k and not out[j]:
            civil[nc] = j
            nc += 1
    users = np.empty(nc, np.int64)
    for i in range(nc):
        users[i] = cu[civil[i]]
    order = _stable_argsort_int(users)
    new = np.empty(nc, np.int64)
    pj = np.empty(nc)
    n_new = 0
    for i in range(nc):
        j = civil[order[i]]
        a = cu[j]
        if i > 0 and a == cu[civil[order[i - 1]]]:
            continue
        if community[a, k]:
            last[a, k] = t
        else:
            new[n_new] = a
            q = join * 0.5 * (float(trust_media[a, k]) + float(belonging[a, k]))
            pj[n_new] = 0.5 * q if crit[j] else q
            n_new += 1
    return new[:n_new], pj[:n_new], n_left


@njit
def _community_close(community, last, k, t, joins, cu, ck, citem, out, members_needed):
    """Community ``k`` after the joins: the joiners enter; the members' civil comments on k's
    items (commenter, item) and, when they are to be shared, the members (sorted)."""
    for a in joins:
        community[a, k] = True
        last[a, k] = t
    n_speak = 0
    for j in range(cu.shape[0]):
        if ck[j] == k and not out[j] and community[cu[j], k]:
            n_speak += 1
    su = np.empty(n_speak, np.int64)
    si = np.empty(n_speak, np.int64)
    i = 0
    for j in range(cu.shape[0]):
        if ck[j] == k and not out[j] and community[cu[j], k]:
            su[i], si[i] = cu[j], citem[j]
            i += 1
    n_members = 0
    if members_needed and n_speak:
        for a in range(community.shape[0]):
            n_members += community[a, k]
    members = np.empty(n_members, np.int64)
    i = 0
    if members_needed and n_speak:
        for a in range(community.shape[0]):
            if community[a, k]:
                members[i] = a
                i += 1
    return su, si, members


@njit
def _member_posts(su, si, members, picks, t, opinion, valence, arousal, quality):
    """Members' civil comments as items (columns for ``content.add``: a user's post with the
    author's clipped opinion as stance, its valence and arousal, the parent's quality) and
    their deliveries to the picked members, the author itself left out: (recipient, author,
    position of the item)."""
    m, f = picks.shape
    stance = np.empty(m)
    val = np.empty(m, np.float32)
    intensity = np.empty(m, np.float32)
    qual = np.empty(m, np.float32)
    for j in range(m):
        stance[j] = min(max(opinion[su[j]], -1.0), 1.0)
        val[j], intensity[j], qual[j] = valence[su[j]], arousal[su[j]], quality[si[j]]
    cols = (
        np.full(m, USER), np.zeros(m, np.int8), stance, val, intensity, qual, np.full(m, t),
        np.zeros(m, np.float32),
    )  # fmt: skip
    n_ok = 0
    for j in range(m):
        for q in range(f):
            n_ok += members[picks[j, q]] != su[j]
    rec = np.empty(n_ok, np.int64)
    who = np.empty(n_ok, np.int64)
    pos = np.empty(n_ok, np.int64)
    i = 0
    for j in range(m):
        for q in range(f):
            r = members[picks[j, q]]
            if r != su[j]:
                rec[i], who[i], pos[i] = r, su[j], j
                i += 1
    return cols, rec, who, pos


@njit
def _close(
    replies, reviews, members, reply_hours, review_hours, member_hours, balance, spent_total,
    follows, follow_up, share, source_kind, source, supportive, critical, followed_up, parent,
):  # fmt: skip
    """The conversation's hours leave the balance (docs/ODD.md 7.12); the outlets' items due a
    follow-up: threads whose comments reached ``follow_up_share`` of the outlet's followers."""
    k_out = balance.shape[0]
    any_follow_up = False
    for k in range(k_out):
        spent = replies[k] * reply_hours + reviews[k] * review_hours + members[k] * member_hours
        balance[k] -= spent
        spent_total[k] += spent
        any_follow_up = any_follow_up or follow_up[k]
    if not any_follow_up:
        return np.zeros(0, np.int64)
    # followers of the outlets that follow up only (one column, the focal outlet's, by default)
    followers = np.zeros(k_out, np.int64)
    for k in range(k_out):
        if follow_up[k]:
            for a in range(follows.shape[0]):
                followers[k] += follows[a, k]
    thr = np.empty(k_out)
    for k in range(k_out):
        thr[k] = max(1.0, share * followers[k])
    hot = np.empty(source.shape[0], np.int64)
    n_hot = 0
    for x in range(source.shape[0]):
        if source_kind[x] != OUTLET or parent[x] >= 0 or followed_up[x]:
            continue
        k = source[x]
        if follow_up[k] and supportive[x] + critical[x] >= thr[k]:
            hot[n_hot] = x
            n_hot += 1
    return hot[:n_hot].copy()


def _follow_ups(world: World, t: int, hot: np.ndarray) -> None:
    """Queue follow-ups on the items ``hot`` (:func:`_close` found them)."""
    if len(hot) == 0:
        return
    c = world.content
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
