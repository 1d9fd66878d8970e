"""The users the network view draws: a snowball sample of the acquaintance layer, laid out once.

The sample and its spring layout are computed once per model (cached weakly by the model) from
a generator of their own, so the viewer never consumes the model's random streams.
:func:`active_cascade_edges` picks the recent cascade hops among the sampled users.
"""

from __future__ import annotations

import dataclasses
import weakref

import numpy as np

from model import OpinionEcology

#: Most users drawn in the network view.
SAMPLE_SIZE = 300
#: Steps back in time whose cascade hops count as active in the network view.
CASCADE_WINDOW = 6


@dataclasses.dataclass
class NetworkSample:
    """A sample of users, their acquaintance ties and fixed positions (computed once per model)."""

    users: np.ndarray
    edges: np.ndarray  # (k, 2) row indices into users
    pos: np.ndarray  # (len(users), 2)
    index: np.ndarray  # user id -> row in users, or -1


_SAMPLES: weakref.WeakKeyDictionary[OpinionEcology, NetworkSample] = weakref.WeakKeyDictionary()


def _snowball(model: OpinionEcology, size: int, rng: np.random.Generator) -> np.ndarray:
    """Users in breadth-first order from random starts over the acquaintance layer."""
    n = model.n_users
    size = min(size, n)
    acq = model.networks.acq
    seen = np.zeros(n, dtype=bool)
    chosen: list[np.ndarray] = []
    total = 0
    while total < size:
        start = int(rng.choice(np.flatnonzero(~seen)))
        seen[start] = True
        frontier = np.array([start], dtype=np.int64)
        while len(frontier) and total < size:
            take = frontier[: size - total]
            chosen.append(take)
            total += len(take)
            _, nb = acq.expand(frontier)
            nb = np.unique(nb)
            nb = nb[~seen[nb]]
            rng.shuffle(nb)
            seen[nb] = True
            frontier = nb
    return np.concatenate(chosen)


def network_sample(model: OpinionEcology, size: int = SAMPLE_SIZE) -> NetworkSample:
    """The users the network view draws and their positions, cached per model.

    The sample and the spring layout draw from their own generator seeded by the model's seed,
    so the viewer never consumes the model's random streams. The layout runs once per model:
    steps only recolour and resize the nodes.
    """
    cached = _SAMPLES.get(model)
    if cached is not None:
        return cached
    import networkx as nx

    rng = np.random.default_rng([model.seed, 5])
    users = _snowball(model, size, rng)
    g = model.networks.sample_graph(users)
    pos_d = nx.spring_layout(g, seed=int(rng.integers(2**31)), iterations=50)
    index = np.full(model.n_users, -1, dtype=np.int64)
    index[users] = np.arange(len(users))
    pos = np.array([pos_d[int(u)] for u in users], dtype=float).reshape(-1, 2)
    edges = np.array([(index[a], index[b]) for a, b in g.edges()], dtype=np.int64).reshape(-1, 2)
    sample = NetworkSample(users=users, edges=edges, pos=pos, index=index)
    _SAMPLES[model] = sample
    return sample


def active_cascade_edges(
    model: OpinionEcology, sample: NetworkSample, window: int = CASCADE_WINDOW
) -> np.ndarray:
    """Cascade hops (sharer -> viewer) among the sample in the last ``window`` steps.

    A hop is a first view of a recorded item that came through another user's forward or post
    (the view log's parent), i.e. an edge of a cascade tree (``model.measures.cascade_trees``).
    Returns (k, 2) row indices into ``sample.users``.
    """
    log = model.view_log
    if len(log) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    steps = log["step"]
    first = int(np.searchsorted(steps, model.steps - window + 1, side="left"))
    parent = log["parent"][first:].astype(np.int64)
    user = log["user"][first:].astype(np.int64)
    ok = parent >= 0
    parent, user = parent[ok], user[ok]
    a, b = sample.index[parent], sample.index[user]
    inside = (a >= 0) & (b >= 0)
    return np.unique(np.stack([a[inside], b[inside]], axis=1), axis=0)
