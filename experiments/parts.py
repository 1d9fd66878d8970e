"""The part files of the result tables: listing, reading, and the checks of a part.

A table is the part files ``OUT/<table>/part-NNNNNN.parquet``; readers see the latest attempt
of each recorded run (:func:`read_table`). A part that cannot be read, or whose columns are not
the table's (:func:`check_parts`), is moved to ``OUT/corrupt/`` with the parts of its flush
(:func:`quarantine`), so its runs count as not done and a resume runs them again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.errors import CorruptPartError
from experiments.schemas import CASCADE_SCHEMA, runs_schema, series_schema
from experiments.spec import ExperimentSpec

TABLES = ("runs", "timeseries", "cascades", "agents")
PART = re.compile(r"^part-(\d{6,})\.parquet$")
CORRUPT_DIR = "corrupt"


def _seq(p: Path) -> int:
    return int(PART.match(p.name).group(1))


def expected_schemas(spec: ExperimentSpec, plan: Any) -> dict[str, pa.Schema]:
    """The schema of each table whose columns the spec and its plan fix (``agents`` has none)."""
    return {
        "runs": runs_schema(spec, plan.points),
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


def next_sequence(out: Path) -> int:
    """One more than the highest part number in any table (0 for a new directory)."""
    seqs = [
        int(m.group(1))
        for t in TABLES
        if (Path(out) / t).is_dir()
        for p in (Path(out) / t).iterdir()
        if (m := PART.match(p.name))
    ]
    return max(seqs, default=-1) + 1


def parts(out: str | Path, table: str) -> list[Path]:
    """The committed part files of ``table`` in sequence order."""
    d = Path(out) / table
    if not d.is_dir():
        return []
    return sorted(
        (p for p in d.iterdir() if PART.match(p.name)),
        key=lambda p: int(PART.match(p.name).group(1)),
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
