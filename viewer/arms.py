"""The models the viewer steps: one :class:`model.OpinionEcology`, or two in lockstep.

:class:`StrategyComparison` runs two models with the same seed and population that differ only
in strategy (common random numbers). ``OpinionEcology`` itself accepts the ``scenario=`` keyword
that Mesa 3.5's Reset adds, so a single model needs no subclass. :func:`build_model` turns the
keyword arguments the page keeps for Reset into either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa

from model import OpinionEcology, Params
from model.engine import resolve_params, resolve_seed

#: The default pair of strategies in comparison mode.
DEFAULT_COMPARISON = ("one_way", "interactive")


class StrategyComparison(mesa.Model):
    """Two models with the same seed and population that differ only in strategy, in lockstep.

    Both arms get the same root seed, so they share the population, the networks and every draw
    the strategy does not touch (common random numbers): what differs grows from the strategy.

    Args:
        params: The shared parameters (their ``strategy`` is replaced in each arm).
        seed: The root seed of both arms.
        rng: Same as ``seed``.
        strategies: The two strategies (preset names or :class:`model.Strategy`).
        scenario: Ignored (Mesa's Reset passes one).
        **overrides: Override fields of ``params``.
    """

    def __init__(
        self,
        params: Params | dict | None = None,
        *,
        seed: Any = None,
        rng: Any = None,
        strategies: tuple[Any, Any] = DEFAULT_COMPARISON,
        scenario: Any = None,
        **overrides: Any,
    ) -> None:
        base = resolve_params(params, overrides)
        root = resolve_seed(seed, rng)
        if len(strategies) != 2:
            raise ValueError(f"strategies must name two strategies, got {strategies!r}")
        arms = [OpinionEcology(base.replace(strategy=s), seed=root) for s in strategies]
        super().__init__(rng=root)
        self.params = base
        self.seed = root
        self.strategies = tuple(strategies)
        self.arms = {f"{k}: {arm.strategy.label()}": arm for k, arm in zip("AB", arms, strict=True)}

    def step(self) -> None:
        """One step of each arm."""
        for arm in self.arms.values():
            if arm.running:
                arm.step()
        self.running = any(arm.running for arm in self.arms.values())


def arms_of(model: mesa.Model) -> dict[str, OpinionEcology]:
    """The models a view draws: the two arms of a comparison, or the one model by its strategy."""
    if isinstance(model, StrategyComparison):
        return model.arms
    return {model.strategy.label(): model}


def build_kwargs(model: mesa.Model) -> dict[str, Any]:
    """The keyword arguments that rebuild ``model`` (what Reset would pass)."""
    kw: dict[str, Any] = {"params": model.params, "seed": model.seed}
    if isinstance(model, StrategyComparison):
        kw["strategies"] = model.strategies
    return kw


def build_model(kwargs: Mapping[str, Any]) -> mesa.Model:
    """A comparison when ``kwargs`` has ``strategies``, else one model."""
    cls = StrategyComparison if "strategies" in kwargs else OpinionEcology
    return cls(**kwargs)
