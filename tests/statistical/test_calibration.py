"""Calibration: each cohort's share of exposures through social channels matches its profile.

The survey values (agents/generations.py: post00 0.47, post90 0.45, post80 0.42, pre80 0.23)
are the target; the tolerance is fixed in advance at +-0.05. At 5,000 users over 3 days each cohort
has tens of thousands of views, so the sampling error of a share (sd < 0.005) is far inside
the tolerance: a miss means the mechanism is off, not bad luck. Two strategies and two seeds
are checked, since forwarding volume differs a lot between them.
"""

from __future__ import annotations

import pytest

from agents.generations import GENERATIONS, PROFILES
from model import OpinionEcology
from model import measures as M


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["one_way", "interactive"])
@pytest.mark.parametrize("seed", [1, 2])
def test_social_channel_share_by_generation(strategy, seed):
    m = OpinionEcology(seed=seed, n_users=5000, strategy=strategy).run(72)
    share = M.social_channel_share(m, by="generation")
    for g in GENERATIONS:
        assert share[g] == pytest.approx(PROFILES[g]["social_share"], abs=0.05), (g, share[g])
    # and the cohorts keep their order: younger cohorts take more news socially than pre80
    assert min(share["post00"], share["post90"], share["post80"]) > share["pre80"] + 0.1
