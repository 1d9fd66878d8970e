"""A calibration folder's files and the helpers every calibration step shares.

The folder (``python -m experiments calibrate SPEC --out DIR``, :mod:`experiments.calibrate`):

* ``run.json``: the spec's name, path and fingerprint (what the History depends on), the
  synthetic targets if any, and one entry per session (when it ended, why, the settings);
* ``screening.csv``: Morris mu*, its CI, mu and sigma per candidate and output, and ``kept``;
* ``history.db``: pyabc's History (SQLite), which a rerun continues;
* ``posterior.parquet`` and ``calibration.json``: the last generation's particles (natural
  units, weights summing to 1) and its summary, rewritten whole after every generation;
* the report's files (:mod:`experiments.calibrate_report`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
import struct
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.errors import StoreError
from experiments.files import atomic_write, write_json
from experiments.spec_types import SpecError

HISTORY = "history.db"
POSTERIOR = "posterior.parquet"
STATE = "calibration.json"
RUN = "run.json"
SCREENING = "screening.csv"


# --- parameters and seeds -------------------------------------------------------------------


def theta_seed(root_seed: int, theta: Mapping[str, float], salt: str = "") -> int:
    """The simulation seed of a parameter set: a hash of the root seed, the values and ``salt``.

    The same theta always gets the same seed (common random numbers across particles that
    share values); ``salt`` gives fresh seeds for the posterior predictive check.
    """
    h = hashlib.sha256(f"{int(root_seed)}|{salt}".encode())
    for k in sorted(theta):
        h.update(k.encode())
        h.update(struct.pack("<d", float(theta[k])))
    return int.from_bytes(h.digest()[:8], "little") % 2**63


def bounds(prior: Any) -> tuple[float, float]:
    """A prior's range in calibration units: log10 for ``scale = "log"``, natural otherwise."""
    if prior.scale == "log":
        return math.log10(prior.low), math.log10(prior.high)
    return float(prior.low), float(prior.high)


def natural(prior: Any, value: float) -> float:
    """A value in calibration units back to the parameter's own units."""
    return float(10.0**value) if prior.scale == "log" else float(value)


def priors_of(spec: Any, names: Sequence[str]) -> list[Any]:
    """The spec's priors called ``names``, in that order (a clear error for an unknown name)."""
    by = {p.name: p for p in spec.priors}
    missing = [n for n in names if n not in by]
    if missing:
        raise SpecError(
            f"{', '.join(missing)} not among [priors]",
            key="screening.candidates",
            allowed=", ".join(by),
        )
    return [by[n] for n in names]


def sim_targets(spec: Any, theta: Mapping[str, float], seed: int) -> dict[str, float]:
    """:func:`experiments.targets.simulate`, with NaN for a target the run could not measure."""
    from experiments.targets import simulate

    out = simulate(spec, dict(theta), seed)
    return {t.name: float(out.get(t.name, math.nan)) for t in spec.targets}


def sim_distance(spec: Any, sim: Mapping[str, float], data: Mapping[str, float] | None) -> float:
    """The distance, infinite when a fitted target is missing (NaN never accepts a particle)."""
    from experiments.targets import distance

    d = float(distance(spec, sim, data))
    return d if math.isfinite(d) else math.inf


def parallel_map(
    fn: Callable[[Any], Any], items: Sequence[Any], workers: int, bar: Any = None
) -> list:
    """``[fn(x) for x in items]`` on ``workers`` forked processes (in order), ticking ``bar``."""
    if workers <= 1 or len(items) <= 1:
        out = []
        for x in items:
            out.append(fn(x))
            if bar is not None:
                bar.update(1)
        return out
    import multiprocessing as mp

    with ProcessPoolExecutor(
        workers, mp_context=mp.get_context("fork"), initializer=quiet_worker
    ) as ex:
        futures = [ex.submit(fn, x) for x in items]
        out = []
        for f in futures:
            out.append(f.result())
            if bar is not None:
                bar.update(1)
        return out


def quiet_worker() -> None:
    """In a forked worker: die on SIGTERM and ignore Ctrl-C, the parent's to handle.

    A worker inherits the command's SIGTERM handler (which raises KeyboardInterrupt); when
    the parent, interrupted, ends its workers, each would print a traceback.
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def bar(total: int | None, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, dynamic_ncols=True, mininterval=0.5)


# --- the output folder ------------------------------------------------------------------------


def fingerprint(spec: Any) -> str:
    """What a History depends on: fixed values, steps, seed, priors and targets (not the budget)."""
    body = {
        "fixed": spec.fixed,
        "steps": spec.steps,
        "root_seed": spec.root_seed,
        "priors": [dataclasses.asdict(p) for p in spec.priors],
        "targets": [dataclasses.asdict(t) for t in spec.targets],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def prepare(spec: Any, out: Path, data: Mapping[str, float] | None, overwrite: bool) -> dict:
    """Create or check DIR; returns its ``run.json`` (spec fingerprint, synthetic data if any).

    Raises:
        StoreError: DIR holds a calibration of another spec (or other synthetic targets), or
            files that are not a calibration's.
    """
    run_file = out / RUN
    if overwrite and out.exists():
        if out.is_dir() and not (run_file.exists() or not any(out.iterdir())):
            raise StoreError(
                f"--overwrite: {out} is not a calibration folder (no {RUN}); not deleting it"
            )
        shutil.rmtree(out)
    want = {
        "spec": spec.name,
        "spec_path": str(spec.path),
        "fingerprint": fingerprint(spec),
        "data": {k: float(v) for k, v in data.items()} if data is not None else None,
    }
    if run_file.exists():
        have = json.loads(run_file.read_text(encoding="utf-8"))
        if have.get("fingerprint") != want["fingerprint"] or have.get("data") != want["data"]:
            what = "spec" if have.get("fingerprint") != want["fingerprint"] else "synthetic targets"
            raise StoreError(
                f"{out} holds a calibration of another {what} ({have.get('spec')!r} from "
                f"{have.get('spec_path')}); use another --out, or --overwrite to start afresh"
            )
        return have
    if out.exists() and any(out.iterdir()):
        raise StoreError(
            f"{out} is not empty and holds no calibration ({RUN} missing); use an empty folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(run_file, want)
    return want


def write_posterior(
    out: Path, spec: Any, names: Sequence[str], history: Any, finished: bool
) -> None:
    """DIR/posterior.parquet (last generation, natural units) and DIR/calibration.json."""
    t = int(history.max_t)
    pars, w = history.get_distribution(m=0, t=t)
    priors = priors_of(spec, names)
    df = pd.DataFrame(
        {p.name: [natural(p, v) for v in pars[p.name].to_numpy(float)] for p in priors}
    )
    df["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    df["particle"] = pars.index.to_numpy().astype(np.int64)
    atomic_write(out / POSTERIOR, lambda tmp: df.to_parquet(tmp, index=False))
    pops = generation_table(history)
    write_json(
        out / STATE,
        {
            "spec": spec.name,
            "spec_path": str(spec.path),
            "parameters": list(names),
            "generation": t,
            "epsilon": _finite(pops["epsilon"].iloc[-1]) if len(pops) else None,
            "n_particles": len(df),
            "fixed": spec.fixed,
            "steps": spec.steps,
            "finished": bool(finished),
        },
    )


def _finite(x: Any) -> float | None:
    """A float for JSON: None for an infinite or missing value (strict JSON has no Infinity)."""
    x = float(x)
    return x if math.isfinite(x) else None


def generation_table(history: Any) -> pd.DataFrame:
    """One row per generation: t, epsilon, samples, particles, acceptance rate, seconds."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].sort_values("t").reset_index(drop=True)
    pops["acceptance"] = pops["particles"] / pops["samples"].clip(lower=1)
    return pops[["t", "epsilon", "samples", "particles", "acceptance", "wall_time"]].rename(
        columns={"wall_time": "seconds"}
    )


def is_calibration(out: str | Path) -> bool:
    """Whether ``out`` is a calibration's output folder (``report`` dispatches on it)."""
    return (Path(out) / RUN).exists() and (Path(out) / HISTORY).exists()
