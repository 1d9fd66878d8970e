"""The benchmark summary (summary.py) prints what the benchmarks recorded, with nothing timed.

These are plain tests (no ``benchmark`` fixture), so ``make test`` runs them: a summary that
dropped or garbled a figure would mislead whoever reads ``make bench``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "bench_summary", Path(__file__).with_name("summary.py")
)
assert _spec is not None and _spec.loader is not None
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)


def bench(name: str, **extra) -> dict:
    return {"name": name, "stats": {"mean": 1.5}, "extra_info": extra}


REFERENCE = bench(
    "test_interactive_run_against_reference[2000]",
    users=2000,
    steps=336,
    reference="b41c2b1",
    old_steady_ms_per_step=5.0,
    new_steady_ms_per_step=0.5,
    speedup_steady=10.0,
    speedup_fresh=4.0,
    speedup_cold=0.25,
    load_avg=[1.0, 2.5],
)
SPEC = bench(
    "test_runs_per_hour_of_spec[sobol-process-2]",
    spec="sobol",
    runs=12,
    of_runs=10240,
    distinct_runs=9600,
    workers=2,
    run_s_in_worker=3.0,
    runs_per_hour=2400.0,
    spec_hours=9600 / 2400,
    sobol_runs=10240,
    sobol_distinct_runs=9600,
    sobol_hours=9600 / 2400,
    workers_for_sobol_in_1h=9,
)
SCALE = bench(
    "test_step_at_scale_against_reference",
    users=100_000,
    reference="b41c2b1",
    old_ms_per_step=120.0,
    new_ms_per_step=100.0,
    speedup=1.2,
)
MEMORY = bench(
    "test_largest_population",
    users=1_000_000,
    steps=24,
    build_s=10.0,
    day_s=30.0,
    peak_MB=1600.0,
    bytes_per_user=1500.0,
    part_bytes_per_user={"state": 84.0, "screens": 174.0},
)


def test_issue_rows_carry_the_recorded_ratios_and_targets():
    rows = summary.issue_rows([MEMORY, SPEC, SCALE, REFERENCE, bench("test_unrelated", x=1)])
    # in the order of the issue's items, not of the JSON; unrelated benchmarks left out
    assert [r[0] for r in rows] == [
        "2,000-user interactive run, 336 steps, against b41c2b1",
        "default interactive step, 100,000 users, against b41c2b1",
        "sobol: first 12 of 9,600 distinct runs (10,240 planned), 2 processes",
        "1,000,000 users in a fresh process (24 steps)",
    ]
    ref, scale, spec, memory = rows
    assert "5.00 -> 0.50 ms/step" in ref[1]
    assert "steady 10.00x, fresh process 4.00x, cold compile 0.25x" in ref[1]
    assert ref[2] == ">= 10x (floor 5x)" and ref[3] == "1.0-2.5"
    assert scale[1] == "120.0 -> 100.0 ms/step: 1.20x" and scale[2] == ">= 1x (no slower)"
    assert spec[1] == (
        "2,400 runs/h (3.0 s a run); this spec 4.0 h here; full Sobol (9,600 distinct runs) "
        "4.0 h here, or 1 h on 9 Dask workers"
    )
    assert "1,500 bytes/user" in memory[1] and "state 84, screens 174" in memory[1]
    assert memory[2] == "<= 1,622 bytes/user at 10^6"


def test_issue_rows_of_the_step_sparse_and_ndlib_benchmarks():
    rows = summary.issue_rows(
        [
            bench(
                "test_step_rate[100000]", users=100_000, seconds_per_step=0.1, user_steps_per_s=1e6
            ),
            bench(
                "test_sparse_step_against_busy_step",
                users=100_000,
                sparse_active_share=0.01,
                busy_active_share=0.178,
                sparse_s_per_step=0.02,
                busy_s_per_step=0.1,
                ratio=0.2,
            ),
            bench(
                "test_independent_cascade_vs_ndlib[200000]",
                users=200_000,
                run_ratio=2.5,
                build_plus_run_ratio=5.0,
                project_reach=0.799,
                ndlib_reach=0.796,
            ),
        ]
    )
    step, sparse, ndlib = rows
    assert step[1] == "100.0 ms/step (1.00 M user-steps/s)"
    assert sparse[0] == "sparse step (1.0% active) / busy step (17.8%), 100,000 users"
    assert sparse[1] == "0.20 (20.0 / 100.0 ms)" and sparse[2] == "<= 0.2"
    assert ndlib[1] == "run 2.50x faster, build + run 5.00x (reach 0.799 / NDlib 0.796)"


def test_a_missing_figure_is_named_not_fatal():
    old = bench("test_sparse_step_against_busy_step", users=100_000, ratio=0.5)
    (row,) = summary.issue_rows([old])
    assert row[0] == "test_sparse_step_against_busy_step"
    assert "missing figure" in row[1] and "sparse_active_share" in row[1]


def test_table_wraps_long_cells_in_their_column():
    rows = [("a", "word " * 30, "t", ""), ("bbbb", "short", "", "2.0-3.0")]
    text = summary.table(("what", "measured", "target", "load"), rows, wrap=20)
    lines = text.splitlines()
    assert lines[0].split() == ["what", "measured", "target", "load"]
    col = lines[0].index("measured")
    body = lines[2:]
    wrapped = [ln for ln in body if "word" in ln]
    # the long cell goes on over several lines, each starting in the measured column,
    # with every one of its words kept
    assert len(wrapped) > 1 and all(ln.index("word") == col for ln in wrapped)
    assert sum(ln.split().count("word") for ln in wrapped) == 30
    assert body[-1].split() == ["bbbb", "short", "2.0-3.0"]


def test_main_prints_both_tables(tmp_path, capsys):
    path = tmp_path / "latest.json"
    path.write_text(json.dumps({"machine_info": {}, "benchmarks": [REFERENCE, SPEC]}))
    assert summary.main(str(path)) == 0
    out = capsys.readouterr().out
    assert "Issue 18" in out and "steady 10.00x" in out
    assert "speedup_steady=10" in out and "load_avg=[1, 2.5]" in out
