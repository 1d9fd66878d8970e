"""Overall or per cohort: the ``by`` argument every population and opinion measure takes.

``by=None`` gives one number; ``by="generation"`` a dict keyed by cohort, in the order of
``agents.generations.GENERATIONS`` (docs/ODD.md section 2.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agents.generations import GENERATIONS
from model.measures._world import World

By = str | None
#: Number of cohorts (the length of the tallies' first axis).
N_COHORTS = len(GENERATIONS)


def check_by(by: By) -> None:
    """Raise unless ``by`` is None or ``"generation"``."""
    if by not in (None, "generation"):
        raise ValueError(f"by={by!r} is not allowed; use None or 'generation'")


def safe_mean(x: np.ndarray) -> float:
    """Mean of ``x``, NaN if empty."""
    return float(x.mean()) if len(x) else float("nan")


def by_gen(model: World, values: np.ndarray, by: By, mask: np.ndarray | None = None):
    """Mean of ``values`` over users (where ``mask``), overall or per generation."""
    check_by(by)
    g = model.state.gen
    if mask is not None:
        values, g = values[mask], g[mask]
    if by is None:
        return safe_mean(values)
    cnt = np.bincount(g, minlength=N_COHORTS)
    tot = np.bincount(g, weights=values, minlength=N_COHORTS)
    return {
        name: (float(tot[i] / cnt[i]) if cnt[i] else float("nan"))
        for i, name in enumerate(GENERATIONS)
    }


def ratio(num: np.ndarray, den: np.ndarray, by: By):
    """num/den summed over cohorts (axis 0 is the cohort)."""
    check_by(by)
    if by is None:
        d = den.sum()
        return float(num.sum() / d) if d else float("nan")
    return {
        name: (float(num[i].sum() / den[i].sum()) if den[i].sum() else float("nan"))
        for i, name in enumerate(GENERATIONS)
    }


def per_gen(model: World, fn: Callable[[np.ndarray], Any], by: By):
    """fn(opinions) overall, or per cohort."""
    check_by(by)
    x, g = model.state.opinion, model.state.gen
    if by is None:
        return fn(x)
    return {name: fn(x[g == i]) for i, name in enumerate(GENERATIONS)}
