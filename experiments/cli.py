"""The command line: ``python -m experiments plan|run|explain|optimize|calibrate|status|report|params``.

    python -m experiments plan experiments/specs/interactive_vs_one_way.toml
    python -m experiments run experiments/specs/interactive_vs_one_way.toml --out results/flagship \\
        --executor process --workers 2
    python -m experiments run ... --out results/flagship --resume       # after an interruption
    python -m experiments run ... --executor dask --address tcp://scheduler:8786
    python -m experiments status results/flagship
    python -m experiments report results/flagship
    python -m experiments explain experiments/specs/interactive_vs_one_way.toml --out results/explain
    python -m experiments calibrate experiments/specs/calibration.toml --out results/calibration
    python -m experiments optimize experiments/specs/optimize_levers.toml --out results/optimize

``--set KEY=VALUE`` changes a fixed parameter or a top-level key (``replicates``, ``steps``, ...)
for one invocation; the values are TOML (``--set n_users=2000 --set initial_opinion='"uniform"'``).

This file is a little over 400 lines because every subcommand's parser sits with its handler;
``explain``'s handler lives in :mod:`experiments.explain`, ``calibrate``'s parser and handler in
:mod:`experiments.calibrate`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from experiments.spec import SpecError


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``; values are read as TOML, else as strings."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set needs KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value.strip()
    return out


def _overrides(a: argparse.Namespace) -> dict[str, Any]:
    o = parse_set(a.set or [])
    for key in ("replicates", "steps", "measure_every"):
        v = getattr(a, key, None)
        if v is not None:
            o[key] = v
    return o


def _load(a: argparse.Namespace):
    """The spec with the command line's overrides; its model class must import."""
    from experiments.run import check_model
    from experiments.spec import load_spec

    try:
        spec = load_spec(a.spec)
    except UnicodeDecodeError as e:
        raise SpecError(
            f"not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start}); "
            "a spec must be a UTF-8 TOML file",
            file=str(a.spec),
        ) from None
    overrides = _overrides(a)
    if overrides:
        try:
            spec = spec.with_overrides(overrides)
        except SpecError as e:
            raise _override_error(e, overrides, a) from None
    check_model(spec)
    return spec


def _override_error(e: SpecError, overrides: dict[str, Any], a: argparse.Namespace) -> SpecError:
    """A spec error caused by a command-line value, named as the option that gave it."""
    given = {}
    for item in a.set or []:
        key, _, value = item.partition("=")
        given[key.strip()] = f"--set {key.strip()}={value.strip()}"
    for key in ("replicates", "steps", "measure_every"):
        if getattr(a, key, None) is not None:
            given[key] = f"--{key.replace('_', '-')} {getattr(a, key)}"
    last = e.key.split(".")[-1] if e.key else ""
    option = given.get(e.key) or given.get(last) or ", ".join(given.values())
    what = f"{e.key}: " if e.key else ""
    return SpecError(f"from {option}: {what}{e.reason}", allowed=e.allowed)


def _spec_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", type=Path, help="the experiment's TOML spec")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="change a fixed parameter or top-level key (repeatable)",
    )
    p.add_argument("--replicates", type=int, help="override the number of replicates")
    p.add_argument("--steps", type=int, help="override the run length in steps (hours)")
    p.add_argument(
        "--measure-every", dest="measure_every", type=int, help="override the time-series interval"
    )


def runner_options(a: argparse.Namespace) -> dict[str, Any]:
    """The keyword options ``run`` and ``explain`` share, from the parsed command line."""
    return {
        "executor": "dask" if a.address else a.executor,
        "workers": a.workers,
        "address": a.address,
        "resume": a.resume,
        "overwrite": a.overwrite,
        "retry_failed": a.retry_failed,
        "progress": not a.quiet,
        "flush_every": a.flush_every,
        "flush_seconds": a.flush_seconds,
    }


def cmd_plan(a: argparse.Namespace) -> int:
    """Count the runs and estimate the time from a short pilot of each arm."""
    from experiments.executors import default_workers
    from experiments.plan import make_plan
    from experiments.run import build_model

    spec = _load(a)
    plan = make_plan(spec)
    n_points = len(plan.points)
    print(
        f"experiment {spec.name}: {n_points} design point(s) x {len(spec.arms)} arms x {spec.replicates} replicates = {plan.n_runs} runs"
    )
    if spec.design.levers:
        n_lev = len(spec.design.levers)
        print(
            f"design points: {n_lev} lever settings x {n_points // n_lev} scenarios "
            f"({spec.design.kind}), the same scenarios and seeds for every setting"
        )
    print(
        f"each run: {spec.steps} steps ({spec.steps / 24:g} days); arms: {', '.join(spec.arm_names)}; baseline {spec.analysis.baseline}"
    )
    if a.pilot_steps <= 0:
        return 0
    k = min(a.pilot_steps, spec.steps)
    per_arm: dict[str, float] = {}
    print(f"pilot: {k} steps of each arm at design point 0 ...", flush=True)
    per_step_of: dict[str, float] = {}
    build_of: dict[str, float] = {}
    for t in plan.tasks(first=len(spec.arms)):
        t0 = time.perf_counter()
        m = build_model(dataclasses.replace(t, burn_in=0))  # the pilot needs no burn-in
        t1 = time.perf_counter()
        for _ in range(k):
            if not m.running:
                break
            m.step()
        t2 = time.perf_counter()
        per_step = (t2 - t1) / max(1, m.steps)
        per_arm[t.arm] = (t1 - t0) + per_step * spec.steps
        per_step_of[t.arm], build_of[t.arm] = per_step, t1 - t0
        print(
            f"  {t.arm:14s} build {t1 - t0:6.2f} s, {per_step * 1000:7.1f} ms/step -> ~{per_arm[t.arm]:7.1f} s per run"
        )
    total = sum(per_arm.values()) * n_points * spec.replicates
    if spec.burn_in:
        base = spec.analysis.baseline
        n_burn = len(plan.burn_ins())
        each = build_of[base] + per_step_of[base] * spec.burn_in
        total += n_burn * each
        print(
            f"burn-in: {n_burn} of {spec.burn_in} steps (one per design point and replicate, "
            f"arm {base}) -> ~{each:7.1f} s each; the arms branch from them"
        )
    w = a.workers or default_workers()
    print(
        f"estimate: {_hms(total)} serially, ~{_hms(total / w)} on {w} workers "
        "(point 0's size; later steps can be slower as content accumulates)"
    )
    return 0


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _start_run_command(a: argparse.Namespace, example: str, why: str = "") -> None:
    """What run, explain and optimize check first: SIGTERM stops like Ctrl-C (finished runs
    are kept), ``--out`` names a folder, and the runner's options are valid."""
    import signal

    from experiments.run import check_run_options

    signal.signal(signal.SIGTERM, _interrupt)
    if not str(a.out).strip():
        raise UsageError(f"--out '' is empty{why}; name the output folder, e.g. --out {example}")
    try:
        check_run_options(workers=a.workers, flush_every=a.flush_every, address=a.address)
    except ValueError as e:
        raise UsageError(str(e)) from None


def cmd_run(a: argparse.Namespace) -> int:
    """Run (or resume) an experiment; SIGTERM stops it like Ctrl-C (finished runs are kept)."""
    from experiments.run import run

    _start_run_command(a, "results/flagship", " (it would mean the current directory)")
    spec = _load(a)
    s = run(spec, a.out, **runner_options(a))
    print(
        f"{spec.name}: {s.ran} runs in {s.seconds:.1f} s ({s.failed} failed), {s.skipped} already done; "
        f"results in {s.out}"
    )
    return 1 if s.failed and a.strict else 0


def cmd_explain(a: argparse.Namespace) -> int:
    """Run the paired knock-outs of a spec and write the attribution (as ``run``, plus files)."""
    from experiments.explain import command

    _start_run_command(a, "results/explain")
    return command(a, _load(a), runner_options(a))


def cmd_optimize(a: argparse.Namespace) -> int:
    """Search the focal outlet's levers (the spec's [optimize] table) and write the front."""
    from experiments.optimize import optimize

    _start_run_command(a, "results/optimize")
    options = runner_options(a)
    s = optimize(_load(a), a.out, figures=not a.no_figures, **options)
    print(
        f"{len(s.evaluations)} candidates, {len(s.front)} on the front; {s.ran} runs now "
        f"({s.failed} failed)"
    )
    print(s.front.to_string(index=False, max_colwidth=24))
    print("\nwrote " + ", ".join(str(p.relative_to(Path(a.out))) for p in s.files.values()))
    return 1 if s.failed and a.strict else 0


def cmd_status(a: argparse.Namespace) -> int:
    """Progress of an output directory: counts, and the last session's state, rate and end."""
    from experiments.parts import (
        check_parts,
        expected_schemas,
        older_parts,
        read_table,
    )
    from experiments.plan import PlanError, check_recorded
    from experiments.progress import folder_status, status_lines
    from experiments.results import Results
    from experiments.store import read_manifest

    m = read_manifest(a.out)
    plan = Results.plan_of(Path(a.out), m)
    schemas = expected_schemas(plan.spec, plan)
    planned = plan.n_runs
    runs = read_table(
        a.out, "runs", columns=["run_id", "arm", "status", "error", "seconds"], skip_corrupt=True
    )
    ok = runs[runs["status"] == "ok"]
    failed = runs[runs["status"] != "ok"]
    todo = planned - len(runs)
    print(f"experiment {m['name']} in {a.out} (created {m['created']}, spec {m.get('spec_file')})")
    print(f"runs: {planned} planned, {len(ok)} ok, {len(failed)} failed, {todo} to do")
    if len(ok):
        for arm, g in ok.groupby("arm", sort=False):
            print(f"  {arm:14s} {len(g):5d} ok, mean {g['seconds'].mean():.1f} s per run")
        if todo:
            print(f"remaining: ~{_hms(todo * ok['seconds'].mean())} serially")
    for r in failed.head(10).itertuples():
        print(f"  failed {r.run_id}: {r.error}")
    if len(failed) > 10:
        print(f"  ... and {len(failed) - 10} more failures")
    bad = check_parts(a.out, schemas)
    for path, error in bad:
        print(
            f"corrupt part {path.relative_to(a.out)} ({error}): run --resume to move it to "
            "corrupt/ and run its runs again"
        )
    older = older_parts(a.out, schemas)
    if older is not None:
        print(f"older results: {older.message(a.out)}")
    if not bad:
        try:
            check_recorded(plan, a.out)
        except PlanError as e:
            print(f"problem: {e}")
    last = (m.get("history") or [{}])[-1]
    st = folder_status(a.out, m, failures=len(failed) > 0)
    for line in status_lines(st, planned=planned, done=len(runs), started_text=last.get("started")):
        print(line)
    return 0


def cmd_report(a: argparse.Namespace) -> int:
    """Write the report and print the headline comparison (or a calibration folder's report)."""
    import pandas as pd

    from experiments.calibrate_io import is_calibration

    if is_calibration(a.out):
        from experiments.calibrate_report import write_report as calibration_report

        files = calibration_report(a.out, figures_=not a.no_figures)
        print("wrote " + ", ".join(str(p.relative_to(Path(a.out))) for p in files))
        return 0

    from experiments.report import headline_point, headline_table, write_report
    from experiments.results import load_results
    from experiments.stats import confidence_label

    res = load_results(a.out)
    if res.ok.empty:
        first = f"; first error: {res.failed['error'].iloc[0]}" if len(res.failed) else ""
        print(
            f"error: {a.out} has no successful run to report on ({len(res.failed)} failed"
            f"{first}); see `status {a.out}`",
            file=sys.stderr,
        )
        return 1
    files = write_report(a.out, figures=not a.no_figures, results=res)
    comparison = pd.read_csv(files["comparison.csv"], low_memory=False)
    head = list(res.spec.analysis.headline)
    conf = res.spec.analysis.confidence
    print(
        f"{res.spec.name}: {len(res.ok)} runs; paired differences vs "
        f"{res.spec.analysis.baseline} ({confidence_label(conf)} CI)"
    )
    print(headline_table(comparison, head, headline_point(res), markdown=False, confidence=conf))
    print("\nwrote " + ", ".join(str(p.relative_to(Path(a.out))) for p in files.values()))
    return 0


def cmd_params(a: argparse.Namespace) -> int:
    """Every key a spec accepts in fixed, factors, points and design.ranges (from the schema)."""
    from experiments.points import KEYS, RESERVED, STRATEGY_PREFIX
    from model import schema

    print(schema.help(KEYS))
    print()
    print(f"{STRATEGY_PREFIX}<switch> keys apply to the arms that sweep (every arm but one_way).")
    for key, why in RESERVED.items():
        print(f"{key} is not set here: {why}.")
    return 0


class UsageError(ValueError):
    """A command-line option that cannot work (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the problem and where to find help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {v}")
    return v


def _run_args(p: argparse.ArgumentParser) -> None:
    """The options of ``run`` (output folder, executor, resume, flushing), shared by ``explain``."""
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--executor", choices=("serial", "process", "dask"), default="serial")
    p.add_argument("--workers", type=_positive_int, help="worker processes (default: cores)")
    p.add_argument(
        "--address", help="Dask scheduler address, e.g. tcp://host:8786 (implies --executor dask)"
    )
    p.add_argument("--resume", action="store_true", help="skip runs already recorded in OUT")
    p.add_argument("--overwrite", action="store_true", help="delete earlier results in OUT first")
    p.add_argument(
        "--retry-failed", action="store_true", help="with --resume, run failed runs again"
    )
    p.add_argument(
        "--flush-every",
        type=_positive_int,
        default=64,
        help="write a part file every N runs (default 64) ...",
    )
    p.add_argument(
        "--flush-seconds", type=float, default=10.0, help="... or every S seconds (default 10)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if any run failed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    ap = _Parser(prog="python -m experiments", description="Batch experiments for Opinion Ecology.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="count the runs and estimate the time from a short pilot")
    _spec_args(p)
    p.add_argument(
        "--pilot-steps", type=int, default=24, help="steps per arm in the pilot (0: no pilot)"
    )
    p.add_argument(
        "--workers", type=_positive_int, help="workers for the parallel estimate (default: cores)"
    )
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("run", help="run or resume an experiment")
    _spec_args(p)
    _run_args(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "explain", help="attribute each arm's difference to its switches and mechanisms"
    )
    _spec_args(p)
    _run_args(p)
    p.add_argument(
        "--arm", action="append", help="an arm to explain (repeatable; default: all but baseline)"
    )
    p.add_argument("--no-figures", action="store_true", help="tables and report.md only")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "optimize", help="search the focal outlet's levers for the Pareto front (NSGA-II/III)"
    )
    _spec_args(p)
    _run_args(p)
    p.add_argument("--no-figures", action="store_true", help="tables and report.md only")
    p.set_defaults(func=cmd_optimize)

    from experiments.calibrate import add_parser as add_calibrate

    add_calibrate(sub, _positive_int)

    p = sub.add_parser(
        "status",
        help="progress of an output directory: runs done, recent rate, estimated end, failures",
    )
    p.add_argument("out", type=Path)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("report", help="statistics, figures and report.md of an output directory")
    p.add_argument("out", type=Path)
    p.add_argument("--no-figures", action="store_true", help="tables and report.md only")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("params", help="list every key a spec can set")
    p.set_defaults(func=cmd_params)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code.

    2 for a usage error (a bad option, spec or output directory), 1 for a failure while
    working (a result file that cannot be written, an unreachable scheduler, nothing to
    report), 130 when interrupted.
    """
    from experiments.executors import ExecutorError
    from experiments.store import StoreError, StoreWriteError

    ap = build_parser()
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:  # argparse printed the usage and the problem
        return e.code if isinstance(e.code, int) else 2
    try:
        return a.func(a)
    except (StoreWriteError, ExecutorError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (SpecError, StoreError, UsageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted; finished runs are saved: continue with --resume", file=sys.stderr)
        return 130
