"""The statistics every part of the runner shares: one paired interval, one smallest difference.

* :func:`confidence_label`: a confidence level as the text a table prints (``0.995`` ->
  ``99.5%``), so no label rounds a level up to "100%".
* :func:`t_intervals` (and :func:`t_interval` for one sample): the mean and its t interval,
  mean ± t_{(1+c)/2, n-1} · sd / √n, column by column: the interval of
  ``scipy.stats.ttest_1samp(...).confidence_interval``. Applied to paired differences it is the
  paired interval (``scipy.stats.ttest_rel``). Summaries, trajectories, the paired comparison,
  partial dependence and scenario discovery all use it.
* :func:`min_difference`: the smallest difference that matters, δ, of a measure: the spec's
  ``analysis.min_difference[measure]``, else ``analysis.relative_min_difference`` times the
  larger of the two arms' means in absolute value. The report's adequacy check and scenario
  discovery's loses-or-ties flag both read δ from here.
* :func:`variance_split`: a paired difference measured over parameter draws x replicates split
  by the law of total variance into seed noise and parameter uncertainty (a two-way
  random-effects ANOVA of the crossed draws x seeds design).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "VarianceSplit",
    "confidence_label",
    "min_difference",
    "t_interval",
    "t_intervals",
    "variance_split",
]


def confidence_label(confidence: float) -> str:
    """A confidence level as a percentage with the digits it needs: 0.95 -> ``95%``, 0.995 -> ``99.5%``."""
    return f"{round(confidence * 100, 6):g}%"


def t_intervals(
    x: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, sd, ci_lo, ci_hi) of every column of ``x`` (observations x columns).

    Non-finite values are left out column by column. A column of one value has no sd and no
    interval (NaN); a column with sd 0 has the interval [mean, mean].

    Args:
        x: The samples, one per column (for paired data: the differences).
        confidence: Level of the interval.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n = np.isfinite(x).sum(axis=0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # empty columns: NaN, as intended
        mean = np.nanmean(x, axis=0)
        sd = np.where(n >= 2, np.nanstd(x, axis=0, ddof=1), np.nan)
        lo, hi = stats.t.interval(confidence, np.maximum(n - 1, 1), loc=mean, scale=sd / np.sqrt(n))
    lo, hi = np.where(sd == 0, mean, lo), np.where(sd == 0, mean, hi)
    return n, mean, sd, lo, hi


def t_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, sd, ci_lo, ci_hi) of one sample (:func:`t_intervals`); NaN where undefined."""
    _, mean, sd, lo, hi = t_intervals(np.asarray(x, dtype=float).ravel(), confidence)
    return float(mean[0]), float(sd[0]), float(lo[0]), float(hi[0])


def min_difference(
    measure: str,
    means: tuple[float, ...] | list[float],
    absolute: Mapping[str, float],
    relative: float,
) -> float:
    """δ, the smallest difference of ``measure`` that matters; NaN when it is undefined (0).

    Args:
        measure: The base measure name (``reach``, not ``reach[post00]``).
        means: The means the relative rule scales with: the baseline's and the arm's.
        absolute: ``analysis.min_difference``: δ per measure where the spec gives one.
        relative: ``analysis.relative_min_difference``: otherwise δ is this fraction of the
            larger of ``means`` in absolute value.
    """
    if measure in absolute:
        return float(absolute[measure])
    finite = [abs(float(m)) for m in means if np.isfinite(m)]
    delta = relative * max(finite) if finite else math.nan
    return delta if delta and np.isfinite(delta) else math.nan


@dataclass(frozen=True)
class VarianceSplit:
    """A difference's mean and its variance split into seed noise and parameter uncertainty.

    Attributes:
        draws: D, the parameter draws (rows) used.
        replicates: r, the replicates (seeds) per draw.
        mean: The mean over every draw and replicate.
        ci_lo: Lower end of the mean's interval (both sources; Satterthwaite t).
        ci_hi: Its upper end.
        lo: Lower end of the interval of one Δ (a draw from the posterior and a seed):
            mean − z·√(seed_var + param_var).
        hi: Its upper end.
        seed_var: E_θ[Var(Δ | θ)], the seed noise.
        param_var: Var_θ(E[Δ | θ]), the parameter uncertainty (floored at 0).
        seed_share: seed_var / (seed_var + param_var).
        param_share: param_var / (seed_var + param_var).
        share_positive: The share of draws whose mean Δ over the replicates is above 0.
        floored: Whether the parameter part's estimate was negative and set to 0.
        ms_draws: The between-draw mean square (MS_A).
        ms_seeds: The between-replicate mean square (MS_B).
        ms_resid: The residual (interaction) mean square (MS_E).
    """

    draws: int
    replicates: int
    mean: float
    ci_lo: float
    ci_hi: float
    lo: float
    hi: float
    seed_var: float
    param_var: float
    seed_share: float
    param_share: float
    share_positive: float
    floored: bool
    ms_draws: float
    ms_seeds: float
    ms_resid: float

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (a table row)."""
        return asdict(self)


def variance_split(y: np.ndarray, confidence: float = 0.95) -> VarianceSplit:
    """Split the variance of a difference Δ over parameter draws and seeds (law of total variance).

    ``y[d, j]`` is Δ of draw θ_d at replicate j. Every draw runs the same replicate seeds (the
    runner's common random numbers), so draws and seeds are *crossed*, and the model is the
    two-way random-effects ANOVA without replication:
    y_dj = μ + a_d + b_j + e_dj, Var a = σ²_A, Var b = σ²_B, Var e = σ²_E. Then
    Var(Δ) = E_θ[Var(Δ | θ)] + Var_θ(E[Δ | θ]) with

    * seed noise E_θ[Var(Δ | θ)] = σ²_B + σ²_E, estimated by the pooled within-draw variance
      MS_W = Σ_d Σ_j (y_dj − ȳ_d·)² / (D (r − 1)) (unbiased: E[MS_W] = σ²_B + σ²_E);
    * parameter uncertainty Var_θ(E[Δ | θ]) = σ²_A, estimated by (MS_A − MS_E) / r, floored at 0,
      where MS_A = r Σ_d (ȳ_d· − ȳ)² / (D − 1) (E = r σ²_A + σ²_E) and
      MS_E = Σ_d Σ_j (y_dj − ȳ_d· − ȳ_·j + ȳ)² / ((D − 1)(r − 1)) (E = σ²_E).

    The one-way estimator (MS_A − MS_W) / r, right for draws with seeds of their own, would
    understate σ²_A here by σ²_B / r: the shared seeds put the same seed effect b_j into every
    draw's mean, so it does not spread the draw means. A negative estimate (sampling noise when
    σ²_A is small against σ²_E / r) is set to 0 and flagged.

    The mean's interval carries both sources: Var(ȳ) = σ²_A/D + σ²_B/r + σ²_E/(Dr), estimated
    by (MS_A + MS_B − MS_E)/(D r), with Satterthwaite's degrees of freedom for the t quantile.
    Where σ²_A's or σ²_B's estimate is negative, that component is taken as 0 (the truncated
    estimator), so Var(ȳ) never falls below σ²_E/(D r): the plain sum can reach 0 at a few
    draws and give an interval of zero width (see :func:`_mean_variance`).
    ``lo``/``hi`` is the interval of a single Δ (a new draw and a new seed):
    mean ± z·√(seed_var + param_var), a normal approximation.

    Args:
        y: Δ as a (draws x replicates) array, every cell finite.
        confidence: Level of both intervals.

    Raises:
        ValueError: Fewer than 2 draws or 2 replicates (the split needs both), or a value that
            is not finite.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"the differences must be a (draws x replicates) array, got {y.ndim} dims")
    n_draws, r = y.shape
    if r < 2:
        raise ValueError(
            f"seed noise needs at least 2 replicates per draw, got {r}: set replicates >= 2"
        )
    if n_draws < 2:
        raise ValueError(
            f"parameter uncertainty needs at least 2 draws with every replicate, got {n_draws}"
        )
    if not np.isfinite(y).all():
        raise ValueError("the differences hold a missing or non-finite value")
    grand = y.mean()
    dm, rm = y.mean(axis=1), y.mean(axis=0)
    ms_a = r * ((dm - grand) ** 2).sum() / (n_draws - 1)
    ms_b = n_draws * ((rm - grand) ** 2).sum() / (r - 1)
    resid = y - dm[:, None] - rm[None, :] + grand
    ms_e = (resid**2).sum() / ((n_draws - 1) * (r - 1))
    seed = float(((y - dm[:, None]) ** 2).sum() / (n_draws * (r - 1)))
    raw_param = (ms_a - ms_e) / r
    param = float(max(raw_param, 0.0))
    total = seed + param
    var_mean, df = _mean_variance(ms_a, ms_b, ms_e, n_draws, r)
    q = float(stats.t.ppf((1 + confidence) / 2, max(df, 1.0)))
    half = q * math.sqrt(var_mean)
    z = float(stats.norm.ppf((1 + confidence) / 2)) * math.sqrt(total)
    return VarianceSplit(
        draws=n_draws,
        replicates=r,
        mean=float(grand),
        ci_lo=float(grand - half),
        ci_hi=float(grand + half),
        lo=float(grand - z),
        hi=float(grand + z),
        seed_var=seed,
        param_var=param,
        seed_share=seed / total if total > 0 else math.nan,
        param_share=param / total if total > 0 else math.nan,
        share_positive=float((dm > 0).mean()),
        floored=bool(raw_param < 0),
        ms_draws=float(ms_a),
        ms_seeds=float(ms_b),
        ms_resid=float(ms_e),
    )


def _mean_variance(
    ms_a: float, ms_b: float, ms_e: float, n_draws: int, r: int
) -> tuple[float, float]:
    """Var(ȳ) of the crossed design and its Satterthwaite degrees of freedom.

    Var(ȳ) = σ²_A/D + σ²_B/r + σ²_E/(Dr) with σ²_A = (MS_A − MS_E)/r, σ²_B = (MS_B − MS_E)/D,
    σ²_E = MS_E, each variance component truncated at 0. That is (c_A MS_A + c_B MS_B + c_E MS_E)
    / (D r) with c = 1 for a kept component, 0 for a truncated one, and c_E = 1 − c_A − c_B;
    with both kept it is the unbiased (MS_A + MS_B − MS_E)/(D r). The degrees of freedom are
    Satterthwaite's for that combination: (Σ c MS)² / Σ (c MS)² / df.
    """
    c_a = 1.0 if ms_a > ms_e else 0.0
    c_b = 1.0 if ms_b > ms_e else 0.0
    c_e = 1.0 - c_a - c_b
    terms = (
        (c_a * ms_a, n_draws - 1),
        (c_b * ms_b, r - 1),
        (c_e * ms_e, (n_draws - 1) * (r - 1)),
    )
    total = sum(v for v, _ in terms)
    denom = sum(v**2 / d for v, d in terms)
    var_mean = max(total, 0.0) / (n_draws * r)
    df = total**2 / denom if denom > 0 else math.inf
    return var_mean, df
