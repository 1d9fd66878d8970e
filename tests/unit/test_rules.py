"""Each update rule against a hand-computed case (docs/ODD.md 7)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.generations import GENERATIONS, PROFILES
from model import OpinionEcology, Strategy
from model.content import DIRECT, OUTLET, SOCIAL
from model.rules.feed_choice import sample_slots
from model.step import Reactions, Views, react, respond, update
from tests.conftest import quiet_params


def _item(m, stance=0.5, valence=0.8, intensity=0.6, quality=0.9, source=0, kind=OUTLET):
    return int(
        m.content.add(
            source_kind=np.array([kind]),
            source=np.array([source]),
            format=np.array([0]),
            stance=np.array([stance]),
            valence=np.array([valence]),
            intensity=np.array([intensity]),
            quality=np.array([quality]),
            created=np.array([0]),
        )[0]
    )


def _views(users, items, chan=DIRECT, frm=-1):
    n = len(users)
    return Views(
        user=np.asarray(users, dtype=np.int64),
        item=np.asarray(items, dtype=np.int64),
        chan=np.full(n, chan, np.int8),
        source_user=np.full(n, frm, np.int64),
    )


def _reactions(comment, focal, critical=None, uncivil=None):
    """Reactions with only the comments (and their stance and tone) set (what respond reads)."""
    comment, focal = np.asarray(comment, bool), np.asarray(focal, bool)
    zeros, none = np.zeros(len(comment)), np.zeros(len(comment), bool)
    idx = np.flatnonzero(comment)
    crit = np.zeros(len(idx), bool) if critical is None else np.asarray(critical, bool)[idx]
    unc = np.zeros(len(idx), bool) if uncivil is None else np.asarray(uncivil, bool)[idx]
    return Reactions(
        proof=zeros,
        comment_idx=idx,
        critical=crit,
        uncivil=unc,
        res=zeros,
        trust=zeros,
        focal=focal,
        outlet=focal,
        like=none,
        comment=comment,
        forward=none,
        emotion=zeros,
    )


def test_deffuant_pair_moves_both_by_mu_times_difference():
    m = OpinionEcology(
        quiet_params(n_users=2, peer_prob=1.0, peer_mixing="complete", peer_mu=0.3, epsilon=0.5),
        seed=1,
    )
    m.state.opinion[:] = [0.1, 0.3]
    m.rules.opinion.peer_round(m, m.streams["peer"])
    assert sorted(m.state.opinion) == pytest.approx([0.16, 0.24])
    assert m.state.opinion.sum() == pytest.approx(0.4, abs=1e-15)


def test_deffuant_pair_outside_bound_does_not_move():
    m = OpinionEcology(
        quiet_params(n_users=2, peer_prob=1.0, peer_mixing="complete", epsilon=0.1), seed=1
    )
    m.state.opinion[:] = [-0.5, 0.5]
    m.rules.opinion.peer_round(m, m.streams["peer"])
    assert list(m.state.opinion) == [-0.5, 0.5]


def test_random_matching_is_disjoint_and_uses_only_proposed_pairs():
    from model.rules import random_matching

    rng = np.random.default_rng(0)
    n = 1000
    a = np.arange(n)
    b = (a + rng.integers(1, 5, size=n)) % n  # everyone proposes: every user is in 2+ proposals
    ma, mb = random_matching(a, b, rng.random(n), n)
    users = np.concatenate([ma, mb])
    assert len(np.unique(users)) == len(users)  # no user in two pairs
    proposed = set(zip(a.tolist(), b.tolist(), strict=True))
    assert all(pair in proposed for pair in zip(ma.tolist(), mb.tolist(), strict=True))
    assert len(ma) > 0.3 * n / 2  # a maximal-ish matching, not a handful of pairs


def test_network_peer_round_conserves_opinion_and_moves_most_users():
    m = OpinionEcology(
        quiet_params(n_users=500, peer_prob=1.0, acq_degree=6, peer_mu=0.5, epsilon=2.0), seed=3
    )
    x0 = m.state.opinion.copy()
    m.rules.opinion.peer_round(m, m.streams["peer"])
    assert (m.state.opinion != x0).mean() > 0.6
    assert m.state.opinion.sum() == pytest.approx(x0.sum(), abs=1e-9)


def test_resonance_and_content_update_by_hand():
    p = quiet_params(
        n_users=2,
        mu_content=0.05,
        trust_rate=0.02,
        emotion_relax=0.1,
        emotion_pull=0.1,
        epsilon=0.4,
        churn_prob=0.0,
        follow_prob=0.0,
        belonging_gain=0.02,
        belonging_decay=0.01,
    )
    m = OpinionEcology(p, seed=2)
    s = m.state
    s.opinion[0], s.trust_media[0, 0], s.valence[0], s.base_valence[0] = 0.2, 0.5, 0.0, 0.0
    s.trust0[0, 0] = 0.5
    s.arousal[0] = s.base_arousal[0] = 0.3
    b0 = float(s.belonging[0, 0])
    reactivity = PROFILES[GENERATIONS[s.gen[0]]]["reactivity"]
    it = _item(m)
    v = _views([0], [it])
    r = react(m, 1, v)
    emotion = 0.6 * reactivity * (1 - abs(0.0 - 0.8) / 2)
    # an empty visible thread has proof 0, entering as (1 + 0) / 2 with weight w_proof = 0.5
    res = (1 * 0.5 + 1 * emotion + 1 * (1 - abs(0.2 - 0.5) / 2) + 0.5 * 0.5) / 3.5
    assert r.trust[0] == pytest.approx(0.5)
    assert r.res[0] == pytest.approx(res, rel=1e-6)
    update(m, 1, v, r)
    assert s.opinion[0] == pytest.approx(0.2 + 0.05 * 0.5 * 0.3, rel=1e-6)
    # Beta evidence: inside the bound, 0.1 x 0.9 positive and 0.1 x 0.1 negative on a prior of 20
    assert s.trust_media[0, 0] == pytest.approx((20 * 0.5 + 0.09) / (20 + 0.1), rel=1e-5)
    assert s.valence[0] == pytest.approx(0.1 * reactivity * 0.8, rel=1e-5)
    assert s.arousal[0] == pytest.approx(0.3 + 0.1 * reactivity * (0.6 - 0.3), rel=1e-5)
    assert s.belonging[0, 0] == pytest.approx((b0 + 0.02 * res * (1 - b0)) * 0.99, rel=1e-5)


def test_content_outside_confidence_bound_lowers_trust_and_leaves_opinion():
    m = OpinionEcology(
        quiet_params(n_users=2, epsilon=0.2, churn_prob=0.0, follow_prob=0.0), seed=2
    )
    s = m.state
    s.opinion[0], s.trust_media[0, 0], s.trust0[0, 0] = -0.5, 0.6, 0.6
    b0 = float(s.belonging[0, 0])
    it = _item(m, stance=0.5)
    v = _views([0], [it])
    update(m, 1, v, react(m, 1, v))
    assert s.opinion[0] == -0.5
    # one negative view (0.1 pseudo-observations) on a prior of 20 centred on 0.6
    assert s.trust_media[0, 0] == pytest.approx(20 * 0.6 / 20.1, rel=1e-5)
    # rejected contact: belonging falls by belonging_loss (0.02), then decays (0.01)
    assert s.belonging[0, 0] == pytest.approx(b0 * 0.98 * 0.99, rel=1e-5)


def test_forwarded_item_trust_is_geometric_mean_of_outlet_and_forwarder_trust():
    m = OpinionEcology(quiet_params(n_users=3), seed=2)
    m.state.trust_media[0, 0], m.state.trust_peers[0] = 0.81, 0.25
    it = _item(m)
    r = react(m, 1, _views([0], [it], chan=SOCIAL, frm=1))
    assert r.trust[0] == pytest.approx(np.sqrt(0.81 * 0.25), rel=1e-6)


def test_reply_with_emotional_reward_by_hand():
    m = OpinionEcology(
        quiet_params(
            n_users=2, strategy="interactive", reply_gain=0.15, community_fanout=0, outlet_rate=1.0
        ),
        seed=4,
    )
    s = m.state
    s.follows[:, 0] = True  # capacity 0.2 x 1 x 0.5 / 0.05 = 2 replies
    s.trust_media[1, 0], s.trust0[1, 0], s.belonging[1, 0], s.valence[1] = 0.4, 0.4, 0.1, 0.0
    it = _item(m)
    v = _views([1], [it])
    respond(m, 1, v, _reactions([True], [True]))
    # a trusted outlet (0.4 >= 0.3) replying to a supporter: one positive pseudo-observation
    assert s.trust_media[1, 0] == pytest.approx((20 * 0.4 + 1) / 21, rel=1e-6)
    assert s.belonging[1, 0] == pytest.approx(0.1 + 0.3 * 0.9, rel=1e-6)
    assert s.valence[1] == pytest.approx(0.3, rel=1e-6)
    # (joining the community is a draw now, community_join x (trust + belonging) / 2: its
    # hand-computed cases are in tests/unit/test_budget.py)
    assert m.replies_sent == 1
    assert m.content.replies[it] == 1  # the reply is public: a visible comment on the thread


def test_reply_to_a_distrusting_critic_backfires():
    m = OpinionEcology(
        quiet_params(n_users=2, strategy="interactive", community_fanout=0, outlet_rate=1.0),
        seed=4,
    )
    s = m.state
    s.follows[:, 0] = True
    s.trust_media[1, 0], s.trust0[1, 0], s.belonging[1, 0] = 0.2, 0.2, 0.1
    it = _item(m)
    respond(m, 1, _views([1], [it]), _reactions([True], [True], critical=[True]))
    # below the backfire threshold (0.3) a reply to a critic is one negative pseudo-observation
    assert s.trust_media[1, 0] == pytest.approx(20 * 0.2 / 21, rel=1e-6)
    assert s.belonging[1, 0] == pytest.approx(0.1, rel=1e-6)


def test_one_way_never_replies():
    m = OpinionEcology(quiet_params(n_users=2, strategy="one_way"), seed=4)
    it = _item(m)
    trust = m.state.trust_media[1, 0]
    respond(m, 1, _views([1], [it]), _reactions([True], [True]))
    assert (
        m.state.trust_media[1, 0] == trust and m.replies_sent == 0 and not m.state.community.any()
    )
    assert m.budget["reply_cap"].sum() == 0 and m.budget["review_cap"].sum() == 0


def test_reply_capacity_comes_from_the_staff_budget_and_caps_replies():
    """Capacity = reply_share x outlet_rate x item_hours / reply_hours = 0.375 x 1 x 0.5 / 0.0625
    = 3 (exact in binary, so the stochastic rounding floor(3 + U) is 3 for any U < 1): 3 of the
    10 commenters get a reply."""
    m = OpinionEcology(
        quiet_params(
            n_users=10,
            strategy=Strategy(reply_share=0.375),
            outlet_rate=1.0,
            item_hours=0.5,
            reply_hours=0.0625,
        ),
        seed=4,
    )
    m.state.follows[:, 0] = True
    it = _item(m)
    users = np.arange(10)
    respond(m, 1, _views(users, [it] * 10), _reactions(np.ones(10), np.ones(10)))
    assert m.replies_sent == 3 and m.state.replies.sum() == 3
    assert m.budget["reply_cap"][0] == 3 and m.budget["replies"][0] == 3


@pytest.mark.parametrize(
    ("belong", "trust", "leaves"), [(0.0, 0.0, True), (0.2, 0.0, False), (0.0, 0.7, False)]
)
def test_churn_hazard(belong, trust, leaves):
    """Hazard = churn_prob (1 - B / 0.15)+ f(T) with f the logistic trust factor; a sharp one
    (width 0.001, midpoint 0.6) makes f(0) = 1 (everyone leaves at churn_prob 1 and B = 0) and
    f(0.7) = expit(-100) / expit(600), about 4e-44 (nobody leaves); B = 0.2 above 0.15: 0."""
    m = OpinionEcology(
        quiet_params(
            n_users=50,
            churn_prob=1.0,
            churn_belonging=0.15,
            belonging_decay=0.0,
            **{"following.churn_trust": 0.6, "following.churn_trust_width": 0.001},
        ),
        seed=5,
    )
    s = m.state
    s.follows[:, 0] = True
    s.belonging[:, 0] = belong
    s.trust_media[:, 0] = trust
    update(m, 1, _views([], []), react(m, 1, _views([], [])))
    assert (~s.follows[:, 0]).all() if leaves else s.follows[:, 0].all()


def test_social_screen_is_fifo_and_skips_items_already_on_screen():
    m = OpinionEcology(quiet_params(n_users=2, screen_size=3), seed=1)
    items = [_item(m) for _ in range(5)]
    m.screens.push_social(
        m.content, m.state.follows, np.zeros(5, np.int64), np.array(items), np.full(5, 1), SOCIAL
    )
    sc = m.screens
    assert sorted(sc.soc_item[0]) == items[2:] and sc.soc_ptr[0] == 5
    # a batch larger than the screen keeps its newest screen-full; only those count as exposures
    assert list(m.content.exposures[items]) == [0, 0, 1, 1, 1]
    m.screens.push_social(
        m.content,
        m.state.follows,
        np.zeros(1, np.int64),
        np.array([items[4]]),
        np.full(1, 1),
        SOCIAL,
    )
    assert sc.soc_ptr[0] == 5 and m.content.exposures[items[4]] == 1


def test_choose_takes_all_when_budget_covers_screen_and_prefers_heavy_slots():
    rng = np.random.default_rng(0)
    ok = np.array([[True, False, True, True]] * 4000)
    n_take = np.array([3] * 2000 + [1] * 2000)
    avail = ok.sum(axis=1)
    w = np.tile(np.array([1.0, 1.0, 9.0, 1.0], np.float32), (4000, 1))
    rows, cols = sample_slots(rng, ok, n_take, avail, lambda r: w[r])
    assert not (cols == 1).any()
    assert np.bincount(rows, minlength=4000).tolist() == n_take.tolist()
    # with one draw among weights 1, 9, 1 the heavy slot wins with probability 9/11 = 0.818;
    # 2000 draws give sd 0.009, so +-0.04 is over 4 sd
    single = cols[rows >= 2000]
    assert (single == 2).mean() == pytest.approx(9 / 11, abs=0.04)


def test_follow_up_published_once_for_a_large_conversation():
    m = OpinionEcology(quiet_params(n_users=2, strategy="interactive", follow_up_share=1.0), seed=1)
    m.state.follows[:, 0] = True  # threshold: 1.0 x 2 followers = 2 comments
    it = _item(m)
    m.content.supportive[it], m.content.critical[it] = 1, 1
    respond(m, 1, _views([], []), _reactions([], []))
    respond(m, 2, _views([], []), _reactions([], []))
    assert m.content.n == 2 and m.content.parent[1] == it and list(m.outbox.outlet_items) == [1]


def test_screen_writer_keeps_unseen_counts():
    """Direct and social writes add unseen slots (overwriting an unseen one adds none); marking
    seen removes them; the total is the sum (what attention and extinct() read)."""
    m = OpinionEcology(quiet_params(n_users=3, screen_size=2), seed=1)
    sc, c = m.screens, m.content
    items = np.array([_item(m) for _ in range(3)])
    sc.deliver_direct(c, np.array([0, 1]), items[:2])
    assert sc.dir_unseen.tolist() == [2, 2, 0] and sc.unseen() == 4
    sc.deliver_direct(c, np.array([0]), items[2:])  # overwrites an unseen slot: still 2
    assert sc.dir_unseen.tolist() == [2, 2, 0] and sc.unseen() == 4
    none = np.zeros(0, np.int64)
    sc.mark_seen(
        np.array([1]),
        np.array([0]),
        np.array([2]),
        (none, none),
        (np.array([1, 1]), np.array([0, 1])),
    )
    assert sc.dir_unseen.tolist() == [2, 0, 0] and sc.unseen() == 2
    m.state.follows[:] = False
    sc.push_social(c, m.state.follows, np.array([2, 2]), items[:2], np.full(2, -1), SOCIAL)
    assert sc.soc_unseen.tolist() == [0, 0, 2] and sc.unseen() == 4
    assert (sc.soc_unseen == (~sc.soc_seen).sum(axis=1)).all()


def test_mark_seen_rejects_cells_outside_the_screens():
    """A cell outside the screens (a negative slot too, which numpy's indexing wrapped around
    to the last slot) or an unknown user is an error that says which, and changes nothing."""
    m = OpinionEcology(quiet_params(n_users=3, screen_size=2), seed=1)
    sc = m.screens
    before = (sc.soc_seen.copy(), sc.dir_seen.copy(), sc.unseen())
    none = np.zeros(0, np.int64)
    one = np.array([1])
    with pytest.raises(IndexError, match="social cell"):
        sc.mark_seen(one, one, np.array([0]), (one, np.array([-1])), (none, none))
    with pytest.raises(IndexError, match="direct cell"):
        sc.mark_seen(one, np.array([0]), one, (none, none), (np.array([3]), np.array([0])))
    with pytest.raises(IndexError, match="user id"):
        sc.mark_seen(np.array([3]), np.array([0]), np.array([0]), (none, none), (none, none))
    assert (sc.soc_seen == before[0]).all() and (sc.dir_seen == before[1]).all()
    assert sc.unseen() == before[2]
    assert (sc.dir_unseen == (~sc.dir_seen).sum(axis=1)).all()


def test_unlimited_attention_views_every_unseen_item_without_drawing():
    """With unlimited attention and no platform top-up a session views both screens in full:
    three users, two with items on both screens; both are viewed whole, and the attention
    stream is not drawn from (its state is unchanged)."""
    from model.step import attend
    from model.step.records import Sessions

    m = OpinionEcology(quiet_params(n_users=3, screen_size=2, attention="unlimited"), seed=1)
    sc, c = m.screens, m.content
    items = np.array([_item(m) for _ in range(3)])
    sc.deliver_direct(c, np.array([0, 1]), items[:2])
    m.state.follows[:] = False
    sc.push_social(c, m.state.follows, np.array([0, 2]), items[[2, 2]], np.full(2, -1), SOCIAL)
    before = m.streams["attend"].bit_generator.state
    views = attend(m, 1, Sessions(posters=np.zeros(0, np.int64), browsers=np.arange(3)))
    assert sorted(zip(views.user.tolist(), views.item.tolist(), strict=True)) == sorted(
        [(0, items[0]), (0, items[1]), (1, items[0]), (1, items[1]), (0, items[2]), (2, items[2])]
    )
    assert sc.unseen() == 0
    assert m.streams["attend"].bit_generator.state == before


def test_resonance_probability_is_numpys_expression_bit_for_bit():
    """Resonance.probability's kernel gives min(1, 2 base_forward res (0.5 + emotion)) with
    numpy's bits (the same operations in numpy's order) for 20,000 views, at base rates that
    leave every value below 1 and that clip many to 1; a NaN resonance stays NaN."""
    from model.rules.forwarding import ResonanceSettings
    from model.rules.registry import FORWARDING

    data = np.random.default_rng(5)
    res, emotion = data.random(20000), data.random(20000)
    res[7] = np.nan
    for base in (0.0, 0.06, 0.5, 1.0):
        rule = FORWARDING.get("resonance", ResonanceSettings(base_forward=base))
        got = rule.probability(None, res, emotion)
        want = np.minimum(1.0, 2.0 * base * res * (0.5 + emotion))
        assert (want == 1.0).any() == (base >= 0.5)
        assert got.view(np.int64).tolist() == want.view(np.int64).tolist()
