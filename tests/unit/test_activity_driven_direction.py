"""Who influences whom in the activity-driven rule (Baumann et al. 2020), by hand.

An active user influences the m users it contacts; each contact influences it back with
probability r (reciprocity). The public reproductions of the model (Seldon's
ActivityDrivenModel, the opdynamics package, and a course reproduction) all build the temporal
network this way; docs/ODD.md 7.15 states it.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from model import Params
from model.network import CSR
from model.rules import OPINION, PEER_MIXING


def _star_world(x: list[float], **params) -> SimpleNamespace:
    """User 0 tied to users 1 and 2; 1 and 2 are not tied to each other."""
    n = len(x)
    # CSR of the undirected star 0-1, 0-2: rows 0 -> [1, 2], 1 -> [0], 2 -> [0]
    acq = CSR(np.array([0, 2, 3, 4], dtype=np.int64), np.array([1, 2, 0, 0], dtype=np.int32))
    p = Params(n_users=n, focal_followers=0, opinion="activity_driven", **params)
    state = SimpleNamespace(
        opinion=np.asarray(x, dtype=np.float64).copy(),
        epsilon=np.full(n, 0.3, dtype=np.float32),
        trust_peers=np.ones(n, dtype=np.float32),
    )
    rules = SimpleNamespace(peer_mixing=PEER_MIXING.get(p.peer_mixing))
    return SimpleNamespace(
        params=p, state=state, n_users=n, networks=SimpleNamespace(acq=acq), rules=rules
    )


def test_active_user_influences_its_contacts_and_hears_back_only_by_reciprocity():
    # every user is active (activity_min = 1) and makes one contact; without reciprocity the
    # influence edges are 1 -> 0, 2 -> 0 (the leaves contact the hub) and 0 -> c (the hub's
    # contact c in {1, 2}); users 1 and 2 hold the same opinion, so c does not change x_0
    x0, xl = 0.5, -0.2
    w = _star_world(
        [x0, xl, xl],
        peer_prob=1.0,
        peer_mixing="network",
        **{
            "opinion.activity_min": 1.0,
            "opinion.contacts": 1,
            "opinion.reciprocity": 0.0,
            "opinion.controversy": 2.0,
            "opinion.social_coupling": 3.0,
            "opinion.opinion_dt": 0.1,
        },
    )
    rule = OPINION.get("activity_driven", w.params.opinion.settings)
    rule.init(w)
    rule.peer_round(w, np.random.default_rng(0))
    dt, k, a = 0.1, 3.0, 2.0
    # the hub hears both leaves
    np.testing.assert_allclose(rule.x[0], x0 + dt * (-x0 + 2 * k * math.tanh(a * xl)), atol=1e-15)
    # exactly one leaf (the hub's contact) hears the hub; the other only decays
    heard = xl + dt * (-xl + k * math.tanh(a * x0))
    alone = xl + dt * (-xl)
    np.testing.assert_allclose(sorted(rule.x[1:]), sorted([heard, alone]), atol=1e-15)


def test_full_reciprocity_makes_every_contact_mutual():
    x0, xl = 0.5, -0.2
    w = _star_world(
        [x0, xl, xl],
        peer_prob=1.0,
        peer_mixing="network",
        **{
            "opinion.activity_min": 1.0,
            "opinion.contacts": 1,
            "opinion.reciprocity": 1.0,
            "opinion.controversy": 2.0,
            "opinion.social_coupling": 3.0,
            "opinion.opinion_dt": 0.1,
        },
    )
    rule = OPINION.get("activity_driven", w.params.opinion.settings)
    rule.init(w)
    rule.peer_round(w, np.random.default_rng(0))
    dt, k, a = 0.1, 3.0, 2.0
    # every tie used is mutual: the hub hears both leaves, both leaves hear the hub
    np.testing.assert_allclose(rule.x[0], x0 + dt * (-x0 + 2 * k * math.tanh(a * xl)), atol=1e-15)
    np.testing.assert_allclose(rule.x[1:], xl + dt * (-xl + k * math.tanh(a * x0)), atol=1e-15)
