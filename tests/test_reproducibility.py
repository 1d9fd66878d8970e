"""Same seed, same result; strategies share population, networks and unrelated draws (CRN)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import OpinionEcology, Strategy


def _run(seed, steps=30, **kw):
    return OpinionEcology(seed=seed, n_users=400, **kw).run(steps)


@pytest.mark.parametrize("strategy", ["one_way", "interactive", "scenario"])
def test_same_seed_identical_datacollector_frames(strategy):
    a, b = _run(11, strategy=strategy), _run(11, strategy=strategy)
    pd.testing.assert_frame_equal(
        a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    )
    np.testing.assert_array_equal(a.state.opinion, b.state.opinion)
    assert a.content.n == b.content.n


def test_different_seeds_differ():
    a, b = _run(1), _run(2)
    assert not np.array_equal(a.state.opinion, b.state.opinion)


def test_every_switch_off_is_one_way_draw_for_draw():
    off = Strategy(
        name="all_off",
        reply_share=0.0,
        moderation_share=0.0,
        share_prompt=0.0,
        community_share=0.0,
        emotional_rewards=False,
        follow_up=False,
        targeting=False,
    )
    a, b = _run(5, strategy=off, steps=40), _run(5, strategy="one_way", steps=40)
    pd.testing.assert_frame_equal(
        a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    )
    for name in ("opinion", "trust_media", "belonging", "follows", "valence"):
        np.testing.assert_array_equal(getattr(a.state, name), getattr(b.state, name))
    np.testing.assert_array_equal(a.view_log["item"], b.view_log["item"])
    assert off.label() == "all_off"


def test_population_and_networks_identical_across_strategies():
    models = [
        OpinionEcology(seed=9, n_users=500, strategy=s)
        for s in ("one_way", "interactive", "scenario")
    ]
    ref = models[0]
    for m in models[1:]:
        for name in (
            "gen",
            "opinion",
            "trust_media",
            "trust_peers",
            "epsilon",
            "follows",
            "base_valence",
        ):
            np.testing.assert_array_equal(getattr(m.state, name), getattr(ref.state, name))
        for layer in ("acq", "followers"):
            np.testing.assert_array_equal(
                getattr(m.networks, layer).indices, getattr(ref.networks, layer).indices
            )
            np.testing.assert_array_equal(
                getattr(m.networks, layer).indptr, getattr(ref.networks, layer).indptr
            )


def test_first_step_sessions_and_outlet_items_shared_across_strategies():
    """Draws a strategy does not touch stay in sync: who opens the app and what outlets publish."""
    a = OpinionEcology(seed=3, n_users=500, strategy="one_way").run(1)
    b = OpinionEcology(seed=3, n_users=500, strategy="scenario").run(1)
    np.testing.assert_array_equal(a.state.last_active, b.state.last_active)
    n = min(a.content.n, b.content.n)
    outlet = a.content.source_kind[:n] == 0
    np.testing.assert_array_equal(a.content.stance[:n][outlet], b.content.stance[:n][outlet])


def test_seed_is_stored_and_reproduces_an_unseeded_run():
    a = OpinionEcology(n_users=300).run(10)
    b = OpinionEcology(n_users=300, seed=a.seed).run(10)
    np.testing.assert_array_equal(a.state.opinion, b.state.opinion)


def test_rng_keyword_equals_seed_keyword():
    a = OpinionEcology(n_users=300, rng=4).run(5)
    b = OpinionEcology(n_users=300, seed=4).run(5)
    np.testing.assert_array_equal(a.state.opinion, b.state.opinion)


def test_background_outlets_publish_the_same_items_whatever_the_focal_strategy():
    """Each outlet draws its items from its own stream and its counts by inversion of its own
    uniform, so the focal outlet's smaller publishing share (a strategy choice) leaves the
    competitors' items identical (common random numbers)."""
    a = _run(6, strategy="one_way", steps=20)
    b = _run(6, strategy="interactive", steps=20)

    def background(m):
        c = m.content
        keep = (c.source_kind == 0) & (c.source > 0) & (c.parent < 0)
        return c.source[keep], c.stance[keep], c.created[keep], c.outrage[keep]

    for x, y in zip(background(a), background(b), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.published[1:], b.published[1:])
    assert a.published[0] > b.published[0]
