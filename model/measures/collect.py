"""Collection: the step snapshot, the final measures and the Mesa DataCollector, all built from
the catalogue (:mod:`model.measures.catalogue`).

The model computes one :func:`snapshot` per step (arrays only, no agent iteration) and the
DataCollector's reporters read its entries, so each measure is computed once per step
(docs/ODD.md section 7.13).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np
from mesa import DataCollector

from model.measures import opinion as opinion_measures
from model.measures import population
from model.measures._world import World
from model.measures.catalogue import Measure, column, measures

#: The per-step measures: name -> ``function(model, by=None)``, in catalogue order. Each is
#: reported overall and per cohort.
STEP_MEASURES: dict[str, Callable[..., Any]] = {m.name: m.compute for m in measures(when="step")}
#: The step measures with their columns, in snapshot order (the catalogue is fixed at import).
_STEP: tuple[tuple[Measure, tuple[str, ...]], ...] = tuple(
    (m, m.columns) for m in measures(when="step")
)


def snapshot(model: World) -> dict[str, float]:
    """Every step measure overall (``name``) and per cohort (``name[cohort]``), as one flat dict.

    The population and opinion measures come from a few compiled passes over the users and
    ties (``population.step_columns``, ``opinion.step_columns``), not one pass per measure and
    cohort; a measure neither covers is computed by its own function. The measures declared
    ``opinion_only`` (sorts and passes over the ties) depend on the opinions alone, since
    cohorts and ties are fixed; while no opinion has changed since the last snapshot their
    values are reused, so a step in which nobody's opinion moves (a cascade preset, an idle
    population) costs one comparison of the opinion array, not the sorts.
    """
    cached = model.caches.opinion
    x = model.state.opinion
    reuse = cached is not None and np.array_equal(cached[0], x)
    fused = population.step_columns(model)
    if not reuse:
        fused.update(opinion_measures.step_columns(model))
    out = _fused_row(fused, cached[1] if reuse and cached is not None else None)
    if out is None:
        out = _general_row(model, fused, cached, reuse)
    if not reuse:
        model.caches.opinion = (x.copy(), {c: out[c] for c in _OPINION_COLUMNS})
    return out


#: The snapshot's columns in order, each measure's width, and the opinion-only columns (the
#: part of a snapshot that is reused while no opinion moves), fixed at import like ``_STEP``.
_COLUMNS: tuple[str, ...] = tuple(c for _, cols in _STEP for c in cols)
_WIDTHS: tuple[int, ...] = tuple(len(cols) for _, cols in _STEP)
_OPINION_COLUMNS: tuple[str, ...] = tuple(c for m, cols in _STEP if m.opinion_only for c in cols)
#: Whether every step measure is reported per cohort (the fused passes can cover them all).
_ALL_PER_COHORT = all(m.per_cohort for m, _ in _STEP)


def _fused_row(
    fused: dict[str, list[Any]], reused: dict[str, float] | None
) -> dict[str, float] | None:
    """The snapshot in one piece when the fused passes cover every measure (the default
    catalogue): one dict built from the values in column order, not one update per measure,
    which at a few thousand users was about 2% of a step. ``reused``: the opinion-only
    columns kept from the last snapshot, or None to take them from ``fused``. None when a
    measure is missing from ``fused`` (the caller then computes it by its own function)."""
    if not _ALL_PER_COHORT:
        return None
    try:
        if reused is None:
            rows = [fused[m.name] for m, _ in _STEP]
        else:
            rows = [
                [reused[c] for c in cols] if m.opinion_only else fused[m.name] for m, cols in _STEP
            ]
    except KeyError:
        return None
    if list(map(len, rows)) != list(_WIDTHS):
        bad = next(m.name for (m, _), r, k in zip(_STEP, rows, _WIDTHS, strict=True) if len(r) != k)
        raise ValueError(f"the fused pass gave the wrong number of columns for {bad!r}")
    return dict(zip(_COLUMNS, chain.from_iterable(rows), strict=True))


def _general_row(
    model: World,
    fused: dict[str, list[Any]],
    cached: tuple[np.ndarray, dict[str, float]] | None,
    reuse: bool,
) -> dict[str, float]:
    """The snapshot measure by measure: the fused values where a pass gave them, else each
    measure's own function."""
    out: dict[str, float] = {}
    opinion: dict[str, float] = cached[1] if reuse and cached is not None else {}
    for m, cols in _STEP:
        if m.opinion_only and reuse:
            for c in cols:
                out[c] = opinion[c]
            continue
        values = fused.get(m.name) if m.per_cohort else None
        if values is not None:
            out.update(zip(cols, values, strict=True))
        else:
            out.update(_values(model, m))
    return out


def _values(model: World, m: Measure) -> dict[str, float]:
    """One measure's columns: overall, and per cohort when it has cohorts."""
    if not m.per_cohort:
        return {m.name: m.compute(model)}
    if m.joint is not None:
        overall, by_gen = m.joint(model)
    else:
        overall, by_gen = m.compute(model), m.compute(model, by="generation")
    return {m.name: overall, **{column(m.name, gen): v for gen, v in by_gen.items()}}


def final_measures(model: World) -> dict[str, float]:
    """The snapshot plus the final measures (cascade summaries, reach speed, run totals): what
    an experiment keeps at the end of a run."""
    out = snapshot(model)
    for m in measures(when="final"):
        out[m.name] = m.compute(model)
    return out


class SnapshotCollector(DataCollector):
    """Mesa's DataCollector whose model reporters are the step snapshot's columns.

    Every column's reporter reads ``model.last_snapshot``, as Mesa calls it; :meth:`collect`
    appends those values directly. Mesa deep-copies each reporter's value to keep a mutable
    result from changing afterwards, but the snapshot holds plain floats and ints, which are
    immutable, so the copies (most of a collect at a few thousand users) buy nothing. Once a
    reporter is added or replaced, or agent reporters are set, Mesa collects as usual.
    """

    def __init__(self, columns: tuple[str, ...]) -> None:
        super().__init__(
            model_reporters={c: (lambda key: lambda m: m.last_snapshot[key])(c) for c in columns}
        )
        self._columns = columns
        self._own = dict(self.model_reporters)

    def collect(self, model: World) -> None:
        """Append this step's snapshot value of every column (Mesa's own collect, deep copies
        included, once any reporter was added or replaced)."""
        if self.model_reporters != self._own or self.agent_reporters or self.agenttype_reporters:
            super().collect(model)
            return
        snap = model.last_snapshot
        for c in self._columns:
            self.model_vars[c].append(snap[c])
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)


def build_datacollector(model: World) -> SnapshotCollector:
    """A Mesa DataCollector with every step measure overall and per cohort as model reporters.

    Each reporter reads its entry of ``model.last_snapshot``, the step's :func:`snapshot`.
    """
    return SnapshotCollector(tuple(c for _, cols in _STEP for c in cols))
