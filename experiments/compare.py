"""Run strategies on one seed side by side and print their final measures (docs/ODD.md, 7.13).

    python -m experiments.compare --users 5000 --days 7 --seed 1

Both runs share the population, the networks and every draw that the strategy does not touch
(common random numbers), so the differences come from the strategy alone (for this one seed;
the experiments package replicates and puts confidence intervals on them).
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from model import OpinionEcology
from model.measures import COHORTS, catalogue, column, final_measures, parse_column
from model.strategies import STRATEGY_PRESETS


def compare(
    strategies: list[str], n_users: int, days: float, seed: int, **overrides
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Final measures (rows) per strategy (columns), and each run's seconds."""
    cols, secs = {}, {}
    for name in strategies:
        t0 = time.perf_counter()
        m = OpinionEcology(
            seed=seed, strategy=name, n_users=n_users, steps=max(1, round(days * 24)), **overrides
        )
        m.run()
        cols[name] = final_measures(m)
        secs[name] = time.perf_counter() - t0
    return pd.DataFrame(cols), secs


def format_table(df: pd.DataFrame, base: str) -> str:
    """Overall measures, then one block per cohort, with the difference to ``base``."""
    out = df.copy()
    for col in df.columns:
        if col != base:
            out[f"{col} - {base}"] = df[col] - df[base]
    step = catalogue.names(when="step")
    blocks = [("overall", [*step, *catalogue.names(when="final")])]
    blocks += [
        (g, [column(m, g) for m in step if catalogue.measure(m).per_cohort]) for g in COHORTS
    ]
    lines = []
    for title, rows in blocks:
        sub = out.loc[[r for r in rows if r in out.index]]
        sub.index = [parse_column(r)[0] for r in sub.index]
        lines.append(f"\n== {title} ==")
        lines.append(sub.to_string(float_format=lambda v: f"{v:10.4f}"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m experiments.compare", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--users", type=int, default=5000, help="number of users (default 5000)")
    ap.add_argument(
        "--days", type=float, default=7.0, help="simulated days, 24 steps each (default 7)"
    )
    ap.add_argument("--seed", type=int, default=1, help="root seed shared by both runs (default 1)")
    ap.add_argument(
        "--strategies",
        default="one_way,interactive",
        help=f"comma-separated presets, the first is the baseline (from {', '.join(STRATEGY_PRESETS)})",
    )
    a = ap.parse_args(argv)
    names = [s.strip() for s in a.strategies.split(",") if s.strip()]
    bad = [s for s in names if s not in STRATEGY_PRESETS]
    if bad or not names:
        ap.error(
            f"unknown strategy {bad[0] if bad else '(none)'}; choose from {', '.join(STRATEGY_PRESETS)}"
        )
    try:
        df, secs = compare(names, a.users, a.days, a.seed)
    except (ValueError, TypeError) as e:
        ap.error(str(e))
    print(f"Opinion Ecology: {', '.join(names)} on seed {a.seed}, {a.users} users, {a.days:g} days")
    print(format_table(df, names[0]))
    print("\nseconds: " + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
