"""Real networks in: the acquaintance and follow layers read from edge lists.

``Params(acquaintance_edges=PATH, follow_edges=PATH)`` replaces the generated layers
(model/network.py, :func:`~model.network.build_networks`) by the ties in the files; docs/ODD.md
("Loaded networks") says what changes and docs/networks.md how to prepare a file.

File format: CSV (a header line) or Parquet, with columns ``source`` and ``target``; other
columns are ignored. A follow row means *source follows target*; an acquaintance row is an
undirected tie. An optional node file (column ``id``, optional ``generation`` 0-3 or cohort
name) fixes the users and their order and may name users without ties.

Rules, in the order they are applied:

* ids are whole numbers or text, the same kind in every file; a float, an empty cell or NaN is
  refused.
* users are numbered 0..n-1 in the node file's row order, else in ascending order of the ids
  of both edge files together (numeric for whole numbers, by code point for text).
* ``n_users`` must equal that n: the files define the population, and a mismatch is an error
  that names the n to set (``python -m model.degrees`` prints it), rather than a silent
  truncation or padding with isolated users.
* self-loops and repeated ties are dropped and reported (:class:`EdgeListWarning` with the
  counts; model/degrees.py). An acquaintance tie given in both directions is one tie.
* before reading, the rows are counted (Parquet metadata) or estimated (CSV size over the
  bytes per line of its first 64 KiB) and the peak memory of the load (:func:`memory_needed`)
  is compared with half the available memory; a file over that is refused with the estimate.
  Rows are read in pyarrow batches into numpy arrays, never one edge at a time. A compressed
  CSV is refused (its size says nothing of its rows): Parquet is the compressed format.

The degrees of what was read are reported beside the generated layers' in model/degrees.py
(``python -m model.degrees``).

This file is long because the reading and its checks share one set of rules, and every
refusal is written where its rule is.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BYTES_PER_DATA_BYTE",
    "BYTES_PER_EDGE",
    "EdgeListError",
    "EdgeListWarning",
    "Layer",
    "Loaded",
    "file_hash",
    "load",
    "load_for_model",
    "memory_needed",
]

#: The two columns every edge file needs.
COLUMNS = ("source", "target")
#: Cohort names a node file's ``generation`` column may use instead of 0-3 (model/population.py
#: numbers them in this order).
COHORTS = ("post00", "post90", "post80", "pre80")
#: Peak bytes of memory per row while a file is read and its acquaintance layer built (the
#: symmetric layer sorts both directions: the follow layer needs less). Measured as the growth
#: of the process's peak resident memory for 10^6 rows: 157 (Parquet, whole-number ids), 171
#: (CSV, whole numbers, 13 bytes a line), 188-234 over three runs (CSV, 10-character text ids,
#: 22 bytes a line); this constant with :data:`BYTES_PER_DATA_BYTE` bounds all three (199,
#: 228, 266; tests/unit/test_edgelists.py measures them again).
BYTES_PER_EDGE = 176
#: Peak bytes per byte of the file's data (CSV size, Parquet uncompressed size), added to the
#: rows' share: text ids and the parse buffers grow with the bytes.
BYTES_PER_DATA_BYTE = 4
#: The share of available memory a load may take: the rest is for the other layer and the model.
MEMORY_SHARE = 0.5
#: Rows per Parquet batch and bytes per CSV block: bounded memory per read, few iterations.
BATCH_ROWS = 1 << 20
CSV_BLOCK = 1 << 24


def _said(error: Exception) -> str:
    """pyarrow's message, shortened: it may quote a whole line of the file."""
    text = " ".join(str(error).split())
    return text if len(text) <= 160 else f"{text[:150]}..."


class EdgeListError(ValueError):
    """An edge or node file that cannot be used; the message names the file and the fault."""


class EdgeListWarning(UserWarning):
    """Ties of an edge file were dropped (self-loops, repeats): the counts are in the message."""


# ---------------------------------------------------------------------------------- reading
def available_memory() -> int:
    """Bytes of memory available now (psutil; the physical memory where psutil is missing)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil is in the lock
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


#: Suffixes of compressed files, refused (:func:`_format`).
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4")


def _format(path: Path, label: str) -> str:
    """``"parquet"`` or ``"csv"``: by the suffix, else by Parquet's magic bytes."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        raise EdgeListError(
            f"{label}: {path} is compressed ({suffixes[-1]}); decompress it, or write it as "
            "Parquet (compressed, and its row count is known before reading)"
        )
    if suffixes and suffixes[-1] in (".parquet", ".pq"):
        return "parquet"
    if suffixes and (suffixes[-1] in (".csv", ".txt") or suffixes[-2:-1] == [".csv"]):
        return "csv"
    with path.open("rb") as f:
        return "parquet" if f.read(4) == b"PAR1" else "csv"


def _estimate_rows(path: Path, kind: str, label: str) -> tuple[int, int]:
    """Rows of the file (exact for Parquet, estimated for CSV from its first 64 KiB) and the
    bytes of its data (the file's size; Parquet's uncompressed size)."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
        except Exception as e:
            raise EdgeListError(
                f"{label}: {path} is not a readable Parquet file ({_said(e)})"
            ) from None
        data = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        return int(meta.num_rows), int(data)
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(1 << 16)
    lines = head.count(b"\n")
    if lines <= 1:
        return (1 if size > len(head) else lines), size
    return int(size / (len(head) / lines)), size


def memory_needed(rows: int, data_bytes: int) -> int:
    """Peak bytes of loading a file of ``rows`` rows and ``data_bytes`` bytes of data.

    :data:`BYTES_PER_EDGE` per row plus :data:`BYTES_PER_DATA_BYTE` per byte of data (text
    ids and pyarrow's parse buffers grow with the file's bytes, not its rows).
    """
    return rows * BYTES_PER_EDGE + data_bytes * BYTES_PER_DATA_BYTE


def _check_memory(path: Path, kind: str, label: str) -> int:
    """The estimated rows; refuses (before reading) a file whose load would not fit."""
    rows, data = _estimate_rows(path, kind, label)
    need = memory_needed(rows, data)
    have = available_memory()
    if need > MEMORY_SHARE * have:
        raise EdgeListError(
            f"{label}: {path} has about {rows:,} rows; loading needs about {need / 1e9:.1f} GB, "
            f"more than {MEMORY_SHARE:.0%} of the {have / 1e9:.1f} GB available: use a machine "
            f"with at least {need / MEMORY_SHARE / 1e9:.0f} GB available, or a sample of the file"
        )
    return rows


def _batches(path: Path, kind: str, required: Sequence[str], optional: Sequence[str], label: str):
    """The file's ``required`` columns and those of ``optional`` it has, as pyarrow record
    batches; refuses missing required columns, naming what the file has."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if kind == "parquet":
        try:
            pf = pq.ParquetFile(path)
        except Exception as e:
            raise EdgeListError(
                f"{label}: {path} is not a readable Parquet file ({_said(e)})"
            ) from None
        names = list(pf.schema_arrow.names)
    else:
        try:
            first = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16))
            names = list(first.schema.names)
        except (pa.ArrowInvalid, UnicodeDecodeError) as e:
            raise EdgeListError(
                f"{label}: {path} is not a readable CSV file ({_said(e)})"
            ) from None
    missing = [c for c in required if c not in names]
    if missing:
        shown = ", ".join(names[:10]) + (f", ... ({len(names)} columns)" if len(names) > 10 else "")
        raise EdgeListError(
            f"{label}: {path} has no column {', '.join(map(repr, missing))}; it has {shown}; "
            f"required: {', '.join(required)} (a header line in CSV)"
        )
    columns = [*required, *(c for c in optional if c in names)]
    if kind == "parquet":
        try:
            yield from pf.iter_batches(batch_size=BATCH_ROWS, columns=columns)
        except (OSError, pa.ArrowException) as e:  # a damaged page past the metadata
            raise EdgeListError(
                f"{label}: {path} is not a readable Parquet file ({_said(e)})"
            ) from None
        return
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns,
            null_values=["", "NaN", "nan", "NA", "null", "None"],
            strings_can_be_null=True,
        ),
    )
    try:
        yield from reader
    except pa.ArrowInvalid as e:
        # a later block whose ids differ in kind from the first block's (pyarrow names the value)
        raise EdgeListError(
            f"{label}: {path} is not a readable CSV file ({_said(e)}); ids must be all whole "
            "numbers or all text, with two cells a row"
        ) from None


@dataclass
class _Column:
    """The ids of one column, read: int64 numbers or a pyarrow string array."""

    values: Any
    text: bool


def _ids(batches: list[Any], name: str, label: str, path: Path) -> _Column:
    """One column over all batches, checked: whole numbers or text, no empty cells."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [b.column(b.schema.get_field_index(name)) for b in batches]
    arr = pa.chunked_array(chunks) if chunks else pa.chunked_array([], pa.int64())
    if arr.type == pa.null() or arr.null_count:
        first = int(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
        raise EdgeListError(
            f"{label}: {path} column {name!r} has {arr.null_count:,} empty or NaN ids (first at "
            f"data row {first + 1}); every tie needs both ends"
        )
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_integer(arr.type):
        return _Column(arr.to_numpy().astype(np.int64, copy=False), text=False)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return _Column(pc.cast(arr, pa.string()).combine_chunks(), text=True)
    if pa.types.is_floating(arr.type):
        values = arr.to_numpy()
        if np.isnan(values).any():
            raise EdgeListError(f"{label}: {path} column {name!r} has NaN ids")
        bad = values[values != np.round(values)]
        example = f" (e.g. {float(bad[0])!r})" if len(bad) else " (stored as floats)"
        raise EdgeListError(
            f"{label}: {path} column {name!r} holds non-integer ids{example}; ids must be whole "
            "numbers or text"
        )
    raise EdgeListError(
        f"{label}: {path} column {name!r} has type {arr.type}; ids must be whole numbers or text"
    )


@dataclass
class _Raw:
    """One file's columns as read, before the ids are numbered."""

    path: Path
    label: str
    columns: dict[str, _Column]

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())).values)


def _read(
    path: str | Path, label: str, required: Sequence[str], optional: Sequence[str] = ()
) -> _Raw:
    """A file's id columns (``required``, checked) and any ``optional`` column it has (as
    read); every refusal is one :class:`EdgeListError` line."""
    import pyarrow as pa

    p = Path(path)
    if not p.is_file():
        what = "is a directory" if p.is_dir() else "does not exist"
        raise EdgeListError(f"{label}: {p} {what}; give the path of a CSV or Parquet file")
    if p.stat().st_size == 0:
        raise EdgeListError(f"{label}: {p} is empty; required: a header with {', '.join(required)}")
    kind = _format(p, label)
    _check_memory(p, kind, label)
    batches = list(_batches(p, kind, required, optional, label))
    if not batches or sum(b.num_rows for b in batches) == 0:
        raise EdgeListError(f"{label}: {p} has a header but no rows")
    raw = _Raw(p, label, {c: _ids(batches, c, label, p) for c in required})
    for c in optional:
        if c in batches[0].schema.names:
            values = pa.chunked_array([b.column(b.schema.get_field_index(c)) for b in batches])
            raw.columns[c] = _Column(values.combine_chunks(), text=False)
    return raw


# ---------------------------------------------------------------------------------- numbering
def _kind_of_all(raws: Sequence[_Raw]) -> bool:
    """True when the ids are text; refuses files that mix whole numbers and text."""
    kinds = {
        (r.label, c): col.text for r in raws for c, col in r.columns.items() if c != "generation"
    }
    if len(set(kinds.values())) > 1:
        text = sorted({label for (label, _), t in kinds.items() if t})
        ints = sorted({label for (label, _), t in kinds.items() if not t})
        raise EdgeListError(
            f"ids are text in {', '.join(text)} but whole numbers in {', '.join(ints)}; use one "
            "kind of id in every file"
        )
    return bool(next(iter(kinds.values())))


def _number(values: Any, universe: Any, text: bool) -> np.ndarray:
    """Positions of ``values`` in the sorted ``universe`` (-1 where absent), vectorised."""
    if text:
        import pyarrow.compute as pc

        return pc.index_in(values, value_set=universe).to_numpy(zero_copy_only=False)
    pos = np.searchsorted(universe, values)
    pos = np.minimum(pos, len(universe) - 1)
    return np.where(universe[pos] == values, pos, -1)


def _sorted_union(arrays: Sequence[Any], text: bool) -> Any:
    """The distinct ids of all ``arrays``, in ascending order."""
    if text:
        import pyarrow as pa
        import pyarrow.compute as pc

        u = pc.unique(pa.chunked_array(arrays))
        return u.take(pc.sort_indices(u))
    return np.unique(np.concatenate(arrays))


def _node_table(raw: _Raw, text: bool) -> tuple[Any, np.ndarray | None]:
    """The node file's ids (in row order, no repeats) and generations (0-3) if given."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = raw.columns["id"].values
    distinct = len(pc.unique(ids)) if text else len(np.unique(ids))
    if distinct != len(ids):
        raise EdgeListError(
            f"{raw.label}: {raw.path} lists {len(ids) - distinct:,} ids more than once; each "
            "user is one row"
        )
    gen = raw.columns.get("generation")
    if gen is None:
        return ids, None
    g = gen.values
    if g.null_count:
        bad = g.is_null().to_numpy(zero_copy_only=False)
        out = np.zeros(len(g), dtype=np.int64)
    elif pa.types.is_integer(g.type):
        out = g.to_numpy().astype(np.int64)
        bad = (out < 0) | (out > 3)
    else:
        # a text column may mix names and numbers ("post00", "2"): both index the cohorts
        names = pa.array([*COHORTS, *map(str, range(len(COHORTS)))])
        idx = pc.index_in(pc.cast(g, pa.string()), value_set=names)
        bad = idx.is_null().to_numpy(zero_copy_only=False)
        out = idx.fill_null(-1).to_numpy().astype(np.int64) % len(COHORTS)
    if bad.any():
        raise EdgeListError(
            f"{raw.label}: {raw.path} column 'generation' has {int(bad.sum()):,} values that "
            f"are not 0-3 or one of {', '.join(COHORTS)} (first at data row "
            f"{int(np.flatnonzero(bad)[0]) + 1})"
        )
    return ids, out.astype(np.int8)


# ---------------------------------------------------------------------------------- loading
@dataclass
class Layer:
    """One edge file's ties over the users' numbers, as read (self-loops and repeats kept).

    Attributes:
        source: The first column's users (the follower in a follow file).
        target: The second column's users (the followed).
        path: The file.
        sha256: Its SHA-256, so that a changed file is told from the one a result used.
    """

    source: np.ndarray
    target: np.ndarray
    path: Path
    sha256: str

    @property
    def rows(self) -> int:
        return len(self.source)

    @property
    def self_loops(self) -> int:
        return int(np.count_nonzero(self.source == self.target))


@dataclass
class Loaded:
    """What the files gave: the users' ids, each layer's ties and the node file's cohorts.

    Attributes:
        ids: The id of user i at position i (numpy int64, or a list of str for text ids).
        layers: ``"acquaintance_edges"`` and/or ``"follow_edges"`` -> its :class:`Layer`.
        generation: Each user's cohort 0-3 from the node file, or None.
        nodes: The node file and its SHA-256, or None.
    """

    ids: Any
    layers: dict[str, Layer] = field(default_factory=dict)
    generation: np.ndarray | None = None
    nodes: tuple[Path, str] | None = None

    @property
    def n(self) -> int:
        return len(self.ids)

    def check_users(self, n_users: int) -> None:
        """Refuse an ``n_users`` other than the files' number of users, naming the one to set."""
        if n_users != self.n:
            named = " and ".join(self.layers) + (" and the node file" if self.nodes else "")
            raise EdgeListError(
                f"{named} name {self.n:,} users but n_users={n_users:,}; set n_users={self.n} "
                "(the files define the users: a node file can add users without ties)"
            )

    def dropped(self, key: str, ties: int) -> tuple[int, int]:
        """(self-loops, repeats) of a layer that became ``ties`` distinct ties."""
        layer = self.layers[key]
        return layer.self_loops, layer.rows - layer.self_loops - ties

    def warn_dropped(self, key: str, ties: int) -> None:
        """An :class:`EdgeListWarning` with the counts, when a layer's file lost rows."""
        loops, repeats = self.dropped(key, ties)
        if loops or repeats:
            what = "follows" if key == "follow_edges" else "ties (a tie given both ways is one)"
            warnings.warn(
                f"{key}: {self.layers[key].path}: dropped {loops:,} self-loops and {repeats:,} "
                f"repeated {what} of {self.layers[key].rows:,} rows",
                EdgeListWarning,
                stacklevel=3,
            )


def file_hash(path: str | Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(acquaintance: str | Path = "", follow: str | Path = "", nodes: str | Path = "") -> Loaded:
    """Read edge files and number their users (model/network.py builds the layers from them).

    Args:
        acquaintance: Undirected ties (``source,target``), or "" for none.
        follow: Follows, ``source`` follows ``target``, or "" for none.
        nodes: Optional node file: column ``id`` (the users, in their order) and optionally
            ``generation`` (0-3 or a cohort name).

    Returns:
        The ids, each layer's numbered ties and the cohorts.

    Raises:
        EdgeListError: A file is missing, unreadable, too big, lacks a column, has empty,
            NaN or non-integer ids, ids not in the node file, or no rows.
    """
    paths = {"acquaintance_edges": acquaintance, "follow_edges": follow}
    edges = {k: _read(p, k, COLUMNS) for k, p in paths.items() if str(p)}
    if not edges:
        raise EdgeListError("no edge file given: pass acquaintance_edges or follow_edges")
    node_raw = _read(nodes, "nodes", ("id",), ("generation",)) if str(nodes) else None
    raws = list(edges.values()) + ([node_raw] if node_raw is not None else [])
    text = _kind_of_all(raws)
    generation = None
    user_of = None
    if node_raw is not None:
        order, generation = _node_table(node_raw, text)
        universe = _sorted_union([order], text)
        # user i is the node file's row i: its rank among the sorted ids maps back to i
        user_of = np.empty(len(universe), dtype=np.int64)
        user_of[_number(order, universe, text)] = np.arange(len(universe))
    else:
        universe = _sorted_union(
            [col.values for r in edges.values() for col in r.columns.values()], text
        )
        order = universe
    out = Loaded(ids=order.to_pylist() if text else np.asarray(order), generation=generation)
    for key, raw in edges.items():
        ends = []
        for name in COLUMNS:
            pos = _number(raw.columns[name].values, universe, text)
            if user_of is not None:
                unknown = pos < 0
                if unknown.any():
                    example = raw.columns[name].values[int(np.flatnonzero(unknown)[0])]
                    raise EdgeListError(
                        f"{key}: {raw.path} column {name!r} has {int(unknown.sum()):,} ids that "
                        f"the node file does not list (e.g. {example!s}); add them to the node "
                        "file or drop their ties"
                    )
                pos = user_of[pos]
            ends.append(np.asarray(pos, dtype=np.int64))
        out.layers[key] = Layer(ends[0], ends[1], raw.path, file_hash(raw.path))
    if node_raw is not None:
        out.nodes = (node_raw.path, file_hash(node_raw.path))
    return out


def _stamp(path: str | Path) -> tuple[str, int, int]:
    """What tells a file's versions apart cheaply: its resolved path, size and mtime."""
    p = Path(path)
    st = p.stat()
    return (str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=2)
def _load_cached(acq: tuple[str, int, int] | None, follow: tuple[str, int, int] | None) -> Loaded:
    return load(acq[0] if acq else "", follow[0] if follow else "")


def load_for_model(acquaintance: str, follow: str) -> Loaded:
    """:func:`load`, read once per version of the files: the runs of an experiment in one
    process share one reading (a file changed on disk is read again). Callers build new
    arrays from the result and never write into it."""
    stamps = []
    for p in (acquaintance, follow):
        if p and not Path(p).is_file():
            load(acquaintance, follow)  # raises the message for the missing file
        stamps.append(_stamp(p) if p else None)
    return _load_cached(*stamps)
