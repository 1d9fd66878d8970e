"""One plan per experiment: its design points, arms, seeds and the Params of every run.

The plan (:class:`experiments.design.Plan`) is computed once, from a validated spec
(:func:`~experiments.design.make_plan` reuses the points and
parameters the spec loader built to validate it), and stored in the output folder as
``plan.parquet``: one row per (design point, arm) with the point's lever setting and scenario,
its factor values, the unit-cube sample row it came from (sampled designs) and the resolved
``model.Params`` (``param.<field>``, ``param.<rule>.<parameter>``,
``param.strategy.<switch>``); the resolved spec and the
replicate seeds ride in the file's metadata. ``status``, ``report``, scenario discovery and the
Sobol/Morris analysis read this file (:func:`load_plan`); nothing re-samples the design or
re-validates the spec with today's code.

Every recorded run is checked against the plan (:func:`check_rows`): its run id, run index,
seed, replicate, design point, arm, factor values and parameters must be the plan's, so a part
copied from another experiment or edited by hand is refused instead of counted.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.design import ID_COLUMNS, Plan, flat_params, make_plan, nested_params
from experiments.errors import StoreError
from experiments.files import atomic_write
from experiments.points import sample_keys
from experiments.schemas import factor_fields, param_fields
from experiments.spec import Analysis, Arm, Design, ExperimentSpec
from experiments.spec_types import PosteriorDraws

__all__ = [
    "PLAN_FILE",
    "Plan",
    "PlanError",
    "check_recorded",
    "check_rows",
    "flat_params",
    "has_plan",
    "load_plan",
    "make_plan",
    "plan_difference",
    "plan_table",
    "spec_from_dict",
    "write_plan",
]

PLAN_FILE = "plan.parquet"
_META_KEY = b"opinion_ecology.plan"


class PlanError(StoreError):
    """Recorded results that do not belong to the stored plan, or a plan that cannot be read."""


def plan_table(plan: Plan) -> pa.Table:
    """The plan as stored: one row per (point, arm), with the spec and seeds as metadata."""

    keys = list(plan.spec.design.keys)
    ukeys = sample_keys(plan.spec.design) if plan.unit is not None else []
    fields = [
        ("point_id", pa.int64()),
        ("arm", pa.string()),
        ("lever", pa.int64()),
        ("scenario", pa.int64()),
        *factor_fields(plan.spec, plan.points),
        *[(f"unit.{k}", pa.float64()) for k in ukeys],
        *param_fields(),
    ]
    rows = []
    for i, point in enumerate(plan.points):
        lever, scen = plan.index[i]
        for arm in plan.spec.arm_names:
            row: dict[str, Any] = {"point_id": i, "arm": arm, "lever": lever, "scenario": scen}
            row.update({f"factor.{k}": point.get(k) for k in keys})
            if plan.unit is not None:
                row.update(
                    {f"unit.{k}": float(u) for k, u in zip(ukeys, plan.unit[scen], strict=True)}
                )
            row.update(flat_params(plan.params[(i, arm)]))
            rows.append(row)
    meta = {
        "spec": plan.spec.to_dict(),
        "raw_spec": plan.spec.raw,
        "seeds": plan.seeds,
        "n_points": len(plan.points),
    }
    schema = pa.schema(fields, metadata={_META_KEY: json.dumps(meta).encode()})
    return pa.Table.from_pylist(rows, schema=schema)


# ---------------------------------------------------------------------------------- stored plan
def write_plan(out: str | Path, plan: Plan) -> Path:
    """Write ``OUT/plan.parquet`` atomically (whole or absent)."""
    table = plan_table(plan)
    return atomic_write(Path(out) / PLAN_FILE, lambda tmp: pq.write_table(table, tmp))


def has_plan(out: str | Path) -> bool:
    """Whether ``out`` holds a stored plan."""
    return (Path(out) / PLAN_FILE).is_file()


def load_plan(out: str | Path) -> Plan:
    """The plan stored in ``out``, as it was when the runs were planned (nothing re-sampled).

    Raises:
        PlanError: ``plan.parquet`` is missing or unreadable.
    """
    path = Path(out) / PLAN_FILE
    try:
        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[_META_KEY])
    except (OSError, pa.ArrowException, KeyError, TypeError, ValueError) as e:
        raise PlanError(
            f"{path} cannot be read ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
            "the stored plan is what the results are checked against: restore it, or run again "
            "with --overwrite or another --out"
        ) from None
    spec = spec_from_dict(meta["spec"], meta.get("raw_spec") or {})
    df = table.to_pandas()
    n = int(meta["n_points"])
    first = df.drop_duplicates("point_id").set_index("point_id").sort_index()
    keys = list(spec.design.keys)
    points = [
        {
            k: _plain(first.at[i, f"factor.{k}"])
            for k in keys
            if _present(first.at[i, f"factor.{k}"])
        }
        for i in range(n)
    ]
    index = [(int(first.at[i, "lever"]), int(first.at[i, "scenario"])) for i in range(n)]
    unit = None
    ucols = [c for c in df.columns if c.startswith("unit.")]
    if ucols:
        scen = first.drop_duplicates("scenario").set_index("scenario").sort_index()
        unit = scen[ucols].to_numpy(float)
    pcols = [c for c in df.columns if c.startswith("param.")]
    from model import Params

    params = {}
    addresses = Params.spec()
    for rec in df[["point_id", "arm", *pcols]].to_dict("records"):
        values = {c: _plain(rec[c]) for c in pcols}
        params[(int(rec["point_id"]), rec["arm"])] = nested_params(values, addresses=addresses)
    return Plan(spec, points, index, unit, params, [int(s) for s in meta["seeds"]])


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v))


def _plain(v: Any) -> Any:
    """numpy scalars as Python values (what the spec and the workers hold)."""
    if isinstance(v, float) and np.isnan(v):
        return None
    return v.item() if hasattr(v, "item") else v


def spec_from_dict(d: dict[str, Any], raw: dict[str, Any] | None = None) -> ExperimentSpec:
    """An :class:`ExperimentSpec` rebuilt from :meth:`ExperimentSpec.to_dict`, as it was stored.

    No validation: the spec was validated when the runs were planned, and today's code may
    validate differently; the stored values are what the runs used.
    """
    d = dict(d)
    design = dict(d.pop("design"))
    design = Design(
        kind=design["kind"],
        factors={k: tuple(v) for k, v in design["factors"].items()},
        points=tuple(dict(p) for p in design["points"]),
        ranges={k: tuple(v) for k, v in design["ranges"].items()},
        n=design["n"],
        seed=design["seed"],
        choices={k: tuple(v) for k, v in design["choices"].items()},
        levels=design["levels"],
        levers=tuple(dict(p) for p in design["levers"]),
        posterior=PosteriorDraws.from_dict(design["posterior"])
        if design.get("posterior")
        else None,
    )
    arms = tuple(Arm(**a) for a in d.pop("arms"))
    a = dict(d.pop("analysis"))
    for k in ("bootstrap", "headline", "lower_is_better"):
        a[k] = tuple(a[k])
    analysis = Analysis(**a)
    for k in ("metrics", "agent_metrics"):
        d[k] = tuple(d[k])
    names = {f.name for f in dataclasses.fields(ExperimentSpec)}
    kept = {k: v for k, v in d.items() if k in names}
    return ExperimentSpec(arms=arms, analysis=analysis, design=design, raw=raw or {}, **kept)


# ---------------------------------------------------------------------------------- checks
def plan_difference(stored: Plan, new: Plan) -> list[str]:
    """What differs between two plans, as short phrases; empty when they plan the same runs."""
    out = []
    if stored.seeds != new.seeds:
        out.append(f"replicate seeds ({len(stored.seeds)} stored, {len(new.seeds)} now)")
    if len(stored.points) != len(new.points):
        out.append(f"design points ({len(stored.points)} stored, {len(new.points)} now)")
    if stored.spec.arm_names != new.spec.arm_names:
        out.append(
            f"arms ({', '.join(stored.spec.arm_names)} stored, {', '.join(new.spec.arm_names)} now)"
        )
    if out:
        return out
    for i, (p, q) in enumerate(zip(stored.points, new.points, strict=True)):
        if p != q:  # by value: 6 and 6.0 are one level
            return [f"design point {i} ({p} stored, {q} now)"]
    for key, p in stored.params.items():
        q = new.params[key]
        fp, fq = flat_params(p), flat_params(q)
        for c in sorted(set(fp) | set(fq)):
            # a column one side lacks is a difference, not a None: a plan stored before a
            # parameter existed (or was stored) cannot vouch for its value
            a, b = fp.get(c, _ABSENT), fq.get(c, _ABSENT)
            if a is _ABSENT or b is _ABSENT or a != b:
                return [
                    f"{c} of point {key[0]}, arm {key[1]} ({a!r} stored, {b!r} "
                    "now: the spec or the model's defaults changed)"
                ]
    return []


class _Absent:
    """A column a plan does not have (shown as ``absent`` in a difference)."""

    def __repr__(self) -> str:
        return "absent"


_ABSENT = _Absent()


def check_recorded(plan: Plan, out: str | Path) -> None:
    """:func:`check_rows` on every attempt recorded in ``OUT/runs/``, one part at a time (so
    the memory it takes is one part's, whatever the experiment's size), on parts of any
    version: the ``param.*`` columns an older part lacks are checked at today's defaults, as
    :func:`experiments.parts.read_table` fills them.

    Raises:
        PlanError: Naming the part, the run and the first column that differs.
    """
    # parts imports nothing of this module, so the import runs one way (no circle)
    from experiments.parts import fill_plan, part_seq, parts, read_part
    from experiments.schemas import param_defaults

    files = parts(out, "runs")
    if not files:
        return
    plan = fill_plan(plan)
    expected = plan.expected_runs().set_index("run_id")
    table = plan_table(plan).to_pandas().set_index(["point_id", "arm"])
    wanted = [*ID_COLUMNS, *(c for c in table.columns if c.startswith(("factor.", "param.")))]
    defaults = param_defaults()
    for f in files:
        names = set(pq.read_schema(f).names)
        cols = [c for c in wanted if c in names or c in defaults]  # check_rows names the rest
        df = read_part(out, f, cols, False, defaults, set())
        assert df is not None  # skip_corrupt is False: an unreadable part raised
        df["_part"] = part_seq(f)
        check_rows(plan, df, str(out), expected=expected, table=table)


def check_rows(
    plan: Plan,
    runs: pd.DataFrame,
    where: str,
    *,
    expected: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
) -> None:
    """Refuse rows of the runs table that are not runs of ``plan``.

    Args:
        plan: The stored plan.
        runs: Rows of ``runs/`` (every attempt), with a ``_part`` column naming their part file.
        where: The output folder, for the message.
        expected: ``plan.expected_runs()`` indexed by run_id, if already built.
        table: :func:`plan_table` as a frame indexed by (point_id, arm), if already built.

    Raises:
        PlanError: Naming the part, the run and the first column that differs.
    """
    if runs.empty:
        return
    if expected is None:
        expected = plan.expected_runs().set_index("run_id")
    # the index's hash table is built once for every part; isin rebuilt it per call (45 s
    # of 462 parts of a 10,240-run folder)
    known = (
        expected.index.get_indexer(runs["run_id"]) >= 0
        if expected.index.is_unique
        else runs["run_id"].isin(expected.index).to_numpy(bool)
    )
    unknown = runs[~known]
    if len(unknown):
        r = unknown.iloc[0]
        raise _rows_error(where, r, len(unknown), f"run id {r['run_id']!r} is not in the plan")
    exp = expected.loc[runs["run_id"]].reset_index()
    got = runs.reset_index(drop=True)
    for c in ID_COLUMNS[1:]:
        bad = got[c].to_numpy() != exp[c].to_numpy()
        if bad.any():
            r = got[bad].iloc[0]
            e = exp[bad].iloc[0]
            msg = f"{r['run_id']} has {c} {_plain(r[c])!r}, the plan {_plain(e[c])!r}"
            raise _rows_error(where, r, int(bad.sum()), msg)
    if table is None:
        table = plan_table(plan).to_pandas().set_index(["point_id", "arm"])
    cols = [c for c in table.columns if c.startswith(("factor.", "param.")) and c in got]
    missing = [c for c in table.columns if c.startswith(("factor.", "param.")) and c not in got]
    if missing:
        r = got.iloc[0]
        raise _rows_error(where, r, len(got), f"column {missing[0]} of the plan is missing")
    ref = table.loc[list(zip(got["point_id"], got["arm"], strict=True)), cols].reset_index(
        drop=True
    )
    for c in _differing_columns(got, ref, cols):
        a, b = got[c], ref[c]
        same = (a == b).to_numpy(bool) | (a.isna() & b.isna()).to_numpy(bool)
        if not same.all():
            r = got[~same].iloc[0]
            e = ref[~same].iloc[0]
            msg = f"{r['run_id']} has {c} = {_plain(r[c])!r}, the plan {_plain(e[c])!r}"
            raise _rows_error(where, r, int((~same).sum()), msg)


def _differing_columns(got: pd.DataFrame, ref: pd.DataFrame, cols: list[str]) -> list[str]:
    """The columns of ``cols`` (in their order) that :func:`check_rows` must compare one by
    one: those whose values may differ between ``got`` and ``ref``.

    The columns where both frames hold numpy numbers or booleans, or both hold pandas strings,
    are compared at once, a block per pair of dtypes (``a == b``, or both missing: what the one-
    by-one test computes for such columns), and left out when every row agrees; any other
    column (objects, pandas' other dtypes) is kept. A 10,240-run folder has 462 parts of about
    200 columns to check: one by one, the pandas calls took 50 of check_recorded's 57 s of CPU
    (21 s now)."""
    groups: dict[tuple[Any, Any], list[str]] = {}
    keep = set()
    got_types, ref_types = got.dtypes.to_dict(), ref.dtypes.to_dict()
    for c in cols:
        da, db = got_types[c], ref_types[c]
        if _block_kind(da) and _block_kind(db) == _block_kind(da):
            groups.setdefault((da, db), []).append(c)
        else:
            keep.add(c)
    for (da, db), names in groups.items():
        if _block_kind(da) == "number":
            a, b = got[names].to_numpy(), ref[names].to_numpy()
            same = a == b
            if da.kind == "f" and db.kind == "f":
                same |= np.isnan(a) & np.isnan(b)
        else:
            a, b = got[names].to_numpy(dtype=object), ref[names].to_numpy(dtype=object)
            same = (a == b) | (pd.isna(a) & pd.isna(b))
        keep.update(np.asarray(names)[~same.all(axis=0)].tolist())
    return [c for c in cols if c in keep]


def _block_kind(dtype: Any) -> str | None:
    """``number`` for numpy's numbers and booleans, ``string`` for pandas' strings whose
    missing value is NaN (what a part's text columns read as), else None."""
    if isinstance(dtype, np.dtype):
        return "number" if dtype.kind in "biuf" else None
    if isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan:
        return "string"
    return None


def _rows_error(where: str, row: pd.Series, n: int, what: str) -> PlanError:
    part = f"runs/part-{int(row['_part']):06d}.parquet" if "_part" in row else "runs/"
    return PlanError(
        f"{where}: {part} holds {n} row(s) that are not runs of the stored plan ({what}); it was "
        "copied from another experiment or edited. Move that part out of the folder, or start "
        "again with --overwrite or another --out"
    )
