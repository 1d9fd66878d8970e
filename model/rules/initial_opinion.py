"""Initial opinion rules: how users' opinions on [-1, 1] are drawn at start (docs/ODD.md 5)."""

from __future__ import annotations

import numpy as np

from model.rules.registry import INITIAL_OPINION
from model.world import InitialOpinionRule


@INITIAL_OPINION.register("normal")
class Normal(InitialOpinionRule):
    """Normal(0, 0.4), clipped to [-1, 1]."""

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n opinions in [-1, 1]."""
        return np.clip(rng.normal(0, 0.4, size=n), -1, 1)


@INITIAL_OPINION.register("uniform")
class Uniform(InitialOpinionRule):
    """Uniform on [-1, 1] (the Deffuant et al. 2000 setting)."""

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n opinions in [-1, 1]."""
        return rng.uniform(-1, 1, size=n)
