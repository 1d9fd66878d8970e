"""The two layers: structure of the CSR arrays, homophily, heavy tails."""

from __future__ import annotations

import numpy as np
import pytest

from model.network import acquaintance_layer, csr_from_edges, follow_layer


def test_csr_dedupes_and_drops_self_loops():
    g = csr_from_edges(np.array([0, 0, 1, 2, 2]), np.array([1, 1, 1, 0, 1]), 3)
    assert (
        g.row(0).tolist() == [1] and g.row(1).tolist() == [] and sorted(g.row(2).tolist()) == [0, 1]
    )
    owner, nb = g.expand(np.array([2, 0]))
    assert owner.tolist() == [0, 0, 1] and nb.tolist() == [0, 1, 1]


def test_acquaintance_layer_symmetric_small_world_and_homophilous():
    rng = np.random.default_rng(1)
    n = 4000
    gen = rng.choice(4, size=n).astype(np.int8)
    g = acquaintance_layer(gen, degree=10, rewire=0.1, homophily=0.8, rng=rng)
    src = g.row_owner()
    pairs = set(zip(src.tolist(), g.indices.tolist(), strict=True))
    assert all((b, a) in pairs for a, b in list(pairs)[:2000])  # undirected
    assert not (src == g.indices).any()
    assert 9.0 < g.degree.mean() <= 10.0  # k minus the few duplicate rewired ties
    same = (gen[src] == gen[g.indices]).mean()
    assert same > 0.6  # random mixing would give about 0.25
    # clustering of a ring lattice with small rewiring stays far above a random graph's k/n
    a = g.indptr
    tri = 0
    for i in range(200):
        nb = set(g.row(i).tolist())
        tri += sum(len(nb & set(g.row(j).tolist())) for j in nb) / max(1, len(nb) * (len(nb) - 1))
    assert tri / 200 > 0.3 and a[-1] == len(g.indices)


def test_zero_degree_switches_layer_off():
    g = acquaintance_layer(np.zeros(10, np.int8), 0, 0.1, 0.5, np.random.default_rng(0))
    assert g.n_edges == 0 and g.n == 10


def test_follow_layer_heavy_tailed_in_degree():
    rng = np.random.default_rng(2)
    followers = follow_layer(20000, "powerlaw", 15.0, 2.3, rng)
    indeg = followers.degree
    assert indeg.mean() == pytest.approx(15.0, rel=0.05)
    assert indeg.max() > 40 * indeg.mean()  # influencers: Poisson would give about 2x the mean
    er_followers = follow_layer(20000, "erdos_renyi", 15.0, 2.3, rng)
    assert er_followers.degree.max() < 3 * er_followers.degree.mean()


def test_follow_layer_has_no_self_or_repeated_ties():
    followers = follow_layer(300, "powerlaw", 5.0, 2.5, np.random.default_rng(3))
    account, follower = followers.row_owner(), followers.indices
    assert (account != follower).all()
    ties = account.astype(np.int64) * 300 + follower
    assert len(np.unique(ties)) == len(ties) == followers.n_edges > 0
