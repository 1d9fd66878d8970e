"""Likelihood-free Bayesian calibration: Morris screening, then ABC-SMC with pyabc.

    python -m experiments calibrate experiments/specs/calibration.toml --out results/calibration
    python -m experiments calibrate ... --out results/calibration      # again: resumes
    python -m experiments report results/calibration                   # report.md, figures

A calibration spec (:mod:`experiments.targets`) names priors (ranges of Params fields or rule
parameters) and targets (published figures, each with an uncertainty). The command

1. screens ``[screening] candidates`` with Morris elementary effects on the distance to the
   targets (SALib, :func:`experiments.sensitivity.morris`) and keeps the ``keep`` parameters
   with the largest mu* (``DIR/screening.csv``); ``--skip-screening`` calibrates every prior.
   Parameters left out stay at the spec's ``[fixed]`` values or Params' defaults;
2. runs ABC-SMC (Toni et al. 2009; Klinger, Rickert & Hasenauer 2018, pyabc) on the kept
   parameters: uniform priors on each range (in log10 units for ``scale = "log"``), a model
   that is :func:`experiments.targets.simulate`, the distance :func:`experiments.targets.distance`
   (each target's deviation in units of its uncertainty), a median epsilon schedule, the
   History in ``DIR/history.db``. After every generation ``DIR/posterior.parquet`` (the last
   generation's particles in natural units, weights summing to 1) and ``DIR/calibration.json``
   are written whole (temporary file, then rename).

Rerunning the command on DIR continues the stored History (screening reused); a DIR made
from another spec (other fixed values, steps, seed, priors or targets) is refused;
``--overwrite`` starts afresh. ``[abc] max_generations`` counts generations in the History,
so a resumed run stops where an uninterrupted one would.

The screening lives in :mod:`experiments.calibrate_screen`, the folder's files and the shared
helpers in :mod:`experiments.calibrate_io`, the report in :mod:`experiments.calibrate_report`.

Reproducibility: every simulation's seed is a hash of the spec's root seed and the particle's
parameter values (:func:`theta_seed`), so a particle's targets can be recomputed exactly from
posterior.parquet. With one worker pyabc's own draws (proposals, acceptances) come from
numpy's global generator, seeded from the root seed and the generation, so a one-worker
calibration gives the same particles every time. With more, they are not reproducible: the
multicore workers reseed numpy from the operating system and the order in which parallel
simulations finish decides which particles enter a generation, so two runs give different
particles from the same posterior.

The file is a little over 400 lines because the command's loop, pyabc's sampler with its
progress bar and the seeding that wraps it belong together.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibrate_io import (
    HISTORY,
    RUN,
    SCREENING,
    STATE,
    bar,
    bounds,
    generation_table,
    natural,
    prepare,
    priors_of,
    quiet_worker,
    sim_distance,
    sim_targets,
    theta_seed,
    write_posterior,
)
from experiments.calibrate_screen import MAX_KEEP, screen
from experiments.errors import StoreError
from experiments.files import atomic_write, write_json
from experiments.spec_types import SpecError

# For a spec whose [abc] leaves a key out: a budget of under two hours on 2 cores when one
# simulation takes a few seconds (docs/experiments.md, "Calibration", measured costs).
# max_walltime_minutes = 0 means no time limit.
ABC_DEFAULTS: dict[str, Any] = {
    "population_size": 50,
    "max_generations": 6,
    "min_epsilon": 0.0,
    "max_walltime_minutes": 100.0,
    "workers": 2,
}


# --- ABC-SMC ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` did: the folder, the parameters, the generations in the History."""

    out: Path
    parameters: list[str]
    generations: pd.DataFrame
    finished: bool
    stop: str


class _Counters:
    """Simulations and acceptances of the running generation, shared with forked workers."""

    def __init__(self) -> None:
        from pyabc.sampler.util import get_mp_context

        ctx = get_mp_context()  # the sampler's own context: its workers inherit these values
        self.evals = ctx.Value("q", 0)
        self.accepted = ctx.Value("q", 0)
        self.eps = ctx.Value("d", math.inf)

    def reset(self, eps: float) -> None:
        self.evals.value, self.accepted.value, self.eps.value = 0, 0, eps

    def simulated(self) -> None:
        with self.evals.get_lock():
            self.evals.value += 1

    def judged(self, d: float) -> None:
        if d <= self.eps.value:
            with self.accepted.get_lock():
                self.accepted.value += 1


def _sampler(workers: int, counters: _Counters, progress: bool, label: Callable[[int], str]) -> Any:
    """pyabc's multicore (or single-core) sampler with a tqdm bar per generation.

    The bar counts accepted particles against the population size and shows the simulations
    run, the acceptance rate so far and the generation's epsilon; the counts come from the
    model and distance functions (:class:`_Counters`), which run in the workers.
    """
    import pyabc

    base = pyabc.SingleCoreSampler if workers <= 1 else pyabc.MulticoreEvalParallelSampler

    class Sampler(base):  # type: ignore[misc, valid-type]
        def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):  # type: ignore[no-untyped-def]
            ana = kwargs.get("ana_vars")
            eps = _epsilon(ana, t)
            counters.reset(eps)
            stop = threading.Event()
            pbar = bar(n, label(t), progress)

            def poll() -> None:
                while not stop.wait(0.5):
                    _show(pbar, counters, eps)

            thread = threading.Thread(target=poll, daemon=True)
            thread.start()
            try:
                return super().sample_until_n_accepted(n, simulate_one, t, **kwargs)
            finally:
                stop.set()
                thread.join()
                _show(pbar, counters, eps)
                pbar.close()

    return Sampler() if workers <= 1 else Sampler(n_procs=workers)


def _epsilon(ana: Any, t: int) -> float:
    """The generation's epsilon; infinite for the prior sample that sets the first one."""
    try:
        return float(ana.eps(t))
    except (TypeError, ValueError, KeyError):  # 'from_sample' before the calibration sample
        return math.inf


def _show(bar: Any, c: _Counters, eps: float) -> None:
    evals, acc = int(c.evals.value), int(c.accepted.value)
    if math.isinf(eps):  # the prior sample: every simulation is accepted, none is judged
        acc = evals
    bar.n = min(acc, bar.total or acc)
    rate = f"{acc / evals:.0%}" if evals else "-"
    bar.set_postfix_str(f"sims {evals}, acceptance {rate}, eps {eps:.3g}", refresh=False)
    bar.refresh()


def settings(spec: Any, **override: Any) -> dict[str, Any]:
    """``[abc]`` with defaults and the command line's overrides (None: keep), checked."""
    cfg = {**ABC_DEFAULTS, **(spec.abc or {})}
    unknown = sorted(set(cfg) - set(ABC_DEFAULTS))
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r}", key="abc", allowed=", ".join(ABC_DEFAULTS))
    cfg.update({k: v for k, v in override.items() if v is not None})
    for key in ("population_size", "max_generations", "workers"):
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise SpecError(f"{v!r} is not a whole number >= 1", key=f"abc.{key}")
    for key in ("min_epsilon", "max_walltime_minutes"):
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise SpecError(f"{v!r} is not a number >= 0", key=f"abc.{key}")
    return cfg


def calibrate(
    spec: Any,
    out: str | Path,
    *,
    data: Mapping[str, float] | None = None,
    population_size: int | None = None,
    max_generations: int | None = None,
    walltime_minutes: float | None = None,
    workers: int | None = None,
    min_epsilon: float | None = None,
    skip_screening: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> Calibration:
    """Screen, then run (or continue) ABC-SMC into ``out``; see the module docstring.

    Args:
        spec: A :class:`experiments.targets.CalibrationSpec`.
        out: The output folder (created; an earlier calibration of the same spec continues).
        data: Values that replace the targets' (synthetic targets, e.g. made by the model
            itself at known parameters for a recovery check).
        population_size, max_generations, walltime_minutes, workers, min_epsilon: Override
            ``[abc]`` (population_size, max_generations, max_walltime_minutes, workers,
            min_epsilon). The walltime is this invocation's budget, checked between generations.
        skip_screening: Calibrate every prior, no Morris step.
        overwrite: Delete an earlier calibration in ``out`` first.
        progress: tqdm bars (screening; one per generation).

    Returns:
        The folder, the calibrated parameters and the History's generations.
    """
    import pyabc

    out = Path(out)
    fitted = spec.fitted()
    if not fitted:
        raise SpecError("no target to fit (every target is held_out)", key="targets")
    if data is not None:
        missing = [t.name for t in fitted if t.name not in data]
        if missing:
            raise SpecError(f"synthetic data lack {', '.join(missing)}", key="targets")
    cfg = settings(
        spec,
        population_size=population_size,
        max_generations=max_generations,
        max_walltime_minutes=walltime_minutes,
        workers=workers,
        min_epsilon=min_epsilon,
    )
    prepare(spec, out, data, overwrite)
    started = time.monotonic()
    if skip_screening and not (out / SCREENING).exists():
        names = [p.name for p in spec.priors]
        if len(names) > MAX_KEEP:
            raise SpecError(
                f"--skip-screening would calibrate {len(names)} priors",
                allowed=f"at most {MAX_KEEP}",
            )
        rows = pd.DataFrame({"output": "distance", "factor": names, "kept": "yes"})
        atomic_write(out / SCREENING, lambda tmp: rows.to_csv(tmp, index=False))
    names = screen(spec, out, data=data, workers=cfg["workers"], progress=progress)
    priors = priors_of(spec, names)
    observed = {t.name: float(data[t.name] if data is not None else t.value) for t in fitted}

    logging.getLogger("ABC").setLevel(logging.WARNING)  # the bars say what pyabc would log
    counters = _Counters()
    prior = pyabc.Distribution(
        **{p.name: pyabc.RV("uniform", bounds(p)[0], bounds(p)[1] - bounds(p)[0]) for p in priors}
    )
    model = _Model(spec, {p.name: p for p in priors}, counters)
    dist = _Distance(spec, data, counters)
    max_g = cfg["max_generations"]
    sampler = _sampler(
        cfg["workers"],
        counters,
        progress,
        lambda t: f"generation {t + 1}/{max_g}" if t >= 0 else "prior sample (sets epsilon)",
    )
    db = "sqlite:///" + str((out / HISTORY).resolve())

    def fresh() -> Any:
        # A new ABCSMC per generation, loaded from the History: pyabc caches the population
        # that sets epsilon, so a reused object would keep the prior sample's epsilon. Every
        # generation thus starts the way a resumed run does.
        abc = pyabc.ABCSMC(
            model,
            prior,
            dist,
            population_size=cfg["population_size"],
            sampler=sampler,
            eps=pyabc.MedianEpsilon("from_sample"),
        )
        if (out / HISTORY).exists():
            abc.load(db, 1)
        else:
            abc.new(db, observed, meta_info={"spec": spec.name, "parameters": ",".join(names)})
        return abc

    history = fresh().history
    stop = ""
    while not stop:
        done = int(history.max_t) + 1
        pops = generation_table(history) if done else pd.DataFrame()
        if done >= max_g:
            stop = f"max_generations {max_g} reached"
        elif done and float(pops["epsilon"].iloc[-1]) <= cfg["min_epsilon"]:
            stop = f"epsilon {pops['epsilon'].iloc[-1]:.3g} <= min_epsilon {cfg['min_epsilon']}"
        elif (
            cfg["max_walltime_minutes"]
            and time.monotonic() - started > 60 * cfg["max_walltime_minutes"]
        ):
            stop = f"walltime {cfg['max_walltime_minutes']} min used"
        else:
            try:
                with _seeded(spec.root_seed, done, cfg["workers"]):
                    history = fresh().run(minimum_epsilon=cfg["min_epsilon"], max_nr_populations=1)
            except KeyboardInterrupt:
                _session(out, "interrupted", cfg)
                raise
            write_posterior(out, spec, names, history, finished=False)
    finished = stop.startswith(("max_generations", "epsilon"))
    if int(history.max_t) >= 0:
        write_posterior(out, spec, names, history, finished=finished)
    _session(out, stop, cfg)
    return Calibration(out, names, generation_table(history), finished, stop)


@contextlib.contextmanager
def _seeded(root_seed: int, generation: int, workers: int) -> Iterator[None]:
    """In one process (``workers`` <= 1), numpy's global generator, which pyabc draws its
    proposals and acceptances from, is seeded from the root seed and the generation while
    the generation runs (and given back its state afterwards): a one-worker calibration, and
    its resume, then gives the same particles every time. pyabc's multicore workers reseed
    from the operating system, so with more workers nothing is seeded here."""
    if workers > 1:
        yield
        return
    state = np.random.get_state()  # noqa: NPY002 - pyabc draws from the legacy global generator
    np.random.seed([int(root_seed) % 2**32, 0xCA11B, int(generation)])  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _session(out: Path, stop: str, cfg: Mapping[str, Any]) -> None:
    """Record in run.json when this invocation ended, why, and with which settings."""
    run = json.loads((out / RUN).read_text(encoding="utf-8"))
    run.setdefault("sessions", []).append(
        {"ended": datetime.now(UTC).isoformat(timespec="seconds"), "stop": stop, "settings": cfg}
    )
    write_json(out / RUN, run)


@dataclasses.dataclass
class _Model:
    """pyabc's model: calibration units to natural units, then every target from one seed."""

    spec: Any
    priors: dict[str, Any]
    counters: _Counters | None = None
    parent: int = dataclasses.field(default_factory=os.getpid)

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        if os.getpid() != self.parent:  # first call in one of pyabc's forked workers
            quiet_worker()
            self.parent = os.getpid()
        theta = {k: natural(self.priors[k], float(v)) for k, v in pars.items()}
        out = sim_targets(self.spec, theta, theta_seed(self.spec.root_seed, theta))
        if self.counters is not None:
            self.counters.simulated()
        return out


@dataclasses.dataclass
class _Distance:
    """pyabc's distance: :func:`sim_distance` against the targets (or synthetic data)."""

    spec: Any
    data: Mapping[str, float] | None
    counters: _Counters | None = None

    def __call__(self, x: Mapping[str, float], x_0: Mapping[str, float]) -> float:
        d = sim_distance(self.spec, x, self.data)
        if self.counters is not None:
            self.counters.judged(d)
        return d


# --- the command line ---------------------------------------------------------------------


def add_parser(sub: Any, positive_int: Callable[[str], int]) -> None:
    """The ``calibrate`` subcommand's parser (called by :func:`experiments.cli.build_parser`)."""
    p = sub.add_parser(
        "calibrate", help="screen, then calibrate parameters to published targets (ABC-SMC)"
    )
    p.add_argument("spec", type=Path, help="the calibration's TOML spec (experiments.targets)")
    p.add_argument("--out", required=True, type=Path, help="output folder (rerun to resume)")
    p.add_argument("--population-size", type=positive_int, help="particles per generation")
    p.add_argument("--generations", type=positive_int, help="generations in the History, in all")
    p.add_argument("--walltime-minutes", type=float, help="this invocation's time budget")
    p.add_argument("--workers", type=positive_int, help="worker processes (default [abc] or 2)")
    p.add_argument("--min-epsilon", type=float, help="stop once epsilon is at or below this")
    p.add_argument("--skip-screening", action="store_true", help="calibrate every prior")
    p.add_argument("--overwrite", action="store_true", help="delete an earlier calibration first")
    p.add_argument("--report-only", action="store_true", help="write the report of OUT, no runs")
    p.add_argument("--no-report", action="store_true", help="no report after the calibration")
    p.add_argument("--draws", type=int, default=30, help="posterior draws in the predictive check")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=command)


def command(a: Any) -> int:
    """``python -m experiments calibrate``: run, resume or report a calibration."""
    import signal

    from experiments.calibrate_report import write_report
    from experiments.targets import load_calibration

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    if not str(a.out).strip() or str(a.out) == ".":
        raise StoreError(
            "--out names no folder; name the output folder, e.g. --out results/calibration"
        )
    spec = load_calibration(a.spec)
    if a.draws < 2:
        raise StoreError(f"--draws {a.draws}: the predictive check needs at least 2 draws")
    if not a.report_only:
        try:
            c = calibrate(
                spec,
                a.out,
                population_size=a.population_size,
                max_generations=a.generations,
                walltime_minutes=a.walltime_minutes,
                workers=a.workers,
                min_epsilon=a.min_epsilon,
                skip_screening=a.skip_screening,
                overwrite=a.overwrite,
                progress=not a.quiet,
            )
        except KeyboardInterrupt:
            print(
                f"interrupted; the finished generations are in {a.out}: run the same command "
                "again to continue",
                file=sys.stderr,
            )
            return 130
        g = c.generations
        last = g.iloc[-1] if len(g) else None
        print(
            f"{spec.name}: {len(c.parameters)} parameters ({', '.join(c.parameters)}), "
            f"{len(g)} generations"
            + (
                f", epsilon {last['epsilon']:.3g}, acceptance {last['acceptance']:.1%}"
                if last is not None
                else ""
            )
            + f"; stopped: {c.stop}; results in {a.out}"
        )
        if a.no_report:
            return 0
    elif not (Path(a.out) / STATE).exists():
        raise StoreError(f"{a.out} has no finished generation to report on ({STATE} missing)")
    files = write_report(
        a.out, spec=spec, draws=a.draws, workers=a.workers or 2, progress=not a.quiet
    )
    print("wrote " + ", ".join(str(p.relative_to(Path(a.out))) for p in files))
    return 0
