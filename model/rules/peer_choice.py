"""Peer choice rules: which candidate a participant proposes as its partner (docs/ODD.md 7.11).

``uniform`` hands the choice to the peer-mixing rule (a random acquaintance, or a random
matching of everyone). ``algorithmic_bias`` is Sirbu, Pedreschi, Giannotti & Kertesz (2019,
PLoS ONE 14:e0213246): each participant i proposes a partner j among the candidates
peer_mixing allows (every other user, or i's acquaintances) with probability

    p_ij ∝ max(|x_i - x_j|, d_min)^-gamma,

d_min = 2e-5 on the engine's [-1, 1] (the paper's 1e-5 on [0, 1]); gamma = 0 is a uniform
choice (Deffuant). A random matching of the proposals keeps the pairs disjoint, so one round
of the vectorised update equals the sequential model's. Under complete mixing the weights are
a dense block per participant: O(participants x n) per round, fine for the paper's n = 100
and costly at n = 10^5 (use acquaintances there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import portable
from model.rules.base import RuleSettings
from model.rules.opinion import BLOCK, MIN_DISTANCE
from model.rules.peer_mixing import random_matching
from model.rules.registry import PEER_CHOICE
from model.schema import Interval, field
from model.world import PeerChoiceRule, World


@PEER_CHOICE.register("uniform")
class Uniform(PeerChoiceRule):
    """The peer-mixing rule's pairs, unchanged."""

    uses = frozenset({"peer_mixing"})

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, world: World
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b) among ``part`` (and, on the network, their acquaintances)."""
        return world.rules.peer_mixing.pairs(rng, part, world.networks, world.n_users)


@dataclass(frozen=True)
class AlgorithmicBiasSettings(RuleSettings):
    """The algorithmic-bias peer choice's parameters."""

    peer_bias: float = field(
        0.0,
        Interval(float, 0.0, 10.0),
        group="peer exchange",
        symbol="γ",
        label="Algorithmic bias γ",
        unit="",
        doc="Algorithmic bias gamma of peer_choice='algorithmic_bias' (Sirbu, Pedreschi, Giannotti & "
        "Kertesz 2019): 0 is uniform choice (Deffuant); only under opinion='bounded_confidence'.",
    )


@PEER_CHOICE.register("algorithmic_bias")
class AlgorithmicBias(PeerChoiceRule):
    """Partners drawn with probability ∝ opinion distance^-gamma (Sirbu et al. 2019)."""

    Settings = AlgorithmicBiasSettings
    settings: AlgorithmicBiasSettings
    uses = frozenset({"peer_mixing"})

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, world: World
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b): each participant's biased proposal, then a random matching."""
        a, b = self.propose(rng, part, world)
        if len(a) == 0:
            return a, b
        return random_matching(a, b, rng.random(len(a)), world.n_users)

    def propose(
        self, rng: np.random.Generator, part: np.ndarray, world: World
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each participant a[k] (with a candidate) and the partner b[k] it proposes."""
        n, x, gamma = world.n_users, world.state.opinion, self.settings.peer_bias
        part = np.asarray(part, dtype=np.int64)
        if world.rules.peer_mixing.well_mixed:
            b = np.empty(len(part), dtype=np.int64)
            step = max(1, BLOCK // max(n, 1))
            for start in range(0, len(part), step):
                rows = part[start : start + step]
                w = portable.power(
                    np.maximum(np.abs(x[None, :] - x[rows, None]), MIN_DISTANCE), -gamma
                )
                w[np.arange(len(rows)), rows] = 0.0
                cum = np.cumsum(w, axis=1)
                u = rng.random(len(rows)) * cum[:, -1]
                pick = (cum < u[:, None]).sum(axis=1)
                b[start : start + len(rows)] = np.minimum(pick, n - 1)
            a = part
        else:
            acq = world.networks.acq
            part = part[acq.degree[part] > 0]
            if len(part) == 0:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            pos, nb = acq.expand(part)
            nb = nb.astype(np.int64)
            ends = np.cumsum(acq.degree[part])
            starts = ends - acq.degree[part]
            w = portable.power(np.maximum(np.abs(x[nb] - x[part[pos]]), MIN_DISTANCE), -gamma)
            # each row scaled to its largest weight, so one global cumsum keeps every row's precision
            cum = np.cumsum(w / np.maximum.reduceat(w, starts)[pos]) if len(w) else w
            before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
            u = before + rng.random(len(part)) * (cum[ends - 1] - before)
            idx = np.minimum(np.searchsorted(cum, u, side="right"), ends - 1)
            a, b = part, nb[np.maximum(idx, starts)]
        return a, b
