"""The part files of the result tables: listing, reading, and the checks of a part.

A table is the part files ``OUT/<table>/part-NNNNNN.parquet``; readers see the latest attempt
of each recorded run (:func:`read_table`). A part that cannot be read, or whose columns are not
the table's (:func:`check_parts`), is moved to ``OUT/corrupt/`` with the parts of its flush
(:func:`quarantine`), so its runs count as not done and a resume runs them again.

A ``runs/`` part written before a ``Params`` field existed lacks that ``param.*`` column. It is
not corrupt: every field is added neutral at its default, so its runs ran as at today's default,
and the readers fill the column with it (:func:`older_parts`, :func:`read_table`, with one
:class:`OlderResultsWarning`). Columns a part has that today's code does not write are kept as
written. Any other difference (a missing measure or id column, a changed type, a renamed field)
stays an error that names it.

This file is long because the readers' filling of an older part (:func:`older_difference`,
:func:`fill_plan`, :func:`check_recorded`) must agree column for column with the checks of a
part (:func:`check_parts`) they relax; kept together they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.errors import CorruptPartError
from experiments.schemas import CASCADE_SCHEMA, param_defaults, runs_schema, series_schema
from experiments.spec import ExperimentSpec

TABLES = ("runs", "timeseries", "cascades", "agents")
PART = re.compile(r"^part-(\d{6,})\.parquet$")
CORRUPT_DIR = "corrupt"


class OlderResultsWarning(UserWarning):
    """A folder written before some ``param.*`` columns existed: they were filled with defaults."""


@dataclass(frozen=True)
class OlderParts:
    """The parts of a folder written by an older version of the code.

    Attributes:
        parts: The parts lacking columns or holding unknown ones, relative to the folder.
        filled: ``param.*`` columns today's code writes and those parts lack (filled with
            today's defaults when read).
        unknown: Columns those parts hold that today's code does not write (kept as written).
        versions: The code versions (git commits) the manifest records for the folder.
    """

    parts: tuple[str, ...]
    filled: tuple[str, ...]
    unknown: tuple[str, ...]
    versions: tuple[str, ...]

    def message(self, out: str | Path) -> str:
        """One paragraph for a warning, ``status`` and the report."""
        version = (
            f"by code version {', '.join(v[:12] for v in self.versions)}"
            if self.versions
            else "by an older version of the code (the manifest records none)"
        )
        which = f"{len(self.parts)} part(s)" if self.parts else "parts of runs/"
        text = f"{out}: {which} were written {version}"
        if self.filled:
            text += (
                f", before the column(s) {_names(self.filled)} existed; they are filled with "
                "today's defaults, which is what those runs ran with: a new field is added "
                "neutral at its default"
            )
        if self.unknown:
            text += (
                f"; column(s) {_names(self.unknown)} are not written by today's code and are "
                "kept as written"
            )
        return text


def _names(cols: tuple[str, ...], n: int = 6) -> str:
    shown = ", ".join(cols[:n])
    return shown + (f" and {len(cols) - n} more" if len(cols) > n else "")


def older_difference(
    got: pa.Schema, want: pa.Schema, defaults: dict[str, Any] | None = None
) -> tuple[list[str], list[str]] | None:
    """(filled, unknown) when ``got`` is ``want`` as an older version wrote it, else None.

    Older means: every column of ``want`` is in ``got`` with its type, except ``param.*``
    columns with a default today (:func:`~experiments.schemas.param_defaults`); columns of
    ``got`` that ``want`` lacks are unknown, unless one is an old name of a missing column (a
    renamed field, whose values a default would misstate); the order does not matter.
    """
    defaults = param_defaults() if defaults is None else defaults
    filled = []
    for f in want:
        if f.name not in got.names:
            if f.name not in defaults:
                return None
            filled.append(f.name)
        elif got.field(f.name).type != f.type:
            return None
    unknown = [n for n in got.names if n not in want.names]
    if any(_renamed(n) in filled for n in unknown):
        return None
    return filled, unknown


def _renamed(column: str) -> str | None:
    """The column an old field name was renamed to (``param.forward_model`` ->
    ``param.forwarding``), or None."""
    from model.params import ALIASES, RENAMED_RULES

    name = column.removeprefix("param.")
    new = RENAMED_RULES.get(name, ALIASES.get(name))
    return f"param.{new}" if column.startswith("param.") and new else None


def older_parts(out: str | Path, schemas: dict[str, pa.Schema]) -> OlderParts | None:
    """The parts of ``out`` an older version wrote (:func:`older_difference`), or None."""
    defaults = param_defaults()
    found, filled, unknown = [], set(), set()
    for table, want in schemas.items():
        for p in parts(out, table):
            try:
                got = pq.read_schema(p)
            except (OSError, pa.ArrowException):
                continue  # a corrupt part: check_parts names it
            if got.equals(want, check_metadata=False):
                continue
            diff = older_difference(got, want, defaults)
            if diff is not None and (diff[0] or diff[1]):
                found.append(str(p.relative_to(out)))
                filled.update(diff[0])
                unknown.update(diff[1])
    if not found:
        return None
    order = {c: i for i, c in enumerate(defaults)}
    return OlderParts(
        parts=tuple(found),
        filled=tuple(sorted(filled, key=lambda c: order.get(c, len(order)))),
        unknown=tuple(sorted(unknown)),
        versions=written_by(out),
    )


def written_by(out: str | Path) -> tuple[str, ...]:
    """The git commits the manifest of ``out`` records (first session first), if any."""
    try:
        m = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    envs = [m.get("environment") or {}] + [
        h.get("environment") or {} for h in m.get("history") or []
    ]
    seen: list[str] = []
    for env in envs:
        commit = ((env or {}).get("git") or {}).get("commit")
        if commit and commit not in seen:
            seen.append(commit)
    return tuple(seen)


def part_seq(p: Path) -> int:
    """The sequence number of a part file (``part-000012.parquet`` -> 12).

    Raises:
        ValueError: ``p`` is not named as a part file.
    """
    m = PART.match(p.name)
    if m is None:
        raise ValueError(f"{p} is not a part file (part-NNNNNN.parquet)")
    return int(m.group(1))


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
            if (
                want is not None
                and not got.equals(want, check_metadata=False)
                and older_difference(got, want) is None
            ):
                bad.append((p, f"wrong schema: {_schema_difference(got, want)}"))
    return bad


def _schema_difference(got: pa.Schema, want: pa.Schema) -> str:
    """What makes ``got`` other than ``want`` as an older version wrote it (a ``param.*``
    column added since is not named: the readers fill it)."""
    defaults = param_defaults()
    missing = [n for n in want.names if n not in got.names and n not in defaults]
    if missing:
        return f"column {missing[0]} missing" + (
            f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        )
    for f in want:
        if f.name in got.names and got.field(f.name).type != f.type:
            return f"column {f.name} is {got.field(f.name).type}, expected {f.type}"
    for n in got.names:
        new = _renamed(n)
        if new in want.names and new not in got.names:
            return (
                f"column {n} is the old name of {new}, which it lacks (a renamed field: "
                "its values cannot be filled with a default)"
            )
    extra = [n for n in got.names if n not in want.names]
    if extra:
        return f"unexpected column {extra[0]}"
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
    seqs = {part_seq(p) for p, _ in bad}
    dest = out / CORRUPT_DIR
    dest.mkdir(exist_ok=True)
    for table in TABLES:
        for p in parts(out, table):
            if part_seq(p) in seqs:
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
    return sorted((p for p in d.iterdir() if PART.match(p.name)), key=part_seq)


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
    # only runs/ has param.* columns; an older part lacks those added since (module docstring)
    defaults = param_defaults() if table == "runs" else {}
    filled: set[str] = set()
    frames = []
    for f in files:
        df = read_part(out, f, columns, skip_corrupt, defaults, filled)
        if df is not None:
            df["_part"] = part_seq(f)
            frames.append(df)
    if not frames:
        return pd.DataFrame(columns=columns or [])
    df = pd.concat(frames, ignore_index=True)
    if filled:
        # where today's part has them: the order asked for, or today's column order
        order = [*columns, "_part"] if columns is not None else list(df.columns)
        df = df[_param_order(order, list(defaults)) if columns is None else order]
        older = OlderParts(
            parts=(),
            filled=tuple(c for c in defaults if c in filled),
            unknown=(),
            versions=written_by(out),
        )
        warnings.warn(older.message(out), OlderResultsWarning, stacklevel=2)
    if table == "runs":
        df = df.drop_duplicates("run_id", keep="last")
        sort = ["run_index"] if "run_index" in df else ["run_id"]
    else:
        df = df[_latest_rows(out, df["run_id"], df["_part"].to_numpy(), skip_corrupt)]
        key = {"timeseries": "step", "cascades": "item", "agents": "agent"}[table]
        sort = ["run_id", key] if key in df else ["run_id"]
    return df.drop(columns="_part").sort_values(sort, kind="stable").reset_index(drop=True)


def _latest_rows(
    out: str | Path, run_ids: pd.Series, part: np.ndarray, skip_corrupt: bool = False
) -> np.ndarray:
    """Which rows come from the same flush as their run's latest row in ``runs/``.

    A run's latest row is its row in the last ``runs/`` part that holds it; a row of another
    table is kept when its part has that part's number. The run ids are matched with Arrow's
    hash lookup (``pyarrow.compute.index_in``): a Python dict over millions of cascade rows
    took seconds.

    Args:
        out: The output directory.
        run_ids: The run id of each row.
        part: The part number (:func:`part_seq`) each row was read from.
        skip_corrupt: Leave out unreadable ``runs/`` parts instead of raising.

    Returns:
        A boolean mask over the rows; False for a run no readable ``runs/`` part holds.
    """
    ids, seqs = [], []
    for f in parts(out, "runs"):
        got = read_part(out, f, ["run_id"], skip_corrupt, {}, set())
        if got is not None:
            ids.append(got["run_id"])
            seqs.append(np.full(len(got), part_seq(f), dtype=np.int64))
    if not ids or not len(run_ids):
        return np.zeros(len(run_ids), dtype=bool)
    latest = pd.DataFrame(
        {"run_id": pd.concat(ids, ignore_index=True), "seq": np.concatenate(seqs)}
    )
    latest = latest.drop_duplicates("run_id", keep="last")
    where = pc.index_in(
        pa.array(run_ids, type=pa.large_string()),
        value_set=pa.array(latest["run_id"], type=pa.large_string()),
    )
    pos = where.fill_null(-1).to_numpy()
    return (pos >= 0) & (latest["seq"].to_numpy()[pos] == np.asarray(part))


def read_part(
    out: str | Path,
    f: Path,
    columns: list[str] | None,
    skip_corrupt: bool,
    defaults: dict[str, Any],
    filled: set[str],
) -> pd.DataFrame | None:
    """One part as a frame; the ``defaults`` columns it lacks are filled (and added to
    ``filled``): all of them, or those of ``columns`` asked for.

    Args:
        out: The output directory (for the message of an unreadable part).
        f: The part file (:func:`parts`).
        columns: Columns to read (default: all).
        skip_corrupt: Return None for an unreadable part instead of raising.
        defaults: ``param.*`` column -> today's default, filled where the part lacks it
            (:func:`~experiments.schemas.param_defaults`); empty for the other tables.
        filled: Updated in place with the columns this part had filled.

    Raises:
        CorruptPartError: The part cannot be read (unless ``skip_corrupt``).
    """
    try:
        if defaults:
            names = set(pq.read_schema(f).names)
            wanted = list(defaults) if columns is None else columns
            fill = {c: defaults[c] for c in wanted if c in defaults and c not in names}
            if columns is not None:
                columns = [c for c in columns if c not in fill]
        else:
            fill = {}
        df = pq.read_table(f, columns=columns).to_pandas()
    except (OSError, pa.ArrowException) as e:
        if skip_corrupt:
            return None
        raise corrupt_error(out, f, _first_line(e)) from None
    if fill:
        filled.update(fill)
        df = pd.concat([df, pd.DataFrame(fill, index=df.index)], axis=1)
    return df


def _param_order(columns: list[str], params: list[str]) -> list[str]:
    """``columns`` with the ``param.*`` ones in today's order (``params``), where the first
    of them stood: the order of a part written by today's code."""
    rank = {c: i for i, c in enumerate(params)}
    block = [c for c in columns if c.startswith("param.")]
    if not block:
        return columns
    at = columns.index(block[0])
    rest = [c for c in columns if not c.startswith("param.")]
    ordered = sorted(block, key=lambda c: rank.get(c, len(rank)))  # unknown ones last, stable
    return rest[:at] + ordered + rest[at:]


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


def fill_plan(plan: Any) -> Any:
    """``plan`` with the ``param.*`` values a plan stored by an older version lacks set to
    today's defaults (the runs ran with them: module docstring); the same plan if none lack."""
    from experiments.design import flat_params, nested_params

    defaults = param_defaults()
    params = {}
    for key, p in plan.params.items():
        flat = flat_params(p)
        missing = {c: v for c, v in defaults.items() if c not in flat}
        params[key] = nested_params({**flat, **missing}) if missing else p
    if all(params[k] is plan.params[k] for k in params):
        return plan
    return dataclasses.replace(plan, params=params)
