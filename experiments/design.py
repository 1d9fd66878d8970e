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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.points import design_points
from experiments.spec import ExperimentSpec

__all__ = ["RunTask", "build_tasks", "design_points", "replicate_seed"]


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


def replicate_seed(root_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate``: a 63-bit integer from ``SeedSequence(root, spawn_key=(r,))``."""
    state = np.random.SeedSequence(root_seed, spawn_key=(replicate,)).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def build_tasks(spec: ExperimentSpec) -> list[RunTask]:
    """Every run of the experiment, in run order (replicate, then point, then arm).

    The tasks of :func:`experiments.plan.make_plan` (the points and Params the spec loader
    built, not built again).
    """
    from experiments.plan import make_plan

    return make_plan(spec).tasks()


def settle_columns(spec: ExperimentSpec) -> tuple[str, ...]:
    """The measures the horizon check covers: every step measure the spec keeps (overall)."""
    from model.measures import catalogue

    return tuple(m for m in spec.metrics if catalogue.measure(m).when == "step")
