"""Design and seeds (common random numbers), and agreement with ``mesa.batch_run``."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

import experiments
from experiments.design import build_tasks, design_points, replicate_seed
from experiments.spec import load_spec, parse_spec
from experiments.store import read_table
from model import OpinionEcology
from model.measures import STEP_MEASURES


def test_replicate_r_has_one_seed_in_every_arm_and_point_and_seeds_differ_between_replicates(
    tiny_spec,
):
    tasks = build_tasks(load_spec(tiny_spec))
    by_rep: dict[int, set[int]] = {}
    for t in tasks:
        by_rep.setdefault(t.replicate, set()).add(t.seed)
    assert all(len(s) == 1 for s in by_rep.values())
    assert len({next(iter(s)) for s in by_rep.values()}) == len(by_rep)
    assert tasks[0].seed == replicate_seed(99, 0)
    # interleaved order: replicate, then point, then arm
    assert [t.run_id for t in tasks[:4]] == [
        "p000-one_way-r000",
        "p000-interactive-r000",
        "p001-one_way-r000",
        "p001-interactive-r000",
    ]


def test_lhs_points_are_stratified_within_the_ranges_and_integers_are_rounded():
    spec = parse_spec(
        {
            "name": "x",
            "steps": 2,
            "fixed": {"n_users": 50},
            "arms": ["one_way", "interactive"],
            "design": {
                "kind": "lhs",
                "n": 10,
                "seed": 4,
                "ranges": {
                    "trust_shift": [-0.3, 0.3],
                    "community_fanout": [0, 50],
                    "mix.young_share": [0.2, 0.8],
                },
            },
        }
    )
    pts = design_points(spec)
    ts = np.array([p["trust_shift"] for p in pts])
    assert len(pts) == 10 and ((ts >= -0.3) & (ts <= 0.3)).all()
    # one point in each tenth of the range (Latin hypercube)
    assert sorted(((ts + 0.3) / 0.06).astype(int)) == list(range(10))
    assert all(isinstance(p["community_fanout"], int) for p in pts)
    t = build_tasks(spec)[1]
    mix = [t.params[k] for k in ("mix_post00", "mix_post90", "mix_post80", "mix_pre80")]
    assert mix[0] + mix[1] == pytest.approx(t.factors["mix.young_share"])
    assert mix[0] / mix[1] == pytest.approx(0.20 / 0.25) and sum(mix) == pytest.approx(1.0)


def test_sobol_design_has_n_points():
    spec = parse_spec(
        {
            "name": "x",
            "steps": 2,
            "fixed": {"n_users": 50},
            "arms": ["one_way"],
            "design": {"kind": "sobol", "n": 8, "ranges": {"attention_scale": [0.5, 2.0]}},
        }
    )
    assert len(design_points(spec)) == 8


def test_mesa_batch_run_agrees_with_the_runner_for_the_same_seeds(tmp_path):
    from mesa.batchrunner import batch_run

    spec = parse_spec(
        {
            "name": "compat",
            "steps": 12,
            "replicates": 2,
            "root_seed": 8,
            "fixed": {"n_users": 200},
            "arms": ["one_way", "interactive"],
        }
    )
    experiments.run(spec, tmp_path / "out", progress=False)
    ours = read_table(tmp_path / "out", "runs")
    seeds = sorted(set(ours["seed"]))
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        rows = batch_run(
            OpinionEcology,
            parameters={"n_users": 200, "steps": 12, "strategy": ["one_way", "interactive"]},
            rng=seeds,
            max_steps=12,
            number_processes=1,
            data_collection_period=-1,
            display_progress=False,
        )
    finally:  # batch_run forces the global start method to spawn
        multiprocessing.set_start_method(method, force=True)
    assert len(rows) == 4
    columns = [c for c in ours.columns if c.split("[")[0] in STEP_MEASURES]
    for row in rows:
        mine = ours[(ours["seed"] == row["seed"]) & (ours["arm"] == row["strategy"])]
        assert len(mine) == 1 and row["Step"] == 12
        for c in columns:
            np.testing.assert_equal(mine[c].iloc[0], row[c], err_msg=c)


def test_list_design_and_opt_in_agent_data(tmp_path):
    spec = parse_spec(
        {
            "name": "agents",
            "steps": 3,
            "replicates": 1,
            "fixed": {"n_users": 60},
            "points": [{"trust_shift": 0.1}, {"trust_shift": -0.1, "strategy.reply_share": 0.3}],
            "agent_metrics": ["generation", "opinion", "trust"],
            "arms": ["one_way", "interactive"],
        }
    )
    assert spec.design.kind == "list"
    experiments.run(spec, tmp_path / "out", progress=False)
    res = experiments.load_results(tmp_path / "out")
    runs = res.runs.set_index("run_id")
    assert runs.loc["p001-interactive-r000", "param.strategy.reply_share"] == 0.3
    assert runs.loc["p001-one_way-r000", "param.strategy.reply_share"] == 0
    agents = res.agents()
    assert len(agents) == 4 * 60 and set(agents.columns) >= {
        "run_id",
        "agent",
        "generation",
        "opinion",
        "trust",
    }
    assert agents.groupby("run_id")["agent"].nunique().eq(60).all()
    model = OpinionEcology(
        n_users=60, seed=int(runs.loc["p000-one_way-r000", "seed"]), trust_shift=0.1, steps=3
    ).run()
    mine = agents[agents["run_id"] == "p000-one_way-r000"]
    np.testing.assert_array_equal(mine["opinion"].to_numpy(), model.state.opinion)
