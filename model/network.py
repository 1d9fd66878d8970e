"""The two social layers, built with numpy into compressed sparse rows (CSR).

* Acquaintance layer (WeChat-like): undirected Watts-Strogatz small world (Watts & Strogatz
  1998) on a ring ordered by generation, so that ties are homophilous and clustered; strong ties.
* Follow layer (Weibo/Douyin-like): directed; each user follows about ``follow_degree`` accounts
  chosen with probability proportional to a Pareto fitness, which gives a heavy-tailed in-degree
  with exponent ``follow_exponent`` (Chung & Lu 2002); or Erdos-Renyi for the independent-cascade
  reduction.

Both layers are vectorised: 10^6 users build in seconds. networkx is used only to hand a small
sample to the viewer (:meth:`Networks.sample_graph`).

The follow layer is static unless a rule changes who follows whom (``user_follow``,
docs/ODD.md 7.19): the rule then swaps the CSR for a :class:`FollowLayer`, rows in one growable
pool that take edits in place; delivery reads either through ``spans()``. The file is over 400
lines because the dynamic layer and its kernels sit beside the CSR whose interface they keep
(delivery, the spreading rules and the viewer read both alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.jit import njit


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

    def spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, pool): row i is pool[start[i]:end[i]] (views of indptr, no copy)."""
        return self.indptr[:-1], self.indptr[1:], self.indices


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


#: A full pool grows by this factor; a row that overflows moves to the end of the pool with
#: room for twice its size (amortised O(1) per added edge).
_GROW = 1.5
#: The pool is compacted when the space left behind by moved rows exceeds this share of it.
_GARBAGE_SHARE = 0.25


def _room(size: np.ndarray) -> np.ndarray:
    """Room a row gets when the pool is laid out: its size plus an eighth plus one, so that
    most follows fit in place without moving the row (measured: docs/performance.md)."""
    return size + size // 8 + 1


class FollowLayer:
    """A follow layer that changes: each account's followers as a row of one growable pool.

    Row i is ``pool[start[i]:end[i]]``, with room for ``cap[i]`` entries from ``start[i]``.
    Adding a follower writes into the room, or moves the row to the end of the pool with room
    for twice its size; removing one swaps it with the row's last entry (rows are unordered
    sets). The space a moved row leaves is garbage; when it exceeds a quarter of the pool the
    pool is laid out again (rows in account order, each with room for its size plus an eighth
    plus one, :func:`_room`). So memory stays within a constant factor of the edges, an edit
    costs O(the account's followers) to find the entry plus amortised O(1) to store it, and
    delivery reads the current rows through :meth:`spans` with no rebuild.

    Per user 24 bytes (row start and end, int64; row capacity and followee count, int32),
    against the static CSR's 8; per edge 4 bytes times the pool's slack (docs/performance.md).

    Args:
        csr: The layer at build (followers by account); copied, not shared.
    """

    def __init__(self, csr: CSR) -> None:
        # [used, garbage]: pool entries handed out, and those left behind by moved rows
        self.meta = np.zeros(2, dtype=np.int64)
        self._lay_out(csr.indptr[:-1], csr.indptr[1:], csr.indices)
        # followees per user (out-degree), for the followee cap
        self.out_degree = np.bincount(csr.indices, minlength=csr.n).astype(np.int32)
        self._csr: CSR | None = csr

    def _lay_out(self, start: np.ndarray, end: np.ndarray, pool: np.ndarray) -> None:
        """Rows start..end of ``pool`` copied in account order, each with :func:`_room`."""
        size = end - start
        room = _room(size)
        at = np.zeros(len(size) + 1, dtype=np.int64)
        np.cumsum(room, out=at[1:])
        total = int(size.sum())
        src = np.repeat(start, size) + np.arange(total) - np.repeat(np.cumsum(size) - size, size)
        dst = np.repeat(at[:-1], size) + np.arange(total) - np.repeat(np.cumsum(size) - size, size)
        new = np.full(int(at[-1]), -1, dtype=np.int32)
        new[dst] = pool[src]
        self.start = at[:-1].copy()
        self.end = self.start + size
        self.cap = room.astype(np.int32)
        self.pool = new
        self.meta[:] = (len(new), 0)

    @property
    def n(self) -> int:
        return len(self.start)

    @property
    def degree(self) -> np.ndarray:
        """Followers per account (int64)."""
        return self.end - self.start

    @property
    def n_edges(self) -> int:
        return int((self.end - self.start).sum())

    def spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, pool): account i's followers are pool[start[i]:end[i]]."""
        return self.start, self.end, self.pool

    def csr(self) -> CSR:
        """The current layer as a CSR (rows in their pool order), rebuilt only after an edit."""
        if self._csr is None:
            self._csr = _pack(self.start, self.end, self.pool)
        return self._csr

    # the CSR interface, for readers that walk rows by indptr (the spreading rules, tests)
    @property
    def indptr(self) -> np.ndarray:
        return self.csr().indptr

    @property
    def indices(self) -> np.ndarray:
        return self.csr().indices

    def row(self, i: int) -> np.ndarray:
        return self.pool[self.start[i] : self.end[i]]

    def expand(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (position in rows, follower) pairs for the given rows, vectorised."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.start[rows]
        counts = self.end[rows] - starts
        total = int(counts.sum())
        owner = np.repeat(np.arange(len(rows)), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        return owner, self.pool[np.repeat(starts, counts) + offsets]

    def row_owner(self) -> np.ndarray:
        return self.csr().row_owner()

    def nbytes(self) -> int:
        """Bytes held: the row bounds, the pool and the followee counts (not the cached CSR)."""
        return (
            self.start.nbytes
            + self.end.nbytes
            + self.cap.nbytes
            + self.pool.nbytes
            + self.out_degree.nbytes
        )

    def follows(self, follower: int, account: int) -> bool:
        """Whether ``follower`` follows ``account`` (a scan of the account's row)."""
        return bool(_find(self.start, self.end, self.pool, account, follower) >= 0)

    def apply(
        self,
        kind: np.ndarray,
        follower: np.ndarray,
        account: np.ndarray,
        cap: int,
    ) -> np.ndarray:
        """Apply edits in order: kind 1 adds ``follower`` to ``account``'s followers (unless it
        already follows, is the account, or follows ``cap`` accounts), kind -1 removes it
        (unless it does not follow). Returns which edits took effect.

        Raises:
            ValueError: Arrays of different lengths, or an account or follower out of range.
        """
        kind = np.asarray(kind, dtype=np.int8)
        follower = np.asarray(follower, dtype=np.int64)
        account = np.asarray(account, dtype=np.int64)
        if not (len(kind) == len(follower) == len(account)):
            raise ValueError(
                f"edits need one kind, follower and account each; got {len(kind)}, "
                f"{len(follower)}, {len(account)}"
            )
        done = np.zeros(len(kind), dtype=np.bool_)
        if len(kind) == 0:
            return done
        n = self.n
        for name, a in (("follower", follower), ("account", account)):
            if a.min() < 0 or a.max() >= n:
                raise ValueError(f"a {name} id is out of range; allowed 0 to {n - 1}")
        j = 0
        while j < len(kind):
            j = _apply_edits(
                kind, follower, account, j, self.start, self.end, self.cap, self.pool,
                self.meta, self.out_degree, cap, done,
            )  # fmt: skip
            if j < len(kind):
                # the pool is full: grow it (amortised O(1) per edge) and go on
                # filled, not empty: unused room must not carry arbitrary bytes into a
                # snapshot (a saved and a continued model hold the same pool)
                grown = np.full(max(16, int(_GROW * len(self.pool))), -1, dtype=np.int32)
                grown[: len(self.pool)] = self.pool
                self.pool = grown
        if done.any():
            self._csr = None
            if self.meta[1] > _GARBAGE_SHARE * self.meta[0]:
                self.compact()
        return done

    def compact(self) -> None:
        """Lay the rows out again in account order (:func:`_room`), leaving no garbage."""
        self._lay_out(self.start, self.end, self.pool)


def _pack(start: np.ndarray, end: np.ndarray, pool: np.ndarray) -> CSR:
    """The rows start..end of ``pool`` as a CSR (O(edges + accounts))."""
    count = end - start
    indptr = np.zeros(len(start) + 1, dtype=np.int64)
    np.cumsum(count, out=indptr[1:])
    total = int(indptr[-1])
    offsets = np.arange(total) - np.repeat(indptr[:-1], count)
    return CSR(indptr, pool[np.repeat(start, count) + offsets].astype(np.int32))


@njit
def _find(start, end, pool, account, follower):
    """Position of ``follower`` in ``account``'s row, -1 if absent."""
    for e in range(start[account], end[account]):
        if pool[e] == follower:
            return e
    return -1


@njit
def _apply_edits(kind, follower, account, j0, start, end, cap, pool, meta, out_degree, limit, done):
    """Apply edits j0, j0+1, ... in order (see :meth:`FollowLayer.apply`); return the index of
    the first edit not applied because the pool is full (len(kind) when all were)."""
    for j in range(j0, kind.shape[0]):
        a, f = account[j], follower[j]
        if kind[j] < 0:
            e = _find(start, end, pool, a, f)
            if e >= 0:
                # swap with the row's last entry: a row is a set
                pool[e] = pool[end[a] - 1]
                end[a] -= 1
                out_degree[f] -= 1
                done[j] = True
            continue
        if a == f or out_degree[f] >= limit or _find(start, end, pool, a, f) >= 0:
            continue
        size = end[a] - start[a]
        if size >= cap[a]:
            # the row is full: move it to the end of the pool with twice the room
            room = max(4, 2 * size)
            if meta[0] + room > pool.shape[0]:
                return j
            new = meta[0]
            for e in range(size):
                pool[new + e] = pool[start[a] + e]
            meta[1] += cap[a]
            start[a] = new
            end[a] = new + size
            cap[a] = room
            meta[0] += room
        pool[end[a]] = f
        end[a] += 1
        out_degree[f] += 1
        done[j] = True
    return kind.shape[0]


@dataclass
class Networks:
    """Both layers of one population: acquaintances (symmetric) and followers by account."""

    acq: CSR
    followers: CSR | FollowLayer

    def acquaintances(self, i: int) -> np.ndarray:
        return self.acq.row(i)

    def audience(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Who sees what ``users`` share: acquaintances and followers (position, recipient)."""
        o1, r1 = self.acq.expand(users)
        o2, r2 = self.followers.expand(users)
        return np.concatenate([o1, o2]), np.concatenate([r1, r2])

    def nbytes(self) -> int:
        return self.acq.nbytes() + self.followers.nbytes()

    def make_dynamic(self) -> FollowLayer:
        """The follow layer as a :class:`FollowLayer` that takes edits (once; later calls
        return the same layer)."""
        if not isinstance(self.followers, FollowLayer):
            self.followers = FollowLayer(self.followers)
        return self.followers

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
