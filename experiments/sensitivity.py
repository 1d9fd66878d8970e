"""Global sensitivity of a paired difference with SALib: Sobol indices and Morris screening.

For a ``saltelli`` design (SALib's Saltelli/Sobol sample, ``n * (D + 2)`` scenarios, first and
total order) :func:`sobol_indices` gives the first-order (S1) and total (ST) Sobol indices with
bootstrap CIs (Saltelli et al. 2010, ``SALib.analyze.sobol``); for a ``morris`` design
(``n`` trajectories of ``D + 1`` scenarios) :func:`morris_indices` gives μ* with its bootstrap
CI, μ and σ of the elementary effects (Morris 1991; Campolongo et al. 2007,
``SALib.analyze.morris``). The output is, per arm, lever setting and measure, the arm's paired
difference against the baseline at each scenario **averaged over its replicates first**: the
replicate noise would otherwise count as variance no uncertainty explains and inflate the
total indices. Elementary effects are per whole range (the sample lives on the unit cube), so
μ* of different uncertainties compare directly. Choices are sampled as an index on [0, 1)
and count as one uncertainty each.

The report passes the sample stored with the plan (``plan.parquet``), so its rows are the
scenarios that ran, for every lever setting; nothing here draws the sample again (a redrawn
sample under today's code could pair the outputs with other rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from experiments.points import sample_keys


def problem(keys: list[str]) -> dict[str, Any]:
    """The SALib problem of a sample on the unit cube."""
    return {"num_vars": len(keys), "names": list(keys), "bounds": [[0.0, 1.0]] * len(keys)}


def sobol(
    keys: list[str], y: np.ndarray, confidence: float = 0.95, n_resamples: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """S1 and ST with CIs of outputs ``y`` on a Saltelli sample (first and total order only).

    Returns:
        One row per key: factor, S1, S1_lo, S1_hi, ST, ST_lo, ST_hi (the CI is the estimate
        plus or minus SALib's bootstrap half-width at ``confidence``).
    """
    from SALib.analyze import sobol as salib_sobol

    r = salib_sobol.analyze(
        problem(keys),
        np.asarray(y, dtype=float),
        calc_second_order=False,
        num_resamples=n_resamples,
        conf_level=confidence,
        seed=seed,
    )
    return pd.DataFrame(
        {
            "factor": keys,
            "S1": r["S1"],
            "S1_lo": r["S1"] - r["S1_conf"],
            "S1_hi": r["S1"] + r["S1_conf"],
            "ST": r["ST"],
            "ST_lo": r["ST"] - r["ST_conf"],
            "ST_hi": r["ST"] + r["ST_conf"],
        }
    )


def morris(
    keys: list[str],
    x: np.ndarray,
    y: np.ndarray,
    levels: int,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris μ*, its CI, μ and σ of outputs ``y`` on the Morris sample ``x`` (unit cube)."""
    from SALib.analyze import morris as salib_morris

    r = salib_morris.analyze(
        problem(keys),
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        num_resamples=n_resamples,
        conf_level=confidence,
        num_levels=levels,
        seed=seed,
    )
    mu_star = np.asarray(r["mu_star"], dtype=float)
    conf = np.asarray(r["mu_star_conf"], dtype=float)
    return pd.DataFrame(
        {
            "factor": keys,
            "mu_star": mu_star,
            "mu_star_lo": mu_star - conf,
            "mu_star_hi": mu_star + conf,
            "mu": np.asarray(r["mu"], dtype=float),
            "sigma": np.asarray(r["sigma"], dtype=float),
        }
    )


def indices(effects: pd.DataFrame, spec: Any, unit: np.ndarray) -> pd.DataFrame:
    """Sobol (``saltelli``) or Morris (``morris``) indices of every arm, lever setting and measure.

    Args:
        effects: :func:`experiments.discovery.scenario_effects` (mean Δ per scenario).
        spec: The spec; its design must be of kind ``saltelli`` or ``morris``.
        unit: The unit sample the scenarios came from (the stored plan's,
            :attr:`experiments.plan.Plan.unit`), one row per scenario.

    Returns:
        One row per (arm, lever_label, measure, factor) with the indices; empty for other designs.
        A group with a missing scenario (a failed run) is left out: the estimators need them
        all; so is a group whose Δ is the same in every scenario (nothing to apportion).
    """
    d = spec.design
    if d.kind not in ("saltelli", "morris") or effects.empty:
        return pd.DataFrame()
    keys = sample_keys(d)
    x = unit
    a = spec.analysis
    frames = []
    for (arm, label, m), g in effects.groupby(["arm", "lever_label", "measure"], sort=False):
        g = g.sort_values("scenario")
        y = g["diff"].to_numpy(float)
        if len(y) != len(x) or not np.isfinite(y).all() or np.ptp(y) == 0:
            continue  # a missing scenario, or a constant Δ: no variance to apportion
        if d.kind == "saltelli":
            t = sobol(keys, y, a.confidence, seed=spec.root_seed % 2**32)
        else:
            t = morris(keys, x, y, d.levels, a.confidence, seed=spec.root_seed % 2**32)
        frames.append(t.assign(arm=arm, lever_label=label, measure=m))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    first = ["arm", "lever_label", "measure", "factor"]
    return out[first + [c for c in out.columns if c not in first]]
