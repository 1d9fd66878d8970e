"""Shared fixtures: small, seeded models."""

from __future__ import annotations

import pytest

from model import OpinionEcology


@pytest.fixture
def small_model():
    """A 400-user interactive model (fast; every mechanism on)."""
    return OpinionEcology(seed=7, n_users=400, strategy="interactive")


def quiet_params(**kw):
    """Params with publishing, peers, trending and networks off: a blank slate for rule tests."""
    from model import Params

    base = dict(
        n_users=4,
        n_background=0,
        outlet_rate=0.0,
        user_post_prob=0.0,
        trending_prob=0.0,
        peer_prob=0.0,
        acq_degree=0,
        follow_model="none",
        epsilon_sd=0.0,
        record_cascades="all",
    )
    base.update(kw)
    return Params(**base)
