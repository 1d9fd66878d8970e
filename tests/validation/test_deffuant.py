"""Deffuant-Weisbuch bounded confidence through the engine (docs/validation.md, section 1).

Theory: from uniform opinions with complete mixing, pairwise bounded-confidence averaging ends
in about floor(1 / (2 epsilon)) major clusters (Deffuant et al. 2000; Weisbuch et al. 2002),
and every exchange conserves the mean opinion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology
from model.measures import opinion_clusters
from model.presets import deffuant

#: Replicates per bound, decided in advance (odd, so the median is one of the runs).
REPLICATES = 11


def _runs(eps: float) -> list[tuple[int, float, bool]]:
    """(major clusters, |mean drift|, stopped by itself) for each replicate."""
    out = []
    for seed in range(REPLICATES):
        m = OpinionEcology(deffuant(eps), seed=seed)
        before = float(m.state.opinion.mean())
        m.run()
        stopped = not m.running and m.steps < m.params.steps
        out.append((opinion_clusters(m), abs(float(m.state.opinion.mean()) - before), stopped))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("eps", [0.1, 0.2])
def test_major_clusters_follow_the_staircase_and_the_mean_is_conserved(eps):
    """Median major clusters within +-1 of floor(1/(2 eps)); mean opinion conserved to 1e-9.

    Tolerances, fixed in advance: with n = 1000 the count of clusters holding >= 5% of users
    fluctuates by one between replicates (a cluster near an edge of the opinion range can fall
    under 5%, or two neighbours merge), so the median of 11 replicates is asked to lie within
    +-1 of the theory. Conservation is exact in real arithmetic (a pair moves by +mu d and
    -mu d with equal bounds, and no opinion can leave [-1, 1], so clipping never acts); float
    rounding adds about 1e-17 per exchange, so 1e-9 is loose and any real leak fails it. Each
    run must also stop by itself (no pair can interact any more) before its horizon.
    """
    runs = _runs(eps)
    clusters = [c for c, _, _ in runs]
    theory = math.floor(1 / (2 * eps) + 1e-9)
    assert abs(np.median(clusters) - theory) <= 1, (clusters, theory)
    assert max(d for _, d, _ in runs) <= 1e-9
    assert all(s for _, _, s in runs)
