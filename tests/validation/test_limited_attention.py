"""Weng et al. (2012) limited attention through the engine (docs/validation.md, section 3).

Theory: users who post new items with probability mu and otherwise forward one item from a
FIFO screen produce heavy-tailed item popularity over two or more decades (Weng et al. 2012);
competition for attention keeps each item's spreading near a critical branching process, with
a tail exponent below 2 (Gleeson et al. 2014).
"""

from __future__ import annotations

import pytest

from model import OpinionEcology
from model.measures import popularity_tail
from model.presets import limited_attention

#: Items created in these steps are measured (start-up and the still-spreading end left out).
BORN = (51, 150)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_popularity_is_heavy_tailed_over_two_decades(seed):
    """mu = 0.05, n = 10,000, screen 10: >= 2 decades, tail exponent in [1.3, 2.2].

    Reasoning, fixed in advance: one run measures about 50,000 items, so the exponent's
    standard error is about 0.003 and the spread between seeds (about 0.03 in trial runs,
    alpha 1.65-1.70) is the real uncertainty; two seeds check that the result is not one
    network's accident. The bounds were fixed before the run. The tail (above the KS-chosen xmin) must
    itself span two decades, so the exponent is not fitted on a short stretch, and the fit
    must be close (KS distance under 0.05). The preset stops at its horizon by itself.
    """
    m = OpinionEcology(limited_attention(0.05), seed=seed)
    m.run()
    assert not m.running
    tail = popularity_tail(m, born=BORN)
    assert tail["decades"] >= 2, tail
    assert tail["tail_decades"] >= 2, tail
    assert 1.3 <= tail["alpha"] <= 2.2, tail
    assert tail["ks"] < 0.05, tail
