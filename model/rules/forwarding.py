"""Forwarding rules: the probability that a view is forwarded, before friction (docs/ODD.md 7.9).

``resonance`` lets emotional resonance drive secondary dissemination; ``fixed`` forwards with a
constant probability, the independent cascade of Kempe et al. (2003).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.rules.registry import Registry

FORWARDING: Registry = Registry("forward_model")


@FORWARDING.register("resonance")
class Resonance:
    """p = min(1, 2 base_forward res (0.5 + emotion))."""

    def probability(self, params: Any, res: np.ndarray, emotion: np.ndarray) -> np.ndarray:
        """Forward probability per view, in [0, 1] (no draws)."""
        return np.minimum(1.0, 2.0 * params.base_forward * res * (0.5 + emotion))


@FORWARDING.register("fixed")
class Fixed:
    """p = forward_p for every view (independent cascade)."""

    def probability(self, params: Any, res: np.ndarray, emotion: np.ndarray) -> np.ndarray:
        """Forward probability per view, in [0, 1] (no draws)."""
        return np.full(len(res), params.forward_p)
