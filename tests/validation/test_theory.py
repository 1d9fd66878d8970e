"""The closed forms of validation.theory, against hand-computed values and independent methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

from validation.theory import (
    brute_force_virality,
    chain_virality,
    deffuant_staircase,
    percolation_share,
    star_virality,
)


def test_percolation_share_solves_its_equation_and_matches_fixed_point_iteration():
    """S(c p = 2) = 0.7968; brentq agrees with iterating S = 1 - exp(-c p S) from S = 1."""
    for c, p in [(10.0, 0.2), (10.0, 0.15), (4.0, 0.5), (10.0, 0.4)]:
        s = percolation_share(c, p)
        fixed = 1.0
        for _ in range(2000):
            fixed = 1.0 - math.exp(-c * p * fixed)
        assert s == pytest.approx(1.0 - math.exp(-c * p * s), abs=1e-12)
        assert s == pytest.approx(fixed, abs=1e-9)
    assert percolation_share(10.0, 0.2) == pytest.approx(0.7968, abs=5e-5)


@pytest.mark.parametrize("p", [0.0, 0.05, 0.1])
def test_no_large_outbreak_at_or_below_the_threshold(p):
    assert percolation_share(10.0, p) == 0.0


@pytest.mark.parametrize(
    ("eps", "clusters"), [(0.05, 10), (0.1, 5), (0.125, 4), (0.2, 2), (0.25, 2), (0.3, 1), (0.6, 1)]
)
def test_deffuant_staircase(eps, clusters):
    """floor(1/(2 eps)), taking the upper value exactly at a step, and never below one."""
    assert deffuant_staircase(eps) == clusters


def test_star_and_chain_by_hand():
    """Three nodes: a star has distances 1, 1, 2 (mean 4/3); a chain of four 1,1,1,2,2,3 (5/3)."""
    assert star_virality(3) == pytest.approx(4 / 3)
    assert chain_virality(4) == pytest.approx(5 / 3)
    assert star_virality(2) == chain_virality(2) == 1.0


@pytest.mark.parametrize("n", [2, 3, 5, 20])
def test_brute_force_on_stars_and_chains(n):
    """Users 10.. under the root (parent -1) form a star; each under the previous, a chain."""
    users = np.arange(10, 10 + n - 1)
    sv, children = brute_force_virality(users, np.full(n - 1, -1))
    assert sv == pytest.approx(star_virality(n), abs=1e-12)
    assert children[0] == n - 1
    sv, children = brute_force_virality(users, np.r_[-1, users[:-1]])
    assert sv == pytest.approx(chain_virality(n), abs=1e-12)
    assert children.max() == (1 if n > 1 else 0)


def test_brute_force_puts_unknown_parents_under_the_root():
    """A parent outside the tree counts as the root: 7 under 99 is the star root-5, root-7."""
    sv, children = brute_force_virality(np.array([5, 7]), np.array([-1, 99]))
    assert sv == pytest.approx(star_virality(3))
    assert list(children) == [2, 0, 0]
