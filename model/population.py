"""Users' state as arrays and the initial population and outlets (docs/ODD.md 2.1, 2.3, 5).

``State`` is the struct of arrays ``User`` agents are views of; :func:`init_population` draws
it from the population-and-networks stream, and :func:`init_outlets` builds the focal outlet
(with the experimental strategy) and the background outlets (each with its own strategy).
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
    trust0: np.ndarray
    trust_pos: np.ndarray
    trust_neg: np.ndarray
    trust_last: np.ndarray
    load: np.ndarray
    load_last: np.ndarray
    community_last: np.ndarray
    ever_unfollowed: np.ndarray
    seen_distance: np.ndarray
    seen_count: np.ndarray
    #: Creator appeal: the log of the odds multiplier each user's posts put on likes and
    #: forwards (0 = neutral; :func:`init_appeal`, docs/ODD.md 7.18).
    appeal: np.ndarray

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
    p_focal = np.clip(
        p.focal_follow_share * direct / np.sum(mix * (1.0 - prof["social_share"])), 0, 1
    )
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
        community=np.zeros((n, k_out), dtype=bool),
        reached=np.zeros(n, dtype=bool),
        last_active=np.full(n, -(10**6), dtype=np.int32),
        last_focal_engage=np.full(n, -(10**6), dtype=np.int32),
        replies=np.zeros(n, dtype=np.int32),
        trust0=trust_media.astype(np.float32),
        trust_pos=np.zeros((n, k_out), dtype=np.float32),
        trust_neg=np.zeros((n, k_out), dtype=np.float32),
        trust_last=np.zeros((n, k_out), dtype=np.int32),
        load=np.zeros((n, k_out), dtype=np.float32),
        load_last=np.zeros((n, k_out), dtype=np.int32),
        community_last=np.full((n, k_out), -(10**6), dtype=np.int32),
        ever_unfollowed=np.zeros(n, dtype=bool),
        seen_distance=np.zeros(n, dtype=np.float64),
        seen_count=np.zeros(n, dtype=np.int32),
        appeal=np.zeros(n, dtype=np.float32),
    )


def init_appeal(p: Params, rng: np.random.Generator, appeal: np.ndarray) -> None:
    """Draw each user's creator appeal into ``appeal`` (in place; docs/ODD.md 7.18).

    ln a_i = sigma z_i, z_i standard normal from the creators' own stream ``rng`` (lognormal
    appeal with median 1 and a heavy right tail: the share of creators above a falls as
    1 - Phi(ln a / sigma)); the designated ``creator`` gets ln ``creator_appeal``. Nothing is
    drawn when ``creator_sigma`` is 0 (every creator neutral), so the default run's streams
    are untouched.
    """
    if p.creator_sigma > 0:
        appeal[:] = p.creator_sigma * rng.standard_normal(len(appeal))
    if p.creator >= 0:
        appeal[p.creator] = np.log(p.creator_appeal)


def background_strategies(p: Params) -> list[Strategy]:
    """The background outlets' strategies: the first floor(interactive_share x n + 1/2) interactive."""
    n_int = int(np.floor(p.interactive_share * p.n_background + 0.5))
    return [
        Strategy.preset("interactive" if k < n_int else "one_way") for k in range(p.n_background)
    ]


def init_outlets(model: Any, p: Params) -> list[MediaOutlet]:
    """The focal outlet (index 0, with ``p.strategy``) and ``p.n_background`` competitors.

    Background outlets spread their stances over [-0.6, 0.6]; their outrage rises with the
    distance of their stance from the centre (0.5 |stance|, partisan outlets use more out-group
    language; assumption) and their valence mean is 0; each carries a real strategy
    (:func:`background_strategies`).
    """
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
        valence_mean=p.valence_mean,
        outrage=p.outrage,
    )
    stances = (
        np.linspace(-0.6, 0.6, p.n_background) if p.n_background > 1 else [0.0] * p.n_background
    )
    background = [
        MediaOutlet(
            model,
            k + 1,
            strategy=st,
            rate=p.background_rate,
            stance_mean=float(s),
            stance_sd=0.3,
            intensity=0.5,
            quality=0.6,
            format_mix=(0.3, 0.3, 0.25, 0.15),
            valence_mean=0.0,
            outrage=0.5 * abs(float(s)),
        )
        for k, (s, st) in enumerate(zip(stances, background_strategies(p), strict=True))
    ]
    return [focal, *background]


def outlet_table(outlets: list[MediaOutlet], item_hours: float) -> dict[str, np.ndarray]:
    """Every outlet's strategy and content as arrays, one entry per outlet (for the phases).

    ``staff`` is the outlet's staff budget in staff-hours per step: its rate (the items it
    publishes when it does nothing else) x ``item_hours`` (docs/ODD.md 7.12).
    """
    st = [o.strategy for o in outlets]
    return {
        "staff": np.array([o.rate * item_hours for o in outlets], dtype=np.float64),
        "reply_share": np.array([s.reply_share for s in st]),
        "moderation_share": np.array([s.moderation_share for s in st]),
        "community_share": np.array([s.community_share for s in st]),
        "conversation_share": np.array([s.conversation_share for s in st]),
        "share_prompt": np.array([s.share_prompt for s in st]),
        "emotional_rewards": np.array([s.emotional_rewards for s in st]),
        "follow_up": np.array([s.follow_up for s in st]),
        "targeting": np.array([s.targeting for s in st]),
        "valence_mean": np.array([o.valence_mean for o in outlets]),
        "outrage": np.array([o.outrage for o in outlets]),
    }
