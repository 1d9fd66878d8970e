"""Benchmarks of the experiment runner: runs per minute serially and on 2 workers, the
runner's own overhead per run (tasks, pickling, Parquet parts, manifest) beyond the model, and
the runs per hour of the project's large designs.

Runs per hour of a spec (issue 18): the first ``OE_BENCH_SLICE`` runs (default 12) of the
boundary spec (experiments/specs/when_interactive_wins.toml) and of the Sobol spec
(experiments/specs/sobol.toml), in the spec's run order, through the runner's executor
(:func:`experiments.executors.open_executor` and :func:`~experiments.executors.bounded_map`
over :func:`experiments.run.run_one`), serially and on a process pool of 2 whose start is
timed too. The result store is left out: it costs about 2 ms a run (the overhead benchmark
below), against seconds for a 2,000-user, 14-day run. The runner runs each distinct run once
(:mod:`experiments.reuse`: the boundary spec repeats its one-way runs at every lever setting),
so the slice takes the first distinct runs and the projections count distinct runs. From the
rate follow the hours the full Sobol design (n = 256: 10,240 runs, fewer distinct) would take
here, and the Dask workers that would finish it in an hour if each did what one worker did here
(``workers_for_sobol_in_1h``).

Run with ``make bench``; the figures go into ``extra_info`` (runs_per_minute, runs_per_hour,
overhead_ms_per_run, ...) of the pytest-benchmark table and JSON.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import time
from pathlib import Path

import pytest

import experiments
from experiments.design import build_tasks, make_plan
from experiments.executors import bounded_map, open_executor
from experiments.reuse import run_key
from experiments.run import run_one
from experiments.spec import load_spec, parse_spec

SPECS = Path(__file__).resolve().parents[2] / "experiments" / "specs"

#: 12 runs (3 replicates x 2 points x 2 arms) of 2,000 users for three simulated days.
SWEEP = {
    "name": "bench",
    "replicates": 3,
    "root_seed": 1,
    "steps": 72,
    "measure_every": 6,
    "fixed": {"n_users": 2000},
    "factors": {"trust_shift": [-0.1, 0.1]},
    "arms": ["one_way", "interactive"],
}
#: 40 runs so small (50 users, 1 step) that the runner's own costs dominate.
TINY = {
    "name": "overhead",
    "replicates": 20,
    "root_seed": 1,
    "steps": 1,
    "measure_every": 1,
    "fixed": {"n_users": 50},
    "arms": ["one_way", "interactive"],
}
_counter = itertools.count()


def _sweep(tmp_path, spec, **kw):
    out = tmp_path / f"out{next(_counter)}"
    return experiments.run(spec, out, progress=False, **kw)


@pytest.mark.parametrize(
    ("executor", "workers"), [("serial", 1), ("process", 2)], ids=["serial", "process-2"]
)
def test_runs_per_minute(benchmark, tmp_path, executor, workers):
    spec = parse_spec(SWEEP)
    n = len(build_tasks(spec))
    result = benchmark.pedantic(
        _sweep,
        args=(tmp_path, spec),
        kwargs={"executor": executor, "workers": workers},
        rounds=3,
        iterations=1,
        warmup_rounds=1,
    )
    assert result.ran == n and result.failed == 0
    benchmark.extra_info["runs"] = n
    benchmark.extra_info["runs_per_minute"] = round(60 * n / benchmark.stats.stats.mean, 1)


def test_runner_overhead_per_run(benchmark, tmp_path):
    spec = parse_spec(TINY)
    tasks = build_tasks(spec)
    t0 = time.perf_counter()
    for t in tasks:
        run_one(t)
    bare = (time.perf_counter() - t0) / len(tasks)
    result = benchmark.pedantic(_sweep, args=(tmp_path, spec), rounds=3, iterations=1)
    assert result.ran == len(tasks)
    per_run = benchmark.stats.stats.mean / len(tasks)
    benchmark.extra_info["model_ms_per_run"] = round(1000 * bare, 2)
    benchmark.extra_info["overhead_ms_per_run"] = round(1000 * (per_run - bare), 2)


def spec_slice() -> int:
    """Runs of each large spec to time, from ``OE_BENCH_SLICE`` (default 12)."""
    raw = os.environ.get("OE_BENCH_SLICE", "12")
    try:
        k = int(raw)
    except ValueError:
        k = 0
    if k < 1:
        raise ValueError(f"OE_BENCH_SLICE must be a positive integer, got {raw!r}")
    return k


@functools.cache
def distinct_tasks(name: str) -> tuple[int, list]:
    """A spec's planned runs and its distinct tasks in run order (what the runner executes)."""
    plan = make_plan(load_spec(SPECS / f"{name}.toml"))
    seen: dict[str, object] = {}
    for task in plan.tasks():
        seen.setdefault(run_key(task), task)
    return plan.n_runs, list(seen.values())


@pytest.mark.parametrize(
    ("executor", "workers"), [("serial", 1), ("process", 2)], ids=["serial", "process-2"]
)
@pytest.mark.parametrize("name", ["when_interactive_wins", "sobol"])
# the Sobol spec's own comment says ranking_bias acts only where the ranking is personalised
@pytest.mark.filterwarnings("ignore::experiments.spec_runs.UnusedKeyWarning")
def test_runs_per_hour_of_spec(benchmark, name, executor, workers):
    """The first runs of a large spec: runs per hour here, and what the full Sobol design needs."""
    spec = load_spec(SPECS / f"{name}.toml")
    planned, distinct = distinct_tasks(name)
    tasks = distinct[: spec_slice()]
    sobol_planned, sobol_distinct = distinct_tasks("sobol")

    def sweep() -> list:
        with open_executor(executor, workers=workers) as ex:
            return list(bounded_map(ex.executor, run_one, tasks, window=2 * ex.workers))

    outs = benchmark.pedantic(sweep, rounds=1, iterations=1)
    failed = [o.error for o in outs if not o.ok]
    assert len(outs) == len(tasks) and not failed, failed
    seconds = benchmark.stats.stats.mean
    per_hour = 3600 * len(tasks) / seconds
    benchmark.extra_info.update(
        spec=name,
        runs=len(tasks),
        of_runs=planned,
        distinct_runs=len(distinct),
        users=spec.fixed.get("n_users"),
        steps=spec.steps,
        workers=workers,
        run_s_in_worker=sum(o.seconds for o in outs) / len(outs),
        runs_per_hour=per_hour,
        spec_hours=len(distinct) / per_hour,
        sobol_runs=sobol_planned,
        sobol_distinct_runs=len(sobol_distinct),
        sobol_hours=len(sobol_distinct) / per_hour,
        workers_for_sobol_in_1h=math.ceil(len(sobol_distinct) * workers / per_hour),
    )
