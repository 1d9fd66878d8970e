"""Designs and runs: design points x arms x replicates, with paired seeds (common random numbers).

Design points come from a full factorial (``itertools.product``), an explicit list, or a
Latin hypercube / scrambled Sobol sample over ranges (``scipy.stats.qmc``; McKay et al. 1979,
Sobol' 1967). Integer parameters are rounded after scaling.

Seeds: replicate ``r`` gets the seed ``SeedSequence(root_seed, spawn_key=(r,))`` turned into a
63-bit integer, the same in every arm and at every design point. Arms of one replicate
therefore share their population, networks and every draw the strategy does not touch
(common random numbers; Law 2015, ch. 11), and the analysis pairs them. A seed spawned per
run would break the pairing.

Run order is interleaved: replicate-major, then design point, then arm, so that a sweep
stopped early has covered the whole design with fewer replicates instead of half of it.

:func:`make_plan` gathers all of it once into a :class:`Plan`: the points, arms, seeds and the
``Params`` of every run (which :mod:`experiments.plan` stores in the output folder).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.points import design_points, point_index_of
from experiments.spec import ExperimentSpec, metric_names, resolved_runs

#: The id columns of a recorded run, checked against the plan.
ID_COLUMNS = ("run_id", "run_index", "point_id", "arm", "replicate", "seed")

__all__ = [
    "BurnInTask",
    "Plan",
    "RunTask",
    "build_tasks",
    "burn_in_key",
    "burn_in_of",
    "design_points",
    "make_plan",
    "replicate_seed",
]


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run: plain data, no model (sent to other processes).

    Attributes:
        run_id: ``p<point>-<arm>-r<replicate>``; unique within the experiment.
        index: Position in the run order (results are sorted by it).
        point_id: The design point.
        arm: The arm's name.
        replicate: The replicate number.
        seed: The run's root seed (shared by all runs of this replicate).
        params: ``model.Params`` keywords; ``strategy`` is a dict of switches.
        factors: The design point's factor values, keyed as in the spec.
        model: ``module:Class`` of the model to build.
        steps: Steps to run.
        measure_every: Time-series sampling interval (0 = none).
        columns: Final-measure columns to keep.
        series_columns: Time-series columns to keep.
        agent_metrics: Agent-level attributes to record at the end (opt-in).
        settle_columns: Step measures whose settling the run checks (the horizon check).
        settle_window: Steps back from the end the check compares with (one day = 24).
        settle_tolerance: Largest relative change over the window that counts as settled.
    """

    run_id: str
    index: int
    point_id: int
    arm: str
    replicate: int
    seed: int
    params: dict[str, Any]
    factors: dict[str, Any]
    model: str
    steps: int
    measure_every: int
    columns: tuple[str, ...]
    series_columns: tuple[str, ...]
    agent_metrics: tuple[str, ...] = field(default=())
    settle_columns: tuple[str, ...] = field(default=())
    settle_window: int = 24
    settle_tolerance: float = 0.02
    burn_in: int = 0
    burn_in_params: dict[str, Any] | None = None
    snapshot: str | None = None


@dataclass(frozen=True)
class BurnInTask:
    """One burn-in: the model the arms of one design point and replicate branch from.

    Attributes:
        key: :func:`burn_in_key` of (model, params, seed, steps); names the snapshot file.
        model: ``module:Class`` of the model to build.
        params: ``model.Params`` keywords (the baseline arm's at the design point).
        seed: The replicate's seed.
        steps: Steps to run.
    """

    key: str
    model: str
    params: dict[str, Any]
    seed: int
    steps: int


def burn_in_key(model: str, params: dict[str, Any], seed: int, steps: int) -> str:
    """A digest of what decides a burn-in: equal for design points whose baseline arms run the
    same parameters (e.g. lever settings the baseline does not take), so each runs once."""
    text = json.dumps(
        {"model": model, "params": params, "seed": seed, "steps": steps},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def burn_in_of(task: RunTask) -> BurnInTask:
    """The burn-in ``task`` branches from (the task must have one)."""
    if task.burn_in_params is None:
        raise ValueError(f"{task.run_id} has no burn-in")
    key = burn_in_key(task.model, task.burn_in_params, task.seed, task.burn_in)
    return BurnInTask(key, task.model, task.burn_in_params, task.seed, task.burn_in)


def replicate_seed(root_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: a 63-bit integer from ``SeedSequence(root, spawn_key=(r,))``."""
    state = np.random.SeedSequence(root_seed, spawn_key=(replicate,)).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def build_tasks(spec: ExperimentSpec) -> list[RunTask]:
    """Every run of the experiment, in run order (replicate, then point, then arm): the tasks
    of :func:`make_plan` (the points and Params the spec loader built, not built again)."""
    return make_plan(spec).tasks()


def settle_columns(spec: ExperimentSpec) -> tuple[str, ...]:
    """The measures the horizon check covers: every step measure the spec keeps (overall)."""
    from model.measures import catalogue

    return tuple(m for m in spec.metrics if catalogue.measure(m).when == "step")


@dataclass
class Plan:
    """Everything that decides the runs of an experiment, computed once.

    Attributes:
        spec: The resolved spec.
        points: The design points (factor key -> value), lever-major.
        index: (lever setting, scenario) of every point.
        unit: The scenario sample on the unit cube (one row per scenario, one column per
            :func:`experiments.points.sample_keys` entry), or None for crossed and listed designs.
        params: Per (point, arm name): the run's ``model.Params`` as keywords
            (:func:`experiments.points.plain_params`: each rule as its name, each rule parameter
            at its address, the strategy as a dict of switches).
        seeds: The seed of each replicate (the same in every arm and point).
    """

    spec: ExperimentSpec
    points: list[dict[str, Any]]
    index: list[tuple[int, int]]
    unit: np.ndarray | None
    params: dict[tuple[int, str], dict[str, Any]]
    seeds: list[int]

    @property
    def n_runs(self) -> int:
        """Runs in the experiment: points x arms x replicates."""
        return len(self.points) * len(self.spec.arms) * len(self.seeds)

    @property
    def n_scenarios(self) -> int:
        """Scenarios per lever setting."""
        return len(self.points) // max(1, len(self.spec.design.levers))

    def run_id(self, point: int, arm: str, replicate: int) -> str:
        """``p<point>-<arm>-r<replicate>``, zero-padded to the experiment's size."""
        width = max(3, len(str(len(self.points) - 1)))
        rwidth = max(3, len(str(len(self.seeds) - 1)))
        return f"p{point:0{width}d}-{arm}-r{replicate:0{rwidth}d}"

    def runs(self) -> Iterator[tuple[int, int, int, str, int]]:
        """(run index, replicate, point, arm, seed) in run order: replicate, point, arm."""
        arms = self.spec.arm_names
        k = 0
        for r, seed in enumerate(self.seeds):
            for i in range(len(self.points)):
                for arm in arms:
                    yield k, r, i, arm, seed
                    k += 1

    def tasks(self, first: int | None = None) -> list[Any]:
        """The :class:`experiments.design.RunTask` of every run (or the ``first`` ones), in run
        order."""
        s = self.spec
        base = s.analysis.baseline
        columns = tuple(metric_names(s.metrics))
        series = tuple(metric_names(s.metrics, step_only=True)) if s.measure_every else ()
        settle = settle_columns(s)
        return [
            RunTask(
                run_id=self.run_id(i, arm, r),
                index=k,
                point_id=i,
                arm=arm,
                replicate=r,
                seed=seed,
                params=self.params[(i, arm)],
                factors=dict(self.points[i]),
                model=s.model,
                steps=s.steps,
                measure_every=s.measure_every,
                columns=columns,
                series_columns=series,
                agent_metrics=s.agent_metrics,
                settle_columns=settle,
                settle_window=s.settle_window,
                settle_tolerance=s.settle_tolerance,
                burn_in=s.burn_in,
                burn_in_params=(
                    # the baseline's whole horizon: the model stops itself at Params.steps
                    {**self.params[(i, base)], "steps": s.burn_in + s.steps} if s.burn_in else None
                ),
            )
            for k, r, i, arm, seed in itertools.islice(self.runs(), first)
        ]

    def burn_ins(self) -> dict[str, BurnInTask]:
        """Every distinct burn-in of the experiment by key, in run order (empty without one)."""
        if not self.spec.burn_in:
            return {}
        out: dict[str, BurnInTask] = {}
        for t in self.tasks():
            b = burn_in_of(t)
            out.setdefault(b.key, b)
        return out

    def expected_runs(self) -> pd.DataFrame:
        """The id columns every recorded run must have: run_id, run_index, point_id, arm,
        replicate and seed, one row per run."""
        rows = [(self.run_id(i, arm, r), k, i, arm, r, seed) for k, r, i, arm, seed in self.runs()]
        return pd.DataFrame(rows, columns=list(ID_COLUMNS))


def flat_params(params: dict[str, Any], prefix: str = "param.") -> dict[str, Any]:
    """Plain Params keywords as columns: ``param.<field>``, a rule parameter's address as
    ``param.opinion.contacts``, and a nested table of switches (the strategy's) as
    ``param.<field>.<switch>``; :func:`nested_params` undoes it."""
    row: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, dict):
            row.update(flat_params(v, f"{prefix}{k}."))
        else:
            row[f"{prefix}{k}"] = v
    return row


def nested_params(
    row: dict[str, Any], prefix: str = "param.", addresses: Any = None
) -> dict[str, Any]:
    """The Params keywords of ``param.*`` columns, dotted names nested again (as the workers
    take them): the inverse of :func:`flat_params`. A rule's parameter (``opinion.contacts``,
    an address of ``Params.spec()``) stays one dotted keyword, as Params takes it.

    ``addresses``: ``Params.spec()``, if the caller has it (it takes about 0.6 ms to build,
    and :func:`experiments.plan.load_plan` calls this once per run)."""
    from model import Params

    if addresses is None:
        addresses = Params.spec()
    params: dict[str, Any] = {}
    for column, value in row.items():
        if not column.startswith(prefix):
            continue
        key = column.removeprefix(prefix)
        if key in addresses:
            params[key] = value
            continue
        *tables, name = key.split(".")
        target = params
        for t in tables:
            target = target.setdefault(t, {})
        target[name] = value
    return params


def make_plan(spec: ExperimentSpec) -> Plan:
    """The plan of a validated spec, reusing what the spec loader built to validate it."""
    points, unit, params = resolved_runs(spec)
    return Plan(
        spec=spec,
        points=points,
        index=point_index_of(spec.design, len(points)),
        unit=unit,
        params=params,
        seeds=[replicate_seed(spec.root_seed, r) for r in range(spec.replicates)],
    )
