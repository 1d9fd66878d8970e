"""The analysis takes the stored plan's sample and point index: nothing draws them again."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.experiments.exp_specs import TINY


def test_sobol_and_morris_indices_need_the_stored_unit_sample(write_spec):
    """Without a fallback, a caller that forgets the plan's sample fails instead of re-sampling."""
    from experiments.sensitivity import indices
    from experiments.spec import load_spec

    spec = load_spec(write_spec(TINY))
    with pytest.raises(TypeError, match="unit"):
        indices(pd.DataFrame(), spec)


def test_scenario_effects_need_the_stored_point_index(write_spec):
    from experiments.discovery import scenario_effects
    from experiments.spec import load_spec

    spec = load_spec(write_spec(TINY))
    with pytest.raises(TypeError, match="index"):
        scenario_effects(pd.DataFrame(), spec, ["reach"])


def test_status_reads_the_plan_without_a_runs_table(tiny_spec, tmp_path, monkeypatch):
    """`status` takes the stored plan alone (Results.plan_of); it builds no Results without runs."""
    import experiments
    import experiments.results
    from experiments.cli import main

    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False)
    real = experiments.results.Results

    def built(*args, **kwargs):
        assert kwargs.get("runs") is not None, "a Results without its runs table"
        return real(*args, **kwargs)

    built.plan_of = real.plan_of  # type: ignore[attr-defined]
    monkeypatch.setattr(experiments.results, "Results", built)
    assert main(["status", str(out)]) == 0
    assert real.plan_of(out, experiments.load_results(out).manifest).n_runs == 8
