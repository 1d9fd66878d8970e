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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
from scipy import stats

__all__ = ["confidence_label", "min_difference", "t_interval", "t_intervals"]


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
