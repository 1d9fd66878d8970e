"""The report's seed-noise section for a design with replicates (experiments/discovery_report.py).

The estimator is :func:`experiments.stats.variance_split` (its hand-computed cases are in
tests/experiments/test_posterior.py); this file checks the wiring: which
designs get the section, and that its figures are that estimator's on the stored runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments.report import write_report
from experiments.results import load_results
from experiments.spec import load_spec
from experiments.stats import variance_split

SMOKE = Path(__file__).parents[2] / "experiments" / "specs" / "discovery_smoke.toml"


@pytest.mark.slow  # about 10 s on 2 cores: make test and CI run it, make test-fast skips it
def test_report_of_a_design_with_replicates_splits_off_the_seed_noise(tmp_path):
    """discovery_smoke shrunk to Saltelli n = 2 (10 scenarios), 2 replicates, 24 steps: the
    report writes seed_noise.csv with one row per arm, lever setting and headline measure; each
    row's seed variance is the pooled within-scenario variance of Δ, recomputed here by hand
    from the runs table (Σ (Δ - scenario mean)^2 / (scenarios (r - 1))), and the seed share is
    variance_split's on the same (scenarios x replicates) matrix."""
    spec = load_spec(SMOKE).with_overrides({"design.n": 2, "replicates": 2, "steps": 24})
    out = tmp_path / "smoke"
    experiments.run(spec, out, progress=False)
    files = write_report(out, figures=False)
    got = pd.read_csv(files["seed_noise.csv"])
    res = load_results(out)
    head = [m for m in spec.analysis.headline if m in res.measures]
    runs = res.runs[res.runs["status"] == "ok"]
    n_levers = len(spec.design.levers)
    assert len(got) == n_levers * len(head) and set(got["measure"]) == set(head)
    assert (got["replicates"] == 2).all() and (got["draws"] == 10).all()
    row = got[(got["measure"] == head[0]) & (got["lever"] == 0)].iloc[0]
    points = [p for p, (lever, _) in enumerate(res.plan.index) if lever == 0]

    def grid(arm: str) -> np.ndarray:
        g = runs[(runs["arm"] == arm) & runs["point_id"].isin(points)]
        return g.pivot(index="point_id", columns="replicate", values=head[0]).to_numpy(float)

    y = grid(row["arm"]) - grid(spec.analysis.baseline)
    within = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum() / (y.shape[0] * (y.shape[1] - 1))
    assert row["seed_var"] == pytest.approx(within, rel=1e-9, abs=1e-15)
    assert row["seed_share"] == pytest.approx(variance_split(y).seed_share, rel=1e-9)
    md = files["report.md"].read_text()
    assert "## Seed noise" in md and "seed share" in md


def test_one_replicate_gets_no_seed_noise_section():
    """With one replicate there is no seed noise to split off: no section and no file (the
    discovery report's test checks the same end to end)."""
    from experiments.discovery_report import _seed_noise

    class Res:
        def __init__(self, spec):
            self.spec = spec

    one = load_spec(SMOKE).with_overrides({"replicates": 1})
    assert _seed_noise(Res(one), ["trust"], lambda *a: pytest.fail("wrote a file")) == []
