"""Presets: each returns Params of the one engine, fails clearly on bad input, and the
canonical reductions stop by themselves."""

from __future__ import annotations

import pytest

from model import OpinionEcology, Params
from model.presets import (
    CANONICAL,
    PRESETS,
    broadcast,
    deffuant,
    independent_cascade,
    limited_attention,
    music_community,
    viral_moment,
)


def test_registry_holds_every_preset_and_each_builds_params_without_arguments():
    assert set(PRESETS) >= {
        "deffuant",
        "independent_cascade",
        "limited_attention",
        "broadcast",
        "viral_moment",
        "music_community",
        "threshold",
        "granovetter_crowd",
        "rumour",
    }
    assert set(CANONICAL) <= set(PRESETS)
    for name, fn in PRESETS.items():
        assert isinstance(fn(), Params), name


def test_deffuant_maps_the_classic_epsilon_onto_the_engine_range():
    """Classic epsilon on [0, 1] -> engine epsilon on [-1, 1] is twice as large."""
    p = deffuant(0.15, mu=0.3, n_users=500)
    assert p.epsilon == pytest.approx(0.30)
    assert (p.epsilon_sd, p.opinion.peer_mu, p.n_users) == (0.0, 0.3, 500)
    assert (p.peer_prob, p.peer_mixing, p.initial_opinion) == (1.0, "complete", "uniform")
    # nothing but peer exchange runs
    assert p.outlet_rate == 0 and p.user_post_prob == 0 and p.mu_content == 0
    assert deffuant(1.0).epsilon == 2.0


def test_canonical_presets_switch_on_their_mechanism():
    ic = independent_cascade(0.3, mean_degree=7, n_users=300)
    assert (ic.organic_reach, ic.follow_degree, ic.follow_model) == (0.3, 7.0, "erdos_renyi")
    assert ic.attention == "unlimited" and ic.share_friction == 0.0
    la = limited_attention(0.1, n_users=300, screen=7)
    assert (la.user_post_prob, la.screen_size, la.feed_choice) == (0.1, 7, "uniform")
    assert broadcast(300).forward_p == 0.0 and broadcast(300, forward_p=0.2).forward_p == 0.2


@pytest.mark.parametrize(
    ("call", "kind", "match"),
    [
        (lambda: deffuant(0.0), ValueError, r"epsilon=0.0 is out of range; allowed \(0, 1\]"),
        (lambda: deffuant(1.5), ValueError, r"epsilon=1.5 is out of range; allowed \(0, 1\]"),
        (lambda: deffuant(-0.1), ValueError, r"epsilon=-0.1 is out of range; allowed \(0, 1\]"),
        (lambda: deffuant(float("nan")), ValueError, r"epsilon=nan is not a finite number"),
        (lambda: deffuant("wide"), TypeError, r"epsilon must be a number in \(0, 1\]"),
        (lambda: deffuant(0.2, mu=0.7), ValueError, r"mu=0.7 is out of range; allowed \(0, 0.5\]"),
        (lambda: deffuant(0.2, mu=0.0), ValueError, r"mu=0.0 is out of range; allowed \(0, 0.5\]"),
        (lambda: deffuant(0.2, n_users=1), ValueError, r"n_users=1 is out of range; allowed \[2,"),
        (lambda: independent_cascade(1.2), ValueError, r"p=1.2 is out of range; allowed \[0, 1\]"),
        (
            lambda: independent_cascade(-0.01),
            ValueError,
            r"p=-0.01 is out of range; allowed \[0, 1\]",
        ),
        (
            lambda: independent_cascade(0.2, mean_degree=0),
            ValueError,
            r"mean_degree=0.0 is out of range; allowed \(0, 500\]",
        ),
        (lambda: independent_cascade(0.2, n_users=0), ValueError, r"n_users=0 is out of range"),
        (lambda: limited_attention(1.01), ValueError, r"mu=1.01 is out of range; allowed \[0, 1\]"),
        (lambda: limited_attention(-0.5), ValueError, r"mu=-0.5 is out of range; allowed \[0, 1\]"),
        (lambda: limited_attention(0.1, n_users=1), ValueError, r"n_users=1 is out of range"),
        (
            lambda: limited_attention(0.1, screen=0),
            ValueError,
            r"screen=0 is out of range; allowed \[1, 1000\]",
        ),
        (lambda: limited_attention(0.1, screen=[5]), TypeError, r"screen must be a single number"),
        (lambda: broadcast(1), ValueError, r"n_users=1 is out of range"),
        (
            lambda: broadcast(100, forward_p=2),
            ValueError,
            r"forward_p=2.0 is out of range; allowed \[0, 1\]",
        ),
        (lambda: broadcast(100.5), ValueError, r"n_users=100.5 must be a whole number"),
        (lambda: viral_moment(n_users=True), TypeError, r"n_users must be a number"),
        (lambda: music_community(n_users=-3), ValueError, r"n_users=-3 is out of range"),
        (lambda: music_community(strategy="interactiv"), ValueError, r"did you mean 'interactive'"),
    ],
)
def test_bad_arguments_fail_with_a_clear_message(call, kind, match):
    with pytest.raises(kind, match=match):
        call()


def test_edges_of_the_allowed_ranges_are_accepted():
    assert deffuant(1.0, mu=0.5, n_users=2).n_users == 2
    assert deffuant(0.001, mu=1e-9).opinion.peer_mu == 1e-9  # (0, ...]: just above the open end
    assert independent_cascade(0.2, mean_degree=500).follow_degree == 500.0
    assert limited_attention(0.5, screen=1000).screen_size == 1000
    assert independent_cascade(0.0).organic_reach == 0.0
    assert independent_cascade(1.0).organic_reach == 1.0
    assert limited_attention(0.0).user_post_prob == 0.0
    assert limited_attention(1.0).user_post_prob == 1.0


@pytest.mark.parametrize(
    "params",
    [
        deffuant(0.25, n_users=200),
        independent_cascade(0.3, n_users=500),
        broadcast(300),
        broadcast(300, forward_p=0.1),
    ],
    ids=["deffuant", "independent_cascade", "broadcast", "broadcast_forwarding"],
)
def test_canonical_presets_stop_by_themselves_before_the_horizon(params):
    """Converged or extinct: running turns False well before the horizon."""
    m = OpinionEcology(params, seed=5)
    m.run()
    assert not m.running
    assert m.steps < params.steps


def test_limited_attention_stops_at_its_horizon():
    """A stationary process with no absorbing state: it stops at its horizon, by itself."""
    p = limited_attention(0.1, n_users=300).replace(steps=15)
    m = OpinionEcology(p, seed=5)
    while m.running:
        m.step()
    assert m.steps == 15 and m.content.n > 0 and m.content.forwards.sum() > 0


def test_scenario_presets_describe_their_populations():
    mc = music_community(n_users=500)
    post00, post90, _, _ = mc.generation_mix
    assert post00 + post90 == pytest.approx(0.68)
    assert mc.strategy.community_share > 0 and mc.strategy.reply_share > 0
    vm = viral_moment(n_users=500)
    assert vm.format_mix == (0.0, 0.0, 1.0, 0.0) and vm.initial_items == 1
    assert sum(vm.generation_mix[:2]) > 0.5
    assert music_community(strategy="one_way").strategy.label() == "one_way"


def test_scenario_presets_run():
    for fn in (viral_moment, music_community):
        m = OpinionEcology(fn(n_users=300).replace(steps=5), seed=1)
        m.run()
        assert m.steps == 5
