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

Every value is checked against the model's own declarations (:mod:`model.schema`, through
:data:`experiments.points.KEYS`); a wrong key, a value out of range or
an unknown strategy raises :class:`SpecError` naming the key, the file and line, and what is
allowed, before a single run starts.

This file is longer than the house's 400 lines: it is the whole validator of the spec format
(each table's checks with their messages, and :func:`locate`, which finds a key's line in the
TOML text). The keys and values themselves are checked by :mod:`experiments.points` through
the model's schema; nothing here repeats a range.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments import limits
from experiments.points import (
    KEYS,
    RESERVED,
    SAMPLED_KINDS,
    STRATEGY_PREFIX,
    SWITCHES,
    YOUNG_SHARE,
    allowed_text,
    check_key_value,
    key_kind,
    numeric_bounds,
    plain_params,
    resolve_point,
    scenario_points,
    unit_sample,
)
from model import STRATEGY_PRESETS, Params, Strategy
from model.measures import catalogue
from model.schema import check_names, did_you_mean

#: Measures kept at the end of a run only (cascade summaries and run totals), from the catalogue.
CASCADE_MEASURES = catalogue.names(when="final", experiment=True)
#: Every metric a spec may name: step measures (overall and per generation) and cascade summaries.
ALL_METRICS = catalogue.names(experiment=True)
#: Agent-level attributes that ``agent_metrics`` may ask for (recorded at the end of each run).
AGENT_METRICS = (
    "generation",
    "opinion",
    "trust",
    "belonging",
    "valence",
    "arousal",
    "follows",
    "reached",
    "replies",
)
DESIGN_KINDS = ("factorial", "list", "lhs", "sobol", "saltelli", "morris")
#: Default tolerance of the horizon check: relative change over the last ``settle_window`` steps.
DEFAULT_SETTLE_TOLERANCE = 0.02
#: Default window of the horizon check: one simulated day of hourly steps.
DEFAULT_SETTLE_WINDOW = 24
#: Measures given a BCa bootstrap CI by default: skewed, heavy-tailed summaries.
DEFAULT_BOOTSTRAP = (
    "cascade_mean_size",
    "cascade_max_size",
    "cascade_mean_depth",
    "structural_virality",
    "replies",
)
DEFAULT_HEADLINE = ("reach", "secondary_share", "engagement", "trust", "retention", "belonging")
DEFAULT_MODEL = "model:OpinionEcology"

#: Top-level keys that hold tables (set by sections, not by ``--set KEY=VALUE``).
_TABLE_KEYS = (
    "fixed",
    "factors",
    "points",
    "design",
    "levers",
    "uncertainties",
    "arms",
    "analysis",
)
_TOP_KEYS = (
    "name",
    "description",
    "model",
    "replicates",
    "root_seed",
    "steps",
    "measure_every",
    "metrics",
    "agent_metrics",
    "settle_tolerance",
    "settle_window",
    *_TABLE_KEYS,
)
_DESIGN_KEYS = ("kind", "n", "seed", "ranges", "levels")
_ARM_KEYS = ("strategy", "sweep", *SWITCHES)
_ANALYSIS_KEYS = (
    "baseline",
    "min_difference",
    "relative_min_difference",
    "bootstrap",
    "n_resamples",
    "confidence",
    "headline",
    "lower_is_better",
)


class SpecError(ValueError):
    """A spec that cannot run: names the key, the file and line where known, and what is allowed.

    Attributes:
        key: The dotted key path, e.g. ``factors.trust_shift``.
        file: The spec file, or None for a spec built from a dict.
        line: The 1-based line of the key in the file, or None when it cannot be found.
        allowed: What would be accepted, as text.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        file: str | None = None,
        line: int | None = None,
        allowed: str = "",
    ) -> None:
        self.key, self.file, self.line, self.allowed, self.reason = (
            key,
            file,
            line,
            allowed,
            message,
        )
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        what = f"{key}: " if key else ""
        said = allowed in message or "allowed" in message or "choose one of" in message
        tail = f" (allowed: {allowed})" if allowed and not said else ""
        super().__init__(f"{where}{what}{message}{tail}")


# ---------------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class Arm:
    """One strategy compared in the experiment.

    Attributes:
        name: The arm's label in tables and plots.
        preset: The strategy preset it starts from.
        switches: Switches changed from the preset.
        sweep: Whether ``strategy.<switch>`` keys of ``fixed`` and the design apply to this arm.
    """

    name: str
    preset: str
    switches: dict[str, Any] = field(default_factory=dict)
    sweep: bool = True

    def strategy(self, overrides: dict[str, Any] | None = None) -> Strategy:
        """The arm's strategy with the arm's own switches and, if it sweeps, ``overrides``."""
        s = Strategy.preset(self.preset).replace(name=self.name, **self.switches)
        if self.sweep and overrides:
            s = s.replace(**overrides)
        return s


@dataclass(frozen=True)
class Design:
    """How design points are generated.

    Attributes:
        kind: ``factorial``, ``list``, ``lhs`` or ``sobol``.
        factors: For ``factorial``: key -> levels (crossed).
        points: For ``list``: the points, each a dict key -> value.
        ranges: For ``lhs``/``sobol``: key -> (low, high).
        n: For ``lhs``/``sobol``: the number of points.
        seed: For ``lhs``/``sobol``: the sampler's seed.
        choices: For sampled kinds: key -> the choices a unit draw picks from (``[uncertainties]``).
        levels: For ``morris``: the number of grid levels.
        levers: Lever settings (``[levers]``), each a dict ``strategy.<switch>`` -> value; every
            setting is crossed with the same scenarios. Empty: one setting, no levers.
    """

    kind: str = "factorial"
    factors: dict[str, tuple] = field(default_factory=dict)
    points: tuple[dict[str, Any], ...] = ()
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    n: int = 0
    seed: int = 0
    choices: dict[str, tuple] = field(default_factory=dict)
    levels: int = 4
    levers: tuple[dict[str, Any], ...] = ()

    @property
    def lever_keys(self) -> tuple[str, ...]:
        """The lever keys (``strategy.<switch>``) that vary between lever settings."""
        return tuple(dict.fromkeys(k for p in self.levers for k in p))

    @property
    def uncertainty_keys(self) -> tuple[str, ...]:
        """The keys that vary between scenarios (everything but the levers)."""
        if self.kind == "factorial":
            return tuple(self.factors)
        if self.kind == "list":
            return tuple(dict.fromkeys(k for p in self.points for k in p))
        return (*self.ranges, *self.choices)

    @property
    def keys(self) -> tuple[str, ...]:
        """The factor keys that vary between points: levers, then uncertainties."""
        return (*self.lever_keys, *self.uncertainty_keys)


@dataclass(frozen=True)
class Analysis:
    """How the report compares arms.

    Attributes:
        baseline: The arm every other arm is paired against.
        min_difference: Smallest difference that matters, per measure (base name).
        relative_min_difference: Otherwise, this fraction of the baseline's mean.
        bootstrap: Measures (base names) that also get a BCa bootstrap CI.
        n_resamples: Bootstrap resamples.
        confidence: Confidence level of every interval.
        headline: Measures shown in the report's headline table and figures.
        lower_is_better: Measures where the baseline "wins" with a higher value (scenario
            discovery flips their sign so that a positive difference always favours the arm).
    """

    baseline: str
    min_difference: dict[str, float] = field(default_factory=dict)
    relative_min_difference: float = 0.05
    bootstrap: tuple[str, ...] = DEFAULT_BOOTSTRAP
    n_resamples: int = 2000
    confidence: float = 0.95
    headline: tuple[str, ...] = DEFAULT_HEADLINE
    lower_is_better: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment: design points x arms x replicates.

    Build with :func:`load_spec` (from TOML) or :func:`parse_spec` (from a dict); both validate.
    """

    name: str
    arms: tuple[Arm, ...]
    analysis: Analysis
    description: str = ""
    model: str = DEFAULT_MODEL
    replicates: int = 1
    root_seed: int = 0
    steps: int = 168
    measure_every: int = 0
    metrics: tuple[str, ...] = ALL_METRICS
    agent_metrics: tuple[str, ...] = ()
    settle_tolerance: float = DEFAULT_SETTLE_TOLERANCE
    settle_window: int = DEFAULT_SETTLE_WINDOW
    fixed: dict[str, Any] = field(default_factory=dict)
    design: Design = field(default_factory=Design)
    source: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def arm_names(self) -> tuple[str, ...]:
        """Arm names in spec order."""
        return tuple(a.name for a in self.arms)

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec as plain JSON-able data (what the manifest stores)."""
        d = dataclasses.asdict(self)
        d.pop("raw")
        d.pop("source")
        return json.loads(json.dumps(d, default=_jsonable))

    def runs_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without what does not change the runs (description, analysis)."""
        d = self.to_dict()
        d.pop("description")
        d.pop("analysis")
        return d

    def fingerprint(self) -> str:
        """Canonical JSON of :meth:`runs_dict`: equal for two specs that run the same runs, so a
        resume may change the description or the [analysis] table but nothing else."""
        return json.dumps(self.runs_dict(), sort_keys=True)

    def with_overrides(self, overrides: dict[str, Any]) -> ExperimentSpec:
        """A re-validated copy with keys changed: how ``--set`` and ``--replicates`` work.

        ``replicates``, ``steps`` and the other top-level keys set themselves, ``design.n`` or
        ``analysis.headline`` set a key of that table, and any other key is a fixed parameter.
        """
        raw = json.loads(json.dumps(self.raw))
        for key, value in overrides.items():
            head, _, rest = key.partition(".")
            if head in ("design", "analysis") and rest:
                raw.setdefault(head, {})[rest] = value
            elif key in _TOP_KEYS and key not in _TABLE_KEYS:
                raw[key] = value
            else:
                raw.setdefault("fixed", {})[key] = value
        return parse_spec(raw, source=self.source)


def _jsonable(o: Any) -> Any:
    if isinstance(o, tuple | set):
        return list(o)
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON-able: {o!r}")


# ---------------------------------------------------------------------------------- locating keys
_KEY_PART = r'(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_KEY_RE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_HEADER_RE = re.compile(rf"^\s*(\[\[?)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\]?")


def _split_key(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(_KEY_PART, key)]


def locate(text: str, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line where the key ``path`` is set in TOML ``text``.

    ``tomllib`` reports no positions for values, so this scans the text: table headers
    (``[a.b]``, ``[[a]]`` with an index per repetition), ``key = value`` lines, dotted and quoted
    keys, and keys inside inline tables. Falls back to the line of the closest enclosing table.

    Args:
        text: The TOML source.
        path: Table names, array-of-table indices and the key, e.g. ``("design", "ranges", "n")``.

    Returns:
        The line number, or None when neither the key nor an enclosing table is found.
    """
    target = [str(p) for p in path]
    current: list[str] = []
    counts: dict[tuple[str, ...], int] = {}
    best: tuple[int, int] | None = None  # (matched depth, line)

    def consider(depth: int, line: int) -> None:
        nonlocal best
        if best is None or depth > best[0]:
            best = (depth, line)

    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.split("#", 1)[0] if '"' not in line and "'" not in line else line
        h = _HEADER_RE.match(stripped)
        if h:
            parts = _split_key(h.group(2))
            if h.group(1) == "[[":
                idx = counts.get(tuple(parts), -1) + 1
                counts[tuple(parts)] = idx
                parts = [*parts, str(idx)]
            current = parts
            depth = _common(current, target)
            if depth == len(current):
                consider(depth, lineno)
            continue
        k = _KEY_RE.match(stripped)
        if not k:
            continue
        full = current + _split_key(k.group(1))
        depth = _common(full, target)
        if depth == len(target) and len(full) == len(target):
            return lineno
        if depth == len(full) and depth < len(target):
            # an inline table or array of tables on this line may hold the rest of the path
            rest = target[depth:]
            if all(
                re.search(rf"(?<![\w.]){re.escape(r)}(?![\w])", line)
                for r in rest
                if not r.isdigit()
            ):
                consider(len(target) - 0.5, lineno)  # type: ignore[arg-type]
            else:
                consider(depth, lineno)
    return best[1] if best else None


def _common(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def metric_names(metrics: tuple[str, ...], step_only: bool = False) -> list[str]:
    """Column names of ``metrics``: step measures with their per-generation columns, then cascades."""
    return catalogue.columns(metrics, step_only=step_only)


# ---------------------------------------------------------------------------------- parsing
class _Ctx:
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
    ctx = _Ctx(source, text)
    for k in raw:
        if k not in _TOP_KEYS:
            raise ctx.unknown((k,), k, _TOP_KEYS, "the spec")

    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name or ""):
        raise ctx.error(
            ("name",), f"name must be a non-empty string of letters, digits, _ . -; got {name!r}"
        )
    description = _typed(ctx, raw, "description", str, "")
    model_target = _typed(ctx, raw, "model", str, DEFAULT_MODEL)
    if not re.fullmatch(r"[\w.]+:\w+", model_target):
        raise ctx.error(
            ("model",),
            f"model={model_target!r} must be 'module:Class'",
            "e.g. 'model:OpinionEcology'",
        )
    replicates = _int(ctx, raw, "replicates", 1, lo=1)
    root_seed = _int(ctx, raw, "root_seed", 0, lo=0, hi=2**63 - 1)
    steps = _int(ctx, raw, "steps", 168, lo=1, hi=int(Params.spec()["steps"]["hi"]))
    measure_every = _int(ctx, raw, "measure_every", 0, lo=0)

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

    settle_tolerance = raw.get("settle_tolerance", DEFAULT_SETTLE_TOLERANCE)
    if (
        isinstance(settle_tolerance, bool)
        or not isinstance(settle_tolerance, int | float)
        or not 0 < settle_tolerance < 1
    ):
        raise ctx.error(
            ("settle_tolerance",),
            f"settle_tolerance must be a number in (0, 1), got {settle_tolerance!r}",
        )
    settle_window = _int(ctx, raw, "settle_window", DEFAULT_SETTLE_WINDOW, lo=1)
    if "settle_window" in raw and settle_window > steps:
        # the check would compare with step 0 and call every comparison unsettled
        raise ctx.error(
            ("settle_window",),
            f"settle_window={settle_window} is longer than the run (steps={steps}): the horizon "
            "check compares the last settle_window steps of a run",
            f"a whole number in [1, {steps}]",
        )

    fixed = _values_table(ctx, raw.get("fixed", {}), ("fixed",))
    design = _design(ctx, raw, fixed)
    arms = _arms(ctx, raw.get("arms"))
    analysis = _analysis(ctx, raw.get("analysis", {}), arms, metrics)

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


def _check_sweep(ctx: _Ctx, spec: ExperimentSpec) -> None:
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


def _typed(ctx: _Ctx, raw: dict, key: str, kind: type, default: Any) -> Any:
    v = raw.get(key, default)
    if not isinstance(v, kind):
        raise ctx.error((key,), f"{key} must be a {kind.__name__}, got {v!r}")
    return v


def _int(
    ctx: _Ctx, raw: dict, key: str, default: int, lo: int, hi: int | None = None, path: tuple = ()
) -> int:
    v = raw.get(key, default)
    allowed = f"a whole number >= {lo}" if hi is None else f"a whole number in [{lo}, {hi}]"
    if isinstance(v, bool) or not isinstance(v, int):
        raise ctx.error((*path, key), f"{key} must be a whole number, got {v!r}", allowed)
    if v < lo or (hi is not None and v > hi):
        raise ctx.error((*path, key), f"{key}={v} is out of range", allowed)
    return v


def _check(ctx: _Ctx, path: tuple, key: str, value: Any) -> Any:
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


def _values_table(ctx: _Ctx, table: Any, path: tuple) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ctx.error(path, f"must be a table of key = value, got {table!r}")
    return {k: _check(ctx, (*path, k), k, v) for k, v in table.items()}


def _design(ctx: _Ctx, raw: dict, fixed: dict[str, Any]) -> Design:
    d = raw.get("design", {})
    if not isinstance(d, dict):
        raise ctx.error(("design",), f"design must be a table, got {d!r}")
    for k in d:
        if k not in _DESIGN_KEYS:
            raise ctx.unknown(("design", k), k, _DESIGN_KEYS, "[design]")
    factors_raw, points_raw = raw.get("factors"), raw.get("points")
    unc_raw = raw.get("uncertainties")
    default_kind = "list" if points_raw is not None else "factorial"
    if unc_raw is not None:
        default_kind = "lhs" if _has_ranges(unc_raw) else "factorial"
    kind = d.get("kind", default_kind)
    if kind not in DESIGN_KINDS:
        raise ctx.error(
            ("design", "kind"), f"unknown design kind {kind!r}", ", ".join(DESIGN_KINDS)
        )

    def forbid(present: bool, what: str, path: tuple) -> None:
        if present:
            raise ctx.error(path, f"{what} cannot be used with design kind {kind!r}")

    if isinstance(unc_raw, dict):  # a misplaced lever is the first thing to say
        for k in unc_raw:
            if k.startswith(STRATEGY_PREFIX):
                raise ctx.error(
                    ("uncertainties", k),
                    f"{k} is a strategy switch: the outlet chooses it, so put it in [levers]",
                )
    if unc_raw is not None:
        for present, what, path in (
            (factors_raw is not None, "[factors]", ("factors",)),
            (points_raw is not None, "[[points]]", ("points",)),
            ("ranges" in d, "design.ranges", ("design", "ranges")),
        ):
            if present:
                raise ctx.error(
                    path, f"{what} cannot be used with [uncertainties]: declare the scenarios once"
                )
        if kind == "list":
            raise ctx.error(
                ("design", "kind"),
                "[uncertainties] are sampled or crossed, not listed",
                "factorial, " + ", ".join(SAMPLED_KINDS),
            )

    forbid(kind != "factorial" and factors_raw is not None, "[factors]", ("factors",))
    forbid(kind != "list" and points_raw is not None, "[[points]]", ("points",))
    forbid(kind not in SAMPLED_KINDS and "ranges" in d, "design.ranges", ("design", "ranges"))
    forbid(kind not in SAMPLED_KINDS and "n" in d, "design.n", ("design", "n"))
    forbid(kind != "morris" and "levels" in d, "design.levels", ("design", "levels"))
    keys: list[str] = []
    if unc_raw is not None:
        design = _uncertainties(ctx, raw, d, kind, unc_raw)
        keys = list(design.uncertainty_keys)
    elif kind == "factorial":
        factors: dict[str, tuple] = {}
        table = factors_raw or {}
        if not isinstance(table, dict):
            raise ctx.error(("factors",), "factors must be a table of key = [levels]")
        for k, levels in table.items():
            if not isinstance(levels, list) or not levels:
                raise ctx.error(
                    ("factors", k),
                    f"factor levels must be a non-empty list, got {levels!r}",
                    allowed_text(k) if _known(k) else "",
                )
            factors[k] = tuple(_check(ctx, ("factors", k), k, v) for v in levels)
            if len(set(map(repr, factors[k]))) != len(factors[k]):
                raise ctx.error(("factors", k), f"factor levels repeat: {list(levels)}")
        keys = list(factors)
        design = Design(kind="factorial", factors=factors)
    elif kind == "list":
        if (
            not isinstance(points_raw, list)
            or not points_raw
            or not all(isinstance(p, dict) for p in points_raw)
        ):
            raise ctx.error(
                ("points",), "design kind 'list' needs [[points]] tables, one per design point"
            )
        points = tuple(_values_table(ctx, p, ("points", i)) for i, p in enumerate(points_raw))
        design = Design(kind="list", points=points)
        keys = list(design.keys)
    else:
        sampled = _sampled(ctx, d, raw, kind)
        ranges_raw = d.get("ranges")
        if not isinstance(ranges_raw, dict) or not ranges_raw:
            raise ctx.error(
                ("design", "ranges"),
                f"design kind {kind!r} needs [design.ranges] with key = [low, high]",
            )
        ranges: dict[str, tuple[float, float]] = {}
        for k, r in ranges_raw.items():
            path = ("design", "ranges", k)
            _check_name(ctx, path, k)
            bounds = numeric_bounds(k)
            if bounds is None:
                raise ctx.error(
                    path,
                    f"{k} is not numeric, so it cannot be sampled; use a factorial design",
                    "numeric parameters",
                )
            if (
                not isinstance(r, list)
                or len(r) != 2
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in r)
            ):
                raise ctx.error(path, f"a range must be [low, high], got {r!r}", allowed_text(k))
            lo, hi = (_check(ctx, path, k, x) for x in r)
            if not lo < hi:
                raise ctx.error(path, f"range [{r[0]}, {r[1]}] must have low < high")
            ranges[k] = (float(lo), float(hi))
        keys = list(ranges)
        design = Design(kind=kind, ranges=ranges, **sampled)
    levers = _levers(ctx, raw.get("levers"))
    lever_keys = list(dict.fromkeys(k for p in levers for k in p))
    for k in lever_keys:
        if k in keys:
            where = "uncertainties" if unc_raw is not None else "design"
            raise ctx.error(("levers", k), f"{k} is both a lever and in the {where}; keep one")
    keys = [*lever_keys, *keys]
    design = dataclasses.replace(design, levers=levers)
    for k in keys:
        if k in fixed:
            raise ctx.error(("fixed", k), f"{k} is both fixed and a design factor; keep one")
    mix_keys = [k for k in (*keys, *fixed) if k.startswith("mix_")]
    if YOUNG_SHARE in keys and any(k in keys for k in mix_keys):
        raise ctx.error(
            ("design",), f"{YOUNG_SHARE} and {mix_keys[0]} both vary the generation mix; keep one"
        )
    return design


def _has_ranges(table: Any) -> bool:
    """Whether an [uncertainties] table has a numeric range (so the default design samples)."""
    if not isinstance(table, dict):
        return False
    return any(
        _known(k) and numeric_bounds(k) is not None and _is_range(v) for k, v in table.items()
    )


def _is_range(v: Any) -> bool:
    return (
        isinstance(v, list)
        and len(v) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
    )


def _sampled(ctx: _Ctx, d: dict, raw: dict, kind: str) -> dict[str, int]:
    """n, seed and levels of a sampled design, checked."""
    if "n" not in d:
        raise ctx.error(
            ("design", "n"),
            f"a {kind} design needs n (the size of its sample) in [design]",
            "a whole number >= 2",
        )
    n = _int(ctx, d, "n", 0, lo=2, path=("design",))
    if kind in ("sobol", "saltelli") and n & (n - 1):
        raise ctx.error(
            ("design", "n"),
            f"a {kind} design needs n a power of 2, got {n}",
            f"e.g. {1 << max(1, n.bit_length() - 1)} or {1 << n.bit_length()}",
        )
    seed = _int(ctx, d, "seed", int(raw.get("root_seed", 0)) % (2**32), lo=0, path=("design",))
    levels = _int(ctx, d, "levels", 4, lo=2, hi=limits.MAX_MORRIS_LEVELS, path=("design",))
    return {"n": n, "seed": seed, "levels": levels}


def _uncertainties(ctx: _Ctx, raw: dict, d: dict, kind: str, table: Any) -> Design:
    """The [uncertainties] table: Params fields (and mix.young_share) with a range or choices.

    ``key = [low, high]`` (two numbers, numeric key) is a range; any other non-empty list, or
    ``key = {choices = [...]}``, is a list of choices. A factorial design crosses choices only;
    the sampled kinds draw ranges uniformly and pick choices with equal probability.
    """
    if not isinstance(table, dict) or not table:
        raise ctx.error(
            ("uncertainties",),
            "uncertainties must be a non-empty table of key = [low, high] or [choices]",
        )
    ranges: dict[str, tuple[float, float]] = {}
    choices: dict[str, tuple] = {}
    for k, v in table.items():
        path = ("uncertainties", k)
        if k.startswith(STRATEGY_PREFIX):
            raise ctx.error(
                path, f"{k} is a strategy switch: the outlet chooses it, so put it in [levers]"
            )
        _check_name(ctx, path, k)
        if isinstance(v, dict):
            if set(v) != {"choices"}:
                raise ctx.error(path, f"an inline table takes only choices = [...], got {v!r}")
            v, forced = v["choices"], True
        else:
            forced = False
        if not isinstance(v, list) or not v:
            raise ctx.error(
                path,
                f"must be [low, high] or a non-empty list of choices, got {v!r}",
                allowed_text(k),
            )
        if not forced and numeric_bounds(k) is not None and _is_range(v):
            lo, hi = (_check(ctx, path, k, x) for x in v)
            if not lo < hi:
                raise ctx.error(path, f"range [{v[0]}, {v[1]}] must have low < high")
            if kind == "factorial":
                raise ctx.error(
                    path,
                    "a factorial design cannot cross a range: give a list of levels "
                    "({choices = [...]}) or sample it (design.kind = lhs, sobol, saltelli, morris)",
                )
            ranges[k] = (float(lo), float(hi))
        else:
            values = tuple(_check(ctx, path, k, x) for x in v)
            if len(set(map(repr, values))) != len(values):
                raise ctx.error(path, f"choices repeat: {list(v)}")
            if len(values) < 2:
                raise ctx.error(
                    path,
                    f"an uncertainty needs at least two choices, got {list(v)}; "
                    "a single value is not uncertain: put it in [fixed]",
                )
            choices[k] = values
    if kind == "factorial":
        return Design(kind="factorial", factors=choices)
    if kind in ("saltelli", "morris") and len(ranges) + len(choices) < 2:
        raise ctx.error(("uncertainties",), f"a {kind} design needs at least two uncertainties")
    return Design(kind=kind, ranges=ranges, choices=choices, **_sampled(ctx, d, raw, kind))


def _levers(ctx: _Ctx, table: Any) -> tuple[dict[str, Any], ...]:
    """The [levers] table: ``strategy.<switch> = [settings]`` (crossed), or ``[[levers]]`` policies."""
    if table is None:
        return ()
    if isinstance(table, list):
        if not table or not all(isinstance(p, dict) and p for p in table):
            raise ctx.error(("levers",), "[[levers]] must be non-empty tables, one per policy")
        policies = [
            {k: _lever_value(ctx, ("levers", i, k), k, v) for k, v in p.items()}
            for i, p in enumerate(table)
        ]
        keys = list(dict.fromkeys(k for p in policies for k in p))
        seen: dict[str, int] = {}
        for i, p in enumerate(policies):
            missing = [k for k in keys if k not in p]
            if missing:
                raise ctx.error(("levers", i), f"policy {i} does not set {', '.join(missing)}")
            same = repr(sorted(p.items()))
            if same in seen:
                raise ctx.error(
                    ("levers", i),
                    f"policy {i} repeats policy {seen[same]} ({p}): it would run the same runs "
                    "twice; remove one",
                )
            seen[same] = i
        return tuple(policies)
    if not isinstance(table, dict) or not table:
        raise ctx.error(("levers",), "levers must be a table of strategy.<switch> = [settings]")
    settings: dict[str, tuple] = {}
    for k, v in table.items():
        if not isinstance(v, list) or not v:
            raise ctx.error(("levers", k), f"lever settings must be a non-empty list, got {v!r}")
        settings[k] = tuple(_lever_value(ctx, ("levers", k), k, x) for x in v)
        if len(set(map(repr, settings[k]))) != len(settings[k]):
            raise ctx.error(("levers", k), f"lever settings repeat: {v}")
    keys = list(settings)
    return tuple(
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*settings.values())
    )


def _lever_value(ctx: _Ctx, path: tuple, key: str, value: Any) -> Any:
    if not key.startswith(STRATEGY_PREFIX):
        hint = f"; {key} is a model parameter: put it in [uncertainties]" if _known(key) else ""
        raise ctx.error(
            path,
            f"a lever is a strategy switch, written strategy.<switch>{hint}",
            ", ".join(STRATEGY_PREFIX + sw for sw in SWITCHES),
        )
    return _check(ctx, path, key, value)


def _known(key: str) -> bool:
    try:
        key_kind(key)
    except KeyError:
        return False
    return True


def _check_name(ctx: _Ctx, path: tuple, key: str) -> None:
    if not _known(key):
        _check(ctx, path, key, None)


def _arms(ctx: _Ctx, raw_arms: Any) -> tuple[Arm, ...]:
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
            if k not in _ARM_KEYS:
                raise ctx.unknown((*path, k), k, _ARM_KEYS, f"arm {name!r}")
        preset = body.get("strategy", name)
        if preset not in STRATEGY_PRESETS:
            hint = did_you_mean(preset, STRATEGY_PRESETS, n=1, cutoff=0.4)
            where = path if short or "strategy" not in body else (*path, "strategy")
            raise ctx.error(where, f"unknown strategy {preset!r}{hint}", presets)
        switches = {}
        for k, v in body.items():
            if k in SWITCHES:
                switches[k] = _check(ctx, (*path, k), STRATEGY_PREFIX + k, v)
        sweep = body.get("sweep", preset != "one_way")
        if not isinstance(sweep, bool):
            raise ctx.error((*path, "sweep"), f"sweep must be true or false, got {sweep!r}")
        arms.append(Arm(name=name, preset=preset, switches=switches, sweep=sweep))
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ctx.error(("arms",), f"arm names repeat: {names}")
    return tuple(arms)


def _analysis(ctx: _Ctx, a: Any, arms: tuple[Arm, ...], metrics: tuple[str, ...]) -> Analysis:
    if not isinstance(a, dict):
        raise ctx.error(("analysis",), f"analysis must be a table, got {a!r}")
    for k in a:
        if k not in _ANALYSIS_KEYS:
            raise ctx.unknown(("analysis", k), k, _ANALYSIS_KEYS, "[analysis]")
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
    rel = a.get("relative_min_difference", 0.05)
    if isinstance(rel, bool) or not isinstance(rel, int | float) or not 0 < rel <= 10:
        raise ctx.error(
            ("analysis", "relative_min_difference"), f"must be a number in (0, 10], got {rel!r}"
        )
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
    n_res = _int(ctx, a, "n_resamples", 2000, lo=100, hi=limits.MAX_RESAMPLES, path=("analysis",))
    conf = a.get("confidence", 0.95)
    if isinstance(conf, bool) or not isinstance(conf, float) or not 0.5 <= conf < 1:
        raise ctx.error(
            ("analysis", "confidence"), f"confidence must be a number in [0.5, 1), got {conf!r}"
        )
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


def _raise_unknown(ctx: _Ctx, path: tuple, name: str, valid: tuple[str, ...]) -> bool:
    raise ctx.unknown(path, name, valid, ".".join(path) + " (measures kept by 'metrics')")


def _check_runs(ctx: _Ctx, spec: ExperimentSpec) -> None:
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
