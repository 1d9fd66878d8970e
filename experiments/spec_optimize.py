"""The ``[optimize]`` table of a spec (:mod:`experiments.optimize` runs the search): the levers
searched, the objectives and the optimiser's settings, checked against the spec before anything
runs. Every error names the key, its file and line, and what is allowed."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.points import STRATEGY_PREFIX
from experiments.spec import ExperimentSpec, read_text
from experiments.spec_tables import Ctx, check_value
from experiments.spec_types import CASCADE_MEASURES, metric_names
from model.measures.catalogue import COHORTS

__all__ = [
    "DIRECTIONS",
    "Lever",
    "Objective",
    "OptimizeConfig",
    "optimize_table",
]

DIRECTIONS = ("max", "min")
OPTIMIZE_KEYS = ("pop_size", "generations", "seed", "levers", "objectives")
OBJECTIVE_KEYS = ("measure", "cohort", "direction", "statistic")


@dataclass(frozen=True)
class Lever:
    """One strategy switch the search sets.

    Attributes:
        key: The spec key, ``strategy.<switch>``.
        low: For a range, its low end (None for choices).
        high: For a range, its high end.
        choices: For choices, the values (empty for a range).
        integer: A range of whole numbers.
    """

    key: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    integer: bool = False

    @property
    def switch(self) -> str:
        """The :class:`model.Strategy` field."""
        return self.key[len(STRATEGY_PREFIX) :]

    def decode(self, u: float) -> Any:
        """The lever's value at ``u`` in [0, 1]: a point of the range (rounded to 4 decimals,
        far below what the seeds can tell apart, so that a candidate met again is recognised),
        or the choice whose equal share of [0, 1] holds ``u``."""
        u = min(max(float(u), 0.0), 1.0)
        if self.choices:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        assert self.low is not None and self.high is not None
        v = self.low + u * (self.high - self.low)
        return int(round(v)) if self.integer else round(v, 4)


@dataclass(frozen=True)
class Objective:
    """One objective: a statistic of a measure's paired differences, to maximise or minimise.

    Attributes:
        measure: The measure (a base name the spec records).
        cohort: A generation (``post00``, ...) for its own column, or "" for everyone.
        direction: ``max`` or ``min``.
        statistic: ``mean`` or ``qNN`` (the NN-th percentile).
    """

    measure: str
    cohort: str = ""
    direction: str = "max"
    statistic: str = "mean"

    @property
    def column(self) -> str:
        """The runs table's column: ``retention`` or ``retention[post00]``."""
        return f"{self.measure}[{self.cohort}]" if self.cohort else self.measure

    @property
    def label(self) -> str:
        """The column of ``pareto.csv``: ``retention[post00].mean``."""
        return f"{self.column}.{self.statistic}"


@dataclass(frozen=True)
class OptimizeConfig:
    """A validated ``[optimize]`` table.

    Attributes:
        levers: The switches searched.
        objectives: What is optimised.
        pop_size: Candidates per generation.
        generations: Generations (the first is a random sample).
        seed: The optimiser's seed.
        baseline: The arm every candidate is paired with.
        candidate: The arm whose strategy the levers set.
    """

    levers: tuple[Lever, ...]
    objectives: tuple[Objective, ...]
    pop_size: int
    generations: int
    seed: int
    baseline: str
    candidate: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (what ``optimize.json`` stores)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


def _int(ctx: Ctx, table: dict, key: str, low: int, default: int) -> int:
    v = table.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ctx.error(
            ("optimize", key), f"{key} must be a whole number >= {low}, got {v!r}", f">= {low}"
        )
    return v


def optimize_table(spec: ExperimentSpec) -> OptimizeConfig:
    """The spec's ``[optimize]`` table, checked against the spec.

    Raises:
        SpecError: A missing or malformed table, an unknown lever, measure, cohort, direction or
            statistic, a lever the spec already sets, or arms other than a baseline and one
            candidate; the message names the key, its line, and what is allowed.
    """
    from model import Strategy

    text = read_text(spec.source) if spec.source and Path(spec.source).is_file() else None
    ctx = Ctx(spec.source, text)
    table = spec.raw.get("optimize")
    if not isinstance(table, dict):
        raise ctx.error(
            ("optimize",),
            "optimize needs an [optimize] table with levers and objectives",
            "see help(experiments.optimize)",
        )
    for k in table:
        if k not in OPTIMIZE_KEYS:
            raise ctx.unknown(("optimize", k), k, OPTIMIZE_KEYS, "[optimize]")
    baseline = spec.analysis.baseline
    others = [a for a in spec.arms if a.name != baseline]
    if len(others) != 1:
        raise ctx.error(
            ("arms",),
            f"an optimize spec has two arms, the baseline {baseline!r} and the candidate the "
            f"levers set; got {list(spec.arm_names)}",
        )
    cand = others[0]
    switches = [f for f in Strategy.spec() if f != "name"]
    allowed = ", ".join(STRATEGY_PREFIX + s for s in switches)
    levers_raw = table.get("levers")
    if not isinstance(levers_raw, dict) or not levers_raw:
        raise ctx.error(
            ("optimize", "levers"),
            f"optimize.levers must be a non-empty table of switch = [low, high] or [choices], "
            f"got {levers_raw!r}",
            allowed,
        )
    taken = set(spec.design.keys) | set(spec.fixed)
    levers = []
    for key, v in levers_raw.items():
        path = ("optimize", "levers", key)
        if not key.startswith(STRATEGY_PREFIX) or key[len(STRATEGY_PREFIX) :] not in switches:
            raise ctx.unknown(path, key, tuple(allowed.split(", ")), "optimize.levers")
        if key in taken:
            raise ctx.error(
                path, f"{key} is a lever, so the spec's design or [fixed] may not set it"
            )
        levers.append(_lever(ctx, path, key, v))
    objectives = _objectives(ctx, table.get("objectives"), spec)
    return OptimizeConfig(
        levers=tuple(levers),
        objectives=objectives,
        pop_size=_int(ctx, table, "pop_size", 2, 8),
        generations=_int(ctx, table, "generations", 1, 4),
        seed=_int(ctx, table, "seed", 0, 0),
        baseline=baseline,
        candidate=cand.name,
    )


def _lever(ctx: Ctx, path: tuple, key: str, v: Any) -> Lever:
    numbers = isinstance(v, list) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in v
    )
    if not isinstance(v, list) or len(v) < 2 or (numbers and len(v) == 2 and v[0] >= v[1]):
        raise ctx.error(
            path,
            f"a lever is [low, high] (low < high) or a list of at least two choices, got {v!r}",
            "e.g. [0.0, 0.5] or [false, true]",
        )
    values = [check_value(ctx, path, key, x) for x in v]
    if numbers and len(v) == 2:
        # whole numbers only for a switch declared int: [0, 1] of a share is the whole range
        from model import Strategy

        types = {f.name: f.type for f in dataclasses.fields(Strategy)}
        whole = types.get(key[len(STRATEGY_PREFIX) :]) in (int, "int")
        return Lever(key, low=float(values[0]), high=float(values[1]), integer=whole)
    if len(set(map(repr, values))) != len(values):
        raise ctx.error(path, f"the choices of {key} repeat: {v!r}")
    return Lever(key, choices=tuple(values))


def _objectives(ctx: Ctx, raw: Any, spec: ExperimentSpec) -> tuple[Objective, ...]:
    path0 = ("optimize", "objectives")
    if not isinstance(raw, list) or not raw or not all(isinstance(o, dict) for o in raw):
        raise ctx.error(
            path0,
            f"optimize.objectives must be [[optimize.objectives]] tables, got {raw!r}",
            'e.g. measure = "retention", cohort = "post00", direction = "max"',
        )
    columns = set(metric_names(spec.metrics))
    out = []
    for i, o in enumerate(raw):
        path = (*path0, i)
        for k in o:
            if k not in OBJECTIVE_KEYS:
                raise ctx.unknown((*path, k), k, OBJECTIVE_KEYS, f"objective {i}")
        measure = o.get("measure")
        if measure not in spec.metrics:
            raise ctx.error(
                (*path, "measure"),
                f"objective {i}: unknown measure {measure!r} (or one the spec's metrics do not keep)",
                ", ".join(spec.metrics),
            )
        cohort = o.get("cohort", "")
        if cohort and (cohort not in COHORTS or f"{measure}[{cohort}]" not in columns):
            allowed = ", ".join(COHORTS) if measure not in CASCADE_MEASURES else "none"
            raise ctx.error(
                (*path, "cohort"),
                f"objective {i}: no cohort {cohort!r} for {measure}",
                f"{allowed} (cascade summaries and run totals have no cohorts)",
            )
        direction = o.get("direction", "max")
        if direction not in DIRECTIONS:
            raise ctx.error(
                (*path, "direction"), f"objective {i}: direction {direction!r}", "max, min"
            )
        statistic = o.get("statistic", "mean")
        if not (statistic == "mean" or re.fullmatch(r"q([1-9]|[1-9][0-9])", str(statistic))):
            raise ctx.error(
                (*path, "statistic"),
                f"objective {i}: statistic {statistic!r}",
                "mean, or qNN for the NN-th percentile (q1 ... q99), e.g. q10",
            )
        out.append(Objective(measure, cohort, direction, statistic))
    labels = [o.label for o in out]
    if len(set(labels)) != len(labels):
        raise ctx.error(path0, f"objectives repeat: {labels}")
    return tuple(out)
