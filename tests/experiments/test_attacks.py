"""The runner and the spec tried as an attacker would: each defect found by the review, pinned."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.report import headline_table
from experiments.stats import confidence_label

COMPARISON = pd.DataFrame(
    [
        {
            "point_id": 0,
            "generation": "all",
            "measure": "reach",
            "arm": "interactive",
            "base_mean": 1.0,
            "arm_mean": 2.0,
            "diff": 1.0,
            "ci_lo": 0.5,
            "ci_hi": 1.5,
            "boot_lo": float("nan"),
            "boot_hi": float("nan"),
            "d_z": 1.0,
            "a12": 0.7,
            "r": 0.5,
            "n": 10,
            "adequate": True,
            "n_needed": 4,
        }
    ]
)


@pytest.mark.parametrize(
    ("level", "label"),
    [(0.9, "90%"), (0.95, "95%"), (0.975, "97.5%"), (0.995, "99.5%"), (0.999, "99.9%")],
)
def test_a_confidence_level_is_labelled_with_its_own_digits(level, label):
    assert confidence_label(level) == label
    assert f"{label} CI (paired t)" in headline_table(COMPARISON, ["reach"], 0, confidence=level)


SAMPLED = """
name = "attack"
replicates = 1
steps = 30
[fixed]
n_users = 100
[uncertainties]
trust_shift = [-0.3, 0.3]
epsilon = [0.1, 0.5]
[design]
kind = "{kind}"
n = 4
{design}
[arms]
one_way = "one_way"
interactive = "interactive"
{tail}
"""


def _spec_error(write_spec, text: str) -> str:
    from experiments.spec import SpecError, load_spec

    with pytest.raises(SpecError) as e:
        load_spec(write_spec(text))
    return str(e.value)


@pytest.mark.parametrize(
    ("kind", "design", "tail", "key", "bound"),
    [
        ("lhs", "", "[analysis]\nn_resamples = 1_000_000_000", "analysis.n_resamples", "100000"),
        ("morris", "levels = 1000", "", "design.levels", "100"),
    ],
    ids=["n_resamples", "morris_levels"],
)
def test_every_size_like_key_has_an_upper_bound(write_spec, kind, design, tail, key, bound):
    msg = _spec_error(write_spec, SAMPLED.format(kind=kind, design=design, tail=tail))
    assert key in msg and bound in msg and "spec.toml:" in msg


def test_a_settle_window_longer_than_the_run_is_refused(write_spec):
    msg = _spec_error(
        write_spec,
        SAMPLED.format(kind="lhs", design="", tail="").replace(
            "steps = 30", "steps = 30\nsettle_window = 48"
        ),
    )
    assert "settle_window" in msg and "steps=30" in msg and "spec.toml:4:" in msg


def test_a_one_level_categorical_uncertainty_is_refused(write_spec):
    text = SAMPLED.format(kind="lhs", design="", tail="").replace(
        "epsilon = [0.1, 0.5]", 'follow_model = ["powerlaw"]'
    )
    msg = _spec_error(write_spec, text)
    assert "uncertainties.follow_model" in msg and "at least two" in msg and "[fixed]" in msg


def test_duplicate_lever_policies_are_refused(write_spec):
    tail = '[[levers]]\n"strategy.reply_share" = 0.1\n[[levers]]\n"strategy.reply_share" = 0.1\n'
    msg = _spec_error(write_spec, SAMPLED.format(kind="lhs", design="", tail=tail))
    assert "levers.1" in msg and "repeats policy 0" in msg


def test_levers_without_an_arm_that_sweeps_the_strategy_are_refused(write_spec):
    tail = '[levers]\n"strategy.reply_share" = [0.1, 0.3]\n'
    text = SAMPLED.format(kind="lhs", design="", tail=tail).replace(
        'interactive = "interactive"', 'chat = {strategy = "interactive", sweep = false}'
    )
    msg = _spec_error(write_spec, text)
    assert "no arm sweeps the strategy" in msg and "sweep = true" in msg


def test_a_spec_with_a_utf8_bom_loads_and_its_errors_keep_their_lines(write_spec):
    from experiments.spec import load_spec

    body = 'name = "bom"\nreplicates = 2\nsteps = 4\n[arms]\none_way = "one_way"\n'
    assert load_spec(write_spec("\ufeff" + body)).name == "bom"
    msg = _spec_error(write_spec, "\ufeff" + body.replace("steps = 4", "stepz = 4"))
    assert "spec.toml:3:" in msg and "did you mean 'steps'" in msg


@pytest.mark.parametrize(
    ("design", "key", "line"),
    [
        ('[design]\nkind = "lhs"\nn = 1_000_000\n', "design.n", 11),
        ("[design]\n", "replicates", 2),
    ],
    ids=["too_many_points", "too_many_runs"],
)
def test_size_errors_name_their_line(write_spec, design, key, line):
    text = SAMPLED.format(kind="lhs", design="", tail="").replace(
        '[design]\nkind = "lhs"\nn = 4\n', design
    )
    if key == "replicates":
        text = text.replace("replicates = 1", "replicates = 1_000_000").replace(
            "[uncertainties]\ntrust_shift = [-0.3, 0.3]\nepsilon = [0.1, 0.5]\n",
            "[uncertainties]\ntrust_shift = {choices = [-0.3, 0.3]}\n",
        )
    msg = _spec_error(write_spec, text)
    assert f"spec.toml:{line}: {key}:" in msg and "at most" in msg


def test_a_sampled_design_without_n_says_so(write_spec):
    text = SAMPLED.format(kind="lhs", design="", tail="").replace("n = 4\n", "")
    msg = _spec_error(write_spec, text)
    assert "design.n" in msg and "needs n" in msg


def test_the_sobol_caveat_appears_only_for_wide_intervals():
    from experiments.discovery_report import sobol_caveat

    row = {"S1": 0.3, "ST": 0.5, "S1_lo": 0.25, "S1_hi": 0.35, "ST_lo": 0.45, "ST_hi": 0.55}
    assert sobol_caveat(pd.DataFrame([row]), 1024) == []
    wide = {**row, "S1": 1.35, "S1_lo": -47.0, "S1_hi": 44.0}
    text = sobol_caveat(pd.DataFrame([wide]), 4)[0]
    # half-width 45.5: n = 4 * 455^2 = 828,100 -> the next power of 2, 2^20
    assert "half-width is 45.5" in text and "n = 1048576" in text


class _CountedKey(str):
    """A query key that counts how often it is hashed or compared (shared tally in ``ops``)."""

    ops = [0]

    def __hash__(self) -> int:
        self.ops[0] += 1
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        self.ops[0] += 1
        return str.__eq__(self, other)


def test_the_share_links_duplicate_key_check_is_linear(monkeypatch):
    """30,000 keys took 20 s with a count per key (n^2 comparisons); a Counter hashes each key
    once. Counted, not timed: the hashes and comparisons per key stay flat as the address grows."""
    import urllib.parse

    from viewer.settings import settings_from_query

    real = urllib.parse.parse_qsl

    def counted(*args, **kwargs):
        return [(_CountedKey(k), v) for k, v in real(*args, **kwargs)]

    monkeypatch.setattr(urllib.parse, "parse_qsl", counted)
    per_key = {}
    for n in (500, 4_000):
        query = "&".join(f"k{i}=1" for i in range(n)) + "&k7=2&n_users=1&n_users=2"
        _CountedKey.ops[0] = 0
        with pytest.raises(ValueError, match="k7, n_users appears more than once"):
            settings_from_query(query)
        per_key[n] = _CountedKey.ops[0] / n
    # a count per key does ~n operations per key (500 vs 4,000); one pass a few
    assert per_key[4_000] < 4 and per_key[4_000] < 1.5 * per_key[500], per_key


@pytest.mark.parametrize("table", ["runs", "timeseries"])
@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_a_part_with_a_valid_footer_but_the_wrong_schema_is_quarantined(
    tiny_spec, tmp_path, capsys, table
):
    """A whole Parquet file whose columns are not the table's counts as corrupt, not as runs."""
    import pyarrow.parquet as pq

    import experiments
    from experiments.cli import main
    from tests.experiments.test_safety import _frames

    out, reference = tmp_path / "out", tmp_path / "reference"
    experiments.run(tiny_spec, reference, progress=False)
    experiments.run(tiny_spec, out, progress=False, flush_every=2)
    bad = out / table / "part-000001.parquet"
    t = pq.read_table(bad)
    pq.write_table(t.drop_columns([t.column_names[-1]]), bad)  # whole, readable, wrong columns

    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{table}/part-000001.parquet" in text and "schema" in text
    assert main(["report", str(out), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert f"{table}/part-000001.parquet" in err and "schema" in err and "Traceback" not in err

    assert main(["run", str(tiny_spec), "--out", str(out), "--resume", "--quiet"]) == 0
    text = capsys.readouterr()
    assert f"{table}/part-000001.parquet" in text.err and "2 runs" in text.out
    for a, b in zip(_frames(out), _frames(reference), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert main(["report", str(out), "--no-figures"]) == 0


# ------------------------------------------------------------------------- results vs the plan
def _two_runs(write_spec, tmp_path, n_other: int = 300):
    """The tiny experiment, and the same spec with another n_users, each run to its folder."""
    import experiments
    from tests.experiments.exp_specs import TINY

    mine = write_spec(TINY, "mine.toml")
    other = write_spec(TINY.replace("n_users = 200", f"n_users = {n_other}"), "other.toml")
    out, elsewhere = tmp_path / "out", tmp_path / "other"
    experiments.run(mine, out, progress=False, flush_every=4)
    experiments.run(other, elsewhere, progress=False, flush_every=4)
    return mine, out, elsewhere


def test_a_runs_part_copied_from_another_experiment_is_refused(write_spec, tmp_path, capsys):
    import shutil

    import experiments
    from experiments.cli import main
    from experiments.store import StoreError

    mine, out, elsewhere = _two_runs(write_spec, tmp_path)
    shutil.copy(elsewhere / "runs" / "part-000001.parquet", out / "runs" / "part-000001.parquet")
    with pytest.raises(StoreError, match=r"runs/part-000001.parquet holds 4 row\(s\) that are not"):
        experiments.run(mine, out, progress=False, resume=True)
    assert main(["report", str(out), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "param.n_users = 300, the plan 200" in err and "Traceback" not in err
    assert main(["status", str(out)]) == 0
    assert "not runs of the stored plan" in capsys.readouterr().out


def test_rewritten_run_ids_are_refused(tiny_spec, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    import experiments
    from experiments.store import StoreError

    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False, flush_every=4)
    part = out / "runs" / "part-000001.parquet"
    t = pq.read_table(part)
    ids = [i.replace("-r001", "-r000") for i in t.column("run_id").to_pylist()]
    pq.write_table(t.set_column(0, "run_id", pa.array(ids)), part)
    with pytest.raises(StoreError, match=r"p000-\w+-r000 has run_index [45], the plan [01]\)"):
        experiments.run(tiny_spec, out, progress=False, resume=True)


def test_a_run_id_the_plan_lacks_is_refused_and_named(tiny_spec, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    import experiments
    from experiments.store import StoreError

    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False, flush_every=4)
    part = out / "runs" / "part-000001.parquet"
    t = pq.read_table(part)
    ids = t.column("run_id").to_pylist()
    pq.write_table(t.set_column(0, "run_id", pa.array(["elsewhere", *ids[1:]])), part)
    with pytest.raises(
        StoreError, match=r"part-000001.parquet holds 1 row\(s\) .*run id 'elsewhere' is not in"
    ):
        experiments.run(tiny_spec, out, progress=False, resume=True)


def test_a_hand_edited_manifest_does_not_let_another_spec_resume(write_spec, tmp_path):
    """Editing the manifest's spec to match a new spec: the stored plan still says 200 users."""
    import json

    import experiments
    from experiments.spec import load_spec
    from experiments.store import StoreError
    from tests.experiments.exp_specs import TINY

    out = tmp_path / "out"
    experiments.run(write_spec(TINY, "a.toml"), out, progress=False)
    other = load_spec(write_spec(TINY.replace("n_users = 200", "n_users = 300"), "b.toml"))
    m = json.loads((out / "manifest.json").read_text())
    m["spec"] = other.to_dict()
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(StoreError, match=r"different plan .*param.n_users of point 0"):
        experiments.run(other, out, progress=False, resume=True)


def test_status_and_report_read_the_stored_plan_and_never_resample(
    write_spec, tmp_path, monkeypatch, capsys
):
    import experiments
    import experiments.points
    import experiments.spec_runs
    from experiments.cli import main

    text = SAMPLED.format(kind="lhs", design="", tail="").replace("steps = 30", "steps = 6")
    out = tmp_path / "out"
    experiments.run(write_spec(text), out, progress=False)

    def refuse(*args, **kwargs):
        raise AssertionError("the design was sampled or a run's Params built again")

    for module in (experiments.points, experiments.spec_runs):
        monkeypatch.setattr(module, "unit_sample", refuse)
        monkeypatch.setattr(module, "resolve_point", refuse)
    assert main(["status", str(out)]) == 0
    assert "8 planned, 8 ok" in capsys.readouterr().out
    assert main(["report", str(out), "--no-figures"]) == 0


def test_plan_builds_no_run_tasks_and_shows_progress_on_a_large_design(
    write_spec, monkeypatch, capsys
):
    """At the design limit, plan was silent for minutes building every run twice."""
    import experiments.design
    import experiments.spec_runs
    from experiments.cli import main

    made = []
    real = experiments.design.RunTask
    monkeypatch.setattr(experiments.design, "RunTask", lambda **kw: made.append(1) or real(**kw))
    monkeypatch.setattr(experiments.spec_runs, "PROGRESS_FROM", 10)
    text = SAMPLED.format(kind="lhs", design="", tail="").replace("n = 4", "n = 64")
    assert main(["plan", str(write_spec(text)), "--pilot-steps", "0"]) == 0
    captured = capsys.readouterr()
    assert "64 design point(s) x 2 arms x 1 replicates = 128 runs" in captured.out
    assert "checking the parameters of every design point and arm" in captured.err
    assert made == []


def test_the_bootstrap_of_many_pairs_stays_bounded(monkeypatch):
    """A pooled row of a large design: BCa's jackknife would need n^2 memory and hours."""
    import numpy as np
    from scipy import stats as sps

    from experiments import analysis

    rng = np.random.default_rng(1)
    base = rng.normal(size=analysis.MAX_BOOTSTRAP_PAIRS + 1)
    arm = base + 0.1 + rng.normal(scale=0.01, size=len(base))
    s = analysis.paired_stats(arm, base, bootstrap=True, n_resamples=100_000)
    assert np.isnan(s["boot_lo"]) and s["ci_lo"] < s["diff"] < s["ci_hi"]
    seen = {}
    real = sps.bootstrap
    monkeypatch.setattr(
        analysis.stats, "bootstrap", lambda *a, **kw: seen.update(kw) or real(*a, **kw)
    )
    analysis.paired_stats(arm[:4000], base[:4000], bootstrap=True, n_resamples=5000)
    assert seen["batch"] * 4000 <= analysis.BOOTSTRAP_CELLS  # 20 million values: batched
    analysis.paired_stats(arm[:40], base[:40], bootstrap=True, n_resamples=2000)
    assert seen["batch"] is None  # small: one batch, the numbers of an unbatched bootstrap


def test_a_stale_plan_left_by_a_killed_start_is_replaced(write_spec, tmp_path):
    """A start killed after writing its plan but before its manifest leaves only plan.parquet."""
    import experiments
    from tests.experiments.exp_specs import TINY

    out = tmp_path / "out"
    experiments.run(write_spec(TINY, "a.toml"), out, progress=False)
    for p in out.iterdir():
        if p.name != "plan.parquet":
            p.unlink() if p.is_file() else __import__("shutil").rmtree(p)
    other = write_spec(TINY.replace("n_users = 200", "n_users = 300"), "b.toml")
    experiments.run(other, out, progress=False)
    res = experiments.load_results(out)
    assert res.spec.fixed["n_users"] == 300 and len(res.ok) == 8


def test_params_flatten_to_columns_and_back_for_any_nested_table():
    from experiments.design import flat_params, nested_params

    params = {"n_users": 200, "strategy": {"reply_share": 0.2}, "opinion": {"epsilon": 0.3}}
    flat = flat_params(params)
    assert flat == {
        "param.n_users": 200,
        "param.strategy.reply_share": 0.2,
        "param.opinion.epsilon": 0.3,
    }
    assert nested_params({**flat, "factor.x": 1}) == params


def test_a_fixed_strategy_switch_no_arm_takes_is_refused(write_spec):
    text = SAMPLED.format(kind="lhs", design="", tail="").replace(
        "n_users = 100", 'n_users = 100\n"strategy.reply_share" = 0.3'
    )
    text = text.replace(
        'interactive = "interactive"', 'chat = {strategy = "interactive", sweep = false}'
    )
    msg = _spec_error(write_spec, text)
    assert "spec.toml:6: fixed.strategy.reply_share" in msg and "change no run" in msg


@pytest.mark.parametrize(
    ("command", "example"),
    [("run", "results/flagship"), ("explain", "results/explain"), ("optimize", "results/optimize")],
)
def test_an_empty_out_folder_is_refused_before_anything_runs(tiny_spec, capsys, command, example):
    """``--out ''`` would write into the current directory: each command that runs refuses it
    with exit code 2 and names an example folder, and starts nothing."""
    from experiments.cli import main

    assert main([command, str(tiny_spec), "--out", ""]) == 2
    err = capsys.readouterr().err
    assert "--out '' is empty" in err and f"--out {example}" in err and "Traceback" not in err
