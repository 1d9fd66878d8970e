"""Regenerate docs/validation.md and its figures: ``python -m validation`` (``make validate``).

Seeds, replicates and grids are fixed (:mod:`validation.design`), so the numbers are the same
on every run; only the timings change. Runs go to a process pool (``--jobs``, default: every
core available to this process).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from experiments.executors import default_workers
from validation.report import load_average, write_report
from validation.runs import run_all

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Run every check, write the report, print the verdicts; exit 1 if any check fails."""
    ap = argparse.ArgumentParser(
        prog="python -m validation",
        description="Regenerate docs/validation.md and its figures: the engine against theory.",
    )
    ap.add_argument("--jobs", type=int, default=default_workers(), help="worker processes")
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "validation.md",
        help="the report (figures go to figures/ beside it)",
    )
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be at least 1, got {args.jobs}")
    load = load_average()
    t0 = time.perf_counter()
    results = run_all(args.jobs)
    verdicts = write_report(results, t0, args.jobs, args.out, load=load)
    print("\n".join(verdicts))
    print(f"wrote {args.out} in {time.perf_counter() - t0:.0f} s")
    return 0 if all(v.endswith("PASS") for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
