"""The checks of a spec's tables: the one-value keys (declared as :mod:`model.schema` fields),
parameter keys and values, ``[arms]`` and ``[analysis]``; each error names the key, the file and
line, and what is allowed (:class:`Ctx`). The design tables are checked in
:mod:`experiments.spec_design`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from experiments import limits
from experiments.locate import locate
from experiments.points import (
    KEYS,
    RESERVED,
    STRATEGY_PREFIX,
    SWITCHES,
    YOUNG_SHARE,
    allowed_text,
    check_key_value,
    key_kind,
)
from experiments.spec_types import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_HEADLINE,
    DEFAULT_MODEL,
    DEFAULT_SETTLE_TOLERANCE,
    DEFAULT_SETTLE_WINDOW,
    Analysis,
    Arm,
    SpecError,
)
from model import STRATEGY_PRESETS, Params
from model.schema import Field, Interval, Schema, Text, check_names, did_you_mean, schema_of

#: The longest run the model accepts (``Params.steps``).
STEPS_HI = int(schema_of(Params).fields["steps"].constraint.high)

#: Top-level keys that hold tables (set by sections, not by ``--set KEY=VALUE``).
TABLE_KEYS = (
    "fixed",
    "factors",
    "points",
    "design",
    "levers",
    "uncertainties",
    "arms",
    "analysis",
    "explain",  # read by `explain` (experiments.explain.mechanisms_of); runs ignore it
    "optimize",  # read by `optimize` (experiments.optimize.optimize_table); runs ignore it
)
TOP_KEYS = (
    "name",
    "description",
    "model",
    "replicates",
    "root_seed",
    "steps",
    "burn_in",
    "measure_every",
    "metrics",
    "agent_metrics",
    "settle_tolerance",
    "settle_window",
    *TABLE_KEYS,
)
DESIGN_KEYS = ("kind", "n", "seed", "ranges", "levels")
ARM_KEYS = ("strategy", "sweep", *SWITCHES)
ANALYSIS_KEYS = (
    "baseline",
    "min_difference",
    "relative_min_difference",
    "bootstrap",
    "n_resamples",
    "confidence",
    "headline",
    "lower_is_better",
)

#: The keys that take one value, declared as ``model.Params`` declares its fields
#: (:mod:`model.schema`): the constraint is written once, and the message and the allowed
#: values of an error come from it.
TOP = Schema(
    "the spec",
    {
        "description": Field("", Text(), doc="What the experiment asks, in a sentence or two."),
        "model": Field(DEFAULT_MODEL, Text(), doc="The model class, 'module:Class'."),
        "replicates": Field(
            1,
            Interval(int, 1, limits.MAX_RUNS),
            doc="Replicates per arm and design point; replicate r has one seed everywhere.",
        ),
        "root_seed": Field(0, Interval(int, 0, 2**63 - 1), doc="The root of every seed."),
        # the run length is the model's own field, with the spec's default
        "steps": dataclasses.replace(schema_of(Params).fields["steps"], default=168),
        "burn_in": Field(
            0,
            Interval(int, 0, STEPS_HI),
            doc="Steps run once per design point and replicate with the baseline arm's "
            "parameters before every arm branches from it; 0 = no burn-in.",
            unit="steps",
        ),
        "measure_every": Field(
            0,
            Interval(int, 0, STEPS_HI),
            doc="Steps between time-series samples; 0 keeps the final measures only.",
            unit="steps",
        ),
        "settle_tolerance": Field(
            DEFAULT_SETTLE_TOLERANCE,
            Interval(float, 0, 1, closed="neither"),
            doc="Largest relative change over the last settle_window steps of a settled run.",
        ),
        "settle_window": Field(
            DEFAULT_SETTLE_WINDOW,
            Interval(int, 1, STEPS_HI),
            doc="Steps back from the end that the horizon check compares with.",
            unit="steps",
        ),
    },
)
#: The [design] keys that take one number.
DESIGN = Schema(
    "[design]",
    {
        "n": Field(2, Interval(int, 2, None), doc="Size of a sampled design's sample."),
        # SALib's samplers seed numpy's legacy generator, which takes 32 bits
        "seed": Field(0, Interval(int, 0, 2**32 - 1), doc="The sampler's seed."),
        "levels": Field(
            4,
            Interval(int, 2, limits.MAX_MORRIS_LEVELS),
            doc="Grid levels of a Morris design.",
        ),
    },
)
#: The [analysis] keys that take one number.
ANALYSIS = Schema(
    "[analysis]",
    {
        "relative_min_difference": Field(
            0.05,
            Interval(float, 0, 10, closed="right"),
            doc="Without analysis.min_difference, delta is this fraction of the larger mean.",
        ),
        "n_resamples": Field(
            2000, Interval(int, 100, limits.MAX_RESAMPLES), doc="Bootstrap resamples."
        ),
        "confidence": Field(
            0.95, Interval(float, 0.5, 1, closed="left"), doc="Level of every interval."
        ),
    },
)


def scalar(
    ctx: Ctx, table: dict, schema: Schema, key: str, path: tuple = (), default: Any = None
) -> Any:
    """``table[key]`` (or its default) checked against its declared field; errors carry the line."""
    f = schema.fields[key]
    value = table.get(key, f.default if default is None else default)
    try:
        return f.check(key, value)
    except (TypeError, ValueError) as e:
        raise ctx.error((*path, key), str(e), f.constraint.describe()) from None


class Ctx:
    """Error context: the file name and text, to put lines on messages."""

    def __init__(self, source: str | None, text: str | None) -> None:
        self.source, self.text = source, text

    def error(self, path: tuple[str | int, ...], message: str, allowed: str = "") -> SpecError:
        line = locate(self.text, path) if self.text else None
        key = ".".join(str(p) for p in path)
        return SpecError(message, key=key, file=self.source, line=line, allowed=allowed)

    def unknown(
        self, path: tuple[str | int, ...], name: str, valid: list[str] | tuple[str, ...], what: str
    ) -> SpecError:
        hint = did_you_mean(name, valid)
        return self.error(path, f"unknown key {name!r} in {what}{hint}", ", ".join(valid))


def check_value(ctx: Ctx, path: tuple, key: str, value: Any) -> Any:
    """Validate key (name) and value; errors carry the path's line."""
    if key in RESERVED:
        raise ctx.error(path, f"{key!r} cannot be set here: {RESERVED[key]}")
    try:
        check_names(KEYS, [key])
    except TypeError as e:
        msg = str(e).split(" (valid names:")[0]
        allowed = (
            "model.Params fields, strategy.<switch> for "
            + ", ".join(SWITCHES)
            + f", {YOUNG_SHARE}; `python -m experiments params` lists them"
        )
        raise ctx.error(path, msg, allowed) from None
    try:
        return check_key_value(key, value)
    except (ValueError, TypeError) as e:
        raise ctx.error(path, str(e), allowed_text(key)) from None


def values_table(ctx: Ctx, table: Any, path: tuple) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ctx.error(path, f"must be a table of key = value, got {table!r}")
    return {k: check_value(ctx, (*path, k), k, v) for k, v in table.items()}


def known(key: str) -> bool:
    try:
        key_kind(key)
    except KeyError:
        return False
    return True


def check_name(ctx: Ctx, path: tuple, key: str) -> None:
    if not known(key):
        check_value(ctx, path, key, None)


def arms_table(ctx: Ctx, raw_arms: Any) -> tuple[Arm, ...]:
    presets = ", ".join(STRATEGY_PRESETS)
    if raw_arms is None:
        raise ctx.error(
            ("arms",),
            "the spec needs arms: the strategies to compare",
            f"a list or table of presets: {presets}",
        )
    items: list[tuple[str, Any]]
    if isinstance(raw_arms, list):
        items = [(a, a) for a in raw_arms]
    elif isinstance(raw_arms, dict):
        items = list(raw_arms.items())
    else:
        raise ctx.error(
            ("arms",), f"arms must be a list of presets or a table, got {raw_arms!r}", presets
        )
    if not items:
        raise ctx.error(("arms",), "arms is empty", presets)
    arms: list[Arm] = []
    for name, body in items:
        path = ("arms", name) if isinstance(raw_arms, dict) else ("arms",)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise ctx.error(path, f"arm name {name!r} must be letters, digits, _ or -")
        short = isinstance(body, str)
        if short:
            body = {"strategy": body}
        if not isinstance(body, dict):
            raise ctx.error(path, f"an arm is a preset name or a table, got {body!r}", presets)
        for k in body:
            if k not in ARM_KEYS:
                raise ctx.unknown((*path, k), k, ARM_KEYS, f"arm {name!r}")
        preset = body.get("strategy", name)
        if preset not in STRATEGY_PRESETS:
            hint = did_you_mean(preset, STRATEGY_PRESETS, n=1, cutoff=0.4)
            where = path if short or "strategy" not in body else (*path, "strategy")
            raise ctx.error(where, f"unknown strategy {preset!r}{hint}", presets)
        switches = {}
        for k, v in body.items():
            if k in SWITCHES:
                switches[k] = check_value(ctx, (*path, k), STRATEGY_PREFIX + k, v)
        sweep = body.get("sweep", preset != "one_way")
        if not isinstance(sweep, bool):
            raise ctx.error((*path, "sweep"), f"sweep must be true or false, got {sweep!r}")
        arms.append(Arm(name=name, preset=preset, switches=switches, sweep=sweep))
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ctx.error(("arms",), f"arm names repeat: {names}")
    return tuple(arms)


def analysis_table(ctx: Ctx, a: Any, arms: tuple[Arm, ...], metrics: tuple[str, ...]) -> Analysis:
    if not isinstance(a, dict):
        raise ctx.error(("analysis",), f"analysis must be a table, got {a!r}")
    for k in a:
        if k not in ANALYSIS_KEYS:
            raise ctx.unknown(("analysis", k), k, ANALYSIS_KEYS, "[analysis]")
    names = [arm.name for arm in arms]
    baseline = a.get("baseline", "one_way" if "one_way" in names else names[0])
    if baseline not in names:
        raise ctx.error(
            ("analysis", "baseline"), f"baseline {baseline!r} is not an arm", ", ".join(names)
        )
    md = a.get("min_difference", {})
    if not isinstance(md, dict):
        raise ctx.error(
            ("analysis", "min_difference"), "min_difference must be a table measure = value"
        )
    for k, v in md.items():
        if k not in metrics:
            raise ctx.unknown(
                ("analysis", "min_difference", k), k, metrics, "analysis.min_difference"
            )
        if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
            raise ctx.error(
                ("analysis", "min_difference", k), f"must be a positive number, got {v!r}"
            )
    rel = scalar(ctx, a, ANALYSIS, "relative_min_difference", ("analysis",))
    boot = a.get("bootstrap", [b for b in DEFAULT_BOOTSTRAP if b in metrics])
    if boot == "all":
        boot = list(metrics)
    if not isinstance(boot, list):
        raise ctx.error(
            ("analysis", "bootstrap"),
            f'bootstrap must be "all" or a list of measures, got {boot!r}',
        )
    boot = [
        b
        for b in boot
        if b in metrics or _raise_unknown(ctx, ("analysis", "bootstrap"), b, metrics)
    ]
    n_res = scalar(ctx, a, ANALYSIS, "n_resamples", ("analysis",))
    conf = scalar(ctx, a, ANALYSIS, "confidence", ("analysis",))
    headline = a.get("headline", [h for h in DEFAULT_HEADLINE if h in metrics] or list(metrics[:6]))
    if not isinstance(headline, list) or not headline:
        raise ctx.error(
            ("analysis", "headline"),
            f"headline must be a non-empty list of measures, got {headline!r}",
        )
    for h in headline:
        if h not in metrics:
            _raise_unknown(ctx, ("analysis", "headline"), h, metrics)
    lower = a.get("lower_is_better", [])
    if not isinstance(lower, list) or not all(isinstance(m, str) for m in lower):
        raise ctx.error(
            ("analysis", "lower_is_better"),
            f"lower_is_better must be a list of measures, got {lower!r}",
        )
    for m in lower:
        if m not in metrics:
            _raise_unknown(ctx, ("analysis", "lower_is_better"), m, metrics)
    return Analysis(
        lower_is_better=tuple(lower),
        baseline=baseline,
        min_difference={k: float(v) for k, v in md.items()},
        relative_min_difference=float(rel),
        bootstrap=tuple(boot),
        n_resamples=n_res,
        confidence=conf,
        headline=tuple(headline),
    )


def _raise_unknown(ctx: Ctx, path: tuple, name: str, valid: tuple[str, ...]) -> bool:
    raise ctx.unknown(path, name, valid, ".".join(path) + " (measures kept by 'metrics')")
