"""The respond phase's compiled kernels: hand-computed cases, and the same bits as the array code.

``reference_respond`` below is the phase as it was before the kernels (numpy, a Python loop
over the outlets with a community), kept as the reference: a model stepped with it and a
model stepped with the kernels, from the same seed, must hold the same state bit for bit after
every step (floats included; tests/unit/test_react_kernels.py compares the worlds). Tolerance:
zero (docs/ODD.md 7.12; model/step/respond.py says how the kernels follow the array code).

The file is long (about 490 lines) because it keeps the whole old phase as the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology, Params, Strategy, presets
from model.constants import DAY
from model.content import OUTLET, SOCIAL, USER
from model.step.records import Reactions, Views
from model.step.respond import (
    _capacity,
    _close,
    _community_close,
    _community_open,
    _member_posts,
    _outlet_comments,
    _ranked,
    _reply_effects,
    _select,
    _stable_argsort,
    _stable_argsort_int,
    capacities,
    false_removal,
    join_probability,
    member_capacity,
    ranked_within,
)
from model.step.update import clip_state
from model.trust import add_evidence, reply_evidence
from model.world import World
from tests.conftest import BUSY_RATES
from tests.unit.test_react_kernels import run_pair

# ----------------------------------------------------------------- the reference (old) phase


def reference_respond(world: World, t: int, v: Views, r: Reactions) -> None:
    """The respond phase as numpy array code (before the kernels), unchanged but for the
    emotion rule's commit at the end."""
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
            _ref_reply(world, t, cu[sel], ck[sel], citem[sel], crit[sel])
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
    _ref_community(world, t, cu, ck, citem, crit, unc | removed)
    # the conversation's hours spent this step leave the balance (docs/ODD.md 7.12)
    spent = (
        budget["replies"] * p.reply_hours
        + budget["reviews"] * p.review_hours
        + budget["members"] * (p.member_hours / DAY)
    )
    world.staff_balance -= spent
    world.staff_spent += spent
    _ref_follow_ups(world, t)
    clip_state(world)
    # the viewers' emotion is final: the lazy emotion rule anchors it (docs/ODD.md 7.10)
    world.rules.emotion.commit(world, t, v.user)


def _ref_reply(
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


def _ref_community(
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


def _ref_follow_ups(world: World, t: int) -> None:
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


# ------------------------------------------------------------------ whole worlds, paired

_FULL = Strategy(
    name="full",
    reply_share=0.3,
    moderation_share=0.3,
    community_share=0.01,
    emotional_rewards=True,
    follow_up=True,
)

# at the pre-calibration rates (tests/conftest.py, BUSY_RATES): busy enough that every path runs
PAIRS = {
    "interactive": Params(**BUSY_RATES, n_users=300, strategy="interactive"),
    "scenario": Params(**BUSY_RATES, n_users=300, strategy="scenario", n_background=5),
    "one_way": Params(**BUSY_RATES, n_users=300, strategy="one_way"),
    "hidden_comments": Params(
        **BUSY_RATES, n_users=300, strategy="interactive", comments_visible=False
    ),
    # no reply evidence: the reply's share comes from the stance alone
    "no_reply_evidence": Params(
        **BUSY_RATES, n_users=300, strategy="interactive", reply_evidence=0.0
    ),
    # a community with room for few members and eager joiners: the joins overflow the room;
    # uncivil comments and a sloppy moderator remove members and civil comments
    "crowded": Params(
        **{**BUSY_RATES, "base_comment": 1.0},
        n_users=300,
        strategy=_FULL,
        community_join=1.0,
        incivility=0.5,
        moderation_recall=1.0,
        moderation_precision=0.3,
        trust_shift=0.3,
        follow_up_share=0.01,
        member_hours=0.04,
    ),
    "short_memberships": Params(
        **BUSY_RATES, n_users=300, strategy="interactive", community_window=2, community_fanout=0
    ),
    "music_community": presets.music_community(n_users=300).replace(**BUSY_RATES),
    "viral_moment": presets.viral_moment(n_users=300).replace(**BUSY_RATES),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_kernels_give_the_reference_state_bit_for_bit(monkeypatch, name):
    a, _, _ = run_pair(monkeypatch, PAIRS[name], steps=14, respond=reference_respond)
    if name != "one_way":  # the pair did respond: replies and members
        assert a.replies_by.sum() > 0
    if name == "crowded":  # and every path of the community and moderation ran
        assert (a.budget["member_cap"][0] > 0) and a.member_steps[0] > 0
        assert a.content.removed.sum() > a.content.removed_uncivil.sum() > 0


# ------------------------------------------------------------------------- hand-computed


def _i(*x):
    return np.array(x, dtype=np.int64)


def _b(*x):
    return np.array(x, dtype=bool)


def test_ranked_by_hand_and_as_ranked_within():
    group, keys, cap = _i(1, 0, 1, 0, 1), np.array([0.5, 0.2, 0.1, 0.9, 0.3]), _i(1, 2)
    # outlet 0: rows 1 (0.2), 3 (0.9), capacity 1; outlet 1: rows 2, 4, 0 by key, capacity 2
    assert _ranked(group, keys, cap).tolist() == [1, 2, 4]
    assert _ranked(group, keys, _i(0, 0)).tolist() == []
    rng = np.random.default_rng(4)
    for _ in range(20):
        n, k = int(rng.integers(0, 60)), int(rng.integers(1, 5))
        group, cap = rng.integers(0, k, n), rng.integers(0, 12, k)
        keys = rng.choice([0.1, 0.2, 0.3], n)  # ties: lexsort keeps the rows' order
        assert np.array_equal(_ranked(group, keys, cap), ranked_within(group, keys, cap))
        keys = rng.random(n)
        assert np.array_equal(_ranked(group, keys, cap), ranked_within(group, keys, cap))
    # capacities above the short lists' width sort whole groups (the same order)
    for _ in range(5):
        group, keys = rng.integers(0, 3, 400), rng.choice([0.1, 0.2, 0.3, 0.4], 400)
        cap = np.array([500, 70, 3])
        assert np.array_equal(_ranked(group, keys, cap), ranked_within(group, keys, cap))


def test_stable_argsort_by_hand_and_as_numpy():
    assert _stable_argsort(_i(3, 1, 3, 0, 1)).tolist() == [3, 1, 4, 0, 2]
    assert _stable_argsort(_i()).tolist() == [] and _stable_argsort(_i(7)).tolist() == [0]
    rng = np.random.default_rng(5)
    for n in (2, 3, 17, 64, 1000):
        keys = rng.integers(0, 5, n)
        assert np.array_equal(_stable_argsort(keys), np.argsort(keys, kind="stable"))
        keys = rng.random(n)
        assert np.array_equal(_stable_argsort(keys), np.argsort(keys, kind="stable"))
    # the radix sort of integer keys (large arrays), ties in the rows' order
    for n, top in ((10, 5), (300, 3), (5000, 40), (5000, 4_000_000_000), (3000, 2047)):
        keys = rng.integers(0, top + 1, n)
        assert np.array_equal(_stable_argsort_int(keys), np.argsort(keys, kind="stable"))
    assert _stable_argsort_int(np.zeros(400, np.int64)).tolist() == list(range(400))


def test_outlet_comments_by_hand():
    """Comments on views 0, 2, 3, 4; view 2 is of a user's post. Users 5 and 6 comment on
    outlet 1's item 10, user 5 twice; user 7 on outlet 0's item 11."""
    ci = _i(0, 2, 3, 4)
    outlet = _b(True, False, False, True, True)
    user, item = _i(5, 9, 6, 7, 5), _i(10, 12, 12, 11, 10)
    source = np.zeros(13, np.int32)
    source[10], source[11] = 1, 0
    crit, unc = _b(True, False, False, True), _b(False, False, True, False)
    reply_cap, review_cap = np.zeros(2, np.int64), np.zeros(2, np.int64)
    # capacities floor(share x 4 / 1 + u): replies 0.25 -> 1 and 2 (u 0.5, 1.0); reviews
    # 0.5 -> 2 and 3 (u 0.2, 1.0)
    out = _outlet_comments(
        ci, outlet, crit, unc, user, item, source, 100, np.full(2, 4.0), np.full(2, 0.25), 1.0,
        np.array([0.5, 1.0]), reply_cap, np.full(2, 0.5), 1.0, np.array([0.2, 1.0]), review_cap,
    )  # fmt: skip
    cu, citem, ck, c_crit, c_unc, first, n_reviews = out
    assert cu.tolist() == [5, 7, 5] and citem.tolist() == [10, 11, 10] and ck.tolist() == [1, 0, 1]
    assert c_crit.tolist() == [True, False, True] and c_unc.tolist() == [False, True, False]
    # pairs (1, 5), (0, 7), (1, 5): the first of each, by outlet x 100 + user
    assert first.tolist() == [1, 0]
    assert reply_cap.tolist() == [1, 2] and review_cap.tolist() == [2, 3]
    # outlet 0 has one comment to review, outlet 1 two
    assert n_reviews == 1 + 2
    # without uniforms (a share of 0) no capacity
    _outlet_comments(
        ci, outlet, crit, unc, user, item, source, 100, np.full(2, 4.0), np.zeros(2), 1.0,
        np.zeros(0), reply_cap, np.zeros(2), 1.0, np.zeros(0), review_cap,
    )  # fmt: skip
    assert reply_cap.tolist() == review_cap.tolist() == [0, 0]


def test_capacities_kernel_as_the_array_function():
    m = OpinionEcology(Params(n_users=20, strategy="interactive", n_background=4), seed=1)
    rng = np.random.default_rng(0)
    for hours in (0.05, 0.25, 1.0):
        u = rng.random(m.n_outlets)
        share = rng.random(m.n_outlets) * 0.3
        got = np.zeros(m.n_outlets, np.int64)
        _capacity(share, m.outlet["staff"], hours, u, got)
        assert np.array_equal(got, capacities(m, share, hours, u))


def test_member_posts_by_hand():
    """Members 2, 5, 7; member 5 speaks twice (items 30, 31), member 7 once; fan-out 2."""
    members, su, si = _i(2, 5, 7), _i(5, 7, 5), _i(30, 31, 30)
    picks = _i(0, 1, 2, 1, 1, 1).reshape(3, 2)
    opinion = np.array([0, 0, 0, 0, 0, -1.5, 0, 0.25])
    valence = np.linspace(-0.7, 0.7, 8).astype(np.float32)
    arousal = np.linspace(0.1, 0.8, 8).astype(np.float32)
    quality = np.linspace(0, 1, 32).astype(np.float32)
    cols, rec, who, pos = _member_posts(
        su, si, members, picks, 9, opinion, valence, arousal, quality
    )
    kind, fmt, stance, val, intensity, qual, created, outrage = cols
    assert (kind == USER).all() and (fmt == 0).all() and (created == 9).all()
    assert (outrage == 0).all() and stance.tolist() == [-1.0, 0.25, -1.0]
    assert val.tolist() == valence[su].tolist() and intensity.tolist() == arousal[su].tolist()
    assert qual.tolist() == quality[si].tolist()
    # picks 2, 5 | 7, 5 | 5, 5: an author is never its own recipient
    assert rec.tolist() == [2, 5] and who.tolist() == [5, 7] and pos.tolist() == [0, 1]


def test_select_by_hand():
    """Four comments on outlet 0: replies to the two best keys; every comment reviewed, the
    uncivil one removed (recall 1), the civil ones kept but the third (false removal 1 - 0.5)."""
    cu, citem, ck = _i(3, 4, 5, 6), _i(0, 0, 1, 1), _i(0, 0, 0, 0)
    crit, unc = _b(True, False, False, True), _b(False, True, False, False)
    trust = np.array([[0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7]], np.float32)
    removed_n = [np.zeros(2, np.int32) for _ in range(3)]
    reviews, reviews_by = np.zeros(1, np.int64), np.zeros(1, np.int64)
    ru, rk, items, critic, rtrust, wrong, removed = _select(
        cu, citem, ck, crit, unc, _i(0, 1, 2, 3), np.array([0.9, 0.1, 0.5, 0.7]), _i(2),
        np.array([0.4, 0.3, 0.2, 0.1]), np.array([0.9, 0.4, 0.99, 0.6]), _i(4), trust, 1.0,
        0.5, *removed_n, reviews, reviews_by, True, True,
    )  # fmt: skip
    assert ru.tolist() == [4, 5] and items.tolist() == [0, 1] and critic.tolist() == [False, False]
    assert rtrust.tolist() == [np.float32(0.5), np.float32(0.6)] and rk.tolist() == [0, 0]
    # reviewed in key order: users 6, 5, 4, 3 with uniforms 0.9, 0.4, 0.99, 0.6: 5 (civil,
    # 0.4 < 0.5) and 4 (uncivil, 0.99 < 1) removed
    assert removed.tolist() == [False, True, True, False] and wrong.tolist() == [2]
    n_removed, n_removed_uncivil, n_removed_critical = removed_n
    assert n_removed.tolist() == [1, 1] and n_removed_uncivil.tolist() == [1, 0]
    assert n_removed_critical.tolist() == [0, 0] and reviews.tolist() == reviews_by.tolist() == [4]


def test_reply_effects_by_hand():
    """User 0 gets warm replies from outlets 0 and 1, user 1 a cold one from outlet 1 (as a
    critic, no reply evidence: share 0.5); user 2 was wrongly removed twice by outlet 0."""
    belonging = np.array([[0.5, 0.0], [0.0, 0.2], [0.5, 0.0]], np.float32)
    valence = np.array([0.0, 0.5, 0.0], np.float32)
    replies = np.zeros(3, np.int32)
    n_replies, budget, by = np.zeros(4, np.int32), np.zeros(2, np.int64), np.zeros(2, np.int64)
    n0 = _reply_effects(
        _i(0, 0, 1), _i(0, 1, 1), _i(2, 3, 3), _b(False, False, True), np.zeros(3), 0.0, 0.1,
        _b(True, True), belonging, valence, replies, n_replies, budget, by, _i(2, 2), _i(0, 0),
        0.5,
    )  # fmt: skip
    # gain min(1, 0.1 x 2 x 1) = 0.2 of what is missing; the cold critic 0.1 x 2 x 0.5
    assert belonging[0].tolist() == [np.float32(0.6), np.float32(0.2)]
    assert belonging[1, 1] == np.float32(np.float32(0.2) + np.float32(0.1 * 0.8))
    # the lifts 0.3 x (1 - 0) each, both from the valence before the replies
    assert valence[0] == np.float32(0.6) and valence[1] == np.float32(0.5 + 0.15 * 0.5)
    assert replies.tolist() == [2, 1, 0] and n_replies.tolist() == [0, 0, 1, 2]
    assert budget.tolist() == by.tolist() == [1, 2] and n0 == 1
    # the wrongful removals halve user 2's belonging once, like numpy's fancy-indexed *=
    assert belonging[2, 0] == np.float32(0.25)


def test_community_open_and_close_by_hand():
    """Community 0 at t = 10, window 5: users 0 (last 3: lapses), 1 (last 8), 2 (last 9, out:
    leaves); commenters 1 (member: renews), 4 (twice: first critical), 2 (uncivil)."""
    community = np.zeros((6, 2), bool)
    community[[0, 1, 2], 0] = True
    last = np.zeros((6, 2), np.int32)
    last[[0, 1, 2], 0] = 3, 8, 9
    trust = np.full((6, 2), 0.5, np.float32)
    belonging = np.full((6, 2), 0.3, np.float32)
    cu, ck, citem = _i(4, 1, 4, 2, 5), _i(0, 0, 0, 0, 1), _i(7, 7, 8, 7, 9)
    crit, out = _b(True, False, False, False, False), _b(False, False, False, True, False)
    new, pj, n_left = _community_open(
        community, last, trust, belonging, 0, 10, 5, 0.5, cu, ck, crit, out
    )
    assert community[:, 0].tolist() == [False, True, False, False, False, False] and n_left == 1
    assert last[1, 0] == 10
    # user 4: 0.5 x 0.5 x (0.5 + 0.3), halved for its first (critical) comment
    assert new.tolist() == [4] and pj.tolist() == [pytest.approx(0.5 * 0.5 * 0.8 * 0.5)]
    su, si, members = _community_close(community, last, 0, 10, _i(4), cu, ck, citem, out, True)
    assert community[:, 0].tolist() == [False, True, False, False, True, False]
    assert last[4, 0] == 10
    # the members' civil comments, in order, and the members
    assert su.tolist() == [4, 1, 4] and si.tolist() == [7, 7, 8] and members.tolist() == [1, 4]
    assert _community_close(community, last, 0, 10, _i(), cu, ck, citem, out, False)[2].size == 0


def test_close_by_hand():
    """Hours spent per outlet; follow-ups for outlet 0's item 0 (4 comments >= 0.5 x 6
    followers) but not item 1 (a follow-up itself), item 2 (done) or outlet 1's item 3."""
    balance, spent = np.full(2, 10.0), np.zeros(2)
    follows = np.zeros((6, 2), bool)
    follows[:, 0] = True
    kind = np.array([OUTLET, OUTLET, OUTLET, OUTLET, USER], np.int8)
    source = np.array([0, 0, 0, 1, 0], np.int32)
    sup, crit = np.array([3, 3, 3, 9, 9], np.int32), np.array([1, 1, 1, 0, 0], np.int32)
    done, parent = _b(False, False, True, False, False), np.array([-1, 0, -1, -1, -1], np.int32)
    hot = _close(
        _i(2, 0), _i(1, 0), _i(3, 1), 0.5, 0.25, 0.1, balance, spent, follows, _b(True, False),
        0.5, kind, source, sup, crit, done, parent,
    )  # fmt: skip
    assert hot.tolist() == [0]
    assert spent.tolist() == [pytest.approx(1.0 + 0.25 + 0.3), pytest.approx(0.1)]
    assert balance.tolist() == [pytest.approx(10 - 1.55), pytest.approx(9.9)]
    assert _close(
        _i(0, 0), _i(0, 0), _i(0, 0), 0.5, 0.25, 0.1, balance, spent, follows, _b(False, False),
        0.5, kind, source, sup, crit, done, parent,
    ).size == 0  # fmt: skip
