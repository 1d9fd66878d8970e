"""Serial, process pool and Dask LocalCluster runs give the same tables, row for row."""

from __future__ import annotations

import concurrent.futures as cf
import subprocess
import sys
import threading

import pandas as pd
import pytest

import experiments
from experiments.executors import SerialExecutor, bounded_map
from experiments.store import TIMING_COLUMNS, read_table
from tests.experiments.exp_specs import TINY


def _tables(out):
    runs = read_table(out, "runs").drop(columns=list(TIMING_COLUMNS))
    return runs, read_table(out, "timeseries"), read_table(out, "cascades")


def _assert_same(a, b):
    for x, y in zip(_tables(a), _tables(b), strict=True):
        assert len(x) > 0
        pd.testing.assert_frame_equal(x, y)


@pytest.mark.slow  # over 5 s on 2 cores: make test and CI run it, make test-fast skips it
def test_serial_process_and_dask_give_identical_tables(tiny_spec, tmp_path):
    pytest.importorskip("dask.distributed")
    outs = {}
    for name, kw in {
        "serial": {"executor": "serial"},
        "process1": {"executor": "process", "workers": 1},
        "process2": {"executor": "process", "workers": 2},
        "dask2": {"executor": "dask", "workers": 2},
    }.items():
        outs[name] = tmp_path / name
        s = experiments.run(tiny_spec, outs[name], progress=False, flush_every=3, **kw)
        assert (s.planned, s.ran, s.failed) == (8, 8, 0)
    runs = read_table(outs["serial"], "runs")
    assert runs["status"].eq("ok").all()
    for name in ("process1", "process2", "dask2"):
        _assert_same(outs["serial"], outs[name])


def test_any_concurrent_futures_executor_can_be_passed(tiny_spec, tmp_path):
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        experiments.run(tiny_spec, tmp_path / "threads", executor=pool, progress=False)
    experiments.run(tiny_spec, tmp_path / "serial", progress=False)
    _assert_same(tmp_path / "serial", tmp_path / "threads")


def test_bounded_map_never_has_more_than_window_tasks_in_flight():
    in_flight, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def work(x):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        release.wait(0.01)
        with lock:
            in_flight -= 1
        return x * x

    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        got = sorted(bounded_map(pool, work, range(50), window=3))
    assert got == [x * x for x in range(50)]
    assert 1 <= peak <= 3


def test_bounded_map_turns_a_lost_task_into_a_result_with_on_error():
    def work(x):
        if x == 2:
            raise OSError("worker vanished")
        return x

    got = sorted(
        bounded_map(SerialExecutor(), work, range(4), 2, on_error=lambda item, e: -item), key=abs
    )
    assert got == [0, 1, -2, 3]
    with pytest.raises(OSError, match="vanished"):
        list(bounded_map(SerialExecutor(), work, range(4), 2))


@pytest.mark.slow  # 5-8 s; make test and CI run it
def test_a_run_that_kills_its_worker_is_recorded_as_failed_and_the_pool_goes_on(
    write_spec, tmp_path
):
    spec = write_spec('model = "tests.experiments.dying_model:DyingModel"\n' + TINY)
    out = tmp_path / "out"
    s = experiments.run(spec, out, executor="process", workers=2, progress=False)
    assert (s.planned, s.ran, s.failed) == (8, 8, 2)
    runs = read_table(out, "runs")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["run_id"]) == {"p001-interactive-r000", "p001-interactive-r001"}
    assert failed["error"].str.contains("worker process died").all()
    assert runs[runs["status"] == "ok"]["reach"].notna().sum() == 6
    assert experiments.run(spec, out, resume=True, executor="process", progress=False).ran == 0


class _FakeClient:
    def __init__(self, threads: dict) -> None:
        self.threads = threads

    def nthreads(self) -> dict:
        return self.threads


class _FakeCluster:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def scale(self, n: int) -> None:
        self.calls.append(n)


def test_the_dask_watchdog_revives_a_local_cluster_and_then_gives_up(monkeypatch):
    """A cluster left without workers (every run killed its worker) waited forever."""
    from experiments import executors
    from experiments.executors import DaskWatchdog, ExecutorError

    now = [0.0]
    monkeypatch.setattr(executors.time, "monotonic", lambda: now[0])
    cluster = _FakeCluster()
    dog = DaskWatchdog(_FakeClient({}), cluster, 2, None, grace=10, revivals=2)
    dog(False)
    now[0] = 9
    dog(False)
    assert cluster.calls == []  # within the grace period
    now[0] = 11
    dog(False)
    assert cluster.calls == [0, 2]  # dead workers dropped, two new ones asked for
    now[0] = 22
    dog(False)
    assert cluster.calls == [0, 2, 0, 2]
    now[0] = 33
    with pytest.raises(ExecutorError, match="has had no worker for 10 s"):
        dog(False)
    # a finished task resets the count; a remote cluster is never scaled, only reported
    remote = DaskWatchdog(_FakeClient({}), None, 2, "tcp://h:8786", grace=10)
    remote(True)
    now[0] = 50
    with pytest.raises(ExecutorError, match="cluster at tcp://h:8786"):
        remote(False)
    assert DaskWatchdog(_FakeClient({"w": 1}), cluster, 2, None)(False) is None


def test_bounded_map_asks_the_watch_while_nothing_finishes():
    import concurrent.futures as cf

    from experiments.executors import ExecutorError

    class Never(cf.Executor):
        def submit(self, fn, /, *args, **kwargs):
            return cf.Future()  # a task that never finishes: its worker is gone

    seen = []

    def watch(progressed: bool) -> None:
        seen.append(progressed)
        if len(seen) == 3:
            raise ExecutorError("no worker")

    with pytest.raises(ExecutorError, match="no worker"):
        list(bounded_map(Never(), abs, range(4), 2, watch=watch, poll=0.01))
    assert seen == [False, False, False]


@pytest.mark.slow
def test_dask_records_every_run_as_failed_when_every_run_kills_its_worker(write_spec, tmp_path):
    """It hung after 7-8 failed runs: the workers' restarts failed and nothing ran again.

    12 runs (3 replicates), half as many as before: each run kills its worker, and the nanny's
    restart of a worker (a fresh interpreter importing the model) is the test's whole cost
    (about 2.4 s a run in CI). 12 is still past the 7-8 at which it hung: with Dask's retries
    and default saturation back and no watchdog (the code before the fix), these 12 runs did
    not finish in 240 s, where the fixed code took 30-44 s on the same loaded machine.
    """
    pytest.importorskip("dask.distributed")
    spec = write_spec(
        'model = "tests.experiments.dying_model:AlwaysDyingModel"\n'
        + TINY.replace("replicates = 2", "replicates = 3")
    )
    proc = subprocess.run(
        [sys.executable, "-m", "experiments", "run", str(spec), "--out", str(tmp_path / "o")]
        + ["--executor", "dask", "--workers", "2", "--quiet"],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = read_table(tmp_path / "o", "runs")
    assert len(runs) == 12 and (runs["status"] == "failed").all()
    assert runs["error"].str.startswith("WorkerDied: the worker process died").all()
