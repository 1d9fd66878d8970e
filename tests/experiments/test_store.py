"""The store: atomic parts, resume after SIGKILL, failed runs recorded, and refusing the wrong directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import experiments
from experiments.store import TIMING_COLUMNS, StoreError, parts, read_table
from tests.experiments.exp_specs import TINY

ROOT = Path(__file__).resolve().parents[2]

#: 24 runs of 1,000 users for a day: a few seconds, long enough to be killed half way.
KILLABLE = """
name = "killable"
replicates = 6
root_seed = 5
steps = 24
measure_every = 6

[fixed]
n_users = 1000

[factors]
trust_shift = [-0.1, 0.1]

[arms]
one_way = "one_way"
interactive = "interactive"
"""


def _frames(out: Path) -> list[pd.DataFrame]:
    runs = read_table(out, "runs").drop(columns=list(TIMING_COLUMNS))
    return [runs, read_table(out, "timeseries"), read_table(out, "cascades")]


@pytest.mark.slow  # over 5 s on 2 cores: make test and CI run it, make test-fast skips it
def test_resume_after_sigkill_gives_the_tables_of_an_uninterrupted_sweep(write_spec, tmp_path):
    spec = write_spec(KILLABLE, "killable.toml")
    killed = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "experiments",
        "run",
        str(spec),
        "--out",
        str(killed),
        "--flush-every",
        "1",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(parts(killed, "runs")) < 4:
            assert proc.poll() is None, (
                f"the sweep ended before it could be killed: {proc.stderr.read()!r}"
            )
            assert time.monotonic() < deadline, "no progress within 120 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = len(read_table(killed, "runs"))
    assert 4 <= done_before < 24, "the kill must land in the middle of the sweep"

    s = experiments.run(spec, killed, resume=True, progress=False)
    assert s.skipped == done_before and s.ran == 24 - done_before and s.failed == 0
    reference = tmp_path / "reference"
    experiments.run(spec, reference, progress=False)
    for a, b in zip(_frames(killed), _frames(reference), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not [
        p
        for t in ("runs", "timeseries", "cascades")
        for p in (killed / t).iterdir()
        if p.name.startswith(".")
    ]
    history = json.loads((killed / "manifest.json").read_text())["history"]
    assert [h["resume"] for h in history] == [False, True] and "finished" not in history[0]


def test_orphan_parts_and_temporary_files_are_removed_on_resume(tiny_spec, tmp_path):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False, flush_every=2)
    # results stream to disk: one part per two finished runs, not one file at the end
    assert len(parts(out, "runs")) == 4
    # simulate a driver killed after writing a timeseries part but before its runs part
    (out / "timeseries" / "part-000099.parquet").write_bytes(
        (out / "timeseries" / "part-000000.parquet").read_bytes()
    )
    (out / "runs" / ".part-000099.parquet").write_bytes(b"half a file")
    before = _frames(out)
    s = experiments.run(tiny_spec, out, resume=True, progress=False)
    assert s.ran == 0
    assert not (out / "timeseries" / "part-000099.parquet").exists()
    assert not (out / "runs" / ".part-000099.parquet").exists()
    for a, b in zip(before, _frames(out), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_existing_results_need_resume_or_overwrite_and_the_same_spec(tiny_spec, tmp_path):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False)
    with pytest.raises(StoreError, match="--resume"):
        experiments.run(tiny_spec, out, progress=False)
    with pytest.raises(StoreError, match="differs in: replicates"):
        experiments.run(tiny_spec, out, resume=True, progress=False, overrides={"replicates": 3})
    # the [analysis] table does not change the runs: a resume may change it
    s = experiments.run(
        tiny_spec, out, resume=True, progress=False, overrides={"analysis.headline": ["trust"]}
    )
    assert s.ran == 0
    assert experiments.load_results(out).spec.analysis.headline == ("trust",)
    s = experiments.run(tiny_spec, out, overwrite=True, progress=False, overrides={"replicates": 1})
    assert s.ran == 4 and len(read_table(out, "runs")) == 4


def test_a_failing_run_is_recorded_with_its_error_and_the_sweep_continues(
    write_spec, tmp_path, monkeypatch
):
    spec = write_spec('model = "tests.experiments.failing_model:FailingModel"\n' + TINY)
    out = tmp_path / "out"
    s = experiments.run(spec, out, progress=False)
    assert (s.planned, s.ran, s.failed) == (8, 8, 2)
    runs = read_table(out, "runs")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["run_id"]) == {"p001-interactive-r000", "p001-interactive-r001"}
    assert failed["error"].eq("RuntimeError: deliberate failure at step 5").all()
    assert failed["traceback"].str.contains("failing_model.py").all()
    assert failed["reach"].isna().all() and (failed["steps_run"] == 5).all()
    ok = runs[runs["status"] == "ok"]
    assert len(ok) == 6 and ok["error"].isna().all() and ok["reach"].notna().all()
    ts = read_table(out, "timeseries")
    assert set(ts["run_id"]) == set(ok["run_id"])
    # resume skips failed runs unless asked to retry them; a retry replaces the failed row
    assert experiments.run(spec, out, resume=True, progress=False).ran == 0
    assert experiments.run(spec, out, resume=True, retry_failed=True, progress=False).ran == 2
    assert len(read_table(out, "runs")) == 8


def _children(pid: int) -> list[int]:
    """Descendants of ``pid`` (Linux /proc)."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        frontier += kids
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow  # over 5 s on 2 cores: make test and CI run it, make test-fast skips it
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_stops_a_process_pool_sweep_promptly_keeps_finished_runs_and_leaves_no_workers(
    write_spec, tmp_path
):
    spec = write_spec(
        KILLABLE.replace("n_users = 1000", "n_users = 3000").replace("steps = 24", "steps = 96")
    )
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "experiments",
        "run",
        str(spec),
        "--out",
        str(out),
        "--executor",
        "process",
        "--workers",
        "2",
        "--flush-every",
        "1",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(parts(out, "runs")) < 1:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers, "a process pool has worker processes"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 130
    assert "continue with --resume" in proc.stderr.read().decode()
    # the workers, the forkserver and the resource tracker all go (zombies count as gone)
    deadline = time.monotonic() + 10
    while (alive := [p for p in workers if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive
    done = len(read_table(out, "runs"))
    assert 1 <= done < 24
