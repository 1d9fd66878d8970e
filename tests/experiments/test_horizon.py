"""The report's horizon flags: each comparison's ``settled`` is the lower of its two arms' settled
shares, at its design point or pooled over all points.

:func:`experiments.horizon.flag_comparison` reads the shares from one group-by per measure; the
per-row version it replaced (:func:`experiments.horizon.settled_share` for each (measure,
point)) is kept here as the reference it must equal exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.horizon import flag_comparison, settled_share


def _per_row(comparison: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The flags as they were computed before the group-by (one :func:`settled_share` per
    (measure, point)), the reference."""
    out = comparison.copy()
    values = []
    for r in out.itertuples():
        if getattr(r, "generation", "all") != "all":
            values.append(np.nan)
            continue
        s = settled_share(runs, r.measure, r.point_id)
        pair = [s.get(r.arm, np.nan), s.get(r.baseline, np.nan)]
        values.append(float(np.min(pair)) if s else np.nan)
    out["settled"] = values
    return out


def _runs() -> pd.DataFrame:
    """Point 0: base settles on trust in 2 of 2 runs, arm in 1 of 2 (one NaN: not settled).
    Point 1: base 1 of 2, the arm's second run failed (its flag is ignored). Point 2: only the
    base ran. No ``settled.reach`` column."""
    return pd.DataFrame(
        {
            "point_id": [0, 0, 0, 0, 1, 1, 1, 1, 2],
            "arm": ["base", "base", "arm", "arm", "base", "base", "arm", "arm", "base"],
            "status": ["ok"] * 7 + ["failed", "ok"],
            "settled.trust": [True, True, True, None, True, False, True, False, True],
        }
    )


def _comparison() -> pd.DataFrame:
    rows = [
        (0, "trust", "all"),
        (1, "trust", "all"),
        (2, "trust", "all"),
        (-1, "trust", "all"),
        (0, "trust", "post00"),
        (0, "reach", "all"),
        (1, "trust", np.nan),
    ]
    return pd.DataFrame(
        {
            "point_id": [r[0] for r in rows],
            "arm": "arm",
            "baseline": "base",
            "measure": [r[1] for r in rows],
            "generation": [r[2] for r in rows],
        }
    )


def test_the_flags_by_hand():
    got = flag_comparison(_comparison(), _runs())["settled"].to_numpy()
    # point 0: min(1/2, 2/2); point 1: min(1/1, 1/2); point 2: no arm runs; pooled: arm 2/3,
    # base 4/5; a generation row, a measure without settled.* and a NaN generation: NaN
    want = [0.5, 0.5, np.nan, 2 / 3, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(got, want)


def test_the_flags_equal_the_per_row_version_on_a_random_folder():
    rng = np.random.default_rng(5)
    n_points, reps = 40, 3
    runs = pd.DataFrame(
        [
            (p, arm, r, rng.random() < 0.9, rng.random() < 0.6, rng.random() < 0.3)
            for p in range(n_points)
            for arm in ("one_way", "interactive", "mixed")
            for r in range(reps)
        ],
        columns=["point_id", "arm", "replicate", "ok", "settled.trust", "settled.reach"],
    )
    runs["status"] = np.where(runs.pop("ok"), "ok", "failed")
    runs = runs[runs["point_id"] != 7]  # a point with no runs at all
    points = [-1, *range(n_points)]
    comparison = pd.DataFrame(
        [
            (p, arm, "one_way", m, g)
            for p in points
            for arm in ("interactive", "mixed")
            for m in ("trust", "reach", "valence")
            for g in ("all", "pre80", "post00")
        ],
        columns=["point_id", "arm", "baseline", "measure", "generation"],
    )
    got = flag_comparison(comparison, runs)
    pd.testing.assert_frame_equal(got, _per_row(comparison, runs))
    assert got["settled"].notna().sum() > n_points and got["settled"].between(0, 1).any()


def test_a_folder_without_finished_runs_gets_no_flags():
    runs = _runs().assign(status="failed")
    got = flag_comparison(_comparison(), runs)
    assert got["settled"].isna().all()
    pd.testing.assert_frame_equal(got, _per_row(_comparison(), runs))
