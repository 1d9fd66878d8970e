"""The boundary spec (experiments/specs/when_interactive_wins.toml): what it sweeps, and a header
that states its true size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments.spec import count_points, load_spec

SPEC = Path(__file__).parents[2] / "experiments" / "specs" / "when_interactive_wins.toml"

#: Parameters that can flip a sign of the headline (issue 17); the boundary must sweep them.
SIGN_DECIDERS = (
    "base_comment",
    "following.churn_prob",
    "following.churn_belonging",
    "following.churn_trust",
    "belonging_decay",
    "community_gain",
    "community_join",
    "member_hours",
    "critical_trust",
)


@pytest.fixture(scope="module")
def spec():
    with pytest.warns(UserWarning, match="ranking_bias"):  # the documented partial effect
        return load_spec(SPEC)


def test_boundary_sweeps_every_sign_decider_as_an_uncertainty(spec):
    d = spec.design
    missing = [k for k in SIGN_DECIDERS if k not in d.uncertainty_keys]
    assert missing == []
    for k in SIGN_DECIDERS:
        lo, hi = d.ranges[k]
        assert lo < hi, k


def test_boundary_levers_cross_reply_and_community_shares(spec):
    d = spec.design
    assert d.lever_keys == ("strategy.reply_share", "strategy.community_share")
    settings = {(p["strategy.reply_share"], p["strategy.community_share"]) for p in d.levers}
    assert settings == {(0.1, 0.0), (0.1, 0.1), (0.3, 0.0), (0.3, 0.1)}
    # conversation (replies + moderation 0.1 + community) stays under the 0.9 staff limit
    assert all(r + 0.1 + c <= 0.9 for r, c in settings)


def test_boundary_header_states_the_planned_counts(spec):
    """The header's n, scenario, design-point and run counts are the loader's."""
    # the header's comment lines joined into one text, so a rewrap does not break the check
    text = " ".join(
        line.lstrip("#").strip() for line in SPEC.read_text().splitlines() if line.startswith("#")
    )
    d = spec.design
    dims = len(d.uncertainty_keys)
    scenarios = d.n * (dims + 2)  # Saltelli, first and total order
    points = count_points(spec)
    runs = points * len(spec.arm_names) * spec.replicates
    assert d.kind == "saltelli"
    assert f"n = {d.n} base samples, {d.n} x ({dims} + 2) = {scenarios}" in text
    arms = len(spec.arm_names)
    assert f"= {points} design points x {arms} arms x {spec.replicates} replicate" in text
    assert f"= {runs:,} runs" in text
    assert points == len(d.levers) * scenarios


def test_every_uncertainty_line_carries_a_comment():
    """Each [uncertainties] key has a comment on its line or in the comment block above it."""
    lines = SPEC.read_text().split("[uncertainties]", 1)[1].split("\n[", 1)[0].splitlines()
    key = re.compile(r'^("?[\w.]+"?)\s*=')
    for i, line in enumerate(lines):
        if key.match(line):
            assert "#" in line or lines[i - 1].lstrip().startswith("#"), line
