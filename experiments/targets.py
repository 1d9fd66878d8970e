"""Calibration targets: the one loader of a calibration spec and the one simulator of its targets.

A calibration spec (TOML, e.g. ``experiments/specs/calibration.toml``) states what the model is
fitted to and with what freedom: the parameters held fixed, the priors of the parameters to
calibrate and the published figures (targets) the model must reproduce, each with the measure
that reproduces it, its value and uncertainty, the population it refers to and its source
(docs/evidence.md, section "Calibration targets")::

    name = "calibration"
    description = "..."
    steps = 336                # one step is one hour
    root_seed = 20261206

    [fixed]                    # Params overrides (and strategy.<switch> keys of the base run)
    n_users = 1000

    [priors]                   # Params fields or dotted rule parameters
    base_comment = { low = 0.0005, high = 0.1, scale = "log", source = "..." }

    [targets.weekly_commenters]
    measure = "weekly_commenters"          # a catalogue column, e.g. "reach[post00]"
    value = 0.135
    sd = 0.04
    interval = [0.08, 0.19]                # optional
    population = "online news users, 12 countries, 2015"
    source = "Newman, Levy & Nielsen 2015 ..."
    confidence = "medium"                  # high | medium | low
    held_out = false                       # true: validation, not fitted

    [targets.reply_incivility]             # an effect: a paired mini-experiment
    measure = "incivility_share"
    effect = "ratio"                       # treatment / control ("difference": treatment - control)
    control = { "strategy.reply_share" = 0.0 }
    treatment = { "strategy.reply_share" = 0.2 }
    ...

    [abc]                      # kept as a table for the calibration driver
    [screening]                # likewise

Prior and change keys are mapped to :class:`model.Params` by the experiment specs' own code
(:mod:`experiments.points`), so ``following.churn_prob`` and ``strategy.reply_share`` mean here
exactly what they mean in an experiment spec. The base run is the ``one_way`` preset with the
``strategy.<switch>`` keys of ``[fixed]`` and of the arm's changes.

The file is over 400 lines because it is the one place a calibration spec is read: the
dataclasses the other calibration modules import, a one-line check of every key, and the
simulator and distance that read the same dataclasses. Split, the checks and the simulator
would each need the other's internals (the run parameters built once at load time).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from experiments.points import RESERVED, numeric_bounds, plain_params, resolve_point
from experiments.spec import read_toml
from experiments.spec_tables import Ctx, check_name, check_value
from experiments.spec_types import Arm, SpecError
from model.measures import catalogue

__all__ = [
    "CalibrationSpec",
    "Prior",
    "SpecError",
    "Target",
    "distance",
    "load_calibration",
    "measure_columns",
    "parse_calibration",
    "run_params",
    "simulate",
]

TOP_KEYS = (
    "name",
    "description",
    "steps",
    "root_seed",
    "fixed",
    "priors",
    "targets",
    "abc",
    "screening",
)
PRIOR_KEYS = ("low", "high", "scale", "source")
TARGET_KEYS = (
    "measure",
    "value",
    "sd",
    "interval",
    "population",
    "source",
    "confidence",
    "held_out",
    "effect",
    "control",
    "treatment",
)
SCALES = ("linear", "log")
CONFIDENCES = ("high", "medium", "low")
EFFECTS = ("ratio", "difference")
#: The strategy preset of the base run; ``strategy.<switch>`` keys change it.
BASE_PRESET = "one_way"


@dataclass(frozen=True)
class Prior:
    """The prior of one calibrated parameter: uniform on [low, high] or on [log low, log high].

    Attributes:
        name: A Params field, a dotted rule parameter (``following.churn_prob``) or a
            ``strategy.<switch>``.
        low: Lower bound.
        high: Upper bound.
        scale: ``linear`` (uniform) or ``log`` (log-uniform; low > 0).
        source: Where the range comes from (a documented sweep range, a paper).
    """

    name: str
    low: float
    high: float
    scale: Literal["linear", "log"]
    source: str


@dataclass(frozen=True)
class Target:
    """One published figure and the model measure that reproduces it.

    Attributes:
        name: The target's key in ``[targets]``.
        measure: A catalogue column (``weekly_commenters`` or ``weekly_commenters[post00]``).
        value: The figure (for an effect: the ratio or difference).
        sd: Its uncertainty as a standard deviation, on the measure's scale; the distance
            divides by it, so weak data weighs little.
        interval: The published range, if any.
        population: Who the figure refers to (cohort, platform, country, year).
        source: The citation and what exactly it reports.
        confidence: ``high``, ``medium`` or ``low``.
        held_out: Validation only: reported, not fitted.
        effect: None for a plain target; ``ratio`` (treatment / control) or ``difference``
            (treatment - control) of a paired mini-experiment on the same seed.
        control: The control arm's changes to the base run (Params keys, ``strategy.<switch>``).
        treatment: The treatment arm's changes.
    """

    name: str
    measure: str
    value: float
    sd: float
    interval: tuple[float, float] | None
    population: str
    source: str
    confidence: Literal["high", "medium", "low"]
    held_out: bool
    effect: Literal["ratio", "difference"] | None
    control: dict[str, Any]
    treatment: dict[str, Any]


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec.

    Attributes:
        name: The spec's name.
        description: What it calibrates.
        path: The file it was loaded from.
        fixed: Params overrides held constant (``n_users`` among them) and ``strategy.<switch>``
            keys of the base run.
        steps: Run length in steps (hours).
        root_seed: Root of the calibration's seeds.
        priors: The calibrated parameters' priors.
        targets: Every target, fitted and held out.
        abc: The ``[abc]`` table as written (the calibration driver checks it).
        screening: The ``[screening]`` table as written.
    """

    name: str
    description: str
    path: Path
    fixed: dict[str, Any]
    steps: int
    root_seed: int
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    abc: dict[str, Any]
    screening: dict[str, Any]

    def fitted(self) -> tuple[Target, ...]:
        """The targets the distance is computed on (``held_out`` false)."""
        return tuple(t for t in self.targets if not t.held_out)

    def held_out(self) -> tuple[Target, ...]:
        """The validation targets (``held_out`` true)."""
        return tuple(t for t in self.targets if t.held_out)

    def parameter_names(self) -> tuple[str, ...]:
        """The priors' names, in file order."""
        return tuple(p.name for p in self.priors)


# ------------------------------------------------------------------------------------ loading
def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec.

    Args:
        path: The ``.toml`` file.

    Returns:
        The validated spec.

    Raises:
        SpecError: The file cannot be read, is not valid TOML, or a key is wrong; the one-line
            message names the file and line, the key, what is wrong and what is allowed.
    """
    path = Path(path)
    raw, text = read_toml(path, "calibration spec")
    return parse_calibration(raw, path, text)


def parse_calibration(
    raw: Mapping[str, Any], path: str | Path = "<dict>", text: str | None = None
) -> CalibrationSpec:
    """Validate a calibration spec given as a dict (the parsed TOML).

    Args:
        raw: The spec as nested dicts and lists.
        path: The file it came from (for messages and :attr:`CalibrationSpec.path`).
        text: The file's text (to put line numbers on messages).

    Raises:
        SpecError: As :func:`load_calibration`.
    """
    ctx = Ctx(str(path), text)
    for k in raw:
        if k not in TOP_KEYS:
            raise ctx.unknown((k,), k, TOP_KEYS, "the calibration spec")
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise ctx.error(
            ("name",), f"must be a non-empty string of letters, digits, _ . -; got {name!r}"
        )
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ctx.error(("description",), f"must be a string, got {description!r}")
    steps = _int(ctx, raw, "steps", low=1)
    root_seed = _int(ctx, raw, "root_seed", low=0)
    fixed = _changes(ctx, raw.get("fixed", {}), ("fixed",))
    priors = _priors(ctx, raw.get("priors"))
    targets = _targets(ctx, raw.get("targets"))
    tables = {}
    for key in ("abc", "screening"):
        table = raw.get(key, {})
        if not isinstance(table, dict):
            raise ctx.error((key,), f"must be a table, got {table!r}")
        tables[key] = dict(table)
    overlap = sorted(set(fixed) & {p.name for p in priors})
    if overlap:
        raise ctx.error(("fixed", overlap[0]), "is both fixed and calibrated", "remove it from one")
    spec = CalibrationSpec(
        name=name,
        description=description,
        path=Path(path),
        fixed=fixed,
        steps=steps,
        root_seed=root_seed,
        priors=priors,
        targets=targets,
        abc=tables["abc"],
        screening=tables["screening"],
    )
    if not spec.fitted():
        raise ctx.error(("targets",), "every target is held out", "at least one fitted target")
    # every run the spec can ask for is built once here, so that no bad combination reaches ABC
    for prior in priors:
        for value in (prior.low, prior.high):
            _check_run(ctx, spec, {prior.name: _coerce(prior.name, value)}, ("priors", prior.name))
    for t in targets:
        for arm in ("control", "treatment"):
            _check_run(ctx, spec, getattr(t, arm), ("targets", t.name, arm))
    return spec


def _int(ctx: Ctx, raw: Mapping[str, Any], key: str, low: int) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ctx.error((key,), f"must be an integer >= {low}, got {value!r}")
    return value


def _number(ctx: Ctx, path: tuple, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ctx.error(path, f"must be a finite number, got {value!r}")
    return float(value)


def _text(ctx: Ctx, table: Mapping[str, Any], path: tuple, key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ctx.error((*path, key), f"must be a non-empty string, got {value!r}")
    return value


def _changes(ctx: Ctx, table: Any, path: tuple) -> dict[str, Any]:
    """A table of Params / ``strategy.<switch>`` keys, each checked as experiment specs do."""
    if not isinstance(table, dict):
        raise ctx.error(path, f"must be a table of key = value, got {table!r}")
    return {k: check_value(ctx, (*path, k), k, v) for k, v in table.items()}


def _priors(ctx: Ctx, table: Any) -> tuple[Prior, ...]:
    if not isinstance(table, dict) or not table:
        raise ctx.error(
            ("priors",), "needs at least one prior", "NAME = { low, high, scale, source }"
        )
    priors = []
    for name, entry in table.items():
        path = ("priors", name)
        if name in RESERVED:
            raise ctx.error(path, f"cannot be calibrated: {RESERVED[name]}")
        check_name(ctx, path, name)
        if not isinstance(entry, dict):
            raise ctx.error(path, f"must be a table {{ {', '.join(PRIOR_KEYS)} }}, got {entry!r}")
        for k in entry:
            if k not in PRIOR_KEYS:
                raise ctx.unknown((*path, k), k, PRIOR_KEYS, f"prior {name!r}")
        low = _number(ctx, (*path, "low"), entry.get("low"))
        high = _number(ctx, (*path, "high"), entry.get("high"))
        if not low < high:
            raise ctx.error(path, f"low must be below high, got low={low:g}, high={high:g}")
        scale = entry.get("scale", "linear")
        if scale not in SCALES:
            raise ctx.error((*path, "scale"), f"unknown scale {scale!r}", ", ".join(SCALES))
        if scale == "log" and low <= 0:
            raise ctx.error((*path, "low"), f"a log-scale prior needs low > 0, got {low:g}")
        for value in (low, high):
            check_value(ctx, path, name, value)
        priors.append(Prior(name, low, high, scale, _text(ctx, entry, path, "source")))
    return tuple(priors)


def _targets(ctx: Ctx, table: Any) -> tuple[Target, ...]:
    if not isinstance(table, dict) or not table:
        raise ctx.error(("targets",), "needs at least one target", "[targets.NAME] tables")
    out = []
    for name, entry in table.items():
        path = ("targets", name)
        if not isinstance(entry, dict):
            raise ctx.error(path, f"must be a table, got {entry!r}", ", ".join(TARGET_KEYS))
        for k in entry:
            if k not in TARGET_KEYS:
                raise ctx.unknown((*path, k), k, TARGET_KEYS, f"target {name!r}")
        col = _text(ctx, entry, path, "measure")
        try:
            catalogue.parse_column(col)
        except catalogue.UnknownMeasureError as e:
            raise ctx.error((*path, "measure"), str(e).split(" (measures:")[0],
                            "a catalogue column: measure or measure[cohort]") from None  # fmt: skip
        value = _number(ctx, (*path, "value"), entry.get("value"))
        sd = _number(ctx, (*path, "sd"), entry.get("sd"))
        if sd <= 0:
            raise ctx.error((*path, "sd"), f"must be positive, got {sd:g}")
        interval = entry.get("interval")
        if interval is not None:
            if not isinstance(interval, list) or len(interval) != 2:
                raise ctx.error((*path, "interval"), f"must be [low, high], got {interval!r}")
            lo, hi = (_number(ctx, (*path, "interval"), v) for v in interval)
            if lo > hi:
                raise ctx.error((*path, "interval"), f"low {lo:g} is above high {hi:g}")
            interval = (lo, hi)
        confidence = entry.get("confidence")
        if confidence not in CONFIDENCES:
            raise ctx.error(
                (*path, "confidence"), f"unknown confidence {confidence!r}", ", ".join(CONFIDENCES)
            )
        held_out = entry.get("held_out", False)
        if not isinstance(held_out, bool):
            raise ctx.error((*path, "held_out"), f"must be true or false, got {held_out!r}")
        effect = entry.get("effect")
        if effect is not None and effect not in EFFECTS:
            raise ctx.error((*path, "effect"), f"unknown effect {effect!r}", ", ".join(EFFECTS))
        arms = {}
        for arm in ("control", "treatment"):
            if arm in entry and effect is None:
                raise ctx.error(
                    (*path, arm), "is only allowed with effect", "effect = ratio | difference"
                )
            arms[arm] = _changes(ctx, entry.get(arm, {}), (*path, arm))
        if effect is not None and arms["control"] == arms["treatment"]:
            raise ctx.error(
                (*path, "treatment"), "must differ from control", "a table of Params changes"
            )
        out.append(
            Target(
                name=name,
                measure=col,
                value=value,
                sd=sd,
                interval=interval,
                population=_text(ctx, entry, path, "population"),
                source=_text(ctx, entry, path, "source"),
                confidence=confidence,
                held_out=held_out,
                effect=effect,
                control=arms["control"],
                treatment=arms["treatment"],
            )
        )
    return tuple(out)


def _check_run(ctx: Ctx, spec: CalibrationSpec, changes: Mapping[str, Any], path: tuple) -> None:
    try:
        run_params(spec, changes)
    except (TypeError, ValueError) as e:
        raise ctx.error(path, f"gives invalid parameters: {e}") from None


# --------------------------------------------------------------------------------- simulating
def run_params(spec: CalibrationSpec, changes: Mapping[str, Any]) -> Any:
    """The :class:`model.Params` of one run: ``spec.fixed``, then ``changes`` (theta, an arm's
    changes), mapped exactly as experiment specs map their keys
    (:func:`experiments.points.resolve_point`) on the ``one_way`` preset."""
    return resolve_point(dict(spec.fixed), dict(changes), Arm("base", BASE_PRESET), spec.steps)


def measure_columns(model: Any, columns: tuple[str, ...]) -> dict[str, float]:
    """The values of catalogue ``columns`` (``name`` or ``name[cohort]``) on ``model``, each
    measure computed once."""
    out: dict[str, float] = {}
    by_measure: dict[str, list[str | None]] = {}
    for col in columns:
        name, cohort = catalogue.parse_column(col)
        by_measure.setdefault(name, []).append(cohort)
    for name, cohorts in by_measure.items():
        m = catalogue.measure(name)
        if any(c is None for c in cohorts):
            out[name] = float(m.compute(model))
        if any(c is not None for c in cohorts):
            per = m.compute(model, by="generation")
            for c in cohorts:
                if c is not None:
                    out[catalogue.column(name, c)] = float(per[c])
    return out


def _run(spec: CalibrationSpec, changes: Mapping[str, Any], seed: int, cols: tuple[str, ...]):
    from model import OpinionEcology

    model = OpinionEcology(run_params(spec, changes), seed=seed)
    # measures are read once at the end; no step needs the full snapshot
    model.collect_every = max(1, spec.steps)
    model.run(spec.steps)
    return measure_columns(model, cols)


def _coerce(key: str, value: float) -> float | int:
    """A sampled value as its key takes it: integer parameters are rounded."""
    bounds = numeric_bounds(key)
    return int(round(value)) if bounds is not None and bounds[2] else float(value)


def simulate(spec: CalibrationSpec, theta: Mapping[str, float], seed: int) -> dict[str, float]:
    """Every target's model value (fitted and held out) from one seed.

    The base run (``spec.fixed`` + ``theta``) gives the plain targets; an effect target runs
    its control and treatment arms (base + control, base + treatment) on the same seed and
    returns treatment / control (``ratio``) or treatment - control (``difference``). Runs with
    the same parameters (the base run and a control equal to it, two targets' shared arms)
    run once. A ratio whose control is 0 is NaN (as is any measure that
    cannot be computed, e.g. a share of no comments): :func:`distance` makes it infinite.

    Args:
        spec: The calibration spec.
        theta: Prior name -> value (every prior need not be given; the rest keep ``fixed`` or
            the Params defaults).
        seed: The run's seed, the same in every arm (common random numbers).

    Returns:
        Target name -> model value, in the spec's target order.
    """
    unknown = sorted(set(theta) - set(spec.parameter_names()))
    if unknown:
        raise KeyError(
            f"theta has {unknown[0]!r}, which is not a prior of {spec.name!r} "
            f"(priors: {', '.join(spec.parameter_names())})"
        )
    base = {k: _coerce(k, v) for k, v in theta.items()}
    # which columns each distinct run must report
    runs: dict[str, tuple[dict[str, Any], list[str]]] = {}

    def need(changes: Mapping[str, Any], col: str) -> str:
        full = {**base, **changes}
        # runs are identified by their parameters, so an arm equal to the base run (e.g. a
        # control that sets a switch to its preset value) runs once
        key = json.dumps(plain_params(run_params(spec, full)), sort_keys=True, default=str)
        runs.setdefault(key, (full, []))[1].append(col)
        return key

    plan: list[tuple[Target, str, str | None]] = []
    for t in spec.targets:
        if t.effect is None:
            plan.append((t, need({}, t.measure), None))
        else:
            plan.append((t, need(t.control, t.measure), need(t.treatment, t.measure)))
    values = {
        key: _run(spec, full, seed, tuple(dict.fromkeys(cols)))
        for key, (full, cols) in runs.items()
    }
    out: dict[str, float] = {}
    for t, first, second in plan:
        a = values[first][t.measure]
        if second is None:
            out[t.name] = a
            continue
        b = values[second][t.measure]
        if t.effect == "difference":
            out[t.name] = b - a
        else:
            out[t.name] = b / a if a != 0 else float("nan")
    return out


def distance(
    spec: CalibrationSpec, sim: Mapping[str, float], data: Mapping[str, float] | None = None
) -> float:
    """sqrt(sum over fitted targets of ((sim - value) / sd)^2).

    Each target's difference is scaled by its own uncertainty, so a weak figure (large sd)
    moves the fit little. A NaN simulated value gives an infinite distance (the particle is
    rejected) rather than a silently smaller sum.

    Args:
        spec: The calibration spec.
        sim: Target name -> model value (:func:`simulate`); held-out targets are ignored.
        data: Target name -> observed value, overriding the targets' values (synthetic data
            made by the model itself); targets it does not name keep their value.

    Raises:
        KeyError: ``sim`` lacks a fitted target.
    """
    total = 0.0
    for t in spec.fitted():
        if t.name not in sim:
            raise KeyError(f"sim has no value for fitted target {t.name!r}")
        observed = t.value if data is None else float(data.get(t.name, t.value))
        z = (float(sim[t.name]) - observed) / t.sd
        if not math.isfinite(z):
            return math.inf
        total += z * z
    return math.sqrt(total)
