"""Cost follows activity: the draws of who acts (sessions, peer participants, churn) are made
for the users who can act, with the same distribution as one uniform per user
(model/sampling.py; docs/ODD.md 7.1, 7.10, 7.11)."""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology
from model import step as phases
from model.sampling import DENSE_SHARE, bernoulli_subset


class CountingRng:
    """A Generator that counts the random numbers drawn (the elements of every array)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.drawn = 0

    def __getattr__(self, name: str):
        f = getattr(self.rng, name)

        def counted(*args, **kwargs):
            out = f(*args, **kwargs)
            self.drawn += int(np.size(out))
            return out

        return counted


@pytest.mark.parametrize("prob", [0.0, 1e-12, 0.002, 0.03, 0.2, DENSE_SHARE, 0.7, 1.0])
def test_bernoulli_subset_is_sorted_distinct_and_in_range(prob):
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 5000):
        x = bernoulli_subset(rng, n, prob)
        assert x.dtype == np.int64
        assert np.all(np.diff(x) > 0) and (len(x) == 0 or (x[0] >= 0 and x[-1] < n))
        if prob == 1.0:
            assert x.tolist() == list(range(n))
        if prob == 0.0:
            assert len(x) == 0


@pytest.mark.parametrize("prob", [0.004, 0.05, 0.2, 0.4])
def test_bernoulli_subset_draws_each_user_independently_with_prob(prob):
    """Over 4,000 draws of 500 users: every user's frequency, the mean count and its variance
    are those of independent Bernoulli(prob) choices (n p and n p (1 - p)), within 5 standard
    errors; and no pair of neighbours is correlated (geometric gaps would show it there)."""
    n, reps = 500, 4000
    rng = np.random.default_rng(11)
    hits = np.zeros((reps, n), dtype=bool)
    for r in range(reps):
        hits[r, bernoulli_subset(rng, n, prob)] = True
    freq = hits.mean(axis=0)
    se_user = np.sqrt(prob * (1 - prob) / reps)
    assert np.abs(freq - prob).max() < 5 * se_user + 1e-12
    counts = hits.sum(axis=1)
    var = n * prob * (1 - prob)
    assert abs(counts.mean() - n * prob) < 5 * np.sqrt(var / reps)
    # the sample variance of a count has sd about var sqrt(2 / reps) (near-normal counts)
    assert abs(counts.var(ddof=1) - var) < 5 * var * np.sqrt(2 / reps) + 0.05
    # neighbours: P(both) = p^2
    both = (hits[:, :-1] & hits[:, 1:]).mean()
    assert abs(both - prob**2) < 5 * np.sqrt(prob**2 * (1 - prob**2) / (reps * (n - 1))) * 3


def test_bernoulli_subset_cost_follows_the_count():
    """At 1% of 100,000 users about 1,000 numbers are drawn, not 100,000."""
    rng = CountingRng(1)
    x = bernoulli_subset(rng, 100_000, 0.01)
    assert 800 < len(x) < 1200
    assert rng.drawn < 2 * len(x) + 200


@pytest.mark.parametrize("prob", [-0.1, 1.5, float("nan")])
def test_bernoulli_subset_rejects_a_probability_outside_0_1(prob):
    with pytest.raises(ValueError, match=r"prob must be in \[0, 1\]"):
        bernoulli_subset(np.random.default_rng(0), 10, prob)


def test_bernoulli_subset_rejects_a_negative_n():
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        bernoulli_subset(np.random.default_rng(0), -1, 0.5)


@pytest.fixture(scope="module")
def small():
    return OpinionEcology(seed=5, n_users=600, strategy="interactive", steps=10**6)


def test_sessions_open_with_each_users_probability(small):
    """Users of each cohort, at belonging 0 and 1, open the app with p = activity[gen] x
    activity_scale x (1 + activity_from_belonging B) (hand-computed from the profile), and
    post with user_post_prob; 3,000 steps' sessions, within 5 standard errors per group."""
    m = small
    s, p = m.state, m.params
    saved = s.belonging.copy(), s.last_active.copy()
    try:
        s.belonging[:, 0] = np.where(np.arange(m.n_users) % 2 == 0, 0.0, 1.0)
        reps = 3000
        opened = np.zeros(m.n_users)
        posted = 0
        for r in range(reps):
            sess = phases.sessions(m, 10**6 + r)
            opened[sess.posters] += 1
            opened[sess.browsers] += 1
            posted += len(sess.posters)
            assert not np.intersect1d(sess.posters, sess.browsers).size
        act = m.prof["activity"]
        for g in range(4):
            for b in (0.0, 1.0):
                users = (s.gen == g) & (s.belonging[:, 0] == b)
                if users.sum() < 20:
                    continue
                want = min(1.0, act[g] * p.activity_scale * (1.0 + p.activity_from_belonging * b))
                got = opened[users].sum() / (users.sum() * reps)
                se = np.sqrt(want * (1 - want) / (users.sum() * reps))
                assert abs(got - want) < 5 * se, (g, b, got, want)
        share = posted / opened.sum()
        q = p.user_post_prob
        assert abs(share - q) < 5 * np.sqrt(q * (1 - q) / opened.sum())
    finally:
        s.belonging[:], s.last_active[:] = saved


def test_sessions_draw_for_the_candidates_only():
    """At activity_scale 0.005 (about 0.2% active) the activity stream draws a few numbers
    per candidate, not two uniforms per user (the former 2 x 4,000)."""
    m = OpinionEcology(seed=2, n_users=4000, activity_scale=0.005)
    m.streams["activity"] = rng = CountingRng(4)
    for t in range(20):
        phases.sessions(m, t)
    assert rng.drawn < 20 * 200


def test_churn_leaves_with_each_followers_hazard(small):
    """Followers at belonging 0 and trust 0 have hazard churn_prob (0.05); at belonging
    B*/2 half that; at belonging B* none; non-followers never leave. 2,000 steps of the rule
    on 600 users, every follow restored each step."""
    m = small
    s = m.state
    st = m.rules.following.settings
    saved = s.follows.copy(), s.ever_unfollowed.copy(), s.belonging.copy(), s.trust_media.copy()
    saved_load = s.load.copy()
    try:
        n = m.n_users
        group = np.arange(n) % 4  # 0: B=0, 1: B=B*/2, 2: B=B*, 3: not following
        s.belonging[:, 0] = np.select(
            [group == 0, group == 1], [0.0, st.churn_belonging / 2], st.churn_belonging
        )
        s.trust_media[:, 0] = 0.0
        s.load[:] = 0.0
        left = np.zeros(n)
        rng = np.random.default_rng(9)
        reps = 2000
        for _ in range(reps):
            s.follows[:, 0] = group != 3
            m.rules.following.update(m, rng)
            left += ~s.follows[:, 0]
        left[group == 3] = 0  # they never followed
        for g, want in ((0, st.churn_prob), (1, st.churn_prob / 2), (2, 0.0)):
            k = (group == g).sum() * reps
            got = left[group == g].sum() / k
            assert abs(got - want) < 5 * np.sqrt(want * (1 - want) / k) + 1e-12, (g, got, want)
        assert not s.ever_unfollowed[group == 3].any()
    finally:
        s.follows[:], s.ever_unfollowed[:], s.belonging[:], s.trust_media[:] = saved
        s.load[:] = saved_load


def test_churn_draws_for_the_candidates_only(small):
    """The churn draw costs about (churn_prob + churn_overload) x n numbers, not n."""
    m = small
    saved = m.state.follows.copy(), m.state.ever_unfollowed.copy()
    try:
        rng = CountingRng(1)
        for _ in range(50):
            m.rules.following.update(m, rng)
        st = m.rules.following.settings
        assert rng.drawn < 50 * (2.5 * (st.churn_prob + st.churn_overload) * m.n_users + 20)
    finally:
        m.state.follows[:], m.state.ever_unfollowed[:] = saved


def test_peer_participants_are_each_user_with_peer_prob(small, monkeypatch):
    """Deffuant's round draws its participants (each with peer_prob) for them only: with a
    pairing that records who took part, every user's frequency is peer_prob."""
    m = small
    seen = np.zeros(m.n_users)

    class Recorder:
        def pairs(self, rng, part, world):
            seen[part] += 1
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)

    monkeypatch.setattr(m.rules, "peer_choice", Recorder())
    rng = CountingRng(2)
    reps = 2000
    for _ in range(reps):
        m.rules.opinion.peer_round(m, rng)
    q = m.params.peer_prob
    se = np.sqrt(q * (1 - q) / reps)
    assert np.abs(seen / reps - q).max() < 5.5 * se
    # about one geometric gap per participant, plus the chunk's margin: not one per user
    assert rng.drawn < reps * (2 * q * m.n_users + 40)
