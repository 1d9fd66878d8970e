"""The runner and the spec tried as an attacker would: each defect found by the review, pinned."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.report import headline_table
from experiments.stats import confidence_label

COMPARISON = pd.DataFrame(
    [
        {
            "point_id": 0,
            "generation": "all",
            "measure": "reach",
            "arm": "interactive",
            "base_mean": 1.0,
            "arm_mean": 2.0,
            "diff": 1.0,
            "ci_lo": 0.5,
            "ci_hi": 1.5,
            "boot_lo": float("nan"),
            "boot_hi": float("nan"),
            "d_z": 1.0,
            "a12": 0.7,
            "r": 0.5,
            "n": 10,
            "adequate": True,
            "n_needed": 4,
        }
    ]
)


@pytest.mark.parametrize(
    ("level", "label"),
    [(0.9, "90%"), (0.95, "95%"), (0.975, "97.5%"), (0.995, "99.5%"), (0.999, "99.9%")],
)
def test_a_confidence_level_is_labelled_with_its_own_digits(level, label):
    assert confidence_label(level) == label
    assert f"{label} CI (paired t)" in headline_table(COMPARISON, ["reach"], 0, confidence=level)
