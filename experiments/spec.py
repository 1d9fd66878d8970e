"""Experiment specs: TOML files loaded into a frozen dataclass and validated before any run.

A spec declares what to vary and what to compare, in the spirit of NetLogo's BehaviorSpace
and the EMA Workbench's split between levers (the focal outlet's strategy, the ``arms``) and
uncertainties (population, network and behaviour parameters, the ``design``)::

    name = "interactive_vs_one_way"
    replicates = 20            # replicate r uses the same seed in every arm and design point
    root_seed = 20240611
    steps = 336                # one step is one hour
    burn_in = 0                # steps of the baseline arm before the arms branch (below)
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
baseline included. ``[uncertainties] posterior = "DIR"`` (with ``draws = N``) draws parameter
sets from a calibration's posterior instead of, or crossed with, ranges
(:mod:`experiments.posterior`). ``settle_tolerance`` (default 0.02) and ``settle_window``
(default 24 steps) set the horizon check: a run has settled on a measure when its relative
change over the last window is at most the tolerance.

A relative path in a spec (the posterior's folder, ``acquaintance_edges`` and
``follow_edges``) is read from the spec file's folder, whatever the directory one runs in, and
stored absolute (:mod:`experiments.spec_paths`).

``burn_in = STEPS`` runs, once per design point and replicate, ``STEPS`` steps of the
baseline arm (``analysis.baseline``, with the point's parameters and the replicate's seed),
stores the model in ``OUT/snapshots/`` and branches every arm from it
(:meth:`model.OpinionEcology.branch`): each arm then runs ``steps`` more steps, and its time
series counts from the branch (step 0 is the branch). The arms may differ only in fields a
branch may change (the strategy and the focal outlet's own fields; not the population,
networks or rules), which is checked here.

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

This module holds :class:`ExperimentSpec`, loads a spec and checks it as a whole (strategy
keys no arm takes); the tables are checked in :mod:`experiments.spec_tables` and
:mod:`experiments.spec_design`, every run's ``Params`` is built once in
:mod:`experiments.spec_runs`, the parts and constants are in :mod:`experiments.spec_types`,
and :func:`~experiments.locate.locate` finds a key's line. The file is a little over 400
lines because this docstring is the spec format's reference (``help(experiments.spec)``);
the code is about 350 lines.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments import limits
from experiments.locate import locate
from experiments.points import (
    STRATEGY_PREFIX,
)
from experiments.spec_design import design_table
from experiments.spec_paths import FILE_KEYS, resolve_paths, spec_folder
from experiments.spec_runs import UnusedKeyWarning, check_branches, check_runs, resolved_runs
from experiments.spec_tables import (
    TABLE_KEYS,
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
    "UnusedKeyWarning",
    "count_points",
    "load_spec",
    "locate",
    "metric_names",
    "parse_spec",
    "read_text",
    "resolved_runs",
]


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
    burn_in: int = 0
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
        if not d["burn_in"]:
            d.pop("burn_in")  # manifests and plans stored before burn_in existed stay valid
        if d["design"].get("posterior") is None:
            d["design"].pop("posterior")  # likewise for specs stored before posteriors
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
        A relative edge list given here is read from the current directory (it was typed
        there), not from the spec file's folder.
        """
        raw = json.loads(json.dumps(self.raw))
        for key, value in overrides.items():
            if key in FILE_KEYS and isinstance(value, str) and value:
                value = str(Path(value).resolve())  # typed on a command line: the shell's folder
            head, _, rest = key.partition(".")
            if head in ("design", "analysis") and rest:
                raw.setdefault(head, {})[rest] = value
            elif key in TOP_KEYS and key not in TABLE_KEYS:
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


def read_text(path: str | Path) -> str:
    """A spec file's text; a UTF-8 byte-order mark (as Windows editors write) is dropped.

    Raises:
        OSError: The file cannot be read.
        UnicodeDecodeError: It is not UTF-8.
    """
    return Path(path).read_text(encoding="utf-8-sig")


def read_toml(path: Path, what: str) -> tuple[dict[str, Any], str]:
    """The parsed TOML of ``path`` and its text; a :class:`SpecError` naming the file (and the
    line of a syntax error) if it cannot be read or parsed. ``what`` names the file's kind in
    the message ("spec", "calibration spec")."""
    try:
        text = read_text(path)
    except OSError as e:
        raise SpecError(f"cannot read the {what}: {e.strerror}", file=str(path)) from e
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        line = getattr(e, "lineno", None) or (int(m.group(1)) if m else None)
        raise SpecError(f"not valid TOML: {e}", file=str(path), line=line) from e


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
    raw, text = read_toml(path, "spec")
    spec = parse_spec(raw, source=str(path), text=text)
    return spec.with_overrides(overrides) if overrides else spec


def parse_spec(
    raw: dict[str, Any], source: str | None = None, text: str | None = None
) -> ExperimentSpec:
    """Validate a spec given as a dict (the parsed TOML) and build an :class:`ExperimentSpec`.

    Every run's parameters are built once here, so nothing invalid reaches a worker.

    Args:
        raw: The spec as nested dicts and lists.
        source: The file it came from (for messages; a relative path in the spec is read from
            its folder, :mod:`experiments.spec_paths`; without a file, from the current
            directory).
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
    # relative paths read from the spec file's folder; stored absolute (experiments.spec_paths)
    raw = resolve_paths(ctx, raw, spec_folder(source))

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
    burn_in = scalar(ctx, raw, TOP, "burn_in")
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
    if design.posterior is not None:
        # the calibration's own fixed values, under the spec's (posterior_table split them)
        fixed = {**design.posterior.fixed, **fixed}
        if replicates < 2:
            raise ctx.error(
                ("replicates",),
                f"replicates={replicates}: a posterior's report splits each difference into seed "
                "noise (the spread between replicates of one draw) and parameter uncertainty, "
                "so it needs at least 2 replicates",
                "a whole number >= 2",
            )
    arms = arms_table(ctx, raw.get("arms"))
    analysis = analysis_table(ctx, raw.get("analysis", {}), arms, metrics)

    spec = ExperimentSpec(
        name=name,
        description=description,
        model=model_target,
        replicates=replicates,
        root_seed=root_seed,
        steps=steps,
        burn_in=burn_in,
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
    check_runs(ctx, spec)
    if spec.burn_in:
        check_branches(ctx, spec)
    return spec


def _check_sweep(ctx: Ctx, spec: ExperimentSpec) -> None:
    """Refuse strategy switches that no arm takes: in the design they would multiply the runs
    (every lever setting or level runs again) without changing any; in [fixed] they would be
    silently ignored."""
    if any(a.sweep for a in spec.arms):
        return
    varied = [k for k in spec.design.keys if k.startswith(STRATEGY_PREFIX)]
    fixed = [k for k in spec.fixed if k.startswith(STRATEGY_PREFIX)]
    if not varied and not fixed:
        return
    arms = "; ".join(
        f"{a.name}: " + ("sweep = false" if a.preset != "one_way" else "preset one_way")
        for a in spec.arms
    )
    if not varied:
        raise ctx.error(
            ("fixed", fixed[0]),
            f"[fixed] sets {fixed[0]}, but no arm sweeps the strategy ({arms}), so it would "
            "change no run; give an arm sweep = true, or set the switch in an arm's table",
        )
    k = varied[0]
    if k in spec.design.lever_keys:
        path: tuple = ("levers",)
    elif spec.design.kind == "factorial":
        path = ("uncertainties", k) if "uncertainties" in spec.raw else ("factors", k)
    elif spec.design.kind == "list":
        path = ("points",)
    else:
        path = ("design", "ranges", k)
    raise ctx.error(
        path,
        f"the design varies {k}, but no arm sweeps the strategy ({arms}), so every setting "
        "would run the same runs again; give an arm sweep = true or remove the strategy key",
    )


def count_points(spec: ExperimentSpec) -> int:
    """Number of design points (counted, not built)."""
    return limits.count_points(spec.design)
