"""A spec's relative paths are read from the spec file's folder (issue 21, smalls 2)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.spec import SpecError, load_spec, parse_spec, resolved_runs

N = 12
SPEC = """name = "paths"
replicates = 1
root_seed = 1
steps = 2

[fixed]
n_users = {n}
focal_followers = 3
{fixed}

[arms]
one_way = "one_way"
{tables}
"""


def ring(path: Path, n: int = N) -> Path:
    """An acquaintance ring of ``n`` users as CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"source": np.arange(n), "target": (np.arange(n) + 1) % n}).to_csv(
        path, index=False
    )
    return path


def spec_file(folder: Path, fixed: str = "", tables: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "spec.toml"
    path.write_text(SPEC.format(n=N, fixed=fixed, tables=tables), encoding="utf-8")
    return path


def edges_of(spec) -> set[str]:
    """Every acquaintance_edges value of every run of ``spec``."""
    return {p["acquaintance_edges"] for p in resolved_runs(spec)[2].values()}


def test_a_relative_edge_list_is_read_from_the_spec_files_folder(tmp_path, monkeypatch):
    data = ring(tmp_path / "study" / "data" / "ring.csv")
    path = spec_file(tmp_path / "study" / "specs", 'acquaintance_edges = "../data/ring.csv"')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the spec's folder, not the data's
    spec = load_spec(path)
    assert spec.fixed["acquaintance_edges"] == str(data.resolve())
    assert edges_of(spec) == {str(data.resolve())}
    # a spec validated again from its stored table (--set, optimize's generations) reads the
    # same file without the spec's folder
    again = parse_spec(spec.raw, source=None)
    assert again.fixed["acquaintance_edges"] == str(data.resolve())


def test_a_run_from_another_directory_reads_the_spec_folders_file(tmp_path, monkeypatch):
    import experiments

    ring(tmp_path / "study" / "ring.csv")
    path = spec_file(tmp_path / "study", 'acquaintance_edges = "ring.csv"')
    monkeypatch.chdir(tmp_path)
    summary = experiments.run(path, tmp_path / "out", progress=False)
    assert summary.failed == 0 and summary.ran == 1


def test_edge_lists_in_factors_points_and_choices_are_resolved(tmp_path, monkeypatch):
    a, b = ring(tmp_path / "s" / "a.csv"), ring(tmp_path / "s" / "b.csv")
    monkeypatch.chdir(tmp_path)
    factors = spec_file(tmp_path / "s", tables='[factors]\nacquaintance_edges = ["a.csv", "b.csv"]')
    assert edges_of(load_spec(factors)) == {str(a.resolve()), str(b.resolve())}
    points = spec_file(
        tmp_path / "s",
        tables='[[points]]\nacquaintance_edges = "a.csv"\n[[points]]\nacquaintance_edges = "b.csv"',
    )
    assert edges_of(load_spec(points)) == {str(a.resolve()), str(b.resolve())}
    choices = spec_file(
        tmp_path / "s",
        tables="[uncertainties]\nacquaintance_edges = {choices = ['a.csv', 'b.csv']}\n"
        '[design]\nkind = "factorial"',
    )
    assert edges_of(load_spec(choices)) == {str(a.resolve()), str(b.resolve())}


def test_an_absolute_path_and_no_file_are_kept(tmp_path, monkeypatch):
    data = ring(tmp_path / "data" / "ring.csv").resolve()
    path = spec_file(tmp_path / "s", f'acquaintance_edges = "{data.as_posix()}"\nfollow_edges = ""')
    monkeypatch.chdir(tmp_path / "data")
    spec = load_spec(path)
    assert spec.fixed["acquaintance_edges"] == str(data) and spec.fixed["follow_edges"] == ""


def test_a_missing_edge_list_names_the_key_line_and_resolved_path(tmp_path):
    path = spec_file(tmp_path / "s", 'follow_edges = "net/follows.csv"')
    with pytest.raises(SpecError) as e:
        load_spec(path)
    message = str(e.value)
    looked = (tmp_path / "s" / "net" / "follows.csv").resolve()
    assert message.startswith(f"{path}:9: fixed.follow_edges: edge list 'net/follows.csv'")
    assert f"looked for {looked}" in message
    assert "a relative path is read from the spec file's folder" in message
    assert "\n" not in message


def test_a_spec_without_a_file_reads_from_the_current_directory(tmp_path, monkeypatch):
    data = ring(tmp_path / "ring.csv")
    raw = {
        "name": "paths",
        "steps": 2,
        "fixed": {"n_users": N, "focal_followers": 3, "acquaintance_edges": "ring.csv"},
        "arms": {"one_way": "one_way"},
    }
    monkeypatch.chdir(tmp_path)
    assert parse_spec(raw).fixed["acquaintance_edges"] == str(data.resolve())
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(SpecError, match="a relative path is read from the current directory"):
        parse_spec(raw)


def test_the_worked_examples_load_from_any_directory(tmp_path, monkeypatch):
    specs = Path(__file__).resolve().parents[2] / "experiments" / "specs"
    monkeypatch.chdir(tmp_path)
    for name in ("flagship_posterior", "optimize_levers"):
        post = load_spec(specs / f"{name}.toml").design.posterior
        assert post is not None and post.resolved == str((specs.parent / "calibrated").resolve())


def test_an_edge_list_set_on_the_command_line_is_read_from_the_current_directory(
    tmp_path, monkeypatch
):
    """``--set acquaintance_edges=PATH`` was typed in the shell's folder: it is read there."""
    here = ring(tmp_path / "here" / "ring.csv")
    ring(tmp_path / "s" / "ring.csv")  # the spec folder's file of the same name is not read
    path = spec_file(tmp_path / "s", 'acquaintance_edges = "ring.csv"')
    monkeypatch.chdir(tmp_path / "here")
    spec = load_spec(path, overrides={"acquaintance_edges": "ring.csv"})
    assert spec.fixed["acquaintance_edges"] == str(here.resolve())
