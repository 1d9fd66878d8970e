"""Closed forms and reference computations the validation compares the engine with.

Nothing here runs the model: these are the theory sides of the checks in docs/validation.md.

* Bond percolation on an Erdos-Renyi layer (Newman 2002): S = 1 - exp(-c p S).
* Deffuant-Weisbuch bounded confidence (Weisbuch et al. 2002): about floor(1 / (2 epsilon))
  major clusters.
* Structural virality (Goel et al. 2016) of a star, 2 (n - 1) / n, and of a chain, (n + 1) / 3,
  and of any cascade tree by brute force, independently of the engine's Wiener-index measure.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq


def percolation_share(c: float, p: float) -> float:
    """The large-outbreak share S > 0 solving S = 1 - exp(-c p S), or 0 when c p <= 1."""
    r = c * p
    if r <= 1.0:
        return 0.0
    return float(brentq(lambda s: s - 1.0 + math.exp(-r * s), 1e-12, 1.0))


def deffuant_staircase(eps: float) -> int:
    """floor(1 / (2 epsilon)), at least one cluster."""
    return max(1, math.floor(1.0 / (2.0 * eps) + 1e-9))


def star_virality(n: int) -> float:
    """Structural virality of a star of n nodes: 2 (n - 1) / n."""
    return 2.0 * (n - 1) / n


def chain_virality(n: int) -> float:
    """Structural virality of a chain of n nodes: (n + 1) / 3."""
    return (n + 1) / 3.0


def brute_force_virality(users: np.ndarray, parents: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean pairwise distance of a cascade tree by breadth-first search from every node.

    The tree is the root (the source, -1) plus one node per user, each under its parent user
    (under the root when the parent is -1 or not in the tree), as in the engine's measure.
    Returns the virality and each node's number of children (root first).
    """
    index = {int(u): i + 1 for i, u in enumerate(users)}
    n = len(users) + 1
    adj: list[list[int]] = [[] for _ in range(n)]
    children = np.zeros(n, dtype=np.int64)
    for u, par in zip(users, parents, strict=True):
        a, b = index[int(u)], index.get(int(par), 0)
        adj[a].append(b)
        adj[b].append(a)
        children[b] += 1
    total = 0
    for src in range(n):
        dist = np.full(n, -1)
        dist[src] = 0
        frontier = [src]
        while frontier:
            nxt = []
            for v in frontier:
                for w in adj[v]:
                    if dist[w] < 0:
                        dist[w] = dist[v] + 1
                        nxt.append(w)
            frontier = nxt
        total += int(dist.sum())
    return total / (n * (n - 1)), children
