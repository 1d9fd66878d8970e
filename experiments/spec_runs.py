"""Every run of a spec built once: the design points (the sample drawn once) and each
(point, arm)'s ``model.Params``, validated as the spec is loaded and kept for the plan
(:func:`resolved_runs`, used by :func:`experiments.design.make_plan`).

A rule parameter set where its rule is not the chosen one (``feed_ranking.ranking_bias`` at a
point whose ``feed_ranking`` is "chronological") has no effect there; ``model.Params`` warns
(:class:`model.params.UnusedParameterWarning`) at every such run whose value is not the
default. The check silences those (``warnings.catch_warnings``) and reports each spec key once
(:class:`UnusedKeyWarning`), with its line and the number of design points where it does
nothing, counted from the rule chosen at each point (a value equal to the default counts too).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from experiments import limits
from experiments.locate import locate
from experiments.points import (
    SAMPLED_KINDS,
    plain_params,
    resolve_point,
    scenario_points,
    unit_sample,
)


class UnusedKeyWarning(UserWarning):
    """A spec key that sets a rule parameter at design points where the rule is not chosen."""


def _quiet_unused(build: Callable[[], Any]) -> Any:
    """``build()`` without showing the :class:`model.params.UnusedParameterWarning` it raises (one
    per run: :func:`_warn_unused` reports each key once instead); other warnings pass on."""
    from model.params import UnusedParameterWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnusedParameterWarning)
        result = build()
    for w in caught:
        if not issubclass(w.category, UnusedParameterWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return result


def _rule_keys(spec: Any) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Spec keys (``fixed`` and design keys) that set a rule parameter: key -> (the rule field,
    the rules that use the parameter), from ``Params.spec()``."""
    from model import Params
    from model.params import ALIASES

    addresses = Params.spec()
    out = {}
    for key in (*spec.fixed, *spec.design.keys):
        meta = addresses.get(ALIASES.get(key, key))
        if meta is not None and meta.get("rules"):
            out[key] = (ALIASES.get(key, key).split(".", 1)[0], tuple(meta["rules"]))
    return out


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
    rule_keys = _rule_keys(spec)
    unused: dict[str, int] = dict.fromkeys(rule_keys, 0)  # key -> points where it does nothing
    bar = _progress(len(points) * len(spec.arms))
    for i, point in enumerate(points):
        if bar is not None:
            bar.update(len(spec.arms))
        for arm in spec.arms:
            try:
                params[(i, arm.name)] = plain_params(
                    _quiet_unused(
                        lambda point=point, arm=arm: resolve_point(
                            spec.fixed, point, arm, spec.steps
                        )
                    )
                )
            except (ValueError, TypeError) as e:
                where = _blame(spec, i, point, str(e))
                desc = ", ".join(f"{k}={v!r}" for k, v in point.items())
                raise ctx.error(
                    where, f"design point {i} ({desc or 'no factors'}), arm {arm.name!r}: {e}"
                ) from None

        # the arms differ only in their strategy, so a point's rules are the first arm's
        chosen = params[(i, spec.arms[0].name)]
        for key, (rule, users) in rule_keys.items():
            if (key in point or key in spec.fixed) and chosen[rule] not in users:
                unused[key] += 1
    if bar is not None:
        bar.close()
    _warn_unused(ctx, spec, unused, rule_keys, len(points))
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
    # the spec check (check_runs) reported unused rule parameters once per key when the spec
    # was loaded; building the same runs again should not repeat them once per run
    params = {
        (i, arm.name): plain_params(
            _quiet_unused(
                lambda point=point, arm=arm: resolve_point(spec.fixed, point, arm, spec.steps)
            )
        )
        for i, point in enumerate(points)
        for arm in spec.arms
    }
    object.__setattr__(spec, "_resolved", (points, unit, params))
    return points, unit, params


def _warn_unused(
    ctx: Any,
    spec: Any,
    unused: dict[str, int],
    rule_keys: dict[str, tuple[str, tuple[str, ...]]],
    n_points: int,
) -> None:
    """One :class:`UnusedKeyWarning` per spec key that sets a rule parameter at design points
    whose rule does not use it, at the key's line: how many points, and which rule uses it."""
    from model.params import ALIASES

    for key, n in unused.items():
        if not n:
            continue
        rule, users = rule_keys[key]
        path = _key_path(spec, key) if key in spec.design.keys else ("fixed", key)
        line = locate(ctx.text, path) if ctx.text else None
        address = ALIASES.get(key, key)
        named = key if key == address else f"{key} ({address})"
        message = (
            f"{named} has no effect in {n} of {n_points} design points: it is a parameter of "
            f"the {rule} rule {' or '.join(map(repr, users))}"
        )
        warnings.warn_explicit(message, UnusedKeyWarning, ctx.source or "<spec>", line or 0)


def _key_path(spec: Any, k: str) -> tuple:
    """Where a design key is written in the spec."""
    if k in spec.design.lever_keys:
        return ("levers", k)
    if "uncertainties" in spec.raw:
        return ("uncertainties", k)
    if spec.design.kind == "factorial":
        return ("factors", k)
    if spec.design.kind == "list":
        return ("points",)
    return ("design", "ranges", k)


def _blame(spec: Any, i: int, point: dict[str, Any], message: str) -> tuple:
    """The spec path most likely at fault for a cross-field error: a key the message names."""
    named = [k for k in point if re.search(rf"\b{re.escape(k)}\b", message)]
    if named:
        path = _key_path(spec, named[0])
        return ("points", i, named[0]) if path == ("points",) else path
    fixed = [k for k in spec.fixed if re.search(rf"\b{re.escape(k)}\b", message)]
    if fixed:
        return ("fixed", fixed[0])
    return ("points", i) if spec.design.kind == "list" else ("fixed",)


def check_branches(ctx: Any, spec: Any) -> None:
    """With a burn-in, refuse arms that differ from the baseline arm in a field a branch may not
    change (:func:`model.snapshot.branch_fixed`: what shaped the population, networks, outlets
    or rules), at any design point; the message names the arm, the fields and the point."""
    import importlib

    from model.snapshot import branch_fixed

    module, _, name = spec.model.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return  # the runner's model check names this error before any run
    if not callable(getattr(cls, "branch", None)) or not callable(getattr(cls, "load", None)):
        raise ctx.error(
            ("burn_in",),
            f"burn_in needs a model that can be saved and branched; {spec.model} has no "
            "load and branch methods",
            "0, or a model such as 'model:OpinionEcology'",
        )
    fixed = branch_fixed(cls)
    points, _, params = resolved_runs(spec)
    base = spec.analysis.baseline
    for i in range(len(points)):
        ref = _fields(params[(i, base)])
        for arm in spec.arms:
            got = _fields(params[(i, arm.name)])
            differ = {k.split(".", 1)[0] for k in set(ref) | set(got) if ref.get(k) != got.get(k)}
            bad = sorted(differ & fixed)
            if bad:
                raise ctx.error(
                    ("burn_in",),
                    f"arm {arm.name!r} differs from the baseline arm {base!r} in "
                    f"{', '.join(bad)} (design point {i}); every arm branches from the "
                    "baseline's burn-in, and these fields shaped what it built",
                    "arms that differ in the strategy and the focal outlet's own fields, or "
                    "burn_in = 0",
                )


def _fields(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Plain Params keywords flattened: a nested table's entries as ``table.key``."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, dict):
            out.update(_fields(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
