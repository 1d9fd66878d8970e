"""Broadcast against forwarding: structural virality (docs/validation.md, section 4).

Theory (Goel et al. 2016): a pure broadcast is a star, with structural virality 2(n - 1)/n,
at most 2; person-to-person forwarding adds depth and raises it.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology
from model.measures import cascade_sizes, structural_virality
from model.presets import broadcast

SEEDS = (0, 1, 2)


def _virality(forward_p: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    m = OpinionEcology(broadcast(10_000, forward_p=forward_p), seed=seed)
    m.run()
    assert not m.running and m.steps < m.params.steps, "the run must stop by itself"
    return structural_virality(m).to_numpy(), cascade_sizes(m).to_numpy() + 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_broadcast_is_a_star_and_forwarding_raises_virality(seed):
    """Broadcast: every focal tree is an exact star (<= 2.1); forward_p = 0.05 raises virality.

    Reasoning, fixed in advance: with forwarding off nothing but the outlet delivers, so every
    tree must be a star and its virality must equal 2(n - 1)/n as floats (no tolerance needed:
    the Wiener index is an exact integer). With forward_p = 0.05 each of the 3,000 viewers of an
    item forwards it with probability 0.05 to about 10 followers, so about 150 branches grow
    per item and every item's virality must exceed the broadcast's largest value; three seeds
    guard against one network's accident.
    """
    sv, nodes = _virality(0.0, seed)
    assert len(sv) == 5
    assert sv.max() <= 2.1
    assert np.array_equal(sv, 2.0 * (nodes - 1) / nodes)
    sv_on, _ = _virality(0.05, seed)
    assert sv_on.min() > sv.max()
