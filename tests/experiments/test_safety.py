"""Safety of the result store: locks, bounded designs, dead workers, --overwrite, corrupt parts,
atomic report files, readers that see only recorded runs, and one-line messages for bad input."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import experiments
from experiments.cli import main
from experiments.spec import load_spec
from experiments.store import TIMING_COLUMNS, Store, lock_holder, parts, read_table
from tests.experiments.exp_specs import TINY
from tests.experiments.test_store import KILLABLE

ROOT = Path(__file__).resolve().parents[2]


def _run_cmd(spec: Path, out: Path, *extra: str) -> list[str]:
    run = [sys.executable, "-m", "experiments", "run", str(spec), "--out", str(out), "--quiet"]
    return [*run, *extra]


def _frames(out: Path) -> list[pd.DataFrame]:
    runs = read_table(out, "runs").drop(columns=list(TIMING_COLUMNS))
    return [runs, read_table(out, "timeseries"), read_table(out, "cascades")]


# ------------------------------------------------------------------------------- 1. the lock
@pytest.mark.slow  # over 5 s on 2 cores: make test and CI run it, make test-fast skips it
def test_a_second_run_on_a_folder_in_use_is_refused_and_a_killed_holder_does_not_block_resume(
    write_spec, tmp_path
):
    # long enough (about a minute) to outlast two refused attempts
    spec = write_spec(KILLABLE.replace("steps = 24", "steps = 240"), "killable.toml")
    out = tmp_path / "out"
    first = subprocess.Popen(
        _run_cmd(spec, out, "--flush-every", "1"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while len(parts(out, "runs")) < 1:
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        for extra in (("--resume",), ()):
            second = subprocess.run(
                _run_cmd(spec, out, *extra), cwd=ROOT, capture_output=True, text=True, timeout=120
            )
            assert second.returncode == 2, second.stderr
            assert str(out) in second.stderr and f"pid {first.pid}" in second.stderr
            assert "Traceback" not in second.stderr
        assert first.poll() is None, "the refused process must not disturb the first"
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    # the OS released the dead holder's lock: a resume may open the folder (its runs would
    # then be the ones not recorded, as test_store's resume-after-SIGKILL test checks)
    assert lock_holder(out) is None
    store = Store.open(out, load_spec(spec), resume=True)
    try:
        assert lock_holder(out).startswith(f"pid {os.getpid()} on ")
        assert 1 <= len(store.recorded()) < 24
    finally:
        store.close()
    assert lock_holder(out) is None


@pytest.mark.slow  # 3-4.5 s: keeps make test-fast under 3 minutes; make test runs it
def test_two_fresh_runs_started_together_leave_one_sweep(write_spec, tmp_path):
    spec = write_spec(TINY, "tiny.toml")
    out = tmp_path / "out"
    procs = [
        subprocess.Popen(
            _run_cmd(spec, out, "--flush-every", "1"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    codes = sorted(p.wait(timeout=180) for p in procs)
    errs = [p.stderr.read() for p in procs]
    assert codes == [0, 2], errs
    assert any("in use" in e for e in errs)
    raw = pd.concat([pq.read_table(p).to_pandas() for p in parts(out, "runs")])
    assert len(raw) == 8 and raw["run_id"].is_unique


# ------------------------------------------------------------------------------- 4. --overwrite
def test_overwrite_refuses_folders_that_are_not_experiment_outputs(
    tiny_spec, tmp_path, monkeypatch, capsys
):
    other = tmp_path / "paper"
    (other / "figures").mkdir(parents=True)
    (other / "report.md").write_text("my notes")
    (other / "figures" / "f.png").write_bytes(b"png")
    assert main(["run", str(tiny_spec), "--out", str(other), "--overwrite", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not an experiment output" in err and str(other) in err
    assert (other / "report.md").read_text() == "my notes" and (
        other / "figures" / "f.png"
    ).exists()

    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    (cwd / "keep.txt").write_text("x")
    monkeypatch.chdir(cwd)
    for target in ("", ".", "..", str(cwd)):
        assert main(["run", str(tiny_spec), "--out", target, "--overwrite", "--quiet"]) == 2
        assert "current directory" in capsys.readouterr().err
    assert (cwd / "keep.txt").exists() and not (cwd / "runs").exists()

    # an empty folder and a folder of ours may be overwritten
    empty = tmp_path / "empty"
    empty.mkdir()
    ours = tmp_path / "ours"
    opts = {"progress": False, "overrides": {"replicates": 1}}
    experiments.run(tiny_spec, ours, **opts)
    assert experiments.run(tiny_spec, empty, overwrite=True, **opts).ran == 4
    assert experiments.run(tiny_spec, ours, overwrite=True, **opts).ran == 4


# ------------------------------------------------------------------------------- 5. corrupt parts
@pytest.mark.parametrize("table", ["runs", "timeseries"])
@pytest.mark.slow  # 2-3 s: keeps make test-fast under 3 minutes; make test runs it
def test_a_truncated_part_is_named_by_status_and_its_runs_are_rerun_by_resume(
    tiny_spec, tmp_path, capsys, table
):
    out = tmp_path / "out"
    reference = tmp_path / "reference"
    experiments.run(tiny_spec, reference, progress=False)
    experiments.run(tiny_spec, out, progress=False, flush_every=2)
    bad = out / table / "part-000001.parquet"
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])

    assert main(["status", str(out)]) == 0
    text = capsys.readouterr()
    assert f"{table}/part-000001.parquet" in text.out and "--resume" in text.out
    assert main(["report", str(out), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert f"{table}/part-000001.parquet" in err and "Traceback" not in err

    assert main(["run", str(tiny_spec), "--out", str(out), "--resume", "--quiet"]) == 0
    text = capsys.readouterr()
    assert "corrupt" in text.err and f"{table}/part-000001.parquet" in text.err
    assert "2 runs" in text.out  # the two runs of the bad part ran again
    assert (out / "corrupt").is_dir() and not bad.exists()
    for a, b in zip(_frames(out), _frames(reference), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert main(["report", str(out), "--no-figures"]) == 0


# ------------------------------------------------------------------------------- 6. atomic report
def test_report_on_a_full_disk_leaves_no_partial_file(tiny_spec, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False)
    real = pd.DataFrame.to_csv

    def full_disk(self, path_or_buf=None, *args, **kwargs):
        text = real(self, None, *args, **kwargs)
        if path_or_buf is None:
            return text
        with open(path_or_buf, "w") as f:
            f.write(text[: len(text) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    assert main(["report", str(out), "--no-figures"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "summary.csv" in err and "Traceback" not in err
    assert not [p.name for p in out.iterdir() if "summary" in p.name or "comparison" in p.name]


def test_a_full_disk_during_run_stops_with_a_message_and_resume_completes(
    tiny_spec, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    real = pq.write_table
    calls = {"n": 0}

    def full_after_two(table, where, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 2:
            Path(where).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", full_after_two)
    args = ["run", str(tiny_spec), "--out", str(out), "--quiet", "--flush-every", "2"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err and "Traceback" not in err
    assert not [p for p in out.rglob(".*") if p.name != ".lock"]
    monkeypatch.setattr(pq, "write_table", real)
    assert main([*args, "--resume"]) == 0
    assert len(read_table(out, "runs")) == 8


# ------------------------------------------------------------------------------- 7. readers
def test_readers_see_only_runs_recorded_in_runs(tiny_spec, tmp_path):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False, flush_every=2)
    # a flush whose runs part never landed (the driver was killed in between)
    lost = pq.read_table(parts(out, "runs")[-1]).to_pandas()["run_id"]
    parts(out, "runs")[-1].unlink()
    res = experiments.load_results(out)
    assert len(res.runs) == 6
    assert not set(res.timeseries()["run_id"]) & set(lost)
    assert not set(res.cascades()["run_id"]) & set(lost)
    assert set(res.timeseries()["run_id"]) == set(res.runs["run_id"])


# ------------------------------------------------------------------------------- 8, 9. messages
def _fails(capsys, argv: list[str], *needles: str, code: int = 2) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") <= 2, err
    for n in needles:
        assert n in err, err
    return err


def test_unusable_out_folders_get_a_message(tiny_spec, tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    run = ["run", str(tiny_spec), "--quiet", "--out"]
    _fails(capsys, [*run, str(a_file)], str(a_file), "is a file")
    _fails(capsys, [*run, str(a_file / "sub")], str(a_file / "sub"), "directory")
    _fails(capsys, [*run, "/proc/nosuchdir/x"], "/proc/nosuchdir/x", "cannot")


def test_a_read_only_file_system_gets_a_message(tiny_spec, tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.open

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(ro)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    run = ["run", str(tiny_spec), "--quiet", "--out", str(ro)]
    _fails(capsys, run, str(ro), "Read-only file system", "writable --out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_out_folder_gets_a_message(tiny_spec, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        _fails(capsys, ["run", str(tiny_spec), "--quiet", "--out", str(ro)], str(ro), "cannot")
    finally:
        ro.chmod(0o755)


def test_a_spec_that_is_not_utf8_gets_a_message(tmp_path, capsys):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    _fails(capsys, ["plan", str(bad), "--pilot-steps", "0"], str(bad), "UTF-8")


@pytest.mark.parametrize(
    "option, needles",
    [
        (["--workers", "0"], ["--workers", ">= 1"]),
        (["--flush-every", "0"], ["--flush-every", ">= 1"]),
        (["--address", "notaurl"], ["--address", "tcp://"]),
    ],
)
def test_run_options_that_cannot_work_are_refused_before_anything_is_written(
    tiny_spec, tmp_path, capsys, option, needles
):
    out = tmp_path / "out"
    _fails(capsys, ["run", str(tiny_spec), "--quiet", "--out", str(out), *option], *needles)
    assert not out.exists(), "a refused run leaves nothing behind"


def test_a_model_that_cannot_be_imported_is_refused_by_plan_and_run(write_spec, tmp_path, capsys):
    spec = write_spec('model = "nosuchmodule:Model"\n' + TINY, "nomodule.toml")
    _fails(capsys, ["plan", str(spec), "--pilot-steps", "0"], "nosuchmodule", "import")
    out = tmp_path / "out"
    _fails(capsys, ["run", str(spec), "--quiet", "--out", str(out)], "nosuchmodule")
    assert not out.exists()


def test_a_set_error_names_the_set_option_not_the_spec_line(tiny_spec, capsys):
    err = _fails(capsys, ["plan", str(tiny_spec), "--set", "n_users=-5"], "--set n_users=-5")
    assert f"{tiny_spec}:" not in err, "the value came from --set, not from the spec's file"


def test_an_invalid_manifest_gets_a_message(tiny_spec, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("{not json")
    _fails(capsys, ["status", str(out)], "manifest.json", "JSON")
    run = ["run", str(tiny_spec), "--quiet", "--out", str(out), "--resume"]
    _fails(capsys, run, "manifest.json", "JSON")


def test_report_with_no_successful_run_gets_a_message(write_spec, tmp_path, capsys):
    spec = write_spec('model = "tests.experiments.failing_model:AlwaysFailingModel"\n' + TINY)
    out = tmp_path / "out"
    assert experiments.run(spec, out, progress=False).failed == 8
    _fails(capsys, ["report", str(out)], "no successful run", "8 failed", code=1)
