"""The keys a spec may vary, checked through :mod:`model.schema`, and the design points they span.

Keys of ``fixed``, ``factors``, ``points`` and ``design.ranges`` are :class:`model.Params` field
names, ``strategy.<switch>`` for a :class:`model.Strategy` switch, and the derived factor
``mix.young_share``. All three are one :class:`model.schema.Schema` (:data:`KEYS`) built from
the model's own declarations, so a range or a choice is written once, in the model.

Both :mod:`experiments.spec` (which builds every run once to validate a spec) and
:mod:`experiments.design` (which turns a spec into run tasks) need the design points, so they
live here and neither of those two modules imports the other's internals in a circle.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
from scipy.stats import qmc

from model import Params, Strategy, schema
from model.schema import Field, Interval, Schema

STRATEGY_PREFIX = "strategy."
YOUNG_SHARE = "mix.young_share"
DERIVED_FACTORS = (YOUNG_SHARE,)
#: Params fields a spec sets elsewhere, with where.
RESERVED = {
    "strategy": "the strategy is set per arm: use [arms] (or strategy.<switch> keys)",
    "steps": "the run length is the top-level 'steps'",
}
#: The Strategy switches (every field but the label).
SWITCHES = tuple(n for n in schema.schema_of(Strategy).fields if n != "name")

_MIX = ("mix_post00", "mix_post90", "mix_post80", "mix_pre80")

#: Every key a spec may vary, with its constraint.
KEYS = Schema(
    "model.Params",
    {
        **{n: f for n, f in schema.schema_of(Params).fields.items() if n not in RESERVED},
        **{STRATEGY_PREFIX + n: schema.schema_of(Strategy).fields[n] for n in SWITCHES},
        YOUNG_SHARE: Field(
            0.45,
            Interval(float, 0.0, 1.0),
            group="population",
            doc="Share of post-00s + post-90s users; each group keeps its default internal "
            "proportions.",
        ),
    },
    renamed=schema.schema_of(Params).renamed,
)


def key_kind(key: str) -> str:
    """``param``, ``switch`` or ``derived`` for a valid key; raises KeyError otherwise."""
    if key not in KEYS.fields:
        raise KeyError(key)
    if key.startswith(STRATEGY_PREFIX):
        return "switch"
    return "derived" if key in DERIVED_FACTORS else "param"


def valid_keys() -> list[str]:
    """Every key accepted in ``fixed``, ``factors``, ``points`` and ``design.ranges``."""
    return list(KEYS.fields)


def allowed_text(key: str) -> str:
    """What a key accepts, for error messages (``a number in [0, 1]``)."""
    return schema.describe(KEYS, key)


def numeric_bounds(key: str) -> tuple[float, float, bool] | None:
    """(low, high, integer?) for a numeric key, None for booleans and choices."""
    c = KEYS.fields[key].constraint
    if not isinstance(c, Interval) or KEYS.fields[key].coerce is not None:
        return None
    return float(c.low), float(c.high), c.type is int  # type: ignore[arg-type]


def check_key_value(key: str, value: Any) -> Any:
    """Validate one value for ``key`` and return it coerced (raises ValueError or TypeError)."""
    return schema.validate(KEYS, key, value)


def resolve_point(fixed: dict[str, Any], point: dict[str, Any], arm: Any, steps: int) -> Params:
    """The :class:`model.Params` of one run: fixed values, the design point and the arm's strategy.

    Args:
        fixed: Fixed keys (validated).
        point: The design point's keys (validated); they override ``fixed``.
        arm: The arm (``experiments.spec.Arm``); its strategy takes ``strategy.<switch>`` keys
            if it sweeps.
        steps: The run length.

    Returns:
        The validated parameters.
    """
    values = {**fixed, **point}
    kwargs: dict[str, Any] = {}
    switches: dict[str, Any] = {}
    for key, value in values.items():
        kind = key_kind(key)
        if kind == "param":
            kwargs[key] = value
        elif kind == "switch":
            switches[key[len(STRATEGY_PREFIX) :]] = value
    if YOUNG_SHARE in values:
        kwargs.update(young_share_mix(values[YOUNG_SHARE], kwargs))
    return Params(**kwargs, steps=steps, strategy=arm.strategy(switches))


def plain_params(params: Params) -> dict[str, Any]:
    """Params as keywords with the strategy as a dict of switches (picklable, JSON-able).

    Each rule is its name and each rule parameter its own dotted keyword
    (``"opinion.contacts"``; :meth:`model.Params.to_dict`), so the plan and the runs table store
    every ``param.<rule>.<parameter>`` value, and ``Params(**plain)`` (with the strategy built
    from its switches) gives ``params`` back.
    """
    d = params.to_dict()
    d["strategy"] = dataclasses.asdict(params.strategy)
    return d


def young_share_mix(young: float, kwargs: dict[str, Any]) -> dict[str, float]:
    """Cohort weights giving post-00s + post-90s the share ``young``.

    Each group keeps its internal proportions from ``kwargs`` or the Params defaults.
    """
    defaults = schema.schema_of(Params).fields
    w = {k: float(kwargs.get(k, defaults[k].default)) for k in _MIX}
    y, o = w["mix_post00"] + w["mix_post90"], w["mix_post80"] + w["mix_pre80"]
    if y <= 0 or o <= 0:
        raise ValueError(f"{YOUNG_SHARE} needs positive young and old cohort weights, got {w}")
    return {
        "mix_post00": young * w["mix_post00"] / y,
        "mix_post90": young * w["mix_post90"] / y,
        "mix_post80": (1 - young) * w["mix_post80"] / o,
        "mix_pre80": (1 - young) * w["mix_pre80"] / o,
    }


#: Design kinds that sample ranges (and choices) of the uncertainties.
SAMPLED_KINDS = ("lhs", "sobol", "saltelli", "morris")


def design_points(design: Any) -> list[dict[str, Any]]:
    """The design points, each a dict of factor key -> value (one empty dict without factors).

    With levers (``Design.levers``), every lever setting is crossed with the same scenario
    sample, lever-major: point ``i`` is lever setting ``i // n_scenarios`` at scenario
    ``i % n_scenarios`` (:func:`point_index`).

    Args:
        design: An ``experiments.spec.Design``, or a spec (its ``design`` is used).
    """
    d = getattr(design, "design", design)
    scenarios = scenario_points(d)
    levers = tuple(getattr(d, "levers", ())) or ({},)
    return [{**lever, **s} for lever in levers for s in scenarios]


def point_index(design: Any) -> list[tuple[int, int]]:
    """(lever setting, scenario) of every design point, in point order."""
    d = getattr(design, "design", design)
    n_scen = len(scenario_points(d))
    return point_index_of(d, n_scen * max(1, len(getattr(d, "levers", ()))))


def point_index_of(design: Any, n_points: int) -> list[tuple[int, int]]:
    """(lever setting, scenario) of each of ``n_points`` design points (lever-major), counted
    without building the scenarios."""
    d = getattr(design, "design", design)
    n_lev = max(1, len(getattr(d, "levers", ())))
    n_scen = n_points // n_lev
    return [(i, j) for i in range(n_lev) for j in range(n_scen)]


def sample_keys(design: Any) -> list[str]:
    """The sampled keys of a sampled design: numeric ranges, then choices."""
    d = getattr(design, "design", design)
    return [*d.ranges, *getattr(d, "choices", {})]


def unit_sample(design: Any) -> np.ndarray:
    """The scenario sample on the unit cube, one column per :func:`sample_keys` entry.

    ``lhs`` and ``sobol`` use ``scipy.stats.qmc``; ``saltelli`` uses SALib's Saltelli/Sobol
    sampler (``SALib.sample.sobol``, first and total order: ``n * (D + 2)`` rows) and ``morris``
    SALib's Morris trajectories (``n * (D + 1)`` rows on ``levels`` grid levels). Both SALib
    samples are read back in this order by :mod:`experiments.sensitivity`.

    With a posterior (``Design.posterior``), the sample is repeated once per draw (draw-major),
    so that row ``j`` is the unit row of scenario ``j`` (:func:`scenario_points`).
    """
    d = getattr(design, "design", design)
    unit = _unit_sample(d)
    posterior = getattr(d, "posterior", None)
    if posterior is not None:
        unit = np.tile(unit, (len(posterior.draws), 1))
    return unit


def _unit_sample(d: Any) -> np.ndarray:
    """:func:`unit_sample` of the design's own uncertainties (once, without the draws)."""
    keys = sample_keys(d)
    if d.kind in ("saltelli", "morris"):
        problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
        try:
            if d.kind == "saltelli":
                from SALib.sample import sobol as salib_sobol

                return salib_sobol.sample(problem, d.n, calc_second_order=False, seed=d.seed)
            from SALib.sample import morris as salib_morris

            return salib_morris.sample(problem, d.n, num_levels=d.levels, seed=d.seed)
        except ImportError as e:  # pragma: no cover - SALib is in the analysis extra
            raise ImportError(
                f"design kind {d.kind!r} needs SALib: pip install 'opinion-ecology[analysis]'"
            ) from e
    rng = np.random.default_rng(d.seed)
    if d.kind == "lhs":
        return qmc.LatinHypercube(d=len(keys), rng=rng).random(d.n)
    return qmc.Sobol(d=len(keys), scramble=True, rng=rng).random_base2(int(np.log2(d.n)))


def scenario_points(d: Any, unit: np.ndarray | None = None) -> list[dict[str, Any]]:
    """The scenarios (uncertainty points) of a design, without its levers.

    With a posterior, every draw is crossed with the design's own scenarios, draw-major:
    scenario ``j`` is draw ``j // n`` with the design's scenario ``j % n`` (``n`` of them).

    Args:
        d: The design.
        unit: Its :func:`unit_sample`, if already drawn (sampled kinds only).
    """
    own = _own_scenarios(d, unit)
    posterior = getattr(d, "posterior", None)
    if posterior is None:
        return own
    draws = posterior.draws
    n = len(own) // len(draws) if d.kind in SAMPLED_KINDS else len(own)
    if d.kind in SAMPLED_KINDS:  # the unit sample already repeats per draw
        return [{**draws[j // n], **s} for j, s in enumerate(own)]
    return [{**draw, **s} for draw in draws for s in own]


def _own_scenarios(d: Any, unit: np.ndarray | None) -> list[dict[str, Any]]:
    """The scenarios of the design's own uncertainties (for a sampled design with a posterior:
    one per row of ``unit``, which repeats the sample per draw)."""
    if d.kind == "factorial":
        keys = list(d.factors)
        return [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*d.factors.values())
        ]
    if d.kind == "list":
        return [dict(p) for p in d.points]
    keys = list(d.ranges)
    choices = dict(getattr(d, "choices", {}))
    unit = unit_sample(d) if unit is None else unit
    lows = np.array([d.ranges[k][0] for k in keys], dtype=float)
    highs = np.array([d.ranges[k][1] for k in keys], dtype=float)
    sample = lows + unit[:, : len(keys)] * (highs - lows)
    points = []
    for row, urow in zip(sample, unit[:, len(keys) :], strict=True):
        point: dict[str, Any] = {}
        for k, v in zip(keys, row, strict=True):
            integer = numeric_bounds(k)[2]  # type: ignore[index]
            point[k] = int(round(v)) if integer else float(v)
        for (k, options), u in zip(choices.items(), urow, strict=True):
            point[k] = options[min(int(u * len(options)), len(options) - 1)]
        points.append(point)
    return points
