"""Identical runs of a sweep run once (experiments.reuse): same tables, fewer model runs."""

from __future__ import annotations

import dataclasses
import importlib

import pandas as pd
import pytest

import experiments
import experiments.reuse
from experiments.plan import make_plan
from experiments.reuse import run_distinct, run_key
from experiments.spec import load_spec
from experiments.store import TIMING_COLUMNS, read_table

run_module = importlib.import_module("experiments.run")

#: Four lever settings (interactive arm only) x 3 scenarios x 2 arms x 1 replicate = 24 runs.
#: The one-way arm gets no lever, so its 3 scenarios repeat at all 4 settings: 12 interactive
#: runs and 3 one-way runs are distinct, 15 in all.
LEVERS = """
name = "levers"
replicates = 1
root_seed = 5
steps = 6
measure_every = 3
settle_window = 3

[fixed]
n_users = 150

[levers]
"strategy.community_share" = [0.1, 0.0]
"strategy.follow_up" = [true, false]

[uncertainties]
trust_shift = [-0.2, 0.2]
"mix.young_share" = [0.3, 0.6]

[design]
kind = "lhs"
n = 3

[arms]
one_way = "one_way"
interactive = "interactive"
"""


def _count_runs(monkeypatch) -> list[str]:
    real, calls = run_module.run_one, []

    def counted(task):
        calls.append(task.run_id)
        return real(task)

    monkeypatch.setattr(run_module, "run_one", counted)
    return calls


def _tables(out):
    runs = read_table(out, "runs").drop(columns=list(TIMING_COLUMNS))
    return [runs, read_table(out, "timeseries"), read_table(out, "cascades")]


def _every_run(run_tasks, tasks, **kw):
    return run_tasks(tasks)


def test_run_key_ignores_the_labels_and_keeps_what_a_run_computes(write_spec):
    tasks = make_plan(load_spec(write_spec(LEVERS))).tasks()
    assert len(tasks) == 24
    keys = [run_key(t) for t in tasks]
    assert len(set(keys)) == 15
    for arm, distinct in (("one_way", 3), ("interactive", 12)):
        assert len({k for k, t in zip(keys, tasks, strict=True) if t.arm == arm}) == distinct
    t = tasks[0]
    relabelled = dataclasses.replace(t, run_id="x", index=99, point_id=7, factors={"a": 1})
    assert run_key(relabelled) == run_key(t)
    for change in ({"seed": t.seed + 1}, {"steps": t.steps + 1}, {"arm": "other"}):
        assert run_key(dataclasses.replace(t, **change)) != run_key(t), change
    params = dict(t.params, trust_shift=t.params["trust_shift"] + 1e-15)
    assert run_key(dataclasses.replace(t, params=params)) != run_key(t)


def test_run_distinct_runs_each_group_once_and_labels_every_copy(write_spec):
    tasks = make_plan(load_spec(write_spec(LEVERS))).tasks()
    sent = []

    @dataclasses.dataclass
    class Out:
        task: object
        value: str

    def run_tasks(batch):
        sent.extend(batch)
        # a worker returns a copy of its task (pickled), in any order
        for t in reversed(batch):
            yield Out(dataclasses.replace(t), run_key(t))

    outs = list(run_distinct(run_tasks, tasks))
    assert len(sent) == 15 and len({run_key(t) for t in sent}) == 15
    assert sorted(o.task.run_id for o in outs) == sorted(t.run_id for t in tasks)
    for o in outs:
        assert o.value == run_key(o.task)  # each row carries the output of an identical task


def test_a_sweep_with_repeated_runs_gives_the_tables_of_running_every_run(
    write_spec, tmp_path, monkeypatch
):
    spec = write_spec(LEVERS)
    calls = _count_runs(monkeypatch)
    experiments.run(spec, tmp_path / "shared", progress=False, flush_every=4)
    assert len(calls) == 15
    calls.clear()
    monkeypatch.setattr(experiments.reuse, "run_distinct", _every_run)
    experiments.run(spec, tmp_path / "every", progress=False, flush_every=4)
    assert len(calls) == 24
    for a, b in zip(_tables(tmp_path / "shared"), _tables(tmp_path / "every"), strict=True):
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_an_interrupted_sweep_with_repeated_runs_resumes_to_the_same_tables(
    write_spec, tmp_path, monkeypatch
):
    spec = write_spec(LEVERS)
    experiments.run(spec, tmp_path / "reference", progress=False)
    real, calls = run_module.run_one, []

    def interrupted(task):
        calls.append(task.run_id)
        if len(calls) > 6:
            raise KeyboardInterrupt
        return real(task)

    out = tmp_path / "out"
    monkeypatch.setattr(run_module, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        experiments.run(spec, out, progress=False, flush_every=1, window=1)
    done = len(read_table(out, "runs"))
    assert 6 < done < 24  # six runs and their copies
    monkeypatch.setattr(run_module, "run_one", real)
    s = experiments.run(spec, out, progress=False, resume=True)
    assert (s.skipped, s.ran) == (done, 24 - done)
    for a, b in zip(_tables(out), _tables(tmp_path / "reference"), strict=True):
        pd.testing.assert_frame_equal(a, b)
