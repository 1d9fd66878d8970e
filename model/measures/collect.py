"""Collection: the step snapshot, the final measures and the Mesa DataCollector, all built from
the catalogue (:mod:`model.measures.catalogue`).

The model computes one :func:`snapshot` per step (arrays only, no agent iteration) and the
DataCollector's reporters read its entries, so each measure is computed once per step
(docs/ODD.md section 7.13).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from model.measures._world import World
from model.measures.catalogue import column, measures

#: The per-step measures: name -> ``function(model, by=None)``, in catalogue order. Each is
#: reported overall and per cohort.
STEP_MEASURES: dict[str, Callable[..., Any]] = {m.name: m.compute for m in measures(when="step")}


def snapshot(model: World) -> dict[str, float]:
    """Every step measure overall (``name``) and per cohort (``name[cohort]``), as one flat dict."""
    out: dict[str, float] = {}
    for m in measures(when="step"):
        if not m.per_cohort:
            out[m.name] = m.compute(model)
            continue
        if m.joint is not None:
            overall, by_gen = m.joint(model)
        else:
            overall, by_gen = m.compute(model), m.compute(model, by="generation")
        out[m.name] = overall
        for gen, v in by_gen.items():
            out[column(m.name, gen)] = v
    return out


def final_measures(model: World) -> dict[str, float]:
    """The snapshot plus the final measures (cascade summaries, reach speed, run totals): what
    an experiment keeps at the end of a run."""
    out = snapshot(model)
    for m in measures(when="final"):
        out[m.name] = m.compute(model)
    return out


def build_datacollector(model: World):
    """A Mesa DataCollector with every step measure overall and per cohort as model reporters.

    Each reporter reads its entry of ``model.last_snapshot``, the step's :func:`snapshot`.
    """
    import mesa

    reporters = {
        c: (lambda key: lambda m: m.last_snapshot[key])(c)
        for m in measures(when="step")
        for c in m.columns
    }
    return mesa.DataCollector(model_reporters=reporters)
