"""Attention rules: how many items a browsing user views per session (docs/ODD.md 7.5).

``limited`` draws a budget around the cohort's mean (Weng et al. 2012: limited attention);
``unlimited`` lets a user see both screens in full, as the independent cascade assumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.rules.base import RuleSettings
from model.rules.registry import ATTENTION
from model.schema import Interval, field, posterior
from model.world import AttentionRule


@dataclass(frozen=True)
class LimitedSettings(RuleSettings):
    """The limited-attention rule's parameters."""

    attention_scale: float = field(
        0.315,
        Interval(float, 0.05, 20.0),
        group="attention",
        label="Items viewed multiplier",
        unit="",
        doc="Multiplier on every cohort's items viewed per session.",
        **posterior(
            0.323,
            0.39,
            1.67,
            targets="weekly_commenters (items viewed per session are the chances to comment); "
            "the default particle, 0.315, lies just below the interval",
        ),
    )


@ATTENTION.register("limited")
class Limited(AttentionRule):
    """Budget max(1, floor(mean + U)), U ~ Uniform(0, 1): mean items on average."""

    Settings = LimitedSettings
    settings: LimitedSettings

    #: A budget can be smaller than what the screens hold: the split between them is drawn.
    takes_all = False

    def budget(self, rng: np.random.Generator, mean: np.ndarray, screen_size: int) -> np.ndarray:
        """Items each user may view (int64, at least 1), one uniform per user."""
        scaled = mean * self.settings.attention_scale
        return np.maximum(1, np.floor(scaled + rng.random(len(mean)))).astype(np.int64)


@ATTENTION.register("unlimited")
class Unlimited(AttentionRule):
    """Budget 2 x screen size: both screens in full (no draws)."""

    #: The budget holds both screens in full, so every unseen item is viewed whatever the split.
    takes_all = True

    def budget(self, rng: np.random.Generator, mean: np.ndarray, screen_size: int) -> np.ndarray:
        """Items each user may view (int64)."""
        return np.full(len(mean), 2 * screen_size, dtype=np.int64)
