"""Progress a person can read on long sweeps: the recent rate, the estimated end, the failures.

Two readers share it. The tqdm bar of a running sweep (:class:`SweepProgress`) is fed each
finished run as it arrives. ``python -m experiments status OUT`` (:func:`folder_status`) works
from another process, during a sweep or after it ended or crashed: it takes the session from
the manifest, whether a sweep is still writing from the folder's lock, and the completion
times from the ``runs/`` parts written since the session started (a part holds the runs of one
flush, written every 64 runs or 10 s, so its modification time is their completion time to
within a flush; the manifest gives the session's start to the second, so a part written in
the second before a resume could count as the resumed session's).

The rate (:func:`recent_rate`) is measured over the last :data:`WINDOW` seconds, widened back
to the last :data:`MIN_RUNS` completions when fewer finished in that time, and never before the
session started. A resumed sweep therefore does not count the runs recorded before the resume
as fast ones, a slow start (workers importing and compiling) leaves the estimate after a few
minutes, and a sweep that stalls shows its rate falling instead of the average since the start.

This file is long because the bar and ``status`` must measure and word the rate the same way:
the estimator, its streaming form, the words and both readers are kept together.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Seconds over which the rate is measured.
WINDOW = 300.0
#: Fewest completions the rate is measured over (the window widens back to reach them).
MIN_RUNS = 20
#: Longest failure reason shown on the bar (the status command shows it whole).
BAR_REASON = 60
#: The bar: runs done, then the rate, the time left, the end and the failures (the postfix).
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"


@dataclass(frozen=True)
class Rate:
    """Runs that finished in a span of time.

    Attributes:
        runs: Completions counted.
        seconds: Length of the span they were counted over.
    """

    runs: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Runs per second."""
        return self.runs / self.seconds


def _check_window(window: float, min_runs: int) -> None:
    if not window > 0:
        raise ValueError(f"window must be a number of seconds > 0, got {window}")
    if isinstance(min_runs, bool) or int(min_runs) != min_runs or min_runs < 1:
        raise ValueError(f"min_runs must be a whole number >= 1, got {min_runs}")


def recent_rate(
    times: Sequence[float],
    *,
    start: float,
    now: float,
    window: float = WINDOW,
    min_runs: int = MIN_RUNS,
) -> Rate | None:
    """The rate of completions over the recent past of a session.

    Counts the completions after a time ``a`` up to ``now`` and divides by ``now - a``, where
    ``a`` is ``now - window`` (not before ``start``) when at least ``min_runs`` completions fall
    after it; otherwise ``a`` is the last completion before the final ``min_runs`` (or
    ``start`` when there is none), so a slow sweep is measured over its last ``min_runs``
    runs. Completions before ``start`` (an earlier session) or after ``now`` are ignored.

    Args:
        times: Completion times (seconds since the epoch), in any order; equal times are
            allowed (the runs of one flush).
        start: When the session started.
        now: The end of the span (the current time, or when the session ended).
        window: Seconds of the recent past to measure over.
        min_runs: Fewest completions to measure over.

    Returns:
        The completions counted and the span, or None when no completion was counted.

    Raises:
        ValueError: ``window`` is not > 0 or ``min_runs`` is not a whole number >= 1.
    """
    _check_window(window, min_runs)
    t = np.sort(np.asarray(times, dtype=np.float64))
    t = t[(t >= start) & (t <= now)]
    n = len(t)
    a = max(start, now - window)
    if n - np.searchsorted(t, a, side="right") < min_runs:
        # too few in the window: back to the completion before the last min_runs (ties are
        # one flush, so the completion before them)
        a = start
        if n > min_runs:
            i = int(np.searchsorted(t, t[n - min_runs], side="left"))
            if i >= 1:
                a = float(t[i - 1])
    runs = int(n - np.searchsorted(t, a, side="right"))
    if runs == 0 or now <= a:
        return None
    return Rate(runs, now - a)


class RecentRate:
    """:func:`recent_rate` for completions arriving in time order, in bounded memory and time.

    Keeps only the completions that can still count: those in the window and those back to the
    one before the last ``min_runs`` (a completion that cannot count now cannot count later:
    the window and the last ``min_runs`` only move forward). The times kept are in order, so
    the rate takes a few binary searches instead of a sort: the bar asks for it at every run.
    """

    def __init__(self, start: float, window: float = WINDOW, min_runs: int = MIN_RUNS) -> None:
        _check_window(window, min_runs)
        self.start, self.window, self.min_runs = start, float(window), int(min_runs)
        self._t: list[float] = []
        self._lo = 0  # times before it can no longer count

    def __len__(self) -> int:
        """Completions kept."""
        return len(self._t) - self._lo

    def add(self, t: float) -> None:
        """Record a completion at time ``t`` (not before the previous one)."""
        q, k = self._t, self.min_runs
        q.append(t)
        lo = self._lo
        # the oldest can go when the next one is out of the window and still before the last
        # min_runs: the span then starts at or after that next one
        while len(q) - lo > k + 1 and q[lo + 1] <= t - self.window and q[lo + 1] < q[-k]:
            lo += 1
        if lo > 1024 and 2 * lo > len(q):  # drop the dead head now and then, not at every run
            del q[:lo]
            lo = 0
        self._lo = lo

    def rate(self, now: float) -> Rate | None:
        """The rate at ``now``: :func:`recent_rate` of every completion added."""
        q, k = self._t, self.min_runs
        hi = bisect.bisect_right(q, now, self._lo)
        lo = bisect.bisect_left(q, self.start, self._lo, hi)
        a = max(self.start, now - self.window)
        if hi - bisect.bisect_right(q, a, lo, hi) < k:
            a = self.start
            if hi - lo > k:
                i = bisect.bisect_left(q, q[hi - k], lo, hi)
                if i > lo:
                    a = q[i - 1]
        runs = hi - bisect.bisect_right(q, a, lo, hi)
        if runs == 0 or now <= a:
            return None
        return Rate(runs, now - a)


# ------------------------------------------------------------------------------------- words
def format_rate(per_second: float) -> str:
    """``2.3 runs/s`` at one run a second or more, else ``12.5 s/run`` (``3.2 min/run``)."""
    if per_second >= 1:
        return f"{per_second:.0f} runs/s" if per_second >= 100 else f"{per_second:.1f} runs/s"
    seconds = 1.0 / per_second
    return f"{seconds:.1f} s/run" if seconds < 120 else f"{seconds / 60:.1f} min/run"


def format_duration(seconds: float) -> str:
    """``45s``, ``12m05s``, ``3h02m``, ``2d04h``: the two largest units."""
    s = int(round(seconds))
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        return f"{d}d{h:02d}h"
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def format_clock(t: float, now: float) -> str:
    """``08:41 UTC``, with the date when ``t`` is on another day (UTC) than ``now``."""
    when = dt.datetime.fromtimestamp(t, dt.UTC)
    if when.date() == dt.datetime.fromtimestamp(now, dt.UTC).date():
        return f"{when:%H:%M} UTC"
    return f"{when:%Y-%m-%d %H:%M} UTC"


def describe_eta(rate: Rate | None, remaining: int, now: float) -> str:
    """``2.3 runs/s, 12m30s left, ends ~08:41 UTC`` (or what is known of it)."""
    if remaining <= 0:
        return f"{format_rate(rate.per_second)}, done" if rate else "done"
    if rate is None:
        return "rate not measured yet"
    left = remaining / rate.per_second
    return (
        f"{format_rate(rate.per_second)}, {format_duration(left)} left, "
        f"ends ~{format_clock(now + left, now)}"
    )


def one_line(error: str | None, limit: int | None = None) -> str:
    """The first line of an error, cut to ``limit`` characters (with ``...``)."""
    lines = (error or "").strip().splitlines()
    text = lines[0] if lines else "unknown error"
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


# ---------------------------------------------------------------------------------- the bar
class SweepProgress:
    """The tqdm bar of a sweep: runs done, recent rate, time left, end, failures.

    Args:
        total: Runs in the experiment.
        initial: Runs already recorded (a resume); they do not count towards the rate.
        desc: The bar's label.
        clock: Seconds since the epoch (injectable for tests).
        window: Seconds of the recent past the rate is measured over.
        min_runs: Fewest completions the rate is measured over.
        **tqdm_kw: Passed to ``tqdm`` (e.g. ``file``, ``mininterval``).
    """

    def __init__(
        self,
        total: int,
        initial: int = 0,
        desc: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        window: float = WINDOW,
        min_runs: int = MIN_RUNS,
        **tqdm_kw: Any,
    ) -> None:
        from tqdm.auto import tqdm

        self.clock = clock
        self.total, self.done = int(total), int(initial)
        self.meter = RecentRate(clock(), window, min_runs)
        self.failed = 0
        self.last_failure: str | None = None
        kw = {"unit": "run", "dynamic_ncols": True, "bar_format": BAR_FORMAT, **tqdm_kw}
        self.bar = tqdm(total=total, initial=initial, desc=desc, **kw)
        self.bar.set_postfix_str(self.postfix(self.meter.start), refresh=False)

    def record(self, ok: bool, error: str | None = None) -> None:
        """Count one finished run (``ok`` False for a failure, with its ``error``)."""
        now = self.clock()
        self.meter.add(now)
        self.done += 1
        if not ok:
            self.failed += 1
            self.last_failure = one_line(error, BAR_REASON)
        self.bar.set_postfix_str(self.postfix(now), refresh=False)
        self.bar.update(1)

    def postfix(self, now: float) -> str:
        """What follows the count: rate, time left, end, and the failures if any."""
        text = describe_eta(self.meter.rate(now), self.total - self.done, now)
        if self.failed:
            text += f", {self.failed} failed (last: {self.last_failure})"
        return text

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


# ------------------------------------------------------------------------------ the folder
@dataclass(frozen=True)
class FolderStatus:
    """Where the last session of an output folder stands.

    Attributes:
        state: ``running``, ``finished`` or ``interrupted``.
        holder: ``pid N on HOST, started T`` of the running process, else None.
        started: When the last session started (seconds since the epoch), or None.
        ended: When it finished, or its last recorded flush when interrupted; None if running.
        now: The time the status was taken at.
        session_runs: Runs recorded by the last session.
        rate: The recent rate (:func:`recent_rate`) up to ``now`` (running) or ``ended``.
        last_failure: ``(run_id, reason)`` of the latest recorded failure, or None.
    """

    state: str
    holder: str | None
    started: float | None
    ended: float | None
    now: float
    session_runs: int
    rate: Rate | None
    last_failure: tuple[str, str] | None


def _timestamp(text: Any) -> float | None:
    try:
        return dt.datetime.fromisoformat(str(text)).timestamp()
    except (TypeError, ValueError):
        return None


def completion_times(out: str | Path, since: float | None) -> list[float]:
    """One time per run recorded in ``runs/`` parts written at or after ``since``.

    A run's time is its part's modification time (the flush that recorded it).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from experiments.parts import parts

    times: list[float] = []
    for p in parts(out, "runs"):
        try:
            mtime = p.stat().st_mtime
            if since is not None and mtime < since:
                continue
            times += [mtime] * pq.read_metadata(p).num_rows
        except (OSError, pa.ArrowException):
            continue  # a corrupt part: status names it separately
    return times


def last_failure(out: str | Path) -> tuple[str, str] | None:
    """``(run_id, first line of the error)`` of the latest failed row in ``runs/``, or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from experiments.parts import parts

    for p in reversed(parts(out, "runs")):
        try:
            t = pq.read_table(p, columns=["run_id", "status", "error"]).to_pydict()
        except (OSError, pa.ArrowException):
            continue
        for run_id, status, error in reversed(list(zip(*t.values(), strict=True))):
            if status != "ok":
                return run_id, one_line(error)
    return None


def folder_status(
    out: str | Path,
    manifest: dict[str, Any],
    *,
    failures: bool = True,
    now: float | None = None,
    window: float = WINDOW,
    min_runs: int = MIN_RUNS,
) -> FolderStatus:
    """Where the last session of ``out`` stands, read from its files alone.

    Args:
        out: The output folder.
        manifest: Its manifest (:func:`experiments.store.read_manifest`).
        failures: Look for the latest failure (skip when none was recorded).
        now: The current time (default: the clock).
        window: Seconds of the recent past the rate is measured over.
        min_runs: Fewest completions the rate is measured over.
    """
    from experiments.lock import lock_holder

    now = time.time() if now is None else now
    last = (manifest.get("history") or [{}])[-1]
    started = _timestamp(last.get("started"))
    holder = lock_holder(out)
    times = completion_times(out, started)
    if holder:
        state, ended = "running", None
    elif last.get("finished"):
        state, ended = "finished", _timestamp(last.get("finished"))
    else:
        state, ended = "interrupted", max(times, default=started)
    until = now if ended is None else ended
    rate = None
    if started is not None and until is not None:
        rate = recent_rate(times, start=started, now=until, window=window, min_runs=min_runs)
    return FolderStatus(
        state=state,
        holder=holder,
        started=started,
        ended=ended,
        now=now,
        session_runs=len(times),
        rate=rate,
        last_failure=last_failure(out) if failures else None,
    )


def status_lines(st: FolderStatus, *, planned: int, done: int, started_text: str) -> list[str]:
    """The lines ``status`` prints about the last session: its state, rate, end and failure.

    Args:
        st: The folder's status.
        planned: Runs in the experiment.
        done: Runs recorded (ok or failed).
        started_text: The session's start as the manifest gives it.
    """
    left = planned - done
    if st.state == "running":
        state = f"running ({st.holder})"
    elif st.state == "finished":
        state = "finished"
    else:
        state = f"interrupted with {done} of {planned} done"
    lines = [f"last session started {started_text}: {state}"]
    span = f" over the last {format_duration(st.rate.seconds)}" if st.rate else ""
    if st.state == "running":
        if st.rate is None:
            lines.append(
                f"  no run recorded yet in this session ({left} to do; finished runs are "
                "written every --flush-every runs or --flush-seconds)"
            )
        else:
            lines.append(f"  rate{span}: {describe_eta(st.rate, left, st.now)}")
    elif st.state == "finished" and st.started is not None and st.ended is not None:
        took = max(st.ended - st.started, 0.0)
        mean = f" ({format_rate(st.session_runs / took)})" if st.session_runs and took else ""
        lines.append(
            f"  ended {format_clock(st.ended, st.now)}: {st.session_runs} runs in "
            f"{format_duration(took)}{mean}"
        )
    elif st.state == "interrupted":
        stopped = f" (last run recorded {format_clock(st.ended, st.now)})" if st.ended else ""
        if st.rate is not None and left > 0:
            todo = format_duration(left / st.rate.per_second)
            lines.append(
                f"  rate before it stopped{span}: {format_rate(st.rate.per_second)}{stopped}; "
                f"the {left} to do take ~{todo} at that rate: continue with --resume"
            )
        else:
            lines.append(
                f"  {st.session_runs} runs recorded in that session{stopped}; "
                "continue with --resume"
            )
    if st.last_failure is not None:
        lines.append(f"last failure: {st.last_failure[0]}: {st.last_failure[1]}")
    return lines
