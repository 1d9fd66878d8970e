"""experiments.agree: two folders' paired differences compared (hand-made comparison tables)."""

import json

import pandas as pd
import pytest

from experiments.agree import AgreeError, agreement, main

SPEC = {"name": "x", "analysis": {"headline": ["trust", "reach"]}, "steps": 10}


def folder(path, rows, spec=SPEC):
    path.mkdir()
    (path / "manifest.json").write_text(json.dumps({"spec": spec}))
    cols = ["point_id", "arm", "measure", "generation", "diff", "ci_lo", "ci_hi", "half_width", "n"]
    pd.DataFrame(rows, columns=cols).to_csv(path / "comparison.csv", index=False)
    return path


def row(measure, diff, half, gen="all"):
    return [0, "interactive", measure, gen, diff, diff - half, diff + half, half, 16]


def test_hand_computed_checks(tmp_path):
    # trust: 0.010 +- 0.004 vs 0.012 +- 0.004: each inside the other; z = 0.002 / sqrt(2 (0.004/1.96)^2) = 0.693
    # reach: 0.010 +- 0.002 vs 0.020 +- 0.002: neither inside; z = 0.010 / (sqrt 2 x 0.002 / 1.96) = 6.930
    old = folder(tmp_path / "old", [row("trust", 0.010, 0.004), row("reach", 0.010, 0.002)])
    new = folder(tmp_path / "new", [row("trust", 0.012, 0.004), row("reach", 0.020, 0.002)])
    m = agreement(old, new).set_index("measure")
    assert m.loc["trust", "new_in_old"] and m.loc["trust", "old_in_new"]
    assert m.loc["trust", "z"] == pytest.approx(0.002 / (2 * (0.004 / 1.96) ** 2) ** 0.5)
    assert not m.loc["trust", "fails"]
    assert not m.loc["reach", "new_in_old"] and not m.loc["reach", "old_in_new"]
    assert m.loc["reach", "z"] == pytest.approx(6.9296, abs=1e-3)
    assert m.loc["reach", "fails"]
    assert main([str(old), str(new)]) == 1


def test_identical_folders_agree_and_cohorts_are_opt_in(tmp_path):
    rows = [row("trust", 0.01, 0.0), row("trust", 0.5, 0.1, gen="post00")]
    old, new = folder(tmp_path / "a", rows), folder(tmp_path / "b", rows)
    m = agreement(old, new)
    assert list(m["generation"]) == ["all"] and not m["fails"].any()
    assert len(agreement(old, new, cohorts=True)) == 2
    assert main([str(old), str(new)]) == 0


def test_clear_errors(tmp_path):
    good = folder(tmp_path / "good", [row("trust", 0.0, 0.1)])
    other = folder(tmp_path / "other", [row("trust", 0.0, 0.1)], spec={**SPEC, "steps": 20})
    with pytest.raises(AgreeError, match="spec keys differ: \\['steps'\\]"):
        agreement(good, other)
    (tmp_path / "bare").mkdir()
    with pytest.raises(AgreeError, match="no manifest.json"):
        agreement(good, tmp_path / "bare")
    (tmp_path / "bare" / "manifest.json").write_text(json.dumps({"spec": SPEC}))
    with pytest.raises(AgreeError, match="experiments report"):
        agreement(good, tmp_path / "bare")
    assert main([str(good), str(tmp_path / "bare")]) == 2
