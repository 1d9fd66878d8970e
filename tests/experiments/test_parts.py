"""The readers' choice of rows: each run's latest attempt, from the flush of its latest runs row.

:func:`experiments.parts.read_table` keeps a row of ``timeseries``/``cascades``/``agents`` only
when its part is the last ``runs/`` part holding its run. The filter was a Python dict mapped
over every run id; it is now Arrow's hash lookup. These tests fix the rule on a hand-built
folder and check that the table equals the dict version's, row for row and dtype for dtype.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import experiments
from experiments.parts import part_seq, parts, read_table
from experiments.schemas import CASCADE_SCHEMA


def _dict_read_table(out: Path, table: str) -> pd.DataFrame:
    """The filter as it was before Arrow's lookup (a dict of run id -> latest runs part), kept
    as the reference the new one must equal."""
    frames = []
    for f in parts(out, table):
        df = pq.read_table(f).to_pandas()
        df["_part"] = part_seq(f)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    latest = {}
    for f in parts(out, "runs"):
        ids = pq.read_table(f, columns=["run_id"]).to_pandas()
        latest.update(dict.fromkeys(ids["run_id"], part_seq(f)))
    df = df[df["_part"].to_numpy() == df["run_id"].map(latest).to_numpy()]
    key = {"timeseries": "step", "cascades": "item", "agents": "agent"}[table]
    sort = ["run_id", key] if key in df else ["run_id"]
    return df.drop(columns="_part").sort_values(sort, kind="stable").reset_index(drop=True)


def _write(out: Path, table: str, seq: int, rows: list[tuple], schema: pa.Schema) -> None:
    (out / table).mkdir(parents=True, exist_ok=True)
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    data = pa.table({f.name: pa.array(c, type=f.type) for f, c in zip(schema, cols, strict=True)})
    pq.write_table(data, out / table / f"part-{seq:06d}.parquet")


RUNS = pa.schema([("run_id", pa.string()), ("run_index", pa.int64())])


@pytest.fixture
def hand_built(tmp_path: Path) -> Path:
    """Four flushes. 0: runs a, b, c. 1: b again (its later attempt). 2: a flush whose runs
    part never landed (run d). 3: c again, with no cascades this time."""
    out = tmp_path / "out"
    _write(out, "runs", 0, [("a", 0), ("b", 1), ("c", 2)], RUNS)
    _write(
        out,
        "cascades",
        0,
        [
            ("c", 2, "x", 0, 0, 7),
            ("a", 0, "x", 0, 1, 3),
            ("a", 0, "x", 0, 0, 2),
            ("b", 1, "x", 0, 0, 5),
        ],
        CASCADE_SCHEMA,
    )
    _write(out, "runs", 1, [("b", 1)], RUNS)
    _write(out, "cascades", 1, [("b", 1, "x", 0, 0, 50), ("b", 1, "x", 0, 1, 60)], CASCADE_SCHEMA)
    _write(out, "cascades", 2, [("d", 3, "x", 0, 0, 9)], CASCADE_SCHEMA)
    _write(out, "runs", 3, [("c", 2)], RUNS)
    _write(out, "cascades", 3, [], CASCADE_SCHEMA)
    return out


def test_the_later_attempt_wins_and_older_and_orphan_rows_are_dropped(hand_built):
    got = read_table(hand_built, "cascades")
    # a from part 0 (its only attempt), sorted by item; b only from part 1 (the sizes 50, 60,
    # not 5); c's attempt of part 3 had no cascades, so its part-0 row goes; d has no runs row
    assert got["run_id"].tolist() == ["a", "a", "b", "b"]
    assert got["item"].tolist() == [0, 1, 0, 1]
    assert got["size"].tolist() == [2, 3, 50, 60]
    assert list(got.columns) == CASCADE_SCHEMA.names


def test_the_table_equals_the_dict_filter_on_the_hand_built_folder(hand_built):
    pd.testing.assert_frame_equal(
        read_table(hand_built, "cascades"), _dict_read_table(hand_built, "cascades")
    )


def test_the_tables_equal_the_dict_filter_on_a_real_folder_with_a_rerun_and_a_lost_flush(
    tiny_spec, tmp_path
):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False, flush_every=2)
    runs_parts = parts(out, "runs")
    assert len(runs_parts) == 4
    # the first flush's runs recorded again after the others (a re-run), with other sizes
    nxt = part_seq(runs_parts[-1]) + 1
    shutil.copy(runs_parts[0], out / "runs" / f"part-{nxt:06d}.parquet")
    ts0 = parts(out, "timeseries")[0]
    shutil.copy(ts0, out / "timeseries" / f"part-{nxt:06d}.parquet")
    casc = pq.read_table(parts(out, "cascades")[0])
    i = casc.schema.get_field_index("size")
    later = casc.set_column(i, "size", pc.add(casc["size"], 1000))
    pq.write_table(later, out / "cascades" / f"part-{nxt:06d}.parquet")
    # a flush whose runs part never landed
    lost = set(pq.read_table(runs_parts[-1], columns=["run_id"])["run_id"].to_pylist())
    runs_parts[-1].unlink()
    for table in ("timeseries", "cascades"):
        new = read_table(out, table)
        pd.testing.assert_frame_equal(new, _dict_read_table(out, table))
    sizes = read_table(out, "cascades")
    rerun = set(pq.read_table(runs_parts[0], columns=["run_id"])["run_id"].to_pylist())
    again = sizes["run_id"].isin(rerun)
    assert again.any() and (~again).any()
    assert (sizes.loc[again, "size"] >= 1000).all() and (sizes.loc[~again, "size"] < 1000).all()
    assert not set(sizes["run_id"]) & lost
    assert not set(read_table(out, "timeseries")["run_id"]) & lost
