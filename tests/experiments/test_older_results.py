"""A results folder written before some Params fields existed: read with their defaults, never
quarantined or rerun (docs/experiments.md, "Results from an older version").

The old folder is built honestly: the tiny spec is run with today's code, then its runs parts
and its plan are rewritten without some ``param.*`` columns, as the version before those fields
wrote them, and the manifest records that version's commit.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import experiments
from experiments.cli import main
from experiments.parts import OlderResultsWarning, parts, read_table
from experiments.results import load_results
from experiments.schemas import param_defaults

#: Columns of fields added after the old version (a Params field, a rule parameter, a rule
#: choice and a strategy switch), and the commit the old version is named by.
ADDED = [
    "param.n_topics",
    "param.creator",
    "param.user_follow",
    "param.user_follow.like_follow_prob",
    "param.strategy.ride_trends",
]
OLD_COMMIT = "b48c21abecc1df231382508ce2760d3c70aaa966"


def _rewrite(path: Path, edit) -> None:
    """Rewrite one Parquet file whole through ``edit(table) -> table`` (metadata kept)."""
    pq.write_table(edit(pq.read_table(path)), path)


def make_older(src: Path, dest: Path, drop: list[str] = ADDED) -> Path:
    """``src`` as the version before the ``drop`` columns would have written it."""
    shutil.copytree(src, dest)
    for p in parts(dest, "runs"):
        _rewrite(p, lambda t: t.drop_columns(drop))
    _rewrite(dest / "plan.parquet", lambda t: t.drop_columns(drop))
    manifest = json.loads((dest / "manifest.json").read_text())
    for env in [manifest["environment"], *(h["environment"] for h in manifest["history"])]:
        env["git"] = {"commit": OLD_COMMIT, "dirty": False}
    (dest / "manifest.json").write_text(json.dumps(manifest))
    return dest


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny spec run with today's code (three flushes), and its spec file."""
    from tests.experiments.exp_specs import TINY

    d = tmp_path_factory.mktemp("older")
    spec = d / "tiny.toml"
    spec.write_text(TINY)
    experiments.run(spec, d / "reference", progress=False, flush_every=3)
    return d / "reference", spec


def _files(out: Path) -> dict[str, bytes]:
    """Every file's bytes but the lock's (its holder's pid changes with each command)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_the_columns_are_defaults_of_the_fields_the_old_version_lacked(reference):
    """The dropped fields are at their defaults in these runs (else the filling would lie)."""
    ref, _ = reference
    runs = read_table(ref, "runs")
    defaults = param_defaults()
    for c in ADDED:
        assert (runs[c] == defaults[c]).all(), c


def test_an_older_folder_loads_as_todays_with_one_warning(reference, tmp_path):
    ref, _ = reference
    old = make_older(ref, tmp_path / "old")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = load_results(old)
    said = [str(w.message) for w in caught if issubclass(w.category, OlderResultsWarning)]
    assert len(said) == 1, said
    assert OLD_COMMIT[:12] in said[0] and "param.n_topics" in said[0] and "default" in said[0]
    assert set(res.older.filled) == set(ADDED) and res.older.unknown == ()
    today = load_results(ref)
    # the same runs, the same columns in the same order, the same values
    pd.testing.assert_frame_equal(res.runs, today.runs)
    pd.testing.assert_frame_equal(res.timeseries(), today.timeseries())
    assert res.plan.params == today.plan.params


def test_read_table_fills_the_columns_asked_for(reference, tmp_path):
    ref, _ = reference
    old = make_older(ref, tmp_path / "old")
    cols = ["run_id", "param.n_topics", "param.strategy.ride_trends", "param.n_users"]
    with pytest.warns(OlderResultsWarning, match="param.n_topics"):
        got = read_table(old, "runs", columns=cols)
    pd.testing.assert_frame_equal(got, read_table(ref, "runs", columns=cols))
    assert list(got["param.n_topics"]) == [1] * 8  # Params' default: one topic
    assert not got["param.strategy.ride_trends"].any()


def test_report_and_status_of_an_older_folder(reference, tmp_path, capsys):
    ref, _ = reference
    old = make_older(ref, tmp_path / "old")
    assert main(["report", str(ref), "--no-figures"]) == 0
    capsys.readouterr()
    # the command as a researcher runs it: the warning is printed once
    done = subprocess.run(
        [sys.executable, "-m", "experiments", "report", str(old), "--no-figures"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("OlderResultsWarning:") == 1, done.stderr
    assert "param.strategy.ride_trends" in done.stderr and OLD_COMMIT[:12] in done.stderr
    for name in ("comparison.csv", "summary.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(old / name), pd.read_csv(ref / name))
    md = (old / "report.md").read_text()
    assert "Results from an older version" in md and OLD_COMMIT[:12] in md
    assert "Results from an older version" not in (ref / "report.md").read_text()

    assert main(["status", str(old)]) == 0
    out = capsys.readouterr().out
    assert "older results" in out and "param.n_topics" in out
    assert "corrupt" not in out and "problem" not in out


def test_resume_of_an_older_folder_is_refused_and_changes_nothing(
    reference, tmp_path, capsys, monkeypatch
):
    """Not quarantined, not rerun, not half-upgraded: refused before anything is written."""
    import experiments.store as store

    ref, spec = reference
    old = make_older(ref, tmp_path / "old")

    def wrote(*args, **kwargs):
        raise AssertionError("the refused resume wrote into the folder")

    # a resume that got as far as moving parts or writing the manifest or plan would fail here
    monkeypatch.setattr(store, "quarantine", wrote)
    monkeypatch.setattr(store, "write_json", wrote)
    monkeypatch.setattr("experiments.plan.write_plan", wrote)
    # one part lost as in an interrupted sweep: there would be runs to do
    for table in ("runs", "timeseries"):
        (old / table / "part-000005.parquet").unlink(missing_ok=True)
    before = _files(old)
    assert main(["run", str(spec), "--out", str(old), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert OLD_COMMIT[:12] in err and "param.n_topics" in err and "new --out" in err
    assert "Traceback" not in err
    assert _files(old) == before
    assert not (old / "corrupt").exists()
    with pytest.warns(OlderResultsWarning):
        load_results(old)  # still readable


def test_a_plan_alone_written_before_the_fields_is_refused_too(reference, tmp_path, capsys):
    """A sweep killed before its first flush: no parts, but the plan is the old version's."""
    ref, spec = reference
    old = make_older(ref, tmp_path / "old")
    for table in ("runs", "timeseries", "cascades"):
        for p in parts(old, table):
            p.unlink()
    assert main(["run", str(spec), "--out", str(old), "--resume", "--quiet"]) == 2
    assert "param.n_topics" in capsys.readouterr().err


def test_an_unknown_column_is_kept_and_named(reference, tmp_path):
    """A column today's code no longer writes (a removed field) stays, as written."""
    ref, _ = reference
    old = tmp_path / "old"
    shutil.copytree(ref, old)
    for p in parts(old, "runs"):
        _rewrite(p, lambda t: t.append_column("param.retired", pa.array([0.5] * len(t))))
    with pytest.warns(OlderResultsWarning, match="param.retired"):
        res = load_results(old)
    assert res.older.unknown == ("param.retired",) and res.older.filled == ()
    assert (res.runs["param.retired"] == 0.5).all()
    pd.testing.assert_frame_equal(res.runs.drop(columns="param.retired"), load_results(ref).runs)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        # a measure column missing is not an added column
        (lambda t: t.drop_columns(["reach", "param.n_topics"]), "column reach missing"),
        # a type change
        (
            lambda t: t.set_column(
                t.schema.get_field_index("param.n_users"),
                "param.n_users",
                t.column("param.n_users").cast(pa.float64()),
            ),
            "column param.n_users is double, expected int64",
        ),
        # a renamed field: its old name's values cannot be filled with a default
        (
            lambda t: t.rename_columns(
                ["param.forward_model" if c == "param.forwarding" else c for c in t.column_names]
            ),
            "param.forward_model is the old name of param.forwarding",
        ),
    ],
)
def test_other_differences_stay_errors_that_name_them(reference, tmp_path, edit, named):
    ref, _ = reference
    old = tmp_path / "old"
    shutil.copytree(ref, old)
    for p in parts(old, "runs"):
        _rewrite(p, edit)
    with pytest.raises(experiments.store.CorruptPartError, match=named):
        load_results(old)
