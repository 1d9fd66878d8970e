""" "Run this as a batch": the page's comparison as an experiment, run by the experiments runner.

:func:`batch_spec` writes the running setting as an experiment spec: the page's strategy (or
the comparison's two) against ``one_way``, the baseline, paired by seed (each replicate's
arms share its seed, so they share the population and every draw the strategy does not touch),
with the replicates, users and steps set on the card (small by default). :func:`start` writes
the spec into a new folder under the batch root and runs ``python -m experiments run`` in a
subprocess (the viewer's server stays responsive, and the runner's own Ctrl-C handling keeps
the folder consistent), then ``python -m experiments report --no-figures``.
:func:`progress` reads the folder as ``python -m experiments status`` does (runs done,
failures, the recent rate and the estimated end, from :mod:`experiments.progress`). The card
(:func:`BatchPanel`) shows it, offers Cancel (the runner stops as on Ctrl-C: finished runs are
written, the lock is released, and Resume continues with ``--resume``), and when done shows the
paired table with its confidence intervals (the report's ``comparison.csv``) and offers the
spec and the table as downloads.

The batch root is ``OPINION_ECOLOGY_BATCH_ROOT`` (default ``results/viewer_batches`` in the
repository); a batch's folder is named by the server (preset, arms, time), never by the page.
One batch runs at a time per server process: the machine's cores are shared with the viewer,
and a second start is refused with the running batch's name and progress.

This file is over 400 lines: the spec, the job, its progress and its card are one feature,
read together.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import datetime as dt
import html
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import mesa
import pandas as pd
import solara

from model import Params
from viewer.arms import arms_of, build_kwargs
from viewer.download import DownloadButton
from viewer.exports import arm_table, spec_text
from viewer.settings import DEFAULTS_PRESET

#: The repository (the runner's working folder).
ROOT = Path(__file__).resolve().parents[1]
#: The arm every other is paired against.
BASELINE = "one_way"
#: The card's defaults: small, so a batch takes a minute or two on a laptop.
DEFAULT_REPLICATES, DEFAULT_USERS, DEFAULT_STEPS = 4, 300, 48
#: What the card allows (larger experiments belong to ``python -m experiments run``).
LIMITS = {"replicates": (2, 50), "users": (50, 10_000), "steps": (1, 24 * 30)}
#: Seconds between reads of the running batch's folder.
POLL_S = 1.0
#: The headline measures the card's table shows.
HEADLINE = ("reach", "secondary_share", "engagement", "trust", "retention", "belonging")


class BatchError(ValueError):
    """A batch that cannot start: the message says what is wrong and what is allowed."""


def batch_root() -> Path:
    """Where batches are written: ``OPINION_ECOLOGY_BATCH_ROOT``, else
    ``results/viewer_batches`` in the repository."""
    env = os.environ.get("OPINION_ECOLOGY_BATCH_ROOT")
    return Path(env) if env else ROOT / "results" / "viewer_batches"


def shown_folder(out: Path) -> str:
    """``out`` as the card names it: relative to the repository when inside it
    (``results/viewer_batches/NAME``), under ``$OPINION_ECOLOGY_BATCH_ROOT`` when the batch
    root was set, else in full. A page may be seen by others (a screenshot, a shared screen),
    so it names the server's folders no more than the settings that chose them."""
    out = Path(out)
    if out.is_relative_to(ROOT):
        return out.relative_to(ROOT).as_posix()
    env = os.environ.get("OPINION_ECOLOGY_BATCH_ROOT")
    if env and out.is_relative_to(Path(env)):
        return "$OPINION_ECOLOGY_BATCH_ROOT/" + out.relative_to(Path(env)).as_posix()
    return str(out)


def parse_size(name: str, text: str) -> int:
    """A whole number in :data:`LIMITS` ``[name]``.

    Raises:
        BatchError: Anything else, saying what is allowed.
    """
    lo, hi = LIMITS[name]
    allowed = f"use a whole number from {lo} to {hi:,}"
    try:
        value = int(str(text).strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise BatchError(f"{name} {str(text).strip()[:40]!r} is not allowed; {allowed}") from None
    if not lo <= value <= hi:
        raise BatchError(f"{name} {value:,} is not allowed; {allowed}")
    return value


def arms_of_page(kwargs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The spec's arms: ``one_way`` first, then the page's strategy or the comparison's two
    (a custom strategy as its nearest preset and the switches that differ).

    Raises:
        BatchError: The page compares nothing against one_way (its only strategy is one_way).
    """
    strategies = kwargs.get("strategies") or (kwargs["params"].strategy,)
    arms: dict[str, dict[str, Any]] = {BASELINE: {"strategy": BASELINE}}
    for s in strategies:
        name, table = arm_table(s)
        if table == {"strategy": BASELINE}:
            continue
        while name in arms:
            if arms[name] == table:
                break
            name += "_b"
        arms[name] = table
    if len(arms) == 1:
        raise BatchError(
            "the page runs one_way only, so a batch would compare one_way with itself; "
            "choose another strategy (or a comparison with another arm) and press Reset"
        )
    return arms


def batch_spec(kwargs: dict[str, Any], replicates: int, users: int, steps: int, name: str) -> str:
    """The page's setting as a spec: its arms against one_way, ``replicates`` paired seeds
    from its seed, at ``users`` users for ``steps`` steps.

    Raises:
        BatchError: A size the model refuses with the page's other settings.
    """
    try:
        params: Params = kwargs["params"].replace(n_users=users, steps=steps)
    except (TypeError, ValueError) as e:
        raise BatchError(
            f"{users} users and {steps} steps are refused with this setting: {e}"
        ) from None
    return spec_text(
        '# Written by the Opinion Ecology viewer\'s "Run this as a batch".',
        name,
        "The viewer setting: its strategies against one_way.",
        params,
        kwargs["seed"],
        replicates,
        min(6, steps),
        arms_of_page(kwargs),
        baseline=BASELINE,
    )


@dataclasses.dataclass
class BatchJob:
    """A batch the server runs: its folder, its spec and where it stands.

    Attributes:
        name: The spec's name (also the folder's).
        out: The results folder.
        spec_path: The spec in it (``spec.toml``).
        total: Runs in the experiment.
        state: ``running``, ``reporting``, ``done``, ``failed`` or ``cancelled``.
        message: Why it failed, or None.
        started: When this session of it started (seconds since the epoch).
        ended: When it ended, or None.
    """

    name: str
    out: Path
    spec_path: Path
    total: int
    state: str = "running"
    message: str | None = None
    started: float = dataclasses.field(default_factory=time.time)
    ended: float | None = None
    proc: subprocess.Popen[bytes] | None = dataclasses.field(default=None, repr=False)
    cancel_requested: bool = False

    @property
    def active(self) -> bool:
        """Still running or reporting."""
        return self.state in ("running", "reporting")


#: The server's batch (one at a time), and the lock that guards starting one.
_JOB: dict[str, BatchJob] = {}
_LOCK = threading.Lock()


def current() -> BatchJob | None:
    """The server's last batch, if any."""
    return _JOB.get("job")


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "experiments", *args]


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " ".join(text[-lines:])


def _drive(job: BatchJob, resume: bool) -> None:
    """Run the runner, then the report, in subprocesses; record how it ended."""
    log = job.out / "viewer_batch.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    run = ["run", str(job.spec_path), "--out", str(job.out), "--quiet", "--flush-seconds", "2"]
    with log.open("a") as f:
        job.proc = subprocess.Popen(
            _command(*run, *(["--resume"] if resume else [])),
            cwd=ROOT,
            stdout=f,
            stderr=subprocess.STDOUT,
            env=env,
        )
        code = job.proc.wait()
        if job.cancel_requested:
            job.state, job.ended = "cancelled", time.time()
            return
        if code != 0:
            job.state, job.ended = "failed", time.time()
            job.message = f"the runner exited with code {code}: {_log_tail(log)}"
            return
        job.state = "reporting"
        job.proc = subprocess.Popen(
            _command("report", str(job.out), "--no-figures"),
            cwd=ROOT,
            stdout=f,
            stderr=subprocess.STDOUT,
            env=env,
        )
        code = job.proc.wait()
    job.ended = time.time()
    if job.cancel_requested:
        # Cancel during the report: every run is recorded and the report is only derived from
        # them, so the folder is whole; Resume runs nothing and writes the report
        job.state = "cancelled"
    elif code != 0 or not (job.out / "comparison.csv").is_file():
        job.state = "failed"
        job.message = f"the report failed (code {code}): {_log_tail(log)}"
    else:
        job.state = "done"


def _refuse_if_busy() -> None:
    job = current()
    if job is not None and job.active:
        p = progress(job)
        raise BatchError(
            f"a batch is already running on this server ({job.name}: {p['done']} of "
            f"{job.total} runs done); one batch runs at a time: wait for it or cancel it"
        )


def start(
    model: mesa.Model,
    preset: str,
    replicates: int,
    users: int,
    steps: int,
    root: Path | None = None,
) -> BatchJob:
    """Write the spec of the page's setting into a new folder under the batch root and start
    the runner on it in the background.

    Raises:
        BatchError: A batch is already running, or the spec cannot be written or loaded.
    """
    from experiments.plan import make_plan
    from experiments.spec import SpecError, load_spec

    with _LOCK:
        _refuse_if_busy()
        kwargs = build_kwargs(model)
        arms = arms_of_page(kwargs)
        scenario = "defaults" if preset == DEFAULTS_PRESET else preset
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{scenario}_{'_vs_'.join(arms)}_{stamp}")
        out = (root or batch_root()) / name
        try:
            out.mkdir(parents=True, exist_ok=False)
        except OSError as e:
            raise BatchError(f"cannot create the results folder {out}: {e}") from None
        spec_path = out / "spec.toml"
        spec_path.write_text(batch_spec(kwargs, replicates, users, steps, name), "utf-8")
        try:
            total = make_plan(load_spec(spec_path)).n_runs
        except SpecError as e:
            raise BatchError(f"the batch's spec is refused: {e}") from None
        job = BatchJob(name=name, out=out, spec_path=spec_path, total=total)
        _JOB["job"] = job
        threading.Thread(target=_drive, args=(job, False), daemon=True).start()
        return job


def resume(job: BatchJob) -> None:
    """Continue a cancelled or failed batch in its folder (``--resume``)."""
    with _LOCK:
        _refuse_if_busy()
        job.state, job.message, job.ended = "running", None, None
        job.cancel_requested, job.started = False, time.time()
        _JOB["job"] = job
        threading.Thread(target=_drive, args=(job, True), daemon=True).start()


def cancel(job: BatchJob, wait_s: float = 60.0) -> None:
    """Stop the runner as Ctrl-C does (SIGINT): it writes the runs finished so far and
    releases the folder, so a resume continues it. Waits for it to end."""
    job.cancel_requested = True
    proc = job.proc
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()  # the runner did not stop: a resume will quarantine a torn part
            proc.wait()
    deadline = time.monotonic() + 5
    while job.state in ("running", "reporting") and time.monotonic() < deadline:
        time.sleep(0.05)  # the driver thread records the end


def _stop_at_exit() -> None:
    """When the server stops, stop its batch as Cancel does (the folder stays consistent)."""
    job = current()
    proc = job.proc if job is not None else None
    if job is not None and proc is not None and proc.poll() is None:
        job.cancel_requested = True
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)


atexit.register(_stop_at_exit)


def progress(job: BatchJob) -> dict[str, Any]:
    """Where ``job`` stands, read from its folder as ``experiments status`` reads it: runs done
    and failed, the last failure, and the rate and end (``experiments.progress``)."""
    from experiments.parts import read_table
    from experiments.progress import describe_eta, folder_status, one_line
    from experiments.store import StoreError, read_manifest

    runs = read_table(job.out, "runs", columns=["run_id", "status", "error"], skip_corrupt=True)
    done = len(runs)
    bad = runs[runs["status"] != "ok"] if done else runs
    eta = "starting the runner"
    try:
        st = folder_status(job.out, read_manifest(job.out), failures=False)
        eta = describe_eta(st.rate, job.total - done, time.time()) if done else eta
    except StoreError:
        pass  # no manifest yet: the runner is still starting
    last = None
    if len(bad):
        last = f"{bad['run_id'].iloc[-1]}: {one_line(bad['error'].iloc[-1], 120)}"
    return {"done": done, "failed": len(bad), "eta": eta, "last_failure": last}


def paired_table(out: Path, measures: tuple[str, ...] = HEADLINE) -> pd.DataFrame:
    """The report's paired differences for the whole population: per arm and headline
    measure, the baseline's and the arm's means, Δ and its confidence interval."""
    c = pd.read_csv(out / "comparison.csv", low_memory=False)
    c = c[(c["generation"] == "all") & c["measure"].isin(measures)]
    order = {m: i for i, m in enumerate(measures)}
    c = c.assign(_o=c["measure"].map(order)).sort_values(["arm", "_o"])
    return c[["arm", "measure", "base_mean", "arm_mean", "diff", "ci_lo", "ci_hi", "n"]]


def number_text(x: float) -> str:
    """A table cell: 3 significant digits; 0 for a float round-off (|x| < 1e-12); blank for
    NaN."""
    if pd.isna(x):
        return ""
    return "0" if abs(x) < 1e-12 else f"{x:.3g}"


def table_html(t: pd.DataFrame) -> str:
    """:func:`paired_table` as an HTML table narrow enough for the card: a heading row per arm,
    then per measure the one-way mean, the arm's mean, Δ and its 95% CI, and the pairs."""
    g = number_text
    head = "measure", "one_way", "arm", "Δ", "95% CI of Δ", "pairs"
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for arm, group in t.groupby("arm", sort=False):
        rows.append(f'<tr><th colspan="6">{html.escape(str(arm))} − one_way</th></tr>')
        for r in group.itertuples():
            cells = [r.measure, g(r.base_mean), g(r.arm_mean), g(r.diff)]
            cells += [f"[{g(r.ci_lo)}, {g(r.ci_hi)}]", str(int(r.n))]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return "".join(rows)


# ---------------------------------------------------------------------------------- the card
@solara.component
def BatchPanel(model: mesa.Model, preset: str = DEFAULTS_PRESET) -> None:
    """The "Run this as a batch" card: sizes, Start, progress, Cancel/Resume, the table."""
    first = next(iter(arms_of(model).values()))
    sizes = {
        "replicates": solara.use_reactive(str(DEFAULT_REPLICATES)),
        "users": solara.use_reactive(str(min(first.params.n_users, DEFAULT_USERS))),
        "steps": solara.use_reactive(str(min(first.params.steps, DEFAULT_STEPS))),
    }
    problem, set_problem = solara.use_state(cast(str | None, None))
    tick, set_tick = solara.use_state(0)
    job = current()
    # the state this render drew: the poll goes on from what the page shows, not from the live
    # state, which the runner's thread may have moved on since (a batch that ended between this
    # render and the poll's start left the page on "computing the paired table" for good)
    drawn = job.state if job is not None else None

    def poll() -> None:
        # re-read the folder every POLL_S while the page shows a running batch
        if drawn in ("running", "reporting"):
            time.sleep(POLL_S)
            set_tick(tick + 1)

    solara.use_thread(poll, dependencies=[tick, drawn])

    def on_start() -> None:
        try:
            values = {k: parse_size(k, v.value) for k, v in sizes.items()}
            start(model, preset, values["replicates"], values["users"], values["steps"])
        except BatchError as e:
            set_problem(f"{e}.")
            return
        set_problem(None)
        set_tick(tick + 1)

    def act(f: Callable[[BatchJob], None]) -> Callable[[], None]:
        def run() -> None:
            if job is None:
                return
            try:
                f(job)
            except BatchError as e:
                set_problem(f"{e}.")
                return
            set_problem(None)
            set_tick(tick + 1)

        return run

    try:
        arms = list(arms_of_page(build_kwargs(model)))
        what = f"{' and '.join(arms[1:])} against one_way, paired by seed"
    except BatchError as e:
        what = str(e)
    solara.Text(
        f"Runs the page's setting as an experiment: {what}, with python -m experiments.",
        style={"font-size": "0.85em"},
    )
    with solara.Row(style={"flex-wrap": "nowrap"}, gap="6px"):
        for key, label in (("replicates", "Replicates"), ("users", "Users"), ("steps", "Steps")):
            solara.InputText(
                label, value=sizes[key], classes=[f"oe-batch-{key}"], style={"min-width": "0"}
            )
    solara.Text(
        ", ".join(f"{k} {lo:,}-{hi:,}" for k, (lo, hi) in LIMITS.items()).capitalize() + ".",
        style={"font-size": "0.8em", "color": "#555"},
    )
    solara.Button(
        "Run this as a batch",
        color="primary",
        small=True,
        on_click=on_start,
        classes=["oe-batch-start"],
    )
    if problem:
        solara.v.Alert(
            type="error",
            variant="tonal",
            density="compact",
            children=[problem],
            class_="oe-batch-error",
        )
    if job is not None:
        BatchStatus(job, act(cancel), act(resume))


@solara.component
def BatchStatus(
    job: BatchJob, on_cancel: Callable[[], None], on_resume: Callable[[], None]
) -> None:
    """The server's batch: its progress, and its table and downloads when done."""
    p = progress(job)
    share = 100 * p["done"] / job.total if job.total else 100
    fail = f", {p['failed']} failed" if p["failed"] else ""
    where = f"results in {shown_folder(job.out)}"
    if job.state == "running":
        text = f"{job.name}: {p['done']} of {job.total} runs done{fail}; {p['eta']}."
    elif job.state == "reporting":
        text = f"{job.name}: {job.total} runs done{fail}; computing the paired table."
    elif job.state == "done":
        took = (job.ended or time.time()) - job.started
        text = f"{job.name}: finished, {p['done']} runs{fail} in {took:.0f} s; {where}."
    elif job.state == "cancelled":
        text = (
            f"{job.name}: cancelled with {p['done']} of {job.total} runs recorded; {where} "
            "(consistent: Resume continues it, as python -m experiments run SPEC --out DIR "
            "--resume does)."
        )
    else:
        text = f"{job.name}: failed: {job.message}; {where}."
    solara.Text(text, classes=["oe-batch-progress"], style={"font-size": "0.85em"})
    if job.active:
        solara.v.ProgressLinear(model_value=share, color="primary", class_="oe-batch-bar")
    if p["last_failure"]:
        solara.Text(f"last failure: {p['last_failure']}", style={"font-size": "0.8em"})
    with solara.Row():
        if job.active:
            solara.Button("Cancel", small=True, on_click=on_cancel, classes=["oe-batch-cancel"])
        elif job.state in ("cancelled", "failed"):
            solara.Button("Resume", small=True, on_click=on_resume, classes=["oe-batch-resume"])
    if job.state == "done":
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f'<table class="oe-batch-table">{table_html(paired_table(job.out))}'
            "</table>",
            style={"font-size": "12px", "overflow-x": "auto", "max-width": "100%"},
        )
        with solara.Row(style={"flex-wrap": "wrap"}):
            DownloadButton(
                lambda: job.spec_path.read_bytes(), f"{job.name}_spec.toml", "batch spec TOML"
            )
            DownloadButton(
                lambda: (job.out / "comparison.csv").read_bytes(),
                f"{job.name}_comparison.csv",
                "paired table CSV",
                "text/csv",
            )
