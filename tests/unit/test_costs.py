"""The costs of interactivity, each mechanism against a hand-computed case (docs/ODD.md 7.9-7.12).

Signed social proof, the incivility draw, moderation, the staff budget, Beta trust with memory,
the trust-dependent reply, outrage, the asymmetric emotional match, fatigue, the platform's
feed ranking and share friction, retention and the exposure-based echo chamber.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology, Params, Strategy
from model import measures as M
from model.content import social_proof
from model.population import background_strategies, outlet_table
from model.rules.feed_ranking import bias_factor, engagement_factor
from model.step import react, respond, update
from model.step.publish import poisson_inverse, publish, publishing_hours
from model.step.react import decayed, emotional_match, load_keep, outrage_odds, p_uncivil
from model.step.records import Sessions
from model.step.respond import false_removal
from model.trust import add_evidence, beta_trust, reply_evidence
from tests.conftest import quiet_params
from tests.unit.test_rules import _item, _reactions, _views

EMPTY = Sessions(posters=np.zeros(0, np.int64), browsers=np.zeros(0, np.int64))


def _a(*x):
    return np.array(x, dtype=np.float64)


# ------------------------------------------------------------------ signed social proof
def test_signed_proof_by_hand():
    # S=3, C=1, U=0, R=1, nu=2: sign (4 - 2) / (4 + 2) = 1/3; 5 visible comments over 20 views
    # at proof_share 0.1 reach full strength (5 / (0.1 x 20) > 1)
    p = social_proof(_a(3), _a(1), _a(0), _a(1), _a(20), 2.0, 0.1)
    assert p[0] == pytest.approx(1 / 3)
    # the same thread under 100 views is half strength: 5 / (0.1 x 100)
    assert social_proof(_a(3), _a(1), _a(0), _a(1), _a(100), 2.0, 0.1)[0] == pytest.approx(1 / 6)
    # an uncivil comment counts against; a hostile thread is negative, an empty one 0
    assert social_proof(_a(1), _a(2), _a(2), _a(0), _a(10), 2.0, 0.1)[0] == pytest.approx(
        (1 - 8) / (1 + 8)
    )
    assert social_proof(_a(0), _a(0), _a(0), _a(0), _a(50), 2.0, 0.1)[0] == 0.0
    # below 10 views the audience counts as 10: one comment under one view is full strength
    assert social_proof(_a(1), _a(0), _a(0), _a(0), _a(1), 2.0, 0.1)[0] == pytest.approx(1.0)


def test_hidden_comments_drop_proof_from_resonance():
    """With comments hidden, resonance is (trust + emotion + value) / 3 whatever w_proof is."""
    for w_proof in (0.0, 5.0):
        m = OpinionEcology(quiet_params(n_users=2, comments_visible=False, w_proof=w_proof), seed=2)
        s = m.state
        s.opinion[0], s.trust_media[0, 0], s.valence[0] = 0.2, 0.5, 0.0
        it = _item(m, valence=0.0, intensity=0.0)
        m.content.critical[it] = 50
        r = react(m, 1, _views([0], [it]))
        assert r.res[0] == pytest.approx((0.5 + 0.0 + (1 - 0.3 / 2)) / 3)


# ------------------------------------------------------------------ incivility
def test_incivility_probability_by_hand():
    p = Params(incivility=0.2, incivility_disagreement=0.6, incivility_arousal=1.0)
    z = math.log(0.2 / 0.8) + 0.6 * 0.5 + 1.0 * (0.7 - 0.5)
    assert p_uncivil(p, _a(0.5), _a(0.7))[0] == pytest.approx(1 / (1 + math.exp(-z)))
    # at no disagreement and arousal 0.5 the base share is recovered
    assert p_uncivil(p, _a(0.0), _a(0.5))[0] == pytest.approx(0.2)
    assert p_uncivil(Params(incivility=0.0), _a(1.0), _a(1.0))[0] == 0.0


def test_comment_stance_is_critical_outside_the_bound():
    m = OpinionEcology(quiet_params(n_users=2, base_comment=1.0, epsilon=0.3), seed=1)
    s = m.state
    s.opinion[:] = [0.45, -0.5]
    it = _item(m, stance=0.5)
    r = react(m, 1, _views([0, 1], [it, it]))
    assert r.comment.all()  # p = min(1, 2 x 1 x res x ...) = 1 for both here
    assert r.critical.tolist() == [False, True]
    assert m.content.supportive[it] == 1 and m.content.critical[it] == 1


# ------------------------------------------------------------------ moderation
def test_false_removal_rate_gives_the_chosen_precision():
    p = Params(moderation_recall=0.3, moderation_precision=0.8, incivility=0.2)
    fp = false_removal(p)
    assert fp == pytest.approx(0.3 * 0.25 * 0.25)
    # removals among reviewed comments, 20% uncivil: 0.2 x 0.3 true, 0.8 x fp false
    assert 0.2 * 0.3 / (0.2 * 0.3 + 0.8 * fp) == pytest.approx(0.8)


def test_moderation_reviews_up_to_capacity_and_removes_uncivil():
    """Capacity = moderation_share x outlet_rate x item_hours / review_hours = 0.5 x 2.5 x 0.5 /
    0.125 = 5 (exact in binary, so floor(5 + U) = 5) of the step's 10 uncivil comments; recall 1
    removes every reviewed one; removed comments leave the visible thread."""
    m = OpinionEcology(
        quiet_params(
            n_users=10,
            strategy=Strategy(moderation_share=0.5),
            outlet_rate=2.5,
            item_hours=0.5,
            review_hours=0.125,
            moderation_recall=1.0,
            moderation_precision=1.0,
        ),
        seed=3,
    )
    m.state.follows[:, 0] = True
    it = _item(m)
    m.content.uncivil[it] = m.content.supportive[it] = 10
    users = np.arange(10)
    r = _reactions(np.ones(10), np.ones(10), uncivil=np.ones(10))
    respond(m, 1, _views(users, [it] * 10), r)
    c = m.content
    assert m.budget["review_cap"][0] == 5 and m.budget["reviews"][0] == 5
    assert c.removed[it] == 5 and c.removed_uncivil[it] == 5 and c.removed_critical[it] == 0
    from model.content import visible_thread

    sup, crit, unc, rep = (x[0] for x in visible_thread(c, np.array([it])))
    assert (sup, crit, unc, rep) == (5, 0, 5, 0)


def test_wrongly_removed_commenter_loses_belonging():
    m = OpinionEcology(
        quiet_params(
            n_users=2,
            strategy=Strategy(moderation_share=0.5),
            outlet_rate=1.0,  # 0.5 x 1 x 0.5 / 0.0083: about 30 reviews, the one comment is reviewed
            moderation_recall=1.0,
            moderation_precision=0.01,
            incivility=0.5,
            removal_belonging_loss=0.1,
        ),
        seed=3,
    )
    # precision 0.01 at incivility 0.5: false-removal rate 1 x 0.99 / 0.01 x 1 > 1, capped at 1
    assert false_removal(m.params) == 1.0
    m.state.follows[:, 0] = True
    m.state.belonging[1, 0] = 0.5
    it = _item(m)
    respond(m, 1, _views([1], [it]), _reactions([True], [True]))
    assert m.content.removed[it] == 1 and m.content.removed_uncivil[it] == 0
    assert m.state.belonging[1, 0] == pytest.approx(0.45)


# ------------------------------------------------------------------ staff budget
def test_publishing_gets_the_rest_of_the_staff_budget():
    """Staff = rate x item_hours: focal 2 x 0.5 = 1.0, background 1 x 0.5 = 0.5. With an empty
    balance and no follow-ups publishing gets (1 - conversation share) of it: focal 1.0 x (1 -
    0.3) = 0.7 h; background floor(0.5 x 2 + 1/2) = 1 interactive (conversation 0.2 + 0.1 + 0.1
    = 0.4: 0.5 x 0.6 = 0.3 h) and 1 one-way (all 0.5 h)."""
    p = quiet_params(n_users=4, outlet_rate=2.0, n_background=2, background_rate=1.0)
    p = p.replace(strategy=Strategy(reply_share=0.2, moderation_share=0.1), interactive_share=0.5)
    m = OpinionEcology(p, seed=1)
    assert [s.label() for s in background_strategies(p)] == ["interactive", "one_way"]
    assert outlet_table(m.outlets, p.item_hours)["staff"] == pytest.approx([1.0, 0.5, 0.5])
    assert m.outlet["conversation_share"] == pytest.approx([0.3, 0.4, 0.0])
    hours = publishing_hours(np.zeros(3), m.outlet["staff"], m.outlet["conversation_share"], 0.0)
    assert hours == pytest.approx([0.7, 0.3, 0.5])


def test_a_follow_up_replaces_an_item():
    """Counts come from one uniform per outlet (inversion), so the same seed gives the same count,
    and a queued follow-up takes one item's place."""
    counts = []
    for queue in (False, True):
        m = OpinionEcology(quiet_params(n_users=4, outlet_rate=5.0), seed=7)
        if queue:
            m.outbox.outlet_items = np.array([_item(m)])
        publish(m, 2, EMPTY)
        counts.append(int(m.published[0]))
    assert counts[0] >= 1 and counts[1] == counts[0] - 1


def test_larger_reply_share_publishes_fewer_items_on_the_same_draws():
    """Inversion makes the count monotone in the rate for a fixed uniform: never more items."""
    u = np.random.default_rng(0).random(10_000)
    a = poisson_inverse(u, np.full(10_000, 1.0))
    b = poisson_inverse(u, np.full(10_000, 1.0 * (1 - 0.5)))
    assert (b <= a).all() and b.sum() < a.sum()
    assert a.mean() == pytest.approx(1.0, abs=0.05)  # Poisson(1): sd of the mean 0.01


# ------------------------------------------------------------------ trust with memory
def test_beta_trust_with_lazy_forgetting_by_hand():
    m = OpinionEcology(quiet_params(n_users=3, trust_prior=20.0, trust_forgetting=0.9), seed=1)
    s, p = m.state, m.params
    s.trust0[:] = 0.5
    other = s.trust_media.copy()
    add_evidence(s, p, 0, np.array([1]), np.array([0]), _a(2.0), _a(0.0))
    assert s.trust_media[1, 0] == pytest.approx(12 / 22)
    # one day later the old evidence is worth 0.9 x 2 = 1.8; one negative observation is added
    add_evidence(s, p, 24, np.array([1]), np.array([0]), _a(0.0), _a(1.0))
    assert s.trust_media[1, 0] == pytest.approx((10 + 1.8) / (20 + 1.8 + 1), rel=1e-5)
    assert s.trust_last[1, 0] == 24
    # only the touched pair moved
    mask = np.ones_like(other, bool)
    mask[1, 0] = False
    np.testing.assert_array_equal(s.trust_media[mask], other[mask])
    # no evidence: the baseline
    assert beta_trust(_a(0.7), _a(0), _a(0), 20.0)[0] == pytest.approx(0.7)


def test_reply_evidence_depends_on_trust_and_stance():
    p = Params(reply_evidence=1.0, reply_backfire_trust=0.3)
    pos, neg = reply_evidence(_a(0.5, 0.5, 0.2, 0.2), np.array([False, True, False, True]), p)
    assert pos.tolist() == [1.0, 0.5, 0.5, 0.0]
    assert neg.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_reply_evidence_compares_float32_trust_in_float32():
    """As numpy compares a float32 array with a Python float: float32(0.7) is below 0.7 as a
    float64 but equal to theta = 0.7 rounded to float32, so that trust counts as trusted."""
    p = Params(reply_evidence=1.0, reply_backfire_trust=0.7)
    below = np.nextafter(np.float32(0.7), np.float32(0.0))
    trust = np.array([0.7, below], dtype=np.float32)
    pos, neg = reply_evidence(trust, np.array([True, True]), p)
    assert pos.tolist() == [0.5, 0.0]
    assert neg.tolist() == [0.0, 1.0]
    # float64 trust is compared in float64: 0.7 itself is trusted, float32(0.7) is not
    trust64 = np.array([0.7, float(np.float32(0.7))])
    pos, _ = reply_evidence(trust64, np.array([False, False]), p)
    assert pos.tolist() == [1.0, 0.5]


# ------------------------------------------------------------------ outrage and emotion
def test_outrage_raises_forward_odds_by_the_rathje_factor():
    p = Params(outgroup_boost=1.67, outrage_terms=1.0)
    odds = 0.2 / 0.8 * 1.67
    assert outrage_odds(_a(0.2), _a(1.0), p)[0] == pytest.approx(odds / (1 + odds))
    assert outrage_odds(_a(0.2), _a(0.0), p)[0] == pytest.approx(0.2)
    assert outrage_odds(_a(1.0), _a(1.0), p)[0] == 1.0


def test_outrage_costs_trust_among_those_who_disagree():
    m = OpinionEcology(quiet_params(n_users=2, epsilon=0.2, outrage_trust=0.5), seed=2)
    s = m.state
    s.opinion[:] = [-0.5, 0.5]
    s.trust0[:, 0] = s.trust_media[:, 0] = 0.6
    it = _item(m, stance=0.5)
    m.content.outrage[it] = 1.0
    v = _views([0, 1], [it, it])
    update(m, 1, v, react(m, 1, v))
    # the critic: 0.1 (mismatch) + 0.5 (outrage) negative; the supporter: 0.09 / 0.01
    assert s.trust_media[0, 0] == pytest.approx(12 / 20.6, rel=1e-5)
    assert s.trust_media[1, 0] == pytest.approx((12 + 0.09) / 20.1, rel=1e-5)


def test_emotional_match_favours_negative_items():
    p = Params(negativity_emotion=0.5)
    neg = emotional_match(_a(1.0), _a(1.0), _a(0.0), _a(-0.6), p)[0]
    pos = emotional_match(_a(1.0), _a(1.0), _a(0.0), _a(0.6), p)[0]
    assert (neg, pos) == (pytest.approx(1.0), pytest.approx(0.7))


# ------------------------------------------------------------------ fatigue
def test_fatigue_halves_resonance_at_the_saturation_load_and_decays_lazily():
    p = quiet_params(n_users=2, fatigue_saturation=10.0, fatigue_half_life=6.0)
    m = OpinionEcology(p, seed=1)
    it = _item(m)
    fresh = react(m, 1, _views([0], [it])).res[0]
    m.state.load[0, 0], m.state.load_last[0, 0] = 10.0, 1
    tired = react(m, 1, _views([0], [it])).res[0]
    assert tired == pytest.approx(fresh / 2, rel=1e-6)
    assert decayed(np.float32(10.0), np.array(0), 6, load_keep(m.params)) == pytest.approx(5.0)
    # each view adds one unit of load (after decaying the old load to the step of the view)
    v = _views([1, 1], [it, it])
    update(m, 7, v, react(m, 7, v))
    assert m.state.load[1, 0] == pytest.approx(2.0) and m.state.load_last[1, 0] == 7


def test_overload_adds_to_the_unfollow_hazard():
    p = quiet_params(n_users=200, churn_prob=0.0, churn_overload=1.0, fatigue_saturation=10.0)
    m = OpinionEcology(p, seed=1)
    s = m.state
    s.follows[:, 0] = True
    s.load[:100, 0], s.load_last[:, 0] = 20.0, 1  # twice the saturation: hazard 1
    update(m, 1, _views([], []), react(m, 1, _views([], [])))
    assert not s.follows[:100, 0].any() and s.follows[100:, 0].all()
    assert s.ever_unfollowed[:100].all()


def test_community_membership_lapses_without_comments():
    """community_join 1 with trust and belonging 1 makes joining certain (p = 1 x (1 + 1) / 2);
    room: 0.1 x 1 x 0.5 / (0.004 / 24) = 300 members. Member 0 joins at step 1 and is still a
    member at step 6 (6 - 1 = 5 = community_window) but not at step 7."""
    p = quiet_params(
        n_users=3,
        strategy=Strategy(community_share=0.1),
        outlet_rate=1.0,
        community_join=1.0,
        community_window=5,
        community_fanout=0,
    )
    m = OpinionEcology(p, seed=1)
    m.state.trust0[:, 0] = m.state.trust_media[:, 0] = 1.0
    m.state.belonging[:, 0] = 1.0
    it = _item(m)
    respond(m, 1, _views([0], [it]), _reactions([True], [True]))
    assert m.state.community[0, 0]
    respond(m, 6, _views([1], [it]), _reactions([True], [True]))
    assert m.state.community[0, 0] and m.state.community[1, 0]  # 6 - 1 = 5: still a member
    respond(m, 7, _views([1], [it]), _reactions([True], [True]))
    assert not m.state.community[0, 0] and m.state.community[1, 0]


def test_belonging_stays_below_one_after_respond_with_the_largest_gains():
    """Reply capacity 0.2 x 1 x 0.5 / 0.05 = 2; a doubled reply_gain of 1 to a trusted
    supporter lifts belonging 0.95 to exactly 1 and no further."""
    p = quiet_params(
        n_users=2, strategy="interactive", reply_gain=1.0, community_fanout=0, outlet_rate=1.0
    )
    m = OpinionEcology(p, seed=1)
    m.state.follows[:, 0] = True
    m.state.belonging[0, 0] = 0.95
    m.state.trust_media[0, 0] = 0.9
    it = _item(m)
    respond(m, 1, _views([0], [it]), _reactions([True], [True]))
    assert m.state.belonging[0, 0] == pytest.approx(1.0) and m.state.belonging.max() <= 1.0


# ------------------------------------------------------------------ platform
def test_feed_ranking_factors_by_hand():
    assert engagement_factor(_a(0.0))[0] == 1.0
    assert engagement_factor(_a(math.e - 1))[0] == pytest.approx(2.0)
    assert engagement_factor(_a(-(math.e - 1)))[0] == pytest.approx(0.5)
    assert bias_factor(_a(0.2), _a(0.25), 1.0)[0] == pytest.approx(10.0)
    assert bias_factor(_a(0.2), _a(0.9), 0.0)[0] == 1.0


def test_share_friction_is_the_platforms_and_the_prompt_lowers_it():
    """Fixed forwarding p = 1 on outlet items: forwards happen with 1 - friction + prompt.
    40,000 views give a binomial sd of at most 0.0025, so 0.015 is six sd."""
    for prompt, want in ((0.0, 0.65), (0.1, 0.75)):
        p = quiet_params(
            n_users=40_000, forward_model="fixed", forward_p=1.0, share_friction=0.35
        ).replace(strategy=Strategy(share_prompt=prompt))
        m = OpinionEcology(p, seed=1)
        it = _item(m)
        r = react(m, 1, _views(np.arange(40_000), [it] * 40_000))
        assert r.forward.mean() == pytest.approx(want, abs=0.015)


# ------------------------------------------------------------------ measures
def test_retention_does_not_count_followers_who_left_and_came_back():
    m = OpinionEcology(quiet_params(n_users=4), seed=1)
    s = m.state
    s.initial_follows[:] = s.follows[:, 0] = True
    s.ever_unfollowed[0] = True  # left and came back: follows again
    assert M.retention(m) == pytest.approx(0.75)


def test_exposure_distance_by_hand():
    m = OpinionEcology(quiet_params(n_users=2), seed=1)
    m.state.opinion[:] = [0.0, 0.5]
    a, b = _item(m, stance=0.2), _item(m, stance=-0.4)
    v = _views([0, 0], [a, b])
    update(m, 1, v, react(m, 1, v))
    # user 0 saw distances 0.2 and 0.4; user 1 saw nothing and is left out
    assert M.exposure_distance(m) == pytest.approx(0.3)


def test_nasty_effect_pushes_away_from_the_centre_by_hand():
    """Two views of a thread whose visible comments are half uncivil: mean u = 0.5, so
    x = 0.4 moves by 0.02 x 0.5 x (1 - 0.4) = 0.006 outward; x = -0.4 by the same inward-to-pole."""
    p = quiet_params(n_users=2, mu_content=0.0, nasty_polarization=0.02)
    m = OpinionEcology(p, seed=1)
    m.state.opinion[:] = [0.4, -0.4]
    it = _item(m, stance=0.9)
    m.content.supportive[it] = m.content.critical[it] = 1
    m.content.uncivil[it] = 1
    v = _views([0, 0, 1, 1], [it, it, it, it])
    update(m, 1, v, react(m, 1, v))
    assert m.state.opinion.tolist() == pytest.approx([0.406, -0.406])
