"""Do two result folders of the same experiment agree? (an engine change, a new release)

    python -m experiments.agree results/old results/new

Both folders must hold the same spec run to completion and reported (``comparison.csv``).
For every arm against the baseline and every headline measure (overall, and per generation
with ``--cohorts``) it prints each folder's paired difference with its 95% interval and two
checks:

- **inside**: each folder's difference lies inside the other's 95% CI (the check an engine
  change is asked to pass). When the two folders draw independent noise (a change that moves
  the random streams or the order of float operations), each check passes with probability
  P(|Z| < 1.96 / sqrt 2) = 0.83 even when both engines are the same model; with identical
  streams and bits both differences are equal and it always passes.
- **z**: the two differences compared as independent estimates, z = (d_new - d_old) /
  sqrt(se_old^2 + se_new^2), flagged at |z| > 1.96 (a 5% false alarm per measure) and counted
  against the number of alarms expected by chance.

Exit status 0 when no measure fails both checks, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd


class AgreeError(ValueError):
    """The two folders cannot be compared (missing files, different experiments)."""


def _load(folder: Path) -> tuple[pd.DataFrame, dict]:
    comp, manifest = folder / "comparison.csv", folder / "manifest.json"
    if not manifest.exists():
        raise AgreeError(f"{folder}: no manifest.json (not an experiment's output folder)")
    if not comp.exists():
        raise AgreeError(
            f"{folder}: no comparison.csv; run 'python -m experiments report {folder}' first"
        )
    spec = json.loads(manifest.read_text())["spec"]
    return pd.read_csv(comp, low_memory=False), spec


def agreement(old: Path, new: Path, cohorts: bool = False) -> pd.DataFrame:
    """One row per (point, arm, measure, generation): both differences, CIs and the checks."""
    a, spec_a = _load(Path(old))
    b, spec_b = _load(Path(new))
    differ = sorted(k for k in spec_a.keys() | spec_b.keys() if spec_a.get(k) != spec_b.get(k))
    if differ:
        raise AgreeError(f"the folders ran different experiments (spec keys differ: {differ})")
    head_a = list(spec_a["analysis"]["headline"])
    keys = ["point_id", "arm", "measure", "generation"]
    cols = ["diff", "ci_lo", "ci_hi", "half_width", "n"]
    sel = lambda d: d[d["measure"].isin(head_a) & (cohorts | (d["generation"] == "all"))]  # noqa: E731
    m = sel(a)[keys + cols].merge(sel(b)[keys + cols], on=keys, suffixes=("_old", "_new"))
    if m.empty:
        raise AgreeError("the folders share no (point, arm, measure): not the same spec?")
    m["new_in_old"] = (m["diff_new"] >= m["ci_lo_old"]) & (m["diff_new"] <= m["ci_hi_old"])
    m["old_in_new"] = (m["diff_old"] >= m["ci_lo_new"]) & (m["diff_old"] <= m["ci_hi_new"])
    se_old = m["half_width_old"] / 1.96
    se_new = m["half_width_new"] / 1.96
    se = (se_old**2 + se_new**2) ** 0.5
    m["z"] = (m["diff_new"] - m["diff_old"]) / se.where(se > 0)
    m["z_alarm"] = m["z"].abs() > 1.96
    # identical differences (same streams, same bits) agree whatever their spread
    m.loc[m["diff_new"] == m["diff_old"], ["z", "z_alarm"]] = [0.0, False]
    m["fails"] = ~(m["new_in_old"] & m["old_in_new"]) & m["z_alarm"]
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m experiments.agree", description=__doc__.split("\n")[0]
    )
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--cohorts", action="store_true", help="also compare per generation")
    a = ap.parse_args(argv)
    try:
        m = agreement(a.old, a.new, a.cohorts)
    except AgreeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    show = m[
        ["arm", "measure", "generation", "diff_old", "ci_lo_old", "ci_hi_old", "diff_new"]
        + ["ci_lo_new", "ci_hi_new", "new_in_old", "old_in_new", "z"]
    ]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(show.to_string(index=False, float_format=lambda v: f"{v:+.4f}"))
    n = len(m)
    both_inside = int((m["new_in_old"] & m["old_in_new"]).sum())
    alarms = int(m["z_alarm"].sum())
    print(
        f"\n{both_inside} of {n} differences lie inside each other's 95% CI "
        f"(expected about {math.floor(0.83 * n)} or more for independent noise, all if the bits "
        f"are the same); {alarms} z alarms at |z| > 1.96 (about {0.05 * n:.1f} expected by "
        f"chance); {int(m['fails'].sum())} fail both checks"
    )
    return 1 if m["fails"].any() else 0


if __name__ == "__main__":
    sys.exit(main())
