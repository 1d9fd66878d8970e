"""Invariants over many steps: bounds on every state variable and consistent counters."""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology
from model import measures as M
from model import step as phases
from model.trust import beta_trust


def _check_bounds(m):
    s = m.state
    assert np.isfinite(s.opinion).all() and (np.abs(s.opinion) <= 1).all()
    for name, lo, hi in (
        ("trust_media", 0, 1),
        ("trust_peers", 0, 1),
        ("valence", -1, 1),
        ("arousal", 0, 1),
        ("belonging", 0, 1),
    ):
        v = getattr(s, name)
        assert np.isfinite(v).all() and (v >= lo).all() and (v <= hi).all(), name
    c = m.content
    assert (c.forwards <= c.views).all(), "an item was forwarded more often than viewed"
    assert (c.views <= c.exposures).all(), "an item was viewed more often than delivered"
    assert (c.likes <= c.views).all() and (c.comments <= c.views).all()
    sc = m.screens
    assert (sc.soc_item < c.n).all() and (sc.dir_item < c.n).all()
    # the writer's unseen counts are the screens' (attention and extinct() rely on them)
    assert (sc.soc_unseen == (~sc.soc_seen).sum(axis=1)).all()
    assert (sc.dir_unseen == (~sc.dir_seen).sum(axis=1)).all()
    assert sc.unseen() == int((~sc.soc_seen).sum() + (~sc.dir_seen).sum())
    assert ((sc.soc_item >= 0) | sc.soc_seen).all() and ((sc.dir_item >= 0) | sc.dir_seen).all()
    # the comments' stance and tone, and moderation, add up
    assert (c.supportive + c.critical == c.comments).all()
    assert (c.uncivil <= c.comments).all() and (c.removed <= c.comments).all()
    assert (c.removed_uncivil <= c.uncivil).all() and (c.removed_critical <= c.critical).all()
    assert (c.removed_uncivil <= c.removed).all()
    assert (c.removed - c.removed_critical <= c.supportive).all()
    assert ((c.outrage >= 0) & (c.outrage <= 1)).all()
    # outlet trust is the Beta posterior of its evidence (docs/ODD.md 7.10)
    assert (s.trust_pos >= 0).all() and (s.trust_neg >= 0).all()
    want = beta_trust(s.trust0, s.trust_pos, s.trust_neg, m.params.trust_prior)
    np.testing.assert_allclose(s.trust_media, want, rtol=1e-5, atol=1e-6)
    assert (s.load >= 0).all() and (s.seen_count >= 0).all()


@pytest.mark.parametrize("strategy", ["one_way", "interactive", "scenario"])
def test_states_stay_in_bounds_and_counters_consistent(strategy):
    m = OpinionEcology(seed=21, n_users=600, strategy=strategy, steps=120)
    for _ in range(12):
        m.run(10)
        _check_bounds(m)
    snap = m.last_snapshot
    for key in (
        "reach",
        "secondary_share",
        "engagement",
        "stickiness",
        "retention",
        "trust",
        "belonging",
    ):
        assert 0 <= snap[key] <= 1, key
    assert not m.running  # stopped at the horizon
    # reach is cumulative and never falls
    reach = m.datacollector.get_model_vars_dataframe()["reach"].to_numpy()
    assert (np.diff(reach) >= 0).all()
    # views logged per item never exceed the item's view counter
    log = m.view_log.to_frame()
    per_item = log.groupby("item").size()
    assert (per_item.to_numpy() <= m.content.views[per_item.index.to_numpy()]).all()
    # cascade sizes are users reached, so at most N
    assert (M.cascade_sizes(m) <= m.n_users).all()


def test_extreme_parameters_stay_in_bounds():
    m = OpinionEcology(
        seed=2,
        n_users=300,
        strategy="scenario",
        base_like=1.0,
        base_comment=1.0,
        base_forward=1.0,
        trust_rate=1.0,
        emotion_pull=1.0,
        reply_gain=1.0,
        belonging_gain=1.0,
        community_gain=1.0,
        mu_content=0.5,
        peer_mu=0.5,
        peer_prob=1.0,
        peer_rounds=3,
        attention_scale=5.0,
        activity_scale=5.0,
    )
    for _ in range(4):
        m.run(5)
        _check_bounds(m)


def test_forward_log_rebuilds_each_cascade_tree():
    """Every forward names the user it came from; that user forwarded (or posted) the same item
    in an earlier step, so each item's forwards form a tree rooted at its source."""
    m = OpinionEcology(seed=8, n_users=800, strategy="interactive").run(72)
    f = m.forward_log.to_frame()
    assert len(f) == int(m.content.forwards.sum()) > 50  # every forward is logged
    first = f.groupby(["item", "user"])["step"].min()
    with_parent = f[f["parent"] >= 0]
    key = list(zip(with_parent["item"], with_parent["parent"], strict=True))
    parent_step = first.reindex(key).to_numpy()
    assert np.isfinite(parent_step).all(), "a forward came from a user who never forwarded the item"
    assert (parent_step < with_parent["step"].to_numpy()).all()


@pytest.mark.parametrize("preset", ["viral_moment", "music_community", "independent_cascade"])
def test_presets_keep_screen_counts_and_bounds(preset):
    """Trending top-ups, community items and unlimited attention all keep the writer's counts."""
    from model import presets

    params = getattr(presets, preset)(n_users=400).replace(steps=40)
    m = OpinionEcology(params, seed=4)
    for _ in range(4):
        m.run(10)
        _check_bounds(m)


def _step_checking_every_phase(m):
    """One step as the engine runs it, with the bounds and the budget checked after each phase."""
    t = m.steps
    sess = phases.sessions(m, t)
    phases.publish(m, t, sess)
    _check_bounds(m)
    phases.deliver(m, t)
    _check_bounds(m)
    views = phases.attend(m, t, sess)
    _check_bounds(m)
    reactions = phases.react(m, t, views)
    _check_bounds(m)
    phases.update(m, t, views, reactions)
    _check_bounds(m)
    phases.respond(m, t, views, reactions)
    _check_bounds(m)
    b = m.budget
    assert (b["replies"] <= b["reply_cap"]).all(), "an outlet replied beyond its staff time"
    assert (b["reviews"] <= b["review_cap"]).all(), "an outlet reviewed beyond its staff time"
    phases.measure(m, t)
    m.steps += 1  # what mesa.Model.step's wrapper does
    _check_bounds(m)


@pytest.mark.parametrize("ranking", ["chronological", "engagement", "personalised"])
def test_bounds_after_every_phase_with_every_mechanism_on(ranking):
    """Every outlet interactive, targeting, moderation, high incivility and outrage, fatigue,
    strong replies: the bounds, counters and budget hold after each phase of 60 steps."""
    m = OpinionEcology(
        seed=13,
        n_users=500,
        strategy="scenario",
        interactive_share=1.0,
        feed_ranking=ranking,
        incivility=0.5,
        outrage=0.9,
        reply_gain=1.0,
        outlet_rate=5.0,
        fatigue_saturation=2.0,
        churn_overload=0.2,
        base_comment=0.3,
        follow_up_share=0.01,
        community_window=12,
        steps=100,
    )
    for _ in range(60):
        _step_checking_every_phase(m)
    # the run used every mechanism
    c = m.content
    assert m.replies_by.min() > 0 and m.reviews_by.min() > 0 and c.removed.sum() > 0
    assert c.uncivil.sum() > 0 and c.followed_up.any() and m.state.community.any()
    # every outlet item is a published item or a follow-up (which took an item's place)
    outlet = c.source_kind == 0
    items = np.bincount(c.source[outlet], minlength=m.n_outlets)
    follow_ups = np.bincount(c.source[outlet & (c.parent >= 0)], minlength=m.n_outlets)
    assert (items == m.published + follow_ups).all()
