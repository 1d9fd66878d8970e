"""Size limits of an experiment, checked before any design point or run is built.

Every design point and every run is held in memory while a sweep is planned (a run's task is
about a kilobyte, its resolved parameters another), so an unbounded design fills the memory
before printing anything. A design beyond these limits is refused with a message: split it
into several specs (each with its own ``--out``) or sample fewer points. At the limits
(100,000 points x 2 arms x 5 replicates) ``plan`` took 39 s and 1.1 GiB on the project's
2-core machine.
"""

from __future__ import annotations

from experiments.spec import ExperimentSpec, SpecError, count_points

#: Design points of one experiment (factorial combinations, listed points or samples).
MAX_DESIGN_POINTS = 100_000
#: Runs of one experiment: design points x arms x replicates.
MAX_RUNS = 1_000_000


def check_size(spec: ExperimentSpec) -> None:
    """Refuse a spec whose design or run count exceeds the limits; counts only, builds nothing.

    Raises:
        SpecError: Naming the count, the limit and what to do.
    """
    points = count_points(spec)
    if points > MAX_DESIGN_POINTS:
        key = "design.n" if spec.design.kind in ("lhs", "sobol") else "design"
        raise SpecError(
            f"the design has {points} design points; at most {MAX_DESIGN_POINTS} are allowed "
            "(experiments.limits.MAX_DESIGN_POINTS): sample fewer points or split the design "
            "into several specs",
            key=key,
            file=spec.source,
        )
    runs = points * len(spec.arms) * spec.replicates
    if runs > MAX_RUNS:
        raise SpecError(
            f"{points} design points x {len(spec.arms)} arms x {spec.replicates} replicates = "
            f"{runs} runs; at most {MAX_RUNS} are allowed (experiments.limits.MAX_RUNS): use "
            "fewer replicates or points, or split the experiment into several specs",
            key="replicates",
            file=spec.source,
        )
