"""experiments.targets: the calibration spec's loader (clear errors), the target simulator and
the distance (hand-computed), on tiny specs (200 users, 48 hours) written to tmp files."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from experiments.targets import (
    CalibrationSpec,
    SpecError,
    distance,
    load_calibration,
    parse_calibration,
    run_params,
    simulate,
)

TINY = """
name = "tiny"
description = "two priors, a plain, a held-out and an effect target"
steps = 48
root_seed = 7

[fixed]
n_users = 200
# the pre-calibration churn rates (tests/conftest.py, BUSY_RATES), so that churn happens in 48 steps
"following.churn_belonging" = 0.15
activity_scale = 1.0
"attention.attention_scale" = 1.0

[priors]
base_comment = { low = 0.0005, high = 0.1, scale = "log", source = "sweep range" }
"following.churn_prob" = { low = 0.0001, high = 0.1, scale = "log", source = "sweep range" }

[targets.engagement]
measure = "engagement"
value = 0.05
sd = 0.02
population = "test"
source = "test"
confidence = "low"

[targets.young_reach]
measure = "reach[post00]"
value = 0.5
sd = 0.1
interval = [0.4, 0.6]
population = "test"
source = "test"
confidence = "medium"
held_out = true

[targets.churn_effect]
measure = "retention"
effect = "difference"
control = { "following.churn_prob" = 0.0001 }
treatment = { "following.churn_prob" = 0.05 }
value = -0.1
sd = 0.05
population = "test"
source = "test"
confidence = "low"

[abc]
population_size = 10

[screening]
keep = 2
"""


@pytest.fixture
def write(tmp_path: Path):
    def _write(text: str) -> Path:
        path = tmp_path / "calibration.toml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def spec(write) -> CalibrationSpec:
    return load_calibration(write(TINY))


def test_loads_every_part(spec: CalibrationSpec) -> None:
    assert spec.name == "tiny" and spec.steps == 48 and spec.root_seed == 7
    assert spec.fixed == {
        "n_users": 200,
        "following.churn_belonging": 0.15,
        "activity_scale": 1.0,
        "attention.attention_scale": 1.0,
    }
    assert [p.name for p in spec.priors] == ["base_comment", "following.churn_prob"]
    assert spec.priors[0].scale == "log" and spec.priors[0].low == 0.0005
    assert [t.name for t in spec.fitted()] == ["engagement", "churn_effect"]
    young = spec.targets[1]
    assert young.held_out and young.interval == (0.4, 0.6) and young.measure == "reach[post00]"
    effect = spec.targets[2]
    assert effect.effect == "difference" and effect.treatment == {"following.churn_prob": 0.05}
    assert spec.abc == {"population_size": 10} and spec.screening == {"keep": 2}


def test_theta_maps_to_params_as_experiment_specs_do(spec: CalibrationSpec) -> None:
    p = run_params(spec, {"following.churn_prob": 0.02, "strategy.reply_share": 0.2})
    assert p.to_dict()["following.churn_prob"] == 0.02
    assert p.strategy.reply_share == 0.2 and p.n_users == 200 and p.steps == 48


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('name = "tiny"', 'name = "tiny"\nbogus = 1', "unknown key 'bogus'"),
        ("steps = 48", "steps = 0", "steps: must be an integer >= 1"),
        ("low = 0.0005", "low = 0.0", "a log-scale prior needs low > 0"),
        ('scale = "log", source = "sweep range" }\n"f', 'scale = "cubic", source = "s" }\n"f',
         "unknown scale 'cubic'"),
        ("base_comment = {", "base_coment = {", "base_comment"),
        ('measure = "engagement"', 'measure = "engagement_rate"', "unknown measure"),
        ('measure = "reach[post00]"', 'measure = "reach[post70]"', "unknown cohort"),
        ("sd = 0.02", "sd = 0", "sd: must be positive"),
        ('confidence = "low"\n\n[targets.young', 'confidence = "sure"\n\n[targets.young',
         "unknown confidence 'sure'"),
        ("interval = [0.4, 0.6]", "interval = [0.6, 0.4]", "low 0.6 is above high 0.4"),
        ('effect = "difference"', 'effect = "odds"', "unknown effect 'odds'"),
        ('effect = "difference"\n', "", "is only allowed with effect"),
        ("treatment = { \"following.churn_prob\" = 0.05 }",
         "treatment = { \"following.churn_prob\" = 0.0001 }", "must differ from control"),
        ("treatment = { \"following.churn_prob\" = 0.05 }",
         "treatment = { \"following.churn_prob\" = 5.0 }", "out of range"),
        ("n_users = 200", "n_users = 200\nbase_comment = 0.01", "is both fixed and calibrated"),
        ('population = "test"\nsource = "test"\nconfidence = "low"\n\n[targets.young',
         'source = "test"\nconfidence = "low"\n\n[targets.young', "population: must be a non-empty"),
    ],
)  # fmt: skip
def test_bad_spec_raises_one_clear_line(write, old: str, new: str, says: str) -> None:
    text = textwrap.dedent(TINY)
    assert old in text, old
    with pytest.raises(SpecError) as err:
        load_calibration(write(text.replace(old, new, 1)))
    message = str(err.value)
    assert says in message and "\n" not in message
    assert "calibration.toml" in message


def test_every_target_held_out_is_an_error(write) -> None:
    text = textwrap.dedent(TINY).replace(
        'confidence = "low"\n', 'confidence = "low"\nheld_out = true\n'
    )
    with pytest.raises(SpecError, match="every target is held out"):
        load_calibration(write(text))


def test_abc_and_screening_must_be_tables(spec: CalibrationSpec) -> None:
    import tomllib

    raw = tomllib.loads(textwrap.dedent(TINY))
    with pytest.raises(SpecError, match="abc: must be a table"):
        parse_calibration({**raw, "abc": 3})


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the calibration spec"):
        load_calibration(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nsteps = \n', encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML") as err:
        load_calibration(bad)
    assert err.value.line == 2  # the experiment specs' reader: the syntax error's line


def test_distance_by_hand(spec: CalibrationSpec) -> None:
    # fitted: engagement (0.05, sd 0.02) and churn_effect (-0.1, sd 0.05); young_reach held out
    sim = {"engagement": 0.09, "churn_effect": -0.2, "young_reach": 99.0}
    assert distance(spec, sim) == pytest.approx(math.sqrt(2.0**2 + 2.0**2))
    # synthetic data replace the targets' values; a target it does not name keeps its own
    assert distance(spec, sim, data={"engagement": 0.09}) == pytest.approx(2.0)
    assert distance(spec, {**sim, "engagement": float("nan")}) == math.inf
    with pytest.raises(KeyError, match="churn_effect"):
        distance(spec, {"engagement": 0.05})


def test_simulate_is_reproducible_and_pairs_the_arms(spec: CalibrationSpec) -> None:
    theta = {"base_comment": 0.003, "following.churn_prob": 0.002}
    sim = simulate(spec, theta, seed=3)
    assert list(sim) == ["engagement", "young_reach", "churn_effect"]
    assert simulate(spec, theta, seed=3) == sim
    assert 0.0 <= sim["engagement"] <= 3.0 and 0.0 <= sim["young_reach"] <= 1.0
    # the effect is the difference of the two arms' retention on the same seed: rerun them alone
    plain = load_calibration(spec.path)
    from experiments.targets import _run

    control = _run(plain, {**theta, "following.churn_prob": 0.0001}, 3, ("retention",))
    treated = _run(plain, {**theta, "following.churn_prob": 0.05}, 3, ("retention",))
    assert sim["churn_effect"] == pytest.approx(treated["retention"] - control["retention"])
    # A higher maximum unfollow hazard loses followers: at 0.0001 per step almost nobody
    # leaves, at 0.05 a few of about 60 followers do in most 48-step runs, none in some (churn
    # is drawn by thinning, so the arms' candidates differ: the sign holds per seed only
    # because the control barely churns).
    effects = [simulate(spec, theta, seed=s)["churn_effect"] for s in range(1, 6)]
    assert max(effects) <= 0.0 and min(effects) < 0.0


def test_simulate_rejects_a_theta_key_that_is_not_a_prior(spec: CalibrationSpec) -> None:
    with pytest.raises(KeyError, match="base_like"):
        simulate(spec, {"base_like": 0.1}, seed=1)


def test_runs_with_the_same_parameters_run_once(write, monkeypatch) -> None:
    """The base run, a control equal to it (a switch set to its preset value) and arms two
    targets share are each run once per simulate."""
    import experiments.targets as targets

    extra = """
    [targets.reply_effect]
    measure = "retention"
    effect = "ratio"
    control = { "strategy.reply_share" = 0.0 }
    treatment = { "strategy.reply_share" = 0.3 }
    value = 1.0
    sd = 0.1
    population = "test"
    source = "test"
    confidence = "low"
    """
    text = textwrap.dedent(TINY).replace("[abc]", textwrap.dedent(extra) + "\n[abc]")
    spec = load_calibration(write(text))
    calls: list[dict] = []
    real = targets._run

    def counting(spec, changes, seed, cols):
        calls.append(dict(changes))
        return real(spec, changes, seed, cols)

    monkeypatch.setattr(targets, "_run", counting)
    sim = simulate(spec, {"base_comment": 0.003, "following.churn_prob": 0.002}, seed=1)
    # base (= reply control), churn control, churn treatment, reply treatment
    assert len(calls) == 4
    assert set(sim) == {"engagement", "young_reach", "churn_effect", "reply_effect"}


def test_the_shipped_spec_loads_with_held_out_targets() -> None:
    spec = load_calibration(
        Path(__file__).parents[2] / "experiments" / "specs" / "calibration.toml"
    )
    assert len(spec.held_out()) >= 2 and len(spec.fitted()) >= 5
    assert len(spec.priors) <= 20 and set(spec.screening["candidates"]) <= set(
        spec.parameter_names()
    )
    for t in spec.targets:
        assert t.source and t.population and t.sd > 0
        if t.interval is not None:
            assert t.interval[0] <= t.value <= t.interval[1], t.name
    for p in spec.priors:
        assert p.low < p.high
    # the data values of the issue lie inside the priors
    prior = {p.name: p for p in spec.priors}
    assert prior["base_comment"].low <= 0.003 <= prior["base_comment"].high
    assert prior["following.churn_prob"].low <= 0.0001


def test_synthetic_targets_point_back_to_the_parameter_that_made_them(write) -> None:
    """Data made by the model at base_comment 0.003 are nearest, on the same seed, to the run at
    0.003 among a grid spanning the prior: the distance is 0 there and grows away from it."""
    text = """
    name = "one"
    steps = 48
    root_seed = 1
    [fixed]
    n_users = 200
    [priors]
    base_comment = { low = 0.0005, high = 0.1, scale = "log", source = "test" }
    [targets.weekly_commenters]
    measure = "weekly_commenters"
    value = 0.1
    sd = 0.02
    population = "test"
    source = "test"
    confidence = "low"
    """
    spec = load_calibration(write(text))
    data = simulate(spec, {"base_comment": 0.003}, seed=5)
    d = {
        b: distance(spec, simulate(spec, {"base_comment": b}, seed=5), data)
        for b in (0.0005, 0.003, 0.02, 0.1)
    }
    assert d[0.003] == 0.0
    assert d[0.02] > 0 and d[0.1] > d[0.02]
    assert min(d, key=d.get) == 0.003
