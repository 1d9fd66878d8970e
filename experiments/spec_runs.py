"""Every run of a spec built once: the design points (the sample drawn once) and each
(point, arm)'s ``model.Params``, validated as the spec is loaded and kept for the plan
(:func:`resolved_runs`, used by :func:`experiments.design.make_plan`)."""

from __future__ import annotations

import re
from typing import Any

from experiments import limits
from experiments.points import (
    SAMPLED_KINDS,
    plain_params,
    resolve_point,
    scenario_points,
    unit_sample,
)


def check_runs(ctx: Any, spec: Any) -> None:
    """Build every run's Params once, so cross-field errors surface before any run.

    The design's size is checked first (:mod:`experiments.limits`), before anything is built.
    """
    problem = limits.size_problem(spec.design, len(spec.arms), spec.replicates)
    if problem is not None:
        message, key = problem
        path = tuple(key.split("."))
        if key == "design":  # a crossed or listed design: the table that lists it
            table = next((k for k in ("uncertainties", "factors", "points") if k in spec.raw), key)
            path = (table,)
        raise ctx.error(path, message)
    points, unit = _design_points(spec.design)
    params: dict[tuple[int, str], dict[str, Any]] = {}
    bar = _progress(len(points) * len(spec.arms))
    for i, point in enumerate(points):
        if bar is not None:
            bar.update(len(spec.arms))
        for arm in spec.arms:
            try:
                params[(i, arm.name)] = plain_params(
                    resolve_point(spec.fixed, point, arm, spec.steps)
                )
            except (ValueError, TypeError) as e:
                where = _blame(spec, i, point, str(e))
                desc = ", ".join(f"{k}={v!r}" for k, v in point.items())
                raise ctx.error(
                    where, f"design point {i} ({desc or 'no factors'}), arm {arm.name!r}: {e}"
                ) from None

    if bar is not None:
        bar.close()
    # kept for the plan (experiments.plan.make_plan): validating built every run's Params
    object.__setattr__(spec, "_resolved", (points, unit, params))


#: (point, arm) pairs from which validating a spec shows its progress (about 0.6 ms a pair).
PROGRESS_FROM = 20_000


def _progress(total: int) -> Any:
    """A progress bar on stderr for a design whose validation takes a while, else None."""
    if total < PROGRESS_FROM:
        return None
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc="checking the parameters of every design point and arm", unit="run"
    )


def _design_points(design: Any) -> tuple[list[dict[str, Any]], Any]:
    """The design points and, for a sampled design, the unit sample they came from (drawn once)."""
    unit = unit_sample(design) if design.kind in SAMPLED_KINDS else None
    scenarios = scenario_points(design, unit)
    points = [{**lever, **s} for lever in (design.levers or ({},)) for s in scenarios]
    return points, unit


def resolved_runs(
    spec: Any,
) -> tuple[list[dict[str, Any]], Any, dict[tuple[int, str], dict[str, Any]]]:
    """(design points, unit sample or None, plain Params per (point, arm)) of a spec.

    :func:`parse_spec` builds them once to validate the spec and keeps them; a spec made
    otherwise (e.g. with ``dataclasses.replace``) has them built here.
    """
    cached = getattr(spec, "_resolved", None)
    if cached is not None:
        return cached
    points, unit = _design_points(spec.design)
    params = {
        (i, arm.name): plain_params(resolve_point(spec.fixed, point, arm, spec.steps))
        for i, point in enumerate(points)
        for arm in spec.arms
    }
    object.__setattr__(spec, "_resolved", (points, unit, params))
    return points, unit, params


def _blame(spec: Any, i: int, point: dict[str, Any], message: str) -> tuple:
    """The spec path most likely at fault for a cross-field error: a key the message names."""
    named = [k for k in point if re.search(rf"\b{re.escape(k)}\b", message)]
    if named:
        k = named[0]
        kind = spec.design.kind
        if k in spec.design.lever_keys:
            return ("levers", k)
        if "uncertainties" in spec.raw:
            return ("uncertainties", k)
        if kind == "factorial":
            return ("factors", k)
        if kind == "list":
            return ("points", i, k)
        return ("design", "ranges", k)
    fixed = [k for k in spec.fixed if re.search(rf"\b{re.escape(k)}\b", message)]
    if fixed:
        return ("fixed", fixed[0])
    return ("points", i) if spec.design.kind == "list" else ("fixed",)
