"""The measure catalogue: every reported measure is declared, columns round-trip, names are checked.

The bounds test runs a model with every mechanism on for 40 steps and checks each measure's
values against its declared range: the ranges are facts of the definitions (shares, means of
bounded state, a correlation), so any value outside one is a bug in the measure or the range.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from agents.generations import GENERATIONS
from model import OpinionEcology
from model import measures as M
from model.measures import catalogue as C


@pytest.fixture(scope="module")
def run_model():
    return OpinionEcology(n_users=300, seed=5, strategy="interactive").run(40)


def test_every_datacollector_column_is_declared(run_model):
    cols = list(run_model.datacollector.get_model_vars_dataframe().columns)
    assert cols == C.columns(step_only=True)
    for c in cols:
        name, cohort = C.parse_column(c)
        assert C.measure(name).when == "step"
        assert cohort is None or C.measure(name).per_cohort


def test_final_measures_are_the_catalogue_in_order(run_model):
    assert list(M.final_measures(run_model)) == C.columns()
    assert list(M.snapshot(run_model)) == C.columns(step_only=True)
    assert list(M.STEP_MEASURES) == list(C.names(when="step"))
    assert C.names(when="final") == (
        "steps_to_reach_50",
        "steps_to_reach_90",
        "days_to_reach_50",
        "daily_focal_viewers_mean",
        "cascade_mean_size",
        "cascade_max_size",
        "cascade_mean_depth",
        "structural_virality",
        "replies",
        "staff_hours",
        "published",
        "items",
    )


def test_column_round_trips_for_every_measure_and_cohort():
    assert C.COHORTS == GENERATIONS
    n = 0
    for m in C.measures():
        cohorts = (None, *C.COHORTS) if m.per_cohort else (None,)
        assert tuple(C.column(m.name, g) for g in cohorts) == m.columns
        for g in cohorts:
            assert C.parse_column(C.column(m.name, g)) == (m.name, g)
            n += 1
    assert C.column("reach", "post00") == "reach[post00]"
    assert C.parse_column("reach[post00]") == ("reach", "post00")
    assert n == 24 * 5 + 12


def test_unknown_names_fail_with_the_closest():
    with pytest.raises(C.UnknownMeasureError, match="unknown measure 'rech'; did you mean 'reach'"):
        C.measure("rech")
    with pytest.raises(ValueError, match="unknown cohort 'post01'; did you mean .*'post00'"):
        C.column("reach", "post01")
    with pytest.raises(ValueError, match="did you mean 'engagement'"):
        C.parse_column("engagment[pre80]")
    with pytest.raises(ValueError, match="'items' has no per-cohort columns"):
        C.column("items", "pre80")
    for bad in ("reach[post00", "reach[post00]]", "[post00]", "reach[]"):
        with pytest.raises(ValueError):
            C.parse_column(bad)
    # columns of tables the catalogue does not hold parse without strict, cohorts still checked
    assert C.parse_column("x", strict=False) == ("x", None)
    assert C.parse_column("x[pre80]", strict=False) == ("x", "pre80")
    with pytest.raises(ValueError, match="unknown cohort"):
        C.parse_column("x[old]", strict=False)


def test_selections():
    assert C.names(kind="cascade") == (
        "cascade_mean_size",
        "cascade_max_size",
        "cascade_mean_depth",
        "structural_virality",
    )
    assert C.names(experiment=False) == ("steps_to_reach_50", "steps_to_reach_90")
    assert all(m.per_cohort for m in C.measures(when="step"))
    assert not any(m.per_cohort for m in C.measures(when="final"))
    assert C.columns(["reach", "items"]) == [
        "reach",
        *(f"reach[{g}]" for g in GENERATIONS),
        "items",
    ]
    assert C.columns(["reach", "items"], step_only=True) == list(C.measure("reach").columns)
    assert C.measure("secondary_share").title == "Secondary share"
    assert C.measure("reach").range == (0.0, 1.0) and C.measure("items").range == (0.0, None)
    assert C.cohort_label(None) == C.OVERALL == "all" and C.cohort_label("pre80") == "pre80"


def _in_range(v: float, m: C.Measure) -> bool:
    if math.isnan(v):
        return True
    return (m.lo is None or v >= m.lo - 1e-12) and (m.hi is None or v <= m.hi + 1e-12)


def test_values_lie_in_the_declared_ranges(run_model):
    final = M.final_measures(run_model)
    finite = 0
    for c, v in final.items():
        m = C.measure(C.parse_column(c)[0])
        assert _in_range(float(v), m), f"{c}={v} outside [{m.lo}, {m.hi}]"
        finite += math.isfinite(v)
    assert finite > 0.9 * len(final)  # a run where almost every measure is defined
    for m in C.measures():
        assert m.doc and m.unit and m.kind in ("population", "opinion", "cascade", "run")
        assert m.lo is None or m.hi is None or m.lo < m.hi


def test_joint_equals_two_calls(run_model):
    for m in C.measures(when="step"):
        if m.joint is None:
            continue
        overall, by = m.joint(run_model)
        assert overall == pytest.approx(m.compute(run_model), nan_ok=True)
        assert by == pytest.approx(m.compute(run_model, by="generation"), nan_ok=True)


def test_the_model_has_what_the_measures_read(run_model):
    from model.measures._world import State, World

    assert isinstance(run_model, World) and isinstance(run_model.state, State)
    assert not isinstance(object(), World)


def test_measures_do_not_import_the_engine():
    """Imports run one way (engine -> measures), not even under TYPE_CHECKING."""
    pkg = Path(M.__file__).parent
    for f in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            assert not any(m == "model.engine" or m.startswith("model.engine.") for m in mods), f
            assert not any(m in ("model.OpinionEcology",) for m in mods), f
