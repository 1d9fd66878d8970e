"""The compiled publish and delivery kernels: hand-computed cases, and the same results, to the
bit, as the array code they replaced (kept below as the reference, not in the package).

Tolerance: zero. The kernels move integers and do the same elementwise IEEE operations in the
same order as the array code, and take the same random draws, so any difference is a defect.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from model import OpinionEcology, Params, content, presets
from model import step as phases
from model.content import OUTLET, RECOMMENDED, SOCIAL, USER, ContentStore
from model.screens import Screens
from tests.golden.cases import state_digest

publish_mod = importlib.import_module("model.step.publish")
deliver_mod = importlib.import_module("model.step.deliver")


# ----------------------------------------------------------------------------- reference
# The array implementations as they were before the kernels (same behaviour, numpy calls).
def ref_count(c: ContentStore, counter: str, items: np.ndarray) -> None:
    if len(items):
        arr = c.__dict__["_" + counter]
        arr[: c.n] += np.bincount(items, minlength=c.n).astype(arr.dtype)


def ref_deliver_direct(sc: Screens, c: ContentStore, rec: np.ndarray, items: np.ndarray) -> None:
    if len(rec) == 0:
        return
    slot = (sc.dir_ptr[rec][:, None] + np.arange(len(items))) % sc.size
    flat = (rec[:, None] * sc.size + slot).reshape(-1)
    seen = sc.dir_seen.reshape(-1)
    fresh = seen[flat].reshape(len(rec), len(items)).sum(axis=1)
    tiled = np.tile(items, len(rec))
    sc.dir_item.reshape(-1)[flat] = tiled
    seen[flat] = False
    sc.dir_ptr[rec] += len(items)
    sc.dir_unseen[rec] += fresh
    sc.total_unseen += int(fresh.sum())
    ref_count(c, "exposures", tiled)


def ref_push_social(sc, c, follows, rec, items, frm, chan) -> None:
    if len(rec) == 0:
        return
    rec = rec.astype(np.int64)
    items = items.astype(np.int64)
    key = rec * (c.n + 1) + items
    order = np.argsort(key, kind="stable")
    key, rec, items, frm = key[order], rec[order], items[order], frm[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    onscreen = (sc.soc_item[rec] == items[:, None]).any(axis=1)
    outlet = np.flatnonzero(c.source_kind[items] == OUTLET)
    outlet = outlet[follows[rec[outlet], c.source[items[outlet]]]]
    onscreen[outlet] |= (sc.dir_item[rec[outlet]] == items[outlet][:, None]).any(axis=1)
    keep = first & ~onscreen
    rec, items, frm = rec[keep], items[keep], frm[keep]
    if len(rec) == 0:
        return
    start = np.ones(len(rec), dtype=bool)
    start[1:] = rec[1:] != rec[:-1]
    grp = np.cumsum(start) - 1
    first_idx = np.flatnonzero(start)
    rank = np.arange(len(rec)) - first_idx[grp]
    n_per = np.diff(np.append(first_idx, len(rec)))
    keep = rank >= n_per[grp] - sc.size
    slot = (sc.soc_ptr[rec] + rank) % sc.size
    r, sl = rec[keep], slot[keep]
    fresh = sc.soc_seen[r, sl]
    sc.soc_item[r, sl] = items[keep]
    sc.soc_from[r, sl] = frm[keep]
    sc.soc_chan[r, sl] = chan
    sc.soc_seen[r, sl] = False
    sc.soc_ptr[rec[start]] += n_per
    rf = r[fresh]
    if len(rf):
        first_f = np.flatnonzero(np.concatenate(([True], rf[1:] != rf[:-1])))
        sc.soc_unseen[rf[first_f]] += np.diff(np.append(first_f, len(rf))).astype(np.int32)
    sc.total_unseen += len(rf)
    ref_count(c, "exposures", items[keep])


def ref_poisson_inverse(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    from model import portable

    lam = np.asarray(lam, dtype=np.float64)
    top = int(np.max(lam, initial=0.0) + 10.0 * np.sqrt(np.max(lam, initial=0.0)) + 20)
    k = np.arange(top + 1)
    log_fact = np.cumsum(portable.log(np.maximum(k, 1)))
    logpmf = k[None, :] * portable.log(np.maximum(lam, 1e-300))[:, None] - lam[:, None] - log_fact
    cdf = np.cumsum(portable.exp(logpmf), axis=1)
    return (u[:, None] > cdf).sum(axis=1).astype(np.int64)


def _ref_outlet_items(world, k, m, t):
    o, rng = world.outlets[k], world.rng_outlet[k]
    fmt = rng.choice(4, size=m, p=np.array(o.format_mix)).astype(np.int8)
    outrage = world.outlet["outrage"][k]
    valence = world.outlet["valence_mean"][k] - world.params.outrage_valence * outrage
    return world.content.add(
        source_kind=np.full(m, OUTLET),
        source=np.full(m, k),
        format=fmt,
        stance=np.clip(o.stance_mean + o.stance_sd * rng.standard_normal(m), -1, 1),
        valence=np.clip(valence + rng.normal(0.0, 0.4, m), -1, 1),
        intensity=np.clip(o.intensity + 0.15 * rng.standard_normal(m), 0, 1),
        quality=np.clip(o.quality + 0.1 * rng.standard_normal(m), 0, 1),
        created=np.full(m, t),
        outrage=np.clip(outrage + 0.1 * rng.standard_normal(m), 0, 1),
    )


def ref_publish(world, t, sess) -> None:
    p, s, rng = world.params, world.state, world.rng_outlets
    box = world.outbox
    o = world.outlet
    fu = np.zeros(world.n_outlets, dtype=np.int64)
    if len(box.outlet_items):
        fu = np.bincount(world.content.source[box.outlet_items], minlength=world.n_outlets)
    hours = publish_mod.publishing_hours(
        world.staff_balance, o["staff"], o["conversation_share"], fu * p.item_hours
    )
    counts = ref_poisson_inverse(rng.random(world.n_outlets), np.maximum(hours, 0.0) / p.item_hours)
    spent = (counts + fu) * p.item_hours
    world.staff_balance += o["staff"] - spent
    world.staff_spent += spent
    if t == 1:
        counts[0] += p.initial_items
    world.published += counts
    parts = [_ref_outlet_items(world, k, int(n), t) for k, n in enumerate(counts) if n > 0]
    new = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    box.new_items = np.concatenate([box.outlet_items, new])
    box.outlet_items = np.zeros(0, dtype=np.int64)
    world.focal_items += int(np.count_nonzero(world.content.source[box.new_items] == 0))
    posters = sess.posters
    if len(posters):
        r = world.rng_posts
        k = len(posters)
        g = s.gen[posters]
        cdf = np.cumsum(world.fmt_pref[g], axis=1)
        pfmt = (r.random(k)[:, None] > cdf).sum(axis=1).clip(0, 3)
        items = world.content.add(
            source_kind=np.full(k, USER),
            source=posters,
            format=pfmt,
            stance=np.clip(s.opinion[posters] + 0.1 * r.standard_normal(k), -1, 1),
            valence=s.valence[posters],
            intensity=s.arousal[posters],
            quality=np.clip(0.5 + 0.15 * r.standard_normal(k), 0, 1),
            created=np.full(k, t),
        )
        box.queue_shares(posters, items)


def ref_deliver(world, t) -> None:
    from model.constants import RECOMMEND_SHARE

    p, s, c, sc = world.params, world.state, world.content, world.screens
    box = world.outbox
    new = box.new_items
    for k in np.unique(c.source[new]) if len(new) else ():
        items = new[c.source[new] == k][-sc.size :]
        ref_deliver_direct(sc, c, np.flatnonzero(s.follows[:, k]), items)
    users, items = box.take_shares()
    if len(users):
        owner, rec = world.networks.audience(users)
        keep = world.streams["deliver"].random(len(rec)) < p.organic_reach
        owner, rec = owner[keep], rec[keep]
        it = items[owner]
        author = np.where(c.source_kind[it] == USER, c.source[it], -1)
        ok = rec != author
        world.rules.forwarding.observe(world, rec[ok], it[ok], users[owner[ok]])
        ref_push_social(sc, c, s.follows, rec[ok], it[ok], users[owner[ok]], SOCIAL)
    targeting = world.outlet["targeting"]
    if targeting.any():
        rng = world.streams["target"]
        for item in new:
            k = int(c.source[item])
            if not targeting[k]:
                continue
            cand = np.flatnonzero(rng.random(world.n_users) < RECOMMEND_SHARE)
            cand = cand[~s.follows[cand, k]]
            match = (
                world.fmt_pref[s.gen[cand], c.format[item]]
                * 4.0
                * (1.0 - np.abs(s.opinion[cand] - c.stance[item]) / 2.0)
            )
            cand = cand[rng.random(len(cand)) < np.clip(match, 0, 1)]
            ref_push_social(
                sc,
                c,
                s.follows,
                cand,
                np.full(len(cand), item),
                np.full(len(cand), -1),
                RECOMMENDED,
            )


# ----------------------------------------------------------------------------- helpers
def _store(kinds: list[int], sources: list[int]) -> ContentStore:
    c = ContentStore()
    n = len(kinds)
    c.add(
        source_kind=np.array(kinds, np.int8),
        source=np.array(sources),
        format=np.zeros(n, np.int8),
        stance=np.zeros(n),
        valence=np.zeros(n),
        intensity=np.zeros(n),
        quality=np.zeros(n),
        created=np.zeros(n, np.int64),
    )
    return c


def _same_screens(a: Screens, b: Screens) -> bool:
    arrays = [k for k, v in vars(a).items() if isinstance(v, np.ndarray)]
    return a.total_unseen == b.total_unseen and all(
        np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays
    )


def _copy(sc: Screens) -> Screens:
    out = Screens(sc.soc_item.shape[0], sc.size)
    for k, v in vars(sc).items():
        setattr(out, k, v.copy() if isinstance(v, np.ndarray) else v)
    return out


# ----------------------------------------------------------------------------- hand cases
def test_outlet_delivery_by_hand():
    """Three users, screens of 3 slots, two outlets. Outlet 0 publishes items 0-3 (more than a
    screen: its followers get the newest three, 1 2 3), outlet 1 item 4. User 0 follows both,
    user 1 only outlet 1, user 2 none. User 0's ring starts at slot 2 with slot 0 unseen."""
    c = _store([OUTLET] * 5, [0, 0, 0, 0, 1])
    sc = Screens(3, 3)
    sc.dir_ptr[0] = 2
    sc.dir_item[0, 0], sc.dir_seen[0, 0], sc.dir_unseen[0], sc.total_unseen = 9, False, 1, 1
    follows = np.array([[True, True], [False, True], [False, False]])
    sc.deliver_outlets(c, follows, np.array([0, 1, 2, 3, 4]))
    # user 0: 1 -> slot 2, 2 -> slot 0 (over the unseen 9), 3 -> slot 1, then 4 -> slot 2
    assert sc.dir_item[0].tolist() == [2, 3, 4] and sc.dir_ptr[0] == 6
    assert sc.dir_item[1].tolist() == [4, -1, -1] and sc.dir_ptr[1] == 1
    assert sc.dir_item[2].tolist() == [-1, -1, -1] and sc.dir_ptr[2] == 0
    # fresh slots: user 0 slots 2, 1 (slot 0 was already unseen, slot 2 twice but seen once)
    assert sc.dir_unseen.tolist() == [3, 1, 0] and sc.unseen() == 4
    assert c.exposures.tolist() == [0, 1, 1, 1, 2]


def test_outlet_delivery_rejects_users_posts():
    c = _store([OUTLET, USER], [0, 1])
    sc = Screens(2, 3)
    with pytest.raises(ValueError, match="outlet's item"):
        sc.deliver_outlets(c, np.ones((2, 1), bool), np.array([0, 1]))


def test_social_push_by_hand():
    """Two users, screens of 3. Item 0 (outlet 0, followed by user 0) sits on user 0's direct
    screen and item 1 on its social screen, so neither is delivered to it again; the repeat of
    (user 0, item 2) keeps its first sharer (5); user 0's new items go in order of item id
    (2, 3, 4) from slot 1 on. User 1 gets four distinct items: it keeps the newest three by
    id (1, 3, 4; item 0 is dropped), written from slot 0 and its pointer moves by four."""
    c = _store([OUTLET, USER, USER, USER, USER], [0, 1, 1, 1, 1])
    sc = Screens(2, 3)
    sc.dir_item[0, 0], sc.dir_ptr[0] = 0, 1
    sc.soc_item[0, 0], sc.soc_ptr[0] = 1, 1
    follows = np.array([[True], [False]])
    rec = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    items = np.array([4, 2, 0, 1, 2, 3, 3, 0, 4, 1])
    frm = np.array([7, 5, 7, 7, 6, 8, 9, 9, 9, 8])
    sc.push_social(c, follows, rec, items, frm, SOCIAL)
    assert sc.soc_item[0].tolist() == [4, 2, 3] and sc.soc_ptr[0] == 4
    assert sc.soc_from[0].tolist() == [7, 5, 8]
    # user 1: ranks 0..3 for items 0, 1, 3, 4; ranks 1..3 kept, slots (0 + rank) % 3
    assert sc.soc_item[1].tolist() == [4, 1, 3] and sc.soc_ptr[1] == 4
    assert sc.soc_from[1].tolist() == [9, 8, 9]
    assert sc.soc_chan[:, :].tolist() == [[SOCIAL] * 3, [SOCIAL] * 3]
    # every written slot was seen (empty) before: 3 + 3 fresh
    assert sc.soc_unseen.tolist() == [3, 3] and sc.unseen() == 6
    assert c.exposures.tolist() == [0, 1, 1, 2, 2]


def test_reached_shares_by_hand():
    """Sharers 0 and 2. Acquaintances: 0 -> {1, 2}, 2 -> {0}; followers: 0 -> {3}, 2 -> {1}.
    Pairs in draw order: (0,1) (0,2) (2,0) (0,3) (2,1). Draws below 0.5 pass except the second;
    user 0's item is a post by user 3, so the pair (0, 3) is the author's own and dropped."""
    c = _store([OUTLET, USER], [0, 3])
    acq_ptr, acq_idx = np.array([0, 2, 2, 3, 3]), np.array([1, 2, 0], np.int32)
    fol_ptr, fol_idx = np.array([0, 1, 1, 2, 2]), np.array([3, 1], np.int32)
    # a follower row is fol_start[u]:fol_end[u] (the CSR's indptr, or the dynamic layer's spans)
    fol_start, fol_end = fol_ptr[:-1], fol_ptr[1:]
    users, items = np.array([0, 2]), np.array([1, 0])
    assert deliver_mod._audience_size(acq_ptr, fol_start, fol_end, users) == 5
    draw = np.array([0.1, 0.9, 0.2, 0.3, 0.4])
    rec, it, frm = deliver_mod._reached(
        acq_ptr, acq_idx, fol_start, fol_end, fol_idx, users, items, c.source_kind, c.source,
        draw, 0.5,
    )  # fmt: skip
    assert rec.tolist() == [1, 0, 1] and it.tolist() == [1, 0, 0] and frm.tolist() == [0, 2, 2]


def test_poisson_inverse_by_hand():
    """lam = 1: P(0) = P(1) = e^-1 = 0.3679, P(2) = 0.1839; u = 0.3 -> 0, 0.5 -> 1, 0.9 -> 2,
    and lam = 0 gives 0 for any u < 1."""
    got = publish_mod.poisson_inverse(np.array([0.3, 0.5, 0.9, 0.99]), np.array([1, 1, 1, 0.0]))
    assert got.tolist() == [0, 1, 2, 0]


# ----------------------------------------------------------------------------- equal to the old
def _random_screens(
    rng, n: int, size: int, n_items: int
) -> tuple[Screens, ContentStore, np.ndarray]:
    kinds = rng.integers(0, 2, n_items)
    c = _store(kinds.tolist(), np.where(kinds == OUTLET, rng.integers(0, 3, n_items), 0).tolist())
    sc = Screens(n, size)
    filled = rng.random((n, size)) < 0.5
    sc.soc_item[filled] = rng.integers(0, n_items, filled.sum())
    sc.soc_seen[filled] = rng.random(filled.sum()) < 0.5
    direct = rng.random((n, size)) < 0.5
    sc.dir_item[direct] = rng.integers(0, n_items, direct.sum())
    sc.dir_seen &= rng.random((n, size)) < 0.7
    sc.soc_ptr[:] = rng.integers(0, 50, n)
    sc.dir_ptr[:] = rng.integers(0, 50, n)
    sc.soc_unseen[:] = (~sc.soc_seen).sum(axis=1)
    sc.dir_unseen[:] = (~sc.dir_seen).sum(axis=1)
    sc.total_unseen = int(sc.soc_unseen.sum() + sc.dir_unseen.sum())
    follows = rng.random((n, 3)) < 0.4
    return sc, c, follows


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("m", [1, 6, 7, 60, 400, 3000])
def test_push_social_equals_the_array_code(seed, m):
    """Random screens and batches, small and large against the 50 users (both orderings: a
    comparison sort below 50 / 8 deliveries, a counting sort above), with repeats (the six
    deliveries go to 3 users and 4 items, so the comparison sort meets equal pairs), items on
    screens and overflow."""
    rng = np.random.default_rng(seed)
    sc, c, follows = _random_screens(rng, 50, 4, 30)
    rec = rng.integers(0, 3 if m == 6 else 50 if m < 400 else 6, m)
    items = rng.integers(0, 4 if m == 6 else 30, m)
    frm = rng.integers(-1, 50, m)
    old_sc, old_c = _copy(sc), _store(c.source_kind.tolist(), c.source.tolist())
    ref_push_social(old_sc, old_c, follows, rec, items, frm, SOCIAL)
    sc.push_social(c, follows, rec, items, frm, SOCIAL)
    assert _same_screens(sc, old_sc)
    assert np.array_equal(c.exposures, old_c.exposures)


@pytest.mark.parametrize("seed", range(12))
def test_outlet_delivery_equals_the_array_code(seed):
    rng = np.random.default_rng(seed)
    sc, c, follows = _random_screens(rng, 40, 3, 20)
    new = np.sort(rng.choice(np.flatnonzero(c.source_kind == OUTLET), 8, replace=True))
    new = np.unique(new)
    old_sc, old_c = _copy(sc), _store(c.source_kind.tolist(), c.source.tolist())
    for k in np.unique(old_c.source[new]):
        items = new[old_c.source[new] == k][-old_sc.size :]
        ref_deliver_direct(old_sc, old_c, np.flatnonzero(follows[:, k]), items)
    sc.deliver_outlets(c, follows, new)
    assert _same_screens(sc, old_sc)
    assert np.array_equal(c.exposures, old_c.exposures)


@pytest.mark.parametrize("seed", range(6))
def test_poisson_inverse_equals_the_array_code(seed):
    rng = np.random.default_rng(seed)
    lam = np.concatenate([rng.uniform(0, 3, 40), rng.uniform(0, 60, 10), [0.0, 1e-9]])
    u = rng.random(len(lam))
    assert np.array_equal(publish_mod.poisson_inverse(u, lam), ref_poisson_inverse(u, lam))


def _step_with(m, publish, deliver) -> None:
    """One step of ``m`` with the given publish and deliver phases."""
    old = phases.publish, phases.deliver
    phases.publish, phases.deliver = publish, deliver
    try:
        m.step()
    finally:
        phases.publish, phases.deliver = old


@pytest.mark.parametrize(
    "params",
    [
        Params(n_users=300, strategy="interactive"),
        Params(n_users=300, strategy="scenario"),
        Params(n_users=300, strategy="one_way", screen_size=3),
        presets.threshold(n_users=400),
        presets.granovetter_crowd(n_users=60),
    ],
    ids=["interactive", "scenario", "one_way-small-screens", "threshold", "granovetter"],
)
def test_steps_equal_the_array_code(params):
    """Whole runs, one with the old publish and deliver and one with the new, end every step
    in the same state: every array (floats too), counter and generator position."""
    new = OpinionEcology(params, seed=4)
    old = OpinionEcology(params, seed=4)
    for _ in range(12):
        _step_with(new, publish_mod.publish, deliver_mod.deliver)
        _step_with(old, ref_publish, ref_deliver)
        a, b = state_digest(new), state_digest(old)
        assert a.keys() == b.keys()
        assert [k for k in a if a[k] != b[k]] == []
    assert new.content.n > 0 and new.content.exposures.sum() > 0


# ----------------------------------------------------------------------------- content helpers
def ref_visible_thread(c, items):
    crit = c.critical[items] - c.removed_critical[items]
    sup = c.supportive[items] - (c.removed[items] - c.removed_critical[items])
    unc = c.uncivil[items] - c.removed_uncivil[items]
    return sup, crit, unc, c.replies[items]


def ref_item_proof(c, items, params):
    from model.content import social_proof

    sup, crit, unc, rep = ref_visible_thread(c, items)
    return social_proof(
        sup, crit, unc, rep, c.views[items], params.negativity_weight, params.proof_share
    )


def ref_thread_shares(c, items):
    sup, crit, unc, rep = ref_visible_thread(c, items)
    n = (sup + crit + rep).astype(np.float64)
    uncivil = np.divide(unc, n, out=np.zeros(len(n)), where=n > 0)
    critical = np.divide(crit, n, out=np.zeros(len(n)), where=n > 0)
    return uncivil, critical


def _threads(seed: int, n: int = 300) -> ContentStore:
    """A store whose threads hold random comments, some removed, and some empty threads."""
    rng = np.random.default_rng(seed)
    c = _store([OUTLET] * n, [0] * n)
    for name in ("supportive", "critical", "replies"):
        getattr(c, name)[:] = rng.integers(0, 6, n) * (rng.random(n) < 0.7)
    c.uncivil[:] = rng.integers(0, c.supportive + c.critical + 1)
    c.removed_critical[:] = rng.integers(0, c.critical + 1)
    c.removed[:] = c.removed_critical + rng.integers(0, c.supportive + 1)
    c.removed_uncivil[:] = rng.integers(0, np.minimum(c.uncivil, c.removed) + 1)
    c.views[:] = rng.integers(0, 40, n)
    return c


def _bits(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_thread_helpers_equal_the_array_code(seed):
    c = _threads(seed)
    items = np.random.default_rng(seed).integers(0, c.n, 500)
    for got, want in zip(
        content.visible_thread(c, items), ref_visible_thread(c, items), strict=True
    ):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    for nu, share in ((1.0, 0.1), (2.5, 0.03), (1.0, 1.0)):
        params = Params(negativity_weight=nu, proof_share=share)
        got, want = content.item_proof(c, items, params), ref_item_proof(c, items, params)
        assert np.array_equal(_bits(got), _bits(want))
    for got, want in zip(content.thread_shares(c, items), ref_thread_shares(c, items), strict=True):
        assert np.array_equal(_bits(got), _bits(want))


def test_count_by_hand_and_rejects_unknown_items():
    """Repeated ids count once per occurrence, in int64 and int32 counters alike."""
    c = _store([OUTLET] * 4, [0] * 4)
    c.count("exposures", np.array([3, 1, 3, 3]))
    c.count("removed", np.array([0, 0], dtype=np.int32))
    assert c.exposures.tolist() == [0, 1, 0, 3] and c.removed.tolist() == [2, 0, 0, 0]
    with pytest.raises(IndexError, match="out of range"):
        c.count("views", np.array([4]))
    with pytest.raises(IndexError, match="out of range"):
        c.count("views", np.array([-1]))


def test_ring_slot_is_the_remainder():
    """The division-free p mod size equals numpy's remainder for every size a screen can have
    and pointers up to 2^50 (far beyond any run's deliveries)."""
    from model.screens import _slot

    rng = np.random.default_rng(0)
    ps = np.concatenate([np.arange(5000), rng.integers(0, 2**50, 5000), [2**50 - 1]])
    for size in range(1, 65):
        got = np.array([_slot(int(p), size) for p in ps[::7]] + [_slot(int(ps[-1]), size)])
        assert np.array_equal(got, np.append(ps[::7], ps[-1]) % size)


@pytest.mark.parametrize("seed", range(6))
def test_deliver_direct_equals_the_array_code(seed):
    rng = np.random.default_rng(seed)
    sc, c, _ = _random_screens(rng, 40, 4, 20)
    rec = rng.choice(40, 15, replace=False)
    items = rng.integers(0, 20, 1 + seed % 4)
    old_sc, old_c = _copy(sc), _store(c.source_kind.tolist(), c.source.tolist())
    ref_deliver_direct(old_sc, old_c, rec, items)
    sc.deliver_direct(c, rec, items)
    assert _same_screens(sc, old_sc)
    assert np.array_equal(c.exposures, old_c.exposures)


def test_screen_writers_reject_unknown_ids():
    """An id outside the users or the store fails (the kernels do not check bounds themselves;
    a silent write outside an array would corrupt the run)."""
    c = _store([OUTLET, USER], [0, 1])
    sc, follows = Screens(2, 3), np.ones((2, 1), bool)
    one = np.array([-1])
    with pytest.raises(IndexError, match="not a user id"):
        sc.push_social(c, follows, np.array([2]), np.array([0]), one, SOCIAL)
    with pytest.raises(IndexError, match="not in the content store"):
        sc.push_social(c, follows, np.array([0]), np.array([2]), one, SOCIAL)
    with pytest.raises(IndexError, match="not a user id"):
        sc.deliver_direct(c, np.array([-1]), np.array([0]))
    with pytest.raises(IndexError, match="not in the content store"):
        sc.deliver_outlets(c, follows, np.array([5]))
    assert sc.unseen() == 0 and c.exposures.tolist() == [0, 0]
