"""``experiments.analysis.summarize`` computes the groups of one size together; the figures
must keep the bits of one group at a time.

The oracle is the per-group version it replaced (kept here, :func:`_summarize_one_by_one`):
numpy sums a group's column with pairwise summation once it has 8 or more values, so a
batching that summed in another order would differ in the last bits from 8 replicates on.
The cases cover group sizes on both sides of that (1, 2, 7, 8, 9, 16, 33), NaNs in part of a
group and in all of it, failed runs, an integer measure and rows in a shuffled order.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from experiments.analysis import base_measure, generation_of, summarize
from experiments.stats import t_intervals

SIZES = (1, 2, 7, 8, 9, 16, 33)


def _summarize_one_by_one(
    runs: pd.DataFrame, measures: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"]
    rows = []
    for (point, arm), g in ok.groupby(["point_id", "arm"], sort=False):
        x = g[measures].to_numpy(float)
        n, mean, sd, lo, hi = t_intervals(x, confidence)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an all-NaN column: NaN quartiles
            q25, med, q75 = np.nanquantile(x, [0.25, 0.5, 0.75], axis=0)
        for j, m in enumerate(measures):
            rows.append(
                {
                    "point_id": point,
                    "arm": arm,
                    "measure": base_measure(m),
                    "generation": generation_of(m),
                    "column": m,
                    "n": int(n[j]),
                    "mean": float(mean[j]),
                    "sd": float(sd[j]),
                    "ci_lo": float(lo[j]),
                    "ci_hi": float(hi[j]),
                    "median": float(med[j]),
                    "q25": float(q25[j]),
                    "q75": float(q75[j]),
                }
            )
    return pd.DataFrame(rows)


def _runs(seed: int) -> pd.DataFrame:
    """Two arms at each of len(SIZES) points, point k with SIZES[k] replicates (the arm
    ``b`` has one more run, failed); values of very different magnitudes, so that the order
    of a sum shows in the last bits."""
    rng = np.random.default_rng(seed)
    rows = []
    for point, size in enumerate(SIZES):
        for arm in ("a", "b"):
            for r in range(size):
                rows.append(
                    {
                        "point_id": point,
                        "arm": arm,
                        "replicate": r,
                        "status": "ok",
                        "reach": rng.lognormal(0, 3),
                        "reach[post00]": np.nan if r % 3 == 1 else rng.normal(0, 1e6),
                        "trust": np.nan if point == 2 else rng.uniform(),
                        "followers": int(rng.integers(0, 10**6)),
                    }
                )
            if arm == "b":
                rows.append({"point_id": point, "arm": arm, "replicate": size, "status": "failed"})
    return pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_summarize_has_the_bits_of_one_group_at_a_time(seed):
    """Exact equality (every float's bits, NaN where NaN) with the per-group oracle."""
    runs = _runs(seed)
    measures = ["reach", "reach[post00]", "trust", "followers"]
    new, old = summarize(runs, measures), _summarize_one_by_one(runs, measures)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for c in ("mean", "sd", "ci_lo", "ci_hi", "median", "q25", "q75"):
        assert np.array_equal(new[c].to_numpy().view(np.int64), old[c].to_numpy().view(np.int64))
    # the cases the docstring names are there
    assert set(new["n"]) >= {1, 2, 7, 8, 9, 16, 33}
    assert new.loc[new.column == "trust", "mean"].isna().sum() == 2  # point 2, both arms


def test_summarize_of_nothing_is_an_empty_table():
    runs = _runs(0)
    assert summarize(runs[runs.status == "failed"], ["reach"]).empty
    assert summarize(runs, []).empty
