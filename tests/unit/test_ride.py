"""Outlets that ride users' trends (model/ride.py, model/step/ride.py, docs/ODD.md 7.20).

Hand-computed cases for the staff cost of riding (the budget kernel), the delay (which topics an
outlet rides at a step), the creator item of a topic and the two measures; on a seeded model,
the riding contract step by step (an outlet joins exactly when a topic has trended for its
delay, its items go to the topics it rides, every hour of riding is paid from the one budget),
and nothing is drawn or kept while no outlet rides.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology, Params, Strategy
from model.content import OUTLET, USER
from model.measures import ride as ride_measures
from model.ride import Ride, creator_items, ridden_topics
from model.step.publish import _budget
from model.step.ride import settings

RIDER = Strategy(ride_trends=True, ride_delay=3, ride_share=0.6)


def _params(**kw) -> Params:
    """A small model with topics, a trending list and a creator, the focal outlet riding."""
    base = dict(
        n_users=400,
        steps=60,
        strategy=RIDER,
        n_background=4,
        n_topics=12,
        trending_by="topics",
        trending_size=4,
        derivative_share=0.3,
        creator=7,
        creator_appeal=30.0,
    )
    return Params(**{**base, **kw})


# ---------------------------------------------------------------- hand-computed cases


def test_riding_engagements_are_paid_from_the_publishing_time():
    """Two outlets, staff 1.0 h each (rate 2 x item_hours 0.5), balance 0, no conversation, no
    follow-ups. Outlet 0 rides with 2 engagements at reply_hours 0.05: 0.1 h. With u = 0 no item
    is drawn (inversion: u is not above P(0)), so outlet 0 ends with balance 1.0 - 0.1 = 0.9
    and 0.1 h spent; outlet 1 with balance 1.0 and 0 h spent. With u = 0.5 the hours buy
    Poisson(lambda) items, lambda = (1.0 - 0.1) / 0.5 = 1.8 for outlet 0 and 2.0 for outlet 1:
    P(0) = e^-1.8 = 0.165, P(<=1) = 2.8 e^-1.8 = 0.463, P(<=2) = 0.731 > 0.5, so 2 items
    (1.0 h) and balance 1.0 - 1.0 - 0.1 = -0.1; outlet 1: P(<=1) = 3 e^-2 = 0.406,
    P(<=2) = 5 e^-2 = 0.677 > 0.5, so 2 items and balance 0."""

    def run(u):
        bal, spent, pub = np.zeros(2), np.zeros(2), np.zeros(2, np.int64)
        counts, _ = _budget(
            bal, spent, pub, np.array([1.0, 1.0]), np.zeros(2), np.zeros(0, np.int64), 0.5,
            np.array([u, u]), 0, np.array([2 * 0.05, 0.0]),
        )  # fmt: skip
        return counts, bal, spent

    counts, bal, spent = run(0.0)
    assert counts.tolist() == [0, 0]
    assert bal == pytest.approx([0.9, 1.0])
    assert spent == pytest.approx([0.1, 0.0])
    counts, bal, spent = run(0.5)
    assert counts.tolist() == [2, 2]
    assert bal == pytest.approx([-0.1, 0.0])
    assert spent == pytest.approx([1.1, 1.0])


def test_riding_hours_lower_the_items_drawn_for_the_same_uniform():
    """A uniform at which Poisson(2.0) gives 2 and Poisson(1.8) gives 1: u = 0.45 lies between
    P(<=1) at 1.8 (0.463) and at 2.0 (0.406), so an outlet that spends 0.1 h riding publishes
    one item fewer: riding is not free."""
    out = []
    for ride_h in (0.0, 0.1):
        counts, _ = _budget(
            np.zeros(1), np.zeros(1), np.zeros(1, np.int64), np.array([1.0]), np.zeros(1),
            np.zeros(0, np.int64), 0.5, np.array([0.45]), 0, np.array([ride_h]),
        )  # fmt: skip
        out.append(int(counts[0]))
    assert out == [2, 1]


def test_ridden_topics_by_delay():
    """Listed topics 3 and 7 entered the list at steps 10 and 12; at t = 14 their ages are 4
    and 2. Outlet 0 (delay 2) rides both, outlet 1 (delay 3) only topic 3, outlet 2 (delay 5)
    neither, and outlet 3 (delay 1, not riding) neither."""
    since = np.full(10, -1)
    since[3], since[7] = 10, 12
    on = np.array([True, True, True, False])
    delay = np.array([2, 3, 5, 1])
    got = ridden_topics(np.array([3, 7]), since, on, delay, 14)
    assert got.tolist() == [[True, True], [True, False], [False, False], [False, False]]


def test_creator_items_are_each_topics_most_engaging_user_post_of_the_window():
    """Items 0..5 created at steps 1, 2, 2, 3, 3, 4; window from step 2 drops item 0 (which is
    the most engaged). Topic 0: user posts 1 (1+0+1 = 2) and 4 (2+0+0 = 2): the earlier, 1, on
    the tie; the outlet item 2 (9 likes) does not count. Topic 1: user post 3 has no engagement
    and outlet item 5 is not a user post: -1. Topic 2: no item: -1."""
    topic = np.array([0, 0, 0, 1, 0, 1], np.int32)
    created = np.array([1, 2, 2, 3, 3, 4])
    kind = np.array([USER, USER, OUTLET, USER, USER, OUTLET], np.int8)
    likes = np.array([50, 1, 9, 0, 2, 5], np.int32)
    comments = np.zeros(6, np.int32)
    forwards = np.array([0, 1, 0, 0, 0, 0], np.int32)
    got = creator_items(topic, created, kind.astype(np.int8), likes, comments, forwards, 2, 3)
    assert got.tolist() == [1, -1, -1]


def test_background_riders_and_their_staggered_delays():
    """n_background 5, background_ride_share 0.5: round(2.5 + 0.5) = 3 riders, outlets 1..3,
    with delays 6, 6 + 4 = 10 and 14 and item share 0.7; the focal outlet follows its
    strategy (delay 3, share 0.6); outlets 4 and 5 do not ride."""
    m = OpinionEcology(
        _params(n_background=5, background_ride_share=0.5, background_ride_delay=6,
                background_ride_spacing=4, background_ride_items=0.7),
        seed=1,
    )  # fmt: skip
    on, delay, share = settings(m)
    assert on.tolist() == [True, True, True, True, False, False]
    assert delay[:4].tolist() == [3, 6, 10, 14]
    assert share[:4] == pytest.approx([0.6, 0.7, 0.7, 0.7])


def test_follower_gain_and_topic_view_share_by_hand():
    """follower_gain: 5 followers when it started riding, 8 now: 3. topic_view_share: the
    focal outlet rode topic 1; the items of topic 1 have 10 (focal), 30 (a user) and 60
    (outlet 1) views: 10 / 100 = 0.1; topic 0's views do not count."""
    m = OpinionEcology(_params(n_users=50), seed=1)
    assert np.isnan(ride_measures.follower_gain(m))
    assert np.isnan(ride_measures.topic_view_share(m))
    m.state.follows[:, 0] = False
    m.state.follows[:8, 0] = True
    m.ride.start[0], m.ride.followers0[0] = 4, 5
    assert ride_measures.follower_gain(m) == 3.0
    c = m.content
    items = c.add(
        source=np.array([0, 3, 1, 0]),
        source_kind=np.array([OUTLET, USER, OUTLET, OUTLET]),
        format=np.zeros(4, np.int64),
        stance=np.zeros(4),
        valence=np.zeros(4),
        intensity=np.zeros(4),
        quality=np.zeros(4),
        created=1,
    )
    c.topic[items] = [1, 1, 1, 0]
    c.views[items] = [10, 30, 60, 500]
    m.ride.rode[0, 1] = True
    assert ride_measures.topic_view_share(m) == pytest.approx(0.1)


# ---------------------------------------------------------------- the contract on a model


def _ridden_now(m: OpinionEcology) -> np.ndarray:
    """Outlet 0's ridden topics at the coming step (Mesa counts the step before it runs, so it
    is step ``m.steps + 1``), from the list as it stands now."""
    on, delay, _ = settings(m)
    listed = m.topics.listed
    if len(listed) == 0:
        return np.zeros(0, np.int64)
    return listed[ridden_topics(listed, m.topics.since, on, delay, m.steps + 1)[0]]


def test_riding_contract_step_by_step():
    """At every step of a seeded run with ride_share 1: the focal outlet starts riding exactly
    at the first step some listed topic has been on the list for ride_delay steps (not before);
    every one of its new items (follow-ups aside) of a riding step is on a topic it rides, and
    none before; an item that records a creator item in ``derived`` records a user post of its
    own topic; the ride items counted equal those items; every creator item engaged is a user
    post of the topic it was engaged on, and every topic ridden was on the list."""
    m = OpinionEcology(_params(strategy=RIDER.replace(ride_share=1.0)), seed=3)
    first = -1
    ride_items = 0
    for _ in range(40):
        t = m.steps + 1
        ridden = _ridden_now(m)
        # by hand: some listed topic entered the list at least ride_delay (3) steps before t
        listed = m.topics.listed
        assert bool(len(ridden)) == bool((t - m.topics.since[listed] >= 3).any())
        if first < 0 and len(ridden):
            first = t
        before = m.content.n
        m.step()
        c = m.content
        new = np.arange(before, c.n)
        mine = new[(c.source_kind[new] == OUTLET) & (c.source[new] == 0) & (c.parent[new] < 0)]
        if len(ridden):
            assert np.isin(c.topic[mine], ridden).all()
            ride_items += len(mine)
        else:
            assert (c.derived[mine] == -1).all()
        d = c.derived[mine]
        d = d[d >= 0]
        assert (c.source_kind[d] == USER).all()
        assert (c.topic[d] == c.topic[mine[c.derived[mine] >= 0]]).all()
        assert m.ride.start[0] == (first if first >= 0 else -1)
    assert first > 0, "the run should ride within 40 steps"
    assert m.ride.items[0] == ride_items > 0
    r, c = m.ride, m.content
    ks, topics = np.nonzero(r.engaged >= 0)
    assert len(ks) > 0
    eng = r.engaged[ks, topics]
    assert (c.source_kind[eng] == USER).all()
    assert (c.topic[eng] == topics).all()
    assert not (r.rode & ~m.topics.ever[None, :]).any()


def test_riding_is_paid_from_the_one_budget():
    """A background rider without conversation (one_way): hours spent = items x item_hours +
    riding hours, riding hours = engagements x reply_hours + co-published x item_hours, and
    the balance is what was paid in minus what was spent (steps x staff - spent)."""
    p = _params(n_background=2, background_ride_share=1.0, background_ride_delay=2)
    m = OpinionEcology(p, seed=5)
    m.run(50)
    r = m.ride
    assert r.engagements[1] > 0
    for k in (1, 2):
        ride_h = r.engagements[k] * p.reply_hours + r.co_published[k] * p.item_hours
        assert r.hours[k] == pytest.approx(ride_h)
        assert m.staff_spent[k] == pytest.approx(m.published[k] * p.item_hours + ride_h)
        staff = p.background_rate * p.item_hours
        assert m.staff_balance[k] == pytest.approx(m.steps * staff - m.staff_spent[k])


def test_a_later_rider_joins_later():
    """Background riders 1 and 2 with delays 2 and 2 + 10: the second starts riding at least
    10 steps after the first (the same list, read 10 steps later at the earliest)."""
    p = _params(n_background=2, background_ride_share=1.0, background_ride_delay=2,
                background_ride_spacing=10)  # fmt: skip
    m = OpinionEcology(p, seed=5)
    m.run(50)
    s = m.ride.start
    assert s[1] > 0 and s[2] >= s[1] + 10


def test_nothing_is_drawn_or_kept_while_no_outlet_rides():
    """With topics on and no rider, and with a rider but topics off (no list), the ride stream
    draws nothing and the record stays as built; the run is the same as without the switch
    (the topics off case: every other stream and the content are the same)."""
    for p in (
        _params(strategy="one_way"),
        Params(n_users=400, steps=30, strategy=RIDER),
    ):
        m = OpinionEcology(p, seed=2)
        state = m.streams["ride"].bit_generator.state
        m.run(30)
        assert m.streams["ride"].bit_generator.state == state
        fresh = Ride(m.n_outlets, m.topics.n)
        for name, arr in vars(m.ride).items():
            assert np.array_equal(arr, getattr(fresh, name)), name
    a = OpinionEcology(Params(n_users=400, steps=30, strategy=RIDER), seed=2).run(30)
    b = OpinionEcology(Params(n_users=400, steps=30), seed=2).run(30)
    assert np.array_equal(a.state.opinion, b.state.opinion)
    assert np.array_equal(a.content.views, b.content.views)
    assert np.array_equal(a.staff_balance, b.staff_balance)


def test_riding_moves_only_its_own_stream_before_it_starts():
    """Until the focal outlet first rides, a riding run and a one_way run on the same seed are
    the same draw for draw (the switch changes nothing before it acts)."""
    a = OpinionEcology(_params(), seed=3)
    b = OpinionEcology(_params(strategy="one_way"), seed=3)
    while a.ride.start[0] < 0:
        a.step()
        b.step()
    # a rode for the first time at the last step: the step before, both were the same
    assert a.steps > 1
    a2 = OpinionEcology(_params(), seed=3).run(a.steps - 1)
    b2 = OpinionEcology(_params(strategy="one_way"), seed=3).run(a.steps - 1)
    assert np.array_equal(a2.state.opinion, b2.state.opinion)
    assert np.array_equal(a2.content.likes, b2.content.likes)


def test_the_engagements_and_invitations_can_be_knocked_out():
    """``ride_engage=False``: a riding outlet publishes ride items but engages no creator item
    and invites nobody (no reply, no forward, no co-published post, no riding hours);
    ``ride_invite=False``: it engages but invites nobody. On the same seed the ride items of
    the first riding step are the same in all three runs (the knock-outs draw nothing)."""
    p = _params(n_background=2, background_ride_share=1.0, background_ride_delay=2,
                creator_post_step=2, creator_post_prob=0.3)  # fmt: skip
    full = OpinionEcology(p, seed=5).run(50)
    assert full.ride.engagements.sum() > 0 and full.ride.co_published.sum() > 0
    off = OpinionEcology(p.replace(ride_engage=False), seed=5).run(50)
    r = off.ride
    assert r.items.sum() > 0
    assert r.engagements.sum() == r.co_published.sum() == 0 and r.hours.sum() == 0
    assert (r.engaged == -1).all() and (r.invite == -1).all()
    no_inv = OpinionEcology(p.replace(ride_invite=False), seed=5).run(50)
    assert no_inv.ride.engagements.sum() > 0
    assert no_inv.ride.co_published.sum() == 0 and (no_inv.ride.invite == -1).all()
    starts = [OpinionEcology(q, seed=5) for q in (p, p.replace(ride_engage=False))]
    for m in starts:
        while m.ride.start.max() < 0:
            m.step()
    assert starts[0].steps == starts[1].steps
    assert np.array_equal(starts[0].ride.items, starts[1].ride.items)
