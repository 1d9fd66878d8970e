"""``optimize``: the [optimize] table, the paired objectives and their robustness statistics,
the non-dominated filter, a tiny search end to end, and a search interrupted and resumed."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.optimize import (
    non_dominated,
    objective_value,
    optimize,
    optimize_table,
    paired_differences,
)
from experiments.results import load_results
from experiments.spec import SpecError, load_spec
from experiments.store import StoreError

TINY = """
name = "tiny_opt"
replicates = 2
root_seed = 7
steps = 4
metrics = ["retention", "trust", "staff_hours", "reach", "published"]

[fixed]
n_users = 60

[arms]
one_way = "one_way"
interactive = "interactive"

[optimize]
pop_size = 4
generations = 2
seed = 1

[optimize.levers]
"strategy.reply_share" = [0.0, 0.5]
"strategy.follow_up" = [false, true]

[[optimize.objectives]]
measure = "retention"
cohort = "post00"
direction = "max"

[[optimize.objectives]]
measure = "staff_hours"
direction = "min"
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    """One uninterrupted tiny search (2 levers, 2 objectives, population 4, 2 generations)."""
    d = tmp_path_factory.mktemp("opt")
    spec = _write(d / "tiny.toml", TINY)
    return spec, optimize(spec, d / "out", progress=False)


# ---------------------------------------------------------------------------------- statistics
def test_mean_objective_is_the_paired_mean_with_its_t_interval():
    d = np.array([1.0, 2.0, 3.0, 4.0])
    value, lo, hi = objective_value(d, "mean", 0.95)
    half = stats.t.ppf(0.975, 3) * np.std(d, ddof=1) / 2  # 3.182 * 1.291 / 2 = 2.054
    assert value == 2.5
    assert lo == pytest.approx(2.5 - half) and hi == pytest.approx(2.5 + half)
    assert half == pytest.approx(2.054, abs=1e-3)


def test_percentile_objective_and_its_order_statistic_interval():
    # median of 0..99 is 49.5; B ~ binomial(100, 0.5) counts the values below the true median:
    # F(39) = 0.018 < 0.025 <= F(40) = 0.028 gives l = 40, F(59) = 0.972 < 0.975 <= F(60) = 0.982
    # gives u = 61, so the interval is [d_(40), d_(61)] = [39, 60] (the textbook ranks for n = 100)
    value, lo, hi = objective_value(np.arange(100.0)[::-1], "q50", 0.95)
    assert (value, lo, hi) == (49.5, 39.0, 60.0)
    # a low percentile of four values: np.quantile's 1 + 0.3 * (2 - 1) = 1.3; with n = 4 no
    # order statistic is low enough for the lower end (P(B = 0) = 0.9^4 = 0.66 > 0.025)
    value, lo, hi = objective_value(np.array([4.0, 1.0, 3.0, 2.0]), "q10", 0.95)
    assert value == pytest.approx(1.3)
    assert math.isnan(lo) and hi == 3.0  # binomial(4, 0.1): F(1) = 0.948 < 0.975 <= F(2): d_(3)
    assert all(math.isnan(x) for x in objective_value(np.array([]), "mean"))


def test_paired_differences_pair_by_point_and_replicate_and_skip_failures():
    runs = pd.DataFrame(
        {
            "arm": ["base", "cand", "base", "cand", "base", "cand", "cand"],
            "point_id": [0, 0, 0, 0, 1, 1, 1],
            "replicate": [0, 0, 1, 1, 0, 0, 1],
            "status": ["ok", "ok", "ok", "ok", "ok", "ok", "error"],
            "m": [1.0, 4.0, 2.0, 2.5, 10.0, 9.0, 99.0],
        }
    )
    assert paired_differences(runs, "cand", "base", "m").tolist() == [3.0, 0.5, -1.0]


def test_non_dominated_on_a_hand_made_set():
    f = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2], [6, 6], [1, 6]], dtype=float)
    # (3, 3) and (6, 6) are dominated by (2, 2); (1, 6) by (1, 5); the tie (2, 2) stays twice
    assert non_dominated(f).tolist() == [True, True, True, False, True, False, False]


# ---------------------------------------------------------------------------------- the search
def test_tiny_search_end_to_end(search):
    spec_path, s = search
    out = s.out
    for name in ("evaluations.csv", "pareto.csv", "history.csv", "report.md"):
        assert (out / name).is_file()
    for name in ("optimize_parallel.png", "optimize_tradeoff.png"):
        assert (out / "figures" / name).stat().st_size > 1000
    ev = pd.read_csv(out / "evaluations.csv")
    assert 1 <= len(ev) <= 4 * 2  # at most population x generations, repeats run once
    assert ev["strategy.reply_share"].between(0, 0.5).all()
    assert set(ev["strategy.follow_up"]) <= {True, False}
    assert (ev["pairs"] == 2).all()  # one scenario x 2 replicates, every run finished
    # every objective is recomputed by hand from the generation's stored runs
    spec = load_spec(spec_path)
    for g, rows in ev.groupby("generation"):
        runs = load_results(out / "generations" / f"g{g:02d}").runs
        assert set(runs["arm"]) == {"one_way", *rows["candidate"]}
        for _, r in rows.iterrows():
            cand = runs[runs["arm"] == r["candidate"]].sort_values("replicate")
            base = runs[runs["arm"] == "one_way"].sort_values("replicate")
            d = cand["retention[post00]"].to_numpy() - base["retention[post00]"].to_numpy()
            assert r["retention[post00].mean"] == pytest.approx(d.mean())
            # the lever values are the arm's strategy in the stored plan
            assert cand["param.strategy.reply_share"].iloc[0] == pytest.approx(
                r["strategy.reply_share"]
            )
    # the front is exactly the non-dominated evaluations
    f = np.column_stack([-ev["retention[post00].mean"], ev["staff_hours.mean"]])
    front = set(ev.loc[non_dominated(f), "candidate"])
    assert set(pd.read_csv(out / "pareto.csv")["candidate"]) == front
    hist = pd.read_csv(out / "history.csv")
    assert hist["generation"].tolist() == [0, 1]
    assert (np.diff(hist["hypervolume"]) >= -1e-12).all()  # the front found so far only grows
    assert (np.diff(hist["best retention[post00].mean"]) >= 0).all()
    # candidates with exactly the same results point at the first of them
    by_name = ev.set_index("candidate")
    for _, r in ev.iterrows():
        first = by_name.loc[r["same_results_as"]]
        assert first["retention[post00].mean"] == r["retention[post00].mean"]
        assert first["staff_hours.mean_ci_low"] == r["staff_hours.mean_ci_low"]
        assert r["same_results_as"] <= r["candidate"]
    # the cost the objectives leave out is reported beside them
    assert "published.mean" in ev and ev["published.mean"].notna().all()
    text = (out / "report.md").read_text()
    assert "Strategies on the front" in text and "items published" in text
    assert optimize_table(spec).candidate == "interactive"


def test_interrupted_search_resumes_to_the_same_front(search, tmp_path, monkeypatch):
    spec_path, full = search
    import importlib

    run_module = importlib.import_module("experiments.run")  # the package exports run() itself

    real_run = run_module.run
    calls = []

    def killed_in_second_generation(spec, out, **kw):
        calls.append(out)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real_run(spec, out, **kw)

    monkeypatch.setattr(run_module, "run", killed_in_second_generation)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        optimize(spec_path, out, progress=False)
    monkeypatch.setattr(run_module, "run", real_run)
    with pytest.raises(StoreError, match="--resume"):
        optimize(spec_path, out, progress=False)
    resumed = optimize(spec_path, out, progress=False, resume=True)
    n_first = len(load_results(out / "generations" / "g00").runs)
    assert resumed.ran == full.ran - n_first  # the first generation was read back, not rerun
    for name in ("evaluations.csv", "pareto.csv", "history.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(out / name), pd.read_csv(full.out / name), check_exact=True
        )


def test_resume_refuses_another_table(search, tmp_path):
    spec_path, _ = search
    out = tmp_path / "out"
    optimize(spec_path, out, progress=False, stop_after=1, figures=False)
    other = _write(tmp_path / "other.toml", TINY.replace("seed = 1", "seed = 2"))
    with pytest.raises(StoreError, match="another spec"):
        optimize(other, out, progress=False, resume=True)


def test_command_line(search, tmp_path, capsys):
    from experiments.cli import main

    spec_path, _ = search
    bad = _write(tmp_path / "bad.toml", TINY.replace('direction = "min"', 'direction = "down"'))
    assert main(["optimize", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "direction 'down'" in err and "max, min" in err and "bad.toml:" in err


# ---------------------------------------------------------------------------------- bad specs
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '"strategy.follow_up"',
            '"strategy.reply_shares"',
            "unknown key 'strategy.reply_shares'.*strategy.reply_share",
        ),
        ('"strategy.follow_up"', '"n_users"', "unknown key 'n_users'.*strategy.moderation_share"),
        ("[false, true]", "[true]", r"\[low, high\]"),
        ("[0.0, 0.5]", "[0.5, 0.0]", "low < high"),
        ("[0.0, 0.5]", "[0.0, 5.0]", "strategy.reply_share"),
        ('measure = "staff_hours"', 'measure = "happiness"', "unknown measure 'happiness'.*reach"),
        ('measure = "staff_hours"', 'measure = "opinion_variance"', "does not keep|allowed"),
        ('cohort = "post00"', 'cohort = "gen_z"', "no cohort 'gen_z'.*post00"),
        ('direction = "min"', 'direction = "minimise"', "direction 'minimise'.*max, min"),
        ('direction = "min"', 'direction = "min"\nstatistic = "median"', "q1 ... q99"),
        ('direction = "min"', 'direction = "min"\nweight = 2', "unknown key 'weight'"),
        ("pop_size = 4", "pop_size = 1", "pop_size must be a whole number >= 2"),
        ("pop_size = 4", "pop_size = 4\nalgorithm = 'x'", "unknown key 'algorithm'"),
        (
            'interactive = "interactive"',
            'interactive = "interactive"\nscenario = "scenario"',
            "two arms",
        ),
        ("n_users = 60", 'n_users = 60\n"strategy.reply_share" = 0.1', "is a lever"),
    ],
)
def test_bad_optimize_tables_name_the_key_and_what_is_allowed(tmp_path, old, new, expected):
    assert old in TINY
    path = _write(tmp_path / "bad.toml", TINY.replace(old, new, 1))
    with pytest.raises(SpecError, match=expected) as e:
        optimize_table(load_spec(path))
    assert "bad.toml:" in str(e.value)  # the file and line of the key at fault


def test_a_spec_without_an_optimize_table(tmp_path):
    path = _write(tmp_path / "plain.toml", TINY.split("[optimize]")[0])
    with pytest.raises(SpecError, match=r"\[optimize\] table"):
        optimize(path, tmp_path / "out", progress=False)


def test_same_results_groups_candidates_with_identical_values():
    from experiments.optimize_report import same_results

    ev = pd.DataFrame(
        {
            "candidate": ["c0000", "c0001", "c0002", "c0003"],
            "strategy.reply_share": [0.25, 0.1, 0.2501, 0.3],
            "m.mean": [1.0, 2.0, 1.0, 1.0],
            "m.mean_ci_low": [0.5, 1.5, 0.5, 0.4],  # c0003: same mean, another interval
        }
    )
    assert same_results(ev) == ["c0000", "c0001", "c0000", "c0003"]


def test_the_worked_example_spec_loads(monkeypatch):
    """optimize_levers.toml (docs/experiments.md) reads the kept posterior from the repository's
    root and searches four switches of the interactive preset on three objectives."""
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)
    spec = load_spec(repo / "experiments" / "specs" / "optimize_levers.toml")
    config = optimize_table(spec)
    assert (config.baseline, config.candidate) == ("one_way", "interactive")
    assert len(config.levers) == 4 and len(config.objectives) == 3
    assert spec.design.posterior is not None and len(spec.design.posterior.draws) == 3
    assert {"staff_hours", "published"} <= set(spec.metrics)  # the costs in the report


def test_overwrite_deletes_only_what_a_search_wrote(search, tmp_path):
    spec_path, _ = search
    out = tmp_path / "out"
    optimize(spec_path, out, progress=False, stop_after=1, figures=False)
    (out / "notes.txt").write_text("mine")
    s = optimize(spec_path, out, progress=False, overwrite=True, stop_after=1, figures=False)
    assert s.ran > 0  # started again: the stored generation was deleted
    assert (out / "notes.txt").read_text() == "mine"
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.csv").write_text("x")
    with pytest.raises(StoreError, match="holds no search"):
        optimize(spec_path, other, progress=False, overwrite=True)


def test_four_objectives_search_with_nsga3(tmp_path):
    from pymoo.algorithms.moo.nsga3 import NSGA3

    from experiments.optimize import _algorithm

    text = TINY.replace("generations = 2", "generations = 1") + textwrap.dedent(
        """
        [[optimize.objectives]]
        measure = "reach"
        direction = "max"

        [[optimize.objectives]]
        measure = "trust"
        statistic = "q25"
        """
    )
    spec_path = _write(tmp_path / "four.toml", text)
    config = optimize_table(load_spec(spec_path))
    algorithm = _algorithm(config)
    assert isinstance(algorithm, NSGA3) and len(algorithm.ref_dirs) <= config.pop_size
    s = optimize(spec_path, tmp_path / "out", progress=False, figures=False)
    assert len(s.evaluations) == 4 and len(s.front) >= 1
    assert "trust.q25" in s.front and "reach.mean" in s.front


def test_failed_runs_leave_their_pairs_out(tmp_path):
    """FailingModel fails every run with replies and trust_shift > 0: each candidate keeps the
    pairs of the other scenario, and the search goes on."""
    text = TINY.replace(
        'name = "tiny_opt"',
        'name = "failing"\nmodel = "tests.experiments.failing_model:FailingModel"',
    )
    text = text.replace("steps = 4", "steps = 6").replace("generations = 2", "generations = 1")
    text = text.replace("[arms]", "[factors]\ntrust_shift = [-0.1, 0.1]\n\n[arms]")
    spec_path = _write(tmp_path / "failing.toml", text)
    s = optimize(spec_path, tmp_path / "out", progress=False, figures=False)
    replies = s.evaluations["strategy.reply_share"] > 0
    assert replies.any() and s.failed == 2 * replies.sum()  # 2 replicates at trust_shift 0.1
    assert (s.evaluations.loc[replies, "pairs"] == 2).all()
    assert s.evaluations["retention[post00].mean"].notna().all()


def test_a_search_where_every_run_fails_reports_no_front(tmp_path):
    text = TINY.replace(
        'name = "tiny_opt"',
        'name = "failing"\nmodel = "tests.experiments.failing_model:AlwaysFailingModel"',
    ).replace("generations = 2", "generations = 1")
    s = optimize(_write(tmp_path / "f.toml", text), tmp_path / "out", progress=False)
    assert s.front.empty and (s.evaluations["pairs"] == 0).all()
    assert "No candidate finished a run" in (tmp_path / "out" / "report.md").read_text()


def test_levers_decode_unit_values_to_a_range_or_a_choice(tmp_path):
    # a range is whole numbers only for a switch declared int (none is yet): [0, 0.8] of a
    # share is its range, clipped at the ends
    path = _write(tmp_path / "s.toml", TINY.replace("[0.0, 0.5]", "[0, 0.8]"))
    lever = optimize_table(load_spec(path)).levers[0]
    assert (lever.low, lever.high, lever.integer) == (0.0, 0.8, False)
    assert lever.decode(0.25) == 0.2 and lever.decode(1.7) == 0.8
    choice = optimize_table(load_spec(path)).levers[1]
    assert [choice.decode(u) for u in (0.0, 0.49, 0.5, 1.0)] == [False, False, True, True]
