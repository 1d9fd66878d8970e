"""Opinion Ecology: the model (parameters, networks, content, strategies, the step, measures)."""

from model.engine import OpinionEcology
from model.params import Params
from model.strategies import STRATEGY_PRESETS, Strategy

__all__ = ["STRATEGY_PRESETS", "OpinionEcology", "Params", "Strategy"]
