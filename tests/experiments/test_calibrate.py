"""``python -m experiments calibrate``: screening, ABC-SMC, resume, the output files' contract,
the report and the errors, end to end on a tiny spec (150 users, 36 hours, 8 particles,
serial); the helpers on hand-computed cases; and (slow) recovery of known parameters from
targets made by the model itself."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibrate import calibrate, settings
from experiments.calibrate_io import bounds, natural, theta_seed
from experiments.calibrate_report import check_table, posterior_table, weighted_quantile
from experiments.cli import main
from experiments.targets import Prior, SpecError, load_calibration, simulate

TINY = """
name = "tiny"
description = "three candidates, two fitted targets, one held out"
steps = 36
root_seed = 7

[fixed]
n_users = 150

[priors]
base_like = { low = 0.01, high = 0.5, scale = "log", source = "test" }
activity_scale = { low = 0.2, high = 3.0, scale = "log", source = "test" }
"following.churn_prob" = { low = 0.0, high = 0.2, scale = "linear", source = "test" }

[targets.engagement]
measure = "engagement"
value = 0.15
sd = 0.03
interval = [0.1, 0.2]
population = "test"
source = "test"
confidence = "low"

[targets.viewers]
measure = "daily_focal_viewers_mean"
value = 0.5
sd = 0.1
population = "test"
source = "test"
confidence = "low"

[targets.retention]
measure = "retention"
value = 0.9
sd = 0.1
population = "test"
source = "test"
confidence = "low"
held_out = true

[abc]
population_size = 8
max_generations = 1
workers = 1

[screening]
candidates = ["base_like", "activity_scale", "following.churn_prob"]
keep = 2
trajectories = 2
"""


def write(tmp_path: Path, text: str = TINY, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def cli(*args: str) -> int:
    return main(["calibrate", *map(str, args), "--quiet", "--draws", "6"])


@pytest.mark.slow  # 3-4.5 s: keeps make test-fast under 3 minutes; make test runs it
def test_calibrate_end_to_end_resume_report_and_contract(tmp_path, capsys):
    spec = write(tmp_path)
    out = tmp_path / "cal"
    assert cli(spec, "--out", out) == 0
    for f in ("history.db", "run.json", "screening.csv", "posterior.parquet", "calibration.json"):
        assert (out / f).exists(), f

    # screening: every candidate with mu*, the two largest kept
    scr = pd.read_csv(out / "screening.csv")
    d = scr[scr["output"] == "distance"].sort_values("mu_star", ascending=False)
    assert list(d["kept"]) == ["yes", "yes", "no"]
    assert {"mu_star", "mu_star_lo", "mu_star_hi", "sigma"} <= set(scr.columns)
    assert set(scr["output"]) == {"distance", "engagement", "viewers", "retention"}
    kept = sorted(d["factor"].head(2))

    # the contract: posterior.parquet and calibration.json
    strict = {"parse_constant": lambda c: pytest.fail(f"calibration.json holds {c}")}
    state = json.loads((out / "calibration.json").read_text(), **strict)
    assert state["spec"] == "tiny" and state["generation"] == 0 and state["steps"] == 36
    assert sorted(state["parameters"]) == kept and state["fixed"] == {"n_users": 150}
    assert state["n_particles"] == 8 and state["finished"] is True
    assert np.isfinite(state["epsilon"])
    post = pd.read_parquet(out / "posterior.parquet")
    assert sorted(post.columns) == sorted([*kept, "weight", "particle"])
    assert len(post) == 8 and post["weight"].sum() == pytest.approx(1.0)
    assert post["particle"].dtype.kind == "i"
    priors = {p.name: p for p in load_calibration(spec).priors}
    for name in kept:  # natural units, inside the prior's range (log priors are not log10)
        assert post[name].between(priors[name].low, priors[name].high).all()

    # the report ran after the calibration: every target in the check, held out apart
    check = pd.read_csv(out / "predictive_check.csv")
    assert list(check["target"]) == ["engagement", "viewers", "retention"]
    assert list(check["held_out"]) == [False, False, True]
    assert set(check["inside"]) <= {"yes", "no"}
    assert (check["model_q05"] <= check["model_median"]).all()
    report = (out / "report.md").read_text()
    for heading in ("## Generations", "## Screening", "## Posterior", "## Held-out targets"):
        assert heading in report
    assert "| retention | retention | 0.9 |" in report
    assert (out / "figures" / "posterior_marginals.png").stat().st_size > 0
    assert (out / "figures" / "posterior_pairs.png").stat().st_size > 0

    # resume: a second call with 2 generations continues generation 0, it does not start afresh
    screening_before = (out / "screening.csv").read_bytes()
    first = post.sort_values("particle").reset_index(drop=True)
    capsys.readouterr()
    assert cli(spec, "--out", out, "--generations", "2", "--no-report") == 0
    assert "2 generations" in capsys.readouterr().out
    assert (out / "screening.csv").read_bytes() == screening_before  # reused, not rerun
    import pyabc

    h = pyabc.History("sqlite:///" + str((out / "history.db").resolve()), _id=1)
    assert h.max_t == 1
    gen0, w0 = h.get_distribution(m=0, t=0)
    lo = {n: bounds(priors[n]) for n in kept}
    for name in kept:  # the stored generation 0 is the first call's particles
        values = sorted(natural(priors[name], v) for v in gen0[name])
        assert values == pytest.approx(sorted(first[name]))
        assert gen0[name].between(*lo[name]).all()  # pyabc holds calibration units
    eps = h.get_all_populations().query("t >= 0")["epsilon"].to_numpy()
    assert eps[1] <= eps[0]  # the median schedule: generation 1's epsilon from generation 0
    assert json.loads((out / "calibration.json").read_text())["generation"] == 1

    # `report DIR` recognises a calibration folder
    (out / "report.md").unlink()
    assert main(["report", str(out), "--no-figures"]) == 0
    assert "## Posterior predictive check" in (out / "report.md").read_text()


@pytest.mark.slow  # 5-8 s; make test and CI run it
def test_calibrate_refuses_other_spec_and_overwrite_starts_afresh(tmp_path, capsys):
    spec = write(tmp_path)
    out = tmp_path / "cal"
    assert cli(spec, "--out", out, "--skip-screening", "--no-report") == 0
    other = write(tmp_path, TINY.replace("root_seed = 7", "root_seed = 8"), "other.toml")
    capsys.readouterr()
    assert cli(other, "--out", out, "--no-report") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "another spec" in err and "--overwrite" in err
    assert err.count("\n") == 1
    assert cli(other, "--out", out, "--no-report", "--overwrite") == 0
    assert json.loads((out / "run.json").read_text())["spec_path"] == str(other)
    # --skip-screening calibrated all three priors; the overwritten folder screened afresh
    scr = pd.read_csv(out / "screening.csv")
    assert "mu_star" in scr.columns
    # the report refuses a spec file changed since the calibration
    other.write_text(other.read_text().replace("root_seed = 8", "root_seed = 9"))
    capsys.readouterr()
    assert main(["report", str(out), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "another version of" in err and err.count("\n") == 1


def test_calibrate_interrupted_says_how_to_continue(tmp_path, capsys, monkeypatch):
    import experiments.calibrate as cal

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("signal 15")

    monkeypatch.setattr(cal, "calibrate", killed)
    assert cli(write(tmp_path), "--out", tmp_path / "cal") == 130
    err = capsys.readouterr().err
    assert "run the same command again to continue" in err and "--resume" not in err


def test_calibrate_refuses_a_folder_that_is_not_a_calibration(tmp_path, capsys):
    spec = write(tmp_path)
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli(spec, "--out", out) == 2
    assert "holds no calibration" in capsys.readouterr().err
    assert cli(spec, "--out", out, "--overwrite") == 2
    assert "not deleting it" in capsys.readouterr().err
    assert (out / "notes.txt").exists()


def test_calibrate_errors_name_the_key(tmp_path, capsys):
    bad = write(tmp_path, TINY.replace("population_size = 8", "population_size = 0"), "b1.toml")
    assert cli(bad, "--out", tmp_path / "o1") == 2
    assert "abc.population_size: 0 is not a whole number >= 1" in capsys.readouterr().err
    bad = write(tmp_path, TINY.replace("workers = 1", "workers = 1\nbudget = 3"), "b2.toml")
    assert cli(bad, "--out", tmp_path / "o2") == 2
    err = capsys.readouterr().err
    assert "abc: unknown key 'budget'" in err and "population_size" in err
    bad = write(tmp_path, TINY.replace("keep = 2", "keep = 13"), "b3.toml")
    assert cli(bad, "--out", tmp_path / "o3") == 2
    assert "screening.keep: 13 is out of range (allowed: 1 to 12)" in capsys.readouterr().err
    bad = write(tmp_path, TINY.replace('"base_like", "act', '"base_likes", "act'), "b4.toml")
    assert cli(bad, "--out", tmp_path / "o4") == 2
    assert "base_likes not among [priors]" in capsys.readouterr().err
    o5 = str(tmp_path / "o5")
    assert main(["calibrate", str(tmp_path / "tiny.toml"), "--out", o5, "--workers", "0"]) == 2
    assert cli(write(tmp_path), "--out", tmp_path / "none", "--report-only") == 2
    assert "no finished generation" in capsys.readouterr().err
    assert main(["calibrate", str(tmp_path / "tiny.toml"), "--out", o5, "--draws", "1"]) == 2
    assert "--draws 1: the predictive check needs at least 2 draws" in capsys.readouterr().err


def test_screening_gives_a_parameter_no_target_sees_mu_star_zero(tmp_path):
    """The screening runs each Morris trajectory on one seed, so an elementary effect is the
    difference of two runs that differ in one parameter only. ``community_gain`` acts only
    through a community, which the tiny spec's ``one_way`` outlets never host: every target is
    the same to the last bit whatever its value, so its mu* is exactly 0 (with a seed per
    parameter set it was the seed noise of the distance, clearly above 0), while
    ``activity_scale``, which every target sees, gets a positive mu*. Tolerance zero."""
    from experiments.calibrate_screen import screen

    text = (
        TINY.replace(
            '"following.churn_prob" = { low = 0.0, high = 0.2, scale = "linear", source = "test" }',
            'community_gain = { low = 0.005, high = 0.1, scale = "log", source = "test" }',
        )
        .replace(
            'candidates = ["base_like", "activity_scale", "following.churn_prob"]',
            'candidates = ["activity_scale", "community_gain"]',
        )
        .replace("keep = 2", "keep = 1")
    )
    spec = load_calibration(write(tmp_path, text))
    out = tmp_path / "screen"
    out.mkdir()
    assert screen(spec, out, workers=1, progress=False) == ["activity_scale"]
    scr = pd.read_csv(out / "screening.csv").set_index(["output", "factor"])
    for output in ("distance", "engagement", "viewers", "retention"):
        assert scr.loc[(output, "community_gain"), "mu_star"] == 0.0, output
    assert scr.loc[("distance", "activity_scale"), "mu_star"] > 0.0


def test_theta_seed_is_a_function_of_root_seed_values_and_salt():
    a = theta_seed(7, {"x": 0.1, "y": 2.0})
    assert a == theta_seed(7, {"y": 2.0, "x": 0.1})  # key order does not matter
    assert 0 <= a < 2**63
    assert a != theta_seed(8, {"x": 0.1, "y": 2.0})
    assert a != theta_seed(7, {"x": 0.1000001, "y": 2.0})
    assert a != theta_seed(7, {"x": 0.1, "y": 2.0}, salt="predictive 0")


def test_log_priors_calibrate_in_log10_units():
    p = Prior("base_like", 0.01, 1.0, "log", "test")
    assert bounds(p) == (-2.0, 0.0)
    assert natural(p, -1.0) == pytest.approx(0.1)
    q = Prior("x", 0.0, 0.2, "linear", "test")
    assert bounds(q) == (0.0, 0.2) and natural(q, 0.05) == 0.05


def test_weighted_quantile_hand_computed():
    # equal weights: the midpoint CDF is 1/8, 3/8, 5/8, 7/8 at 1, 2, 3, 4
    x = np.array([4.0, 1.0, 3.0, 2.0])
    assert weighted_quantile(x, np.ones(4), 0.5)[0] == pytest.approx(2.5)
    assert weighted_quantile(x, np.ones(4), 0.125)[0] == pytest.approx(1.0)
    # all the weight on 3: every quantile is 3 (midpoint 0.5 of a point mass, flat around it)
    w = np.array([0.0, 0.0, 1.0, 0.0])
    assert weighted_quantile(x, w, 0.5)[0] == pytest.approx(3.0)


def test_posterior_table_widths_and_verdicts():
    priors = [
        Prior("a", 0.0, 1.0, "linear", "test"),
        Prior("b", 0.001, 1000.0, "log", "test"),  # log10 range of 6
    ]
    post = pd.DataFrame(
        {
            "a": np.linspace(0.0, 1.0, 101),  # uniform over the whole prior: loose
            "b": np.full(101, 1.0),  # a point mass: pinned
            "weight": np.full(101, 1 / 101),
        }
    )
    t = posterior_table(post, priors).set_index("parameter")
    assert t.loc["a", "width_ratio"] == pytest.approx(0.9, abs=0.02)
    assert t.loc["a", "verdict"] == "loose"
    assert t.loc["b", "width_ratio"] == pytest.approx(0.0)
    assert t.loc["b", "verdict"] == "pinned" and t.loc["b", "median"] == pytest.approx(1.0)
    post["a"] = np.linspace(0.2, 0.8, 101)  # 90% of a 0.6 spread: 0.54 -> partly
    assert posterior_table(post, priors).iloc[0]["verdict"] == "partly"


def test_check_table_inside_is_the_data_value_in_the_model_90_interval(tmp_path):
    spec = load_calibration(write(tmp_path))
    rows = [{"draw": i, "target": "engagement", "value": v} for i, v in enumerate(range(1, 101))]
    rows += [{"draw": i, "target": "viewers", "value": 0.5} for i in range(100)]
    check = check_table(spec, pd.DataFrame(rows), None).set_index("target")
    assert check.loc["engagement", "model_median"] == pytest.approx(50.5)
    assert check.loc["engagement", "inside"] == "no"  # 0.15 below the 5% quantile 5.95
    assert check.loc["engagement", "z"] == pytest.approx((50.5 - 0.15) / 0.03)
    assert check.loc["viewers", "inside"] == "yes"
    assert check.loc["engagement", "consistent"] == "no"  # 0.15 + 1.645 * 0.03 < 5.95
    near_rows = [{"draw": i, "target": "viewers", "value": 0.6 + i / 1000} for i in range(100)]
    near = check_table(spec, pd.DataFrame(near_rows), None).set_index("target").loc["viewers"]
    # 0.5 is below the model's 5% quantile 0.605 but within its own 1.645 sd (0.1645)
    assert near["inside"] == "no" and near["consistent"] == "yes"
    assert check.loc["retention", "inside"] == "no" and check.loc["retention", "n"] == 0
    check = check_table(spec, pd.DataFrame(rows), {"engagement": 50.0}).set_index("target")
    assert check.loc["engagement", "inside"] == "yes" and check.loc["engagement", "data"] == 50


def test_settings_defaults_and_overrides(tmp_path):
    spec = load_calibration(write(tmp_path))
    cfg = settings(spec, workers=2, population_size=None)
    assert cfg["population_size"] == 8 and cfg["workers"] == 2 and cfg["max_generations"] == 1
    with pytest.raises(SpecError, match="abc.max_walltime_minutes"):
        settings(spec, max_walltime_minutes=-1)


RECOVER = """
name = "recover"
description = "two identifiable parameters against targets made by the model"
steps = 72
root_seed = 11

[fixed]
n_users = 300
record_cascades = "none"

[priors]
base_comment = { low = 0.0005, high = 0.1, scale = "log", source = "test" }
activity_scale = { low = 0.2, high = 3.0, scale = "log", source = "test" }

[targets.weekly_commenters]
measure = "weekly_commenters"
value = 0.0
sd = 0.03
population = "test"
source = "test"
confidence = "low"

[targets.viewers]
measure = "daily_focal_viewers_mean"
value = 0.0
sd = 0.06
population = "test"
source = "test"
confidence = "low"
"""


@pytest.mark.slow
def test_calibration_recovers_known_parameters_from_synthetic_targets(tmp_path):
    """ABC-SMC recovers base_comment and activity_scale from targets the model made at theta*.

    At 300 users and 72 hours the share of users who comment rises with base_comment (0.07
    at 0.001, 0.28 at 0.005, 0.84 at 0.03, seed noise about 0.015) and the mean daily share
    of focal viewers with activity_scale (0.3 at 0.3, 0.6 at 1, 0.8 at 2.5, seed noise about
    0.04); each target's sd is about twice its seed noise, and activity also moves the
    commenters, so the two are identified jointly. The synthetic data are the mean of 3 seeds
    at theta*. Tolerance: theta* must lie in each posterior's weighted 90% interval (a miss
    would be a biased calibration: the interval holds ~90% of the mass, and the seeds of the
    data are not the calibration's) and the interval must be narrower than 0.6 of the
    prior's log10 range (both are pinned by their targets; an unidentified parameter keeps
    about 0.9).
    """
    spec = load_calibration(write(tmp_path, RECOVER, "recover.toml"))
    truth = {"base_comment": 0.005, "activity_scale": 1.0}
    sims = [simulate(spec, truth, 1000 + i) for i in range(3)]
    data = {k: float(np.mean([s[k] for s in sims])) for k in ("weekly_commenters", "viewers")}
    c = calibrate(
        spec,
        tmp_path / "cal",
        data=data,
        population_size=30,
        max_generations=5,
        workers=1,
        skip_screening=True,
        progress=False,
    )
    assert c.finished and len(c.generations) == 5
    post = pd.read_parquet(tmp_path / "cal" / "posterior.parquet")
    table = posterior_table(post, list(spec.priors)).set_index("parameter")
    for name, value in truth.items():
        row = table.loc[name]
        assert row["q05"] <= value <= row["q95"], (name, value, row.to_dict())
        assert row["width_ratio"] < 0.6, (name, row.to_dict())


def test_a_forked_worker_leaves_interrupts_to_the_parent(tmp_path):
    """pyabc's workers inherit the command's SIGTERM handler (raise KeyboardInterrupt); the
    model resets it on its first call in another process, so an interrupted calibration ends
    its workers without a traceback each. Run here in-process as if forked (parent = -1)."""
    import signal

    from experiments.calibrate import _Model

    spec = load_calibration(write(tmp_path))
    priors = {p.name: p for p in spec.priors}
    term, sigint = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGTERM, lambda *a: None)
        model = _Model(spec, priors, parent=-1)
        out = model({"base_like": -1.0})  # log10 units: base_like 0.1
        assert set(out) == {"engagement", "viewers", "retention"}
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        assert model.parent > 0  # reset once per worker
    finally:
        signal.signal(signal.SIGTERM, term)
        signal.signal(signal.SIGINT, sigint)


@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_a_one_worker_calibration_gives_the_same_particles_every_time(tmp_path):
    """With one worker numpy's global generator, which pyabc draws its proposals and
    acceptances from, is seeded from the root seed and the generation: two calibrations of
    one spec store the same particles and weights (exactly: the same code, seeds and order),
    and the caller's global generator is left as it was."""
    spec = load_calibration(write(tmp_path))
    np.random.seed(5)  # noqa: NPY002 - the caller's legacy global state must survive
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    runs = []
    for name in ("a", "b"):
        calibrate(
            spec, tmp_path / name, population_size=8, max_generations=2, workers=1,
            skip_screening=True, progress=False,
        )  # fmt: skip
        runs.append(pd.read_parquet(tmp_path / name / "posterior.parquet"))
    pd.testing.assert_frame_equal(runs[0], runs[1])
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
