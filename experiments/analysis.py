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
* :func:`sensitivity`: for multi-point designs, the per-point mean difference regressed on the
  standardised factors (standardised regression coefficients), Spearman's rank correlation, and
  binned partial dependence (ten Broeke et al. 2016).

This file is longer than the house's 400 lines: it holds the summaries, the paired statistics,
the sensitivity summaries and the results reader that they all share; the sensitivity part is
to be replaced by SALib's indices, which will move it out.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.parts import check_readable, expected_schemas, read_attempts, read_table
from experiments.plan import Plan, check_rows, has_plan, load_plan, make_plan, spec_from_dict
from experiments.spec import ExperimentSpec, metric_names, parse_spec
from experiments.stats import min_difference as smallest_difference
from experiments.stats import t_interval, t_intervals
from experiments.store import read_manifest
from model.measures import catalogue

POWER_Z = stats.norm.ppf(0.8)


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

    Args:
        runs: The runs table (failed runs are ignored).
        measures: Measure columns.
        confidence: Level of the CI.

    Returns:
        A long table: point_id, arm, measure, generation, n, mean, sd, ci_lo, ci_hi, median, q25, q75.
    """
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
        bootstrap: Also compute a BCa bootstrap CI of the mean difference.
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
        if bootstrap and n >= 5:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = stats.bootstrap(
                    (a, b),
                    lambda x, y, axis=-1: np.mean(x - y, axis=axis),
                    paired=True,
                    vectorized=True,
                    method="BCa",
                    n_resamples=n_resamples,
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


# ---------------------------------------------------------------------------------- sensitivity
def point_effects(
    runs: pd.DataFrame, factors: list[str], measures: list[str], baseline: str
) -> pd.DataFrame:
    """Per design point and arm: factor values and the mean paired difference of each measure."""
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["arm"] == baseline].set_index(["point_id", "replicate"])[measures]
    frames = []
    for arm in [a for a in pd.unique(ok["arm"]) if a != baseline]:
        other = ok[ok["arm"] == arm].set_index(["point_id", "replicate"])
        d = other[measures] - base.reindex(other.index)
        mean = d.groupby(level=0).mean()
        fac = other.groupby(level=0)[[f"factor.{f}" for f in factors]].first()
        fac.columns = factors
        frames.append(pd.concat([fac, mean], axis=1).assign(arm=arm).reset_index())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def numeric_factors(effects: pd.DataFrame, factors: list[str]) -> list[str]:
    """Factors that are numbers or booleans and vary across points."""
    out = []
    for f in factors:
        col = effects[f]
        if (
            pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
        ) and col.nunique() > 1:
            out.append(f)
    return out


def sensitivity(effects: pd.DataFrame, factors: list[str], measures: list[str]) -> pd.DataFrame:
    """Rank factors by their influence on each arm's difference.

    For each arm and measure: standardised regression coefficients (OLS of the standardised
    difference on the standardised factors, with R^2), Spearman's rho, and the share of points
    where the arm beats the baseline.

    Returns:
        One row per (arm, measure, factor) with src, abs_src, rank, r2, spearman, share_positive.
    """
    rows = []
    num = numeric_factors(effects, factors)
    for arm, g in effects.groupby("arm", sort=False):
        x = g[num].to_numpy(float)
        xs = (x - x.mean(axis=0)) / x.std(axis=0)
        for m in measures:
            y = g[m].to_numpy(float)
            keep = np.isfinite(y) & np.isfinite(xs).all(axis=1)
            if keep.sum() < len(num) + 2 or y[keep].std() == 0:
                continue
            ys = (y[keep] - y[keep].mean()) / y[keep].std()
            design = np.column_stack([np.ones(keep.sum()), xs[keep]])
            coef, *_ = np.linalg.lstsq(design, ys, rcond=None)
            r2 = 1 - ((ys - design @ coef) ** 2).sum() / (ys**2).sum()
            order = np.argsort(-np.abs(coef[1:]))
            ranks = np.empty(len(num), dtype=int)
            ranks[order] = np.arange(1, len(num) + 1)
            for i, f in enumerate(num):
                rho = stats.spearmanr(xs[keep, i], y[keep]).statistic
                rows.append(
                    {
                        "arm": arm,
                        "measure": m,
                        "factor": f,
                        "src": float(coef[i + 1]),
                        "abs_src": float(abs(coef[i + 1])),
                        "rank": int(ranks[i]),
                        "r2": float(r2),
                        "spearman": float(rho),
                        "share_positive": float((y[keep] > 0).mean()),
                        "mean_diff": float(y[keep].mean()),
                        "points": int(keep.sum()),
                    }
                )
    return pd.DataFrame(rows)


def partial_dependence(
    effects: pd.DataFrame, factor: str, measure: str, bins: int = 5, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean difference and its CI in quantile bins of ``factor`` (marginal partial dependence).

    Returns:
        One row per (arm, bin): lo, hi, mid, n, mean, ci_lo, ci_hi.
    """
    rows = []
    for arm, g in effects.groupby("arm", sort=False):
        x, y = g[factor].to_numpy(float), g[measure].to_numpy(float)
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        for b in range(len(edges) - 1):
            sel = y[idx == b]
            mean, _, lo, hi = mean_ci(sel, confidence)
            rows.append(
                {
                    "arm": arm,
                    "factor": factor,
                    "measure": measure,
                    "bin": b,
                    "lo": edges[b],
                    "hi": edges[b + 1],
                    "mid": float(np.mean(x[idx == b])) if (idx == b).any() else math.nan,
                    "n": int(np.isfinite(sel).sum()),
                    "mean": mean,
                    "ci_lo": lo,
                    "ci_hi": hi,
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------- results
@dataclass
class Results:
    """The results in an output directory, loaded for analysis.

    Attributes:
        out: The directory.
        manifest: The manifest (resolved spec, environment, history).
        runs: One row per recorded run (ok and failed), in run order.
    """

    out: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @cached_property
    def plan(self) -> Plan:
        """The stored plan the runs were made from (``plan.parquet``; nothing re-sampled).

        A folder written before plans were stored gets one built from its manifest's spec.
        """
        if has_plan(self.out):
            return load_plan(self.out)
        return make_plan(parse_spec(self.manifest["raw_spec"], source=None))

    @cached_property
    def spec(self) -> ExperimentSpec:
        """The spec the results were produced with, as stored with the plan.

        Its description and [analysis] table are the manifest's: a resume may change them
        (they change no run), and the report follows the latest.
        """
        stored = self.manifest.get("spec") or {}
        if "analysis" not in stored:
            return self.plan.spec
        latest = spec_from_dict(stored)
        return dataclasses.replace(
            self.plan.spec, analysis=latest.analysis, description=latest.description
        )

    @property
    def ok(self) -> pd.DataFrame:
        """Finished runs only."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        """Failed runs with their errors."""
        return self.runs[self.runs["status"] != "ok"]

    @property
    def measures(self) -> list[str]:
        """Final-measure columns."""
        return [c for c in metric_names(self.spec.metrics) if c in self.runs.columns]

    @property
    def factors(self) -> list[str]:
        """Design factor keys."""
        return list(self.spec.design.keys)

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series (read on first use)."""
        key = f"ts:{columns}"
        if key not in self._cache:
            cols = (
                None
                if columns is None
                else ["run_id", "point_id", "arm", "replicate", "step", *columns]
            )
            self._cache[key] = read_table(self.out, "timeseries", columns=cols)
        return self._cache[key]

    def cascades(self) -> pd.DataFrame:
        """Per-item cascade sizes of every run."""
        if "cascades" not in self._cache:
            self._cache["cascades"] = read_table(self.out, "cascades")
        return self._cache["cascades"]

    def agents(self) -> pd.DataFrame:
        """Agent attributes at the end of each run (when ``agent_metrics`` asked for them)."""
        return read_table(self.out, "agents")

    def summary(self) -> pd.DataFrame:
        """:func:`summarize` with the spec's confidence level."""
        return summarize(self.runs, self.measures, self.spec.analysis.confidence)

    def compare(self, baseline: str | None = None) -> pd.DataFrame:
        """:func:`compare` every arm with the baseline, as the spec's [analysis] asks."""
        a = self.spec.analysis
        return compare(
            self.runs,
            self.measures,
            baseline or a.baseline,
            confidence=a.confidence,
            bootstrap=a.bootstrap,
            n_resamples=a.n_resamples,
            min_difference=a.min_difference,
            relative_min_difference=a.relative_min_difference,
            seed=self.spec.root_seed,
        )

    def effects(self, measures: list[str] | None = None) -> pd.DataFrame:
        """:func:`point_effects` for the headline measures (or ``measures``)."""
        return point_effects(
            self.runs,
            self.factors,
            measures or list(self.spec.analysis.headline),
            self.spec.analysis.baseline,
        )


def load_results(out: str | Path) -> Results:
    """Load an output directory written by :func:`experiments.run`.

    Args:
        out: The directory.

    Returns:
        The results; ``runs`` holds every recorded run, latest attempt per run, and the other
        tables only rows of those attempts.

    Raises:
        experiments.store.StoreError: ``out`` has no readable manifest.
        experiments.store.CorruptPartError: A part file cannot be read or has the wrong columns
            (named in the message).
        experiments.plan.PlanError: A recorded row is not a run of the stored plan.
    """
    out = Path(out)
    manifest = read_manifest(out)
    res = Results(out=out, manifest=manifest, runs=pd.DataFrame())
    check_readable(out, expected_schemas(res.spec, res.plan))
    check_rows(res.plan, read_attempts(out), str(out))
    res.runs = read_table(out, "runs")
    return res
