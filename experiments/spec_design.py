"""The checks of a spec's design tables: ``[factors]``, ``[[points]]``, ``[design]``,
``[uncertainties]`` and ``[levers]``, into a :class:`~experiments.spec_types.Design`."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from experiments.points import (
    SAMPLED_KINDS,
    STRATEGY_PREFIX,
    SWITCHES,
    YOUNG_SHARE,
    allowed_text,
    numeric_bounds,
)
from experiments.posterior import POSTERIOR_KEYS, draw_table, posterior_clash, posterior_table
from experiments.spec_tables import (
    DESIGN,
    DESIGN_KEYS,
    Ctx,
    check_name,
    check_value,
    known,
    scalar,
    values_table,
)
from experiments.spec_types import DESIGN_KINDS, Design


def design_table(ctx: Ctx, raw: dict, fixed: dict[str, Any]) -> Design:
    d = raw.get("design", {})
    if not isinstance(d, dict):
        raise ctx.error(("design",), f"design must be a table, got {d!r}")
    for k in d:
        if k not in DESIGN_KEYS:
            raise ctx.unknown(("design", k), k, DESIGN_KEYS, "[design]")
    factors_raw, points_raw = raw.get("factors"), raw.get("points")
    unc_raw = raw.get("uncertainties")
    post_raw: dict[str, Any] = {}
    if isinstance(unc_raw, dict) and any(k in unc_raw for k in POSTERIOR_KEYS):
        unc_raw = dict(unc_raw)
        post_raw = {k: unc_raw.pop(k) for k in POSTERIOR_KEYS if k in unc_raw}
        if "posterior" not in post_raw:
            raise ctx.error(
                ("uncertainties", "draws"),
                "draws is the number of parameter sets drawn from a posterior; it needs "
                'posterior = "DIR" in [uncertainties] too',
            )
        drawn = draw_table(ctx, raw, post_raw)
        for k in drawn.parameters:  # before the table's own checks: this is the mistake to name
            where = posterior_clash(k, Design(), fixed) or (
                "given a range or choices in [uncertainties]" if k in unc_raw else ""
            )
            if where:
                raise ctx.error(
                    ("uncertainties", "posterior"),
                    f"{k} is drawn from the posterior in {drawn.path} and also {where}; keep one",
                )
    default_kind = "list" if points_raw is not None else "factorial"
    if unc_raw is not None:
        default_kind = "lhs" if _has_ranges(unc_raw) else "factorial"
    kind = d.get("kind", default_kind)
    if kind not in DESIGN_KINDS:
        raise ctx.error(
            ("design", "kind"), f"unknown design kind {kind!r}", ", ".join(DESIGN_KINDS)
        )

    if post_raw and kind in ("saltelli", "morris"):
        raise ctx.error(
            ("design", "kind"),
            f"a posterior cannot be crossed with a {kind} design: its indices read the "
            "sample's own structure",
            "factorial, lhs or sobol",
        )
    if post_raw and not unc_raw and "n" in d:
        raise ctx.error(
            ("design", "n"),
            "the number of parameter sets drawn from the posterior is [uncertainties] draws, "
            "not design.n",
        )

    def forbid(present: bool, what: str, path: tuple) -> None:
        if present:
            raise ctx.error(path, f"{what} cannot be used with design kind {kind!r}")

    if isinstance(unc_raw, dict):  # a misplaced lever is the first thing to say
        for k in unc_raw:
            if k.startswith(STRATEGY_PREFIX):
                raise ctx.error(
                    ("uncertainties", k),
                    f"{k} is a strategy switch: the outlet chooses it, so put it in [levers]",
                )
    if unc_raw is not None:
        for present, what, path in (
            (factors_raw is not None, "[factors]", ("factors",)),
            (points_raw is not None, "[[points]]", ("points",)),
            ("ranges" in d, "design.ranges", ("design", "ranges")),
        ):
            if present:
                raise ctx.error(
                    path, f"{what} cannot be used with [uncertainties]: declare the scenarios once"
                )
        if kind == "list":
            raise ctx.error(
                ("design", "kind"),
                "[uncertainties] are sampled or crossed, not listed",
                "factorial, " + ", ".join(SAMPLED_KINDS),
            )

    forbid(kind != "factorial" and factors_raw is not None, "[factors]", ("factors",))
    forbid(kind != "list" and points_raw is not None, "[[points]]", ("points",))
    forbid(kind not in SAMPLED_KINDS and "ranges" in d, "design.ranges", ("design", "ranges"))
    forbid(kind not in SAMPLED_KINDS and "n" in d, "design.n", ("design", "n"))
    forbid(kind != "morris" and "levels" in d, "design.levels", ("design", "levels"))
    keys: list[str] = []
    if post_raw and not unc_raw:  # the posterior's draws are the only uncertainty
        if kind != "factorial":
            raise ctx.error(
                ("design", "kind"),
                f"design kind {kind!r} samples [uncertainties] ranges, and the only uncertainty "
                "is the posterior: its draws are the design; leave design.kind out",
            )
        design = Design(kind="factorial")
    elif unc_raw is not None:
        design = _uncertainties(ctx, raw, d, kind, unc_raw)
        keys = list(design.uncertainty_keys)
    elif kind == "factorial":
        factors: dict[str, tuple] = {}
        table = factors_raw or {}
        if not isinstance(table, dict):
            raise ctx.error(("factors",), "factors must be a table of key = [levels]")
        for k, levels in table.items():
            if not isinstance(levels, list) or not levels:
                raise ctx.error(
                    ("factors", k),
                    f"factor levels must be a non-empty list, got {levels!r}",
                    allowed_text(k) if known(k) else "",
                )
            factors[k] = tuple(check_value(ctx, ("factors", k), k, v) for v in levels)
            if len(set(map(repr, factors[k]))) != len(factors[k]):
                raise ctx.error(("factors", k), f"factor levels repeat: {list(levels)}")
        keys = list(factors)
        design = Design(kind="factorial", factors=factors)
    elif kind == "list":
        if (
            not isinstance(points_raw, list)
            or not points_raw
            or not all(isinstance(p, dict) for p in points_raw)
        ):
            raise ctx.error(
                ("points",), "design kind 'list' needs [[points]] tables, one per design point"
            )
        points = tuple(values_table(ctx, p, ("points", i)) for i, p in enumerate(points_raw))
        design = Design(kind="list", points=points)
        keys = list(design.keys)
    else:
        sampled = _sampled(ctx, d, raw, kind)
        ranges_raw = d.get("ranges")
        if not isinstance(ranges_raw, dict) or not ranges_raw:
            raise ctx.error(
                ("design", "ranges"),
                f"design kind {kind!r} needs [design.ranges] with key = [low, high]",
            )
        ranges: dict[str, tuple[float, float]] = {}
        for k, r in ranges_raw.items():
            path = ("design", "ranges", k)
            check_name(ctx, path, k)
            bounds = numeric_bounds(k)
            if bounds is None:
                raise ctx.error(
                    path,
                    f"{k} is not numeric, so it cannot be sampled; use a factorial design",
                    "numeric parameters",
                )
            if (
                not isinstance(r, list)
                or len(r) != 2
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in r)
            ):
                raise ctx.error(path, f"a range must be [low, high], got {r!r}", allowed_text(k))
            lo, hi = (check_value(ctx, path, k, x) for x in r)
            if not lo < hi:
                raise ctx.error(path, f"range [{r[0]}, {r[1]}] must have low < high")
            ranges[k] = (float(lo), float(hi))
        keys = list(ranges)
        design = Design(kind=kind, ranges=ranges, **sampled)
    levers = _levers(ctx, raw.get("levers"))
    lever_keys = list(dict.fromkeys(k for p in levers for k in p))
    for k in lever_keys:
        if k in keys:
            where = "uncertainties" if unc_raw is not None else "design"
            raise ctx.error(("levers", k), f"{k} is both a lever and in the {where}; keep one")
    design = dataclasses.replace(design, levers=levers)
    if post_raw:
        posterior = posterior_table(ctx, drawn, design, fixed)
        design = dataclasses.replace(design, posterior=posterior)
        keys = [*posterior.parameters, *keys]
    keys = [*lever_keys, *keys]
    for k in keys:
        if k in fixed:
            raise ctx.error(("fixed", k), f"{k} is both fixed and a design factor; keep one")
    mix_keys = [k for k in (*keys, *fixed) if k.startswith("mix_")]
    if YOUNG_SHARE in keys and any(k in keys for k in mix_keys):
        raise ctx.error(
            ("design",), f"{YOUNG_SHARE} and {mix_keys[0]} both vary the generation mix; keep one"
        )
    return design


def _has_ranges(table: Any) -> bool:
    """Whether an [uncertainties] table has a numeric range (so the default design samples)."""
    if not isinstance(table, dict):
        return False
    return any(
        known(k) and numeric_bounds(k) is not None and _is_range(v) for k, v in table.items()
    )


def _is_range(v: Any) -> bool:
    return (
        isinstance(v, list)
        and len(v) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
    )


def _sampled(ctx: Ctx, d: dict, raw: dict, kind: str) -> dict[str, int]:
    """n, seed and levels of a sampled design, checked."""
    if "n" not in d:
        raise ctx.error(
            ("design", "n"),
            f"a {kind} design needs n (the size of its sample) in [design]",
            "a whole number >= 2",
        )
    n = scalar(ctx, d, DESIGN, "n", ("design",))
    if kind in ("sobol", "saltelli") and n & (n - 1):
        raise ctx.error(
            ("design", "n"),
            f"a {kind} design needs n a power of 2, got {n}",
            f"e.g. {1 << max(1, n.bit_length() - 1)} or {1 << n.bit_length()}",
        )
    seed = scalar(ctx, d, DESIGN, "seed", ("design",), default=int(raw.get("root_seed", 0)) % 2**32)
    levels = scalar(ctx, d, DESIGN, "levels", ("design",))
    return {"n": n, "seed": seed, "levels": levels}


def _uncertainties(ctx: Ctx, raw: dict, d: dict, kind: str, table: Any) -> Design:
    """The [uncertainties] table: Params fields (and mix.young_share) with a range or choices.

    ``key = [low, high]`` (two numbers, numeric key) is a range; any other non-empty list, or
    ``key = {choices = [...]}``, is a list of choices. A factorial design crosses choices only;
    the sampled kinds draw ranges uniformly and pick choices with equal probability.
    """
    if not isinstance(table, dict) or not table:
        raise ctx.error(
            ("uncertainties",),
            "uncertainties must be a non-empty table of key = [low, high] or [choices]",
        )
    ranges: dict[str, tuple[float, float]] = {}
    choices: dict[str, tuple] = {}
    for k, v in table.items():
        path = ("uncertainties", k)
        if k.startswith(STRATEGY_PREFIX):
            raise ctx.error(
                path, f"{k} is a strategy switch: the outlet chooses it, so put it in [levers]"
            )
        check_name(ctx, path, k)
        if isinstance(v, dict):
            if set(v) != {"choices"}:
                raise ctx.error(path, f"an inline table takes only choices = [...], got {v!r}")
            v, forced = v["choices"], True
        else:
            forced = False
        if not isinstance(v, list) or not v:
            raise ctx.error(
                path,
                f"must be [low, high] or a non-empty list of choices, got {v!r}",
                allowed_text(k),
            )
        if not forced and numeric_bounds(k) is not None and _is_range(v):
            lo, hi = (check_value(ctx, path, k, x) for x in v)
            if not lo < hi:
                raise ctx.error(path, f"range [{v[0]}, {v[1]}] must have low < high")
            if kind == "factorial":
                raise ctx.error(
                    path,
                    "a factorial design cannot cross a range: give a list of levels "
                    "({choices = [...]}) or sample it (design.kind = lhs, sobol, saltelli, morris)",
                )
            ranges[k] = (float(lo), float(hi))
        else:
            values = tuple(check_value(ctx, path, k, x) for x in v)
            if len(set(map(repr, values))) != len(values):
                raise ctx.error(path, f"choices repeat: {list(v)}")
            if len(values) < 2:
                raise ctx.error(
                    path,
                    f"an uncertainty needs at least two choices, got {list(v)}; "
                    "a single value is not uncertain: put it in [fixed]",
                )
            choices[k] = values
    if kind == "factorial":
        return Design(kind="factorial", factors=choices)
    if kind in ("saltelli", "morris") and len(ranges) + len(choices) < 2:
        raise ctx.error(("uncertainties",), f"a {kind} design needs at least two uncertainties")
    return Design(kind=kind, ranges=ranges, choices=choices, **_sampled(ctx, d, raw, kind))


def _levers(ctx: Ctx, table: Any) -> tuple[dict[str, Any], ...]:
    """The [levers] table: ``strategy.<switch> = [settings]`` (crossed), or ``[[levers]]`` policies."""
    if table is None:
        return ()
    if isinstance(table, list):
        if not table or not all(isinstance(p, dict) and p for p in table):
            raise ctx.error(("levers",), "[[levers]] must be non-empty tables, one per policy")
        policies = [
            {k: _lever_value(ctx, ("levers", i, k), k, v) for k, v in p.items()}
            for i, p in enumerate(table)
        ]
        keys = list(dict.fromkeys(k for p in policies for k in p))
        seen: dict[str, int] = {}
        for i, p in enumerate(policies):
            missing = [k for k in keys if k not in p]
            if missing:
                raise ctx.error(("levers", i), f"policy {i} does not set {', '.join(missing)}")
            same = repr(sorted(p.items()))
            if same in seen:
                raise ctx.error(
                    ("levers", i),
                    f"policy {i} repeats policy {seen[same]} ({p}): it would run the same runs "
                    "twice; remove one",
                )
            seen[same] = i
        return tuple(policies)
    if not isinstance(table, dict) or not table:
        raise ctx.error(("levers",), "levers must be a table of strategy.<switch> = [settings]")
    settings: dict[str, tuple] = {}
    for k, v in table.items():
        if not isinstance(v, list) or not v:
            raise ctx.error(("levers", k), f"lever settings must be a non-empty list, got {v!r}")
        settings[k] = tuple(_lever_value(ctx, ("levers", k), k, x) for x in v)
        if len(set(map(repr, settings[k]))) != len(settings[k]):
            raise ctx.error(("levers", k), f"lever settings repeat: {v}")
    keys = list(settings)
    return tuple(
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*settings.values())
    )


def _lever_value(ctx: Ctx, path: tuple, key: str, value: Any) -> Any:
    if not key.startswith(STRATEGY_PREFIX):
        hint = f"; {key} is a model parameter: put it in [uncertainties]" if known(key) else ""
        raise ctx.error(
            path,
            f"a lever is a strategy switch, written strategy.<switch>{hint}",
            ", ".join(STRATEGY_PREFIX + sw for sw in SWITCHES),
        )
    return check_value(ctx, path, key, value)
