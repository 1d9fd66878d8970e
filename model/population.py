"""Users' state as arrays and the initial population and outlets (docs/ODD.md 2.1, 2.3, 5).

``State`` is the struct of arrays ``User`` agents are views of; :func:`init_population` draws
it from the population-and-networks stream, and :func:`init_outlets` builds the focal outlet
(with the experimental strategy) and the background outlets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.outlet import MediaOutlet
from model.params import Params
from model.strategies import Strategy


@dataclass
class State:
    """Users' state as arrays (struct of arrays); row i is user i (docs/ODD.md 2.1)."""

    gen: np.ndarray
    trust_media: np.ndarray
    trust_peers: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    base_valence: np.ndarray
    base_arousal: np.ndarray
    opinion: np.ndarray
    epsilon: np.ndarray
    belonging: np.ndarray
    follows: np.ndarray
    initial_follows: np.ndarray
    community: np.ndarray
    reached: np.ndarray
    last_active: np.ndarray
    last_focal_engage: np.ndarray
    replies: np.ndarray

    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(v.nbytes for v in vars(self).values())


def init_population(
    p: Params, rng: np.random.Generator, prof: dict[str, np.ndarray], initial_opinion: Any
) -> State:
    """Draw every user's cohort, trust, emotion, opinion, confidence bound and follows.

    Args:
        p: The parameters.
        rng: The population-and-networks stream.
        prof: The generation profiles as arrays (``agents.generations.profile_arrays``).
        initial_opinion: The initial-opinion rule (``model.rules.INITIAL_OPINION``).
    """
    n, k_out = p.n_users, 1 + p.n_background
    gen = rng.choice(4, size=n, p=np.array(p.generation_mix)).astype(np.int8)
    base_trust = np.clip(prof["trust_media"][gen] + p.trust_shift, 0, 1)
    trust_media = np.clip(base_trust[:, None] + rng.normal(0, 0.1, size=(n, k_out)), 0, 1)
    trust_peers = np.clip(prof["trust_peers"][gen] + rng.normal(0, 0.1, size=n), 0, 1)
    base_valence = np.clip(rng.normal(0.05, 0.2, size=n), -1, 1)
    base_arousal = np.clip(prof["arousal"][gen] + rng.normal(0, 0.1, size=n), 0, 1)
    opinion = initial_opinion.draw(rng, n)
    epsilon = np.clip(p.epsilon + p.epsilon_sd * rng.standard_normal(n), 0.001, 2.0)
    # Cohorts that take less news through social channels follow outlets directly more.
    direct = 1.0 - prof["social_share"][gen]
    mix = np.array(p.generation_mix)
    p_focal = np.clip(p.focal_follow_share * direct / (mix @ (1.0 - prof["social_share"])), 0, 1)
    follows = np.empty((n, k_out), dtype=bool)
    follows[:, 0] = rng.random(n) < p_focal
    if p.focal_followers >= 0:
        follows[:, 0] = False
        follows[rng.choice(n, size=p.focal_followers, replace=False), 0] = True
    follows[:, 1:] = rng.random((n, k_out - 1)) < p.background_follow_share
    if k_out > 1:
        # everyone takes some news directly: a user who drew no outlet follows one at random
        none = ~follows.any(axis=1)
        pick = rng.integers(1, k_out, size=n)
        follows[none, pick[none]] = True
    belonging = np.where(follows, 0.2, 0.0).astype(np.float32)
    return State(
        gen=gen,
        trust_media=trust_media.astype(np.float32),
        trust_peers=trust_peers.astype(np.float32),
        valence=base_valence.astype(np.float32),
        arousal=base_arousal.astype(np.float32),
        base_valence=base_valence.astype(np.float32),
        base_arousal=base_arousal.astype(np.float32),
        opinion=opinion.astype(np.float64),
        epsilon=epsilon.astype(np.float32),
        belonging=belonging,
        follows=follows,
        initial_follows=follows[:, 0].copy(),
        community=np.zeros(n, dtype=bool),
        reached=np.zeros(n, dtype=bool),
        last_active=np.full(n, -(10**6), dtype=np.int32),
        last_focal_engage=np.full(n, -(10**6), dtype=np.int32),
        replies=np.zeros(n, dtype=np.int32),
    )


def init_outlets(model: Any, p: Params) -> list[MediaOutlet]:
    """The focal outlet (index 0, with ``p.strategy``) and ``p.n_background`` one-way outlets."""
    focal = MediaOutlet(
        model,
        0,
        strategy=p.strategy,
        rate=p.outlet_rate,
        stance_mean=p.stance_mean,
        stance_sd=p.stance_sd,
        intensity=p.intensity,
        quality=p.quality,
        format_mix=p.format_mix,
    )
    stances = (
        np.linspace(-0.6, 0.6, p.n_background) if p.n_background > 1 else [0.0] * p.n_background
    )
    background = [
        MediaOutlet(
            model,
            k + 1,
            strategy=Strategy.preset("one_way"),
            rate=p.background_rate,
            stance_mean=float(s),
            stance_sd=0.3,
            intensity=0.5,
            quality=0.6,
            format_mix=(0.3, 0.3, 0.25, 0.15),
        )
        for k, s in enumerate(stances)
    ]
    return [focal, *background]
