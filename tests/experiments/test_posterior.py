"""Uncertainty from a calibration posterior: the draws, their checks, and the variance split.

A synthetic posterior folder (a parquet of a few weighted particles over two parameters and a
calibration.json, as the calibration writes them) is built in tmp_path; a tiny spec over it
(3 draws x 2 replicates x 2 arms, 100 users, 24 steps) runs end to end once per module.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments.design import make_plan
from experiments.posterior import systematic_resample
from experiments.report import write_report
from experiments.spec import SpecError, load_spec
from experiments.stats import variance_split
from experiments.store import StoreError, read_table

PARTICLES = pd.DataFrame(
    {
        "base_comment": [0.002, 0.004, 0.006, 0.008],
        "following.churn_prob": [0.001, 0.002, 0.003, 0.004],
        "weight": [0.1, 0.2, 0.3, 0.4],
        "particle": [10, 11, 12, 13],
    }
)
CALIBRATION = {
    "spec": "toy_calibration",
    "spec_path": "experiments/specs/calibration.toml",
    "parameters": ["base_comment", "following.churn_prob"],
    "generation": 3,
    "epsilon": 1.5,
    "n_particles": 4,
    "fixed": {"n_users": 100, "belonging_decay": 0.01},
    "steps": 24,
    "finished": True,
}
SPEC = """
name = "toy_posterior"
replicates = 2
root_seed = 5
steps = 24

[arms]
one_way = "one_way"
interactive = "interactive"

[uncertainties]
posterior = "{folder}"
draws = 3

[analysis]
headline = ["reach", "engagement"]
"""


def write_posterior(
    folder: Path, particles: pd.DataFrame = PARTICLES, **calibration: object
) -> Path:
    """A posterior folder as the calibration writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    particles.to_parquet(folder / "posterior.parquet")
    meta = {**CALIBRATION, **calibration}
    (folder / "calibration.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_posterior(tmp_path / "cal")


@pytest.fixture
def spec_path(tmp_path: Path, folder: Path) -> Path:
    return write(tmp_path / "spec.toml", SPEC.format(folder=folder))


# ---------------------------------------------------------------------------------- the split
def test_variance_split_matches_a_hand_computed_case():
    # draws x replicates; draw means 2, 8; replicate means 3, 7; grand mean 5
    y = np.array([[1.0, 3.0], [5.0, 11.0]])
    s = variance_split(y)
    # MS_A = r * sum (draw mean - 5)^2 / (D - 1) = 2 * (9 + 9) = 36
    # MS_B = D * sum (replicate mean - 5)^2 / (r - 1) = 2 * (4 + 4) = 16
    # residuals y - draw mean - replicate mean + 5 = +1, -1, -1, +1: MS_E = 4 / 1
    assert (s.ms_draws, s.ms_seeds, s.ms_resid) == pytest.approx((36.0, 16.0, 4.0))
    # seed noise: the pooled within-draw variance, (2 + 18) / 2
    assert s.seed_var == pytest.approx(10.0)
    # parameter: (MS_A - MS_E) / r = (36 - 4) / 2
    assert s.param_var == pytest.approx(16.0)
    assert s.seed_share == pytest.approx(10 / 26) and s.param_share == pytest.approx(16 / 26)
    assert s.mean == 5.0 and s.share_positive == 1.0 and not s.floored
    # Var(mean) = (MS_A + MS_B - MS_E) / (D r) = 48 / 4;
    # Satterthwaite df = 48^2 / (36^2 + 16^2 + 4^2)
    df = 48.0**2 / (36.0**2 + 16.0**2 + 4.0**2)
    from scipy import stats

    half = stats.t.ppf(0.975, df) * np.sqrt(12.0)
    assert (s.ci_lo, s.ci_hi) == pytest.approx((5 - half, 5 + half))
    z = stats.norm.ppf(0.975) * np.sqrt(26.0)
    assert (s.lo, s.hi) == pytest.approx((5 - z, 5 + z))


def test_variance_split_floors_a_negative_parameter_part():
    # identical draw means, noisy seeds: MS_A = 0 < MS_E, so the estimate is negative
    y = np.array([[0.0, 2.0, 1.0], [2.0, 0.0, 1.0]])
    s = variance_split(y)
    assert s.param_var == 0.0 and s.floored and s.param_share == 0.0 and s.seed_share == 1.0


def test_variance_split_mean_interval_never_collapses_when_components_are_negative():
    """Two draws with nearly equal means and two seeds with nearly equal means: MS_A and MS_B
    fall below MS_E, the plain estimate (MS_A + MS_B - MS_E) / (D r) is negative and the old
    interval had zero width. The truncated estimator keeps sigma_E^2 / (D r) with the residual's
    (D - 1)(r - 1) degrees of freedom (hand-computed below)."""
    # draw means 2, 2; replicate means 2, 2; residuals +-1: MS_A = MS_B = 0, MS_E = 4
    y = np.array([[1.0, 3.0], [3.0, 1.0]])
    s = variance_split(y)
    assert (s.ms_draws, s.ms_seeds, s.ms_resid) == pytest.approx((0.0, 0.0, 4.0))
    from scipy import stats

    half = stats.t.ppf(0.975, 1) * np.sqrt(4.0 / 4)
    assert (s.ci_lo, s.ci_hi) == pytest.approx((2 - half, 2 + half))
    assert s.ci_hi > s.ci_lo


def test_variance_split_drops_only_the_negative_component():
    """MS_B < MS_E < MS_A: Var(mean) = MS_A / (D r) with D - 1 degrees of freedom."""
    # draw means 0, 10 (MS_A = 2 * 50 = 100); replicates 5 and 5 (MS_B = 0); residuals +-1 (MS_E = 4)
    y = np.array([[-1.0, 1.0], [11.0, 9.0]])
    s = variance_split(y)
    assert (s.ms_draws, s.ms_seeds, s.ms_resid) == pytest.approx((100.0, 0.0, 4.0))
    from scipy import stats

    half = stats.t.ppf(0.975, 1) * np.sqrt(100.0 / 4)
    assert (s.ci_lo, s.ci_hi) == pytest.approx((5 - half, 5 + half))


def test_variance_split_recovers_known_components_where_one_way_anova_would_not():
    """Simulated crossed draws x shared seeds, y = a_d + b_j + e_dj, with known variances.

    Tolerance: the estimators are unbiased, so the mean of K independent estimates lies within
    4 of its own standard errors (sd over the K estimates / sqrt K) of the true value; a wrong
    formula is off by much more. The one-way estimator (MS_A - MS_W) / r must instead be low by
    about sigma_B^2 / r, which is what the two-way one avoids.
    """
    rng = np.random.default_rng(2024)
    s2a, s2b, s2e = 1.0, 0.8, 0.3
    n_draws, r, k = 40, 2, 400
    a = rng.normal(0, np.sqrt(s2a), (k, n_draws, 1))
    b = rng.normal(0, np.sqrt(s2b), (k, 1, r))
    e = rng.normal(0, np.sqrt(s2e), (k, n_draws, r))
    ys = 0.5 + a + b + e
    splits = [variance_split(y) for y in ys]
    seed = np.array([s.seed_var for s in splits])
    param = np.array([(s.ms_draws - s.ms_resid) / r for s in splits])  # unfloored
    one_way = np.array([(s.ms_draws - s.seed_var) / r for s in splits])

    def close(x: np.ndarray, truth: float) -> bool:
        return abs(x.mean() - truth) < 4 * x.std(ddof=1) / np.sqrt(len(x))

    assert close(seed, s2b + s2e)
    assert close(param, s2a)
    # the one-way estimate is biased low by sigma_B^2 / r = 0.4 (far beyond its noise)
    assert close(one_way, s2a - s2b / r)
    assert not close(one_way, s2a)


def test_variance_split_needs_two_replicates_and_two_draws():
    with pytest.raises(ValueError, match="at least 2 replicates per draw, got 1"):
        variance_split(np.ones((5, 1)))
    with pytest.raises(ValueError, match="at least 2 draws"):
        variance_split(np.ones((1, 4)))
    with pytest.raises(ValueError, match="non-finite"):
        variance_split(np.array([[1.0, np.nan], [1.0, 2.0]]))


# ---------------------------------------------------------------------------------- the draws
def test_systematic_resampling_draws_each_particle_floor_or_ceil_of_n_times_its_weight():
    w = np.array([0.05, 0.15, 0.5, 0.3])
    for seed in range(20):
        idx = systematic_resample(w, 10, np.random.default_rng(seed))
        counts = np.bincount(idx, minlength=4)
        assert counts.sum() == 10
        assert (counts >= np.floor(10 * w)).all() and (counts <= np.ceil(10 * w)).all()
    # one uniform decides everything: the same generator state gives the same draws
    a = systematic_resample(w, 7, np.random.default_rng(3))
    b = systematic_resample(w, 7, np.random.default_rng(3))
    assert (a == b).all()
    # a particle of weight 0 is never drawn
    assert 0 not in systematic_resample(np.array([0.0, 1.0]), 5, np.random.default_rng(1))


def test_draws_are_reproducible_from_the_root_seed_and_follow_the_particles(spec_path, tmp_path):
    one, two = load_spec(spec_path), load_spec(spec_path)
    p = one.design.posterior
    assert p is not None and p == two.design.posterior
    # 3 systematic draws of weights .1 .2 .3 .4: particle 13 (n w = 1.2) once or twice, 12 once
    # or not (n w = 0.9), 10 at most once; each draw is its particle's row
    assert len(p.particles) == 3 and set(p.particles) <= {10, 11, 12, 13}
    assert p.particles.count(13) >= 1
    rows = PARTICLES.set_index("particle")
    for particle, draw in zip(p.particles, p.draws, strict=True):
        assert draw == {
            "base_comment": rows.at[particle, "base_comment"],
            "following.churn_prob": rows.at[particle, "following.churn_prob"],
        }
    assert (p.generation, p.calibration, p.n_particles) == (3, "toy_calibration", 4)
    digest = __import__("hashlib").sha256((tmp_path / "cal/posterior.parquet").read_bytes())
    assert p.sha256 == digest.hexdigest()
    # another root seed gives another uniform (and here other draws over 40 of them)
    many = write_posterior(
        tmp_path / "many",
        pd.DataFrame(
            {
                "base_comment": np.linspace(0.001, 0.009, 40),
                "following.churn_prob": np.linspace(0.001, 0.004, 40),
                "weight": np.full(40, 1 / 40),
                "particle": np.arange(40),
            }
        ),
        n_particles=40,
    )
    text = SPEC.format(folder=many).replace("draws = 3", "draws = 8")
    a = load_spec(write(tmp_path / "a.toml", text)).design.posterior
    b = load_spec(write(tmp_path / "b.toml", text.replace("root_seed = 5", "root_seed = 6")))
    assert a is not None and b.design.posterior is not None
    assert a.particles != b.design.posterior.particles
    # equal weights, 8 of 40: one particle in every 5, all distinct
    assert len(set(a.particles)) == 8 and np.all(np.diff(a.particles) == 5)


def test_each_draw_is_a_design_point_whose_arms_get_its_values_and_the_calibration_fixed(
    spec_path,
):
    spec = load_spec(spec_path)
    plan = make_plan(spec)
    post = spec.design.posterior
    assert len(plan.points) == 3 and plan.n_runs == 3 * 2 * 2
    for i, draw in enumerate(post.draws):
        assert plan.points[i] == draw
        for arm in ("one_way", "interactive"):
            params = plan.params[(i, arm)]
            assert params["base_comment"] == draw["base_comment"]
            assert params["following.churn_prob"] == draw["following.churn_prob"]
            # the calibration's fixed values reach every run
            assert params["n_users"] == 100 and params["belonging_decay"] == 0.01
    # the usual paired seeds: replicate r has one seed at every draw and arm
    assert len(plan.seeds) == 2
    tasks = plan.tasks()
    for r in range(2):
        assert {t.seed for t in tasks if t.replicate == r} == {plan.seeds[r]}


def test_the_spec_fixed_overrides_the_calibration_fixed_and_says_so(tmp_path, folder):
    text = SPEC.format(folder=folder) + "\n[fixed]\nn_users = 150\n"
    spec = load_spec(write(tmp_path / "s.toml", text))
    post = spec.design.posterior
    assert spec.fixed["n_users"] == 150 and spec.fixed["belonging_decay"] == 0.01
    assert post.fixed == {"belonging_decay": 0.01}
    assert post.overridden == {"n_users": [100, 150]}
    assert make_plan(spec).params[(0, "one_way")]["n_users"] == 150
    # a calibration's fixed value of a drawn parameter, the run length or a strategy switch
    # (the calibration's effect arms') is not applied
    fixed = {"n_users": 100, "base_comment": 0.5, "steps": 10, "strategy.reply_share": 0.9}
    write_posterior(folder, fixed=fixed)
    post = load_spec(write(tmp_path / "s.toml", text)).design.posterior
    assert post.fixed == {}
    assert post.overridden["strategy.reply_share"] == [0.9, "the strategy is set by the arms"]
    assert post.overridden["base_comment"] == [0.5, "drawn from the posterior"]
    assert post.overridden["steps"][0] == 10 and "top-level 'steps'" in post.overridden["steps"][1]


def test_draws_cross_the_other_uncertainties(tmp_path, folder):
    text = (
        SPEC.format(folder=folder).replace("draws = 3", "draws = 3\ntrust_shift = [-0.2, 0.2]")
        + '\n[design]\nkind = "lhs"\nn = 4\n'
    )
    spec = load_spec(write(tmp_path / "s.toml", text))
    plan = make_plan(spec)
    draws = spec.design.posterior.draws
    assert len(plan.points) == 12 and experiments.spec.count_points(spec) == 12
    shifts = [p["trust_shift"] for p in plan.points[:4]]
    for j, point in enumerate(plan.points):
        # draw-major: every draw meets the same four LHS scenarios
        assert {k: point[k] for k in draws[0]} == draws[j // 4]
        assert point["trust_shift"] == shifts[j % 4]
    assert plan.unit is not None and plan.unit.shape == (12, 1)
    assert spec.design.uncertainty_keys == ("base_comment", "following.churn_prob", "trust_shift")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: shutil.rmtree(f), r"posterior folder .* does not exist"),
        (lambda f: (f / "posterior.parquet").unlink(), r"posterior.parquet is missing"),
        (lambda f: (f / "calibration.json").unlink(), r"calibration.json is missing"),
        (
            lambda f: write_posterior(
                f,
                PARTICLES.rename(columns={"base_comment": "base_coment"}),
                parameters=["base_coment", "following.churn_prob"],
            ),
            r"calibrates 'base_coment', which is not a model.Params field or rule parameter",
        ),
        (
            lambda f: write_posterior(f, PARTICLES.drop(columns="weight")),
            r"lacks the column\(s\) weight",
        ),
        (
            lambda f: write_posterior(f, PARTICLES.assign(base_comment=[0.1, 0.2, 0.3, 5.0])),
            r"particle 13 of .*base_comment",
        ),
        (
            lambda f: write_posterior(f, fixed={"n_userz": 100}),
            r"calibration.json: fixed names 'n_userz'",
        ),
        (
            lambda f: write_posterior(f, generation="3"),
            r"calibration.json: generation must be a whole number, got '3'",
        ),
    ],
    ids=[
        "no folder",
        "no parquet",
        "no json",
        "unknown parameter",
        "no weight",
        "out of range",
        "bad fixed",
        "bad generation",
    ],
)
def test_a_posterior_that_cannot_be_used_is_a_clear_error(spec_path, folder, change, message):
    change(folder)
    with pytest.raises(SpecError, match=message) as e:
        load_spec(spec_path)
    text = str(e.value)
    assert "\n" not in text and "uncertainties.posterior" in text and "spec.toml:" in text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("draws = 3", 'draws = 3\n"following.churn_prob" = [0.0, 0.01]'),
            r"following.churn_prob is drawn from the posterior .* and also given a range or "
            r"choices in \[uncertainties\]; keep one",
        ),
        (
            lambda t: t + "\n[fixed]\nbase_comment = 0.003\n",
            r"base_comment is drawn from the posterior .* and also set in \[fixed\]",
        ),
        (
            lambda t: t.replace("replicates = 2", "replicates = 1"),
            r"replicates=1: .* needs at least 2 replicates",
        ),
        (lambda t: t.replace("draws = 3", "draws = 1"), r"draws must be .*\[2, 10000\]"),
        (
            lambda t: t.replace('posterior = "', 'x = "').replace("x = ", "# "),
            r"draws is the number of parameter sets drawn from a posterior; it needs",
        ),
        (
            lambda t: (
                t.replace("draws = 3", "draws = 3\ntrust_shift = [-0.2, 0.2]")
                + '\n[design]\nkind = "morris"\nn = 2\n'
            ),
            r"a posterior cannot be crossed with a morris design",
        ),
        (lambda t: t + "\n[design]\nn = 4\n", r"is \[uncertainties\] draws, not design.n"),
    ],
    ids=[
        "range too",
        "fixed too",
        "one replicate",
        "one draw",
        "draws alone",
        "morris",
        "design.n",
    ],
)
def test_a_spec_that_misuses_a_posterior_is_a_clear_error(tmp_path, folder, edit, message):
    path = write(tmp_path / "spec.toml", edit(SPEC.format(folder=folder)))
    with pytest.raises(SpecError, match=message) as e:
        load_spec(path)
    assert "\n" not in str(e.value)


def test_a_relative_path_is_read_from_the_spec_files_folder(tmp_path, folder, monkeypatch):
    path = write(tmp_path / "spec.toml", SPEC.format(folder="cal"))
    for cwd in (tmp_path, folder):  # the directory one runs in does not matter
        monkeypatch.chdir(cwd)
        assert load_spec(path).design.posterior.resolved == str(folder.resolve())
    elsewhere = write(folder / "spec.toml", SPEC.format(folder="cal"))
    with pytest.raises(SpecError, match="a relative path is read from the spec file's folder"):
        load_spec(elsewhere)


def test_a_spec_without_a_posterior_stores_no_posterior_key(tiny_spec):
    # manifests and plans stored before posteriors existed must still match on resume
    d = load_spec(tiny_spec).to_dict()
    assert "posterior" not in d["design"]


# ---------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny posterior spec, run once: (the spec, the output folder)."""
    root = tmp_path_factory.mktemp("posterior_run")
    folder = write_posterior(root / "cal")
    spec = write(root / "spec.toml", SPEC.format(folder=folder))
    out = root / "out"
    experiments.run(spec, out, progress=False, flush_every=2)
    return spec, out


def test_the_runs_carry_the_draws_and_the_report_splits_the_differences(finished):
    spec_path, out = finished
    spec = load_spec(spec_path)
    runs = read_table(out, "runs")
    assert len(runs) == 12 and (runs["status"] == "ok").all()
    for point, draw in enumerate(spec.design.posterior.draws):
        mine = runs[runs["point_id"] == point]
        assert (mine["param.base_comment"] == draw["base_comment"]).all()
        assert (mine["param.following.churn_prob"] == draw["following.churn_prob"]).all()
        assert (mine["param.n_users"] == 100).all()
    manifest = json.loads((out / "manifest.json").read_text())
    stored = manifest["spec"]["design"]["posterior"]
    assert stored["sha256"] == spec.design.posterior.sha256 and stored["generation"] == 3

    files = write_report(out, figures=False)
    split = pd.read_csv(files["posterior_split.csv"])
    assert list(split["measure"]) == ["reach", "engagement"]
    assert (split[["draws", "replicates"]] == [3, 2]).all().all()
    # the split recomputed from the runs: Δ per (draw, replicate), then the two-way ANOVA
    ok = runs.set_index(["arm", "point_id", "replicate"])
    for m in ("reach", "engagement"):
        y = np.array(
            [
                [ok.at[("interactive", d, r), m] - ok.at[("one_way", d, r), m] for r in range(2)]
                for d in range(3)
            ]
        )
        row = split[split["measure"] == m].iloc[0]
        want = variance_split(y)
        assert row["seed_var"] == pytest.approx(want.seed_var)
        assert row["param_var"] == pytest.approx(want.param_var)
        assert row["mean"] == pytest.approx(y.mean())
        assert row["seed_share"] + row["param_share"] == pytest.approx(1.0)
    md = (out / "report.md").read_text()
    assert "## Seed noise and parameter uncertainty (calibration posterior)" in md
    assert "| arm | measure | mean Δ | 95% CI of the mean | 95% of Δ | seed noise (var) |" in md
    assert spec.design.posterior.sha256 in md and "generation 3" in md
    assert "belonging_decay = 0.01" in md


def test_resume_finishes_the_same_runs_and_refuses_a_changed_posterior(finished, tmp_path):
    spec_path, done = finished
    out = tmp_path / "out"
    shutil.copytree(done, out)
    # lose the last flush, as a kill between flushes would; it holds two runs when the flush
    # is by count, fewer when a loaded machine flushed it by time (flush_seconds), so count it
    last = sorted((out / "runs").glob("part-*.parquet"))[-1]
    lost = len(pd.read_parquet(last))
    last.unlink()
    s = experiments.run(spec_path, out, resume=True, progress=False)
    assert lost >= 1 and s.ran == lost
    cols = ["run_id", "seed", "param.base_comment", "reach", "engagement"]
    pd.testing.assert_frame_equal(
        read_table(out, "runs").sort_values("run_id")[cols].reset_index(drop=True),
        read_table(done, "runs").sort_values("run_id")[cols].reset_index(drop=True),
    )
    # the calibration moved on: another posterior.parquet in the same folder
    folder = Path(load_spec(spec_path).design.posterior.resolved)
    write_posterior(folder, PARTICLES.assign(weight=[0.4, 0.3, 0.2, 0.1]))
    try:
        with pytest.raises(StoreError, match=r"differs in: design.posterior"):
            experiments.run(spec_path, out, resume=True, progress=False)
    finally:
        write_posterior(folder)


def test_the_worked_example_is_the_flagship_over_the_kept_posterior(monkeypatch):
    """flagship_posterior.toml reads the posterior kept in experiments/calibrated (the one behind
    the defaults), read from the spec file's folder whatever the current directory."""
    repo = Path(__file__).resolve().parents[2]
    root = repo / "experiments" / "specs"
    monkeypatch.chdir(Path(__file__).resolve().parent)
    spec = load_spec(root / "flagship_posterior.toml")
    flagship = load_spec(root / "interactive_vs_one_way.toml")
    assert spec.arms == flagship.arms and spec.metrics == flagship.metrics
    assert spec.analysis.headline == flagship.analysis.headline
    assert spec.analysis.min_difference == flagship.analysis.min_difference
    post = spec.design.posterior
    assert post is not None and len(post.draws) == 32 and spec.replicates >= 2
    # the spec's population replaces the calibration's, and the report will say so
    assert spec.fixed["n_users"] == 10000 and post.overridden["n_users"] == [2000, 10000]
    # the twelve calibrated parameters, each drawn inside the priors of calibration.toml
    meta = json.loads((repo / "experiments" / "calibrated" / "calibration.json").read_text())
    assert len(meta["parameters"]) == 12 and "base_comment" in meta["parameters"]
    draws = pd.DataFrame(post.draws)
    assert set(meta["parameters"]) <= set(draws.columns)
    assert draws["base_comment"].between(0.0005, 0.1).all()


def test_the_split_is_per_lever_setting_and_leaves_out_a_draw_with_a_failed_run():
    from types import SimpleNamespace

    from experiments.report_tables import split_table

    # 2 lever settings x 3 draws (points 0-2 and 3-5), 2 replicates; the baseline's reach is 0,
    # so each Δ is the interactive arm's value
    arm_values = {
        0: [1.0, 3.0],
        1: [5.0, 11.0],
        2: [7.0, np.nan],  # replicate 1 failed: draw 2 of lever 0 is left out
        3: [100.0, 100.0],
        4: [101.0, 101.0],
        5: [102.0, 102.0],
    }
    rows = []
    for point, values in arm_values.items():
        for r, v in enumerate(values):
            rows.append(("one_way", point, r, "ok", 0.0))
            rows.append(("interactive", point, r, "failed" if np.isnan(v) else "ok", v))
    runs = pd.DataFrame(rows, columns=["arm", "point_id", "replicate", "status", "reach"])
    spec = SimpleNamespace(
        arm_names=("one_way", "interactive"),
        analysis=SimpleNamespace(baseline="one_way", confidence=0.95),
        design=SimpleNamespace(
            levers=({"strategy.reply_share": 0.1}, {"strategy.reply_share": 0.3})
        ),
    )
    plan = SimpleNamespace(index=[(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
    split = split_table(SimpleNamespace(spec=spec, plan=plan, runs=runs), ["reach"])
    assert list(split["lever"]) == [0, 1]
    first, second = split.iloc[0], split.iloc[1]
    # lever 0 without draw 2 is the hand-computed case above
    assert (first["draws"], first["seed_var"], first["param_var"]) == (2, 10.0, 16.0)
    assert first["note"] == "1 draw(s) left out"
    # lever 1: no seed noise, draw means 100, 101, 102: MS_A = 2 * 2 / 2, MS_E = 0
    assert (second["draws"], second["seed_var"], second["param_var"]) == (3, 0.0, 1.0)
    assert second["mean"] == 101.0 and second["param_share"] == 1.0
