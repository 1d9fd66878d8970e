"""``explain``: paired knock-outs recover a known attribution, agree with runs made by hand,
refuse a bad ``[explain]`` table, and give the same table after an interruption and on any
executor."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import experiments
from experiments.cli import main
from experiments.design import replicate_seed
from experiments.explain import plan_explanation
from experiments.explain_report import interaction_notes
from experiments.spec import SpecError, load_spec
from experiments.store import read_table

TOY = Path(__file__).with_name("explain_toy.toml")
#: The runner module (``experiments.run`` is also the name of its function).
run_module = importlib.import_module("experiments.run")
MEASURES = ["reach", "engagement", "trust", "belonging"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The toy spec explained serially: (summary, attribution table)."""
    out = tmp_path_factory.mktemp("explain") / "serial"
    s = experiments.explain(TOY, out, progress=False)
    return s, pd.read_csv(out / "attribution.csv")


def _row(att: pd.DataFrame, arm: str, measure: str, component: str, method: str) -> pd.Series:
    r = att[
        (att["arm"] == arm)
        & (att["measure"] == measure)
        & (att["component"] == component)
        & (att["method"] == method)
    ]
    assert len(r) == 1, (arm, measure, component, method)
    return r.iloc[0]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-15)


def test_an_arm_one_switch_from_the_baseline_is_attributed_wholly_to_that_switch(serial):
    s, att = serial
    ex = s.explanation
    assert ex.switches == {
        "replies": ("reply_share",),
        "replies_community": ("reply_share", "community_share"),
    }
    assert s.planned == s.ran == 44 and s.failed == 0  # 11 arms x 4 replicates
    shares = []
    for m in MEASURES:
        total = _row(att, "replies", m, "total", "total")
        for method in ("add_one", "leave_one_out"):
            # the derived arm is the arm itself (only its label differs): exactly equal
            r = _row(att, "replies", m, "reply_share", method)
            for c in ("delta", "ci_low", "ci_high", "share_of_total"):
                assert _same(r[c], total[c]), (m, method, c)
            shares.append(r["share_of_total"])
            assert _row(att, "replies", m, "interaction", method)["delta"] == 0
    # the test means something: some totals are clear of 0, and there the share is 100%
    assert any(x == 1.0 for x in shares)


def _measure(strategy: dict, seed: int, **params) -> dict[str, float]:
    """The final measures of one run made by hand (no runner, no plan)."""
    from model import OpinionEcology, Params, Strategy
    from model.measures import final_measures

    rates = {k.split(".")[-1]: v for k, v in load_spec(TOY).fixed.items()}  # the toy's [fixed]
    p = Params(
        **{**rates, **params}, steps=24, strategy=Strategy.preset("one_way").replace(**strategy)
    )
    m = OpinionEcology(params=p, seed=seed)
    while m.running and m.steps < 24:
        m.step()
    f = final_measures(m)
    return {k: float(f[k]) for k in MEASURES}


def test_two_switches_and_a_knock_out_match_runs_made_by_hand(serial):
    _, att = serial
    spec = load_spec(TOY)
    seeds = [replicate_seed(spec.root_seed, r) for r in range(spec.replicates)]
    both = {"reply_share": 0.5, "community_share": 0.2}
    arms = {
        "base": ({}, {}),
        "base+community": ({"community_share": 0.2}, {}),
        "base+replies": ({"reply_share": 0.5}, {}),
        "arm": (both, {}),
        "base_off": ({}, {"trending_prob": 0.0}),
        "arm_off": (both, {"trending_prob": 0.0}),
    }
    got = {
        k: pd.DataFrame([_measure(sw, seed, **p) for seed in seeds]) for k, (sw, p) in arms.items()
    }
    for m in MEASURES:
        base, arm = got["base"][m], got["arm"][m]
        expected = {
            ("total", "total"): arm - base,
            ("community_share", "add_one"): got["base+community"][m] - base,
            ("reply_share", "add_one"): got["base+replies"][m] - base,
            ("community_share", "leave_one_out"): arm - got["base+replies"][m],
            ("reply_share", "leave_one_out"): arm - got["base+community"][m],
            ("trending", "knock_out"): (arm - base) - (got["arm_off"][m] - got["base_off"][m]),
        }
        expected[("interaction", "add_one")] = (
            expected[("total", "total")]
            - expected[("community_share", "add_one")]
            - expected[("reply_share", "add_one")]
        )
        for (component, method), d in expected.items():
            r = _row(att, "replies_community", m, component, method)
            assert r["delta"] == pytest.approx(d.mean(), abs=1e-12), (m, component, method)
            if d.std() > 0:  # the paired t interval, as scipy computes it
                lo, hi = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
                assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
        # shares divide by the total, and only where the total is clear of 0
        total = _row(att, "replies_community", m, "total", "total")
        clear = total["ci_low"] > 0 or total["ci_high"] < 0
        rows = att[(att["arm"] == "replies_community") & (att["measure"] == m)]
        if clear:
            np.testing.assert_allclose(rows["share_of_total"], rows["delta"] / total["delta"])
        else:
            assert rows["share_of_total"].isna().all()


def test_the_derived_arms_are_in_the_store_and_the_report(serial):
    s, _ = serial
    runs = experiments.load_results(s.out).runs
    assert set(runs["arm"]) == {
        "one_way",
        "replies",
        "replies_community",
        "one_way+reply_share",
        "one_way+community_share",
        "replies-reply_share",
        "replies_community-reply_share",
        "replies_community-community_share",
        "one_way[no trending]",
        "replies[no trending]",
        "replies_community[no trending]",
    }
    # common random numbers: one seed per replicate in every derived arm
    assert (runs.groupby("replicate")["seed"].nunique() == 1).all()
    report = (s.out / "report.md").read_text()
    assert "## Attribution" in report and "### Where the effects do not add up" in report
    assert (s.out / "figures" / "attribution_replies_community.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (
            "trending = { trending_probability = 0.0 }",
            ["explain.trending.trending_probability", "trending_prob"],
        ),
        (
            'replies = { "strategy.reply_share" = 0.0 }',
            ["explain.replies.strategy.reply_share", "unknown key"],
        ),
        ("trending = 0.0", ["explain.trending", "table of parameter = value"]),
        ("trending = {}", ["explain.trending", "non-empty"]),
        ("trending = { trending_prob = 2.0 }", ["explain.trending.trending_prob", "[0, 1]"]),
        ("trending = { steps = 2 }", ["explain.trending.steps", "unknown key"]),
    ],
)
def test_a_bad_explain_table_is_refused_naming_the_key_and_what_is_allowed(
    write_spec, table, words
):
    text = TOY.read_text().rsplit("\n[explain]", 1)[0] + "\n[explain]\n" + table + "\n"
    path = write_spec(text, "bad.toml")
    spec = load_spec(path)  # the runs do not read [explain]: the spec itself is valid
    with pytest.raises(SpecError) as e:
        plan_explanation(spec)
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    for w in words:
        assert w in message, message


def test_the_command_line_refuses_a_bad_table_or_arm_in_one_line(write_spec, tmp_path, capsys):
    bad = write_spec(TOY.read_text().replace("trending_prob", "trending_pro"), "bad.toml")
    assert main(["explain", str(bad), "--out", str(tmp_path / "a"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trending_pro" in err and "trending_prob" in err
    assert main(["explain", str(TOY), "--out", str(tmp_path / "b"), "--arm", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "replies, replies_community" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow  # 3-4.5 s: keeps make test-fast under 3 minutes; make test runs it
def test_resume_after_an_interruption_gives_the_same_attribution(serial, tmp_path, monkeypatch):
    _, reference = serial
    out = tmp_path / "interrupted"
    real, calls = run_module.run_one, []

    def interrupted(task):
        calls.append(task.run_id)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(run_module, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        experiments.explain(TOY, out, progress=False, flush_every=1, figures=False)
    monkeypatch.setattr(run_module, "run_one", real)
    assert not (out / "attribution.csv").exists()
    # the runs finished before the interrupt are kept (a run in flight may be lost)
    done = len(read_table(out, "runs"))
    assert 10 <= done < 20
    s = experiments.explain(TOY, out, progress=False, resume=True, figures=False)
    assert s.skipped == done and s.ran == 44 - done and s.failed == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "attribution.csv"), reference)


@pytest.mark.slow  # 5-8 s; make test and CI run it
def test_serial_and_process_executors_give_the_same_attribution(serial, tmp_path):
    _, reference = serial
    out = tmp_path / "process"
    experiments.explain(TOY, out, progress=False, executor="process", workers=2, figures=False)
    pd.testing.assert_frame_equal(pd.read_csv(out / "attribution.csv"), reference)


def test_effects_that_do_not_add_up_are_named():
    rows = [
        ("a", "total", "reach", "total", 0.10, 0.05, 0.15),
        ("a", "interaction", "reach", "add_one", 0.04, 0.01, 0.07),
        ("a", "interaction", "reach", "leave_one_out", -0.01, -0.03, 0.01),
    ]
    att = pd.DataFrame(
        rows, columns=["arm", "component", "measure", "method", "delta", "ci_low", "ci_high"]
    )
    notes = interaction_notes(att)
    assert notes == [
        "a, reach: the add_one deltas do not add up to the total 0.1; residual 0.04 [0.01, 0.07]"
    ]


def test_arm_explains_one_arm_and_runs_only_what_it_needs():
    ex = plan_explanation(load_spec(TOY), ["replies"])
    assert ex.derived.arm_names == (
        "one_way",
        "replies",
        "one_way+reply_share",
        "replies-reply_share",
        "one_way[no trending]",
        "replies[no trending]",
    )


def test_every_arm_of_a_large_explain_folder_gets_a_colour():
    """report on a flagship explain folder (41 arms) ran out of colours after 28 (StopIteration)."""
    from experiments.plots import arm_colors

    arms = ["one_way", "interactive"] + [f"interactive-switch{i}" for i in range(60)]
    colours = arm_colors(arms)
    assert list(colours) == arms and all(colours.values())
