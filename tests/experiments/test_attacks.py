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


SAMPLED = """
name = "attack"
replicates = 1
steps = 30
[fixed]
n_users = 100
[uncertainties]
trust_shift = [-0.3, 0.3]
epsilon = [0.1, 0.5]
[design]
kind = "{kind}"
n = 4
{design}
[arms]
one_way = "one_way"
interactive = "interactive"
{tail}
"""


def _spec_error(write_spec, text: str) -> str:
    from experiments.spec import SpecError, load_spec

    with pytest.raises(SpecError) as e:
        load_spec(write_spec(text))
    return str(e.value)


@pytest.mark.parametrize(
    ("kind", "design", "tail", "key", "bound"),
    [
        ("lhs", "", "[analysis]\nn_resamples = 1_000_000_000", "analysis.n_resamples", "100000"),
        ("morris", "levels = 1000", "", "design.levels", "100"),
    ],
    ids=["n_resamples", "morris_levels"],
)
def test_every_size_like_key_has_an_upper_bound(write_spec, kind, design, tail, key, bound):
    msg = _spec_error(write_spec, SAMPLED.format(kind=kind, design=design, tail=tail))
    assert key in msg and bound in msg and "spec.toml:" in msg


def test_a_settle_window_longer_than_the_run_is_refused(write_spec):
    msg = _spec_error(
        write_spec,
        SAMPLED.format(kind="lhs", design="", tail="").replace(
            "steps = 30", "steps = 30\nsettle_window = 48"
        ),
    )
    assert "settle_window" in msg and "steps=30" in msg and "spec.toml:4:" in msg


def test_a_one_level_categorical_uncertainty_is_refused(write_spec):
    text = SAMPLED.format(kind="lhs", design="", tail="").replace(
        "epsilon = [0.1, 0.5]", 'follow_model = ["powerlaw"]'
    )
    msg = _spec_error(write_spec, text)
    assert "uncertainties.follow_model" in msg and "at least two" in msg and "[fixed]" in msg


def test_duplicate_lever_policies_are_refused(write_spec):
    tail = '[[levers]]\n"strategy.reply_share" = 0.1\n[[levers]]\n"strategy.reply_share" = 0.1\n'
    msg = _spec_error(write_spec, SAMPLED.format(kind="lhs", design="", tail=tail))
    assert "levers.1" in msg and "repeats policy 0" in msg


def test_levers_without_an_arm_that_sweeps_the_strategy_are_refused(write_spec):
    tail = '[levers]\n"strategy.reply_share" = [0.1, 0.3]\n'
    text = SAMPLED.format(kind="lhs", design="", tail=tail).replace(
        'interactive = "interactive"', 'chat = {strategy = "interactive", sweep = false}'
    )
    msg = _spec_error(write_spec, text)
    assert "no arm sweeps the strategy" in msg and "sweep = true" in msg
