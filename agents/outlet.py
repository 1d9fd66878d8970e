"""The media outlet agent: publishes items and carries its strategy (docs/ODD.md 2.3).

Typed against :mod:`agents.protocol`, so nothing here imports the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from agents.protocol import StrategyLike, World


class MediaOutlet(mesa.Agent):
    """A media outlet (index 0 is the focal outlet; the rest are background sources).

    Attributes:
        k: Column of this outlet in the users' trust, belonging and follows arrays.
        strategy: The outlet's strategy, a ``model.Strategy`` (every outlet has its own).
        rate: Items published per step (Poisson mean).
        stance_mean, stance_sd: The distribution of its items' stances.
        intensity, quality: Mean emotional intensity and quality of its items.
        format_mix: Weights over text, image, short video and long video.
        valence_mean, outrage: Mean valence (before outrage) and mean outrage of its items.
    """

    model: World

    def __init__(
        self,
        model: World,
        k: int,
        *,
        strategy: StrategyLike,
        rate: float,
        stance_mean: float,
        stance_sd: float,
        intensity: float,
        quality: float,
        format_mix: tuple[float, float, float, float],
        valence_mean: float = 0.0,
        outrage: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.k = k
        self.strategy = strategy
        self.rate = rate
        self.stance_mean = stance_mean
        self.stance_sd = stance_sd
        self.intensity = intensity
        self.quality = quality
        self.format_mix = format_mix
        self.valence_mean = valence_mean
        self.outrage = outrage

    @property
    def focal(self) -> bool:
        return self.k == 0

    @property
    def followers(self) -> int:
        """Current number of followers."""
        return int(self.model.state.follows[:, self.k].sum())

    def __repr__(self) -> str:
        return f"MediaOutlet({self.k}, {self.strategy.label()}, followers={self.followers})"
