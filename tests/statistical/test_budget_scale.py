"""The staff budget is the same at any population size (docs/ODD.md 7.12).

Every arm with the same staff (outlet_rate 1 x item_hours 0.5 = 0.5 staff-hours per step)
spends the same staff-hours, at 2,000 and at 20,000 users: the conversation's capacities are
shares of the budget over the per-action hours, not scaled by followers. The six runs (three
arms, two sizes, one seed, 72 steps) take about 15 s.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology
from model.constants import DAY
from model.content import OUTLET

STEPS = 72
SIZES = (2_000, 20_000)
ARMS = ("one_way", "interactive", "scenario")
#: |staff-hours spent - steps x staff| at the end is the balance left by the last step (each
#: step's balance is hours - items x item_hours + reserve - conversation spent, and the next
#: step's publishing pays it back, so it does not accumulate): the last Poisson draw's
#: deviation from its mean (a mean of about 1 item at 0.5 h: 4 items above it, under 0.5%),
#: the last step's unused conversation reserve (at most 0.4 x 0.5 = 0.2 h) or a debt of the
#: follow-ups it released. 2 staff-hours (4 items, 5.6% of the 36 h budget) bounds these; the
#: runs are seeded, so the test is deterministic and measured at most about 0.6 h.
TOLERANCE = 2.0


@pytest.fixture(scope="module")
def runs():
    return {
        (n, arm): OpinionEcology(seed=1, n_users=n, steps=STEPS, strategy=arm).run()
        for n in SIZES
        for arm in ARMS
    }


def _tallied_hours(m) -> float:
    """Staff-hours from the model's tallies, independently of ``staff_spent``: the focal items in
    the content store (follow-ups included; initial_items is 0, outside the budget) x item_hours
    + replies x reply_hours + reviews x review_hours + member-steps x member_hours / 24."""
    p, c = m.params, m.content
    assert p.initial_items == 0
    items = np.count_nonzero((c.source_kind == OUTLET) & (c.source == 0))
    return (
        items * p.item_hours
        + m.replies_by[0] * p.reply_hours
        + m.reviews_by[0] * p.review_hours
        + m.member_steps[0] * p.member_hours / DAY
    )


@pytest.mark.slow
def test_equal_staff_spends_equal_hours_at_every_size(runs):
    """For each arm and size: staff_spent equals the tallies (1e-9) and the budget
    72 x 1 x 0.5 = 36 h within TOLERANCE, so all six are equal within it."""
    spent = {}
    for (n, arm), m in runs.items():
        budget = STEPS * m.params.outlet_rate * m.params.item_hours
        assert budget == pytest.approx(36.0)
        assert m.staff_spent[0] == pytest.approx(_tallied_hours(m), abs=1e-9), (n, arm)
        assert abs(m.staff_spent[0] - budget) <= TOLERANCE, (n, arm, m.staff_spent[0])
        spent[n, arm] = float(m.staff_spent[0])
    assert max(spent.values()) - min(spent.values()) <= TOLERANCE, spent
    # the conversation arms really spend on the conversation at both sizes (a budget spent on
    # publishing alone would pass the sums above trivially)
    for n in SIZES:
        for arm in ("interactive", "scenario"):
            m = runs[n, arm]
            assert m.replies_by[0] > 0 and m.reviews_by[0] > 0 and m.member_steps[0] > 0
            assert m.focal_items < runs[n, "one_way"].focal_items


@pytest.mark.slow
def test_reply_capacity_does_not_grow_with_followers(runs):
    """Interactive at 20,000 users has about ten times the followers of 2,000 but the same reply
    capacity, 0.2 x 0.5 / 0.05 = 2 per step (exact: floor(2 + U) = 2), the same review capacity
    (0.1 x 0.5 / 0.0083 = 6.02: 6 or 7) and room for the same 300 members; so at most 2 x 72
    replies at either size."""
    small, large = runs[2_000, "interactive"], runs[20_000, "interactive"]
    f_small, f_large = small.state.follows[:, 0].sum(), large.state.follows[:, 0].sum()
    assert f_large > 5 * f_small
    for m in (small, large):
        assert m.budget["reply_cap"][0] == 2
        assert m.budget["review_cap"][0] in (6, 7)
        assert m.budget["member_cap"][0] == 300
        assert 0 < m.replies_by[0] <= 2 * STEPS
