"""Benchmarks of the model (``make bench``; never part of ``make test``).

* user-steps per second of the default interactive model at 10^4, 10^5 and 10^6 users;
* model build time at each size;
* peak memory per user (resident set of a fresh process, minus the interpreter with imports);
* the largest population tried (``OE_BENCH_MAX_USERS``, default 10^6; 10^7 is the upper
  bound of ``n_users``, about 10 GB and 11 minutes here): build and one simulated day (24 steps) in a fresh process, with the
  bytes per user of each part of the model (``OpinionEcology.memory_bytes()``);
* the idiomatic Mesa baseline at the same sizes: one agent object per user on Mesa's Network
  space, ``shuffle_do``, each agent doing one bounded-confidence update with a random
  neighbour; and, as a harder reference, the same loop with neighbour lists cached.

Figures go into ``benchmark.extra_info`` (shown with ``--benchmark-verbose`` and saved with
``--benchmark-json``); docs/performance.md records a run on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import mesa
import networkx as nx
import pytest
from mesa.discrete_space import CellAgent, Network

from model import OpinionEcology

SIZES = [10_000, 100_000, 1_000_000]
STEPS = {10_000: 50, 100_000: 20, 1_000_000: 10}


@pytest.mark.parametrize("n", SIZES)
def test_build(benchmark, n):
    m = benchmark.pedantic(
        lambda: OpinionEcology(seed=1, n_users=n, strategy="interactive"), rounds=1, iterations=1
    )
    benchmark.extra_info["users"] = n
    benchmark.extra_info["model_MB"] = sum(m.memory_bytes().values()) / 1e6


@pytest.mark.parametrize("n", SIZES)
def test_step_rate(benchmark, n):
    """Warm up a day so screens and cascades are in steady state, then time STEPS[n] steps."""
    m = OpinionEcology(seed=1, n_users=n, strategy="interactive", steps=10**6)
    m.run(24)
    k = STEPS[n]
    benchmark.pedantic(lambda: m.run(k), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        users=n, steps=k, seconds_per_step=seconds / k, user_steps_per_s=n * k / seconds
    )


class NetworkUser(CellAgent):
    """The idiomatic Mesa way (as in mesa.examples virus_on_network): one agent per user on
    Mesa's Network space, neighbours from ``cell.neighborhood``, a Python step per agent."""

    def __init__(self, model, cell, opinion):
        super().__init__(model)
        self.cell = cell
        self.opinion = opinion
        self.epsilon = 0.4

    def step(self):
        other = self.random.choice(list(self.cell.neighborhood.agents))
        d = other.opinion - self.opinion
        if abs(d) < self.epsilon:
            self.opinion += 0.3 * d
            other.opinion -= 0.3 * d


class NetworkModel(mesa.Model):
    def __init__(self, n, rng=1):
        super().__init__(rng=rng)
        graph = nx.watts_strogatz_graph(n, 10, 0.1, seed=rng)
        self.grid = Network(graph, capacity=1, random=self.random, layout=None)
        ops = self.rng.uniform(-1, 1, n)
        for i, cell in enumerate(self.grid.all_cells):
            NetworkUser(self, cell, float(ops[i]))

    def step(self):
        self.agents.shuffle_do("step")


class ListUser(mesa.Agent):
    """A hand-tuned Python loop: the same update with neighbour lists cached on the agent."""

    def __init__(self, model, opinion):
        super().__init__(model)
        self.opinion = opinion
        self.epsilon = 0.4
        self.neighbours: list[ListUser] = []

    def step(self):
        other = self.random.choice(self.neighbours)
        d = other.opinion - self.opinion
        if abs(d) < self.epsilon:
            self.opinion += 0.3 * d
            other.opinion -= 0.3 * d


class ListModel(mesa.Model):
    def __init__(self, n, rng=1):
        super().__init__(rng=rng)
        ops = self.rng.uniform(-1, 1, n)
        users = [ListUser(self, float(o)) for o in ops]
        for i, u in enumerate(users):  # a ring with 5 neighbours each side
            u.neighbours = [users[(i + j) % n] for j in (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)]

    def step(self):
        self.agents.shuffle_do("step")


@pytest.mark.parametrize("n", [10_000, 100_000])
@pytest.mark.parametrize("kind", ["mesa_network", "python_lists"])
def test_mesa_baseline_rate(benchmark, kind, n):
    """One bounded-confidence update with a random neighbour per agent per step (the
    idiomatic Mesa baseline), against which the full model's user-steps per second compare."""
    m = NetworkModel(n) if kind == "mesa_network" else ListModel(n)
    k = 3
    benchmark.pedantic(lambda: [m.step() for _ in range(k)], rounds=1, iterations=1)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info.update(users=n, steps=k, user_steps_per_s=n * k / seconds)


_MEMORY_PROBE = textwrap.dedent(
    """
    import json, sys, time

    def hwm():  # peak resident set of this process (ru_maxrss would include the parent's)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

    from model import OpinionEcology
    import mesa, numpy, pandas, scipy.stats
    base = hwm()
    n, steps = int(sys.argv[1]), int(sys.argv[2])
    t0 = time.perf_counter()
    m = OpinionEcology(seed=1, n_users=n, strategy="interactive", steps=10**6)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    m.run(steps)
    run = time.perf_counter() - t0
    print(json.dumps({"base": base, "peak": hwm(), "build_s": build, "run_s": run,
                      "parts": m.memory_bytes()}))
    """
)


def memory_probe(n: int, steps: int) -> dict:
    """Build ``n`` users and run ``steps`` steps in a fresh interpreter; its own figures."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(n), str(steps)], capture_output=True, text=True
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines() or [f"exit status {out.returncode}"]
        raise RuntimeError(f"the memory probe at {n:,} users failed: {lines[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("n", "steps"), [(100_000, 100), (1_000_000, 100)])
def test_peak_memory_per_user(benchmark, n, steps):
    """A fresh process builds the model and runs ``steps`` steps; its peak RSS is the figure."""

    r = benchmark.pedantic(memory_probe, args=(n, steps), rounds=1, iterations=1)
    benchmark.extra_info.update(
        users=n,
        steps=steps,
        build_s=r["build_s"],
        run_s=r["run_s"],
        peak_MB=r["peak"] / 1e6,
        bytes_per_user=(r["peak"] - r["base"]) / n,
        parts_MB={k: v / 1e6 for k, v in r["parts"].items()},
    )
    assert r["peak"] > r["base"] > 0


def max_users() -> int:
    """The population of the largest-population benchmark, from ``OE_BENCH_MAX_USERS``."""
    raw = os.environ.get("OE_BENCH_MAX_USERS", "1000000")
    try:
        x = float(raw)  # 5e6 reads as well as 5000000
    except ValueError:
        x = 0.0
    if not (x.is_integer() and x >= 2):
        raise ValueError(
            f"OE_BENCH_MAX_USERS must be a whole number of users >= 2 (e.g. 5000000 or 5e6), "
            f"got {raw!r}"
        )
    return int(x)


def test_largest_population(benchmark):
    """The largest population tried builds and runs one simulated day (24 steps) in a fresh
    process. ``bytes_per_user`` is the peak resident set above the interpreter with its imports;
    ``part_bytes_per_user`` splits the model's own arrays by part after the day, and
    ``other_bytes_per_user`` is the rest (the Mesa agent objects, temporaries)."""
    n, steps = max_users(), 24
    r = benchmark.pedantic(memory_probe, args=(n, steps), rounds=1, iterations=1)
    per_user = (r["peak"] - r["base"]) / n
    parts = {k: v / n for k, v in r["parts"].items()}
    benchmark.extra_info.update(
        users=n,
        steps=steps,
        build_s=r["build_s"],
        day_s=r["run_s"],
        s_per_step=r["run_s"] / steps,
        peak_MB=r["peak"] / 1e6,
        bytes_per_user=per_user,
        part_bytes_per_user=parts,
        other_bytes_per_user=per_user - sum(parts.values()),
    )
    assert r["peak"] > r["base"] > 0


def test_sparse_step_against_busy_step(benchmark):
    """Cost follows activity: at 10^5 users, a step with about 1% of users active (activity
    scaled by 0.05) against a default step (about 17% active), both timed in this run after a
    one-day warm-up. ``ratio`` is sparse / busy seconds per step."""
    n, k = 100_000, 10

    def per_step(scale: float) -> tuple[float, float]:
        m = OpinionEcology(
            seed=1, n_users=n, strategy="interactive", steps=10**6, activity_scale=scale
        )
        m.run(24)
        t0 = time.perf_counter()
        m.run(k)
        active = float((m.state.last_active == m.steps - 1).mean())
        return (time.perf_counter() - t0) / k, active

    busy, busy_active = per_step(1.0)
    sparse, sparse_active = benchmark.pedantic(lambda: per_step(0.05), rounds=1, iterations=1)
    benchmark.extra_info.update(
        users=n,
        busy_s_per_step=busy,
        busy_active_share=busy_active,
        sparse_s_per_step=sparse,
        sparse_active_share=sparse_active,
        ratio=sparse / busy,
    )


def test_deffuant_fixed_work_against_mesa(benchmark):
    """Deffuant at 10^5 users, 100 encounters per agent: the engine's preset (20 random
    matchings per step, so 5 steps) against the idiomatic Mesa model (one encounter per agent per
    ``shuffle_do`` step), whose rate is timed over 3 steps in the same run and scaled to 100
    encounters. ``speedup`` is Mesa seconds / engine seconds for the same number of encounters."""
    from model import presets

    n = 100_000
    mesa_model = NetworkModel(n)
    t0 = time.perf_counter()
    for _ in range(3):
        mesa_model.step()
    mesa_per_encounter = (time.perf_counter() - t0) / (3 * n)

    def engine() -> float:
        p = presets.deffuant(epsilon=0.2, n_users=n).replace(stop_when="horizon", steps=5)
        m = OpinionEcology(p, seed=1)
        t = time.perf_counter()
        m.run()
        return time.perf_counter() - t

    seconds = benchmark.pedantic(engine, rounds=1, iterations=1)
    encounters = 100 * n
    benchmark.extra_info.update(
        users=n,
        engine_s=seconds,
        mesa_s_scaled=mesa_per_encounter * encounters,
        speedup=mesa_per_encounter * encounters / seconds,
    )
