"""The user follow layer that changes (model/network.py FollowLayer) and the rule that changes
it (model/rules/user_follow.py, docs/ODD.md 7.19): hand-computed edits, invariants against a
set of ties, delivery reading the current layer, and the rule's follow, unfollow and rewiring.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology, Params
from model.content import USER
from model.network import CSR, FollowLayer, Networks, csr_from_edges
from model.rules.user_follow import SasaharaSettings, follow_on_likes, unfollow
from model.step.deliver import _audience_size, _reached
from model.step.records import Reactions, Views


def ties(layer) -> set[tuple[int, int]]:
    """The layer as a set of (account, follower)."""
    c = layer.csr() if isinstance(layer, FollowLayer) else layer
    return set(zip(c.row_owner().tolist(), c.indices.tolist(), strict=True))


def small() -> FollowLayer:
    """Followers by account: 0 <- {1, 2}, 1 <- {2}, 2 <- {} (n = 4, user 3 follows nobody)."""
    return FollowLayer(csr_from_edges(np.array([0, 0, 1]), np.array([1, 2, 2]), 4))


def test_edits_by_hand():
    """Rows laid out with room size + size // 8 + 1: sizes 2, 1, 0, 0 get room 3, 2, 1, 1 at
    starts 0, 3, 5, 6 (pool of 7). Edits in order: 3 follows 2 (written in place at 5);
    2 unfollows 0; refused: 1 follows 0 again (a repeat), 2 follows 2 (a self-tie), 3
    unfollows 1 (no such tie). Then the cap: user 1 follows one account (0), so with cap 1
    it may not follow 2; with cap 2 it may, and account 2's full row (1 of room 1) moves to
    the pool's end (7) with room max(4, 2 x 1) = 4, leaving 1 entry of garbage."""
    layer = small()
    done = layer.apply(
        np.array([1, -1, 1, 1, -1]), np.array([3, 2, 1, 2, 3]), np.array([2, 0, 0, 2, 1]), cap=5
    )
    assert done.tolist() == [True, True, False, False, False]
    assert ties(layer) == {(0, 1), (1, 2), (2, 3)}
    assert layer.degree.tolist() == [1, 1, 1, 0]
    assert layer.out_degree.tolist() == [0, 1, 1, 1]
    assert layer.start.tolist() == [0, 3, 5, 6] and layer.cap.tolist() == [3, 2, 1, 1]
    assert layer.pool[5] == 3 and layer.end[2] == 6
    assert layer.follows(3, 2) and not layer.follows(2, 0)
    # the cap counts followees: user 1 follows account 0, so with cap 1 it may not follow 2
    assert layer.apply(np.array([1]), np.array([1]), np.array([2]), cap=1).tolist() == [False]
    assert layer.apply(np.array([1]), np.array([1]), np.array([2]), cap=2).tolist() == [True]
    assert ties(layer) == {(0, 1), (1, 2), (2, 3), (2, 1)}
    assert (layer.start[2], layer.end[2], layer.cap[2]) == (7, 9, 4)
    assert layer.meta.tolist() == [11, 1] and len(layer.pool) == 16


def test_bad_edits_are_refused():
    layer = small()
    with pytest.raises(ValueError, match="follower id is out of range; allowed 0 to 3"):
        layer.apply(np.array([1]), np.array([4]), np.array([0]), cap=5)
    with pytest.raises(ValueError, match="one kind, follower and account each"):
        layer.apply(np.array([1, 1]), np.array([0]), np.array([1]), cap=5)


def test_random_edits_match_a_set_and_memory_stays_bounded():
    """2,000 batches of random follows and unfollows on 300 users: after each batch the layer
    equals a set of ties edited by the same rules, the followee counts equal its columns, and
    the pool stays within 4 x the ties + 4 x the accounts (a moved row is at most half empty,
    plus a minimum room of 4, and a laid-out row has an eighth plus one; the garbage is under a
    quarter of the pool)."""
    rng = np.random.default_rng(0)
    n = 300
    base = csr_from_edges(rng.integers(0, n, 1200), rng.integers(0, n, 1200), n)
    layer = FollowLayer(base)
    model = ties(base)
    cap = 12
    out = np.bincount(base.indices, minlength=n)
    for _ in range(2000):
        k = rng.integers(1, 8)
        kind = np.where(rng.random(k) < 0.55, 1, -1)
        f, a = rng.integers(0, n, k), rng.integers(0, n, k)
        # removals mostly of existing ties, so both kinds happen
        for j in np.flatnonzero(kind < 0):
            if model and rng.random() < 0.8:
                a[j], f[j] = list(model)[rng.integers(len(model))]
        done = layer.apply(kind, f, a, cap)
        for j in range(k):
            tie = (int(a[j]), int(f[j]))
            if kind[j] < 0:
                ok = tie in model
                if ok:
                    model.remove(tie)
                    out[f[j]] -= 1
            else:
                ok = a[j] != f[j] and tie not in model and out[f[j]] < cap
                if ok:
                    model.add(tie)
                    out[f[j]] += 1
            assert done[j] == ok
    assert ties(layer) == model
    np.testing.assert_array_equal(layer.out_degree, out)
    assert layer.meta[0] <= 4 * len(model) + 4 * n
    assert layer.meta[1] <= 0.25 * layer.meta[0]
    # the CSR view is the same layer, and compaction keeps it
    before = ties(layer)
    layer.compact()
    assert ties(layer) == before and layer.meta[1] == 0
    size = layer.end - layer.start
    assert len(layer.pool) == (size + size // 8 + 1).sum()


def test_delivery_reads_the_current_layer():
    """The delivery kernel walks follower rows through spans(): after 3 follows account 0 and
    2 stops following it, a share by 0 (reach 1: every draw below it) reaches 1 and 3, not 2;
    the static CSR's spans give the same pairs as its indptr always did."""
    layer = small()
    layer.apply(np.array([1, -1]), np.array([3, 2]), np.array([0, 0]), cap=5)
    acq = CSR(np.zeros(5, np.int64), np.zeros(0, np.int32))
    users, items = np.array([0]), np.array([0])
    kind, source = np.array([USER], np.int8), np.array([0])
    n = _audience_size(acq.indptr, *layer.spans()[:2], users)
    rec, it, frm = _reached(acq.indptr, acq.indices, *layer.spans(), users, items, kind, source,
                            np.zeros(n), 1.0)  # fmt: skip
    assert sorted(rec.tolist()) == [1, 3] and frm.tolist() == [0, 0]
    _, audience = Networks(acq, layer).audience(np.array([0]))
    assert sorted(audience.tolist()) == [1, 3]
    static = small().csr()
    lo, hi, idx = static.spans()
    assert lo.tolist() == static.indptr[:-1].tolist() and hi.tolist() == static.indptr[1:].tolist()
    rec, _, _ = _reached(acq.indptr, acq.indices, lo, hi, idx, users, items, kind, source,
                         np.zeros(2), 1.0)  # fmt: skip
    assert rec.tolist() == [1, 2]


class _Content:
    """A content store of four user items, item k authored by user k."""

    source = np.array([0, 1, 2, 3])
    source_kind = np.full(4, USER, np.int8)


def _views(user, item, source_user):
    u = np.asarray(user, np.int64)
    return Views(u, np.asarray(item, np.int64), np.zeros(len(u), np.int8), np.asarray(source_user))


def _reactions(like):
    like = np.asarray(like, bool)
    f, e = np.zeros(len(like)), np.zeros(0, np.int64)
    b = np.zeros(len(like), bool)
    return Reactions(f, f, b, b, like, b, b, f, f, e, b[:0], b[:0])


def test_follow_on_likes_by_hand():
    """like_follow_prob 1: 3 likes item 0 (author 0) -> 3 follows 0; 1 likes item 0 but already
    follows 0 -> nothing; 2 likes its own item 2 -> no draw; 3 views item 1 without a like ->
    nothing. Two candidate likes, two uniforms drawn."""
    layer = small()
    v = _views([3, 1, 2, 3], [0, 0, 2, 1], [-1, -1, -1, -1])
    rng = np.random.default_rng(0)
    st = SasaharaSettings(like_follow_prob=1.0)
    assert follow_on_likes(layer, v, _reactions([1, 1, 1, 0]), _Content, st, rng) == 1
    assert ties(layer) == {(0, 1), (0, 2), (1, 2), (0, 3)}
    twin = np.random.default_rng(0)
    twin.random(2)
    assert rng.random() == twin.random()


def test_unfollow_and_rewire_by_hand():
    """unfollow_prob 1, views outside the bound: 2 sees a share by 0 (followed) and one by 1
    (followed) -> one unfollow only, the first (0); 3 sees a share by 1, whom it does not
    follow -> nothing. rewire='repost': 2 viewed item 3 inside the bound, so 2 follows 3.
    Followees of 2: {0, 1} -> {1, 3}: the count is kept."""
    layer = small()
    v = _views([2, 2, 3, 2], [0, 1, 1, 3], [0, 1, 1, -1])
    inside = np.array([False, False, False, True])
    st = SasaharaSettings(unfollow_prob=1.0, rewire="repost")
    n_un, n_re = unfollow(layer, v, _reactions([0, 0, 0, 0]), inside, _Content, st,
                          np.random.default_rng(1))  # fmt: skip
    assert (n_un, n_re) == (1, 1)
    assert ties(layer) == {(0, 1), (1, 2), (3, 2)}
    assert layer.out_degree[2] == 2
    # 'random' picks a user that is neither 1, nor the account it just left (0), nor followed
    layer = small()
    st = SasaharaSettings(unfollow_prob=1.0, rewire="random")
    v = _views([1], [0], [0])
    unfollow(layer, v, _reactions([0]), np.array([False]), _Content, st, np.random.default_rng(2))
    (new,) = [a for a, f in ties(layer) if f == 1]
    assert new in (2, 3) and layer.out_degree[1] == 1
    # 'none' only cuts the tie
    layer = small()
    st = SasaharaSettings(unfollow_prob=1.0, rewire="none")
    assert unfollow(layer, v, _reactions([0]), np.array([False]), _Content, st,
                    np.random.default_rng(2)) == (1, 0)  # fmt: skip
    assert ties(layer) == {(0, 2), (1, 2)}


def test_off_draws_nothing_and_keeps_the_static_csr():
    """At the defaults the layer stays the CSR built at the start and the user_follow stream
    is never read."""
    m = OpinionEcology(Params(n_users=300, steps=6), seed=4)
    state = m.streams["user_follow"].bit_generator.state
    m.run()
    assert isinstance(m.networks.followers, CSR)
    assert m.streams["user_follow"].bit_generator.state == state
    np.testing.assert_array_equal(m.user_follower_counts(), m.networks.followers.degree)


def test_the_rule_changes_the_layer_in_a_run():
    """With both probabilities on, a run follows and unfollows; the follower counts are the
    layer's rows, and the rule's totals add up to the change in ties."""
    p = Params(n_users=300, steps=12, user_follow_prob=0.3, user_unfollow_prob=0.5)
    m = OpinionEcology(p, seed=4)
    e0 = m.networks.followers.n_edges
    m.run()
    follows, unfollows = m.rules.user_follow.state.total
    assert follows > 0 and unfollows > 0
    assert m.networks.followers.n_edges == e0 + follows - unfollows
    counts = m.user_follower_counts()
    assert counts.dtype == np.int64 and counts.sum() == m.networks.followers.n_edges
    np.testing.assert_array_equal(counts, np.diff(m.networks.followers.indptr))


def test_follow_measures_are_on_request_and_count_the_rule():
    """The follow-network measures are in the catalogue on request (O(ties): not in the step's
    snapshot); user_follow_changes is the rule's last-step tally, and over a run the tallies
    sum to the rule's totals."""
    from model.measures.catalogue import CATALOGUE
    from model.measures.follow_network import follow_changes

    names = ("follow_discordant_share", "follow_cross_share", "follow_modularity")
    for name in (*names, "user_follow_changes"):
        assert CATALOGUE[name].when == "query"
    p = Params(n_users=300, steps=8, user_follow_prob=0.3, user_unfollow_prob=0.5)
    m = OpinionEcology(p, seed=2)
    assert not set(names) & set(m.current_snapshot())
    seen = 0.0
    for _ in range(8):
        m.step()
        assert follow_changes(m) == float(sum(m.rules.user_follow.changes()))
        seen += follow_changes(m)
    assert seen == float(m.rules.user_follow.state.total.sum()) > 0
    off = OpinionEcology(Params(n_users=300, steps=2), seed=2).run()
    assert follow_changes(off) == 0.0


def test_random_rewiring_keeps_every_users_followee_count():
    """Unfollowing alone with random rewiring (Sasahara et al.'s rule): every unfollow is
    followed by a follow of the same user, so each user's number of followees, and the number
    of ties, stay what they were, while the ties themselves change. (A rewiring fails only
    when 8 uniform tries all hit the user or a followee: at 300 users and about 10 followees,
    about (11/300)^8, never in this run.)"""
    p = Params(n_users=300, steps=10, user_unfollow_prob=0.5, user_rewire="random")
    m = OpinionEcology(p, seed=6)
    before = ties(m.networks.followers)
    out0 = m.networks.followers.out_degree.copy()
    m.run()
    follows, unfollows = m.rules.user_follow.state.total
    assert follows == unfollows > 0
    np.testing.assert_array_equal(m.networks.followers.out_degree, out0)
    after = ties(m.networks.followers)
    assert len(after) == len(before) and after != before
