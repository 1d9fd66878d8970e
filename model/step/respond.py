"""Phase 6: every outlet responds with its staff budget (docs/ODD.md 7.12).

Each outlet's strategy splits one staff budget: publishing (phase 1) gets 1 - reply_share -
moderation_share; replies and moderation get capacities that scale with the audience,

    replies per step  = reply_share x reply_rate x followers / 1000,
    reviews per step  = moderation_share x review_rate x followers / 1000,

rounded stochastically. Replies go to distinct commenters on the outlet's items; their effect
on the recipient's trust depends on its trust and stance (:func:`model.trust.reply_evidence`),
and they are public: each counts as a visible comment of the outlet on the thread. Moderation
reviews this step's comments on the outlet's items, removing uncivil ones with recall and civil
ones by mistake (precision < 1); a wrongly removed commenter loses belonging. When the platform
hides comments, moderation reviews nothing (its staff time is still not spent on publishing). Commenters join
the outlet's community (their comments, with stance and tone, become items members see) and
membership lapses without a comment for ``community_window`` steps. Follow-ups are queued on
items whose conversation reached a share of the outlet's followers (each takes the place of
an item at the next step when one is drawn; docs/ODD.md 7.2). Everything is vectorised over outlets; the state is clipped at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.content import OUTLET, SOCIAL, USER
from model.step.records import Reactions, Views
from model.step.update import clip_state
from model.trust import add_evidence, reply_evidence

if TYPE_CHECKING:
    from model.world import World


def capacities(world: World, share: np.ndarray, rate: float, u: np.ndarray) -> np.ndarray:
    """share x rate x followers / 1000 per outlet, rounded stochastically with uniforms ``u``."""
    followers = world.state.follows.sum(axis=0)
    return np.floor(share * rate * followers / 1000.0 + u).astype(np.int64)


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
    # replies: one per (outlet, commenter) per step, to at most the outlet's capacity
    if o["reply_share"].any():
        rng = world.streams["reply"]
        cap = capacities(world, o["reply_share"], p.reply_rate, rng.random(k_out))
        budget["reply_cap"][:] = cap
        if len(cu):
            pair = ck * world.n_users + cu
            _, first = np.unique(pair, return_index=True)
            sel = first[ranked_within(ck[first], rng.random(len(first)), cap)]
            _reply(world, t, cu[sel], ck[sel], citem[sel], crit[sel])
    else:
        budget["reply_cap"][:] = 0
    # moderation: review this step's comments, remove uncivil ones (recall) and some civil ones;
    # on a platform that hides comments there is no thread to keep clean (the time is spent)
    if o["moderation_share"].any() and p.comments_visible:
        rng = world.streams["moderate"]
        cap = capacities(world, o["moderation_share"], p.review_rate, rng.random(k_out))
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
    _community(world, t, cu, ck, citem, unc)
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
    world: World, t: int, cu: np.ndarray, ck: np.ndarray, citem: np.ndarray, unc: np.ndarray
) -> None:
    """Commenters join; members see each other's comments (items with stance and tone); lapse."""
    p, s, c = world.params, world.state, world.content
    for k in np.flatnonzero(world.outlet["community"]):
        mine = ck == k
        ku, ki, kunc = cu[mine], citem[mine], unc[mine]
        s.community[ku, k] = True
        s.community_last[ku, k] = t
        s.community[:, k] &= (t - s.community_last[:, k]) <= p.community_window
        if len(ku) == 0:
            continue
        members = np.flatnonzero(s.community[:, k])
        if p.community_fanout <= 0 or len(members) <= 1:
            continue
        rng = world.streams["community"]
        m = len(ku)
        # what users add stays content: the comment's stance, emotion and tone (outrage)
        items = c.add(
            source_kind=np.full(m, USER),
            source=ku,
            format=np.zeros(m, np.int8),
            stance=np.clip(s.opinion[ku], -1, 1),
            valence=s.valence[ku],
            intensity=s.arousal[ku],
            quality=c.quality[ki],
            created=np.full(m, t),
            parent=ki,
            outrage=kunc.astype(np.float32),
        )
        f = min(p.community_fanout, len(members) - 1)
        rec = members[rng.integers(0, len(members), size=(m, f))].reshape(-1)
        who = np.repeat(ku, f)
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
