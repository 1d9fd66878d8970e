"""``optimize``: a multi-objective search over the focal outlet's levers (NSGA-II / NSGA-III).

An experiment spec plus an ``[optimize]`` table; the spec's other tables say what every
candidate is evaluated on (the scenario sample of ``[uncertainties]``/``[design]``/``[factors]``,
the ``replicates`` and ``root_seed``)::

    [arms]
    one_way = "one_way"          # the baseline (analysis.baseline): every candidate is paired with it
    interactive = "interactive"  # the candidate: the levers set its switches

    [optimize]
    pop_size = 8                 # candidates per generation
    generations = 4
    seed = 1                     # the optimiser's own seed (the runs' seeds are the spec's)

    [optimize.levers]            # strategy switches: [low, high] is a range, other lists choices
    "strategy.reply_share" = [0.0, 0.5]
    "strategy.follow_up" = [false, true]

    [[optimize.objectives]]
    measure = "retention"        # a measure the spec records (metrics)
    cohort = "post00"            # optional: one generation's column, retention[post00]
    direction = "max"            # max | min
    statistic = "mean"           # mean, or qNN: the NN-th percentile of the paired differences

Every candidate runs on the same scenarios and replicate seeds as the baseline (common random
numbers). Its objective is a statistic of the paired differences candidate - baseline over the
(design point, replicate) pairs: their mean, with a t interval, or a low (or high) percentile,
a robust score, with the distribution-free interval of order statistics. With more than three
objectives NSGA-III (Das-Dennis reference directions) replaces NSGA-II.

Each generation runs through :func:`experiments.run.run` as an ordinary experiment in
``OUT/generations/gNN`` (the baseline and that generation's new candidates as arms), so the
store, the executors, ``status`` and ``report`` work on it as on any run. A candidate met
before (the same lever values) is not run again. The optimiser is seeded and its candidates
depend only on the objective values it is told, so a killed search resumes by replaying it:
the generations already stored are read back (``run`` with ``resume`` skips their runs), and
the search continues where it stopped, to the same front as an uninterrupted one.

The ``[optimize]`` table is checked in :mod:`experiments.spec_optimize`; the files written
(``pareto.csv``, ``history.csv``, figures, ``report.md``) are in :mod:`experiments.optimize_report`.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.optimize_report import COSTS, FAILED, non_dominated, write_outputs
from experiments.points import STRATEGY_PREFIX
from experiments.spec import ExperimentSpec, load_spec, parse_spec
from experiments.spec_optimize import (
    DIRECTIONS,
    Lever,
    Objective,
    OptimizeConfig,
    optimize_table,
)

__all__ = [
    "DIRECTIONS",
    "Lever",
    "Objective",
    "OptimizeConfig",
    "OptimizeSummary",
    "non_dominated",
    "objective_value",
    "optimize",
    "optimize_table",
    "paired_differences",
]

#: What ``OUT/optimize.json`` holds: the search's settings, compared on resume.
STATE_FILE = "optimize.json"
#: What a search writes in its folder (and ``--overwrite`` deletes).
SEARCH_FILES = (
    "generations",
    "figures",
    "evaluations.csv",
    "pareto.csv",
    "history.csv",
    "report.md",
    STATE_FILE,
)


# ---------------------------------------------------------------------------------- statistics
def paired_differences(runs: pd.DataFrame, arm: str, baseline: str, column: str) -> np.ndarray:
    """``column`` of ``arm`` minus ``baseline``, pair by pair: (design point, replicate) pairs
    where both finished, in (point, replicate) order."""
    ok = runs[(runs["status"] == "ok") & runs["arm"].isin([arm, baseline])]
    wide = ok.pivot_table(
        index=["point_id", "replicate"], columns="arm", values=column, aggfunc="first"
    )
    if arm not in wide or baseline not in wide:
        return np.array([])
    d = (wide[arm] - wide[baseline]).to_numpy(float)
    return d[np.isfinite(d)]


def objective_value(
    d: np.ndarray, statistic: str, confidence: float = 0.95
) -> tuple[float, float, float]:
    """(value, ci_low, ci_high) of a statistic of paired differences ``d``.

    ``mean``: the mean with its t interval. ``qNN``: the NN-th percentile (numpy's linear
    interpolation) with the distribution-free interval between the order statistics
    ``d_(l)`` and ``d_(u)``, ``l`` and ``u`` the binomial(n, NN/100) quantiles at the interval's
    tails (the exact interval of a quantile; NaN ends where n is too small to reach the level).
    NaN for an empty ``d``.
    """
    d = np.sort(np.asarray(d, dtype=float))
    n = len(d)
    if n == 0:
        return math.nan, math.nan, math.nan
    if statistic == "mean":
        from experiments.stats import t_interval

        mean, _, lo, hi = t_interval(d, confidence)
        return mean, lo, hi
    q = int(statistic[1:]) / 100
    value = float(np.quantile(d, q))
    alpha = 1 - confidence
    lo_i = int(stats.binom.ppf(alpha / 2, n, q))  # d_(l) with l = lo_i (1-based) ...
    hi_i = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1  # ... and d_(u)
    lo = float(d[lo_i - 1]) if lo_i >= 1 else math.nan
    hi = float(d[hi_i - 1]) if hi_i <= n else math.nan
    return value, lo, hi


# ---------------------------------------------------------------------------------- the search
@dataclass
class OptimizeSummary:
    """What :func:`optimize` did.

    Attributes:
        out: The output folder.
        evaluations: One row per candidate (levers, objectives with CIs, generation).
        front: The rows of ``evaluations`` on the Pareto front.
        history: Per generation: the hypervolume and the best of each objective.
        ran: Runs executed now (a resume skips what is stored).
        failed: Of those, how many failed.
        files: Files written, by name.
    """

    out: Path
    evaluations: pd.DataFrame
    front: pd.DataFrame
    history: pd.DataFrame
    ran: int = 0
    failed: int = 0
    files: dict[str, Path] = field(default_factory=dict)


def generation_spec(
    spec: ExperimentSpec, config: OptimizeConfig, g: int, candidates: dict[str, dict[str, Any]]
) -> ExperimentSpec:
    """The experiment a generation runs: the baseline and each new candidate as an arm (the
    candidate arm's preset and switches with the lever values), on the spec's scenarios and
    seeds, validated as any spec is."""
    arms = {a.name: a for a in spec.arms}
    base, cand = arms[config.baseline], arms[config.candidate]
    raw = json.loads(json.dumps(spec.raw))
    raw.pop("optimize")
    raw["name"] = f"{spec.name}-g{g:02d}"
    raw["arms"] = {
        base.name: {"strategy": base.preset, **base.switches, "sweep": base.sweep},
        **{
            name: {"strategy": cand.preset, **cand.switches, **values, "sweep": cand.sweep}
            for name, values in candidates.items()
        },
    }
    return parse_spec(raw, source=None)


def _problem(config: OptimizeConfig) -> Any:
    from pymoo.core.problem import Problem

    return Problem(n_var=len(config.levers), n_obj=len(config.objectives), xl=0.0, xu=1.0)


def _algorithm(config: OptimizeConfig) -> Any:
    """NSGA-II, or NSGA-III (Das-Dennis directions, as many as the population allows) for more
    than three objectives, where NSGA-II's crowding distance stops spreading the front."""
    m = len(config.objectives)
    if m <= 3:
        from pymoo.algorithms.moo.nsga2 import NSGA2

        return NSGA2(pop_size=config.pop_size)
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.util.ref_dirs import get_reference_directions

    p = 1
    while math.comb(p + 1 + m - 1, m - 1) <= config.pop_size:
        p += 1
    dirs = get_reference_directions("das-dennis", m, n_partitions=p)
    return NSGA3(ref_dirs=dirs, pop_size=config.pop_size)


def _prepare_out(
    out: Path, spec: ExperimentSpec, config: OptimizeConfig, *, resume: bool, overwrite: bool
) -> None:
    """Refuse a folder of another search (or of anything else) unless told, and record this one."""
    from experiments.store import StoreError, check_out_dir

    check_out_dir(out)
    state = {"spec": spec.fingerprint(), "optimize": config.to_dict()}
    path = out / STATE_FILE
    if path.exists():
        if overwrite:
            # only what a search writes: a folder given by mistake loses nothing else
            for name in SEARCH_FILES:
                target = out / name
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
        elif not resume:
            raise StoreError(
                f"{out} holds a search already; pass --resume to continue it or --overwrite to "
                "start again"
            )
        elif json.loads(path.read_text()) != state:
            raise StoreError(
                f"{out} holds a search of another spec or [optimize] table; resume needs the "
                "same, or pass --overwrite or another --out"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise StoreError(
            f"{out} is not empty and holds no search ({STATE_FILE}); choose a new or empty --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{STATE_FILE}"
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(path)


def optimize(
    spec: ExperimentSpec | str | Path,
    out: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    figures: bool = True,
    stop_after: int | None = None,
    **run_options: Any,
) -> OptimizeSummary:
    """Search the levers of ``spec``'s ``[optimize]`` table and write the front to ``out``.

    Args:
        spec: A spec or the path of a TOML spec with an ``[optimize]`` table.
        out: Output folder: ``generations/gNN`` (each an experiment folder), then
            ``evaluations.csv``, ``pareto.csv``, ``history.csv``, ``figures/`` and ``report.md``.
        resume: Continue a search stored in ``out`` (the same spec and table).
        overwrite: Delete a search stored in ``out`` first.
        progress: Progress bars (per generation and per run).
        figures: Also draw the figures.
        stop_after: Stop after this many generations, as a kill would (for tests).
        **run_options: Passed to :func:`experiments.run` (``executor``, ``workers``, ...).

    Returns:
        The evaluations, the front and the history.

    Raises:
        SpecError: The spec or its ``[optimize]`` table is invalid (before anything runs).
        experiments.store.StoreError: ``out`` holds something else, or a search of another spec.
    """
    from pymoo.core.evaluator import Evaluator
    from pymoo.problems.static import StaticProblem

    from experiments.results import load_results
    from experiments.run import run

    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    config = optimize_table(spec)
    out = Path(out)
    _prepare_out(out, spec, config, resume=resume, overwrite=overwrite)
    problem = _problem(config)
    algorithm = _algorithm(config)
    algorithm.setup(
        problem, termination=("n_gen", config.generations), seed=config.seed, verbose=False
    )
    conf = spec.analysis.confidence
    known: dict[tuple, str] = {}  # lever values -> candidate name
    rows: dict[str, dict[str, Any]] = {}
    ran = failed = 0
    bar = _bar(progress, config.generations, spec.name)
    g = 0
    try:
        while algorithm.has_next() and (stop_after is None or g < stop_after):
            pop = algorithm.ask()
            values = [
                {lv.switch: lv.decode(u) for lv, u in zip(config.levers, x, strict=True)}
                for x in pop.get("X")
            ]
            names, new = [], {}
            for v in values:
                key = tuple(v.items())
                if key not in known:
                    known[key] = f"c{len(known):04d}"
                    new[known[key]] = v
                names.append(known[key])
            if new:
                gdir = out / "generations" / f"g{g:02d}"
                s = run(
                    generation_spec(spec, config, g, new),
                    gdir,
                    resume=True,  # a replayed generation skips the runs it stored
                    progress=progress,
                    **run_options,
                )
                ran, failed = ran + s.ran, failed + s.failed
                runs = load_results(gdir).runs
                for name, v in new.items():
                    rows[name] = _evaluate(runs, name, v, g, config, spec, conf)
            f = np.array([[_minimised(rows[n], o) for o in config.objectives] for n in names])
            Evaluator().eval(StaticProblem(problem, F=f), pop)
            algorithm.tell(infills=pop)
            g += 1
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    evaluations, front, hist, files = write_outputs(
        out, spec, config, pd.DataFrame(list(rows.values())), figures=figures
    )
    return OptimizeSummary(out, evaluations, front, hist, ran=ran, failed=failed, files=files)


def _bar(enabled: bool, total: int, name: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"{name} generations", unit="gen", position=1, leave=True)


def _minimised(row: dict[str, Any], o: Objective) -> float:
    """The value pymoo minimises: the objective, negated to maximise; FAILED if undefined."""
    v = row[o.label]
    if not math.isfinite(v):
        return FAILED
    return -v if o.direction == "max" else v


def _evaluate(
    runs: pd.DataFrame,
    name: str,
    values: dict[str, Any],
    g: int,
    config: OptimizeConfig,
    spec: ExperimentSpec,
    confidence: float,
) -> dict[str, Any]:
    """A candidate's row: its levers, then each objective (and each of :data:`COSTS` the spec
    records that is not an objective, as a mean) with its interval and the pairs it rests on."""
    row: dict[str, Any] = {"candidate": name, "generation": g}
    row.update({STRATEGY_PREFIX + k: v for k, v in values.items()})
    wanted = list(config.objectives)
    for m in COSTS:
        if m in spec.metrics and not any(o.label == f"{m}.mean" for o in wanted):
            wanted.append(Objective(m, direction="min"))
    n = 0
    for o in wanted:
        d = paired_differences(runs, name, config.baseline, o.column)
        row[o.label], row[f"{o.label}_ci_low"], row[f"{o.label}_ci_high"] = objective_value(
            d, o.statistic, confidence
        )
        n = max(n, len(d))
    row["pairs"] = n
    return row
