"""The runner: one function that runs one :class:`~experiments.design.RunTask`, and the driver
that streams a whole experiment through an executor to disk.

Workers receive tasks (plain data) and return :class:`RunOutput` (plain data); only the
driver writes files, so a task that a cluster retries after a worker died cannot write twice.
A run that raises becomes a ``failed`` row carrying its error, and the sweep goes on.

This file is long because running one task, the horizon check on its time series, and the
sweep loop with its progress and flushing form one path.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments.design import BurnInTask, RunTask
from experiments.plan import make_plan
from experiments.spec import ExperimentSpec, load_spec
from model.trust import trust_at

#: How the end-of-run agent attributes are read from the model's arrays (column 0 = focal outlet).
AGENT_READERS: dict[str, Callable[[Any], np.ndarray]] = {
    "generation": lambda m: m.state.gen,
    "opinion": lambda m: m.state.opinion,
    "trust": lambda m: trust_at(m.state, m.params, m.steps),
    "belonging": lambda m: m.state.belonging[:, 0],
    "valence": lambda m: m.state.valence,
    "arousal": lambda m: m.state.arousal,
    "follows": lambda m: m.state.follows[:, 0],
    "reached": lambda m: m.state.reached,
    "replies": lambda m: m.state.replies,
}


@dataclass
class RunOutput:
    """What one run returns to the driver.

    Attributes:
        task: The task that was run.
        status: ``ok`` or ``failed``.
        error: ``Type: message`` of the exception, or None.
        traceback: The formatted traceback, or None.
        steps_run: Steps the model ran (may stop early: ``Params.stop_when``).
        seconds: Wall time of the run (the only column that differs between executors).
        final: Final measures, column -> value.
        series: Time series, column -> list (``step`` first); empty without ``measure_every``.
        cascade_sizes: Users reached by each recorded item.
        agents: Agent attributes at the end, name -> array; empty unless opted in.
        drift: Per settle column, the relative change over the last ``settle_window`` steps
            (:func:`relative_change`); NaN when the run stopped before the window began.
    """

    task: RunTask
    status: str
    error: str | None = None
    traceback: str | None = None
    steps_run: int = 0
    seconds: float = 0.0
    final: dict[str, float] = field(default_factory=dict)
    series: dict[str, list] = field(default_factory=dict)
    cascade_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cascade_items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    agents: dict[str, np.ndarray] = field(default_factory=dict)
    drift: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the run finished without an exception."""
        return self.status == "ok"


def load_model_class(target: str) -> type:
    """Import ``module:Class``."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def check_model(spec: ExperimentSpec) -> None:
    """Import the spec's model class in this process, so a wrong ``model`` fails before any run.

    Raises:
        SpecError: The module cannot be imported or has no such class.
    """
    from experiments.spec import SpecError, locate, read_text

    try:
        cls = load_model_class(spec.model)
    except ImportError as e:
        reason = f"cannot import module {e.name or spec.model.partition(':')[0]!r} ({e})"
    except AttributeError:
        module, _, name = spec.model.partition(":")
        reason = f"module {module!r} has no attribute {name!r}"
    else:
        if isinstance(cls, type):
            return
        reason = f"{spec.model} is not a class"
    text = None
    if spec.source and Path(spec.source).is_file():
        text = read_text(spec.source)
    raise SpecError(
        f"model={spec.model!r}: {reason}",
        key="model",
        file=spec.source,
        line=locate(text, ("model",)) if text else None,
        allowed="an importable 'module:Class', e.g. 'model:OpinionEcology'",
    )


def check_run_options(
    *, workers: int | None = None, flush_every: int = 64, address: str | None = None
) -> None:
    """Refuse run options that cannot work, before the output folder is touched.

    Raises:
        ValueError: ``workers`` or ``flush_every`` below 1, or ``address`` not a scheduler
            address; the message names the option and what is allowed.
    """
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ValueError(f"--workers must be a whole number >= 1, got {workers}")
    if isinstance(flush_every, bool) or flush_every < 1:
        raise ValueError(f"--flush-every must be a whole number >= 1, got {flush_every}")
    if address is not None and not re.fullmatch(
        r"(tcp|tls|ucx|ws|wss|inproc)://[^\s/:]+(:\d+)?/?|[^\s/:]+:\d+", address
    ):
        raise ValueError(
            f"--address {address!r} is not a Dask scheduler address; "
            "expected PROTOCOL://HOST:PORT or HOST:PORT, e.g. tcp://scheduler:8786"
        )


def to_params(params: dict[str, Any]) -> Any:
    """``model.Params`` from a task's plain keywords (the strategy as a dict of switches)."""
    from model import Params, Strategy

    kwargs = dict(params)
    kwargs["strategy"] = Strategy(**kwargs["strategy"])
    return Params(**kwargs)


def build_model(task: RunTask) -> Any:
    """The model of ``task``, seeded with ``task.seed``; with a burn-in, the burn-in's model
    loaded from ``task.snapshot`` and branched to the task's parameters (its steps go on from
    the burn-in's)."""
    cls = load_model_class(task.model)
    if not task.burn_in:
        return cls(params=to_params(task.params), seed=task.seed)
    from model.snapshot import branch

    if task.snapshot is None:
        raise ValueError(f"{task.run_id} branches from a burn-in but was given no snapshot")
    model = cls.load(task.snapshot)
    # the model stops itself at Params.steps, counted from the burn-in's start
    target = to_params({**task.params, "steps": task.burn_in + task.steps})
    changes = {
        f.name: getattr(target, f.name)
        for f in dataclasses.fields(target)
        if getattr(target, f.name) != getattr(model.params, f.name)
    }
    # the loaded model is this run's own: branch it in place instead of copying it again
    return branch(model, copy=False, **changes)


@dataclass
class BurnInOutput:
    """What one burn-in returns to the driver: the snapshot's bytes, or the error."""

    task: BurnInTask
    data: bytes | None = None
    error: str | None = None
    seconds: float = 0.0


def burn_one(task: BurnInTask) -> BurnInOutput:
    """Build the burn-in's model, run it ``task.steps`` steps and return it as snapshot bytes
    (the driver writes the file); never raises for model errors."""
    from model.snapshot import to_bytes

    t0 = time.perf_counter()
    try:
        model = load_model_class(task.model)(params=to_params(task.params), seed=task.seed)
        while model.running and model.steps < task.steps:
            model.step()
        data = to_bytes(model)
    except Exception as e:  # noqa: BLE001 - recorded on every arm of this burn-in
        return BurnInOutput(task, error=f"{type(e).__name__}: {e}")
    return BurnInOutput(task, data=data, seconds=time.perf_counter() - t0)


def relative_change(start: float, end: float) -> float:
    """``|end - start| / max(|start|, |end|)``: 0 when both are 0, NaN when either is missing.

    Scale-free, bounded by 2, and symmetric in the two values; a measure near zero that
    changes sign counts as unsettled, as it should.
    """
    if not (np.isfinite(start) and np.isfinite(end)):
        return float("nan")
    scale = max(abs(start), abs(end))
    return 0.0 if scale == 0 else abs(end - start) / scale


def run_one(task: RunTask) -> RunOutput:
    """Run one task to its horizon and collect its measures; never raises for model errors.

    The model computes its full measures only every ``measure_every`` steps
    (``model.collect_every``; the per-step series final measures need are kept every step), and
    the time series reads them then, at step 0 and at the last step. The horizon check reads it at step
    ``steps - settle_window`` (step 0 for a run shorter than the window) and at the end. A run
    that branches from a burn-in counts its steps from the branch: its step 0 is the burn-in's
    last step, and it runs ``steps`` steps after it.

    Args:
        task: The run.

    Returns:
        The run's output, with ``status="failed"`` and the error if the model raised.
    """
    from model.measures import cascade_sizes, final_measures

    t0 = time.perf_counter()
    every = task.measure_every
    series: dict[str, list] = {"step": [], **{c: [] for c in task.series_columns}}
    model = None
    settle_at = max(0, task.steps - task.settle_window)
    reference: dict[str, float] = {}
    start = 0  # the branch step (0 without a burn-in)
    try:
        model = build_model(task)
        start = int(model.steps)
        # full measures only on the steps the series records (and at the model's last step);
        # the settle step and the end read a snapshot computed on demand
        model.collect_every = every if every else max(1, task.steps)

        def remember() -> None:
            snap = model.current_snapshot()
            reference.update({c: float(snap.get(c, np.nan)) for c in task.settle_columns})

        def record() -> None:
            snap = model.current_snapshot()
            series["step"].append(int(model.steps) - start)
            for c in task.series_columns:
                series[c].append(float(snap.get(c, np.nan)))

        if every:
            record()
        if settle_at == 0:
            remember()
        while model.running and model.steps - start < task.steps:
            model.step()
            if every and (model.steps - start) % every == 0:
                record()
            if model.steps - start == settle_at:
                remember()
        if every and series["step"][-1] != model.steps - start:
            record()
        final = final_measures(model)
        last = model.current_snapshot()
        drift = {
            c: relative_change(reference.get(c, np.nan), float(last.get(c, np.nan)))
            for c in task.settle_columns
        }
        sizes = cascade_sizes(model)
        agents = {
            name: np.asarray(AGENT_READERS[name](model)).copy() for name in task.agent_metrics
        }
    except Exception as e:  # noqa: BLE001 - a failing run is data, not a crash of the sweep
        return RunOutput(
            task=task,
            status="failed",
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc(),
            steps_run=int(getattr(model, "steps", 0) or 0) - start,
            seconds=time.perf_counter() - t0,
        )
    return RunOutput(
        task=task,
        status="ok",
        steps_run=int(model.steps) - start,
        seconds=time.perf_counter() - t0,
        final={c: float(final.get(c, np.nan)) for c in task.columns},
        series=series if every else {},
        cascade_sizes=sizes.to_numpy(np.int64),
        cascade_items=sizes.index.to_numpy(np.int64),
        agents=agents,
        drift=drift,
    )


@dataclass
class RunSummary:
    """What :func:`run` did.

    Attributes:
        out: The output directory.
        planned: Runs in the experiment.
        skipped: Runs already recorded (``--resume``).
        ran: Runs executed now.
        failed: Of those, how many failed.
        seconds: Wall time of the sweep.
    """

    out: Path
    planned: int
    skipped: int
    ran: int
    failed: int
    seconds: float


def run(
    spec: ExperimentSpec | str | Path,
    out: str | Path,
    *,
    executor: Any = "serial",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
    window: int | None = None,
    flush_every: int = 64,
    flush_seconds: float = 10.0,
    overrides: dict[str, Any] | None = None,
) -> RunSummary:
    """Run an experiment and stream its results to ``out``.

    Args:
        spec: A spec or the path of a TOML spec.
        out: Output directory (``runs/``, ``timeseries/``, ``cascades/``, ``manifest.json``).
        executor: ``serial``, ``process``, ``dask``, or any ``concurrent.futures.Executor``.
        workers: Worker processes (process, dask LocalCluster); default: the machine's cores.
        address: A Dask scheduler (``tcp://host:8786``); implies ``executor="dask"``.
        resume: Keep the runs already in ``out`` and run the rest (the spec must match).
        overwrite: Delete earlier results in ``out`` first.
        retry_failed: With ``resume``, run failed runs again (their new row replaces the old one).
        progress: Show a tqdm bar with the recent rate, the estimated end and the failures
            (:class:`experiments.progress.SweepProgress`).
        window: Tasks in flight at once (default twice the workers); bounds memory.
        flush_every: Write a part file after this many finished runs ...
        flush_seconds: ... or after this many seconds, whichever comes first.
        overrides: Top-level keys or fixed parameters to change in the spec.

    Returns:
        Counts of planned, skipped, run and failed runs.

    Raises:
        experiments.spec.SpecError: The spec is invalid or its model cannot be imported (before
            anything runs).
        ValueError: ``workers``, ``flush_every`` or ``address`` cannot work (likewise).
        experiments.store.StoreError: ``out`` holds another experiment's results, is in use by
            another process, or cannot be written.
        experiments.store.StoreWriteError: A part could not be written (e.g. the disk is
            full); the runs recorded before it are kept for a resume.
    """
    from experiments.store import Store

    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    if overrides:
        spec = spec.with_overrides(overrides)
    check_run_options(workers=workers, flush_every=flush_every, address=address)
    check_model(spec)
    if spec.burn_in:
        # a spec derived in code (explain's arms) was not checked as a file is: every arm must
        # be a branch of the baseline's burn-in
        from experiments.spec_runs import check_branches
        from experiments.spec_tables import Ctx

        check_branches(Ctx(spec.source, None), spec)
    if address and executor == "serial":
        executor = "dask"
    plan = make_plan(spec)
    tasks = plan.tasks()
    store = Store.open(out, spec, resume=resume, overwrite=overwrite, plan=plan)
    try:
        if store.quarantined:
            print(
                f"warning: moved unreadable part(s) {', '.join(store.quarantined)} and the other "
                f"parts of their flushes to {Path(out) / 'corrupt'}; their runs run again",
                file=sys.stderr,
            )
        return _sweep(
            store,
            spec,
            tasks,
            executor,
            workers,
            address,
            retry_failed,
            progress,
            window,
            flush_every,
            flush_seconds,
        )
    finally:
        store.close()


def _sweep(
    store: Any,
    spec: ExperimentSpec,
    tasks: list[RunTask],
    executor: Any,
    workers: int | None,
    address: str | None,
    retry_failed: bool,
    progress: bool,
    window: int | None,
    flush_every: int,
    flush_seconds: float,
) -> RunSummary:
    from experiments.executors import bounded_map, open_executor
    from experiments.reuse import run_distinct
    from experiments.store import StoreWriteError

    out = store.out
    recorded = store.recorded()
    todo = [
        t
        for t in tasks
        if t.run_id not in recorded or (retry_failed and recorded[t.run_id] != "ok")
    ]
    t0 = time.perf_counter()
    failed = 0
    bar = _progress(progress, total=len(tasks), initial=len(tasks) - len(todo), desc=spec.name)
    buffer: list[RunOutput] = []
    last_flush = time.monotonic()
    try:
        with open_executor(executor, workers=workers, address=address) as ex:
            ready, lost = _branch_from_burn_ins(store, todo, ex, window or 2 * ex.workers)
            buffer.extend(lost)
            failed += len(lost)
            if bar is not None:
                for o in lost:
                    bar.record(False, o.error)
            for result in run_distinct(
                lambda distinct: bounded_map(
                    ex.executor,
                    run_one,
                    distinct,
                    window or 2 * ex.workers,
                    on_error=_lost_run,
                    restart=ex.restart,
                    watch=ex.watch,
                ),
                ready,
            ):
                buffer.append(result)
                failed += not result.ok
                if bar is not None:
                    bar.record(result.ok, result.error)
                if len(buffer) >= flush_every or time.monotonic() - last_flush >= flush_seconds:
                    store.write(buffer)
                    buffer.clear()
                    last_flush = time.monotonic()
    except StoreWriteError as e:
        buffer.clear()  # the disk refused a part: do not try again on the way out
        raise StoreWriteError(
            f"{e}; the runs recorded before it are kept: free space and continue with --resume"
        ) from None
    finally:
        # runs that finished before an interrupt are kept; a resume skips them
        try:
            store.write(buffer)
        finally:
            if bar is not None:
                bar.close()
    store.finish()
    return RunSummary(
        out=Path(out),
        planned=len(tasks),
        skipped=len(tasks) - len(todo),
        ran=len(todo),
        failed=failed,
        seconds=time.perf_counter() - t0,
    )


def _branch_from_burn_ins(
    store: Any, todo: list[RunTask], ex: Any, window: int
) -> tuple[list[RunTask], list[RunOutput]]:
    """Run the burn-ins ``todo`` branches from that ``OUT/snapshots/`` does not hold yet, store
    each (whole or absent), and give every task its snapshot's path.

    One burn-in per key (:func:`experiments.design.burn_in_of`), through the sweep's executor;
    a stored snapshot is reused (``--resume``). The arms of a burn-in that failed are returned
    as failed runs carrying its error.
    """
    from experiments.design import burn_in_of
    from experiments.files import atomic_write
    from experiments.store import SNAPSHOT_DIR

    if not todo or not todo[0].burn_in:
        return todo, []
    folder = (store.out / SNAPSHOT_DIR).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = {t.run_id: folder / f"{burn_in_of(t).key}.snapshot" for t in todo}
    needed: dict[str, BurnInTask] = {}
    for t in todo:
        if not path[t.run_id].is_file():
            b = burn_in_of(t)
            needed.setdefault(b.key, b)
    errors: dict[str, str] = {}
    for done in bounded_map_burn_ins(ex, list(needed.values()), window):
        if done.data is None:
            errors[done.task.key] = done.error or "unknown error"
            continue
        atomic_write(
            folder / f"{done.task.key}.snapshot",
            lambda tmp, data=done.data: tmp.write_bytes(data),
        )
    ready, lost = [], []
    for t in todo:
        key = burn_in_of(t).key
        if key in errors:
            lost.append(RunOutput(task=t, status="failed", error=f"burn-in: {errors[key]}"))
        else:
            ready.append(dataclasses.replace(t, snapshot=str(path[t.run_id])))
    return ready, lost


def bounded_map_burn_ins(ex: Any, tasks: list[BurnInTask], window: int) -> Any:
    """:func:`burn_one` over ``tasks`` on the sweep's executor, a worker lost as an error."""
    from experiments.executors import bounded_map

    def lost(task: BurnInTask, exc: BaseException) -> BurnInOutput:
        return BurnInOutput(task, error=_lost_run_error(exc))

    return bounded_map(
        ex.executor,
        burn_one,
        tasks,
        window,
        on_error=lost,
        restart=ex.restart,
        watch=ex.watch,
    )


def _lost_run_error(exc: BaseException) -> str:
    """``Type: message`` of a lost worker, Dask's ``KilledWorker`` in the process pool's words."""
    from experiments.executors import WorkerDied

    if type(exc).__name__ == "KilledWorker":
        exc = WorkerDied(
            "the worker process died while running this run (killed by a signal, os._exit, "
            "or out of memory; Dask reported KilledWorker)"
        )
    return f"{type(exc).__name__}: {exc}"


def _lost_run(task: RunTask, exc: BaseException) -> RunOutput:
    """A run whose worker never returned (e.g. it died): recorded as failed.

    Dask's ``KilledWorker`` gets the process pool's words (:class:`WorkerDied`), so a run that
    kills its worker reads the same whichever executor ran it.
    """
    return RunOutput(task=task, status="failed", error=_lost_run_error(exc))


def _progress(enabled: bool, **kw: Any):
    if not enabled:
        return None
    from experiments.progress import SweepProgress

    return SweepProgress(**kw)
