"""The two social layers, built with numpy into compressed sparse rows (CSR).

* Acquaintance layer (WeChat-like): undirected Watts-Strogatz small world (Watts & Strogatz
  1998) on a ring ordered by generation, so that ties are homophilous and clustered; strong ties.
* Follow layer (Weibo/Douyin-like): directed; each user follows about ``follow_degree`` accounts
  chosen with probability proportional to a Pareto fitness, which gives a heavy-tailed in-degree
  with exponent ``follow_exponent`` (Chung & Lu 2002); or Erdos-Renyi for the independent-cascade
  reduction.

Both layers are vectorised: 10^6 users build in seconds. networkx is used only to hand a small
sample to the viewer (:meth:`Networks.sample_graph`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CSR:
    """A sparse adjacency in compressed rows: the neighbours of i are indices[indptr[i]:indptr[i+1]]."""

    indptr: np.ndarray
    indices: np.ndarray

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def n_edges(self) -> int:
        return int(self.indptr[-1])

    def row(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def expand(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (position in rows, neighbour) pairs for the given rows, vectorised."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.indptr[rows]
        counts = self.indptr[rows + 1] - starts
        total = int(counts.sum())
        owner = np.repeat(np.arange(len(rows)), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        return owner, self.indices[np.repeat(starts, counts) + offsets]

    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes

    def row_owner(self) -> np.ndarray:
        """The row of every stored entry (cached): entry e is the edge (row_owner[e], indices[e])."""
        if getattr(self, "_owner", None) is None:
            self._owner = np.repeat(np.arange(self.n, dtype=np.int32), self.degree)
        return self._owner


def csr_from_edges(src: np.ndarray, dst: np.ndarray, n: int) -> CSR:
    """Rows by src, deduplicated, without self-loops."""
    keep = src != dst
    key = src[keep].astype(np.int64) * n + dst[keep]
    key.sort()  # a plain sort and a neighbour test: much faster than np.unique's hash path
    if len(key):
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    s = (key // n).astype(np.int64)
    d = (key % n).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    return CSR(indptr, d)


def acquaintance_layer(
    gen: np.ndarray, degree: int, rewire: float, homophily: float, rng: np.random.Generator
) -> CSR:
    """Undirected small world on a ring ordered by generation (homophily), as symmetric CSR.

    A share ``homophily`` of users sit in their generation's block of the ring; the rest are
    scattered at random, so their ring neighbours are of any generation. Each user links to the
    ``degree/2`` next users on the ring; each link's far end is rewired to a uniform random user
    with probability ``rewire`` (Watts & Strogatz 1998).
    """
    n = len(gen)
    if degree <= 0 or n < 2:
        return CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    half = max(1, min(degree // 2, (n - 1) // 2 or 1))
    placed = rng.random(n) < homophily
    key = np.where(placed, gen.astype(np.float64), rng.random(n) * 4.0) + rng.random(n) * 1e-3
    order = np.argsort(key, kind="stable")
    src = np.repeat(order, half)
    pos = np.repeat(np.arange(n), half)
    step = np.tile(np.arange(1, half + 1), n)
    dst = order[(pos + step) % n]
    flip = rng.random(len(dst)) < rewire
    dst = np.where(flip, rng.integers(0, n, size=len(dst)), dst)
    return csr_from_edges(np.concatenate([src, dst]), np.concatenate([dst, src]), n)


def follow_layer(
    n: int, model: str, mean_degree: float, exponent: float, rng: np.random.Generator
) -> CSR:
    """Directed follow layer, as the followers of each account (what delivery reads)."""
    if model == "complete" and n >= 2:
        if n > 20_000:
            raise ValueError(f"follow_model='complete' has n (n - 1) ties; n_users={n} > 20000")
        # everyone follows everyone: complete mixing (Granovetter 1978), n (n - 1) ties
        every = np.arange(n, dtype=np.int64)
        return csr_from_edges(np.repeat(every, n), np.tile(every, n), n)
    if model == "none" or mean_degree <= 0 or n < 2:
        return CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    if model == "erdos_renyi_undirected":
        # z n / 2 random pairs, each tie mutual: an undirected Erdos-Renyi graph of mean degree z
        # (Watts 2002); the rare repeated pairs collapse
        m = int(rng.poisson(mean_degree * n / 2.0))
        a, b = rng.integers(0, n, size=m), rng.integers(0, n, size=m)
        return csr_from_edges(np.concatenate([a, b]), np.concatenate([b, a]), n)
    m = int(rng.poisson(mean_degree * n))
    src = rng.integers(0, n, size=m)
    if model == "erdos_renyi":
        dst = rng.integers(0, n, size=m)
    else:
        # Chung-Lu: target chosen with probability proportional to fitness w ~ Pareto(gamma - 1),
        # so the expected in-degree is proportional to w and P(k_in) ~ k^-gamma.
        # The m targets are m independent draws; their counts per account are multinomial,
        # which is O(n) to draw, then shuffled against the random followers.
        fitness = rng.pareto(exponent - 1.0, size=n) + 1.0
        counts = rng.multinomial(m, fitness / fitness.sum())
        dst = np.repeat(np.arange(n, dtype=np.int64), counts)
        rng.shuffle(dst)
    return csr_from_edges(dst, src, n)


@dataclass
class Networks:
    """Both layers of one population: acquaintances (symmetric) and followers by account."""

    acq: CSR
    followers: CSR

    def acquaintances(self, i: int) -> np.ndarray:
        return self.acq.row(i)

    def audience(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Who sees what ``users`` share: acquaintances and followers (position, recipient)."""
        o1, r1 = self.acq.expand(users)
        o2, r2 = self.followers.expand(users)
        return np.concatenate([o1, o2]), np.concatenate([r1, r2])

    def nbytes(self) -> int:
        return self.acq.nbytes() + self.followers.nbytes()

    def sample_graph(self, users: np.ndarray):
        """The acquaintance ties among ``users`` as a networkx Graph (for the viewer)."""
        import networkx as nx

        users = np.asarray(users)
        g = nx.Graph()
        g.add_nodes_from(int(u) for u in users)
        owner, nb = self.acq.expand(users)
        inside = np.isin(nb, users)
        g.add_edges_from(zip(users[owner[inside]].tolist(), nb[inside].tolist(), strict=True))
        return g


def build_networks(gen: np.ndarray, params, rng: np.random.Generator) -> Networks:
    """Both layers from the parameters, drawn from the population-and-networks stream.

    A layer named by a file (``params.acquaintance_edges``, ``params.follow_edges``) is read
    (model/edgelists.py) instead of drawn, and draws nothing, so the other layer's draws differ
    from those of a fully generated population; ``n_users`` must equal the files' users. A file
    row ``source,target`` is a follow of target by source: the layer stores followers by account.
    """
    from model import edgelists

    n = len(gen)
    acq_path = getattr(params, "acquaintance_edges", "")
    follow_path = getattr(params, "follow_edges", "")
    loaded = edgelists.load_for_model(acq_path, follow_path) if acq_path or follow_path else None
    if loaded is not None:
        loaded.check_users(n)
    if loaded is not None and acq_path:
        a = loaded.layers["acquaintance_edges"]
        acq = csr_from_edges(
            np.concatenate([a.source, a.target]), np.concatenate([a.target, a.source]), n
        )
        loaded.warn_dropped("acquaintance_edges", acq.n_edges // 2)
    else:
        acq = acquaintance_layer(
            gen, params.acq_degree, params.acq_rewire, params.acq_homophily, rng
        )
    if loaded is not None and follow_path:
        f = loaded.layers["follow_edges"]
        followers = csr_from_edges(f.target, f.source, n)
        loaded.warn_dropped("follow_edges", followers.n_edges)
    else:
        followers = follow_layer(
            n, params.follow_model, params.follow_degree, params.follow_exponent, rng
        )
    return Networks(acq, followers)
