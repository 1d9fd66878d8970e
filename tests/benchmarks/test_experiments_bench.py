"""Benchmarks of the experiment runner: runs per minute serially and on 2 workers, and the
runner's own overhead per run (tasks, pickling, Parquet parts, manifest) beyond the model.

Run with ``make bench``; the figures go into ``extra_info`` (runs_per_minute,
overhead_ms_per_run) of the pytest-benchmark table and JSON.
"""

from __future__ import annotations

import itertools
import time

import pytest

import experiments
from experiments.design import build_tasks
from experiments.run import run_one
from experiments.spec import parse_spec

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
