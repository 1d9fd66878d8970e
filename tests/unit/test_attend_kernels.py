"""The attend phase's compiled kernels: hand-computed cases and equality with the array code.

``take_slots`` (weighted sampling of screen slots) and ``weighted_slots`` (the weighted feed
choice's slot weights) replaced chains of numpy calls. The numpy code they replaced is kept
below as the reference (``ref_*``, as it stood before the kernels); the kernels must give the
same slots and the same bits. Tolerance: zero, since both do the same correctly rounded
float32/float64 operations in the same order and the sort is stable in both. The file is over
400 lines because it keeps that reference code whole.
"""

from __future__ import annotations

import numpy as np
import pytest

import model.step as phases
from model import OpinionEcology, Params, portable
from model.constants import TRENDING_POOL
from model.content import DIRECT, OUTLET, TRENDING, USER, item_proof
from model.rules.feed_choice import (
    _SELECT_MAX,
    Weighted,
    recency_weights,
    sample_slots,
    take_slots,
    weighted_slots,
)
from model.step.attend import _not_own, _ranked, _shortfall, _split, _tally_views, _views
from model.step.records import Views

# --- the reference: the array code the kernels replaced ------------------------------------


def ref_sample_slots(rng, ok, n_take, avail, weight):
    """sample_slots before the kernel (numpy, verbatim)."""
    all_rows = n_take >= avail
    rows_a, cols_a = np.nonzero(ok & all_rows[:, None])
    part = np.flatnonzero(~all_rows & (n_take > 0))
    if len(part) == 0:
        return rows_a, cols_a
    sub_ok = ok[part]
    keys = rng.standard_exponential(size=sub_ok.shape, dtype=np.float32)
    if weight is not None:
        keys /= np.maximum(weight(part), np.float32(1e-12))
    keys[~sub_ok] = np.inf
    one = n_take[part] == 1
    rows_1, cols_1 = part[one], np.argmin(keys[one], axis=1)
    many = ~one
    order = np.argsort(keys[many], axis=1, kind="stable")
    take = np.arange(ok.shape[1])[None, :] < n_take[part[many]][:, None]
    rows_p = np.broadcast_to(part[many][:, None], order.shape)[take]
    return np.concatenate([rows_a, rows_1, rows_p]), np.concatenate([cols_a, cols_1, order[take]])


def ref_slot_weights(rule, world, t):
    """Weighted.slot_weights before the kernel: per-item weights each step (numpy, verbatim)."""
    p, c, s = world.params, world.content, world.state
    w = recency_weights(t - c.created, rule.settings.recency_tau)
    outlet = c.source_kind == OUTLET
    if p.comments_visible:
        w *= portable.exp(p.w_proof * item_proof(c, np.arange(c.n), p)).astype(np.float32)
    by_gen = world.fmt_pref32[:, c.format] * w
    column = np.where(outlet, c.source, world.n_outlets).astype(np.int64)
    gen, n_out = s.gen, world.n_outlets

    def weigh(users, items):
        it = np.maximum(items, 0)
        g = gen[users].astype(np.int64)
        wi = by_gen.reshape(-1)[g[:, None] * by_gen.shape[1] + it]
        col = column[it]
        peer = col == n_out
        tr = s.trust_media[users[:, None], np.where(peer, 0, col)]
        tr = np.where(peer, s.trust_peers[users][:, None], tr)
        return wi * (np.float32(0.5) + tr)

    return weigh


def ref_take(rng, users, n_take, avail, item, seen, weigh):
    """attend._take before the kernel (numpy, verbatim)."""
    rows = np.flatnonzero(n_take > 0)
    u = users[rows]
    items = item[u]
    ok = (items >= 0) & ~seen[u]
    w = None if weigh is None else (lambda r: weigh(u[r], items[r]))
    r, c = ref_sample_slots(rng, ok, n_take[rows], avail[rows], w)
    return u[r], c, items[r, c]


def ref_platform_fill(world, t, users, want, unseen):
    """attend._platform_fill before the kernels (numpy, verbatim)."""
    rng = world.streams["trending"]
    short = want - unseen
    short[rng.random(len(users)) >= world.params.trending_prob] = 0
    filled = np.flatnonzero(short > 0)
    need = users[filled]
    pool = world.trending_items(t, top=TRENDING_POOL)
    if len(need) == 0 or len(pool) == 0:
        return np.zeros(0, dtype=np.int64)
    rec = np.repeat(need, 2 * short[short > 0])
    c = world.content
    it = pool[rng.integers(0, len(pool), size=len(rec))]
    own = (c.source_kind[it] == USER) & (c.source[it] == rec)
    rec, it = rec[~own], it[~own]
    world.screens.push_social(c, world.state.follows, rec, it, np.full(len(rec), -1), TRENDING)
    return filled


def ref_record_views(world, t, v):
    """attend._record_views before the kernel (numpy, verbatim)."""
    p, s, c = world.params, world.state, world.content
    if len(v.user) == 0:
        return
    c.count("views", v.item)
    focal = (c.source_kind[v.item] == OUTLET) & (c.source[v.item] == 0)
    g = s.gen[v.user]
    tally = world.views_by
    key = (g.astype(np.int64) * tally.shape[1] + v.chan) * 2 + focal
    tally += np.bincount(key, minlength=tally.size).reshape(tally.shape)
    s.reached[v.user[focal]] = True
    world.last_focal_view[v.user[focal]] = t
    if p.record_cascades != "none":
        rec = focal if p.record_cascades == "focal" else np.ones(len(focal), dtype=bool)
        it = v.item[rec]
        parent = v.source_user[rec]
        parent = np.where((c.source_kind[it] == USER) & (c.source[it] == parent), -1, parent)
        world.view_log.append(it, parent, v.user[rec], np.full(int(rec.sum()), t))


def ref_attend(world, t, sess):
    """attend before the kernels (numpy, verbatim but for the references above)."""
    p, s, sc = world.params, world.state, world.screens
    rng = world.streams["attend"]
    users = sess.browsers
    g = s.gen[users]
    a_soc, a_dir = sc.soc_unseen[users], sc.dir_unseen[users]
    attention = world.rules.attention
    if attention.takes_all and p.trending_prob <= 0:
        n_soc, n_dir = a_soc.copy(), a_dir.copy()
    else:
        budget = attention.budget(rng, world.prof["attention"][g], sc.size)
        want_soc = rng.binomial(budget, world.prof["social_share"][g])
        if p.trending_prob > 0:
            filled = ref_platform_fill(world, t, users, want_soc, a_soc)
            if len(filled):
                a_soc[filled] = sc.soc_unseen[users[filled]]
        n_soc = np.minimum(want_soc, a_soc)
        n_dir = np.minimum(budget - want_soc, a_dir)
        spare = budget - n_soc - n_dir
        extra = np.minimum(spare, a_soc - n_soc)
        n_soc += extra
        n_dir += np.minimum(spare - extra, a_dir - n_dir)
    rule = world.rules.feed_choice
    weigh = ref_slot_weights(rule, world, t) if isinstance(rule, Weighted) else None
    rank = world.rules.feed_ranking.slot_factor(world, t)
    u1, c1, i1 = ref_take(rng, users, n_soc, a_soc, sc.soc_item, sc.soc_seen, _ranked(weigh, rank))
    u2, c2, i2 = ref_take(rng, users, n_dir, a_dir, sc.dir_item, sc.dir_seen, weigh)
    views = Views(
        user=np.concatenate([u1, u2]),
        item=np.concatenate([i1, i2]).astype(np.int64),
        chan=np.concatenate([sc.soc_chan[u1, c1], np.full(len(u2), DIRECT, np.int8)]),
        source_user=np.concatenate([sc.soc_from[u1, c1], np.full(len(u2), -1, np.int32)]).astype(
            np.int64
        ),
    )
    sc.mark_seen(users, n_soc, n_dir, (u1, c1), (u2, c2))
    ref_record_views(world, t, views)
    return views


# --- take_slots: hand-computed cases --------------------------------------------------------


def _screen(item_rows, seen_rows):
    return np.array(item_rows, dtype=np.int32), np.array(seen_rows, dtype=bool)


def test_take_slots_hand_case():
    """Three users on a 4-slot screen: one takes all, one takes one, one takes two.

    User 0 (slots 0 and 2 unseen, avail 2, takes 2): both, in slot order, no keys read.
    User 1 (4 unseen, takes 1): keys 3, 2, 5, 4 with weights 1, 1, 1, 1 -> argmin slot 1.
    User 2 (3 unseen: slot 3 holds no item, takes 2): keys 1, 6, 2 on slots 0-2 with weights
    1, 4, 0.5 -> keys 1, 1.5, 4: slots 0 then 1. Output: rows taking all, then the single
    takes, then the sorted takes.
    """
    item, seen = _screen(
        [[10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, -1]],
        [[False, True, False, True], [False] * 4, [False, False, False, False]],
    )
    users = np.array([0, 1, 2], dtype=np.int64)
    n_take = np.array([2, 1, 2], dtype=np.int64)
    avail = np.array([2, 4, 3], dtype=np.int64)
    keys = np.array([[3, 2, 5, 4], [1, 6, 2, 0]], dtype=np.float32)
    w = np.array([[1, 1, 1, 1], [1, 4, 0.5, 1]], dtype=np.float32)
    u, c, it = take_slots(users, item, seen, n_take, avail, keys, w)
    assert u.tolist() == [0, 0, 1, 2, 2]
    assert c.tolist() == [0, 2, 1, 0, 1]
    assert it.tolist() == [10, 12, 21, 30, 31]
    # unweighted (no weight rows): user 2's keys 1, 6, 2 -> slots 0 then 2
    u, c, it = take_slots(users, item, seen, n_take, avail, keys, np.zeros((0, 4), np.float32))
    assert c.tolist() == [0, 2, 1, 0, 2]


def test_take_slots_ties_go_to_the_lower_slot():
    """Equal keys: the lower slot first, as a stable sort (both the selection and the sort)."""
    n = 3 * _SELECT_MAX
    item = np.arange(n, dtype=np.int32)[None, :]
    seen = np.zeros((1, n), dtype=bool)
    keys = np.ones((1, n), dtype=np.float32)
    no_w = np.zeros((0, n), np.float32)
    for k in (1, 3, _SELECT_MAX, _SELECT_MAX + 1, 2 * _SELECT_MAX):
        n_take, avail = np.array([k]), np.array([n])
        _, c, _ = take_slots(np.array([0]), item, seen, n_take, avail, keys, no_w)
        assert c.tolist() == list(range(k))
        # three runs of tied keys 2, 0, 1, 2, 0, 1, ...: slots 1, 4, 7, ... first, then 2, 5, ...
        cyc = ((np.arange(n) + 2) % 3).astype(np.float32)[None, :]
        _, c, _ = take_slots(np.array([0]), item, seen, n_take, avail, cyc, no_w)
        assert (
            c.tolist() == (list(range(1, n, 3)) + list(range(2, n, 3)) + list(range(0, n, 3)))[:k]
        )


def test_take_slots_zero_weight_is_floored():
    """A zero weight counts as 1e-12: its key is huge but finite, so it is taken last."""
    item, seen = _screen([[1, 2, 3]], [[False] * 3])
    keys = np.array([[1.0, 1.0, 1.0]], dtype=np.float32)
    w = np.array([[0.0, 1.0, 2.0]], dtype=np.float32)
    _, c, _ = take_slots(np.array([0]), item, seen, np.array([2]), np.array([3]), keys, w)
    assert c.tolist() == [2, 1]


def test_take_slots_nan_key_is_selected_as_before():
    """A NaN weight gives a key that compares false with everything: each pass takes the first
    smallest untaken key. Keys NaN, 2, 1 (k = 2): the first pass starts at the NaN and keeps it,
    the second takes slot 2 (1 < 2); k = 1 takes the NaN alone. The row without a NaN (keys 3,
    1, 2) takes slots 1 then 2, or slot 1 alone.
    """
    item, seen = _screen([[1, 2, 3], [4, 5, 6]], [[False] * 3] * 2)
    keys = np.array([[1.0, 2.0, 1.0], [3.0, 1.0, 2.0]], dtype=np.float32)
    w = np.array([[np.nan, 1.0, 1.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    users, avail = np.array([0, 1]), np.array([3, 3])
    _, c, _ = take_slots(users, item, seen, np.array([2, 2]), avail, keys, w)
    assert c.tolist() == [0, 2, 1, 2]
    _, c, _ = take_slots(users, item, seen, np.array([1, 1]), avail, keys, w)
    assert c.tolist() == [0, 1]


# --- take_slots / sample_slots: equal to the array code -------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_slots", [1, 10, 40])
def test_sample_slots_equals_the_array_code(weighted, n_slots):
    """Random screens, takes from 0 to the whole row (both selection and sort paths), ties
    from a coarse weight grid: the same slots in the same order, and the same stream after."""
    gen = np.random.default_rng(n_slots)
    for rep in range(20):
        rows = int(gen.integers(0, 300))
        ok = gen.random((rows, n_slots)) < gen.random()
        avail = ok.sum(axis=1)
        n_take = np.minimum(avail, gen.integers(0, n_slots + 2, rows))
        w = gen.integers(0, 4, (rows, n_slots)).astype(np.float32) / 2  # zeros and ties
        weight = (lambda r, w=w: w[r]) if weighted else None
        a, b = np.random.default_rng(rep), np.random.default_rng(rep)
        got = sample_slots(a, ok, n_take, avail, weight)
        want = ref_sample_slots(b, ok, n_take, avail, weight)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        assert a.random() == b.random()


# --- weighted_slots -------------------------------------------------------------------------


def test_weighted_slots_hand_case():
    """Two items, one user of cohort 0, recency table (1, 0.5), comments hidden.

    Item 0: outlet 0's, format 1, age 0: 4 x 1 x (0.5 + trust in outlet 0 = 0.5) = 4.
    Item 1: a user's, format 0, age 3 (table end: 0.5): 2 x 0.5 x (0.5 + peer trust 0.25) = 0.75.
    An empty slot (-1) is weighed as item 0. With comments shown, item 1 has 3 supportive
    comments (1 removed), no reply, 1 critical, 20 views, negativity 2, proof share 0.1:
    S + R = 3, nu C = 2, sign 1/5, size min(1, 4 / 2) = 1: item 1's weight times
    float32(exp(w_proof / 5)); item 0's empty thread gives exp(0) = 1.
    """
    f32 = np.float32
    i32 = np.int32
    cols = dict(
        created=np.array([5, 2], i32),
        fmt=np.array([1, 0], np.int8),
        source_kind=np.array([OUTLET, USER], np.int8),
        source=np.array([0, 7], i32),
        supportive=np.array([0, 4], i32),
        critical=np.array([0, 1], i32),
        uncivil=np.array([0, 0], i32),
        removed=np.array([0, 1], i32),
        removed_critical=np.array([0, 0], i32),
        removed_uncivil=np.array([0, 0], i32),
        replies=np.array([0, 0], i32),
        views=np.array([0, 20], np.int64),
    )
    fixed = (
        np.array([0], np.int8),  # gen
        np.array([[0.5]], f32),  # trust_media
        np.array([0.25], f32),  # trust_peers
        np.array([[2.0, 4.0]], f32),  # fmt_pref
        5,  # t
        np.array([1.0, 0.5], f32),  # recency table
        24.0,
    )
    users = np.array([0], np.int64)
    items = np.array([[0, 1, -1]], np.int64)
    memo = np.full(2, -1.0, f32)
    hidden = weighted_slots(users, items, *fixed, np.zeros(0), memo, *cols.values())
    assert hidden.dtype == np.float32 and hidden.tolist() == [[4.0, 0.75, 4.0]]
    # the memo keeps each item's recency x proof, and a later call reads it instead
    assert memo.tolist() == [1.0, 0.5]
    memo[1] = 8.0
    again = weighted_slots(users, items, *fixed, np.zeros(0), memo, *cols.values())
    assert again.tolist() == [[4.0, 2.0 * 8.0 * 0.75, 4.0]]
    w_proof = 1.5
    proof = np.array([w_proof, 2.0, 0.1])
    shown = weighted_slots(users, items, *fixed, proof, np.full(2, -1.0, f32), *cols.values())
    boost = f32(portable.exp(np.array([w_proof * 0.2]))[0])
    assert shown.tolist() == [[4.0, f32(f32(0.5) * boost) * f32(2.0) * f32(0.75), 4.0]]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"comments_visible": False},
        {"recency_tau": 50_000.0},  # past the table: exp computed per slot
        {"feed_ranking": "engagement"},
    ],
    ids=["default", "comments hidden", "long recency", "engagement ranking"],
)
def test_weighted_slots_equal_the_array_code(changes):
    """Every user's both screens, several steps into a world: bit for bit the old weights."""
    m = OpinionEcology(Params(n_users=400, strategy="interactive", **changes), seed=3)
    users = np.arange(400)
    for _ in range(4):
        m.run(5)
        for screen in (m.screens.soc_item, m.screens.dir_item):
            items = screen[users]
            got = m.rules.feed_choice.slot_weights(m, m.steps)(users, items)
            want = ref_slot_weights(m.rules.feed_choice, m, m.steps)(users, items)
            assert got.dtype == np.float32
            assert np.array_equal(got.view(np.int32), want.view(np.int32))


# --- the split, the views and their tally ---------------------------------------------------


def test_split_hand_case():
    """Budgets 3, 4, 2; wanted social 1, 4, 0; unseen social 3, 2, 5 and direct 5, 1, 0.

    User 5: 1 social, 2 direct, nothing spare; samples on both screens (1 < 3, 2 < 5).
    User 6: 2 social (all), 0 direct wanted, 2 spare: none fits the social screen, 1 the
    direct one (all): samples on neither. User 7: 0 wanted social, no direct slot, 2 spare
    go to the social screen: 2 of 5, samples there.
    """
    i64 = np.int64
    users = np.array([5, 6, 7], i64)
    # every user's unseen counts, by id (users 0-4 hold some too, and are not read)
    soc_unseen = np.array([9, 9, 9, 9, 9, 3, 2, 5], np.int32)
    dir_unseen = np.array([9, 9, 9, 9, 9, 5, 1, 0], np.int32)
    budget, want = np.array([3, 4, 2], i64), np.array([1, 4, 0], i64)
    n_soc, n_dir, part_soc, part_dir, a_soc, a_dir = _split(
        users, budget, want, soc_unseen, dir_unseen
    )
    assert n_soc.tolist() == [1, 2, 2] and n_dir.tolist() == [2, 1, 0]
    assert part_soc.tolist() == [5, 7] and part_dir.tolist() == [5]
    assert a_soc.tolist() == [3, 2, 5] and a_dir.tolist() == [5, 1, 0]
    # no budget: every unseen slot, no one samples
    n_soc, n_dir, part_soc, part_dir, a_soc, a_dir = _split(
        users, budget[:0], want[:0], soc_unseen, dir_unseen
    )
    assert n_soc.tolist() == [3, 2, 5] and n_dir.tolist() == [5, 1, 0]
    assert a_soc.tolist() == [3, 2, 5] and a_dir.tolist() == [5, 1, 0]
    assert len(part_soc) == len(part_dir) == 0


def test_views_hand_case():
    """Social slots carry their screen's channel and sharer; direct ones DIRECT and -1."""
    soc_chan = np.array([[3, 4], [5, 6]], np.int8)
    soc_from = np.array([[10, 11], [12, -1]], np.int32)
    i64 = np.array
    user, item, chan, src = _views(
        i64([0, 1]), i64([1, 1]), i64([7, 8]), i64([1]), i64([9]), soc_chan, soc_from, DIRECT
    )
    assert user.tolist() == [0, 1, 1] and item.tolist() == [7, 8, 9]
    assert chan.tolist() == [4, 6, DIRECT] and src.tolist() == [11, -1, -1]


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_tally_views_hand_case(mode):
    """Four views: item 0 is the focal outlet's (outlet 0), item 1 another outlet's, item 2 a
    post of user 4. Views: user 1 sees item 0 twice (two channels), user 2 item 1, user 3 item
    2 shared by user 4 (its author: parent -1 in the log)."""
    user = np.array([1, 1, 2, 3], np.int64)
    item = np.array([0, 0, 1, 2], np.int64)
    chan = np.array([0, 1, 0, 1], np.int8)
    source_user = np.array([-1, 5, -1, 4], np.int64)
    gen = np.array([0, 1, 0, 1, 0], np.int8)
    source_kind = np.array([OUTLET, OUTLET, USER], np.int8)
    source = np.array([0, 1, 4], np.int32)
    views = np.array([0, 2, 0], np.int64)
    tally = np.zeros((2, 2, 2), np.int64)
    reached = np.zeros(5, bool)
    last = np.full(5, -9, np.int32)
    it, parent, who = _tally_views(
        user,
        item,
        chan,
        source_user,
        gen,
        source_kind,
        source,
        views,
        tally,
        reached,
        last,
        7,
        mode,
    )
    assert views.tolist() == [2, 3, 1]
    # cohort 1 (user 1): item 0 focal on channels 0 and 1; cohort 0 (user 2): item 1 not focal
    # on channel 0; cohort 1 (user 3): item 2 not focal on channel 1
    want = np.zeros((2, 2, 2), np.int64)
    want[1, 0, 1] = want[1, 1, 1] = want[0, 0, 0] = want[1, 1, 0] = 1
    assert tally.tolist() == want.tolist()
    assert reached.tolist() == [False, True, False, False, False]
    assert last.tolist() == [-9, 7, -9, -9, -9]
    logged = {0: [], 1: [(0, -1, 1), (0, 5, 1)], 2: [(0, -1, 1), (0, 5, 1), (1, -1, 2), (2, -1, 3)]}
    assert list(zip(it.tolist(), parent.tolist(), who.tolist(), strict=True)) == logged[mode]


def test_shortfall_hand_case():
    """Wanted 3, 1, 4, 2 with 1, 1, 0, 0 unseen (users 10-13); draws 0.1, 0.1, 0.9, 0.5 against
    prob 0.6.

    User 10 is short 2 and drawn (0.1 < 0.6): 4 trending slots. User 11 is not short. User 12
    is short but not drawn (0.9). User 13 is short 2 and drawn: 4 slots."""
    i64 = np.int64
    users = np.array([10, 11, 12, 13], i64)
    u01 = np.array([0.1, 0.1, 0.9, 0.5])
    unseen = np.zeros(14, np.int32)  # by user id
    unseen[10:] = [1, 1, 0, 0]
    rec = _shortfall(users, np.array([3, 1, 4, 2], i64), unseen, u01, 0.6)
    assert rec.tolist() == [10] * 4 + [13] * 4


def test_not_own_hand_case():
    """A user is not shown its own post: item 1 is user 7's post, item 0 outlet 7's item."""
    kind = np.array([OUTLET, USER], np.int8)
    source = np.array([7, 7], np.int32)
    rec, it = _not_own(np.array([7, 7, 8]), np.array([0, 1, 1]), kind, source)
    assert rec.tolist() == [7, 8] and it.tolist() == [0, 1]


# --- the phase: equal to the array code under each rule -------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"strategy": "interactive"},
        {"feed_choice": "uniform"},
        {"feed_ranking": "personalised", "screen_size": 25, "attention_scale": 3.0},
        {"attention": "unlimited", "trending_prob": 0.0},
        {"attention": "unlimited"},
        {"comments_visible": False, "feed_ranking": "engagement", "record_cascades": "all"},
        {"record_cascades": "none", "trending_prob": 0.3},
    ],
    ids=[
        "interactive",
        "uniform",
        "personalised big screens",
        "unlimited",
        "unlimited+trend",
        "hidden, log all",
        "no log",
    ],
)
def test_attend_equals_the_array_code(changes, monkeypatch):
    """Two worlds of the same seed, one attending with the array code, one with the kernels:
    the same views every step and the same screens and streams at the end."""
    params = Params(n_users=300, **changes)
    old, new = OpinionEcology(params, seed=11), OpinionEcology(params, seed=11)
    views = {}
    kernel_attend = phases.attend

    def spy(world, t, sess):
        v = (ref_attend if world is old else kernel_attend)(world, t, sess)
        views.setdefault(t, []).append(v)
        return v

    monkeypatch.setattr(phases, "attend", spy)
    for _ in range(30):
        old.step()
        new.step()
    assert len(views) == 30
    assert sum(len(a.user) for a, _ in views.values()) > 0
    for a, b in views.values():
        for name in ("user", "item", "chan", "source_user"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("soc_item", "soc_seen", "dir_seen", "soc_unseen", "dir_unseen"):
        assert np.array_equal(getattr(old.screens, name), getattr(new.screens, name)), name
    assert np.array_equal(old.content.views, new.content.views)
    assert np.array_equal(old.views_by, new.views_by) and old.views_by.sum() > 0
    assert np.array_equal(old.state.reached, new.state.reached)
    assert np.array_equal(old.last_focal_view, new.last_focal_view)
    assert old.view_log.to_frame().equals(new.view_log.to_frame())
    assert old.streams["attend"].random() == new.streams["attend"].random()


def test_weights_of_an_item_newer_than_the_function_fail_clearly():
    """The kernel checks no bounds itself: an item id past the content the weights were made
    for raises IndexError instead of reading past the arrays."""
    m = OpinionEcology(Params(n_users=50), seed=2).run(2)
    weigh = m.rules.feed_choice.slot_weights(m, m.steps)
    with pytest.raises(IndexError, match="published after"):
        weigh(np.array([0]), np.array([[m.content.n]]))
