"""The results store: Parquet part files written atomically, a manifest, and resume.

Layout of an output directory ``OUT``::

    OUT/manifest.json              resolved spec, package versions, git commit, history
    OUT/plan.parquet               the plan: every (point, arm) with its factors and Params,
                                   the spec and the replicate seeds (experiments.plan)
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
never interrupted. Readers (:mod:`experiments.parts`) see only rows of runs recorded in
``runs/``: a row of another table counts when it comes from the same part as its run's latest
row.

One process writes a directory at a time (:mod:`experiments.lock`). On reopening, a part that
cannot be read or whose columns are not its table's is moved to ``OUT/corrupt/`` with the
other parts of its flush, so its runs count as not done and a resume runs them again; a resume
with another plan is refused, and so is a recorded row that is not a run of the stored plan.

This file is long because :class:`Store` (opening, resuming, writing) and the manifest with its
provenance (:func:`environment`, :func:`git_commit`) are the writer's one path, kept together.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
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

from experiments.errors import CorruptPartError, StoreError, StoreWriteError
from experiments.files import atomic_write, write_json
from experiments.lock import LOCK_FILE, OutputLock, lock_holder
from experiments.parts import (
    CORRUPT_DIR,
    PART,
    TABLES,
    expected_schemas,
    next_sequence,
    parts,
    quarantine,
    read_table,
)
from experiments.schemas import (
    CASCADE_SCHEMA,
    run_ids,
    run_row,
    runs_schema,
    series_schema,
)
from experiments.spec import ExperimentSpec, read_text

#: Re-exported: the store's errors and the readers most callers want with it.
__all__ = [
    "TIMING_COLUMNS",
    "CorruptPartError",
    "atomic_write",
    "Store",
    "StoreError",
    "StoreWriteError",
    "lock_holder",
    "parts",
    "read_table",
]
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
#: The folder of burn-in snapshots (``burn_in``): one file per design point and replicate.
SNAPSHOT_DIR = "snapshots"
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
#: Columns that legitimately differ between two executions of the same run.
TIMING_COLUMNS = ("seconds",)


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
        self._runs_schema = runs_schema(spec, self.plan.points)
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
        from experiments import provenance

        plan = plan or plans.make_plan(spec)
        inputs = provenance.inputs(plan)
        missing = [path for path, sha in inputs.items() if sha is None]
        if missing:
            # every run would fail on it: say so once, before anything is written
            raise StoreError(
                f"the spec names edge lists that are not files: {', '.join(missing)} "
                "(a relative path in a spec is read from the spec file's folder; one given with --set from the current directory)"
            )
        manifest_path = out / "manifest.json"
        if overwrite:
            for name in (*TABLES, "figures", CORRUPT_DIR, SNAPSHOT_DIR):
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
            _refuse_older(out, spec, plan)
            previous = dict(manifest.get("spec") or {})
            previous.pop("description", None)
            previous.pop("analysis", None)
            if json.dumps(previous, sort_keys=True) != spec.fingerprint():
                diff = _spec_diff(previous, spec.runs_dict())
                raise StoreError(
                    f"{out} holds results of a different spec (differs in: {', '.join(diff)}); "
                    "resume needs the same spec, or pass --overwrite or another --out"
                )
            # an input file (an edge list) edited since the first runs: same spec, other network
            changed_files = provenance.changed_inputs(manifest.get("inputs") or {}, inputs)
            if changed_files:
                raise StoreError(
                    f"{out} holds runs on other versions of {'; '.join(changed_files)}; resume "
                    "needs the same files: restore them, or pass --overwrite or another --out"
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
        plans.check_recorded(plan, out)
        store._seq = next_sequence(out)
        if manifest is None or not plans.has_plan(out):
            # a new experiment (or a start killed before its manifest): this plan, not a stale one
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
                "inputs": inputs,
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
                ids = run_ids(o.task)
                series.append(pd.DataFrame({**{k: [v] * n for k, v in ids.items()}, **o.series}))
            if len(o.cascade_sizes):
                cascades.append(
                    pd.DataFrame(
                        {**run_ids(o.task), "item": o.cascade_items, "size": o.cascade_sizes}
                    )
                )
            if o.agents:
                n = len(next(iter(o.agents.values())))
                agents.append(pd.DataFrame({**run_ids(o.task), "agent": np.arange(n), **o.agents}))
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
            if (m := PART.match(p.name))
        }
        for table in TABLES:
            d = self.out / table
            if not d.is_dir():
                continue
            for p in d.iterdir():
                if p.name.startswith(".") or (
                    table != "runs"
                    and (m := PART.match(p.name))
                    and int(m.group(1)) not in committed
                ):
                    p.unlink()
        for name in RESULT_FILES:
            (self.out / f".{name}").unlink(missing_ok=True)
        snapshots = self.out / SNAPSHOT_DIR
        if snapshots.is_dir():
            for p in snapshots.glob(".*"):  # a snapshot a killed driver was writing
                p.unlink()

    def finish(self) -> None:
        """Record the end of this session in the manifest."""
        recorded = self.recorded()
        self._manifest["history"][-1].update(
            finished=_now(),
            recorded=len(recorded),
            failed=sum(s != "ok" for s in recorded.values()),
        )
        write_json(self.out / "manifest.json", self._manifest)


def _refuse_older(out: Path, spec: ExperimentSpec, plan: Any) -> None:
    """Refuse to resume a folder an older version wrote (parts or plan lacking ``param.*``
    columns added since), before anything in it is moved or written.

    Its parts are not corrupt (the readers fill the columns with defaults), so quarantining
    them would rerun finished runs; and parts of two versions in one folder would make every
    reader depend on the filling. Reporting it, or running the spec into a new folder, is safe.
    """
    from experiments.parts import older_parts, written_by
    from experiments.plan import PLAN_FILE
    from experiments.schemas import param_defaults

    older = older_parts(out, expected_schemas(spec, plan))
    lacking = list(older.filled) if older else []
    if (out / PLAN_FILE).is_file():
        try:
            names = set(pq.read_schema(out / PLAN_FILE).names)
        except (OSError, pa.ArrowException):
            names = None  # an unreadable plan: the plan check below names it
        if names is not None:
            lacking += [c for c in param_defaults() if c not in names and c not in lacking]
    if not lacking:
        return
    versions = written_by(out)
    version = f"code version {', '.join(v[:12] for v in versions)}" if versions else "older code"
    shown = ", ".join(lacking[:4]) + (f" and {len(lacking) - 4} more" if len(lacking) > 4 else "")
    raise StoreError(
        f"{out} was written by {version}, before the columns {shown} existed; --resume does "
        "not add runs to it (nothing was changed). `report` and `status` read it as it is "
        "(filling those columns with today's defaults); to run the remaining runs, run the spec "
        "into a new --out (or --overwrite), or check out that version to resume it"
    )


def _write_part(directory: Path, seq: int, table: pa.Table) -> None:
    atomic_write(directory / f"part-{seq:06d}.parquet", lambda tmp: pq.write_table(table, tmp))


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


def environment() -> dict[str, Any]:
    """Python, platform, SIMD level, package versions, the lock's hash and the git commit."""
    from importlib import metadata

    from experiments import provenance

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
        "simd": provenance.simd(),
        "packages": versions,
        "lock": provenance.lock(),
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


def _spec_diff(a: dict, b: dict, prefix: str = "") -> list[str]:
    """The keys whose values differ; a table's own keys one level down (``design.posterior``)."""
    out = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if json.dumps(x, sort_keys=True) == json.dumps(y, sort_keys=True):
            continue
        if not prefix and isinstance(x, dict) and isinstance(y, dict):
            out += _spec_diff(x, y, f"{k}.")
        else:
            out.append(prefix + k)
    return out or ["?"]
