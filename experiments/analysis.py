"""Statistics of an experiment: summaries per arm, paired differences, adequacy and sensitivity.

* :func:`summarize`: per design point, arm and measure: n, mean, sd, a t confidence interval
  (:func:`experiments.stats.t_intervals`), median and quartiles.
* :func:`compare`: each arm against the baseline, paired by replicate (common random numbers):
  the mean difference with a paired-t CI (the t interval of the differences, as
  ``scipy.stats.ttest_rel`` gives it), a BCa bootstrap CI for
  skewed measures (``scipy.stats.bootstrap``, Efron 1987), the standardised effect
  d_z = mean(D) / sd(D) (Lakens 2013), Vargha and Delaney's (2000) A12 = P(arm run > baseline
  run) + P(tie) / 2 from the Mann-Whitney U (``scipy.stats.mannwhitneyu``), and the within-pair
  correlation. Effect sizes, not p-values: in simulations p mostly reflects the chosen n
  (White et al. 2014).
* Replication adequacy (Law 2015; Lorscheid et al. 2012): the CI half-width is compared with
  the smallest difference that matters, delta (:func:`experiments.stats.min_difference`), and n_needed = ((z_{1-a/2} + z_{0.8}) sd_D /
  delta)^2 is the number of pairs for 80% power at that delta.
* :func:`sensitivity` (:mod:`experiments.regression`): for multi-point designs, the per-point mean difference regressed on the
  standardised factors (standardised regression coefficients), Spearman's rank correlation, and
  binned partial dependence (ten Broeke et al. 2016).

The regression summaries live in :mod:`experiments.regression` (re-exported here); the results
of an output folder are loaded by :mod:`experiments.results`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from experiments.regression import (
    numeric_factors,
    partial_dependence,
    point_effects,
    sensitivity,
)
from experiments.stats import min_difference as smallest_difference
from experiments.stats import t_interval, t_intervals
from model.measures import catalogue

POWER_Z = stats.norm.ppf(0.8)
#: Pairs beyond which no BCa interval is computed: its jackknife costs n^2 (a pooled row of a
#: large design would take hours), and with this many pairs the t interval is as good.
MAX_BOOTSTRAP_PAIRS = 5000
#: Values one bootstrap batch may hold (resamples x pairs; 128 MiB of float64).
BOOTSTRAP_CELLS = 2**24
__all__ = [
    "POWER_Z",
    "base_measure",
    "compare",
    "generation_of",
    "mean_ci",
    "numeric_factors",
    "paired_stats",
    "paired_table",
    "partial_dependence",
    "point_effects",
    "sensitivity",
    "summarize",
]


def base_measure(column: str) -> str:
    """``reach[post00]`` -> ``reach`` (:func:`model.measures.catalogue.parse_column`)."""
    return catalogue.parse_column(column, strict=False)[0]


def generation_of(column: str) -> str:
    """``reach[post00]`` -> ``post00``; ``reach`` -> ``all`` (``catalogue.OVERALL``)."""
    return catalogue.cohort_label(catalogue.parse_column(column, strict=False)[1])


# ---------------------------------------------------------------------------------- one sample
#: (mean, sd, ci_lo, ci_hi) of one sample: :func:`experiments.stats.t_interval`.
mean_ci = t_interval


def summarize(runs: pd.DataFrame, measures: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """Per design point, arm and measure: n, mean, sd, CI, median and quartiles of finished runs.

    The groups of one size are computed together, with each group's values of a measure next
    to each other in memory as they are in a group's own table, so every sum is taken in the
    same order and the figures have the same bits as one group at a time
    (tests/experiments/test_summarize.py). On the 10,240-run Sobol folder, one group at a time
    took 42 s of CPU, most of it numpy's quantiles column by column; now 0.7 s.

    Args:
        runs: The runs table (failed runs are ignored).
        measures: Measure columns.
        confidence: Level of the CI.

    Returns:
        A long table: point_id, arm, measure, generation, n, mean, sd, ci_lo, ci_hi, median, q25, q75.
    """
    ok = runs[runs["status"] == "ok"]
    m = len(measures)
    if ok.empty or not m:
        return pd.DataFrame()
    codes = ok.groupby(["point_id", "arm"], sort=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")  # each group's rows, in the table's order
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    x = ok[measures].to_numpy(float)
    stat = {k: np.empty(len(sizes) * m) for k in ("n", *_SUMMARY_FLOATS)}
    for size in np.unique(sizes):
        groups = np.flatnonzero(sizes == size)
        rows = order[starts[groups][:, None] + np.arange(size)]  # (groups, size)
        # (groups x measures, size), C order: a group's values of a measure are contiguous,
        # as in the transposed (size, measures) table of that group alone
        values = np.ascontiguousarray(x[rows].transpose(0, 2, 1)).reshape(-1, size)
        at = (groups[:, None] * m + np.arange(m)).ravel()
        n, mean, sd, lo, hi = t_intervals(values.T, confidence)
        q25, med, q75 = _quartiles(values)
        for k, v in zip(("n", *_SUMMARY_FLOATS), (n, mean, sd, lo, hi, med, q25, q75), strict=True):
            stat[k][at] = v
    first_rows = order[starts]  # codes number the groups by first appearance
    return pd.DataFrame(
        {
            "point_id": np.repeat(ok["point_id"].to_numpy()[first_rows], m),
            "arm": np.repeat(ok["arm"].to_numpy()[first_rows], m).tolist(),
            "measure": [base_measure(c) for c in measures] * len(sizes),
            "generation": [generation_of(c) for c in measures] * len(sizes),
            "column": list(measures) * len(sizes),
            "n": stat["n"].astype(np.int64),
            **{k: stat[k] for k in _SUMMARY_FLOATS},
        }
    )


#: :func:`summarize`'s columns of floats, in order.
_SUMMARY_FLOATS = ("mean", "sd", "ci_lo", "ci_hi", "median", "q25", "q75")


def _quartiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 25%, 50% and 75% quantiles of each row of ``values`` with its NaNs left out, as
    ``np.nanquantile`` gives them one row at a time (NaN for a row of NaNs): the rows without
    a NaN in one call of ``np.quantile`` (the same selection and interpolation)."""
    q = np.full((3, len(values)), np.nan)
    nan = np.isnan(values)
    whole = ~nan.any(axis=1)
    if whole.any():
        q[:, whole] = np.quantile(values[whole], [0.25, 0.5, 0.75], axis=1)
    for i in np.flatnonzero(~whole & ~nan.all(axis=1)):
        q[:, i] = np.nanquantile(values[i], [0.25, 0.5, 0.75])
    return q[0], q[1], q[2]


# ---------------------------------------------------------------------------------- pairs
def paired_stats(
    arm: np.ndarray,
    base: np.ndarray,
    *,
    confidence: float = 0.95,
    bootstrap: bool = False,
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, float]:
    """Statistics of paired samples ``arm[i]`` and ``base[i]`` (replicate i of each arm).

    Args:
        arm: The arm's values.
        base: The baseline's values, same order.
        confidence: Level of both intervals.
        bootstrap: Also compute a BCa bootstrap CI of the mean difference (for 5 to
            :data:`MAX_BOOTSTRAP_PAIRS` pairs; NaN otherwise).
        n_resamples: Bootstrap resamples.
        rng: Seed or generator of the bootstrap (results are reproducible).

    Returns:
        n, base_mean, arm_mean, diff, diff_sd, ci_lo, ci_hi (paired t), boot_lo, boot_hi (BCa),
        d_z, a12, r (within-pair correlation), skew (of the differences). NaN where undefined.
    """
    a = np.asarray(arm, dtype=float)
    b = np.asarray(base, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    out = dict.fromkeys(
        (
            "base_mean",
            "arm_mean",
            "diff",
            "diff_sd",
            "ci_lo",
            "ci_hi",
            "boot_lo",
            "boot_hi",
            "d_z",
            "a12",
            "r",
            "skew",
        ),
        math.nan,
    )
    out["n"] = n
    if n == 0:
        return out
    d = a - b
    out.update(base_mean=float(b.mean()), arm_mean=float(a.mean()), diff=float(d.mean()))
    if n < 2:
        return out
    sd = float(d.std(ddof=1))
    out["diff_sd"] = sd
    out["a12"] = float(stats.mannwhitneyu(a, b).statistic / (n * n))
    if sd == 0:
        out.update(ci_lo=out["diff"], ci_hi=out["diff"])
        if bootstrap:
            out.update(boot_lo=out["diff"], boot_hi=out["diff"])
    else:
        _, _, _, lo, hi = t_intervals(d, confidence)  # the paired interval
        out.update(ci_lo=float(lo[0]), ci_hi=float(hi[0]), d_z=out["diff"] / sd)
        if n >= 3:
            out["skew"] = float(stats.skew(d, bias=False))
        if bootstrap and 5 <= n <= MAX_BOOTSTRAP_PAIRS:
            # resample in batches when one draw would be large (memory stays bounded); below
            # that, one batch, so the numbers are those of an unbatched bootstrap
            batch = None if n_resamples * n <= BOOTSTRAP_CELLS else max(1, BOOTSTRAP_CELLS // n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = stats.bootstrap(
                    (a, b),
                    lambda x, y, axis=-1: np.mean(x - y, axis=axis),
                    paired=True,
                    vectorized=True,
                    method="BCa",
                    n_resamples=n_resamples,
                    batch=batch,
                    confidence_level=confidence,
                    rng=np.random.default_rng(rng),
                )
            out.update(
                boot_lo=float(res.confidence_interval.low),
                boot_hi=float(res.confidence_interval.high),
            )
    if n >= 3 and a.std() > 0 and b.std() > 0:
        out["r"] = float(stats.pearsonr(a, b).statistic)
    return out


def paired_table(
    arm: np.ndarray,
    base: np.ndarray,
    *,
    confidence: float = 0.95,
    bootstrap: list[bool] | None = None,
    n_resamples: int = 2000,
    seed: list[int] | int = 0,
) -> list[dict[str, float]]:
    """:func:`paired_stats` for every column of ``arm`` and ``base`` (pairs x measures).

    Columns without missing values go through scipy's vectorised tests in one call each
    (``ttest_rel``, ``mannwhitneyu``, ``pearsonr``, ``skew`` along axis 0); the rest, and every
    bootstrap, go column by column. Both paths give the same numbers.
    """
    arm, base = np.atleast_2d(np.asarray(arm, float)), np.atleast_2d(np.asarray(base, float))
    k = arm.shape[1]
    bootstrap = bootstrap or [False] * k
    seeds = [seed] if isinstance(seed, int) else list(seed)
    out: list[dict[str, float] | None] = [None] * k
    full = np.isfinite(arm).all(axis=0) & np.isfinite(base).all(axis=0)
    n = arm.shape[0]
    if n >= 2:
        cols = np.flatnonzero(full & ~np.asarray(bootstrap))
        if len(cols):
            for c, s in zip(
                cols, _paired_vectorised(arm[:, cols], base[:, cols], confidence), strict=True
            ):
                out[c] = s
    for c in range(k):
        if out[c] is None:
            out[c] = paired_stats(
                arm[:, c],
                base[:, c],
                confidence=confidence,
                bootstrap=bootstrap[c],
                n_resamples=n_resamples,
                rng=np.random.SeedSequence([*seeds, c]),
            )
    return out  # type: ignore[return-value]


def _paired_vectorised(a: np.ndarray, b: np.ndarray, confidence: float) -> list[dict[str, float]]:
    """paired_stats without bootstrap for complete columns, with scipy's tests along axis 0."""
    n = a.shape[0]
    d = a - b
    diff, sd = d.mean(axis=0), d.std(axis=0, ddof=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        _, _, _, ci_lo, ci_hi = t_intervals(d, confidence)  # the paired interval
        a12 = stats.mannwhitneyu(a, b, axis=0).statistic / (n * n)
        r = stats.pearsonr(a, b, axis=0).statistic if n >= 3 else np.full(a.shape[1], np.nan)
        skew = stats.skew(d, axis=0, bias=False) if n >= 3 else np.full(a.shape[1], np.nan)
    rows = []
    for j in range(a.shape[1]):
        row = {
            "base_mean": float(b[:, j].mean()),
            "arm_mean": float(a[:, j].mean()),
            "diff": float(diff[j]),
            "diff_sd": float(sd[j]),
            "ci_lo": float(ci_lo[j]),
            "ci_hi": float(ci_hi[j]),
            "boot_lo": math.nan,
            "boot_hi": math.nan,
            "d_z": float(diff[j] / sd[j]) if sd[j] > 0 else math.nan,
            "a12": float(a12[j]),
            "r": math.nan,
            "skew": float(skew[j]) if sd[j] > 0 else math.nan,
            "n": n,
        }
        if sd[j] == 0:
            row.update(ci_lo=row["diff"], ci_hi=row["diff"])
        if n >= 3 and a[:, j].std() > 0 and b[:, j].std() > 0:
            row["r"] = float(r[j])
        rows.append(row)
    return rows


def compare(
    runs: pd.DataFrame,
    measures: list[str],
    baseline: str,
    *,
    confidence: float = 0.95,
    bootstrap: tuple[str, ...] | list[str] = (),
    n_resamples: int = 2000,
    min_difference: dict[str, float] | None = None,
    relative_min_difference: float = 0.05,
    seed: int = 0,
    pooled: bool | None = None,
) -> pd.DataFrame:
    """Every arm against ``baseline``, paired by (design point, replicate).

    Args:
        runs: The runs table (failed runs are dropped; a pair needs both runs).
        measures: Measure columns.
        baseline: The baseline arm.
        confidence: Level of the intervals.
        bootstrap: Base measure names that also get a BCa bootstrap CI.
        n_resamples: Bootstrap resamples.
        min_difference: Smallest difference that matters per base measure name.
        relative_min_difference: Otherwise this fraction of the larger of the two arms' means.
        seed: Seeds the bootstraps (each cell gets its own child stream).
        pooled: Add rows with ``point_id = -1`` pairing over all design points (default: when
            there is more than one point).

    Returns:
        One row per (point, arm, measure): the :func:`paired_stats` columns plus
        min_difference, half_width, adequate (None when delta is undefined: both means 0)
        and n_needed.
    """
    min_difference = min_difference or {}
    ok = runs[runs["status"] == "ok"]
    arms = [a for a in pd.unique(ok["arm"]) if a != baseline]
    base = ok[ok["arm"] == baseline].set_index(["point_id", "replicate"])
    points = sorted(pd.unique(ok["point_id"]))
    if pooled is None:
        pooled = len(points) > 1
    groups: list[tuple[int, str, pd.DataFrame]] = []
    for arm in arms:
        other = ok[ok["arm"] == arm].set_index(["point_id", "replicate"])
        joined = other[measures].join(base[measures].add_suffix("__base"), how="inner")
        for p in points:
            if p in joined.index.get_level_values(0):
                groups.append((int(p), arm, joined.loc[[p]]))
        if pooled:
            groups.append((-1, arm, joined))
    z = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for point, arm, j in groups:
        table = paired_table(
            j[measures].to_numpy(float),
            j[[f"{m}__base" for m in measures]].to_numpy(float),
            confidence=confidence,
            bootstrap=[base_measure(m) in bootstrap for m in measures],
            n_resamples=n_resamples,
            seed=[seed, point + 1, arms.index(arm)],
        )
        for m, s in zip(measures, table, strict=True):
            bname = base_measure(m)
            delta = smallest_difference(
                bname, (s["base_mean"], s["arm_mean"]), min_difference, relative_min_difference
            )
            half = (s["ci_hi"] - s["ci_lo"]) / 2
            need = (
                math.ceil(((z + POWER_Z) * s["diff_sd"] / delta) ** 2)
                if np.isfinite(delta) and np.isfinite(s["diff_sd"])
                else math.nan
            )
            rows.append(
                {
                    "point_id": point,
                    "arm": arm,
                    "baseline": baseline,
                    "measure": bname,
                    "generation": generation_of(m),
                    "column": m,
                    **s,
                    "rel_diff": s["diff"] / abs(s["base_mean"]) if s["base_mean"] else math.nan,
                    "min_difference": delta,
                    "half_width": half,
                    "adequate": bool(half < delta)
                    if np.isfinite(half) and np.isfinite(delta)
                    else None,
                    "n_needed": max(2, need) if isinstance(need, int) else math.nan,
                }
            )
    return pd.DataFrame(rows)
