"""Fatigue: exposure load per (user, outlet) with lazy exponential decay (docs/ODD.md 7.9).

The load a user carries from an outlet's items decays with half-life ``fatigue_half_life``
(Wu & Huberman 2007: the novelty of an item decays; here the novelty of an outlet to a user).
It is stored with the step it was last touched and decayed only when read or touched, so its
cost follows the views, not the population. React damps the response by it; the default
following rule adds an overload hazard from it.

:func:`decayed` is the array form; :func:`decay_factor` the scalar one that compiled kernels
call, with the same bits (keep^age as exp(age ln keep), as :func:`model.portable.power` does).
"""

from __future__ import annotations

import numpy as np

from model import portable
from model.jit import exp, njit


def decayed(value: np.ndarray, last: np.ndarray, t: int, keep_per_step: float) -> np.ndarray:
    """``value`` decayed from step ``last`` to ``t`` at ``keep_per_step`` (lazy decay, float64)."""
    return value * portable.power(keep_per_step, t - last)


def load_keep(params) -> float:
    """Share of exposure load kept per step: 2^(-1 / half-life)."""
    return float(2.0 ** (-1.0 / params.fatigue_half_life))


@njit
def decay_factor(log_keep: float, age: float) -> float:
    """keep^age from ``log_keep`` = ln keep (:func:`model.jit.log` of it): the same bits as
    ``portable.power(keep, age)`` for a scalar keep >= 0 (age 0 gives 1, also for keep 0)."""
    if age == 0.0:
        return 1.0
    return exp(age * log_keep)
