"""The Ding Zhen case study's spec (experiments/specs/ding_zhen.toml, docs/cases/ding_zhen.md):
it is the preset ``viral_creator`` written out, and it runs end to end at a tiny size (run,
report, explain, the case's figures), so that neither can rot."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from experiments import cases
from experiments.cli import main
from experiments.design import make_plan
from experiments.explain import mechanisms_of
from experiments.plan import load_plan
from experiments.results import load_results
from experiments.run import to_params
from experiments.spec import load_spec
from model import presets

SPEC = Path(__file__).parents[2] / "experiments" / "specs" / "ding_zhen.toml"
TINY = ["--set", "n_users=300", "--replicates", "2", "--steps", "24", "--quiet"]


def test_the_spec_is_viral_creator_written_out():
    """The ``ride`` arm with the competitors (background_ride_share 1) is the preset
    ``viral_creator`` (interactive, 20,000 users, five days) field for field, but the strategy's
    name; the ``no_ride`` arm differs from it only in the strategy's ride_trends."""
    spec = load_spec(SPEC)
    plan = make_plan(spec)
    point = next(i for i, p in enumerate(plan.points) if p["background_ride_share"] == 1.0)
    ride = to_params(plan.params[(point, "ride")])
    want = presets.viral_creator(n_users=20_000, strategy="interactive", days=5)
    assert ride.replace(strategy=want.strategy) == want
    assert ride.strategy.replace(name=want.strategy.name) == want.strategy
    no = to_params(plan.params[(point, "no_ride")])
    diff = [
        f.name
        for f in dataclasses.fields(no.strategy)
        if f.name != "name" and getattr(no.strategy, f.name) != getattr(ride.strategy, f.name)
    ]
    assert diff == ["ride_trends"]
    assert no.replace(strategy=ride.strategy) == ride


@pytest.mark.slow
def test_the_spec_runs_reports_explains_and_draws_at_a_tiny_size(tmp_path):
    """300 users, 24 steps, 2 replicates: run, report and explain (arm ``ride``) exit 0 and
    write their tables; the attribution has a total and a knock-out row for every mechanism of
    the spec's [explain]; the case's figures are written from the run folder (its replay
    reproduces every run's recorded followers, or it raises), and the paired gain is, by hand,
    the mean over replicates of (arm - baseline) followers x n_users; the figures name the two
    points "alone" and "with competitors"."""
    run, ex, figs = tmp_path / "run", tmp_path / "explain", tmp_path / "figs"
    assert main(["run", str(SPEC), "--out", str(run), *TINY]) == 0
    assert main(["report", str(run)]) == 0
    assert (run / "report.md").exists() and (run / "comparison.csv").exists()
    assert main(["explain", str(SPEC), "--out", str(ex), "--arm", "ride", *TINY]) == 0
    att = pd.read_csv(ex / "attribution.csv")
    knocked = set(att[att.method == "knock_out"].component)
    assert knocked == set(mechanisms_of(load_spec(SPEC)))
    assert "total" in set(att.component)
    paths = cases.figures(run, figs)
    assert [p.name for p in paths] == [
        "timeline.png", "topic_views.png", "follower_curve.png", "paired_gain.png",
    ]  # fmt: skip
    assert all(p.stat().st_size > 1000 for p in paths)
    runs = load_results(run).runs
    pg = cases.paired_gain(run)
    for (pid, arm), g in runs.groupby(["point_id", "arm"]):
        b = runs[(runs.point_id == pid) & (runs.arm == "no_ride")].set_index("replicate")
        d = (g.set_index("replicate").followers - b.followers) * 300
        row = pg[(pg.point_id == pid) & (pg.arm == arm)].iloc[0]
        assert row.delta == pytest.approx(d.mean(), abs=1e-9)
    plan = load_plan(run)
    shares = [p["background_ride_share"] for p in plan.points]
    assert sorted(shares) == [0.0, 1.0]
    want = {0.0: "alone", 1.0: "with competitors"}
    assert cases.point_labels(run) == {i: want[s] for i, s in enumerate(shares)}
    tr = cases.replay(run)  # cached now: the same table
    assert set(tr.columns) >= {"step", *cases.TRACE_COLUMNS}
    assert len(tr) == len(runs) * 24
    one = tr[(tr.point_id == 0) & (tr.arm == "ride") & (tr.replicate == 0)]
    assert one.step.tolist() == list(range(1, 25))
