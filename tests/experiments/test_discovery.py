"""Levers x uncertainties, the horizon check, PRIM and SALib wiring, checked on known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import discovery
from experiments.design import build_tasks
from experiments.discovery import discover, prim_boxes
from experiments.points import unit_sample
from experiments.report import write_report
from experiments.run import relative_change
from experiments.sensitivity import morris, sobol
from experiments.spec import Design, SpecError, count_points, load_spec, parse_spec
from experiments.store import TIMING_COLUMNS, read_table

pytest.importorskip("SALib")
pytest.importorskip("prim")

SMOKE = Path(__file__).parents[2] / "experiments" / "specs" / "discovery_smoke.toml"

LEVERS = """
name = "levers"
replicates = 2
root_seed = 5
steps = 12
measure_every = 4
settle_window = 4

[fixed]
n_users = 200

[levers]
"strategy.community_share" = [0.1, 0.0]
"strategy.follow_up" = [true, false]

[uncertainties]
trust_shift = [-0.2, 0.2]
"mix.young_share" = [0.3, 0.6]
attention_scale = {choices = [0.8, 1.2]}

[design]
kind = "lhs"
n = 3

[arms]
one_way = "one_way"
interactive = "interactive"
"""


# ---------------------------------------------------------------------------------- PRIM
def test_prim_finds_a_known_box_on_uniform_samples():
    """y = 1 exactly when x1 < 0.3 and x2 > 0.6, on 2000 uniform points of the unit cube.

    The true box (mass 0.12) has density 1 and coverage 1; the kept point maximises coverage
    at density >= 0.8, so each limit can sit at most a few peels (5% of the box's points, a
    slice under 0.02 wide at the end) outside the true edge: 0.05 is a safe tolerance.
    The irrelevant x3 must not be restricted beyond noise (at most a 0.1 trim).
    """
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(size=(2000, 3)), columns=["x1", "x2", "x3"])
    y = ((x["x1"] < 0.3) & (x["x2"] > 0.6)).to_numpy(int)
    boxes, traj = prim_boxes(x, y)
    box = boxes[0]
    lims = box["limits"]
    assert lims["x1"][1] == pytest.approx(0.3, abs=0.05)
    assert lims["x2"][0] == pytest.approx(0.6, abs=0.05)
    assert lims["x1"][0] < 0.05 and lims["x2"][1] > 0.95
    if "x3" in lims:
        assert lims["x3"][1] - lims["x3"][0] > 0.9
    assert box["coverage"] >= 0.9 and box["density"] >= 0.8
    assert box["mass"] == pytest.approx(0.12, abs=0.04)
    assert {"coverage", "density", "mass", "res_dim", "selected"} <= set(traj.columns)
    assert traj["selected"].sum() == len(boxes)


def test_prim_keeps_the_categories_of_a_choice_uncertainty():
    """A categorical condition (c in {b, c}) comes back as the kept categories."""
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(size=(1500, 2)), columns=["x1", "x2"])
    x["c"] = rng.choice(["a", "b", "c"], size=len(x))
    y = ((x["x1"] < 0.5) & (x["c"] != "a")).to_numpy(int)
    boxes, _ = prim_boxes(x, y)
    assert boxes[0]["limits"]["c"] == ("b", "c")
    assert boxes[0]["limits"]["x1"][1] == pytest.approx(0.5, abs=0.05)


def test_discover_shows_progress_on_a_large_table_and_finds_the_same_boxes(monkeypatch, capsys):
    """The bar (one step per arm, lever setting and measure, on stderr) changes no box."""
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(300, 2))
    effects = pd.concat(
        [
            pd.DataFrame(
                {
                    "arm": "arm",
                    "lever": 0,
                    "lever_label": "-",
                    "measure": m,
                    "x1": x[:, 0],
                    "x2": x[:, 1],
                    "diff": rng.normal(size=len(x)),
                    "loses_or_ties": x[:, 0] < cut,
                }
            )
            for m, cut in (("reach", 0.3), ("trust", 0.6))
        ],
        ignore_index=True,
    )
    quiet = discover(effects, ["x1", "x2"])
    assert "PRIM" not in capsys.readouterr().err
    monkeypatch.setattr(discovery, "PROGRESS_FROM", len(effects))
    shown = discover(effects, ["x1", "x2"])
    err = capsys.readouterr().err
    assert "PRIM boxes per arm, lever setting and measure" in err and "2/2" in err
    for a, b in zip(quiet, shown, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert set(quiet[0]["measure"]) == {"reach", "trust"} and (quiet[0]["box"] >= 0).all()


# ---------------------------------------------------------------------------------- SALib
def _ishigami(u: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_contain_the_known_values():
    """Ishigami (a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (Saltelli 2008).

    The sample comes through the design's own sampler (kind "saltelli", n = 1024, fixed seed),
    so this checks that the rows the analysis reads back are the rows that were sampled. Each
    known value lies inside its 95% bootstrap CI, and within 0.07 of the estimate.
    """
    design = Design(kind="saltelli", ranges={"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=1024, seed=1)
    u = unit_sample(design)
    assert len(u) == 1024 * (3 + 2)
    t = sobol(["a", "b", "c"], _ishigami(u), confidence=0.95, seed=1)
    known = {"S1": [0.314, 0.442, 0.0], "ST": [0.558, 0.442, 0.244]}
    for col, values in known.items():
        for i, v in enumerate(values):
            assert t[f"{col}_lo"].iloc[i] <= v <= t[f"{col}_hi"].iloc[i], (col, i)
            assert t[col].iloc[i] == pytest.approx(v, abs=0.07)


def test_morris_screening_ranks_a_linear_function():
    """y = 2 x1 + 0.5 x3 on the unit cube: μ* = 2, 0, 0.5 exactly (linear effects, no noise)."""
    design = Design(
        kind="morris", ranges={"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=20, seed=3, levels=4
    )
    u = unit_sample(design)
    assert len(u) == 20 * (3 + 1)
    t = morris(["a", "b", "c"], u, 2 * u[:, 0] + 0.5 * u[:, 2], levels=4)
    assert t["mu_star"].to_numpy() == pytest.approx([2.0, 0.0, 0.5], abs=1e-9)
    assert t["sigma"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-9)


# ---------------------------------------------------------------------------------- design
def test_every_lever_setting_sees_the_same_uncertainty_sample_and_seeds():
    spec = parse_spec(__import__("tomllib").loads(LEVERS))
    tasks = build_tasks(spec)
    assert len(tasks) == 4 * 3 * 2 * 2  # lever settings x scenarios x arms x replicates
    rows = pd.DataFrame(
        [
            {
                "arm": t.arm,
                "rep": t.replicate,
                "seed": t.seed,
                "lever": (
                    t.factors["strategy.community_share"],
                    t.factors["strategy.follow_up"],
                ),
                "scenario": t.point_id % 3,
                "unc": (
                    t.factors["trust_shift"],
                    t.factors["mix.young_share"],
                    t.factors["attention_scale"],
                ),
                "community": t.params["strategy"]["community_share"],
                "trust_shift": t.params["trust_shift"],
            }
            for t in tasks
        ]
    )
    assert rows["lever"].nunique() == 4
    # the same scenario sample under every lever setting and in every arm
    per = rows.groupby("scenario")["unc"].nunique()
    assert (per == 1).all()
    assert (
        rows.groupby(["lever", "arm"])["unc"].apply(lambda s: tuple(sorted(set(s)))).nunique() == 1
    )
    # one seed per replicate, whatever the lever setting, scenario or arm
    assert (rows.groupby("rep")["seed"].nunique() == 1).all()
    assert rows["seed"].nunique() == 2
    # levers reach the interactive arm only; uncertainties reach both arms
    inter, one = rows[rows["arm"] == "interactive"], rows[rows["arm"] == "one_way"]
    assert set(inter["community"]) == {0.1, 0.0} and set(one["community"]) == {0.0}
    assert (inter["trust_shift"].to_numpy() == one["trust_shift"].to_numpy()).all()
    assert set(rows["unc"].map(lambda u: u[2])) <= {0.8, 1.2}


@pytest.mark.parametrize(
    ("table", "key", "needle"),
    [
        ("[levers]\ntrust_shift = [0.1, 0.2]", "levers.trust_shift", "put it in [uncertainties]"),
        (
            '[levers]\n"strategy.community_share" = 0.1',
            "levers.strategy.community_share",
            "non-empty list",
        ),
        (
            '[levers]\n"strategy.comunity" = [true]',
            "levers.strategy.comunity",
            "did you mean",
        ),
        (
            '[uncertainties]\n"strategy.community_share" = [0.1, 0.0]',
            "uncertainties.strategy.community_share",
            "[levers]",
        ),
        ("[uncertainties]\ntrust_shift = [-3, 0.2]", "uncertainties.trust_shift", "[-0.5, 0.5]"),
        ("[uncertainties]\ntrust_shift = [0.2, -0.2]", "uncertainties.trust_shift", "low < high"),
        (
            '[uncertainties]\ntrust_shift = "wide"\n[design]\nkind = "lhs"\nn = 4',
            "uncertainties.trust_shift",
            "[low, high]",
        ),
        (
            "[uncertainties]\ntrust_shift = [-0.2, 0.2]\n[factors]\nacq_degree = [6]",
            "factors",
            "[uncertainties]",
        ),
        (
            '[uncertainties]\ntrust_shift = [-0.2, 0.2]\n[design]\nkind = "factorial"',
            "uncertainties.trust_shift",
            "factorial",
        ),
        (
            '[uncertainties]\ntrust_shift = [-0.2, 0.2]\nattention_scale = [0.5, 1]\n[design]\nkind = "saltelli"\nn = 6',
            "design.n",
            "power of 2",
        ),
    ],
)
def test_bad_lever_and_uncertainty_tables_name_the_key(write_spec, table, key, needle):
    head = 'name = "bad"\nsteps = 4\narms = ["one_way", "interactive"]\n[fixed]\nn_users = 100\n'
    path = write_spec(
        head
        + table
        + (
            "\n[design]\nn = 4\n"
            if "[uncertainties]" in table and "[design]" not in table
            else "\n"
        )
    )
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert e.value.key == key, str(e.value)
    assert needle in str(e.value)
    assert e.value.line is not None


def test_the_smoke_spec_loads_with_levers_over_a_saltelli_sample():
    spec = load_spec(SMOKE)
    assert spec.design.kind == "saltelli"
    assert spec.design.lever_keys == ("strategy.community_share",)
    assert count_points(spec) == 2 * 4 * (3 + 2)


# ---------------------------------------------------------------------------------- horizon
def test_relative_change_is_scale_free_and_defined_at_zero():
    assert relative_change(1.0, 1.01) == pytest.approx(0.01 / 1.01)
    assert relative_change(0.0, 0.0) == 0.0
    assert relative_change(-0.1, 0.1) == pytest.approx(2.0)
    assert np.isnan(relative_change(np.nan, 1.0))


def _tables(out):
    runs = read_table(out, "runs").drop(columns=list(TIMING_COLUMNS))
    return runs, read_table(out, "timeseries"), read_table(out, "cascades")


@pytest.mark.slow  # over 5 s on 2 cores: make test and CI run it, make test-fast skips it
def test_serial_process_and_dask_give_identical_tables_for_levers_and_uncertainties(
    write_spec, tmp_path
):
    pytest.importorskip("dask.distributed")
    spec = write_spec(LEVERS.replace("n = 3", "n = 2").replace("replicates = 2", "replicates = 1"))
    outs = {}
    for name, kw in {
        "serial": {"executor": "serial"},
        "process2": {"executor": "process", "workers": 2},
        "dask2": {"executor": "dask", "workers": 2},
    }.items():
        outs[name] = tmp_path / name
        s = experiments.run(spec, outs[name], progress=False, flush_every=3, **kw)
        assert (s.planned, s.failed) == (16, 0)
    runs = read_table(outs["serial"], "runs")
    # the horizon check is stored: drift and settled per step measure, and the summary
    assert {"drift.trust", "settled.trust", "settled"} <= set(runs.columns)
    assert (runs["settled.trust"] == (runs["drift.trust"] <= 0.02)).all()
    for name in ("process2", "dask2"):
        for x, y in zip(_tables(outs["serial"]), _tables(outs[name]), strict=True):
            pd.testing.assert_frame_equal(x, y)


@pytest.mark.slow  # over 5 s on 2 cores: make test and CI run it, make test-fast skips it
def test_report_writes_boxes_indices_and_horizon_flags_for_the_smoke_spec(tmp_path):
    """discovery_smoke, shrunk (Saltelli n = 2: 10 scenarios, one replicate, 30 steps)."""
    spec = load_spec(SMOKE).with_overrides({"design.n": 2, "replicates": 1, "steps": 30})
    out = tmp_path / "smoke"
    experiments.run(spec, out, progress=False)
    files = write_report(out, figures=True)
    for name in (
        "discovery_effects.csv",
        "discovery_boxes.csv",
        "discovery_boxes.md",
        "sobol.csv",
        "figures/sobol.png",
        "report.md",
    ):
        assert name in files and files[name].exists(), name
    assert "sensitivity.csv" not in files  # SALib replaces the regression for this design
    assert "seed_noise.csv" not in files  # one replicate: no seed noise to split off
    sob = pd.read_csv(files["sobol.csv"])
    assert set(sob["factor"]) == {"trust_shift", "attention_scale", "mix.young_share"}
    assert set(sob["lever_label"]) == {"community_share=0.1", "community_share=0.0"}
    effects = pd.read_csv(files["discovery_effects.csv"])
    assert len(effects) == 2 * 10 * 6  # lever settings x scenarios x headline measures
    md = files["report.md"].read_text()
    assert "## Horizon check" in md and "## Scenario discovery" in md and "Sobol" in md
    assert "95% CI" in md
    # n = 2 base samples: the indices are noise, and the report says so with the n a reading needs
    assert "**Caveat: too noisy to read.** With n = 2 base samples" in md
    spec90 = spec.with_overrides({"analysis.confidence": 0.9})
    assert spec90.analysis.confidence == 0.9


def test_morris_indices_are_read_back_from_the_spec_in_scenario_order():
    """A morris spec's scenarios, given a Δ linear in the unit sample, give μ* = the slopes.

    The analysis reads the rows of the sample it is given in scenario order, so this fails if
    the rows it reads back are not the rows the design ran, for either lever setting.
    """
    from experiments.discovery import lever_labels
    from experiments.points import point_index
    from experiments.sensitivity import indices

    text = LEVERS.replace('kind = "lhs"\nn = 3', 'kind = "morris"\nn = 6\nlevels = 4')
    spec = parse_spec(__import__("tomllib").loads(text))
    u = unit_sample(spec.design)
    n_scen = 6 * (3 + 1)
    assert len(u) == n_scen
    slopes = np.array([0.5, 0.0, 2.0])  # trust_shift, mix.young_share, attention_scale (a choice)
    labels = lever_labels(spec)
    rows = [
        {
            "arm": "interactive",
            "lever_label": labels[lev],
            "measure": "reach",
            "scenario": scen,
            "diff": float(u[scen] @ slopes) * (1 + lev),
        }
        for lev, scen in point_index(spec.design)
    ]
    t = indices(pd.DataFrame(rows), spec, u)
    assert list(t["factor"].unique()) == ["trust_shift", "mix.young_share", "attention_scale"]
    for lev, label in enumerate(labels):
        got = t[t["lever_label"] == label]["mu_star"].to_numpy()
        assert got == pytest.approx(slopes * (1 + lev), abs=1e-9)
