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
never interrupted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.spec import ExperimentSpec, metric_names

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
ID_COLUMNS = ("run_id", "run_index", "point_id", "arm", "replicate", "seed")
STATUS_COLUMNS = ("status", "error", "traceback", "steps_run", "seconds")
#: Columns that legitimately differ between two executions of the same run.
TIMING_COLUMNS = ("seconds",)


class StoreError(RuntimeError):
    """The output directory cannot be used as asked (another experiment, or no --resume)."""


# ---------------------------------------------------------------------------------- schemas
def _arrow_type(values: list[Any]) -> pa.DataType:
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


def runs_schema(spec: ExperimentSpec) -> pa.Schema:
    """The schema of ``runs/``: fixed by the spec, identical in every part."""
    from experiments.design import design_points
    from model import Params, Strategy

    points = design_points(spec)
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
    for key in spec.design.keys:
        fields.append((f"factor.{key}", _arrow_type([p.get(key) for p in points])))
    for name, meta in Params.spec().items():
        if name != "strategy":
            fields.append((f"param.{name}", _kind_type(meta["kind"])))
    for f in dataclasses.fields(Strategy):
        fields.append((f"param.strategy.{f.name}", _kind_type(type(f.default))))
    fields += [(c, pa.float64()) for c in metric_names(spec.metrics)]
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
    return row


def _ids(t: Any) -> dict[str, Any]:
    return {"run_id": t.run_id, "point_id": t.point_id, "arm": t.arm, "replicate": t.replicate}


# ---------------------------------------------------------------------------------- the store
class Store:
    """An output directory being written by one driver.

    Use :meth:`open`; then :meth:`write` batches of run outputs and :meth:`finish`.
    """

    def __init__(self, out: Path, spec: ExperimentSpec) -> None:
        self.out = Path(out)
        self.spec = spec
        self._runs_schema = runs_schema(spec)
        self._series_schema = series_schema(spec)
        self._seq = next_sequence(self.out)

    @classmethod
    def open(
        cls, out: str | Path, spec: ExperimentSpec, *, resume: bool = False, overwrite: bool = False
    ) -> Store:
        """Prepare ``out`` for ``spec``: new, resumed (same spec only) or overwritten.

        Raises:
            StoreError: ``out`` holds results and neither ``resume`` nor ``overwrite`` was given,
                or it holds another experiment's results.
        """
        out = Path(out)
        manifest_path = out / "manifest.json"
        if overwrite:
            for name in (*TABLES, "figures"):
                shutil.rmtree(out / name, ignore_errors=True)
            for name in (
                "manifest.json",
                "report.md",
                "summary.csv",
                "comparison.csv",
                "sensitivity.csv",
            ):
                (out / name).unlink(missing_ok=True)
        has_parts = any(any((out / t).glob("part-*.parquet")) for t in TABLES)
        manifest = None
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
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
        elif has_parts:
            raise StoreError(
                f"{out} holds part files but no manifest.json; choose another --out or --overwrite"
            )
        for t in TABLES[:3]:
            (out / t).mkdir(parents=True, exist_ok=True)
        store = cls(out, spec)
        store.cleanup()
        store._seq = next_sequence(out)
        now = _now()
        if manifest is None:
            manifest = {
                "name": spec.name,
                "created": now,
                "spec": spec.to_dict(),
                "spec_file": spec.source,
                "spec_text": Path(spec.source).read_text(encoding="utf-8")
                if spec.source and Path(spec.source).is_file()
                else None,
                "raw_spec": spec.raw,
                "planned_runs": _planned(spec),
                "environment": environment(),
                "history": [],
            }
        # the analysis settings and description may change on resume: keep the latest
        manifest.update(spec=spec.to_dict(), raw_spec=spec.raw)
        manifest["history"].append(
            {"started": now, "resume": bool(resume and has_parts), "environment": environment()}
        )
        store._manifest = manifest
        write_json(manifest_path, manifest)
        return store

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
    final = directory / f"part-{seq:06d}.parquet"
    tmp = directory / f".part-{seq:06d}.parquet"
    pq.write_table(table, tmp)
    os.replace(tmp, final)


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


def read_table(out: str | Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One table as a DataFrame: rows of re-run runs deduplicated (latest wins), sorted by run.

    Args:
        out: The output directory.
        table: ``runs``, ``timeseries``, ``cascades`` or ``agents``.
        columns: Columns to read (default: all).

    Returns:
        The table; empty (with no columns) when nothing was recorded.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    files = parts(out, table)
    if not files:
        return pd.DataFrame(columns=columns or [])
    frames = []
    for i, f in enumerate(files):
        df = pq.read_table(f, columns=columns).to_pandas()
        df["_part"] = i
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    if table == "runs":
        df = df.drop_duplicates("run_id", keep="last")
        sort = ["run_index"] if "run_index" in df else ["run_id"]
    else:
        latest = df.groupby("run_id")["_part"].transform("max")
        df = df[df["_part"] == latest]
        key = {"timeseries": "step", "cascades": "item", "agents": "agent"}[table]
        sort = ["run_id", key] if key in df else ["run_id"]
    return df.drop(columns="_part").sort_values(sort, kind="stable").reset_index(drop=True)


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of an output directory."""
    path = Path(out) / "manifest.json"
    if not path.exists():
        raise StoreError(f"{out} has no manifest.json: not an experiment output directory")
    return json.loads(path.read_text())


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    tmp = path.with_name("." + path.name)
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


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
