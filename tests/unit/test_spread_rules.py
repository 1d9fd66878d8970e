"""The spreading, emotion and following rules on hand-computed cases (model/rules/spreading.py,
emotion.py, following.py) and the measure and layers they need."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology, Params, measures
from model.network import follow_layer
from model.presets import collective_emotions, granovetter_crowd, q_voter, rumour, threshold, voter
from model.rules.emotion import critical_coupling, expression_period
from model.rules.following import critical_independence
from model.rules.spreading import PairStore, thresholds


def test_pair_store_keeps_values_for_the_pairs_added_only():
    st = PairStore(10, ("count",))
    k = st.key(np.array([3, 1, 3]), np.array([2, 0, 2]))
    assert k.tolist() == [23, 1, 23]
    pos = st.add(k)
    np.add.at(st.values["count"], pos, 1)
    assert st.keys.tolist() == [1, 23] and st.get("count", np.array([23, 1, 5])).tolist() == [
        2,
        1,
        0,
    ]
    st.set("count", np.array([5]), 7)
    assert st.keys.tolist() == [1, 5, 23] and st.values["count"].tolist() == [1, 7, 2]


def test_granovetter_thresholds_are_0_to_n_minus_1_and_the_broken_crowd_lacks_a_1():
    p = granovetter_crowd(5)
    assert thresholds(p.forwarding.settings, 5).tolist() == [0, 1, 2, 3, 4]
    broken = granovetter_crowd(5, broken=True).forwarding.settings
    assert thresholds(broken, 5).tolist() == [0, 2, 2, 3, 4]
    share = p.replace(**{"forwarding.threshold_kind": "share"}).forwarding.settings
    assert thresholds(share, 5).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert thresholds(threshold(0.3, 2.0, 50).forwarding.settings, 4).tolist() == [0.3] * 4


def _adoptions(m):
    log = m.forward_log.to_frame()
    return list(zip(log["user"].tolist(), log["step"].tolist(), strict=True))


def test_granovetter_crowd_joins_one_per_step_and_the_broken_one_stops_at_the_instigator():
    """User i needs i sharers: user 0 forwards at step 1, user i at step i + 1."""
    m = OpinionEcology(granovetter_crowd(6), seed=3).run()
    assert sorted(_adoptions(m)) == [(i, i + 1) for i in range(6)]
    assert measures.adopted_share(m) == 1.0
    b = OpinionEcology(granovetter_crowd(6, broken=True), seed=3).run()
    assert _adoptions(b) == [(0, 1)] and measures.adopted_share(b) == pytest.approx(1 / 6)
    assert not b.running and b.steps < b.params.steps


@pytest.mark.parametrize(("phi", "adopters"), [(0.3, 4), (0.5, 1)])
def test_share_threshold_on_a_complete_graph_of_four(phi, adopters):
    """Each user has k = 3 neighbours; after the seed shares, 1 of 3 = 0.33 of them have: at
    phi = 0.3 all three others adopt at step 2, at phi = 0.5 none does."""
    p = threshold(phi, 3.0, 4).replace(follow_model="complete")
    m = OpinionEcology(p, seed=1).run()
    steps = sorted(s for _, s in _adoptions(m))
    assert steps == [1] + [2] * (adopters - 1)
    assert measures.adopted_share(m) == adopters / 4


def test_threshold_counts_each_sharer_once_and_each_user_adopts_once():
    m = OpinionEcology(threshold(0.18, 4.0, 2000), seed=2).run()
    log = m.forward_log.to_frame()
    assert not log.duplicated(["item", "user"]).any()
    store = m.rules.forwarding.state.store
    nets = m.networks
    k = nets.acq.degree + np.bincount(nets.followers.indices, minlength=m.n_users)
    users = store.keys % m.n_users
    assert (store.values["count"] <= k[users]).all()


def test_rumour_between_two_users_informs_both_and_both_stifle():
    """Step 1: the seed starts spreading and tells the other user. Step 2: each contacts the
    other, who knows: both become stiflers; nothing is left to see, the run stops."""
    m = OpinionEcology(rumour(2), seed=0).run()
    assert m.steps == 2 and not m.running
    assert m.rules.forwarding.counts() == {"spreaders": 0, "stiflers": 2}
    assert measures.reach(m) == 1.0 and measures.adopted_share(m) == 1.0


def test_rumour_contacts_resolve_conflicts_in_sequence():
    """One step's contacts: a target reached twice is told once, the second spreader stifles."""
    m = OpinionEcology(rumour(50), seed=4)
    m.run(1)
    rule = m.rules.forwarding
    before = rule.counts()
    assert before["spreaders"] == 2 and before["stiflers"] == 0
    log = m.forward_log.to_frame()
    assert len(log) == 2 and log["parent"].iloc[1] == log["user"].iloc[0]
    m.run(3)
    after = rule.counts()
    # every contact told someone new (+1 spreader) or stifled its spreader (+1 stifler)
    assert after["spreaders"] + after["stiflers"] == len(m.forward_log)


def test_collective_emotions_without_coupling_or_noise_is_the_exact_exponential():
    """v(t) = v0 exp(-gamma_v t): the update is the exact exponential (float32 state)."""
    m = OpinionEcology(collective_emotions(coupling=0.0, noise=0.0, n_users=500), seed=1)
    v0 = m.state.valence.astype(np.float64).copy()
    m.run(60)
    assert np.abs(m.state.valence - v0 * math.exp(-0.1 * 60)).max() < 1e-6


def test_collective_emotions_period_field_and_critical_coupling_by_hand():
    """a_k = 1 - exp(-0.2 k): 0.451 at k = 3, 0.551 at k = 4, so K = 4; b_c = 0.1 * 4 *
    (1 - e^-0.5) / 1 = 0.157388, and twice that for a sign held by half the users."""
    assert expression_period(0.2, 1.0, 0.5) == 4
    assert critical_coupling(collective_emotions()) == pytest.approx(0.157388, abs=1e-6)
    assert critical_coupling(collective_emotions(), rho=0.5) == pytest.approx(0.314775, abs=1e-6)
    with pytest.raises(ValueError, match="must exceed the threshold"):
        expression_period(0.2, 0.4, 0.5)
    p = collective_emotions(coupling=0.0, noise=0.0, n_users=10).replace(emo_gamma_a=10.0)
    m = OpinionEcology(p, seed=0)
    m.state.valence[:] = np.array([0.5] * 7 + [-0.5] * 3, dtype=np.float32)
    m.state.arousal[:] = 0.9
    m.step()  # arousal jumps to the drive 1.0 >= tau: all ten express, h = (0.7, 0.3)
    state = m.rules.emotion.state
    assert state.expressed == (7, 3)
    np.testing.assert_allclose(state.field, [0.7, 0.3])
    assert (m.state.arousal == 0).all()


def test_voter_consensus_is_absorbing_and_independence_randomises():
    m = OpinionEcology(voter(1.0, 50), seed=0)
    m.run(5)
    assert m.state.follows[:, 0].all() and not m.running
    r = OpinionEcology(q_voter(3, 1.0, 4000), seed=0).run(3)
    assert abs(r.state.follows[:, 0].mean() - 0.5) < 0.05


def test_critical_independence_by_hand():
    assert critical_independence(4) == pytest.approx(3 / 11)
    assert critical_independence(2) == pytest.approx(1 / 3)
    assert critical_independence(1) == 0.0


def test_adopted_share_is_zero_without_forwards():
    m = OpinionEcology(Params(n_users=50, steps=2, base_forward=0.0), seed=0).run()
    assert measures.adopted_share(m) == 0.0
    assert "adopted_share" not in measures.final_measures(m)
    assert measures.measure("adopted_share").when == "query"


def test_undirected_and_complete_follow_layers():
    rng = np.random.default_rng(0)
    c = follow_layer(5, "complete", 0.0, 2.3, rng)
    assert c.degree.tolist() == [4] * 5
    er = follow_layer(4000, "erdos_renyi_undirected", 3.0, 2.3, rng)
    owner = er.row_owner()
    fwd = set(zip(owner.tolist(), er.indices.tolist(), strict=True))
    assert all((b, a) in fwd for a, b in list(fwd)[:2000])
    assert er.degree.mean() == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize(
    "change",
    [
        {"forward_model": "threshold", "threshold_phi": 0.1},
        {"forward_model": "threshold", "threshold_kind": "count", "threshold_phi": 2},
        {"forward_model": "rumour"},
        {"emotion_rule": "collective", "emo_noise_v": 0.05, "emo_coupling_v": 0.5},
        {"follow_rule": "voter"},
        {"follow_rule": "q_voter", "voter_p": 0.1},
    ],
    ids=lambda c: "-".join(f"{v}" for v in c.values()),
)
def test_every_rule_runs_in_the_full_model(change):
    """The default ecology (outlets, posts, both layers, trending) with one rule swapped in
    runs, keeps its bounds and repeats with its seed."""
    p = Params(n_users=400, steps=12, **change)
    a = OpinionEcology(p, seed=7).run()
    b = OpinionEcology(p, seed=7).run()
    s = a.state
    assert ((s.valence >= -1) & (s.valence <= 1)).all() and (
        (s.arousal >= 0) & (s.arousal <= 1)
    ).all()
    assert a.steps == 12
    pd_a = a.datacollector.get_model_vars_dataframe()
    pd_b = b.datacollector.get_model_vars_dataframe()
    assert pd_a.equals(pd_b)
    if change.get("forward_model"):
        log = a.forward_log.to_frame()
        assert not log.duplicated(["item", "user"]).any(), "a user adopted an item twice"
        assert 0 < measures.adopted_share(a) <= 1
