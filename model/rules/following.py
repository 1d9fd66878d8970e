"""Following rules: how users come to follow or leave the focal outlet (docs/ODD.md 7.10, 7.17).

``engagement`` is the default: engaged non-followers may follow (in the react phase) and
followers leave with a hazard that rises as belonging and trust fall. ``voter`` and
``q_voter`` make following a binary opinion copied from friends (acquaintances, or anyone
under ``peer_mixing="complete"``):

* voter (Clifford & Sudbury 1973; Holley & Liggett 1975): a user copies the follow state of a
  random friend. On a complete graph the share of followers is a martingale, so the
  probability of ending with everyone following (the exit probability) is the initial share.
* q-voter with independence (Castellano, Munoz & Pastor-Satorras 2009; Nyczka, Sznajd-Weron &
  Cislo 2012): with probability p a user acts independently (follows with probability 1/2);
  otherwise it draws q friends (with repetition) and copies them if they agree unanimously.
  In mean field the ordered phase ends at p_c = (q - 1) / (q - 1 + 2^(q - 1)).

One step is one Monte Carlo sweep: the users, in random order, are split into ``voter_rounds``
groups, each updated synchronously on the state the group before it left. A synchronous group
keeps the mean-field drift of the sequential update (each member reads the same shares), and
on a complete graph keeps the voter's martingale exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.fatigue import decayed, load_keep
from model.rules.registry import Registry

FOLLOWING: Registry = Registry("follow_rule")


@FOLLOWING.register("engagement")
class Engagement:
    """Churn: the unfollow hazard rises as belonging and trust fall below their thresholds, and
    with overload (exposure load to the focal outlet above the fatigue saturation)."""

    def update(self, world: Any, rng: np.random.Generator) -> None:
        """Followers leave with hazard churn_prob (1 - B/B*)+ (1 - T/T*)+ plus
        churn_overload clip(L/L* - 1, 0, 1) (n uniforms)."""
        p, s = world.params, world.state
        hazard = (
            p.churn_prob
            * np.clip(1.0 - s.belonging[:, 0] / max(p.churn_belonging, 1e-12), 0, 1)
            * np.clip(1.0 - s.trust_media[:, 0] / max(p.churn_trust, 1e-12), 0, 1)
        )
        if p.churn_overload > 0:
            load = decayed(s.load[:, 0], s.load_last[:, 0], world.steps, load_keep(p))
            hazard = hazard + p.churn_overload * np.clip(load / p.fatigue_saturation - 1.0, 0, 1)
        leave = s.follows[:, 0] & (rng.random(world.n_users) < hazard)
        s.follows[leave, 0] = False
        s.ever_unfollowed |= leave


def q_voter_sweep(world: Any, rng: np.random.Generator, q: int, p_ind: float) -> None:
    """One sweep of the q-voter with independence over the focal follow state (q = 1, p = 0:
    the voter model)."""
    n = world.n_users
    state = world.state.follows[:, 0]
    complete = world.params.peer_mixing == "complete"
    acq = world.networks.acq
    order = rng.permutation(n)
    for users in np.array_split(order, min(world.params.voter_rounds, n)):
        m = len(users)
        independent = rng.random(m) < p_ind
        coin = rng.random(m) < 0.5
        if complete:
            panel = rng.integers(0, n - 1, size=(m, q))
            panel += panel >= users[:, None]
            has = np.ones(m, dtype=bool)
        else:
            deg = acq.degree[users]
            has = deg > 0
            pick = np.floor(rng.random((m, q)) * deg[:, None]).astype(np.int64)
            panel = acq.indices[np.minimum(acq.indptr[users][:, None] + pick, acq.n_edges - 1)]
        view = state[panel]
        unanimous = has & (view == view[:, :1]).all(axis=1)
        new = state[users].copy()
        new[unanimous] = view[unanimous, 0]
        new[independent] = coin[independent]
        world.state.ever_unfollowed[users[state[users] & ~new]] = True
        state[users] = new


@FOLLOWING.register("voter")
class Voter:
    """A random user copies a random friend's follow state (one sweep per step)."""

    def update(self, world: Any, rng: np.random.Generator) -> None:
        """One voter sweep: each user once, in random order."""
        q_voter_sweep(world, rng, 1, 0.0)


@FOLLOWING.register("q_voter")
class QVoter:
    """With probability p choose at random, else copy q unanimous friends (one sweep per step)."""

    def update(self, world: Any, rng: np.random.Generator) -> None:
        """One q-voter sweep with ``voter_q`` friends and independence ``voter_p``."""
        q_voter_sweep(world, rng, world.params.voter_q, world.params.voter_p)


def critical_independence(q: int) -> float:
    """The mean-field critical independence p_c = (q - 1) / (q - 1 + 2^(q - 1))."""
    return (q - 1) / (q - 1 + 2 ** (q - 1))
