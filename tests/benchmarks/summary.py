"""Print the figures the benchmarks recorded (``make bench`` calls this).

python tests/benchmarks/summary.py .benchmarks/latest.json

Two tables: first the figures issue 18 ("ten times the runs per hour") asks for, one line each
with its target beside it (the targets are printed, never asserted: a benchmark does not fail
on a time); then every benchmark with all of its ``extra_info``. Ratios are measured inside one
benchmark, both sides under the same load, so they hold on a busy machine; absolute times do
not, hence the load average (at the start and the end of each benchmark) in the last column.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable
from typing import Any

Row = tuple[str, str, str, str]


def _x(v: float) -> str:
    return f"{v:.2f}x"


def _reference(b: dict, e: dict) -> Row:
    return (
        f"{e['users']:,}-user interactive run, {e['steps']} steps, against {e['reference']}",
        f"{e['old_steady_ms_per_step']:.2f} -> {e['new_steady_ms_per_step']:.2f} ms/step: "
        f"steady {_x(e['speedup_steady'])}, fresh process {_x(e['speedup_fresh'])}, "
        f"cold compile {_x(e['speedup_cold'])}",
        ">= 10x (floor 5x)" if e["users"] == 2000 else "",
        _load(e),
    )


def _scale(b: dict, e: dict) -> Row:
    return (
        f"default interactive step, {e['users']:,} users, against {e['reference']}",
        f"{e['old_ms_per_step']:.1f} -> {e['new_ms_per_step']:.1f} ms/step: {_x(e['speedup'])}",
        ">= 1x (no slower)",
        _load(e),
    )


def _step_rate(b: dict, e: dict) -> Row:
    return (
        f"default interactive step, {e['users']:,} users",
        f"{1000 * e['seconds_per_step']:.1f} ms/step ({e['user_steps_per_s'] / 1e6:.2f} M "
        "user-steps/s)",
        "no slower than before issue 18" if e["users"] == 100_000 else "",
        _load(e),
    )


def _sparse(b: dict, e: dict) -> Row:
    return (
        f"sparse step ({e['sparse_active_share']:.1%} active) / busy step "
        f"({e['busy_active_share']:.1%}), {e['users']:,} users",
        f"{e['ratio']:.2f} ({1000 * e['sparse_s_per_step']:.1f} / "
        f"{1000 * e['busy_s_per_step']:.1f} ms)",
        "<= 0.2",
        _load(e),
    )


def _spec(b: dict, e: dict) -> Row:
    how = "serial" if e["workers"] == 1 else f"{e['workers']} processes"
    return (
        f"{e['spec']}: first {e['runs']} of {e['distinct_runs']:,} distinct runs "
        f"({e['of_runs']:,} planned), {how}",
        f"{e['runs_per_hour']:,.0f} runs/h ({e['run_s_in_worker']:.1f} s a run); this spec "
        f"{e['spec_hours']:.1f} h here; full Sobol ({e['sobol_distinct_runs']:,} distinct runs) "
        f"{e['sobol_hours']:.1f} h here, or 1 h on {e['workers_for_sobol_in_1h']} Dask workers",
        "",
        _load(e),
    )


def _ndlib(b: dict, e: dict) -> Row:
    return (
        f"independent cascade against NDlib, {e['users']:,} users",
        f"run {_x(e['run_ratio'])} faster, build + run {_x(e['build_plus_run_ratio'])} "
        f"(reach {e['project_reach']:.3f} / NDlib {e['ndlib_reach']:.3f})",
        "",
        _load(e),
    )


def _memory(b: dict, e: dict) -> Row:
    parts = e.get("part_bytes_per_user") or {
        k: 1e6 * v / e["users"] for k, v in e.get("parts_MB", {}).items()
    }
    by_part = ", ".join(f"{k} {v:,.0f}" for k, v in parts.items())
    day = f"build {e['build_s']:.1f} s, {e['steps']} steps {e.get('day_s', e.get('run_s')):.1f} s"
    return (
        f"{e['users']:,} users in a fresh process ({e['steps']} steps)",
        f"{e['bytes_per_user']:,.0f} bytes/user, peak {e['peak_MB']:,.0f} MB; by part: "
        f"{by_part}; {day}",
        "<= 1,622 bytes/user at 10^6" if e["users"] == 1_000_000 else "",
        _load(e),
    )


#: benchmark name (without its parameters) -> the line of the issue-18 table it gives
ISSUE_18: dict[str, Callable[[dict, dict], Row]] = {
    "test_interactive_run_against_reference": _reference,
    "test_step_at_scale_against_reference": _scale,
    "test_step_rate": _step_rate,
    "test_sparse_step_against_busy_step": _sparse,
    "test_runs_per_hour_of_spec": _spec,
    "test_independent_cascade_vs_ndlib": _ndlib,
    "test_largest_population": _memory,
    "test_peak_memory_per_user": _memory,
}


def _load(e: dict) -> str:
    la = e.get("load_avg")
    return f"{la[0]:.1f}-{la[1]:.1f}" if la else ""


def issue_rows(benchmarks: list[dict]) -> list[Row]:
    """The issue-18 lines, in the order of ``ISSUE_18``; a benchmark that did not run gives none."""
    rows = []
    for name, row in ISSUE_18.items():
        for b in benchmarks:
            if b["name"].split("[")[0] == name:
                try:
                    rows.append(row(b, b.get("extra_info", {})))
                except (KeyError, TypeError) as exc:  # an older JSON without that figure
                    rows.append((b["name"], f"(missing figure {exc})", "", ""))
    return rows


def table(header: Row, rows: list[Row], wrap: int = 72) -> str:
    """Rows in columns as wide as their widest cell; cells longer than ``wrap`` go on to
    further lines of their column."""
    split = [[textwrap.wrap(c, wrap) or [""] for c in r] for r in [header, *rows]]
    widths = [max(len(x) for r in split for x in r[i]) for i in range(len(header))]
    lines = []
    for r in split:
        for k in range(max(len(c) for c in r)):
            cells = [(c[k] if k < len(c) else "").ljust(w) for c, w in zip(r, widths, strict=True)]
            lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * sum(w + 2 for w in widths))
    return "\n".join(lines)


def main(path: str) -> int:
    with open(path) as f:
        data = json.load(f)
    mi = data.get("machine_info", {})
    bench = data["benchmarks"]
    print(
        f"\nmachine: {os.cpu_count()} cores, {mi.get('cpu', {}).get('brand_raw', '?')}, "
        f"python {mi.get('python_version')}, {data.get('datetime', '')}"
    )
    rows = issue_rows(bench)
    if rows:
        print("\nIssue 18: ten times the runs per hour (targets printed, not asserted)\n")
        print(table(("what", "measured", "target", "load"), rows))
    print("\nEvery benchmark: mean seconds of the timed call, and everything it recorded\n")
    for b in bench:
        extra = ", ".join(f"{k}={_fmt(v)}" for k, v in b.get("extra_info", {}).items())
        print(f"{b['name']:55s} {b['stats']['mean']:9.3f} s  {extra}")
    return 0


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".benchmarks/latest.json"))
