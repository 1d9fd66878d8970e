"""Sensitivity of the paired difference across the design points of a crossed, listed or
LHS/Sobol design (ten Broeke et al. 2016): standardised regression coefficients, Spearman's
rank correlation and binned partial dependence of each point's mean difference.

(Saltelli and Morris designs get SALib's indices instead: :mod:`experiments.sensitivity`.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from experiments.stats import t_interval


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
            mean, _, lo, hi = t_interval(sel, confidence)
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
