"""The results store: Parquet part files written atomically, a manifest, and resume.

Layout of an output directory ``OUT``::

    OUT/manifest.json              resolved spec, package versions, git commit, history
    OUT/runs/part-000000.parquet   one row per run: ids, seed, status, error, seconds,
                                   factor.<key>, param.<field>, final measures
    OUT/timeseries/part-*.parquet  run_id, point_id, arm, replicate, step, step measures
    OUT/cascades/part-*.parquet    run_id, point_id, arm, replicate, item, size
    OUT/agents/part-*.parquet      opt-in: run_id, agent, attributes at the end

Each flush writes one part per table under the same sequence number, to a temporary name
starting with ``.`` (which Parquet dataset readers skip) and then ``os.replace``-s it into
place, the runs part last. A run counts as recorded when its row is in ``runs/``; parts of
other tables whose runs part never landed (the process was killed in between) are deleted
when the store is reopened, so a resumed sweep ends with exactly the tables of one that was
never interrupted. Readers see only rows of runs recorded in ``runs/``: a row of another table
counts when it comes from the same part as its run's latest row.

One process writes a directory at a time: :meth:`Store.open` takes an exclusive
``fcntl.flock`` on ``OUT/.lock`` (holder's pid, host and start time written inside) and a
second writer is refused. The operating system releases the lock when its holder dies, so a
killed run never blocks a resume. A part that cannot be read (a truncated file) is moved to
``OUT/corrupt/`` on reopening, with the parts of the other tables of the same flush, so its
runs count as not done and a resume runs them again.

This file is longer than the house's 400 lines: the layout, the writer, the lock, the atomic
writes, the corrupt-part checks and the readers guard one invariant (a result file is whole or
absent, and readers see only recorded runs), so they are kept where they can be read together.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, one writer is the user's job
    fcntl = None

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.spec import ExperimentSpec, metric_names, read_text

TABLES = ("runs", "timeseries", "cascades", "agents")
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
_PACKAGES = (
    "opinion-ecology",
    "mesa",
    "numpy",
    "pandas",
    "scipy",
    "pyarrow",
    "tqdm",
    "matplotlib",
    "dask",
    "distributed",
)
#: Files of an output directory besides the tables: what ``--overwrite`` deletes.
RESULT_FILES = (
    "manifest.json",
    "plan.parquet",
    "report.md",
    "summary.csv",
    "comparison.csv",
    "sensitivity.csv",
    "partial_dependence.csv",
)
LOCK_FILE = ".lock"
CORRUPT_DIR = "corrupt"
#: Columns that legitimately differ between two executions of the same run.
TIMING_COLUMNS = ("seconds",)


class StoreError(RuntimeError):
    """The output directory cannot be used as asked (another experiment, or no --resume)."""


class StoreWriteError(StoreError):
    """A result file could not be written (e.g. the disk is full); nothing partial was left."""


class CorruptPartError(StoreError):
    """A part file cannot be read (e.g. truncated by a crash of the machine or a full disk)."""


# ---------------------------------------------------------------------------------- schemas
def arrow_type(values: list[Any]) -> pa.DataType:
    """The Arrow type of a column holding ``values`` (bool, int64, float64, else string)."""
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return pa.bool_()
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return pa.int64()
    if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
        return pa.float64()
    return pa.string()


def _kind_type(kind: type) -> pa.DataType:
    return {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}.get(
        kind, pa.string()
    )


def param_fields() -> list[tuple[str, pa.DataType]]:
    """``param.<field>`` and ``param.strategy.<switch>`` columns with their Arrow types."""
    from model import Params, Strategy

    fields = []
    for name, meta in Params.spec().items():
        if name != "strategy":
            fields.append((f"param.{name}", _kind_type(meta["kind"])))
    for f in dataclasses.fields(Strategy):
        fields.append((f"param.strategy.{f.name}", _kind_type(type(f.default))))
    return fields


def runs_schema(spec: ExperimentSpec, plan: Any = None) -> pa.Schema:
    """The schema of ``runs/``: fixed by the spec (and its plan), identical in every part."""
    from experiments.design import settle_columns
    from experiments.plan import factor_fields, make_plan

    plan = plan or make_plan(spec)
    fields = [
        ("run_id", pa.string()),
        ("run_index", pa.int64()),
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("replicate", pa.int64()),
        ("seed", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("traceback", pa.string()),
        ("steps_run", pa.int64()),
        ("seconds", pa.float64()),
    ]
    fields += factor_fields(spec, plan.points)
    fields += param_fields()
    fields += [(c, pa.float64()) for c in metric_names(spec.metrics)]
    settle = settle_columns(spec)
    fields += [(f"drift.{c}", pa.float64()) for c in settle]
    fields += [(f"settled.{c}", pa.bool_()) for c in settle]
    fields.append(("settled", pa.bool_()))
    return pa.schema(fields)


def series_schema(spec: ExperimentSpec) -> pa.Schema:
    """The schema of ``timeseries/``."""
    base = [
        ("run_id", pa.string()),
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("replicate", pa.int64()),
        ("step", pa.int64()),
    ]
    return pa.schema(base + [(c, pa.float64()) for c in metric_names(spec.metrics, step_only=True)])


CASCADE_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("replicate", pa.int64()),
        ("item", pa.int64()),
        ("size", pa.int64()),
    ]
)


# ---------------------------------------------------------------------------------- rows
def run_row(output: Any) -> dict[str, Any]:
    """The ``runs/`` row of a :class:`~experiments.run.RunOutput`."""
    t = output.task
    row: dict[str, Any] = {
        "run_id": t.run_id,
        "run_index": t.index,
        "point_id": t.point_id,
        "arm": t.arm,
        "replicate": t.replicate,
        "seed": t.seed,
        "status": output.status,
        "error": output.error,
        "traceback": output.traceback,
        "steps_run": output.steps_run,
        "seconds": output.seconds,
    }
    for k, v in t.factors.items():
        row[f"factor.{k}"] = v
    for k, v in t.params.items():
        if k == "strategy":
            for sk, sv in v.items():
                row[f"param.strategy.{sk}"] = sv
        else:
            row[f"param.{k}"] = v
    for c in t.columns:
        row[c] = output.final.get(c, np.nan)
    settled = []
    for c in t.settle_columns:
        drift = output.drift.get(c, np.nan)
        row[f"drift.{c}"] = drift
        row[f"settled.{c}"] = None if not np.isfinite(drift) else bool(drift <= t.settle_tolerance)
        settled.append(row[f"settled.{c}"])
    row["settled"] = None if not output.ok else all(bool(x) for x in settled)
    return row


def _ids(t: Any) -> dict[str, Any]:
    return {"run_id": t.run_id, "point_id": t.point_id, "arm": t.arm, "replicate": t.replicate}


# ---------------------------------------------------------------------------------- the store
class Store:
    """An output directory being written by one driver.

    Use :meth:`open`; then :meth:`write` batches of run outputs and :meth:`finish`.
    """

    def __init__(self, out: Path, spec: ExperimentSpec, plan: Any = None) -> None:
        from experiments.plan import make_plan

        self.out = Path(out)
        self.spec = spec
        self.plan = plan or make_plan(spec)
        self._runs_schema = runs_schema(spec, self.plan)
        self._series_schema = series_schema(spec)
        self._seq = next_sequence(self.out)
        self._lock: OutputLock | None = None
        #: Parts moved to ``corrupt/`` when the store was opened (paths relative to ``out``).
        self.quarantined: list[str] = []

    @classmethod
    def open(
        cls,
        out: str | Path,
        spec: ExperimentSpec,
        *,
        resume: bool = False,
        overwrite: bool = False,
        plan: Any = None,
    ) -> Store:
        """Lock ``out`` and prepare it for ``spec``: new, resumed (same plan only) or overwritten.

        A new folder gets the plan (``plan.parquet``); a resumed one is checked against its
        stored plan: a changed spec (or changed model defaults) is refused naming what changed,
        and every recorded run must be a run of the plan (:func:`experiments.plan.check_rows`).

        Raises:
            StoreError: ``out`` holds results and neither ``resume`` nor ``overwrite`` was given,
                it holds another experiment's results or rows that are not runs of its plan,
                another process is writing it, it cannot
                be created or written, or ``overwrite`` was given for a folder that is not an
                experiment output (or is the current directory or one of its parents).
        """
        out = Path(out)
        check_out_dir(out, overwrite=overwrite)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"cannot create the output folder {out}: {e.strerror or e}; choose a writable --out"
            ) from None
        lock = OutputLock.acquire(out)
        try:
            store = cls._open_locked(out, spec, resume=resume, overwrite=overwrite, plan=plan)
        except BaseException:
            lock.release()
            raise
        store._lock = lock
        return store

    @classmethod
    def _open_locked(
        cls, out: Path, spec: ExperimentSpec, *, resume: bool, overwrite: bool, plan: Any
    ) -> Store:
        from experiments import plan as plans

        plan = plan or plans.make_plan(spec)
        manifest_path = out / "manifest.json"
        if overwrite:
            for name in (*TABLES, "figures", CORRUPT_DIR):
                shutil.rmtree(out / name, ignore_errors=True)
            for name in RESULT_FILES:
                (out / name).unlink(missing_ok=True)
        has_parts = any(any((out / t).glob("part-*.parquet")) for t in TABLES)
        manifest = None
        if manifest_path.exists():
            manifest = read_manifest(out)
            if not resume:
                raise StoreError(
                    f"{out} already holds results of experiment {manifest.get('name')!r}; "
                    "pass --resume to continue it or --overwrite to start again"
                )
            previous = dict(manifest.get("spec") or {})
            previous.pop("description", None)
            previous.pop("analysis", None)
            if json.dumps(previous, sort_keys=True) != spec.fingerprint():
                diff = _spec_diff(previous, spec.runs_dict())
                raise StoreError(
                    f"{out} holds results of a different spec (differs in: {', '.join(diff)}); "
                    "resume needs the same spec, or pass --overwrite or another --out"
                )
            if plans.has_plan(out):
                changed = plans.plan_difference(plans.load_plan(out), plan)
                if changed:
                    raise StoreError(
                        f"{out} holds results of a different plan (differs in: "
                        f"{'; '.join(changed)}); resume needs the same runs, or pass "
                        "--overwrite or another --out"
                    )
        elif has_parts:
            raise StoreError(
                f"{out} holds part files but no manifest.json; choose another --out or --overwrite"
            )
        try:
            for t in TABLES[:3]:
                (out / t).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot write into {out}: {e.strerror or e}") from None
        store = cls(out, spec, plan)
        store.quarantined = quarantine(out, expected_schemas(spec, plan))
        store.cleanup()
        plans.check_rows(plan, read_attempts(out), str(out))
        store._seq = next_sequence(out)
        if overwrite or not plans.has_plan(out):
            plans.write_plan(out, plan)
        now = _now()
        if manifest is None:
            manifest = {
                "name": spec.name,
                "created": now,
                "spec": spec.to_dict(),
                "spec_file": spec.source,
                "spec_text": read_text(spec.source)
                if spec.source and Path(spec.source).is_file()
                else None,
                "raw_spec": spec.raw,
                "planned_runs": _planned(spec),
                "environment": environment(),
                "history": [],
            }
        # the analysis settings and description may change on resume: keep the latest
        manifest.update(spec=spec.to_dict(), raw_spec=spec.raw)
        entry = {"started": now, "resume": bool(resume and has_parts), "environment": environment()}
        if store.quarantined:
            entry["quarantined"] = store.quarantined
        manifest.setdefault("history", []).append(entry)
        store._manifest = manifest
        write_json(manifest_path, manifest)
        return store

    def close(self) -> None:
        """Release the directory's lock (idempotent)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # ------------------------------------------------------------------ reading
    def recorded(self) -> dict[str, str]:
        """run_id -> status of every recorded run (a later row replaces an earlier one)."""
        df = read_table(self.out, "runs", columns=["run_id", "status"])
        return dict(zip(df["run_id"], df["status"], strict=True))

    # ------------------------------------------------------------------ writing
    def write(self, outputs: list[Any]) -> None:
        """Write one part per table for ``outputs`` (the runs part last), atomically."""
        if not outputs:
            return
        seq = self._seq
        self._seq += 1
        series, cascades, agents = [], [], []
        for o in outputs:
            if o.series:
                n = len(o.series["step"])
                ids = _ids(o.task)
                series.append(pd.DataFrame({**{k: [v] * n for k, v in ids.items()}, **o.series}))
            if len(o.cascade_sizes):
                cascades.append(
                    pd.DataFrame({**_ids(o.task), "item": o.cascade_items, "size": o.cascade_sizes})
                )
            if o.agents:
                n = len(next(iter(o.agents.values())))
                agents.append(pd.DataFrame({**_ids(o.task), "agent": np.arange(n), **o.agents}))
        if series:
            _write_part(
                self.out / "timeseries",
                seq,
                pa.Table.from_pandas(
                    pd.concat(series, ignore_index=True),
                    schema=self._series_schema,
                    preserve_index=False,
                ),
            )
        if cascades:
            _write_part(
                self.out / "cascades",
                seq,
                pa.Table.from_pandas(
                    pd.concat(cascades, ignore_index=True),
                    schema=CASCADE_SCHEMA,
                    preserve_index=False,
                ),
            )
        if agents:
            (self.out / "agents").mkdir(exist_ok=True)
            _write_part(
                self.out / "agents",
                seq,
                pa.Table.from_pandas(pd.concat(agents, ignore_index=True), preserve_index=False),
            )
        rows = [run_row(o) for o in outputs]
        _write_part(self.out / "runs", seq, pa.Table.from_pylist(rows, schema=self._runs_schema))

    def cleanup(self) -> None:
        """Delete temporary files and parts whose runs part never landed (a killed driver)."""
        committed = {
            int(m.group(1))
            for p in (self.out / "runs").glob("part-*.parquet")
            if (m := _PART.match(p.name))
        }
        for table in TABLES:
            d = self.out / table
            if not d.is_dir():
                continue
            for p in d.iterdir():
                if p.name.startswith(".") or (
                    table != "runs"
                    and (m := _PART.match(p.name))
                    and int(m.group(1)) not in committed
                ):
                    p.unlink()
        for name in RESULT_FILES:
            (self.out / f".{name}").unlink(missing_ok=True)

    def finish(self) -> None:
        """Record the end of this session in the manifest."""
        recorded = self.recorded()
        self._manifest["history"][-1].update(
            finished=_now(),
            recorded=len(recorded),
            failed=sum(s != "ok" for s in recorded.values()),
        )
        write_json(self.out / "manifest.json", self._manifest)


def _write_part(directory: Path, seq: int, table: pa.Table) -> None:
    atomic_write(directory / f"part-{seq:06d}.parquet", lambda tmp: pq.write_table(table, tmp))


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` for a temporary name in the same folder, then rename it to ``path``.

    The temporary name starts with ``.`` (Parquet dataset readers skip it) and keeps the
    suffix (matplotlib picks the format from it). ``path`` is therefore whole or absent.

    Raises:
        StoreWriteError: Writing failed (e.g. no space left on device); the temporary file is
            removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name("." + path.name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise StoreWriteError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    return path


def _seq(p: Path) -> int:
    return int(_PART.match(p.name).group(1))


def expected_schemas(spec: ExperimentSpec, plan: Any = None) -> dict[str, pa.Schema]:
    """The schema of each table whose columns the spec fixes (``agents`` has none)."""
    return {
        "runs": runs_schema(spec, plan),
        "timeseries": series_schema(spec),
        "cascades": CASCADE_SCHEMA,
    }


def check_parts(
    out: str | Path, schemas: dict[str, pa.Schema] | None = None
) -> list[tuple[Path, str]]:
    """Committed parts that cannot be read or hold other columns, with the reason.

    Args:
        out: The output directory.
        schemas: The schema each table must have (:func:`expected_schemas`); without it only
            the Parquet footers are read.
    """
    bad = []
    for table in TABLES:
        want = (schemas or {}).get(table)
        for p in parts(out, table):
            try:
                got = pq.read_schema(p)
            except (OSError, pa.ArrowException) as e:
                bad.append((p, _first_line(e)))
                continue
            if want is not None and not got.equals(want, check_metadata=False):
                bad.append((p, f"wrong schema: {_schema_difference(got, want)}"))
    return bad


def _schema_difference(got: pa.Schema, want: pa.Schema) -> str:
    missing = [n for n in want.names if n not in got.names]
    extra = [n for n in got.names if n not in want.names]
    if missing:
        return f"column {missing[0]} missing" + (
            f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        )
    if extra:
        return f"unexpected column {extra[0]}"
    for f in want:
        g = got.field(f.name)
        if g.type != f.type:
            return f"column {f.name} is {g.type}, expected {f.type}"
    return "columns in another order"


def read_attempts(out: str | Path) -> pd.DataFrame:
    """Every row of ``runs/`` (each attempt of each run) with ``_part``, its part's number."""
    frames = []
    for f in parts(out, "runs"):
        df = _read_part(out, f, None, False)
        frames.append(df.assign(_part=_seq(f)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def quarantine(out: str | Path, schemas: dict[str, pa.Schema] | None = None) -> list[str]:
    """Move unreadable parts, and every part of the same flushes, to ``OUT/corrupt/``.

    The runs of those flushes then count as not recorded, so a resume runs them again.

    Returns:
        The unreadable parts, relative to ``out``.
    """
    out = Path(out)
    bad = check_parts(out, schemas)
    if not bad:
        return []
    seqs = {_seq(p) for p, _ in bad}
    dest = out / CORRUPT_DIR
    dest.mkdir(exist_ok=True)
    for table in TABLES:
        for p in parts(out, table):
            if _seq(p) in seqs:
                target = dest / f"{table}-{p.name}"
                n = 1
                while target.exists():
                    target = dest / f"{table}-{p.stem}.{n}.parquet"
                    n += 1
                os.replace(p, target)
    return [str(p.relative_to(out)) for p, _ in bad]


def check_out_dir(out: Path, *, overwrite: bool = False) -> None:
    """Refuse an output folder that cannot be used, before anything is created or deleted.

    Raises:
        StoreError: ``out`` is a file or lies under one; or ``overwrite`` was given and ``out``
            is the current directory or a parent of it, or a non-empty folder without a
            manifest of this package.
    """
    for p in (out, *out.parents):
        if p.exists() and not p.is_dir():
            what = "is a file" if p == out else f"is under {p}, which is a file"
            raise StoreError(f"--out {out} {what}; --out must be a directory (new or existing)")
        if p.exists():
            break
    if not overwrite:
        return
    here = Path.cwd().resolve()
    target = out.resolve()
    if target == here or target in here.parents:
        raise StoreError(
            f"--overwrite refuses --out {str(out)!r}: it is the current "
            "directory or a parent of it; name a folder of its own"
        )
    if not out.is_dir() or not any(p.name != LOCK_FILE for p in out.iterdir()):
        return
    try:
        manifest = read_manifest(out)
    except StoreError:
        manifest = None
    if not (isinstance(manifest, dict) and {"name", "spec", "history"} <= manifest.keys()):
        raise StoreError(
            f"--overwrite refuses {out}: it is not an experiment output (no manifest.json of "
            "this package) and not empty; --overwrite deletes only experiment outputs, so "
            "choose a new or empty --out"
        )


class OutputLock:
    """An exclusive ``fcntl.flock`` on ``OUT/.lock``, released by the OS when its holder dies."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def acquire(cls, out: Path) -> OutputLock:
        """Take the lock of ``out`` or raise :class:`StoreError` naming the process holding it."""
        path = out / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(
                f"cannot write into the output folder {out}: {e.strerror or e}; "
                "choose a writable --out"
            ) from None
        if fcntl is None:  # pragma: no cover - Windows
            return cls(path, fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"{out} is in use by another run ({lock_holder(out) or 'holder unknown'}); "
                "wait for it to finish or stop it, or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {_now()}\n".encode())
        return cls(path, fd)

    def release(self) -> None:
        """Release the lock (the file stays; an unlocked file holds nobody)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def lock_holder(out: str | Path) -> str | None:
    """``pid N on HOST, started T`` of the process writing ``out``, or None if none is."""
    path = Path(out) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return os.read(fd, 4096).decode(errors="replace").strip() or "holder unknown"
            fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def next_sequence(out: Path) -> int:
    """One more than the highest part number in any table (0 for a new directory)."""
    seqs = [
        int(m.group(1))
        for t in TABLES
        if (Path(out) / t).is_dir()
        for p in (Path(out) / t).iterdir()
        if (m := _PART.match(p.name))
    ]
    return max(seqs, default=-1) + 1


def parts(out: str | Path, table: str) -> list[Path]:
    """The committed part files of ``table`` in sequence order."""
    d = Path(out) / table
    if not d.is_dir():
        return []
    return sorted(
        (p for p in d.iterdir() if _PART.match(p.name)),
        key=lambda p: int(_PART.match(p.name).group(1)),
    )


def read_table(
    out: str | Path, table: str, columns: list[str] | None = None, *, skip_corrupt: bool = False
) -> pd.DataFrame:
    """One table as a DataFrame: latest attempt of each recorded run, sorted by run.

    Rows of ``timeseries``, ``cascades`` and ``agents`` are kept only when they come from the
    same flush as their run's latest row in ``runs/``; rows of a flush whose runs part never
    landed, and of earlier attempts of a re-run run, are not returned.

    Args:
        out: The output directory.
        table: ``runs``, ``timeseries``, ``cascades`` or ``agents``.
        columns: Columns to read (default: all).
        skip_corrupt: Leave out unreadable parts instead of raising.

    Returns:
        The table; empty (with no columns) when nothing was recorded.

    Raises:
        CorruptPartError: A part cannot be read (unless ``skip_corrupt``).
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    files = parts(out, table)
    if not files:
        return pd.DataFrame(columns=columns or [])
    frames = []
    for f in files:
        df = _read_part(out, f, columns, skip_corrupt)
        if df is not None:
            df["_part"] = _seq(f)
            frames.append(df)
    if not frames:
        return pd.DataFrame(columns=columns or [])
    df = pd.concat(frames, ignore_index=True)
    if table == "runs":
        df = df.drop_duplicates("run_id", keep="last")
        sort = ["run_index"] if "run_index" in df else ["run_id"]
    else:
        latest = {}
        for f in parts(out, "runs"):
            ids = _read_part(out, f, ["run_id"], skip_corrupt)
            if ids is not None:
                latest.update(dict.fromkeys(ids["run_id"], _seq(f)))
        df = df[df["_part"].to_numpy() == df["run_id"].map(latest).to_numpy()]
        key = {"timeseries": "step", "cascades": "item", "agents": "agent"}[table]
        sort = ["run_id", key] if key in df else ["run_id"]
    return df.drop(columns="_part").sort_values(sort, kind="stable").reset_index(drop=True)


def _read_part(
    out: str | Path, f: Path, columns: list[str] | None, skip_corrupt: bool
) -> pd.DataFrame | None:
    try:
        return pq.read_table(f, columns=columns).to_pandas()
    except (OSError, pa.ArrowException) as e:
        if skip_corrupt:
            return None
        raise corrupt_error(out, f, _first_line(e)) from None


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def check_readable(out: str | Path, schemas: dict[str, pa.Schema] | None = None) -> None:
    """Raise :class:`CorruptPartError` for the first unreadable (or wrong-schema) part, if any."""
    bad = check_parts(out, schemas)
    if bad:
        raise corrupt_error(out, *bad[0])


def corrupt_error(out: str | Path, f: Path, first: str) -> CorruptPartError:
    """The message for an unreadable part: which file, and that ``--resume`` reruns its runs."""
    rel = Path(f).relative_to(out)
    return CorruptPartError(
        f"{out}: part {rel} cannot be read ({first}); `run SPEC --out {out} --resume` moves "
        f"it to {CORRUPT_DIR}/ and runs its runs again"
    )


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of an output directory."""
    path = Path(out) / "manifest.json"
    if not path.is_file():
        raise StoreError(f"{out} has no manifest.json: not an experiment output directory")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StoreError(
            f"{path} is not a readable JSON manifest ({e}); it was damaged or not written by "
            "this package: restore it, or start again with another --out or --overwrite"
        ) from None
    if not isinstance(manifest, dict) or "raw_spec" not in manifest:
        raise StoreError(f"{path} is JSON but not a manifest of this package (no raw_spec)")
    return manifest


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    text = json.dumps(data, indent=2, default=str)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def environment() -> dict[str, Any]:
    """Python, platform, package versions and the git commit (with a dirty flag)."""
    from importlib import metadata

    versions = {}
    for pkg in _PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": versions,
        "git": git_commit(),
    }


def git_commit() -> dict[str, Any]:
    """The repository's HEAD commit and whether tracked files differ from it (None outside git)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}
    if head.returncode:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def _planned(spec: ExperimentSpec) -> int:
    from experiments.spec import count_points

    return count_points(spec) * len(spec.arms) * spec.replicates


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _spec_diff(a: dict, b: dict) -> list[str]:
    keys = sorted(set(a) | set(b))
    return [
        k
        for k in keys
        if json.dumps(a.get(k), sort_keys=True) != json.dumps(b.get(k), sort_keys=True)
    ] or ["?"]
