"""Measures: exact values on hand-built states, and agreement with reference formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kurtosis, skew

from model import OpinionEcology
from model import measures as M
from tests.conftest import quiet_params


def test_tree_virality_star_and_chain_exact():
    for n in (2, 3, 10, 101):
        star = np.array([-1] + [0] * (n - 1))
        chain = np.arange(-1, n - 1)
        assert M.tree_virality(star) == pytest.approx(2 * (n - 1) / n, abs=1e-12)
        assert M.tree_virality(chain) == pytest.approx((n + 1) / 3, abs=1e-12)
    with pytest.raises(ValueError, match="parent"):
        M.tree_virality(np.array([-1, 2, 0]))


def test_structural_virality_from_the_view_log_matches_tree_formula():
    m = OpinionEcology(quiet_params(n_users=20), seed=1)
    log = m.view_log
    # item 0: a star of 5 viewers under the root; item 1: a chain root -> 3 -> 4 -> 5 -> 6
    log.append(
        np.zeros(5, np.int32),
        np.full(5, -1, np.int32),
        np.arange(5, dtype=np.int32),
        np.ones(5, np.int32),
    )
    log.append(np.array([1]), np.array([-1]), np.array([3]), np.array([1]))
    log.append(np.array([1, 1, 1]), np.array([3, 4, 5]), np.array([4, 5, 6]), np.array([2, 3, 4]))
    # a duplicate view is ignored
    log.append(np.array([1]), np.array([-1]), np.array([6]), np.array([9]))
    sv = M.structural_virality(m)
    assert sv[0] == pytest.approx(2 * 5 / 6) and sv[1] == pytest.approx(6 / 3)
    assert M.cascade_sizes(m).tolist() == [5, 4]
    assert M.cascade_depths(m).tolist() == [1, 4]
    # the final-measure summaries of the two trees
    assert M.mean_cascade_size(m) == 4.5 and M.max_cascade_size(m) == 5.0
    assert M.mean_cascade_depth(m) == 2.5
    assert M.mean_structural_virality(m) == pytest.approx((10 / 6 + 2) / 2)
    final = M.final_measures(m)
    assert final["cascade_mean_size"] == 4.5 and final["cascade_max_size"] == 5.0
    assert final["structural_virality"] == pytest.approx((10 / 6 + 2) / 2)


def test_incremental_cascade_sizes_equal_the_trees():
    """Sizes counted step by step equal the sizes of the trees built from the whole log."""
    m = OpinionEcology(n_users=600, seed=4, strategy="interactive", record_cascades="all")
    for _ in range(30):
        m.step()
        sizes = M.cascade_sizes(m)  # updated from the rows appended by this step only
        trees = M._compute_tree_stats(m)["size"]
        assert sizes.index.equals(trees.index) and sizes.tolist() == trees.tolist()
        assert sizes.index.dtype == trees.index.dtype  # equals() ignores dtypes
        assert sizes.name == "size" and sizes.dtype == np.int64
    assert len(sizes) > 100 and sizes.max() > 50
    # a fresh model computing everything at once agrees with the incremental one
    again = OpinionEcology(n_users=600, seed=4, strategy="interactive", record_cascades="all")
    again.run(30)
    assert M.cascade_sizes(again).equals(sizes)


def test_bimodality_matches_scipy_definition():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-0.5, 0.1, 300), rng.normal(0.6, 0.2, 200)])
    g, k, n = skew(x, bias=False), kurtosis(x, bias=False), len(x)
    expected = (g**2 + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    assert M._bimodality(x) == pytest.approx(expected, rel=1e-10)
    assert M._bimodality(x) > 5 / 9 > M._bimodality(rng.normal(size=2000))


def test_opinion_clusters_and_variance():
    m = OpinionEcology(quiet_params(n_users=100), seed=1)
    m.state.opinion[:] = np.repeat([-0.5, 0.0, 0.7, 0.9], [40, 40, 17, 3])
    assert M.opinion_clusters(m) == 3  # 3 users are under 5%
    assert M.opinion_clusters(m, min_share=0.01) == 4
    assert M.opinion_variance(m) == pytest.approx(m.state.opinion.var())
    by = M.opinion_clusters(m, by="generation")
    assert set(by) == {"post00", "post90", "post80", "pre80"}


def test_echo_chamber_equals_pearson_over_ties():
    m = OpinionEcology(n_users=500, seed=2)
    acq = m.networks.acq
    a, b = m.state.opinion[acq.row_owner()], m.state.opinion[acq.indices]
    assert M.echo_chamber_index(m) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-10)
    g = m.state.gen[acq.row_owner()]
    by = M.echo_chamber_index(m, by="generation")
    assert by["pre80"] == pytest.approx(np.corrcoef(a[g == 3], b[g == 3])[0, 1], abs=1e-10)


def test_population_means_by_generation():
    m = OpinionEcology(n_users=300, seed=3)
    s = m.state
    s.reached[:] = False
    s.reached[s.gen == 1] = True
    assert M.reach(m) == pytest.approx((s.gen == 1).mean())
    assert M.reach(m, by="generation") == {
        "post00": 0.0,
        "post90": 1.0,
        "post80": 0.0,
        "pre80": 0.0,
    }
    assert M.mean_trust(m) == pytest.approx(s.trust_media[:, 0].mean(), rel=1e-6)
    with pytest.raises(ValueError, match="by='cohort'"):
        M.reach(m, by="cohort")


def test_channel_shares_from_tallies():
    m = OpinionEcology(quiet_params(n_users=10), seed=1)
    m.views_by[:] = 0
    m.views_by[0, 0, 1] = 6  # post00: 6 direct views of focal items
    m.views_by[0, 1, 1] = 4  # 4 through forwards
    m.views_by[0, 3, 0] = 10  # 10 trending views of other items
    assert M.secondary_share(m) == pytest.approx(0.4)
    assert M.social_channel_share(m, by="generation")["post00"] == pytest.approx(14 / 20)
    m.engaged_by[0] = [2, 1, 1]
    assert M.engagement(m) == pytest.approx(0.4) and M.engagement(
        m, kind="forward"
    ) == pytest.approx(0.1)


def test_snapshot_has_overall_and_per_generation_and_datacollector_matches():
    m = OpinionEcology(n_users=300, seed=4, strategy="interactive").run(5)
    snap = M.snapshot(m)
    for name in M.STEP_MEASURES:
        assert name in snap and f"{name}[pre80]" in snap
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 6 and df.iloc[-1]["reach"] == snap["reach"]
    assert M.final_measures(m)["replies"] == m.replies_sent


def test_steps_to_reach_reads_the_first_crossing():
    m = OpinionEcology(n_users=300, seed=4, strategy="interactive").run(30)
    reach = m.datacollector.get_model_vars_dataframe()["reach"].to_numpy()
    first = int(np.argmax(reach >= 0.5)) if (reach >= 0.5).any() else None
    got = M.steps_to_reach(m, 0.5)
    assert (np.isnan(got) and first is None) or got == first
    assert np.isnan(M.steps_to_reach(OpinionEcology(quiet_params(n_users=10), seed=1).run(3), 0.5))
    with pytest.raises(ValueError, match="share"):
        M.steps_to_reach(m, 0)
    final = M.final_measures(m)
    for share, key in ((0.5, "steps_to_reach_50"), (0.9, "steps_to_reach_90")):
        assert final[key] == pytest.approx(M.steps_to_reach(m, share), nan_ok=True)


def test_opinion_measures_are_reused_only_while_no_opinion_moved():
    """The snapshot's opinion cache: equal opinions give the cached values, one changed opinion
    gives the values computed afresh (the reference is the uncached function)."""
    from model.measures import opinion_variance, snapshot

    m = OpinionEcology(seed=3, n_users=300)
    first = snapshot(m)
    np.testing.assert_equal(snapshot(m), first)
    m.state.opinion[0] = -m.state.opinion[0] + 0.5
    again = snapshot(m)
    assert again["opinion_variance"] == opinion_variance(m)
    assert again["opinion_variance"] != first["opinion_variance"]
