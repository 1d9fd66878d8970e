"""The Arrow schemas of the result tables and the ``runs/`` row of one run.

``runs/`` has fixed columns: ids, seed, status, error, seconds, ``factor.<key>`` per design
factor, ``param.<field>`` per ``model.Params`` field (``param.strategy.<switch>`` per strategy
switch), the final measures and the horizon check; every part of a table has the same schema,
which :func:`experiments.parts.check_parts` compares with.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa

from experiments.spec import ExperimentSpec, metric_names


def arrow_type(values: list[Any]) -> pa.DataType:
    """The Arrow type of a column holding ``values`` (bool, int64, float64, else string)."""
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return pa.bool_()
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return pa.int64()
    if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
        return pa.float64()
    return pa.string()


def _kind_type(kind: type) -> pa.DataType:
    return {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}.get(
        kind, pa.string()
    )


def param_fields() -> list[tuple[str, pa.DataType]]:
    """``param.<field>`` and ``param.strategy.<switch>`` columns with their Arrow types."""
    from model import Params, Strategy

    fields = []
    for name, meta in Params.spec().items():
        if name != "strategy":
            fields.append((f"param.{name}", _kind_type(meta["kind"])))
    for f in dataclasses.fields(Strategy):
        fields.append((f"param.strategy.{f.name}", _kind_type(type(f.default))))
    return fields


def param_defaults() -> dict[str, Any]:
    """Today's default of every ``param.*`` column: the ``Params`` field's (or rule parameter's)
    declared default, and a strategy switch's ``Strategy`` default.

    These fill the columns of a part written before a field existed (see
    :func:`experiments.parts.older_parts`): a field is added neutral at its default, so a run
    written before it existed ran as at that default.
    """
    from model import Params, Strategy

    out = {
        f"param.{name}": meta["default"]
        for name, meta in Params.spec().items()
        if name != "strategy"
    }
    for f in dataclasses.fields(Strategy):
        out[f"param.strategy.{f.name}"] = f.default
    return out


def factor_fields(spec: ExperimentSpec, points: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """``factor.<key>`` columns with the Arrow type of the key's values across the points."""
    return [(f"factor.{k}", arrow_type([p.get(k) for p in points])) for k in spec.design.keys]


def runs_schema(spec: ExperimentSpec, points: list[dict[str, Any]]) -> pa.Schema:
    """The schema of ``runs/``: fixed by the spec and its design points, identical in every part."""
    from experiments.design import settle_columns

    fields = [
        ("run_id", pa.string()),
        ("run_index", pa.int64()),
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("replicate", pa.int64()),
        ("seed", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("traceback", pa.string()),
        ("steps_run", pa.int64()),
        ("seconds", pa.float64()),
    ]
    fields += factor_fields(spec, points)
    fields += param_fields()
    fields += [(c, pa.float64()) for c in metric_names(spec.metrics)]
    settle = settle_columns(spec)
    fields += [(f"drift.{c}", pa.float64()) for c in settle]
    fields += [(f"settled.{c}", pa.bool_()) for c in settle]
    fields.append(("settled", pa.bool_()))
    return pa.schema(fields)


def series_schema(spec: ExperimentSpec) -> pa.Schema:
    """The schema of ``timeseries/``."""
    base = [
        ("run_id", pa.string()),
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("replicate", pa.int64()),
        ("step", pa.int64()),
    ]
    return pa.schema(base + [(c, pa.float64()) for c in metric_names(spec.metrics, step_only=True)])


CASCADE_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("replicate", pa.int64()),
        ("item", pa.int64()),
        ("size", pa.int64()),
    ]
)


# ---------------------------------------------------------------------------------- rows
def run_row(output: Any) -> dict[str, Any]:
    """The ``runs/`` row of a :class:`~experiments.run.RunOutput`."""
    from experiments.design import flat_params

    t = output.task
    row: dict[str, Any] = {
        "run_id": t.run_id,
        "run_index": t.index,
        "point_id": t.point_id,
        "arm": t.arm,
        "replicate": t.replicate,
        "seed": t.seed,
        "status": output.status,
        "error": output.error,
        "traceback": output.traceback,
        "steps_run": output.steps_run,
        "seconds": output.seconds,
    }
    for k, v in t.factors.items():
        row[f"factor.{k}"] = v
    row.update(flat_params(t.params))
    for c in t.columns:
        row[c] = output.final.get(c, np.nan)
    settled = []
    for c in t.settle_columns:
        drift = output.drift.get(c, np.nan)
        row[f"drift.{c}"] = drift
        row[f"settled.{c}"] = None if not np.isfinite(drift) else bool(drift <= t.settle_tolerance)
        settled.append(row[f"settled.{c}"])
    row["settled"] = None if not output.ok else all(bool(x) for x in settled)
    return row


def run_ids(t: Any) -> dict[str, Any]:
    """The id columns every table repeats: run_id, point_id, arm, replicate."""
    return {"run_id": t.run_id, "point_id": t.point_id, "arm": t.arm, "replicate": t.replicate}
