"""NDlib's algorithmic-bias runs for tests/validation/test_opinion_rules.py, in a module of its
own so that a worker process of the test's pool can import them by name."""

from __future__ import annotations

import importlib
import os
import sys
import types

import numpy as np


def algorithmic_bias_class() -> type:
    """NDlib's AlgorithmicBiasModel class (the ``peers`` extra; the caller checks for ndlib).

    ``ndlib.models.opinions`` imports every opinion model on import, and one of them (WHK)
    needs scikit-learn, which this model does not use; when that import fails the package is
    stood in for by an empty namespace with the same path, so only the one module loads. The
    stand-in stays in ``sys.modules``: this runs in a worker process of the test's own pool.
    """
    try:
        from ndlib.models.opinions import AlgorithmicBiasModel
    except ImportError:
        import ndlib.models

        stub = types.ModuleType("ndlib.models.opinions")
        stub.__path__ = [os.path.join(os.path.dirname(ndlib.models.__file__), "opinions")]
        sys.modules["ndlib.models.opinions"] = stub
        mod = importlib.import_module("ndlib.models.opinions.AlgorithmicBiasModel")
        AlgorithmicBiasModel = mod.AlgorithmicBiasModel
    return AlgorithmicBiasModel


def final_opinions(n: int, eps: float, gamma: float, cap: int, seed: int) -> np.ndarray:
    """NDlib's opinions on a complete graph of ``n`` once no pair inside the bound is left
    unequal (checked after each iteration), or after ``cap`` iterations."""
    import ndlib.models.ModelConfig as mc
    import networkx as nx

    nd = algorithmic_bias_class()(nx.complete_graph(n), seed=seed)
    cfg = mc.Configuration()
    cfg.add_model_parameter("epsilon", eps)
    cfg.add_model_parameter("gamma", gamma)
    nd.set_initial_status(cfg)
    for _ in range(cap):
        nd.iteration(node_status=False)
        x = np.array(list(nd.status.values()), dtype=np.float64)
        gaps = np.diff(np.sort(x))
        if gaps[gaps < eps].max(initial=0.0) < 5e-7:
            break
    return x


def engine_final_opinions(n: int, eps: float, gamma: float, cap: int, seed: int) -> tuple:
    """The engine's run of the same design: (stopped by itself before the cap, opinions on
    [0, 1])."""
    from model import OpinionEcology
    from model.presets import algorithmic_bias

    params = algorithmic_bias(eps, gamma, n).replace(steps=cap)
    m = OpinionEcology(params, seed=seed).run()
    return not m.running and m.steps < m.params.steps, (m.state.opinion + 1) / 2
