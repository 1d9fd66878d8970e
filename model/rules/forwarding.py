"""Forwarding rules: the probability that a view is forwarded, before friction (docs/ODD.md 7.9).

``resonance`` lets emotional resonance drive secondary dissemination; ``fixed`` forwards with a
constant probability, the independent cascade of Kempe et al. (2003).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.content import OUTLET
from model.jit import njit
from model.rules.base import RuleSettings
from model.rules.registry import FORWARDING
from model.schema import Interval, field
from model.world import ForwardingParams, ForwardingRule, World


def friction_of(world: World, items: np.ndarray) -> np.ndarray:
    """Forward friction of each item: the platform's ``share_friction``, lowered by the share
    prompt of the item's outlet (at least 0); none for users' posts (docs/ODD.md 7.9)."""
    c = world.content
    outlet = c.source_kind[items] == OUTLET
    col = np.where(outlet, c.source[items], 0).astype(np.int64)
    prompt = world.outlet["share_prompt"][col]
    return np.where(outlet, np.maximum(0.0, world.params.share_friction - prompt), 0.0)


@dataclass(frozen=True)
class ResonanceSettings(RuleSettings):
    """The resonance rule's parameters."""

    base_forward: float = field(
        0.06,
        Interval(float, 0.0, 1.0),
        group="reactions",
        label="Forward probability",
        unit="per view",
        doc="Forward probability at resonance 0.5 and emotional resonance 0.5, before friction.",
    )


@FORWARDING.register("resonance")
class Resonance(ForwardingRule):
    """p = min(1, 2 base_forward res (0.5 + emotion))."""

    Settings = ResonanceSettings
    settings: ResonanceSettings

    def probability(
        self, params: ForwardingParams, res: np.ndarray, emotion: np.ndarray
    ) -> np.ndarray:
        """Forward probability per view, in [0, 1] (no draws)."""
        f64 = np.float64
        return _resonance(
            2.0 * self.settings.base_forward, np.asarray(res, f64), np.asarray(emotion, f64)
        )


@njit
def _resonance(two_base, res, emotion):
    """min(1, (2 base_forward x res) x (0.5 + emotion)) per view: numpy's operations in its
    order, one pass (a NaN stays NaN, as in np.minimum)."""
    out = np.empty(res.shape[0])
    for i in range(res.shape[0]):
        q = two_base * res[i] * (0.5 + emotion[i])
        out[i] = 1.0 if q > 1.0 else q
    return out


@FORWARDING.register("fixed")
class Fixed(ForwardingRule):
    """p = forward_p for every view (independent cascade)."""

    uses = frozenset({"forward_p"})

    def probability(
        self, params: ForwardingParams, res: np.ndarray, emotion: np.ndarray
    ) -> np.ndarray:
        """Forward probability per view, in [0, 1] (no draws)."""
        return np.full(len(res), params.forward_p)
