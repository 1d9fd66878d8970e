"""Issue 17's mechanisms against hand-computed cases (docs/ODD.md 7.10-7.12).

The one staff budget (the ledger in :func:`model.step.publish.publish`, the capacities in
:mod:`model.step.respond`), the community's join rule and its cost, belonging from community
contact, critical threads as trust evidence for distrusting viewers, trust read at the present
(:func:`model.trust.trust_at`) and the churn hazard's logistic trust factor.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology, Strategy
from model import measures as M
from model.constants import DAY
from model.content import USER
from model.rules.following import trust_factor
from model.step import react, respond, update
from model.step.publish import publish, publishing_hours
from model.step.records import Sessions
from model.step.respond import capacities, join_probability, member_capacity
from model.step.update import community_contact
from model.trust import add_evidence, trust_at
from tests.conftest import quiet_params
from tests.unit.test_rules import _item, _reactions, _views

EMPTY = Sessions(posters=np.zeros(0, np.int64), browsers=np.zeros(0, np.int64))


def _a(*x):
    return np.array(x, dtype=np.float64)


def _member_comment(m, author: int, parent: int, stance: float = 0.5) -> int:
    """A community member's comment item (a USER item whose parent is an outlet's item)."""
    return int(
        m.content.add(
            source_kind=np.array([USER]),
            source=np.array([author]),
            format=np.array([0]),
            stance=np.array([stance]),
            valence=np.array([0.0]),
            intensity=np.array([0.5]),
            quality=np.array([0.5]),
            created=np.array([0]),
            parent=np.array([parent]),
        )[0]
    )


# ------------------------------------------------------------------ the ledger
def test_publishing_hours_by_hand():
    """balance + staff - conversation x staff - follow-up hours: 0 + 0.5 - 0 - 3 x 0.5 = -1.0;
    1.0 + 0.5 - 0.4 x 0.5 - 0 = 1.3."""
    got = publishing_hours(_a(0.0, 1.0), _a(0.5, 0.5), _a(0.0, 0.4), _a(1.5, 0.0))
    assert got == pytest.approx([-1.0, 1.3])


def test_follow_ups_are_paid_first_and_the_debt_is_paid_by_the_next_steps():
    """Balance 0, staff 1 x 0.5 = 0.5 h, 3 follow-ups released at 0.5 h: hours 0.5 - 1.5 = -1.0,
    so Poisson(0) = 0 new items, the balance is 0.5 - 1.5 = -1.0 and 1.5 h are spent. The next
    two steps pay the debt (hours -0.5, then 0: no items; balance -0.5, then 0); the step after
    has 0.5 h again and spends exactly what it publishes."""
    m = OpinionEcology(quiet_params(n_users=4, strategy="one_way", outlet_rate=1.0), seed=3)
    m.outbox.outlet_items = np.array([_item(m) for _ in range(3)])
    publish(m, 2, EMPTY)
    assert m.published[0] == 0 and m.focal_items == 3
    assert m.staff_balance[0] == pytest.approx(-1.0) and m.staff_spent[0] == pytest.approx(1.5)
    for t, balance in ((3, -0.5), (4, 0.0)):
        publish(m, t, EMPTY)
        assert m.published[0] == 0 and m.staff_balance[0] == pytest.approx(balance)
    publish(m, 5, EMPTY)
    n = int(m.published[0])
    assert m.staff_balance[0] == pytest.approx(0.5 - 0.5 * n)
    assert m.staff_spent[0] == pytest.approx(1.5 + 0.5 * n)


def test_one_way_spends_exactly_its_items_and_the_ledger_balances():
    """one_way has no conversation and no follow-ups: staff_spent = items x item_hours, exactly
    (multiples of 0.5). For every outlet, spent + balance = steps x staff (each step pays staff
    in; every hour spent leaves the balance)."""
    m = OpinionEcology(n_users=300, strategy="one_way", outlet_rate=3.0, seed=2)
    for _ in range(12):
        m.step()
    assert m.focal_items > 0
    assert m.staff_spent[0] == m.focal_items * m.params.item_hours
    np.testing.assert_allclose(m.staff_spent + m.staff_balance, 12 * m.outlet["staff"], atol=1e-9)


def test_interactive_spends_items_replies_reviews_and_member_time():
    """staff_spent = items x item_hours + replies x reply_hours + reviews x review_hours +
    member-steps x member_hours / 24, from the model's own tallies."""
    m = OpinionEcology(n_users=400, strategy="interactive", outlet_rate=3.0, seed=2)
    for _ in range(12):
        m.step()
    p = m.params
    assert m.replies_by[0] > 0 and m.reviews_by[0] > 0
    want = (
        m.focal_items * p.item_hours
        + m.replies_by[0] * p.reply_hours
        + m.reviews_by[0] * p.review_hours
        + m.member_steps[0] * p.member_hours / DAY
    )
    assert m.staff_spent[0] == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(m.staff_spent + m.staff_balance, 12 * m.outlet["staff"], atol=1e-9)


# ------------------------------------------------------------------ capacities
def test_capacities_by_hand():
    """Interactive at outlet_rate 1 (staff 0.5 h): replies 0.2 x 0.5 / 0.05 = 2, reviews
    0.1 x 0.5 / 0.0083 = 6.02 (6 at U = 0, 7 at U = 0.99), members 0.1 x 0.5 / (0.004 / 24) =
    300."""
    m = OpinionEcology(quiet_params(n_users=4, strategy="interactive", outlet_rate=1.0), seed=1)
    p, o = m.params, m.outlet
    assert capacities(m, o["reply_share"], p.reply_hours, np.zeros(1))[0] == 2
    assert capacities(m, o["moderation_share"], p.review_hours, np.zeros(1))[0] == 6
    assert capacities(m, o["moderation_share"], p.review_hours, np.full(1, 0.99))[0] == 7
    assert member_capacity(m)[0] == 300


@pytest.mark.parametrize("followers", [10, 1000])
def test_capacities_do_not_grow_with_followers(followers):
    """The same staff buys the same capacities whatever the audience: with 10 or 1,000
    followers and 1,000 commenters, 2 replies (0.2 x 0.5 / 0.05), 6 or 7 reviews and room for
    300 members (the old rule scaled replies and reviews with followers / 1000)."""
    n = 1000
    m = OpinionEcology(quiet_params(n_users=n, strategy="interactive", outlet_rate=1.0), seed=4)
    m.state.follows[:, 0] = False
    m.state.follows[:followers, 0] = True
    it = _item(m)
    users = np.arange(n)
    respond(m, 1, _views(users, [it] * n), _reactions(np.ones(n), np.ones(n)))
    b = m.budget
    assert b["reply_cap"][0] == 2 and b["replies"][0] == 2
    assert b["review_cap"][0] in (6, 7) and b["reviews"][0] == b["review_cap"][0]
    assert b["member_cap"][0] == 300 and b["members"][0] <= 300


# ------------------------------------------------------------------ the community's join rule
def test_join_probability_by_hand():
    """community_join 0.5: trust 0.6, belonging 0.2 gives 0.5 x 0.8 / 2 = 0.2; a critical
    comment halves it (0.1); an uncivil one is 0."""
    p = quiet_params(community_join=0.5)
    tr, be = _a(0.6, 0.6, 0.6, 0.6), _a(0.2, 0.2, 0.2, 0.2)
    crit = np.array([False, True, False, True])
    unc = np.array([False, False, True, True])
    assert join_probability(tr, be, crit, unc, p) == pytest.approx([0.2, 0.1, 0.0, 0.0])


def _community_model(n_users=3, **kw):
    """A community of room 300 whose commenters join for sure (community_join 1, trust and
    belonging 1: p = 1 x (1 + 1) / 2 = 1), no fan-out."""
    base = dict(
        n_users=n_users,
        strategy=Strategy(community_share=0.1),
        outlet_rate=1.0,
        community_join=1.0,
        community_fanout=0,
    )
    base.update(kw)
    m = OpinionEcology(quiet_params(**base), seed=1)
    m.state.trust0[:, 0] = m.state.trust_media[:, 0] = 1.0
    m.state.belonging[:, 0] = 1.0
    return m


def test_uncivil_commenter_never_joins_and_an_uncivil_member_leaves():
    """At p = 1 a civil commenter joins; an uncivil one does not; a member (user 2) whose
    comment is uncivil leaves."""
    m = _community_model()
    m.state.community[2, 0] = True
    m.state.community_last[2, 0] = 1
    it = _item(m)
    respond(m, 2, _views([0, 1, 2], [it] * 3), _reactions([1, 1, 1], [1, 1, 1], uncivil=[0, 1, 1]))
    assert m.state.community[:, 0].tolist() == [True, False, False]
    assert m.budget["members"][0] == 1


def test_removed_commenter_leaves_and_does_not_join():
    """Moderation removing every reviewed civil comment (recall 1, precision 0.01 at incivility
    0.5: false-removal rate capped at 1): the removed member (user 0) leaves and the removed
    non-member (user 1) does not join, though p = 1."""
    m = _community_model(
        strategy=Strategy(moderation_share=0.5, community_share=0.1),
        moderation_recall=1.0,
        moderation_precision=0.01,
        incivility=0.5,
    )
    m.state.community[0, 0] = True
    m.state.community_last[0, 0] = 1
    it = _item(m)
    respond(m, 2, _views([0, 1], [it, it]), _reactions([1, 1], [1, 1]))
    assert m.content.removed[it] == 2
    assert not m.state.community[:, 0].any()


def test_joins_stop_at_capacity_and_unused_member_time_returns():
    """member_hours 0.6: room 0.1 x 0.5 / (0.6 / 24) = 2. Ten sure joiners: 2 join; ten more
    at the next step: none (no room). Each step spends members x 0.6 / 24 = 0.05 h, the whole
    community share here; with room for 300 (member_hours 0.004) one member costs 0.004 / 24 h
    and the rest of the 0.05 h reserved stays in the balance for publishing."""
    m = _community_model(n_users=20, member_hours=0.6)
    assert member_capacity(m)[0] == 2
    it = _item(m)
    respond(m, 1, _views(range(10), [it] * 10), _reactions(np.ones(10), np.ones(10)))
    assert m.state.community[:, 0].sum() == 2 and m.budget["members"][0] == 2
    assert m.staff_spent[0] == pytest.approx(2 * 0.6 / 24)
    respond(m, 2, _views(range(10, 20), [it] * 10), _reactions(np.ones(10), np.ones(10)))
    assert m.state.community[:, 0].sum() == 2 and not m.state.community[10:, 0].any()
    # one member of a community with room for 300 (member_hours 0.004): publish pays 0.5 h in,
    # spends items x 0.5; respond spends 0.004 / 24 of the 0.05 h reserved; the rest is balance
    m = _community_model(n_users=3)
    publish(m, 2, EMPTY)
    n_items = int(m.published[0])
    respond(m, 2, _views([0], [_item(m)]), _reactions([1], [1]))
    assert m.budget["members"][0] == 1
    assert m.staff_balance[0] == pytest.approx(0.5 - 0.5 * n_items - 0.004 / 24, abs=1e-12)
    # the next step's publishing gets that balance + 0.5 - 0.1 x 0.5
    hours = publishing_hours(m.staff_balance, m.outlet["staff"], m.outlet["conversation_share"], 0)
    assert hours[0] == pytest.approx(0.5 - 0.5 * n_items - 0.004 / 24 + 0.45, abs=1e-12)


# ------------------------------------------------------------------ community contact
def _contact_model():
    """Users 0 and 1 members, user 2 not; belonging 0.5; an outlet item and member comments."""
    m = OpinionEcology(
        quiet_params(n_users=3, strategy=Strategy(community_share=0.1), outlet_rate=1.0), seed=1
    )
    m.state.community[:2, 0] = True
    m.state.belonging[:, 0] = 0.5
    it = _item(m)
    return m, [_member_comment(m, 1, it) for _ in range(3)]


def test_member_viewing_member_comments_inside_the_bound_gains_once():
    """Two member comments inside the bound: 0.5 + 0.02 x (1 - 0.5) = 0.51, once per step."""
    m, (a, b, _) = _contact_model()
    community_contact(m, np.array([0, 0]), np.array([a, b]), np.array([True, True]))
    assert m.state.belonging[0, 0] == pytest.approx(0.51, rel=1e-6)


def test_member_comments_outside_the_bound_cost_belonging_each():
    """One inside, two outside: (0.5 + 0.02 x 0.5) x (1 - 0.02)^2 = 0.51 x 0.9604."""
    m, (a, b, c) = _contact_model()
    community_contact(m, np.array([0, 0, 0]), np.array([a, b, c]), np.array([True, False, False]))
    assert m.state.belonging[0, 0] == pytest.approx(0.51 * 0.98**2, rel=1e-6)


def test_non_member_gains_nothing_from_member_comments():
    m, (a, b, _) = _contact_model()
    community_contact(m, np.array([2, 2]), np.array([a, b]), np.array([True, True]))
    assert m.state.belonging[2, 0] == pytest.approx(0.5)


def test_active_members_who_view_nothing_gain_nothing():
    """With belonging_decay 0 an active member (last_active = t) who viewed nothing keeps 0.5;
    the old rule gave every active member community_gain x (1 - B) = 0.01."""
    m = OpinionEcology(
        quiet_params(
            n_users=3,
            strategy=Strategy(community_share=0.1),
            outlet_rate=1.0,
            belonging_decay=0.0,
            churn_prob=0.0,
        ),
        seed=1,
    )
    m.state.community[:2, 0] = True
    m.state.belonging[:, 0] = 0.5
    m.state.last_active[:] = 1
    v = _views([], [])
    update(m, 1, v, react(m, 1, v))
    assert m.state.belonging[:, 0].tolist() == pytest.approx([0.5, 0.5, 0.5])


def test_community_contact_through_update_uses_the_confidence_bound():
    """Member 0 (opinion 0.4, epsilon 0.3) views a member comment at stance 0.5 (inside) and
    member 1 (opinion -0.5) views the same comment (outside): 0.51 and 0.5 x 0.98 = 0.49, with
    belonging_decay 0 and no other belonging change (the comment is not an outlet's item)."""
    m = OpinionEcology(
        quiet_params(
            n_users=3,
            strategy=Strategy(community_share=0.1),
            outlet_rate=1.0,
            belonging_decay=0.0,
            churn_prob=0.0,
            epsilon=0.3,
        ),
        seed=1,
    )
    m.state.community[:2, 0] = True
    m.state.belonging[:, 0] = 0.5
    m.state.opinion[:2] = [0.4, -0.5]
    c = _member_comment(m, 2, _item(m), stance=0.5)
    v = _views([0, 1], [c, c])
    update(m, 1, v, react(m, 1, v))
    assert m.state.belonging[:2, 0].tolist() == pytest.approx([0.51, 0.49], rel=1e-6)


# ------------------------------------------------------------------ critical threads
def _critical_view(trust: float, critical_trust: float) -> float:
    """Negative evidence of one view of an outlet item whose visible thread is 1 supportive and
    3 critical comments (critical share 0.75; no uncivil, no comments drawn: base_comment 0)."""
    m = OpinionEcology(
        quiet_params(
            n_users=2, critical_trust=critical_trust, base_comment=0.0, churn_prob=0.0, epsilon=2.0
        ),
        seed=2,
    )
    s = m.state
    s.trust0[0, 0] = s.trust_media[0, 0] = trust
    it = _item(m, stance=0.0)
    m.content.supportive[it], m.content.critical[it] = 1, 3
    v = _views([0], [it])
    update(m, 1, v, react(m, 1, v))
    return float(s.trust_neg[0, 0])


def test_critical_thread_is_negative_evidence_for_a_distrusting_viewer():
    """Trust 0.2 < reply_backfire_trust 0.3: critical_trust 0.4 x 0.75 = 0.3 more negative
    evidence than with critical_trust 0; at trust 0.6 none."""
    assert _critical_view(0.2, 0.4) - _critical_view(0.2, 0.0) == pytest.approx(0.3, rel=1e-6)
    assert _critical_view(0.6, 0.4) == pytest.approx(_critical_view(0.6, 0.0))


# ------------------------------------------------------------------ trust at the present
def test_trust_at_decays_evidence_to_the_present_by_hand():
    """t0 0.5, prior 20, 2 positive at step 0: 12 / 22 then. At step 48 (two days at lambda 0.9)
    the evidence is 2 x 0.81 = 1.62: (10 + 1.62) / 21.62, with no new evidence; the trust
    measure reads that, while trust_media still holds 12 / 22."""
    m = OpinionEcology(quiet_params(n_users=2, trust_prior=20.0, trust_forgetting=0.9), seed=1)
    s, p = m.state, m.params
    s.trust0[:, 0] = 0.5
    add_evidence(s, p, 0, np.array([0, 1]), np.array([0, 0]), _a(2.0, 2.0), _a(0.0, 0.0))
    assert s.trust_media[0, 0] == pytest.approx(12 / 22)
    now = 11.62 / 21.62
    assert trust_at(s, p, 48) == pytest.approx([now, now], rel=1e-6)
    assert trust_at(s, p, 0) == pytest.approx([12 / 22, 12 / 22], rel=1e-6)
    m.steps = 48
    assert M.mean_trust(m) == pytest.approx(now, rel=1e-6)
    assert M.mean_trust(m) < s.trust_media[:, 0].mean()
    assert s.trust_media[0, 0] == pytest.approx(12 / 22)  # reading changed no state


# ------------------------------------------------------------------ churn's trust factor
def test_trust_factor_by_hand():
    """expit((0.3 - T) / 0.1) / expit(3): 1 at T = 0; 0.5 / expit(3) = (1 + e^-3) / 2 at 0.3;
    expit(-3) / expit(3) = e^-3 at 0.6; strictly decreasing and positive above 0.6."""
    f = trust_factor(_a(0.0, 0.3, 0.6), 0.3, 0.1)
    assert f == pytest.approx([1.0, (1 + math.exp(-3)) / 2, math.exp(-3)], rel=1e-9)
    grid = np.linspace(0.0, 1.0, 101)
    g = trust_factor(grid, 0.3, 0.1)
    assert (np.diff(g) < 0).all()
    # at T = 1: expit(-7) / expit(3) = (1 + e^-3) / (1 + e^7), small but not 0 (the old line
    # made every follower above 0.6 immune)
    assert (g[grid > 0.6] > 0).all()
    assert g[-1] == pytest.approx((1 + math.exp(-3)) / (1 + math.exp(7)), rel=1e-9)
