"""The snapshot's compiled kernels (model/measures/kernels.py): hand-computed six-user cases,
and bit-for-bit equality with the array code each replaces (numpy's sums, each measure's own
function) on random inputs and on running models."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from model import OpinionEcology, Params, presets
from model.constants import CLUSTER_TOL
from model.measures import collect, kernels
from model.measures import opinion as op
from model.measures import population as pop
from model.measures.catalogue import measures

# six users: two in cohort 0, two in cohort 1, one each in cohorts 2 and 3
GEN = np.array([0, 0, 1, 1, 2, 3], dtype=np.int8)
NAN = math.nan


def same(a: float, b: float) -> bool:
    """Equal bits, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


# ------------------------------------------------------------------ numpy's sums
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pairwise_sum_is_numpys_sum_bit_for_bit(dtype):
    """A sequential sum differs from numpy's in the last bits for n > 8; the pairwise one must not."""
    rng = np.random.default_rng(7)
    sizes = [*range(0, 300), 1000, 1024, 8191, 8192, 8193, 100_003]
    for n in sizes:
        x = ((rng.random(n) - 0.3) * rng.choice([1.0, 1e3, 1e-3], n)).astype(dtype)
        assert dtype(kernels.pairwise_sum(x)) == np.add.reduce(x), n
    # a strided column sums as numpy sums it (belonging is column 0 of users x outlets)
    y = rng.random((5000, 3)).astype(dtype)
    assert dtype(kernels.pairwise_sum(y[:, 0])) == np.add.reduce(y[:, 0])


def test_pairwise_sum_differs_from_a_sequential_sum():
    """The test above can fail: on these values a plain loop gives other bits."""
    x = np.random.default_rng(1).random(1000)
    seq = 0.0
    for v in x:
        seq += v
    assert seq != np.add.reduce(x) and kernels.pairwise_sum(x) == np.add.reduce(x)


# ------------------------------------------------------------------ hand-computed, six users
def test_flag_counts_six_users_by_hand():
    reached = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    follows = np.zeros((6, 2), dtype=bool)
    follows[:, 0] = [1, 1, 0, 0, 0, 1]
    follows[:, 1] = True  # another outlet's followers count for nothing
    initial = np.array([1, 0, 0, 1, 0, 0], dtype=bool)
    left = np.array([0, 0, 0, 1, 0, 0], dtype=bool)
    community = np.zeros((6, 2), dtype=bool)
    community[0, 0] = community[3, 1] = True
    last_view = np.array([10, 0, 5, 9, -(10**6), 9], dtype=np.int32)
    last_engage = np.array([9, 9, 0, 0, 0, 0], dtype=np.int32)
    c = kernels.flag_counts(
        GEN, 4, reached, follows, initial, left, community, last_view, last_engage, 8
    )
    got = {
        name: [(int(c[g, 2 * j]), int(c[g, 2 * j + 1])) for g in range(4)]
        for j, name in enumerate(kernels.FLAG_SHARES)
    }
    # (numerator, denominator) per cohort, from the table above
    assert got == {
        "reach": [(1, 2), (2, 2), (0, 1), (1, 1)],
        # never followed: users 2 and 4 (0 and 3 initially did, 1 and 5 follow now)
        "reach_non_followers": [(0, 0), (1, 1), (0, 1), (0, 0)],
        # viewed after step 8: users 0, 3, 5
        "daily_focal_viewers": [(1, 2), (1, 2), (0, 1), (1, 1)],
        "community_members": [(1, 2), (0, 2), (0, 1), (0, 1)],
        # followers 0, 1, 5; 0 and 1 engaged after step 8
        "stickiness": [(2, 2), (0, 0), (0, 0), (0, 1)],
        # initial followers 0 and 3; 3 unfollowed
        "retention": [(1, 1), (0, 1), (0, 0), (0, 0)],
        "followers": [(2, 2), (0, 2), (0, 1), (1, 1)],
    }


def test_value_sums_six_users_by_hand():
    # trust (prior 2 t0 + e+) / (2 + e+ + e-) with the evidence halved per step since step 3
    trust0 = np.zeros((6, 2), dtype=np.float32)
    trust0[:, 0] = [0.25, 0.75, 0.5, 0.5, 0.125, 0.375]
    pos = np.zeros((6, 2), dtype=np.float32)
    neg = np.zeros((6, 2), dtype=np.float32)
    last = np.full((6, 2), 3, dtype=np.int32)
    pos[3, 0] = 4.0  # halved once by step 4: (1 + 2) / (2 + 2) = 0.75
    neg[2, 0] = 8.0  # halved once: (1 + 0) / (2 + 4) = 1/6
    last[2:4, 0] = 3
    last[[0, 1, 4, 5], 0] = 4  # no evidence: t0
    valence = np.array([0.5, -0.5, 0.25, 0.25, 1.0, 0.0], dtype=np.float32)
    arousal = np.array([0.0, 1.0, 0.5, 0.5, 0.25, 0.75], dtype=np.float32)
    belonging = np.zeros((6, 2), dtype=np.float32)
    belonging[:, 0] = [0.5, 0.25, 0.0, 0.0, 1.0, 0.5]
    belonging[:, 1] = 9.0  # another outlet's community
    seen_count = np.array([2, 0, 1, 4, 0, 1], dtype=np.int32)
    seen_distance = np.array([1.0, 0.0, 0.5, 2.0, 0.0, 0.25])
    table = kernels.value_sums(
        GEN,
        4,
        trust0,
        pos,
        neg,
        last,
        0.5,
        2.0,
        4,
        valence,
        arousal,
        belonging,
        seen_distance,
        seen_count,
    )
    # rows: trust, valence, arousal, belonging, exposure distance; columns: cohorts
    want = np.array(
        [
            [0.5, (1 / 6 + 0.75) / 2, 0.125, 0.375],
            [0.0, 0.25, 1.0, 0.0],
            [0.5, 0.5, 0.25, 0.75],
            [0.375, 0.0, 1.0, 0.5],
            [0.5, 0.5, NAN, 0.25],  # user 4 viewed nothing, user 1 neither
        ]
    )
    np.testing.assert_array_equal(table[:, 1:], want)
    assert table[0, 0] == pytest.approx((0.25 + 0.75 + 1 / 6 + 0.75 + 0.125 + 0.375) / 6)
    assert table[1:, 0].tolist() == [0.25, 0.5, 0.375, 0.4375]


def test_tally_shares_by_hand():
    # cohort x channel (direct, social, recommended, trending) x (other items, focal items)
    views = np.zeros((4, 4, 2), dtype=np.int64)
    views[0, :, 1] = [6, 3, 1, 0]  # 10 focal views
    views[0, :, 0] = [4, 4, 0, 2]  # 10 other views, 4 of them direct
    views[1, :, 1] = [0, 0, 0, 2]  # 2 focal views, both trending
    engaged = np.array([[2, 1, 1], [0, 0, 1], [0, 0, 0], [0, 0, 0]], dtype=np.int64)
    forwards = np.array([1, 1, 0, 0], dtype=np.int64)
    t = dict(
        zip(kernels.TALLY_MEASURES, kernels.tally_shares(views, engaged, forwards, 4), strict=True)
    )
    np.testing.assert_array_equal(t["secondary_share"], [3 / 12, 3 / 10, 0, NAN, NAN])
    np.testing.assert_array_equal(t["primary_share"], [7 / 12, 7 / 10, 0, NAN, NAN])
    np.testing.assert_array_equal(t["platform_share"], [2 / 12, 0, 1, NAN, NAN])
    # all views: cohort 0 20 (10 direct), cohort 1 2 (none direct)
    np.testing.assert_array_equal(t["social_channel_share"], [12 / 22, 10 / 20, 1, NAN, NAN])
    np.testing.assert_array_equal(t["engagement"], [5 / 12, 4 / 10, 1 / 2, NAN, NAN])
    np.testing.assert_array_equal(t["forwards"], [2, 1, 1, 0, 0])
    np.testing.assert_array_equal(t["forwarded_views"], [3, 3, 0, 0, 0])
    np.testing.assert_array_equal(t["forwards_per_item"], [0.5, 0.25, 0.25, 0, 0])
    none = kernels.tally_shares(views, engaged, forwards, 0)
    assert np.isnan(none[-1]).all()


def test_opinion_moments_six_users_by_hand():
    x = np.array([-1.0, 1.0, 0.5, 0.5, -0.5, -0.5])
    mom = kernels.opinion_moments(x, GEN, 4)
    # rows: overall, cohorts 0..3; columns n, m2, m3, m4 (the overall mean is 0)
    want = np.array(
        [
            [6, 0.5, 0.0, 0.375],
            [2, 1.0, 0.0, 1.0],
            [2, 0.0, 0.0, 0.0],
            [1, 0.0, 0.0, 0.0],
            [1, 0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_array_equal(mom, want)
    empty = kernels.opinion_moments(x, np.zeros(6, dtype=np.int8), 4)
    assert empty[2, 0] == 0 and np.isnan(empty[2, 1:]).all()


def test_echo_parts_path_by_hand():
    # the path 0 - 1 - 2 with opinions 0, 1, 2; user 0 in cohort 0, users 1 and 2 in cohort 1
    indptr = np.array([0, 1, 3, 4], dtype=np.int64)
    indices = np.array([1, 0, 2, 1], dtype=np.int32)
    parts = kernels.echo_parts(np.array([0.0, 1.0, 2.0]), GEN[[0, 2, 3]], 4, indptr, indices)
    # ties, sum a, sum b, sum a^2, sum b^2, sum ab over each cohort's owners' ties
    want = np.zeros((4, 6))
    want[0] = [1, 0, 1, 0, 1, 0]
    want[1] = [3, 4, 3, 6, 5, 4]
    np.testing.assert_array_equal(parts, want)
    # over all ties, a and b are uncorrelated: (0,1), (1,0), (1,2), (2,1)
    assert op._corr_from(parts.sum(axis=0)) == 0.0


def test_clusters_six_users_by_hand():
    x = np.array([0.5004, 1.0, 0.0, 0.9, 0.0005, 0.5])
    gen = np.array([1, 0, 0, 2, 1, 0], dtype=np.int8)
    got = kernels.clusters(x, gen, 4, 1e-3, 0.3)
    # overall: runs {0, 0.0005}, {0.5, 0.5004}, {0.9}, {1.0}, 1.8 users needed; cohort 0
    # (0, 0.5, 1): three singletons, 0.9 needed; cohort 1: two singletons; cohort 2: one;
    # cohort 3: none
    assert got == [2, 3, 2, 1, 0]
    # negative opinions sort below positive ones (the keys flip a negative float's bits):
    # overall {-0.5004, -0.5} and {0.4995, 0.5}; cohort 0 holds 0.5 and -0.5004, two
    # singletons of the one user needed; cohorts 1 and 2 one user each
    x = np.array([-0.5, 0.5, -0.5004, 0.4995])
    assert kernels.clusters(x, gen[:4], 4, 1e-3, 0.5) == [2, 2, 1, 1, 0]


def test_clusters_equal_the_sorting_measure_on_random_opinions():
    """Both ways of counting: binned (opinions in [-1, 1]) and sorted (a spread of thousands
    of tolerances), against the measure's own sorts."""
    rng = np.random.default_rng(11)
    tol = np.float32(CLUSTER_TOL)
    for n in (1, 5, 50, 3000):
        for scale in (1e-3, 0.02, 1.0, 1e3):
            x = rng.normal(0, scale, n) + rng.choice([-0.6, 0.0, 0.6], n)
            x = x if scale > 1 else np.clip(x, -1, 1)
            gen = rng.integers(0, 4, n).astype(np.int8)
            binned = kernels._cluster_cells(x, gen, 4, tol, op.MIN_CLUSTER_SHARE)
            assert (len(binned) == 0) == (scale > 1 and n > 1)
            model = SimpleNamespace(state=SimpleNamespace(opinion=x, gen=gen))
            overall, per = op.clusters_joint(model)
            assert kernels.clusters(x, gen, 4, CLUSTER_TOL, op.MIN_CLUSTER_SHARE) == [
                overall,
                *per.values(),
            ]


# ------------------------------------------------------------------ against the array code
def test_echo_parts_equal_reduceat_on_random_graphs():
    """Rows of 0 to 60 neighbours: reduceat sums those over 9 pairwise, as the kernel must."""
    rng = np.random.default_rng(3)
    n = 300
    deg = rng.integers(0, 60, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    indices = rng.integers(0, n, indptr[-1]).astype(np.int32)
    x = rng.normal(size=n)
    g = rng.integers(0, 4, n).astype(np.int8)
    nb = x[indices]
    rows = np.flatnonzero(deg)
    nsum, nsq = np.zeros(n), np.zeros(n)
    nsum[rows] = np.add.reduceat(nb, indptr[rows])
    nsq[rows] = np.add.reduceat(nb * nb, indptr[rows])
    d = deg.astype(np.float64)
    want = np.stack(
        [
            np.bincount(g, weights=w, minlength=4)
            for w in (d, d * x, nsum, d * x * x, nsq, x * nsum)
        ],
        axis=1,
    )
    np.testing.assert_array_equal(kernels.echo_parts(x, g, 4, indptr, indices), want)


def test_echo_parts_equal_reduceat_at_the_block_edges():
    """Rows around numpy's block sizes (8 running sums from 8 values, one block up to 128, the
    pairwise recursion above) and long rows read in two passes: the same bits as reduceat."""
    rng = np.random.default_rng(11)
    deg = np.array([0, 1, 2, 7, 8, 9, 10, 16, 17, 128, 129, 130, 131, 137, 300, 1000, 3, 0])
    n = len(deg)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    indices = rng.integers(0, n, indptr[-1]).astype(np.int64)
    # opinions of mixed magnitudes, so that a different order of additions changes bits
    x = rng.normal(size=n) * 10.0 ** rng.integers(-8, 8, n)
    g = rng.integers(0, 4, n).astype(np.int8)
    nb = x[indices]
    rows = np.flatnonzero(deg)
    nsum, nsq = np.zeros(n), np.zeros(n)
    nsum[rows] = np.add.reduceat(nb, indptr[rows])
    nsq[rows] = np.add.reduceat(nb * nb, indptr[rows])
    d = deg.astype(np.float64)
    want = np.stack(
        [
            np.bincount(g, weights=w, minlength=4)
            for w in (d, d * x, nsum, d * x * x, nsq, x * nsum)
        ],
        axis=1,
    )
    got = kernels.echo_parts(x, g, 4, indptr, indices)
    assert got.tobytes() == want.tobytes()


def _by_function(model) -> dict[str, float]:
    """The snapshot as each measure's own array function computes it."""
    out: dict[str, float] = {}
    for m in measures(when="step"):
        out.update(collect._values(model, m))
    return out


@pytest.mark.parametrize(
    "params",
    [
        Params(n_users=500, strategy="interactive", steps=60),
        Params(n_users=300, strategy="one_way", steps=60),
        presets.deffuant(epsilon=0.2, n_users=300),
        presets.independent_cascade(n_users=400),
    ],
    ids=["interactive", "one_way", "deffuant", "independent_cascade"],
)
def test_snapshot_equals_each_measures_function_bit_for_bit(params):
    model = OpinionEcology(params, seed=5)
    for t in range(25):
        if t % 6 == 0 or t < 2:
            model.caches.opinion = None  # compute the opinion measures afresh
            got, want = collect.snapshot(model), _by_function(model)
            assert list(got) == list(want)
            differ = {c: (got[c], want[c]) for c in want if not same(got[c], want[c])}
            assert not differ, f"step {t}: {differ}"
        if model.running:
            model.step()


def test_snapshot_in_one_piece_equals_the_measure_by_measure_row():
    """The one-piece row (fused values in column order) equals the row built measure by
    measure, afresh and when the opinion measures are reused, and both caches hold the same."""
    model = OpinionEcology(Params(n_users=300, strategy="interactive"), seed=3)
    model.run(6)
    model.caches.opinion = None
    got = collect.snapshot(model)
    kept = model.caches.opinion
    assert kept is not None
    fused = pop.step_columns(model)
    fused.update(op.step_columns(model))
    want = collect._general_row(model, fused, None, False)
    assert list(got) == list(want)
    assert all(same(got[c], want[c]) for c in want)
    assert list(kept[1]) == [c for m, cols in collect._STEP if m.opinion_only for c in cols]
    # no opinion moved: the opinion columns come from the cache, the cache is kept as it is
    again = collect.snapshot(model)
    assert model.caches.opinion is kept
    assert list(again) == list(want) and all(same(again[c], want[c]) for c in want)


def test_snapshot_row_falls_back_and_refuses_a_wrong_width():
    """A measure the fused passes do not give is left to its own function (None); a fused
    measure with the wrong number of values is refused by name."""
    model = OpinionEcology(Params(n_users=200, strategy="interactive"), seed=3)
    fused = pop.step_columns(model)
    fused.update(op.step_columns(model))
    full = collect._fused_row(dict(fused), None)
    assert full is not None and list(full) == list(collect._COLUMNS)
    missing = {k: v for k, v in fused.items() if k != "reach"}
    assert collect._fused_row(missing, None) is None
    fused["trust"] = fused["trust"][:-1]
    with pytest.raises(ValueError, match="'trust'"):
        collect._fused_row(fused, None)


def test_step_columns_change_no_state():
    """Measures never feed back: the arrays the step reads are unchanged by a snapshot."""
    model = OpinionEcology(Params(n_users=300, strategy="interactive"), seed=2)
    for _ in range(5):
        model.step()
    before = {k: v.copy() for k, v in vars(model.state).items()}
    pop.step_columns(model)
    op.step_columns(model)
    for k, v in vars(model.state).items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_datacollector_records_what_mesas_own_collect_records():
    """The snapshot collector skips Mesa's deep copies only: same rows, same values, and Mesa's
    own path (deep copies included) once a reporter is added."""
    import mesa

    model = OpinionEcology(Params(n_users=300, strategy="interactive"), seed=4)
    plain = mesa.DataCollector(model_reporters=dict(model.datacollector.model_reporters))
    plain.collect(model)
    for _ in range(4):
        model.step()
        plain.collect(model)
    got = model.datacollector.get_model_vars_dataframe()
    want = plain.get_model_vars_dataframe()
    assert isinstance(model.datacollector, collect.SnapshotCollector)
    assert got.shape == (5, len(collect.build_datacollector(model).model_reporters))
    assert got.equals(want)
    model.datacollector._new_model_reporter("users", lambda m: [m.n_users])
    model.step()
    assert model.datacollector.model_vars["users"] == [[300]]
    assert len(model.datacollector.model_vars["reach"]) == 6


def test_sarle_and_correlation_on_python_floats_equal_numpys_scalars():
    """The Python-float arithmetic gives numpy's float64 scalar bits, and numpy's inf or NaN
    where Python would raise (a variance whose 1.5th power underflows)."""
    rng = np.random.default_rng(5)
    for _ in range(2000):
        n = int(rng.integers(4, 10**6))
        m2, m3, m4 = rng.random() * 10.0 ** rng.integers(-12, 2), rng.normal(), rng.random()
        want = op._sarle(n, np.float64(m2), np.float64(m3), np.float64(m4), np.sqrt)
        assert same(op.sarle(n, m2, m3, m4), want)
        p = [float(rng.integers(3, 10**6)), *rng.normal(size=5) * 100]
        p[3] = p[1] ** 2 + abs(p[3])
        p[4] = p[2] ** 2 + abs(p[4])
        assert same(op._corr_from(p), op._corr(*map(np.float64, p), np.sqrt))
    with np.errstate(divide="ignore", invalid="ignore"):
        want = op._sarle(10, np.float64(1e-250), np.float64(1e-300), np.float64(1e-290), np.sqrt)
        assert same(op.sarle(10, 1e-250, 1e-300, 1e-290), want)


@pytest.mark.parametrize("t", [0, 7, 5000])
def test_trust_means_equal_trust_at_at_any_age(t):
    """The decay factors computed once per age (ages below both t and the population) or
    directly (older ages) give trust_at's trust, hence by_gen's means, bit for bit."""
    from model.trust import keep_per_step, trust_at

    rng = np.random.default_rng(t)
    n = 60
    gen = rng.integers(0, 4, n).astype(np.int8)
    state = SimpleNamespace(
        trust0=rng.random((n, 2)).astype(np.float32),
        trust_pos=(rng.random((n, 2)) * 5).astype(np.float32),
        trust_neg=(rng.random((n, 2)) * 5).astype(np.float32),
        trust_last=rng.integers(0, t + 1, (n, 2)).astype(np.int32),
    )
    state.trust_pos[::3, 0] = 0.0
    state.trust_neg[::3, 0] = 0.0  # no evidence at all
    params = SimpleNamespace(trust_forgetting=0.8, trust_prior=2.0)
    want = trust_at(state, params, t)
    z = np.zeros(n, dtype=np.float32)
    table = kernels.value_sums(
        gen,
        4,
        state.trust0,
        state.trust_pos,
        state.trust_neg,
        state.trust_last,
        keep_per_step(params),
        2.0,
        t,
        z,
        z,
        np.zeros((n, 1), dtype=np.float32),
        np.zeros(n),
        np.zeros(n, dtype=np.int32),
    )
    per = np.bincount(gen, weights=want, minlength=4) / np.bincount(gen, minlength=4)
    np.testing.assert_array_equal(table[0], [want.mean(), *per])
