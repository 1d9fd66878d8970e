"""Peer mixing rules: who meets whom in a round of Deffuant exchange (docs/ODD.md 7.11).

``network`` pairs each participant with a random acquaintance and keeps a random matching of
those proposals (Luby-style rounds), so no user is in two pairs; ``complete`` pairs a random
permutation of the participants, the well-mixed population of Deffuant et al. (2000).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model import jit
from model.rules.registry import PEER_MIXING
from model.world import PeerMixingRule


def random_matching(
    a: np.ndarray, b: np.ndarray, priority: np.ndarray, n: int, rounds: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """A random matching from proposed pairs (a[i], b[i]): no user ends up in two pairs.

    Luby-style rounds: a proposal is accepted when its random priority is the highest among the
    live proposals touching either of its users; users matched in a round drop out of the next.

    Args:
        a, b: The proposed pairs' users.
        priority: A random priority per proposal.
        n: Number of users.
        rounds: Rounds of acceptance.

    Returns:
        The matched pairs (a, b) as int64 arrays.
    """
    return matching_kernel(
        np.asarray(a, dtype=np.int64),
        np.asarray(b, dtype=np.int64),
        np.asarray(priority, dtype=np.float64),
        n,
        rounds,
    )


@jit.njit
def matching_kernel(
    a: np.ndarray, b: np.ndarray, priority: np.ndarray, n: int, rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`random_matching`'s rounds: the live proposals, each user's best priority among
    them, and the proposals that hold the best priority at both ends, in proposal order."""
    matched = np.zeros(n, dtype=np.bool_)
    best = np.full(n, -1.0)
    out_a = np.empty(a.shape[0], dtype=np.int64)
    out_b = np.empty(a.shape[0], dtype=np.int64)
    acc = np.zeros(a.shape[0], dtype=np.bool_)
    n_out = 0
    live = np.arange(a.shape[0])
    for _ in range(rounds):
        m = 0
        for j in live:
            if not matched[a[j]] and not matched[b[j]]:
                live[m] = j
                m += 1
        live = live[:m]
        if m == 0:
            break
        for j in live:
            best[a[j]] = max(best[a[j]], priority[j])
            best[b[j]] = max(best[b[j]], priority[j])
        for j in live:
            acc[j] = best[a[j]] == priority[j] and best[b[j]] == priority[j]
        for j in live:
            best[a[j]] = -1.0
            best[b[j]] = -1.0
            if acc[j]:
                matched[a[j]] = True
                matched[b[j]] = True
                out_a[n_out] = a[j]
                out_b[n_out] = b[j]
                n_out += 1
    return out_a[:n_out].copy(), out_b[:n_out].copy()


@jit.njit
def acquaintance_proposals(
    indptr: np.ndarray, indices: np.ndarray, part: np.ndarray, pick: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The participants with an acquaintance and, for each, the acquaintance at position
    floor(pick deg) of its row."""
    a = np.empty(part.shape[0], dtype=np.int64)
    b = np.empty(part.shape[0], dtype=np.int64)
    m = 0
    for j in range(part.shape[0]):
        i = part[j]
        deg = indptr[i + 1] - indptr[i]
        if deg > 0:
            a[m] = i
            b[m] = indices[indptr[i] + np.int64(pick[j] * deg)]
            m += 1
    return a[:m], b[:m]


@PEER_MIXING.register("network")
class Network(PeerMixingRule):
    """Each participant proposes a random acquaintance; a random matching of the proposals."""

    well_mixed = False

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, networks: Any, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b) among ``part`` and their acquaintances."""
        acq = networks.acq
        pick = rng.random(len(part))
        part, b = acquaintance_proposals(
            acq.indptr, acq.indices, np.asarray(part, dtype=np.int64), pick
        )
        return random_matching(part, b, rng.random(len(part)), n)


@PEER_MIXING.register("complete")
class Complete(PeerMixingRule):
    """A random permutation of the participants, paired off in halves."""

    well_mixed = True

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, networks: Any, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b) among ``part``."""
        part = rng.permutation(part)
        half = len(part) // 2
        return part[:half], part[half : 2 * half]
