"""Progress on long sweeps: the recent rate, the estimated end and the failures, on the bar and
in ``status`` (during a sweep in another process, and after it finished or was interrupted)."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import os
import re

import numpy as np
import pytest

import experiments
from experiments.cli import main
from experiments.lock import OutputLock
from experiments.parts import parts
from experiments.progress import (
    Rate,
    RecentRate,
    SweepProgress,
    describe_eta,
    folder_status,
    format_clock,
    format_duration,
    format_rate,
    recent_rate,
    status_lines,
)
from experiments.store import read_manifest
from tests.experiments.exp_specs import TINY

run_module = importlib.import_module("experiments.run")

#: 2026-12-06 06:00:00 UTC, a start time the expected clock readings are computed from.
T0 = dt.datetime(2026, 12, 6, 6, 0, tzinfo=dt.UTC).timestamp()


# ------------------------------------------------------------------------------- the rate
def test_the_rate_counts_the_completions_of_the_last_window():
    times = [10.0 * i for i in range(1, 11)]  # one run every 10 s, the last at 100 s
    # the window (50, 100] holds 60..100: 5 runs in 50 s
    assert recent_rate(times, start=0, now=100, window=50, min_runs=3) == Rate(5, 50)
    # a session younger than the window is measured from its start: 80, 90, 100 in 30 s
    assert recent_rate(times, start=70, now=100, window=50, min_runs=3) == Rate(3, 30)
    # a stall after the last run lowers the rate: 20 s later the window (70, 120] holds 3
    assert recent_rate(times, start=0, now=120, window=50, min_runs=3) == Rate(3, 50)


def test_the_window_widens_back_to_the_last_min_runs_completions():
    # slow runs: only 700 lies in (500, 800]; back to the run before the last two (100)
    assert recent_rate([100, 400, 700], start=0, now=800, window=300, min_runs=2) == Rate(2, 700)
    # fewer runs than min_runs in the whole session: measured from the session's start
    assert recent_rate([100, 400], start=0, now=800, window=300, min_runs=5) == Rate(2, 800)
    # a flush records many runs at one time: the span goes back to the flush before them
    flushes = [50.0] * 64 + [60.0] * 64
    assert recent_rate(flushes, start=0, now=70, window=5, min_runs=20) == Rate(64, 20)
    assert recent_rate([60.0] * 64, start=0, now=70, window=5, min_runs=20) == Rate(64, 70)


def test_runs_recorded_before_a_resume_do_not_count_as_fast():
    before = [float(t) for t in range(1, 501)]  # 500 runs of an earlier session
    assert recent_rate(before + [1010, 1020], start=1000, now=1030) == Rate(2, 30)
    assert recent_rate(before, start=1000, now=1030) is None
    assert recent_rate([], start=0, now=10) is None
    assert recent_rate([20.0], start=0, now=10) is None  # a time after now is not counted


def test_bad_window_arguments_are_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match="window must be a number of seconds > 0, got 0"):
        recent_rate([1.0], start=0, now=2, window=0)
    with pytest.raises(ValueError, match="min_runs must be a whole number >= 1, got 0"):
        RecentRate(0.0, min_runs=0)


def test_the_streaming_meter_gives_the_rate_of_all_completions_in_bounded_memory():
    rng = np.random.default_rng(3)
    gaps = rng.exponential(2.0, 3000) * (rng.random(3000) > 0.3)  # 30% ties (one flush)
    times = 100.0 + np.cumsum(gaps)
    meter = RecentRate(start=100.0, window=60.0, min_runs=10)
    longest = 0
    for i, t in enumerate(times):
        meter.add(float(t))
        longest = max(longest, len(meter))
        now = float(t) + (5.0 if i % 7 == 0 else 0.0)
        want = recent_rate(times[: i + 1], start=100.0, now=now, window=60.0, min_runs=10)
        assert meter.rate(now) == want, i
    in_window = max(np.sum((times > t - 60.0) & (times <= t)) for t in times)
    assert longest <= in_window + 11  # the window plus the completions back to min_runs


# ------------------------------------------------------------------------------- the words
def test_rates_read_as_runs_per_second_or_seconds_per_run():
    assert format_rate(2.34) == "2.3 runs/s"
    assert format_rate(150.0) == "150 runs/s"
    assert format_rate(0.08) == "12.5 s/run"
    assert format_rate(1 / 300) == "5.0 min/run"
    assert [format_duration(s) for s in (45, 725, 10_930, 187_200)] == [
        "45s",
        "12m05s",
        "3h02m",
        "2d04h",
    ]


def test_the_estimated_end_is_a_wall_clock_time_and_the_time_left():
    # 10 runs in 20 s: 2.0 s/run; 30 to do take 60 s: ends 06:01 UTC
    assert describe_eta(Rate(10, 20), 30, T0) == "2.0 s/run, 1m00s left, ends ~06:01 UTC"
    # past midnight the date is given
    assert format_clock(T0 + 20 * 3600, T0) == "2026-12-07 02:00 UTC"
    assert describe_eta(None, 30, T0) == "rate not measured yet"
    assert describe_eta(Rate(1, 2), 0, T0) == "2.0 s/run, done"
    assert describe_eta(None, 0, T0) == "done"


# ---------------------------------------------------------------------------------- the bar
def test_the_bar_shows_the_recent_rate_the_end_and_the_failures():
    now = [T0]
    out = io.StringIO()
    bar = SweepProgress(100, initial=50, desc="tiny", clock=lambda: now[0], file=out, mininterval=0)
    for i in range(10):  # one run a second after a resume of 50 recorded runs
        now[0] = T0 + i + 1
        bar.record(ok=i != 4, error="RuntimeError: boom\n  at step 5" if i == 4 else None)
    bar.close()
    last = out.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    # 10 runs in 10 s (the 50 before the resume not counted); 40 to do: 40 s, 06:00:50
    assert "60/100" in last, last
    assert "1.0 runs/s, 40s left, ends ~06:00 UTC, 1 failed (last: RuntimeError: boom)" in last


def test_a_sweep_shows_the_failures_and_the_end_on_its_bar(
    write_spec, tmp_path, capsys, monkeypatch
):
    """The bar redraws after every run here (tqdm otherwise skips redraws within 0.1 s, and
    these 8 tiny runs take less than that in all: the time left would never be drawn)."""
    import importlib

    from experiments.progress import SweepProgress

    run_module = importlib.import_module("experiments.run")
    monkeypatch.setattr(
        run_module,
        "_progress",
        lambda enabled, **kw: SweepProgress(mininterval=0, miniters=1, **kw) if enabled else None,
    )
    spec = write_spec('model = "tests.experiments.failing_model:FailingModel"\n' + TINY)
    s = experiments.run(spec, tmp_path / "out", progress=True)
    assert (s.ran, s.failed) == (8, 2)
    err = capsys.readouterr().err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert re.search(r"8/8 .*\d (runs/s|s/run), done, ", last), last
    assert "2 failed (last: RuntimeError: deliberate failure at step 5)" in last
    assert "left, ends ~" in err  # while runs were left to do


# ------------------------------------------------------------------------------- status
def _interrupt_after(monkeypatch, n: int) -> None:
    """Ctrl-C at the run after the ``n``-th (run with ``window=1``: one task at a time, so the
    ``n`` before it are recorded)."""
    real, calls = run_module.run_one, []

    def interrupted(task):
        calls.append(task.run_id)
        if len(calls) > n:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(run_module, "run_one", interrupted)


def test_status_of_a_finished_run(tiny_spec, tmp_path, capsys):
    out = tmp_path / "out"
    experiments.run(tiny_spec, out, progress=False)
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs: 8 planned, 8 ok, 0 failed, 0 to do" in text
    assert ": finished\n  ended " in text and ": 8 runs in " in text
    assert "last failure" not in text
    # a session of 100 s that recorded 8 runs: 12.5 s/run
    m = read_manifest(out)
    m["history"][-1].update(
        started="2026-12-06T06:00:00+00:00", finished="2026-12-06T06:01:40+00:00"
    )
    for p in parts(out, "runs"):
        os.utime(p, (T0 + 50, T0 + 50))
    st = folder_status(out, m, now=T0 + 7200)
    assert status_lines(st, planned=8, done=8, started_text="T") == [
        "last session started T: finished",
        "  ended 06:01 UTC: 8 runs in 1m40s (12.5 s/run)",
    ]


def test_status_of_a_run_killed_mid_way(tiny_spec, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        experiments.run(tiny_spec, out, progress=False, flush_every=1, window=1)
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs: 8 planned, 3 ok, 0 failed, 5 to do" in text
    assert ": interrupted with 3 of 8 done\n" in text
    assert "the 5 to do take ~" in text and "continue with --resume" in text
    # resumed (it holds the lock) and nothing recorded since: no rate yet, nothing made up
    m = read_manifest(out)
    m["history"].append({"started": "2099-01-01T00:00:00+00:00", "resume": True})
    lock = OutputLock.acquire(out)
    try:
        st = folder_status(out, m)
    finally:
        lock.release()
    assert (st.state, st.session_runs, st.rate) == ("running", 0, None)
    assert status_lines(st, planned=8, done=3, started_text="T")[1].startswith(
        "  no run recorded yet in this session (5 to do;"
    )


def test_status_with_failures_names_the_last_one(write_spec, tmp_path, capsys):
    spec = write_spec('model = "tests.experiments.failing_model:FailingModel"\n' + TINY)
    out = tmp_path / "out"
    experiments.run(spec, out, progress=False)
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs: 8 planned, 6 ok, 2 failed, 0 to do" in text
    # the serial sweep ran p001-interactive-r001 after r000
    assert "last failure: p001-interactive-r001: RuntimeError: deliberate failure at step 5" in text


def test_status_of_a_resumed_run_in_progress_measures_only_this_session(
    write_spec, tmp_path, capsys, monkeypatch
):
    """Another process is writing (it holds the lock); four runs of the earlier session were
    fast, the four since the resume took 100 s each: the rate is 100 s/run, not 8 in 1,400 s."""
    spec = write_spec(TINY.replace("replicates = 2", "replicates = 4"))
    out = tmp_path / "out"
    _interrupt_after(monkeypatch, 8)
    with pytest.raises(KeyboardInterrupt):
        experiments.run(spec, out, progress=False, flush_every=1, window=1)
    m = read_manifest(out)
    first = dict(m["history"][0], started="2026-12-06T06:00:00+00:00")
    resumed = {"started": "2026-12-06T06:16:40+00:00", "resume": True}  # T0 + 1000 s
    m["history"] = [first, resumed]
    (out / "manifest.json").write_text(json.dumps(m))
    runs = parts(out, "runs")
    assert len(runs) == 8
    for p, t in zip(runs, [10, 20, 30, 40, 1100, 1200, 1300, 1400], strict=True):
        os.utime(p, (T0 + t, T0 + t))

    lock = OutputLock.acquire(out)  # the sweep still running elsewhere
    try:
        st = folder_status(out, read_manifest(out), now=T0 + 1400)
        assert (st.state, st.session_runs, st.rate) == ("running", 4, Rate(4, 400))
        lines = status_lines(st, planned=16, done=8, started_text="T")
        # 8 to do at 100 s/run: 800 s from 06:23:20 is 06:36:40
        assert lines[0].startswith("last session started T: running (pid ")
        assert lines[1] == "  rate over the last 6m40s: 100.0 s/run, 13m20s left, ends ~06:36 UTC"
        assert main(["status", str(out)]) == 0
        assert "  rate over the last " in capsys.readouterr().out
    finally:
        lock.release()
    st = folder_status(out, read_manifest(out), now=T0 + 5000)
    assert (st.state, st.ended, st.rate) == ("interrupted", T0 + 1400, Rate(4, 400))
    assert status_lines(st, planned=16, done=8, started_text="T")[1] == (
        "  rate before it stopped over the last 6m40s: 100.0 s/run (last run recorded "
        "06:23 UTC); the 8 to do take ~13m20s at that rate: continue with --resume"
    )
