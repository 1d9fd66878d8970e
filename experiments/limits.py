"""Size limits of an experiment, checked before any design point or run is built.

Every design point and every run is held in memory while a sweep is planned (a run's task is
about a kilobyte, its resolved parameters another), so an unbounded design fills the memory
before printing anything. A design beyond these limits is refused with a message: split it
into several specs (each with its own ``--out``) or sample fewer points. At the limits
(100,000 points x 2 arms x 5 replicates) ``plan`` takes about 2 minutes and 1 GiB on the
project's 2-core machine, nearly all of it building and validating the ``model.Params`` of each
of the 200,000 (point, arm) pairs once (about 0.6 ms each); it shows a progress bar meanwhile.

The spec loader calls :func:`size_problem` before it builds the design (this module imports
nothing of the experiments package, so the loader can).
"""

from __future__ import annotations

import math
from typing import Any

#: Design points of one experiment (factorial combinations, listed points or samples).
MAX_DESIGN_POINTS = 100_000
#: Runs of one experiment: design points x arms x replicates.
MAX_RUNS = 1_000_000
#: Grid levels of a Morris design (SALib's sampler holds a levels-sized grid per trajectory;
#: screening uses 4 to 10).
MAX_MORRIS_LEVELS = 100
#: Bootstrap resamples of one interval (``analysis.n_resamples``): the report resamples every
#: (point, arm, measure) cell, so a huge count would die after the whole sweep has run.
MAX_RESAMPLES = 100_000


def count_points(design: Any) -> int:
    """Number of design points of a ``Design`` (or of a spec's design), without building them.

    Lever settings and a posterior's draws multiply the scenarios; SALib's samples have
    ``n * (D + 2)`` (Saltelli, first and total order) or ``n * (D + 1)`` (Morris) points for
    ``D`` sampled keys.
    """
    d = getattr(design, "design", design)
    levers = max(1, len(getattr(d, "levers", ())))
    dims = len(d.ranges) + len(getattr(d, "choices", {}))
    if d.kind == "factorial":
        scenarios = math.prod(len(v) for v in d.factors.values()) if d.factors else 1
    elif d.kind == "list":
        scenarios = len(d.points)
    elif d.kind == "saltelli":
        scenarios = d.n * (dims + 2)
    elif d.kind == "morris":
        scenarios = d.n * (dims + 1)
    else:
        scenarios = d.n
    posterior = getattr(d, "posterior", None)  # every draw is crossed with the scenarios
    if posterior is not None:
        scenarios *= len(posterior.draws)
    return scenarios * levers


def size_problem(design: Any, n_arms: int, replicates: int) -> tuple[str, str] | None:
    """(message, spec key at fault) when the design or its run count exceeds the limits, else None."""
    points = count_points(design)
    if points > MAX_DESIGN_POINTS:
        key = "design" if design.kind in ("factorial", "list") else "design.n"
        return (
            f"the design has {points} design points; at most {MAX_DESIGN_POINTS} are allowed "
            "(experiments.limits.MAX_DESIGN_POINTS): sample fewer points or split the design "
            "into several specs",
            key,
        )
    runs = points * n_arms * replicates
    if runs > MAX_RUNS:
        return (
            f"{points} design points x {n_arms} arms x {replicates} replicates = "
            f"{runs} runs; at most {MAX_RUNS} are allowed (experiments.limits.MAX_RUNS): use "
            "fewer replicates or points, or split the experiment into several specs",
            "replicates",
        )
    return None
