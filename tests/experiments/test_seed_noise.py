"""The seed-noise split of a paired difference (experiments/seed_noise.py), by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.seed_noise import noise_table, paired_differences, variance_split


def test_two_scenarios_of_two_replicates_by_hand():
    """Δ = [1, 3] and [5, 7]: each scenario's variance is 2, so MS_within = 2; the means 2 and 6
    around 4 give MS_between = 2 * (4 + 4) / 1 = 16; the between component (16 - 2) / 2 = 7;
    the noise share 2 / (2 + 7) = 2/9. F = 16 / 2 = 8 on (1, 2) degrees of freedom, i.e. t^2
    with t = sqrt(8) on 2: p = 1 - t / sqrt(t^2 + 2) = 1 - sqrt(8 / 10)."""
    r = variance_split([np.array([1.0, 3.0]), np.array([5.0, 7.0])])
    assert r["within_var"] == pytest.approx(2.0)
    assert r["between_var"] == pytest.approx(7.0)
    assert r["noise_share"] == pytest.approx(2 / 9)
    assert r["f"] == pytest.approx(8.0)
    assert r["p"] == pytest.approx(1 - math.sqrt(0.8))
    assert (r["scenarios"], r["runs"]) == (2, 4)


def test_unequal_replicates_use_the_anova_weight():
    """Groups [0, 2], [4], [6, 8, 10]: MS_within = (2 + 0 + 8) / 3 = 10/3; means 1, 4, 8 around
    5 give SS_between = 2*16 + 1 + 3*9 = 60, MS_between = 30; n0 = (6 - 14/6) / 2 = 11/6;
    between = (30 - 10/3) / (11/6) = 160/11; share = (10/3) / (10/3 + 160/11) = 11/59."""
    r = variance_split([np.array([0.0, 2.0]), np.array([4.0]), np.array([6.0, 8.0, 10.0])])
    assert r["within_var"] == pytest.approx(10 / 3)
    assert r["between_var"] == pytest.approx(160 / 11)
    assert r["noise_share"] == pytest.approx(11 / 59)


def test_pure_noise_clips_the_between_part_at_zero():
    """Scenario means closer than the noise allows: MS_between < MS_within, so the between
    component is 0 and the share is 1 (none of the spread is the scenarios')."""
    r = variance_split([np.array([0.0, 4.0]), np.array([1.0, 3.0])])
    assert r["between_var"] == 0.0
    assert r["noise_share"] == 1.0


def test_too_little_data_gives_nan_not_an_error():
    r = variance_split([np.array([1.0]), np.array([2.0])])  # no replicate to compare
    assert math.isnan(r["noise_share"]) and math.isnan(r["within_var"])
    r = variance_split([np.array([1.0, 2.0, np.nan])])  # one scenario
    assert math.isnan(r["noise_share"])


def _runs(rows):
    return pd.DataFrame(rows, columns=["point_id", "replicate", "arm", "status", "trust"])


def test_noise_table_pairs_by_point_and_replicate_and_skips_failed_runs():
    """The table pairs each arm's run with the baseline's of the same point and replicate: the
    differences are [1, 3] at point 0 and [5, 7] at point 1 (the same as the hand case above);
    a failed run of replicate 2 drops that replicate's pair."""
    rows = []
    for point, deltas in ((0, (1.0, 3.0)), (1, (5.0, 7.0))):
        for rep, d in enumerate(deltas):
            base = 10.0 * point + rep
            rows += [
                (point, rep, "one_way", "ok", base),
                (point, rep, "interactive", "ok", base + d),
            ]
    rows += [(0, 2, "one_way", "ok", 0.0), (0, 2, "interactive", "failed", np.nan)]
    runs = _runs(rows)
    d = paired_differences(runs, ["trust"], "one_way")
    assert sorted(d["trust"]) == [1.0, 3.0, 5.0, 7.0]
    t = noise_table(runs, ["trust"], "one_way")
    assert list(t["arm"]) == ["interactive"] and list(t["measure"]) == ["trust"]
    assert t.loc[0, "noise_share"] == pytest.approx(2 / 9)
    assert t.loc[0, "replicates"] == 2


def test_noise_table_is_empty_with_one_replicate():
    runs = _runs(
        [
            (0, 0, "one_way", "ok", 1.0),
            (0, 0, "interactive", "ok", 2.0),
            (1, 0, "one_way", "ok", 1.0),
            (1, 0, "interactive", "ok", 3.0),
        ]
    )
    assert noise_table(runs, ["trust"], "one_way").empty


@pytest.mark.slow  # about 10 s on 2 cores: make test and CI run it, make test-fast skips it
def test_report_of_a_design_with_replicates_has_the_seed_noise_table(tmp_path):
    """discovery_smoke shrunk to Saltelli n = 2 (10 scenarios), 2 replicates, 10 steps: the
    report writes seed_noise.csv with one row per lever arm and headline measure, and its table;
    the same figures as :func:`noise_table` on the stored runs (nothing typed in)."""
    import experiments
    from experiments.report import write_report
    from experiments.results import load_results
    from experiments.spec import load_spec

    smoke = Path(__file__).parents[2] / "experiments" / "specs" / "discovery_smoke.toml"
    spec = load_spec(smoke).with_overrides({"design.n": 2, "replicates": 2, "steps": 10})
    out = tmp_path / "smoke"
    experiments.run(spec, out, progress=False)
    files = write_report(out, figures=False)
    assert "seed_noise.csv" in files
    got = pd.read_csv(files["seed_noise.csv"])
    res = load_results(out)
    head = [m for m in spec.analysis.headline if m in res.measures]
    want = noise_table(res.runs, head, spec.analysis.baseline)
    assert len(got) == len(want) > 0 and set(got["measure"]) == set(head)
    np.testing.assert_allclose(got["noise_share"], want["noise_share"], equal_nan=True)
    assert (got["replicates"] == 2).all()
    assert "## Seed noise" in files["report.md"].read_text()
