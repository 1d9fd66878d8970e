"""Experiment specs: TOML files loaded into a frozen dataclass and validated before any run.

A spec declares what to vary and what to compare, in the spirit of NetLogo's BehaviorSpace
and the EMA Workbench's split between levers (the focal outlet's strategy, the ``arms``) and
uncertainties (population, network and behaviour parameters, the ``design``)::

    name = "interactive_vs_one_way"
    replicates = 20            # replicate r uses the same seed in every arm and design point
    root_seed = 20240611
    steps = 336                # one step is one hour
    measure_every = 6          # time-series sampling; 0 = final measures only
    metrics = "all"            # or ["reach", "trust", ...]; per-generation columns come along

    [fixed]                    # model.Params fields held constant
    n_users = 10000

    [factors]                  # full factorial (design.kind = "factorial", the default)
    acq_degree = [6, 10]

    [design]                   # or an LHS / Sobol sample over ranges
    kind = "lhs"
    n = 40
    [design.ranges]
    trust_shift = [-0.3, 0.3]
    "strategy.reply_share" = [0.0, 0.5]

    [arms]                     # strategies compared; the baseline is analysis.baseline
    one_way = "one_way"
    interactive = "interactive"
    [arms.slow_replies]
    strategy = "interactive"
    reply_share = 0.3

Levers over uncertainties, as the EMA Workbench crosses them: each lever setting runs over the
same scenario sample (and the same seeds)::

    [levers]                   # strategy switches: crossed, or [[levers]] tables as policies
    "strategy.reply_share" = [0.1, 0.3]

    [uncertainties]            # Params fields: [low, high] ranges or lists of choices
    trust_shift = [-0.3, 0.3]
    acq_degree = [6, 10, 14]

    [design]
    kind = "saltelli"          # lhs | sobol | saltelli | morris | factorial (choices only)
    n = 256

Levers reach the arms that sweep the strategy; uncertainties reach every arm, the one-way
baseline included. ``settle_tolerance`` (default 0.02) and ``settle_window`` (default 24
steps) set the horizon check: a run has settled on a measure when its relative change over
the last window is at most the tolerance.

Keys of ``fixed``, ``factors``, ``points`` and ``design.ranges`` are :class:`model.Params`
field names, plus two namespaces:

* ``strategy.<switch>`` sets a :class:`model.Strategy` switch (e.g. ``strategy.reply_share``,
  ``strategy.moderation_share``). It applies to the arms that *sweep* the strategy: by default
  every arm whose preset is not ``one_way``, so pure broadcast stays pure broadcast. An arm sets
  ``sweep = true`` or ``false`` to choose.
* ``mix.young_share`` sets the generation mix: the share of post-00s plus post-90s users, each
  group keeping its default internal proportions.

Every value is checked against declarations of :mod:`model.schema`: parameter keys through
the model's own (:data:`experiments.points.KEYS`), the spec's one-value keys (``replicates``,
``design.n``, ``analysis.confidence``, ...) through schemas declared the same way
(:mod:`experiments.spec_tables`). A wrong key, a value out of range or an unknown strategy
raises :class:`SpecError` naming the key, the file and line, and what is allowed, before a
single run starts.

This module loads a spec and checks it as a whole (strategy keys no arm takes, every run's
``Params``); the tables are checked in :mod:`experiments.spec_tables` and
:mod:`experiments.spec_design`, the data is :mod:`experiments.spec_types`, and
:func:`~experiments.locate.locate` finds a key's line. It is a little over the house's 400
lines because the format's description above is its documentation.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from experiments import limits
from experiments.locate import locate
from experiments.points import (
    SAMPLED_KINDS,
    STRATEGY_PREFIX,
    plain_params,
    resolve_point,
    scenario_points,
    unit_sample,
)
from experiments.spec_design import design_table
from experiments.spec_tables import (
    TOP,
    TOP_KEYS,
    Ctx,
    analysis_table,
    arms_table,
    scalar,
    values_table,
)
from experiments.spec_types import (
    AGENT_METRICS,
    ALL_METRICS,
    CASCADE_MEASURES,
    DEFAULT_BOOTSTRAP,
    DEFAULT_HEADLINE,
    DEFAULT_MODEL,
    DEFAULT_SETTLE_TOLERANCE,
    DEFAULT_SETTLE_WINDOW,
    DESIGN_KINDS,
    Analysis,
    Arm,
    Design,
    ExperimentSpec,
    SpecError,
    metric_names,
)

__all__ = [
    "AGENT_METRICS",
    "ALL_METRICS",
    "CASCADE_MEASURES",
    "DEFAULT_BOOTSTRAP",
    "DEFAULT_HEADLINE",
    "DEFAULT_MODEL",
    "DEFAULT_SETTLE_TOLERANCE",
    "DEFAULT_SETTLE_WINDOW",
    "DESIGN_KINDS",
    "Analysis",
    "Arm",
    "Design",
    "ExperimentSpec",
    "SpecError",
    "count_points",
    "load_spec",
    "locate",
    "metric_names",
    "parse_spec",
    "read_text",
    "resolved_runs",
]


def read_text(path: str | Path) -> str:
    """A spec file's text; a UTF-8 byte-order mark (as Windows editors write) is dropped.

    Raises:
        OSError: The file cannot be read.
        UnicodeDecodeError: It is not UTF-8.
    """
    return Path(path).read_text(encoding="utf-8-sig")


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> ExperimentSpec:
    """Read and validate a TOML spec.

    Args:
        path: The ``.toml`` file.
        overrides: Top-level keys or fixed parameters to change (as :meth:`ExperimentSpec.with_overrides`).

    Returns:
        The validated spec.

    Raises:
        SpecError: The file is not valid TOML or the spec cannot run; the message names the key,
            the file and line, and what is allowed.
    """
    path = Path(path)
    try:
        text = read_text(path)
    except OSError as e:
        raise SpecError(f"cannot read the spec: {e.strerror}", file=str(path)) from e
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        line = getattr(e, "lineno", None) or (int(m.group(1)) if m else None)
        raise SpecError(f"not valid TOML: {e}", file=str(path), line=line) from e
    spec = parse_spec(raw, source=str(path), text=text)
    return spec.with_overrides(overrides) if overrides else spec


def parse_spec(
    raw: dict[str, Any], source: str | None = None, text: str | None = None
) -> ExperimentSpec:
    """Validate a spec given as a dict (the parsed TOML) and build an :class:`ExperimentSpec`.

    Every run's parameters are built once here, so nothing invalid reaches a worker.

    Args:
        raw: The spec as nested dicts and lists.
        source: The file it came from (for messages).
        text: The file's text (to find lines for messages).

    Raises:
        SpecError: With the key, file, line and allowed values.
    """
    if text is None and source is not None and Path(source).is_file():
        text = read_text(source)
    ctx = Ctx(source, text)
    for k in raw:
        if k not in TOP_KEYS:
            raise ctx.unknown((k,), k, TOP_KEYS, "the spec")

    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name or ""):
        raise ctx.error(
            ("name",), f"name must be a non-empty string of letters, digits, _ . -; got {name!r}"
        )
    description = scalar(ctx, raw, TOP, "description")
    model_target = scalar(ctx, raw, TOP, "model")
    if not re.fullmatch(r"[\w.]+:\w+", model_target):
        raise ctx.error(
            ("model",),
            f"model={model_target!r} must be 'module:Class'",
            "e.g. 'model:OpinionEcology'",
        )
    replicates = scalar(ctx, raw, TOP, "replicates")
    root_seed = scalar(ctx, raw, TOP, "root_seed")
    steps = scalar(ctx, raw, TOP, "steps")
    measure_every = scalar(ctx, raw, TOP, "measure_every")

    metrics = raw.get("metrics", "all")
    if metrics == "all":
        metrics = ALL_METRICS
    elif isinstance(metrics, list) and metrics and all(isinstance(m, str) for m in metrics):
        for i, m in enumerate(metrics):
            if m not in ALL_METRICS:
                raise ctx.unknown(("metrics",), m, ALL_METRICS, f"metrics (entry {i})")
        metrics = tuple(dict.fromkeys(metrics))
    else:
        raise ctx.error(
            ("metrics",),
            f'metrics must be "all" or a non-empty list of names, got {metrics!r}',
            ", ".join(ALL_METRICS),
        )
    agent_metrics = raw.get("agent_metrics", [])
    if not isinstance(agent_metrics, list) or not all(isinstance(m, str) for m in agent_metrics):
        raise ctx.error(
            ("agent_metrics",),
            f"agent_metrics must be a list of names, got {agent_metrics!r}",
            ", ".join(AGENT_METRICS),
        )
    for m in agent_metrics:
        if m not in AGENT_METRICS:
            raise ctx.unknown(("agent_metrics",), m, AGENT_METRICS, "agent_metrics")

    settle_tolerance = scalar(ctx, raw, TOP, "settle_tolerance")
    settle_window = scalar(ctx, raw, TOP, "settle_window")
    if "settle_window" in raw and settle_window > steps:
        # the check would compare with step 0 and call every comparison unsettled
        raise ctx.error(
            ("settle_window",),
            f"settle_window={settle_window} is longer than the run (steps={steps}): the horizon "
            "check compares the last settle_window steps of a run",
            f"a whole number in [1, {steps}]",
        )

    fixed = values_table(ctx, raw.get("fixed", {}), ("fixed",))
    design = design_table(ctx, raw, fixed)
    arms = arms_table(ctx, raw.get("arms"))
    analysis = analysis_table(ctx, raw.get("analysis", {}), arms, metrics)

    spec = ExperimentSpec(
        name=name,
        description=description,
        model=model_target,
        replicates=replicates,
        root_seed=root_seed,
        steps=steps,
        measure_every=measure_every,
        metrics=tuple(metrics),
        agent_metrics=tuple(dict.fromkeys(agent_metrics)),
        settle_tolerance=float(settle_tolerance),
        settle_window=settle_window,
        fixed=fixed,
        design=design,
        arms=arms,
        analysis=analysis,
        source=source,
        raw=json.loads(json.dumps(raw, default=str)),
    )
    _check_sweep(ctx, spec)
    _check_runs(ctx, spec)
    return spec


def _check_sweep(ctx: Ctx, spec: ExperimentSpec) -> None:
    """Refuse strategy switches in the design that no arm takes: they would multiply the runs
    (every lever setting or level runs again) without changing any of them."""
    if any(a.sweep for a in spec.arms):
        return
    varied = [k for k in spec.design.keys if k.startswith(STRATEGY_PREFIX)]
    if not varied:
        return
    k = varied[0]
    if k in spec.design.lever_keys:
        path: tuple = ("levers",)
    elif spec.design.kind == "factorial":
        path = ("uncertainties", k) if "uncertainties" in spec.raw else ("factors", k)
    elif spec.design.kind == "list":
        path = ("points",)
    else:
        path = ("design", "ranges", k)
    arms = "; ".join(
        f"{a.name}: " + ("sweep = false" if a.preset != "one_way" else "preset one_way")
        for a in spec.arms
    )
    raise ctx.error(
        path,
        f"the design varies {k}, but no arm sweeps the strategy ({arms}), so every setting "
        "would run the same runs again; give an arm sweep = true or remove the strategy key",
    )


def _check_runs(ctx: Ctx, spec: ExperimentSpec) -> None:
    """Build every run's Params once, so cross-field errors surface before any run.

    The design's size is checked first (:mod:`experiments.limits`), before anything is built.
    """
    problem = limits.size_problem(spec.design, len(spec.arms), spec.replicates)
    if problem is not None:
        message, key = problem
        path = tuple(key.split("."))
        if key == "design":  # a crossed or listed design: the table that lists it
            table = next((k for k in ("uncertainties", "factors", "points") if k in spec.raw), key)
            path = (table,)
        raise ctx.error(path, message)
    points, unit = _design_points(spec.design)
    params: dict[tuple[int, str], dict[str, Any]] = {}
    bar = _progress(len(points) * len(spec.arms))
    for i, point in enumerate(points):
        if bar is not None:
            bar.update(len(spec.arms))
        for arm in spec.arms:
            try:
                params[(i, arm.name)] = plain_params(
                    resolve_point(spec.fixed, point, arm, spec.steps)
                )
            except (ValueError, TypeError) as e:
                where = _blame(spec, i, point, str(e))
                desc = ", ".join(f"{k}={v!r}" for k, v in point.items())
                raise ctx.error(
                    where, f"design point {i} ({desc or 'no factors'}), arm {arm.name!r}: {e}"
                ) from None

    if bar is not None:
        bar.close()
    # kept for the plan (experiments.plan.make_plan): validating built every run's Params
    object.__setattr__(spec, "_resolved", (points, unit, params))


#: (point, arm) pairs from which validating a spec shows its progress (about 0.6 ms a pair).
PROGRESS_FROM = 20_000


def _progress(total: int) -> Any:
    """A progress bar on stderr for a design whose validation takes a while, else None."""
    if total < PROGRESS_FROM:
        return None
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc="checking the parameters of every design point and arm", unit="run"
    )


def _design_points(design: Design) -> tuple[list[dict[str, Any]], Any]:
    """The design points and, for a sampled design, the unit sample they came from (drawn once)."""
    unit = unit_sample(design) if design.kind in SAMPLED_KINDS else None
    scenarios = scenario_points(design, unit)
    points = [{**lever, **s} for lever in (design.levers or ({},)) for s in scenarios]
    return points, unit


def resolved_runs(
    spec: ExperimentSpec,
) -> tuple[list[dict[str, Any]], Any, dict[tuple[int, str], dict[str, Any]]]:
    """(design points, unit sample or None, plain Params per (point, arm)) of a spec.

    :func:`parse_spec` builds them once to validate the spec and keeps them; a spec made
    otherwise (e.g. with ``dataclasses.replace``) has them built here.
    """
    cached = getattr(spec, "_resolved", None)
    if cached is not None:
        return cached
    points, unit = _design_points(spec.design)
    params = {
        (i, arm.name): plain_params(resolve_point(spec.fixed, point, arm, spec.steps))
        for i, point in enumerate(points)
        for arm in spec.arms
    }
    object.__setattr__(spec, "_resolved", (points, unit, params))
    return points, unit, params


def _blame(spec: ExperimentSpec, i: int, point: dict[str, Any], message: str) -> tuple:
    """The spec path most likely at fault for a cross-field error: a key the message names."""
    named = [k for k in point if re.search(rf"\b{re.escape(k)}\b", message)]
    if named:
        k = named[0]
        kind = spec.design.kind
        if k in spec.design.lever_keys:
            return ("levers", k)
        if "uncertainties" in spec.raw:
            return ("uncertainties", k)
        if kind == "factorial":
            return ("factors", k)
        if kind == "list":
            return ("points", i, k)
        return ("design", "ranges", k)
    fixed = [k for k in spec.fixed if re.search(rf"\b{re.escape(k)}\b", message)]
    if fixed:
        return ("fixed", fixed[0])
    return ("points", i) if spec.design.kind == "list" else ("fixed",)


def count_points(spec: ExperimentSpec) -> int:
    """Number of design points (counted, not built)."""
    return limits.count_points(spec.design)
