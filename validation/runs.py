"""The runs behind docs/validation.md: one canonical preset of :mod:`model.presets` per task.

:func:`tasks` lists every run of the fixed design (:mod:`validation.design`), longest first;
:func:`run_all` runs them serially or on the experiments' process pool
(:func:`experiments.executors.open_executor`) and returns the results grouped by check in task
order, so the report is the same whichever executor ran them and in whatever order they
finished. Each task is a top-level function of (value, seed), picklable for the pool.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from experiments.executors import bounded_map, open_executor
from model.engine import OpinionEcology
from model.measures import (
    cascade_sizes,
    cascade_trees,
    fit_power_law,
    opinion_clusters,
    popularity,
    structural_virality,
)
from model.presets import broadcast, deffuant, independent_cascade, limited_attention
from validation import opinion_rules, sasahara
from validation.design import (
    BC_FORWARD,
    BC_SEEDS,
    BC_USERS,
    DEFFUANT_EPS,
    DEFFUANT_SEEDS,
    DEFFUANT_TESTED,
    IC_DEGREE,
    IC_P,
    IC_SEEDS,
    IC_TESTED,
    IC_USERS,
    LA_BORN,
    LA_MU,
    LA_SEEDS,
    LA_TESTED_MU,
    TREE_CHECK_NODES,
)
from validation.spread_rules import tasks as spread_tasks
from validation.theory import brute_force_virality, star_virality

Task = tuple[str, Callable[..., dict[str, Any]], tuple]


def deffuant_run(eps: float, seed: int) -> dict[str, Any]:
    """Major clusters and mean drift of one Deffuant-Weisbuch run."""
    m = OpinionEcology(deffuant(eps), seed=seed)
    before = float(m.state.opinion.mean())
    m.run()
    return {
        "eps": eps,
        "seed": seed,
        "clusters": opinion_clusters(m),
        "drift": abs(float(m.state.opinion.mean()) - before),
        "steps": m.steps,
        "stopped": not m.running and m.steps < m.params.steps,
    }


def cascade_run(p: float, seed: int) -> dict[str, Any]:
    """Share of users one independent cascade reached."""
    m = OpinionEcology(independent_cascade(p, IC_DEGREE, IC_USERS), seed=seed)
    m.run()
    sizes = cascade_sizes(m)
    return {
        "p": p,
        "seed": seed,
        "share": float(sizes.sum()) / IC_USERS,
        "steps": m.steps,
        "stopped": not m.running and m.steps < m.params.steps,
    }


def attention_run(mu: float, seed: int, follow_model: str) -> dict[str, Any]:
    """Popularity of the items of one limited-attention run, with its power-law fit."""
    m = OpinionEcology(limited_attention(mu).replace(follow_model=follow_model), seed=seed)
    m.run()
    x = popularity(m, born=LA_BORN)
    return {"mu": mu, "seed": seed, "follow": follow_model, "pop": x, **fit_power_law(x)}


def broadcast_run(forward_p: float, seed: int) -> dict[str, Any]:
    """Structural virality of every focal item of one broadcast run."""
    m = OpinionEcology(broadcast(BC_USERS, forward_p=forward_p), seed=seed)
    m.run()
    sv = structural_virality(m)
    nodes = cascade_sizes(m).to_numpy() + 1
    return {
        "forward_p": forward_p,
        "seed": seed,
        "virality": sv.to_numpy(),
        "star_exact": bool(np.array_equal(sv.to_numpy(), [star_virality(int(k)) for k in nodes])),
        "stopped": not m.running and m.steps < m.params.steps,
    }


def trees_run(seed: int) -> dict[str, Any]:
    """The engine's virality of every small tree of a real run beside brute force."""
    params = limited_attention(0.2, n_users=2000).replace(record_cascades="all", steps=40)
    m = OpinionEcology(params, seed=seed)
    m.run()
    engine = structural_virality(m)
    trees = cascade_trees(m)
    pairs, chains, stars, others = [], [], [], 0
    for item, g in trees.groupby("item", sort=True):
        if len(g) + 1 > TREE_CHECK_NODES:
            continue
        bf, children = brute_force_virality(g["user"].to_numpy(), g["parent"].to_numpy())
        n = len(g) + 1
        ev = float(engine[item])
        pairs.append((n, bf, ev))
        if n >= 4 and children.max() <= 1:
            chains.append((n, ev))
        elif n >= 4 and children[0] == n - 1:
            stars.append((n, ev))
        else:
            others += 1
    return {
        "seed": seed,
        "n_trees": int(engine.notna().sum()),
        "pairs": np.array(pairs, dtype=np.float64).reshape(-1, 3),
        "chains": chains,
        "stars": stars,
        "others": others,
    }


def tasks() -> list[Task]:
    """Every run of the report: (check, function, arguments), longest first."""
    out: list[Task] = []
    for mu in LA_MU:
        seeds = LA_SEEDS if mu == LA_TESTED_MU else 1
        out += [("attention", attention_run, (mu, s, "powerlaw")) for s in range(seeds)]
    out.append(("attention", attention_run, (LA_TESTED_MU, 0, "erdos_renyi")))
    out.append(("trees", trees_run, (0,)))
    for eps in DEFFUANT_EPS:
        seeds = DEFFUANT_TESTED.get(eps, DEFFUANT_SEEDS)
        out += [("deffuant", deffuant_run, (eps, s)) for s in range(seeds)]
    for p in IC_P:
        out += [("cascade", cascade_run, (p, s)) for s in range(max(IC_SEEDS, IC_TESTED.get(p, 0)))]
    for fp in BC_FORWARD:
        out += [("broadcast", broadcast_run, (fp, s)) for s in range(BC_SEEDS)]
    return out + opinion_rules.tasks() + spread_tasks() + sasahara.tasks()


def _run_task(item: tuple[int, Task]) -> tuple[int, dict[str, Any]]:
    """Run one numbered task and time it (a pool task: top level, so it pickles)."""
    i, (_, fn, args) = item
    t0 = time.perf_counter()
    out = fn(*args)
    out["seconds"] = time.perf_counter() - t0
    return i, out


def run_all(jobs: int) -> dict[str, list[dict[str, Any]]]:
    """Run every task (in a pool of ``jobs`` processes when jobs > 1), grouped by check.

    Results come back in completion order; they are put back in task order, so the groups,
    and the report, do not depend on ``jobs``.
    """
    todo = list(enumerate(tasks()))
    kind, workers = ("serial", None) if jobs <= 1 else ("process", jobs)
    with open_executor(kind, workers=workers) as ex:
        done = dict(bounded_map(ex.executor, _run_task, todo, window=2 * ex.workers))
    results: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i, (check, _, _) in todo:
        results[check].append(done[i])
    return results
