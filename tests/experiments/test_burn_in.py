"""``burn_in``: one burn-in per design point and replicate, every arm branched from it.

The reference for every check is a model run by hand: the baseline arm with a burn-in is the
baseline model run ``burn_in + steps`` steps uninterrupted; another arm is that model after
``burn_in`` steps, branched to the arm's strategy and run ``steps`` more.
"""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments.plan import make_plan
from experiments.run import build_model, to_params
from experiments.spec import SpecError, load_spec
from experiments.store import SNAPSHOT_DIR, TIMING_COLUMNS, read_table
from model import OpinionEcology
from model.measures import final_measures
from tests.experiments.exp_specs import TINY

run_module = importlib.import_module("experiments.run")

BURN = 8
#: TINY (2 points x 2 arms x 2 replicates, 200 users, 12 steps) after an 8-step burn-in.
BURNED = TINY.replace("steps = 12\n", f"steps = 12\nburn_in = {BURN}\n")


@pytest.fixture
def burned_spec(write_spec):
    return write_spec(BURNED, "burned.toml")


@pytest.fixture
def serial_out(burned_spec, tmp_path):
    out = tmp_path / "serial"
    s = experiments.run(burned_spec, out, progress=False)
    assert (s.planned, s.ran, s.failed) == (8, 8, 0)
    return out


def _snapshots(out):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / SNAPSHOT_DIR).iterdir()}


def test_one_snapshot_per_point_and_replicate_each_at_the_burn_in_step(serial_out):
    snaps = sorted((serial_out / SNAPSHOT_DIR).iterdir())
    assert len(snaps) == 4  # 2 design points x 2 replicates; the arms share them
    for p in snaps:
        m = OpinionEcology.load(p)
        assert m.steps == BURN and m.strategy.name == "one_way"


def test_arms_match_models_run_and_branched_by_hand(burned_spec, serial_out):
    runs = read_table(serial_out, "runs").set_index("run_id")
    assert runs["steps_run"].eq(12).all()
    for task in make_plan(load_spec(burned_spec)).tasks():
        m = OpinionEcology(to_params(task.burn_in_params), seed=task.seed)
        m.run(BURN)
        if task.arm != "one_way":
            m = m.branch(strategy=to_params(task.params).strategy)
        m.run(12)
        assert m.steps == BURN + 12
        want = final_measures(m)
        got = runs.loc[task.run_id]
        for c in ("reach", "trust", "belonging", "valence", "engagement", "replies"):
            assert got[c] == want[c] or (np.isnan(got[c]) and np.isnan(want[c])), c


def test_arms_share_step_zero_and_differ_afterwards(serial_out):
    ts = read_table(serial_out, "timeseries")
    assert sorted(ts["step"].unique()) == [0, 4, 8, 12]  # counted from the branch
    measures = [c for c in ("reach", "trust", "belonging", "valence", "stickiness") if c in ts]
    key = ["point_id", "replicate", "step"]
    one_way = ts[ts["arm"] == "one_way"].set_index(key)[measures].sort_index()
    interactive = ts[ts["arm"] == "interactive"].set_index(key)[measures].sort_index()
    start = one_way.index.get_level_values("step") == 0
    pd.testing.assert_frame_equal(one_way[start], interactive[start])
    assert not one_way[~start].equals(interactive[~start])


def test_the_branched_models_start_from_identical_state(burned_spec, serial_out):
    """At the branch, every arm's model is the burn-in's: same digest but for the strategy."""
    from tests.golden.cases import state_digest

    tasks = make_plan(load_spec(burned_spec)).tasks()
    snapshot = serial_out / SNAPSHOT_DIR
    models = {}
    for t in tasks[:2]:  # the two arms of point 0, replicate 0
        key = experiments.design.burn_in_of(t).key
        models[t.arm] = build_model(
            dataclasses.replace(t, snapshot=str(snapshot / f"{key}.snapshot"))
        )
    a, b = (
        {k: v for k, v in state_digest(m).items() if not k.startswith("model.outlet[")}
        for m in models.values()
    )
    assert a == b
    assert models["one_way"].strategy.name == "one_way"
    assert models["interactive"].strategy.reply_share > 0


def test_resume_reuses_the_stored_snapshots(burned_spec, serial_out, tmp_path, monkeypatch):
    out = tmp_path / "interrupted"
    real_run, real_burn = run_module.run_one, run_module.burn_one
    calls: list[str] = []

    def interrupted(task):
        calls.append(task.run_id)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_run(task)

    monkeypatch.setattr(run_module, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        experiments.run(burned_spec, out, progress=False, flush_every=1)
    assert len(_snapshots(out)) == 4  # every burn-in ran before the first arm
    # runs 0-1 (replicate 0's point 0, both arms) are recorded, and run 2 if it finished
    # before the interrupt
    done = len(read_table(out, "runs"))
    assert done in (2, 3)
    key = {
        (t.point_id, t.replicate): f"{experiments.design.burn_in_of(t).key}.snapshot"
        for t in make_plan(load_spec(burned_spec)).tasks()
    }
    # one snapshot only recorded runs used, and one the remaining runs need, went missing
    (out / SNAPSHOT_DIR / key[(0, 0)]).unlink()
    (out / SNAPSHOT_DIR / key[(1, 1)]).unlink()
    before = _snapshots(out)
    burns: list[str] = []

    def counted(task):
        burns.append(f"{task.key}.snapshot")
        return real_burn(task)

    monkeypatch.setattr(run_module, "run_one", real_run)
    monkeypatch.setattr(run_module, "burn_one", counted)
    s = experiments.run(burned_spec, out, progress=False, resume=True)
    assert s.skipped == done and s.ran == 8 - done and s.failed == 0
    assert burns == [key[(1, 1)]]  # only the missing one that is needed ran again
    after = _snapshots(out)
    assert {k: after[k] for k in before} == before  # the others were not rewritten
    assert set(after) == {*before, key[(1, 1)]}
    for x, y in zip(_tables(serial_out), _tables(out), strict=True):
        pd.testing.assert_frame_equal(x, y)


def _tables(out):
    runs = read_table(out, "runs").drop(columns=list(TIMING_COLUMNS))
    return runs, read_table(out, "timeseries"), read_table(out, "cascades")


def _same_as(serial_out, spec, out, **kw):
    s = experiments.run(spec, out, progress=False, flush_every=3, **kw)
    assert (s.ran, s.failed) == (8, 0)
    for x, y in zip(_tables(serial_out), _tables(out), strict=True):
        assert len(x) > 0
        pd.testing.assert_frame_equal(x, y)
    assert _snapshots(out).keys() == _snapshots(serial_out).keys()


@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_serial_and_process_executors_give_identical_tables(burned_spec, serial_out, tmp_path):
    _same_as(serial_out, burned_spec, tmp_path / "process2", executor="process", workers=2)


@pytest.mark.slow  # a Dask LocalCluster takes tens of seconds to start on a busy machine
def test_serial_and_dask_executors_give_identical_tables(burned_spec, serial_out, tmp_path):
    pytest.importorskip("dask.distributed")
    _same_as(serial_out, burned_spec, tmp_path / "dask2", executor="dask", workers=2)


def test_a_failed_burn_in_fails_its_arms_with_its_error(write_spec, tmp_path):
    spec = write_spec(
        'model = "tests.experiments.failing_model:AlwaysFailingModel"\n' + BURNED, "failing.toml"
    )
    s = experiments.run(spec, tmp_path / "out", progress=False)
    assert (s.ran, s.failed) == (8, 8)
    runs = read_table(tmp_path / "out", "runs")
    assert runs["error"].str.startswith("burn-in: RuntimeError: deliberate failure").all()
    assert not list((tmp_path / "out" / SNAPSHOT_DIR).iterdir())


@pytest.mark.parametrize("value", ["-1", "2.5", '"ten"', "true"])
def test_bad_burn_in_values_name_the_key(write_spec, value):
    path = write_spec(TINY.replace("steps = 12\n", f"steps = 12\nburn_in = {value}\n"))
    with pytest.raises(SpecError, match=r"burn_in") as e:
        load_spec(path)
    assert "[0, 1000000]" in str(e.value)  # what is allowed
    assert str(e.value).count("\n") == 0


def test_arms_that_differ_in_a_built_field_are_refused(burned_spec, monkeypatch):
    import model.snapshot

    monkeypatch.setattr(model.snapshot, "branch_fixed", lambda *a, **k: frozenset({"strategy"}))
    with pytest.raises(SpecError, match=r"arm 'interactive' differs from the baseline arm "):
        load_spec(burned_spec)


def test_without_a_burn_in_the_stored_spec_is_unchanged(tiny_spec, burned_spec):
    """Results stored before ``burn_in`` existed resume: the key is absent when it is 0."""
    assert "burn_in" not in load_spec(tiny_spec).runs_dict()
    assert load_spec(burned_spec).runs_dict()["burn_in"] == BURN
    assert all(t.burn_in_params is None for t in make_plan(load_spec(tiny_spec)).tasks())


def test_overwrite_deletes_the_snapshots(burned_spec, serial_out):
    marker = serial_out / SNAPSHOT_DIR / "stale.snapshot"
    marker.write_bytes(b"old")
    experiments.run(burned_spec, serial_out, progress=False, overwrite=True)
    assert not marker.exists() and len(_snapshots(serial_out)) == 4


def test_plan_counts_the_burn_ins_in_its_estimate(burned_spec, capsys):
    from experiments.cli import main

    assert main(["plan", str(burned_spec), "--pilot-steps", "2"]) == 0
    out = capsys.readouterr().out
    # 2 design points x 2 replicates, with the baseline arm's parameters
    assert "burn-in: 4 of 8 steps (one per design point and replicate, arm one_way)" in out
    assert "estimate:" in out


def test_the_report_says_time_counts_from_the_branch(serial_out):
    from experiments.report import write_report

    write_report(serial_out, figures=False)
    text = (serial_out / "report.md").read_text(encoding="utf-8")
    assert "after a burn-in of 8 steps" in text
    assert "step 0 of the time series is the branch" in text


def test_the_example_spec_loads_with_one_burn_in_per_replicate():
    from pathlib import Path

    path = Path(__file__).parents[2] / "experiments" / "specs" / "burn_in_example.toml"
    spec = load_spec(path)
    assert (spec.burn_in, spec.steps, spec.analysis.baseline) == (72, 48, "one_way")
    burn_ins = make_plan(spec).burn_ins()
    assert len(burn_ins) == spec.replicates
    assert {b.params["strategy"]["name"] for b in burn_ins.values()} == {"one_way"}
    assert {b.params["steps"] for b in burn_ins.values()} == {72 + 48}


def test_explain_refuses_a_knock_out_a_branch_cannot_make(tmp_path):
    """explain's derived arms branch from the burn-in too: a knock-out of a built field (a rule
    parameter) is refused before anything runs; one of a step-time field runs."""
    from pathlib import Path

    toy = (Path(__file__).with_name("explain_toy.toml")).read_text(encoding="utf-8")
    path = tmp_path / "toy.toml"
    path.write_text(
        toy.replace("[explain]\n", '[explain]\nchurn = { "following.churn_prob" = 0.0 }\n'),
        encoding="utf-8",
    )
    spec = load_spec(path, {"burn_in": 4})
    with pytest.raises(SpecError, match=r"differs from the baseline arm .* in following"):
        experiments.explain(spec, tmp_path / "out", progress=False, figures=False)
    assert not (tmp_path / "out" / "runs").exists()
