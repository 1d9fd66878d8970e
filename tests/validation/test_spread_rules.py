"""Threshold, rumour, collective-emotion and voter rules against their published results
(docs/validation.md, "Spreading, emotion and following rules").

Seeds, replicates and tolerances are those of validation/spread_rules.py, fixed before the
runs; each test's docstring gives its reasoning.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology
from model.measures import _bimodality, adopted_share, reach
from model.presets import collective_emotions, granovetter_crowd, q_voter, rumour, threshold, voter
from model.rules.following import critical_independence
from validation.spread_rules import qvoter_order, rumour_theta, watts_branching, watts_window

PHI, N_WATTS, RUNS = 0.18, 10_000, 20


def _cascade_shares(z: float) -> np.ndarray:
    out = []
    for seed in range(RUNS):
        m = OpinionEcology(threshold(PHI, z, N_WATTS), seed=seed).run()
        assert not m.running and m.steps < m.params.steps, "the cascade must stop by itself"
        out.append(adopted_share(m))
    return np.array(out)


@pytest.mark.slow
def test_watts_window_of_the_cascade_condition():
    """Theory side: z P(K <= 3) = 1 at z = 1.02 and 5.76 for phi = 0.18 (Watts 2002: 1 and
    about 5.8), above 1 between them."""
    lo, hi = watts_window(PHI)
    assert lo == pytest.approx(1.02, abs=0.01) and hi == pytest.approx(5.76, abs=0.01)
    assert watts_branching(3.0, PHI) > 1 > watts_branching(7.0, PHI)


@pytest.mark.slow
@pytest.mark.parametrize("z", [2.0, 4.0])
def test_global_cascades_inside_the_window(z):
    """One random initial adopter, 20 runs at N = 10^4: at least one cascade reaches > 10%.

    Reasoning, fixed in advance: inside the window a global cascade starts when the seed
    lands next to the giant vulnerable cluster, and the vulnerable (degree <= 5) are 98% of
    users at z = 2 and 79% at z = 4, so the cascade probability is a sizeable fraction; if
    it is only 0.3, 20 runs all failing has probability 0.7^20 = 8e-4. A > 10% cascade cannot
    come from anything but the threshold rule (no other spreading runs).
    """
    shares = _cascade_shares(z)
    assert (shares > 0.1).any(), shares


@pytest.mark.slow
@pytest.mark.parametrize("z", [0.5, 7.0])
def test_no_global_cascades_outside_the_window(z):
    """Below z = 1 the graph has no giant component (the largest holds O(log N) users); at
    z = 7 the vulnerable cluster does not percolate (branching 7 P(K <= 3) = 0.57), so a
    cascade dies among a few users. No run of 20 may exceed 10%."""
    shares = _cascade_shares(z)
    assert (shares <= 0.1).all(), shares


@pytest.mark.slow
def test_granovetter_crowd_all_join_and_the_broken_crowd_stops_at_one():
    """Deterministic: thresholds 0..99, complete mixing; removing the threshold-1 agent (it
    gets threshold 2) leaves the instigator alone (Granovetter 1978)."""
    whole = OpinionEcology(granovetter_crowd(100), seed=0).run()
    assert round(adopted_share(whole) * 100) == 100
    broken = OpinionEcology(granovetter_crowd(100, broken=True), seed=0).run()
    assert round(adopted_share(broken) * 100) == 1


@pytest.mark.slow
def test_rumour_never_informed_share():
    """Complete mixing, one seed, N = 10^4, 50 runs: mean never-informed share within +-0.01
    of theta = 0.2032 (the root of theta = exp(-2 (1 - theta))).

    Reasoning, fixed in advance: theta fluctuates between runs with a standard deviation of
    about 0.005 at N = 10^4 (the finite-N spread of Maki-Thompson is O(N^-1/2)), so the mean
    of 50 has a standard error under 0.001 and +-0.01 leaves room for finite-size bias. A
    rumour that never stifled would inform everyone (theta = 0), and one that stifled on
    every contact would die at once (theta near 1).
    """
    assert rumour_theta() == pytest.approx(0.2032, abs=1e-4)
    theta = []
    for seed in range(50):
        m = OpinionEcology(rumour(10_000), seed=seed).run()
        assert not m.running and m.steps < m.params.steps
        theta.append(1.0 - reach(m))
    assert abs(np.mean(theta) - rumour_theta()) <= 0.01, np.mean(theta)


@pytest.mark.slow
def test_collective_emotions_exact_exponential_and_bimodality_around_b_c():
    """Coupling and noise off: v(t) = v0 e^(-gamma_v t) to 1e-6 at every step t <= 30 (the
    exact exponential step; float32 rounding is about 1e-8). Coupling on: bimodality
    coefficient above 5/9 at b = 4 b_c and below it at b = b_c / 2, 3 seeds each.

    Reasoning, fixed in advance: a sign held by a share rho of users grows at the rate
    gamma_v (b rho / b_c - 1). At b_c / 2 that is at most -0.05 whatever the split, so
    valence relaxes and the noise (A_v = 0.05) keeps a unimodal bell (coefficient near 1/3,
    a Gaussian's). At 4 b_c both signs of the initial split (about 0.6 / 0.4: baseline
    valences have mean 0.05, sd 0.2) grow, at 0.14 and 0.06 per step, so after 200 steps
    every valence sits near +-1 (two point masses, coefficient near 1). Between b_c and
    about 2.5 b_c the outcome depends on the split, so the tested points keep clear of it.
    """
    m = OpinionEcology(collective_emotions(0.0, 0.0, 1000, 30), seed=0)
    v0 = m.state.valence.astype(np.float64).copy()
    for t in range(1, 31):
        m.step()
        assert np.abs(m.state.valence - v0 * math.exp(-0.1 * t)).max() <= 1e-6
    for seed in range(3):
        hi = OpinionEcology(collective_emotions(4.0, n_users=1000, steps=200), seed=seed).run()
        lo = OpinionEcology(collective_emotions(0.5, n_users=1000, steps=200), seed=seed).run()
        assert _bimodality(hi.state.valence.astype(np.float64)) > 5 / 9
        assert _bimodality(lo.state.valence.astype(np.float64)) < 5 / 9


@pytest.mark.slow
@pytest.mark.parametrize("rho0", [0.2, 0.5, 0.8])
def test_voter_exit_probability_is_the_initial_share(rho0):
    """Complete graph, N = 50, 100 runs to consensus: the share ending all-follow within 3
    binomial standard errors (0.12 at rho0 = 0.2, 0.15 at 0.5) of rho0; a rule that copied
    the majority, or drifted toward following, would miss by far more."""
    ends = []
    for seed in range(100):
        m = OpinionEcology(voter(rho0, 50), seed=seed).run()
        f = m.state.follows[:, 0]
        assert f.all() or not f.any(), "the voter run must end at consensus"
        ends.append(f.all())
    assert abs(np.mean(ends) - rho0) <= 3 * math.sqrt(rho0 * (1 - rho0) / 100)


@pytest.mark.slow
def test_q_voter_ordered_below_and_disordered_above_p_c():
    """q = 4 (p_c = 3/11 = 0.2727), N = 1000, from the ordered state, |m| averaged over the
    last 150 of 300 sweeps, 3 seeds: above 0.5 at p_c - 0.08 and below 0.2 at p_c + 0.08.

    Reasoning, fixed in advance: mean field gives |m| = 0.668 at p_c - 0.08, and the ordered
    state at N = 1000 does not flip within 300 sweeps (the barrier grows with N); above p_c
    m decays to 0 within tens of sweeps and fluctuates by O(N^-1/2) = 0.03 (wider near p_c,
    hence the margin 0.08 and the bound 0.2).
    """
    pc = critical_independence(4)
    assert pc == pytest.approx(3 / 11)
    assert qvoter_order(4, pc - 0.08) == pytest.approx(0.668, abs=0.002)
    for p, check in ((pc - 0.08, lambda x: x > 0.5), (pc + 0.08, lambda x: x < 0.2)):
        for seed in range(3):
            m = OpinionEcology(q_voter(4, p, 1000), seed=seed)
            mags = []
            for _ in range(300):
                m.step()
                mags.append(2.0 * m.state.follows[:, 0].mean() - 1.0)
            assert check(np.mean(np.abs(mags[-150:]))), (p, seed)
