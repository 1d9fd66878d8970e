"""Morris screening of a calibration's candidate parameters (SALib, as in
:mod:`experiments.sensitivity`): which parameters are worth calibrating."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibrate_io import (
    SCREENING,
    bar,
    bounds,
    natural,
    parallel_map,
    priors_of,
    sim_distance,
    sim_targets,
    theta_seed,
)
from experiments.files import atomic_write
from experiments.spec_types import SpecError

MAX_KEEP = 12  # ABC-SMC's acceptance falls fast with the dimension; the issue caps it at ~12
SCREENING_DEFAULTS: dict[str, Any] = {"keep": MAX_KEEP, "trajectories": 10, "levels": 4}


def screen(
    spec: Any,
    out: Path,
    *,
    data: Mapping[str, float] | None = None,
    workers: int = 2,
    progress: bool = True,
) -> list[str]:
    """Morris screening of ``[screening] candidates``; the kept names (reused if DIR has them).

    The output screened is the distance to the targets; each target's value is screened too
    (rows with ``output`` = the target's name), for the report. Elementary effects are per
    whole prior range (log10 range for log priors), so mu* compare across parameters.

    Every point of one Morris trajectory runs on the same seed (common random numbers): an
    elementary effect is the difference of two runs that differ in one parameter only, so a
    parameter the targets cannot see gets mu* 0 instead of the seed noise of the distance.
    (With a seed per parameter set, as the ABC-SMC uses, ``community_gain`` got the third
    largest mu* of ``calibration.toml`` although no target moves with it.)

    Returns:
        The ``keep`` candidates with the largest mu* of the distance, in the candidates' order.
    """
    path = out / SCREENING
    if path.exists():
        t = pd.read_csv(path)
        return list(t.loc[(t["output"] == "distance") & (t["kept"] == "yes"), "factor"])
    cfg = {**SCREENING_DEFAULTS, **(spec.screening or {})}
    names = list(cfg.get("candidates") or [p.name for p in spec.priors])
    keep = int(cfg["keep"])
    if not 1 <= keep <= MAX_KEEP:
        raise SpecError(f"{keep} is out of range", key="screening.keep", allowed=f"1 to {MAX_KEEP}")
    priors = priors_of(spec, names)
    if len(names) <= keep:
        rows = [{"output": "distance", "factor": n, "kept": "yes"} for n in names]
        atomic_write(path, lambda tmp: pd.DataFrame(rows).to_csv(tmp, index=False))
        return names
    from SALib.sample import morris as morris_sample

    from experiments.sensitivity import morris, problem

    levels, r = int(cfg["levels"]), int(cfg["trajectories"])
    unit = morris_sample.sample(problem(names), r, num_levels=levels, seed=spec.root_seed % 2**32)
    jobs = []
    per_trajectory = len(names) + 1  # SALib's Morris sample: r trajectories of D + 1 rows
    for i, row in enumerate(unit):
        theta = {}
        for p, u in zip(priors, row, strict=True):
            lo, hi = bounds(p)
            theta[p.name] = natural(p, lo + u * (hi - lo))
        seed = theta_seed(spec.root_seed, {}, salt=f"screening trajectory {i // per_trajectory}")
        jobs.append((theta, seed))
    with bar(len(jobs), f"screening {len(names)} parameters", progress) as pbar:
        sims = parallel_map(_ScreenOne(spec, data), jobs, workers, pbar)
    outputs = {"distance": np.array([s["__distance"] for s in sims])}
    for t in spec.targets:
        outputs[t.name] = np.array([s[t.name] for s in sims])
    frames = []
    for name, y in outputs.items():
        y = np.where(np.isfinite(y), y, np.nan)
        if np.isnan(y).any():  # a failed measure: Morris needs every point; cap at the worst seen
            worst = np.nanmax(y) if np.isfinite(np.nanmax(y)) else 0.0
            y = np.nan_to_num(y, nan=worst)
        frames.append(
            morris(names, unit, y, levels, seed=spec.root_seed % 2**32).assign(output=name)
        )
    table = pd.concat(frames, ignore_index=True)
    d = table[table["output"] == "distance"].sort_values("mu_star", ascending=False)
    kept = set(d["factor"].head(keep))
    table["kept"] = np.where(table["factor"].isin(kept), "yes", "no")
    table = table[
        ["output", "factor", "mu_star", "mu_star_lo", "mu_star_hi", "mu", "sigma", "kept"]
    ]
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
    return [n for n in names if n in kept]


@dataclasses.dataclass
class _ScreenOne:
    """One screening point, ``(theta, seed)``: every target and the distance (a picklable
    callable)."""

    spec: Any
    data: Mapping[str, float] | None

    def __call__(self, job: tuple[Mapping[str, float], int]) -> dict[str, float]:
        theta, seed = job
        sim = sim_targets(self.spec, theta, seed)
        return {**sim, "__distance": sim_distance(self.spec, sim, self.data)}
