"""Peer mixing rules: who meets whom in a round of Deffuant exchange (docs/ODD.md 7.11).

``network`` pairs each participant with a random acquaintance and keeps a random matching of
those proposals (Luby-style rounds), so no user is in two pairs; ``complete`` pairs a random
permutation of the participants, the well-mixed population of Deffuant et al. (2000).
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    matched = np.zeros(n, dtype=bool)
    out_a, out_b = [], []
    for _ in range(rounds):
        live = ~matched[a] & ~matched[b]
        a, b, priority = a[live], b[live], priority[live]
        if len(a) == 0:
            break
        best = np.full(n, -1.0)
        np.maximum.at(best, a, priority)
        np.maximum.at(best, b, priority)
        acc = (best[a] == priority) & (best[b] == priority)
        matched[a[acc]] = True
        matched[b[acc]] = True
        out_a.append(a[acc])
        out_b.append(b[acc])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


@PEER_MIXING.register("network")
class Network(PeerMixingRule):
    """Each participant proposes a random acquaintance; a random matching of the proposals."""

    well_mixed = False

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, networks: Any, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b) among ``part`` and their acquaintances."""
        acq = networks.acq
        deg = acq.degree[part]
        pick = rng.random(len(part))
        part, deg, pick = part[deg > 0], deg[deg > 0], pick[deg > 0]
        b = acq.indices[acq.indptr[part] + (pick * deg).astype(np.int64)].astype(np.int64)
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
