"""How much of a paired difference's spread across the design is seed noise.

A Sobol or regression analysis explains the variance of the difference Δ (arm − baseline)
across scenarios by the uncertainties. With one replicate per scenario, that variance also
holds the run-to-run variation of a single seed: changing any parameter sends a run down another
path, and no uncertainty explains that part. With two or more replicates per scenario, a
one-way random-effects analysis of variance (scenarios as groups) splits the variance of one
replicate's Δ into

* the *within* part σ²_w, the pooled variance of Δ between replicates of one scenario (seed
  noise), and
* the *between* part σ²_b, the variance of the scenarios' true mean Δ (what the uncertainties
  can explain), estimated as (MS_between − MS_within) / n₀ and clipped at 0,

where n₀ is the replicates per scenario (for unequal counts, (N − Σ nᵢ² / N) / (k − 1), the
usual ANOVA weight). The *noise share* σ²_w / (σ²_w + σ²_b) is the part of a one-replicate Δ's
variance that seed noise holds: a one-replicate Sobol analysis can attribute at most
1 − share of it to the uncertainties, and the rest adds to every total index. Averaging r
replicates per scenario divides σ²_w by r. The F test (``scipy.stats.f_oneway``) asks whether
the scenarios' means differ at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def paired_differences(runs: pd.DataFrame, measures: list[str], baseline: str) -> pd.DataFrame:
    """One row per (arm, point, replicate) of every arm but ``baseline``: Δ of each measure.

    Only runs with status ``ok`` count, and a replicate counts only where both arms have one.
    """
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["arm"] == baseline].set_index(["point_id", "replicate"])[measures]
    frames = []
    for arm in [a for a in pd.unique(ok["arm"]) if a != baseline]:
        other = ok[ok["arm"] == arm].set_index(["point_id", "replicate"])[measures]
        d = (other - base.reindex(other.index)).dropna(how="all")
        frames.append(d.assign(arm=arm).reset_index())
    if not frames:
        return pd.DataFrame(columns=["arm", "point_id", "replicate", *measures])
    return pd.concat(frames, ignore_index=True)


def variance_split(groups: list[np.ndarray]) -> dict[str, float]:
    """The one-way random-effects split of values grouped by scenario (each group's replicates).

    Empty groups (and NaN values) are dropped. With fewer than two groups, or no group of two
    values, the variances are NaN.

    Returns:
        ``within_var`` (σ²_w), ``between_var`` (σ²_b, clipped at 0), ``noise_share``
        (σ²_w / (σ²_w + σ²_b), NaN when both are 0), ``f`` and ``p`` of the F test, and the
        counts ``scenarios`` and ``runs``.
    """
    gs = [np.asarray(g, dtype=float) for g in groups]
    gs = [g[np.isfinite(g)] for g in gs]
    gs = [g for g in gs if len(g) >= 1]
    k = len(gs)
    n_i = np.array([len(g) for g in gs], dtype=float)
    n = float(n_i.sum())
    nan = float("nan")
    out = {
        "scenarios": k,
        "runs": int(n),
        "within_var": nan,
        "between_var": nan,
        "noise_share": nan,
        "f": nan,
        "p": nan,
    }
    if k < 2 or n - k < 1:
        return out
    means = np.array([g.mean() for g in gs])
    grand = float(np.concatenate(gs).mean())
    ss_within = float(sum(((g - m) ** 2).sum() for g, m in zip(gs, means, strict=True)))
    ss_between = float((n_i * (means - grand) ** 2).sum())
    ms_within = ss_within / (n - k)
    ms_between = ss_between / (k - 1)
    n0 = (n - float((n_i**2).sum()) / n) / (k - 1)
    between = max(0.0, (ms_between - ms_within) / n0)
    total = ms_within + between
    out.update(
        within_var=ms_within,
        between_var=between,
        noise_share=ms_within / total if total > 0 else nan,
    )
    if ms_within > 0:
        f, p = stats.f_oneway(*gs)
        out.update(f=float(f), p=float(p))
    return out


def noise_table(runs: pd.DataFrame, measures: list[str], baseline: str) -> pd.DataFrame:
    """Per arm and measure, :func:`variance_split` of Δ over the design's points.

    Returns:
        One row per (arm, measure) with the columns of :func:`variance_split` and the
        replicates per scenario (``replicates``, the median count); empty when no scenario has
        two replicates.
    """
    d = paired_differences(runs, measures, baseline)
    rows = []
    for arm, g in d.groupby("arm", sort=False):
        counts = g.groupby("point_id").size()
        if counts.empty or counts.max() < 2:
            continue
        for m in measures:
            groups = [x[m].to_numpy(float) for _, x in g.groupby("point_id")]
            rows.append(
                {
                    "arm": arm,
                    "measure": m,
                    "replicates": float(counts.median()),
                    **variance_split(groups),
                }
            )
    return pd.DataFrame(rows)
