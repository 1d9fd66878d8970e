"""Structural virality of stars, chains and real cascade trees (docs/validation.md, section 5).

A star of n nodes gives 2(n - 1)/n and a chain (n + 1)/3, exactly; every tree the engine
records must give the mean pairwise distance that brute force gives.
"""

from __future__ import annotations

from fractions import Fraction

import networkx as nx
import numpy as np
import pytest

from model import OpinionEcology
from model.measures import cascade_trees, structural_virality, tree_virality
from model.presets import limited_attention


@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 3, 4, 5, 10, 57, 1000])
def test_star_and_chain_exact(n):
    """tree_virality equals 2(n-1)/n and (n+1)/3 as floats: both are one correctly rounded
    division of the same rational number, so no tolerance is needed."""
    star = np.r_[-1, np.zeros(n - 1, dtype=np.int64)]
    chain = np.arange(-1, n - 1)
    assert tree_virality(star) == float(Fraction(2 * (n - 1), n))
    assert tree_virality(chain) == float(Fraction(n + 1, 3))


def _trees(model):
    """Each recorded item's tree as a networkx Graph rooted at 'root', with the engine's value."""
    sv = structural_virality(model)
    for item, g in cascade_trees(model).groupby("item"):
        users = set(g["user"].tolist())
        tree = nx.Graph()
        tree.add_node("root")
        for u, par in zip(g["user"].tolist(), g["parent"].tolist(), strict=True):
            tree.add_edge(u, par if par in users else "root")
        yield tree, float(sv[item])


@pytest.mark.slow
def test_real_run_trees_match_brute_force_and_include_exact_stars_and_chains():
    """Every tree of a real limited-attention run: engine virality == brute force (1e-12).

    Setting, fixed in advance: 2,000 users, mu = 0.2, 40 steps, every cascade recorded; that
    run gives thousands of small trees, among them (in trial runs) over a hundred stars and
    over a hundred chains of 4 or more nodes. Trees up to 60 nodes are checked by all-pairs
    shortest paths. Stars must give 2(n-1)/n and chains (n+1)/3 exactly; at least 20 of each
    must occur, or the check would be empty.
    """
    params = limited_attention(0.2, n_users=2000).replace(record_cascades="all", steps=40)
    m = OpinionEcology(params, seed=0)
    m.run()
    checked = stars = chains = 0
    for tree, value in _trees(m):
        n = tree.number_of_nodes()
        if n < 2 or n > 60:
            continue
        assert value == pytest.approx(nx.average_shortest_path_length(tree), rel=1e-12, abs=0)
        checked += 1
        degrees = dict(tree.degree())
        if n >= 4 and degrees["root"] == n - 1:
            stars += 1
            assert value == 2 * (n - 1) / n
        elif n >= 4 and degrees["root"] == 1 and max(degrees.values()) <= 2:
            chains += 1
            assert value == (n + 1) / 3
    assert checked >= 1000 and stars >= 20 and chains >= 20, (checked, stars, chains)
