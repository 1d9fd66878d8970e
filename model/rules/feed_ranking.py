"""Feed ranking rules: the platform's ranking of social-feed slots (docs/ODD.md 7.7).

The platform, not the outlet, ranks what a social feed shows; the rule's factor multiplies the
feed-choice weight of every slot on the social screen (the direct screen is the user's own
follows and is not ranked).

* ``chronological``: no factor; the feed-choice rule's recency x format x trust weighting.
* ``engagement``: engagement-ranked with recency: factor (1 + log(1 + |E|))^sign(E) with
  E = likes + forwards + visible supportive comments - nu (visible critical + uncivil), so
  critical and uncivil comments count against (negative signals; docs/evidence.md 9); with
  comments hidden only likes and forwards count.
* ``personalised``: algorithmic bias (Sirbu et al. 2019): factor (|opinion - stance| + 0.05)^-gamma
  with gamma ``ranking_bias``; gamma = 0 is chronological.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import portable
from model.content import visible_thread
from model.rules.base import RuleSettings
from model.rules.registry import FEED_RANKING
from model.schema import Interval, field
from model.world import FeedRankingRule, SlotWeights, World

#: Distance added before the power of the personalised ranking, so that an item at the
#: viewer's own opinion gets a finite weight (Sirbu et al. 2019 use a small d_min likewise).
BIAS_FLOOR = 0.05


def engagement_score(world: World) -> np.ndarray:
    """E per item: likes + forwards + visible supportive - nu (visible critical + uncivil)."""
    c, p = world.content, world.params
    score = (c.likes + c.forwards).astype(np.float64)
    if not p.comments_visible:
        return score
    sup, crit, unc, rep = visible_thread(c, np.arange(c.n))
    return score + sup + rep - p.negativity_weight * (crit + unc)


def engagement_factor(score: np.ndarray) -> np.ndarray:
    """(1 + log(1 + |E|))^sign(E): 1 at E = 0, growing slowly, below 1 for negative E."""
    mag = 1.0 + portable.log1p(np.abs(score))
    return np.where(score >= 0, mag, 1.0 / mag)


def bias_factor(opinion: np.ndarray, stance: np.ndarray, gamma: float) -> np.ndarray:
    """(|opinion - stance| + BIAS_FLOOR)^-gamma."""
    return portable.power(np.abs(opinion - stance) + BIAS_FLOOR, -gamma)


@FEED_RANKING.register("chronological")
class Chronological(FeedRankingRule):
    """No ranking factor: recency as weighed by the feed-choice rule."""

    def slot_factor(self, world: World, t: int) -> SlotWeights:
        """None: the feed-choice weights alone."""
        return None


@FEED_RANKING.register("engagement")
class Engagement(FeedRankingRule):
    """Engagement with negative signals, times the feed-choice rule's recency."""

    def slot_factor(self, world: World, t: int) -> SlotWeights:
        """This step's factor function (users, items) -> factors (float32, positive)."""
        f = engagement_factor(engagement_score(world)).astype(np.float32)

        def factor(users: np.ndarray, items: np.ndarray) -> np.ndarray:
            return f[np.maximum(items, 0)]

        return factor


@dataclass(frozen=True)
class PersonalisedSettings(RuleSettings):
    """The personalised ranking's parameters."""

    ranking_bias: float = field(
        1.0,
        Interval(float, 0.0, 5.0),
        group="platform",
        symbol="γ",
        label="Ranking bias exponent γ",
        unit="",
        doc="Algorithmic-bias exponent gamma of the personalised ranking: weight "
        "(|opinion - stance| + 0.05)^-gamma (Sirbu et al. 2019; sweep 0-2).",
        sweep=(0, 2),
    )


@FEED_RANKING.register("personalised")
class Personalised(FeedRankingRule):
    """Similarity-biased ranking (Sirbu et al. 2019): closer items rank higher."""

    Settings = PersonalisedSettings
    settings: PersonalisedSettings

    def slot_factor(self, world: World, t: int) -> SlotWeights:
        """This step's factor function (users, items) -> factors (float32, positive)."""
        gamma = self.settings.ranking_bias
        stance, opinion = world.content.stance, world.state.opinion

        def factor(users: np.ndarray, items: np.ndarray) -> np.ndarray:
            x = opinion[users][:, None] if items.ndim == 2 else opinion[users]
            return bias_factor(x, stance[np.maximum(items, 0)], gamma).astype(np.float32)

        return factor
