"""The statistics every part of the runner shares: one paired interval, one smallest difference.

* :func:`confidence_label`: a confidence level as the text a table prints (``0.995`` ->
  ``99.5%``), so no label rounds a level up to "100%".
* :func:`t_interval`: the mean and its t interval of one sample, the interval of
  ``scipy.stats.ttest_1samp(...).confidence_interval`` (and, applied to paired differences, of
  ``scipy.stats.ttest_rel``). Summaries, partial dependence and scenario discovery use it.
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

__all__ = ["confidence_label", "min_difference", "t_interval"]


def confidence_label(confidence: float) -> str:
    """A confidence level as a percentage with the digits it needs: 0.95 -> ``95%``, 0.995 -> ``99.5%``."""
    return f"{round(confidence * 100, 6):g}%"


def t_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, sd, ci_lo, ci_hi) of a sample with a t interval; non-finite values are dropped.

    A sample of one has no sd and no interval (NaN); a sample with sd 0 has the interval
    [mean, mean].

    Args:
        x: The sample (for paired data: the differences).
        confidence: Level of the interval.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (math.nan,) * 4
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    if sd == 0:
        return mean, 0.0, mean, mean
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nearly identical values: still valid
        ci = stats.ttest_1samp(x, 0.0).confidence_interval(confidence)
    return mean, sd, float(ci.low), float(ci.high)


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
