"""Executors: serial, a process pool, or Dask distributed, all behind ``concurrent.futures``.

Every executor receives the same picklable tasks and runs the same function
(:func:`experiments.run.run_one`), so results are identical whatever runs them; only the
``seconds`` column differs. :func:`bounded_map` keeps a fixed number of tasks in flight and
yields results as they finish, so memory stays flat however many runs a sweep has.

* ``serial``: runs each task in the calling process (the default; easiest to debug).
* ``process``: ``concurrent.futures.ProcessPoolExecutor`` on a ``forkserver`` context (no
  fork of a threaded parent) that preloads the model once.
* ``dask``: ``dask.distributed``. With no address, a ``LocalCluster`` of single-threaded worker
  processes listening on 127.0.0.1 with the dashboard off; with ``tcp://host:8786``, an existing
  cluster whose workers have this package installed. Tasks are submitted with ``pure=False``:
  Dask's default would merge identical tasks.

Any other ``concurrent.futures.Executor`` (loky, mpi4py.futures, ...) can be passed directly.

A process-pool worker that dies (a signal, ``os._exit``, the out-of-memory killer) breaks the
whole pool and fails every task in flight. :func:`bounded_map` then starts a new pool, runs
the tasks that were in flight one at a time to find the one that kills its worker, records
that one as failed (:class:`WorkerDied`) and goes on, as Dask does after its retries.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

EXECUTORS = ("serial", "process", "dask")


class SerialExecutor(cf.Executor):
    """A ``concurrent.futures.Executor`` that runs each call at submission, in this process."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` now and return a finished future."""
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - delivered through the future, as executors do
            fut.set_exception(e)
        return fut


class WorkerDied(RuntimeError):
    """The worker process running a task died before returning it."""


class ExecutorError(RuntimeError):
    """An executor cannot be started (e.g. the Dask scheduler cannot be reached)."""


@dataclass
class OpenExecutor:
    """An executor ready for use and the number of tasks it runs at once.

    Attributes:
        executor: The executor (replaced by :attr:`restart`).
        workers: Tasks it runs at once.
        description: For messages.
        restart: Replaces a broken executor by a new one and returns it (process pools), or None.
        watch: Called by :func:`bounded_map` every few seconds while tasks are in flight, with
            whether one finished since the last call; revives a cluster that lost its workers
            or raises :class:`ExecutorError` (Dask), so a sweep never waits forever.
    """

    executor: cf.Executor
    workers: int
    description: str
    restart: Callable[[], cf.Executor] | None = None
    watch: Callable[[bool], None] | None = None


def default_workers() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def open_executor(
    kind: str | cf.Executor = "serial", *, workers: int | None = None, address: str | None = None
) -> Iterator[OpenExecutor]:
    """Open an executor by name (or wrap a given one) and close it afterwards.

    Args:
        kind: ``serial``, ``process``, ``dask``, or a ``concurrent.futures.Executor``.
        workers: Worker processes for ``process`` and a local Dask cluster (default: all cores).
        address: Scheduler address for ``dask`` (``tcp://host:8786``); None starts a LocalCluster.

    Yields:
        The open executor with its parallelism.
    """
    if isinstance(kind, cf.Executor):
        n = workers or getattr(kind, "_max_workers", None) or default_workers()
        yield OpenExecutor(kind, int(n), type(kind).__name__)
        return
    if kind not in EXECUTORS:
        raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if kind == "serial":
        yield OpenExecutor(SerialExecutor(), 1, "serial")
    elif kind == "process":
        n = workers or default_workers()
        ctx = _process_context()

        def new_pool() -> cf.ProcessPoolExecutor:
            return cf.ProcessPoolExecutor(
                max_workers=n, mp_context=ctx, initializer=watch_driver, initargs=(os.getpid(),)
            )

        opened = OpenExecutor(new_pool(), n, f"process pool ({n} workers)")

        def restart() -> cf.Executor:
            _stop(opened.executor)
            opened.executor = new_pool()
            return opened.executor

        opened.restart = restart
        try:
            yield opened
        except BaseException:
            # interrupted: drop queued tasks and stop the running ones instead of waiting
            _stop(opened.executor)
            raise
        opened.executor.shutdown(wait=True)
    else:
        with _dask_client(workers, address) as (client, n, desc, cluster):
            ex = client.get_executor(pure=False)
            yield OpenExecutor(ex, n, desc, watch=DaskWatchdog(client, cluster, n, address))


def watch_driver(driver_pid: int, interval: float = 1.0) -> None:
    """Worker initializer: exit when the driver process is gone (e.g. killed with SIGKILL).

    Without it, pool workers whose driver died keep computing their task and then hang.
    """
    import threading

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(driver_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - pid reused by another user's process
                os._exit(1)

    threading.Thread(target=watch, name="watch-driver", daemon=True).start()


def _stop(ex: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now: its running tasks are killed and its queued tasks dropped."""
    _terminate_workers(ex)
    ex.shutdown(wait=False, cancel_futures=True)


def _terminate_workers(ex: cf.ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes now (``terminate_workers`` from Python 3.14 on)."""
    if hasattr(ex, "terminate_workers"):  # pragma: no cover - Python >= 3.14
        ex.terminate_workers()
        return
    for proc in list((getattr(ex, "_processes", None) or {}).values()):
        proc.terminate()


def _process_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where available (preloading the model), else ``spawn``."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["experiments.run", "model"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows, macOS default


@contextmanager
def _dask_client(workers: int | None, address: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the dask executor needs dask.distributed: pip install 'opinion-ecology[dask]'"
        ) from e
    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as e:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {address}: {e}; check --address "
                "(e.g. tcp://scheduler:8786) and that the scheduler is running"
            ) from None
        with client:
            info = client.scheduler_info()
            n = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
            yield client, n, f"dask cluster at {address} ({n} threads)", None
        return
    n = workers or default_workers()
    import dask

    # One task at a time per single-threaded worker, and no retry of a task whose worker died:
    # a worker's death is then its own run's doing, recorded as failed at once (as the process
    # pool does), instead of killing three more workers on the way.
    local = {
        "distributed.scheduler.allowed-failures": 0,
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with (
        dask.config.set(local),
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client, n, f"dask LocalCluster on 127.0.0.1 ({n} workers)", cluster


class DaskWatchdog:
    """Keeps a Dask sweep from waiting forever on a cluster whose workers are gone.

    A worker process that dies is restarted by its nanny; when runs keep killing their
    workers, a restart can fail and leave the cluster with no worker, and the tasks then wait
    for one forever. After ``grace`` seconds without a worker, a local cluster gets fresh
    workers (at most ``revivals`` times in a row without a finished task); a remote cluster,
    or a local one past its revivals, stops the sweep with :class:`ExecutorError` (the runs
    recorded so far are kept for ``--resume``).
    """

    def __init__(
        self,
        client: Any,
        cluster: Any,
        n: int,
        address: str | None,
        grace: float = 15.0,
        revivals: int = 3,
    ) -> None:
        self.client, self.cluster, self.n, self.address = client, cluster, n, address
        self.grace, self.revivals = grace, revivals
        self._since: float | None = None
        self._revived = 0

    def __call__(self, progressed: bool) -> None:
        """Check the cluster; ``progressed``: a task finished since the last call."""
        if progressed:
            self._revived = 0
        if self.client.nthreads():
            self._since = None
            return
        now = time.monotonic()
        if self._since is None:
            self._since = now
        if now - self._since < self.grace:
            return
        if self.cluster is not None and self._revived < self.revivals:
            self._revived += 1
            self._since = now
            self.cluster.scale(0)  # forget the dead workers ...
            self.cluster.scale(self.n)  # ... and start new ones
            return
        where = f"the Dask cluster at {self.address}" if self.address else "the local Dask cluster"
        raise ExecutorError(
            f"{where} has had no worker for {self.grace:g} s: its workers died (runs that kill "
            "their worker, or out of memory) and did not come back; the runs recorded so far "
            "are kept: continue with --resume (--executor process records a run that kills its "
            "worker as failed and goes on)"
        )


def bounded_map(
    executor: cf.Executor,
    fn: Callable,
    items: Iterable,
    window: int,
    on_error: Callable[[Any, BaseException], Any] | None = None,
    restart: Callable[[], cf.Executor] | None = None,
    watch: Callable[[bool], None] | None = None,
    poll: float = 5.0,
) -> Iterator[Any]:
    """Yield ``fn(item)`` for every item, in completion order, with at most ``window`` in flight.

    Args:
        executor: Any ``concurrent.futures.Executor``.
        fn: The function to apply.
        items: Its arguments.
        window: Maximum tasks submitted but not yet yielded.
        on_error: Called with the item and the exception when a task's future raises (for
            example a Dask worker that died on it too often); its return value is yielded in
            place of the result. Without it, the exception propagates.
        restart: Replaces a broken executor (a process pool whose worker died) and returns the
            new one. The tasks that were in flight then run one at a time on it: the one whose
            worker dies again goes to ``on_error`` with :class:`WorkerDied`, the others yield
            their results. Without ``restart`` or ``on_error``, a broken executor propagates.
        watch: Called every ``poll`` seconds while waiting, with whether a task finished in
            that time (:attr:`OpenExecutor.watch`); it may raise to stop the sweep.
        poll: Seconds between calls of ``watch``.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    recover = restart is not None and on_error is not None
    it = iter(items)
    pending: dict[cf.Future, Any] = {}
    exhausted = False
    while True:
        broken: list[Any] = []
        while not exhausted and len(pending) < window:
            try:
                item = next(it)
            except StopIteration:
                exhausted = True
                break
            try:
                pending[executor.submit(fn, item)] = item
            except cf.BrokenExecutor:
                if not recover:
                    raise
                broken.append(item)
                break
        if pending and not broken:
            done, _ = cf.wait(
                pending, timeout=poll if watch else None, return_when=cf.FIRST_COMPLETED
            )
            if watch is not None:
                watch(bool(done))
            for fut in done:
                item = pending.pop(fut)
                try:
                    result = fut.result()
                except cf.BrokenExecutor:
                    if not recover:
                        raise
                    broken.append(item)
                    continue
                except Exception as e:
                    if on_error is None:
                        raise
                    result = on_error(item, e)
                yield result
        if broken:
            # the pool is gone with every task in it: keep what finished, isolate the rest
            for fut, item in pending.items():
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    yield fut.result()
                else:
                    broken.append(item)
            pending.clear()
            executor = restart()
            for item in broken:
                try:
                    result = executor.submit(fn, item).result()
                except cf.BrokenExecutor:
                    result = on_error(
                        item,
                        WorkerDied(
                            "the worker process died while running this run (killed by a "
                            "signal, os._exit, or out of memory)"
                        ),
                    )
                    executor = restart()
                except Exception as e:
                    result = on_error(item, e)
                yield result
            continue
        if not pending and exhausted:
            return
