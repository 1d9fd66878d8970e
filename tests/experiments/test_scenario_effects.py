"""Scenario discovery's table of Δ per scenario equals, bit for bit, the per-scenario version.

:func:`experiments.discovery.scenario_effects` splits the paired differences into one array per
scenario and computes the intervals of the scenarios with one or two replicates together; the
version it replaced grouped with pandas and called :func:`experiments.stats.t_interval` once per
scenario. It is kept here as the reference, and the tables must be equal exactly (not within a
tolerance): the discovery files of a folder may not change with the speed-up.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from experiments.discovery import lever_labels, scenario_effects
from experiments.stats import min_difference, t_interval


def _per_scenario(runs, spec, measures, conf, index):
    """The table as it was computed before the speed-up (one pandas group and one t_interval
    per scenario), the reference."""
    a = spec.analysis
    labels = lever_labels(spec)
    ukeys = list(spec.design.uncertainty_keys)
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["arm"] == a.baseline].set_index(["point_id", "replicate"])
    scen_values = ok.groupby("point_id")[[f"factor.{k}" for k in ukeys]].first()
    scen_values.columns = ukeys
    rows = []
    for arm in [x for x in spec.arm_names if x != a.baseline]:
        other = ok[ok["arm"] == arm].set_index(["point_id", "replicate"])
        for m in measures:
            sign = -1.0 if m in a.lower_is_better else 1.0
            paired = base[m].reindex(other.index)
            d = sign * (other[m] - paired)
            means = pd.DataFrame({"arm": other[m], "base": paired}).groupby(level=0).mean()
            for pid, g in d.groupby(level=0):
                mean, _, lo, hi = t_interval(g.to_numpy(float), conf)
                delta = min_difference(
                    m,
                    (means.at[pid, "base"], means.at[pid, "arm"]),
                    a.min_difference,
                    a.relative_min_difference,
                )
                lever, scen = index[int(pid)]
                rows.append(
                    {
                        "arm": arm,
                        "lever": lever,
                        "lever_label": labels[lever],
                        "scenario": scen,
                        "point_id": int(pid),
                        **scen_values.loc[pid].to_dict(),
                        "measure": m,
                        "diff": mean,
                        "ci_lo": lo,
                        "ci_hi": hi,
                        "n": int(np.isfinite(g.to_numpy(float)).sum()),
                        "delta": delta,
                        "loses_or_ties": bool(
                            np.isfinite(mean) and mean <= (delta if np.isfinite(delta) else 0.0)
                        ),
                        "loses": bool(np.isfinite(hi) and hi < 0),
                    }
                )
    return pd.DataFrame(rows)


def _folder(replicates: list[int], seed: int):
    """Runs of two arms and a baseline over scenarios with the given numbers of replicates:
    some failed runs, a missing measure value, equal arms (Δ = 0), an int, a float and a
    string uncertainty, two lever settings."""
    rng = np.random.default_rng(seed)
    spec = SimpleNamespace(
        arm_names=["base", "arm", "other"],
        analysis=SimpleNamespace(
            baseline="base",
            lower_is_better=["cost"],
            min_difference={"score": 0.05},
            relative_min_difference=0.05,
            confidence=0.95,
        ),
        design=SimpleNamespace(
            levers=[{"strategy.share": 0.1}, {"strategy.share": 0.3}],
            uncertainty_keys=["k", "x", "kind"],
        ),
    )
    rows, index = [], []
    for pid, reps in enumerate(replicates):
        index.append((pid % 2, pid // 2))
        k, x, kind = int(rng.integers(1, 9)), float(rng.random()), str(rng.choice(["a", "b"]))
        for arm in spec.arm_names:
            for r in range(reps):
                score, cost = rng.normal(), rng.normal(1, 0.1)
                if pid % 5 == 0:  # arms equal: Δ = 0 (-0.0 before the mean for the cost)
                    score, cost = 0.25 * r, 1.0
                rows.append((pid, arm, r, k, x, kind, score, cost))
    runs = pd.DataFrame(
        rows,
        columns=[
            "point_id",
            "arm",
            "replicate",
            "factor.k",
            "factor.x",
            "factor.kind",
            "score",
            "cost",
        ],
    )
    runs["status"] = np.where(rng.random(len(runs)) < 0.05, "failed", "ok")
    runs.loc[rng.random(len(runs)) < 0.03, "score"] = np.nan
    return runs, spec, index


@pytest.mark.parametrize(
    "replicates",
    [[1] * 30, [2] * 30, [3] * 30, [1, 2, 3, 12] * 8],
    ids=["one", "two", "three", "mixed"],
)
def test_the_effects_equal_the_per_scenario_version_exactly(replicates):
    runs, spec, index = _folder(replicates, seed=len(replicates) + sum(replicates))
    measures = ["score", "cost"]
    got = scenario_effects(runs, spec, measures, index=index)
    want = _per_scenario(runs, spec, measures, 0.95, index)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # the equality covers the cases it is about: zero differences, undefined intervals
    assert (got["diff"] == 0).any()
    assert got["ci_lo"].isna().any() and (got["n"].max() < 2 or got["ci_lo"].notna().any())
    assert got["loses_or_ties"].any() and not got["loses_or_ties"].all()
