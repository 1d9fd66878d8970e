"""``report`` writes every table, figure and the Markdown report; ``status`` and ``plan`` work."""

from __future__ import annotations

import pandas as pd
import pytest

import experiments
from experiments.cli import main

PNG = b"\x89PNG\r\n\x1a\n"

LHS = """
name = "tiny_lhs"
replicates = 1
root_seed = 3
steps = 8
metrics = ["reach", "engagement", "trust", "cascade_mean_size"]

[fixed]
n_users = 150

[design]
kind = "lhs"
n = 12

[design.ranges]
"strategy.reply_share" = [0.0, 0.5]
trust_shift = [-0.3, 0.3]

[arms]
one_way = "one_way"
interactive = "interactive"

[analysis]
headline = ["reach", "engagement", "trust"]
"""


@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_report_produces_every_file(tiny_spec, tmp_path, capsys):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False)
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "paired differences vs one_way" in printed and "interactive" in printed
    for name in ("summary.csv", "comparison.csv", "report.md"):
        assert (out / name).stat().st_size > 0
    for fig in ("trajectories", "forest", "generations", "cascade_ccdf"):
        assert (out / "figures" / f"{fig}.png").read_bytes()[:8] == PNG
    md = (out / "report.md").read_text()
    for section in (
        "## Experiment",
        "## Headline",
        "## For whom",
        "## Replication adequacy",
        "## Failures",
        "## Provenance",
    ):
        assert section in md
    for fig in ("trajectories", "forest", "generations", "cascade_ccdf"):
        assert f"(figures/{fig}.png)" in md
    comparison = pd.read_csv(out / "comparison.csv")
    for col in (
        "diff",
        "ci_lo",
        "ci_hi",
        "boot_lo",
        "boot_hi",
        "d_z",
        "a12",
        "r",
        "half_width",
        "adequate",
        "n_needed",
    ):
        assert col in comparison.columns
    # two points: one row per point and a pooled row (-1) per arm and measure column
    assert set(comparison["point_id"]) == {-1, 0, 1}
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["arm"]) == {"one_way", "interactive"}
    assert set(summary["generation"]) == {"all", "post00", "post90", "post80", "pre80"}


@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_report_of_a_hypercube_ranks_factors_and_draws_partial_dependence(write_spec, tmp_path):
    out = tmp_path / "lhs"
    experiments.run(write_spec(LHS), out, progress=False)
    assert main(["report", str(out)]) == 0
    sens = pd.read_csv(out / "sensitivity.csv")
    assert set(sens["factor"]) == {"strategy.reply_share", "trust_shift"}
    assert set(sens["measure"]) == {"reach", "engagement", "trust"}
    assert (pd.read_csv(out / "partial_dependence.csv")["n"] > 0).all()
    for fig in ("sensitivity", "partial_dependence", "forest"):
        assert (out / "figures" / f"{fig}.png").read_bytes()[:8] == PNG
    assert "## Where does the arm stop winning?" in (out / "report.md").read_text()


def test_status_and_plan_print_counts(tiny_spec, tmp_path, capsys):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False, overrides={"replicates": 1})
    assert main(["status", str(out)]) == 0
    assert "runs: 4 planned, 4 ok, 0 failed, 0 to do" in capsys.readouterr().out
    assert main(["plan", str(tiny_spec), "--pilot-steps", "2"]) == 0
    text = capsys.readouterr().out
    assert "2 design point(s) x 2 arms x 2 replicates = 8 runs" in text and "estimate:" in text
