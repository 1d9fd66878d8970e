"""The tables of ``report.md`` (and of ``report``'s printout): the experiment table, the
headline differences with their intervals, and the differences by generation."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from experiments import limits
from experiments.design import replicate_seed
from experiments.discovery import lever_labels
from experiments.results import Results
from experiments.spec import count_points
from experiments.stats import confidence_label
from model.measures import catalogue


def fmt(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; blank for NaN."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return str(int(x))
    return f"{x:.{digits}g}"


def ci(lo: float, hi: float) -> str:
    """``[lo, hi]`` or blank."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f"[{fmt(lo)}, {fmt(hi)}]"


def headline_point(res: Results) -> int:
    """The design point the headline describes: the only one, or -1 (pooled over points)."""
    return 0 if count_points(res.spec) == 1 else -1


def headline_table(
    comparison: pd.DataFrame,
    measures: list[str],
    point: int,
    markdown: bool = True,
    confidence: float = 0.95,
) -> str:
    """Per arm and headline measure: baseline and arm means, the difference and its intervals."""
    c = comparison[(comparison["point_id"] == point) & (comparison["generation"] == "all")]
    c = c[c["measure"].isin(measures)]
    conf = confidence_label(confidence)
    header = [
        "arm",
        "measure",
        "baseline",
        "arm mean",
        "Δ",
        f"{conf} CI (paired t)",
        "BCa CI",
        "d_z",
        "A12",
        "r",
        "n",
        "adequate",
    ]
    rows = []
    for _, r in c.sort_values(
        ["arm", "measure"], key=lambda s: s.map(_order(measures)) if s.name == "measure" else s
    ).iterrows():
        unsettled = "settled" in r and np.isfinite(r["settled"]) and r["settled"] < 1
        rows.append(
            [
                r["arm"],
                r["measure"] + (" *(unsettled)*" if unsettled and markdown else ""),
                fmt(r["base_mean"]),
                fmt(r["arm_mean"]),
                fmt(r["diff"]),
                ci(r["ci_lo"], r["ci_hi"]),
                ci(r["boot_lo"], r["boot_hi"]),
                fmt(r["d_z"], 3),
                fmt(r["a12"], 3),
                fmt(r["r"], 3),
                str(int(r["n"])),
                _adequate(r),
            ]
        )
    return table(header, rows, markdown)


def _order(measures: list[str]):
    pos = {m: i for i, m in enumerate(measures)}
    return lambda m: pos.get(m, len(pos))


def _adequate(r: pd.Series) -> str:
    a = r["adequate"]
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return "n/a"
    return "yes" if a else f"no (n≈{fmt(r['n_needed'])})"


def table(header: list[str], rows: list[list[str]], markdown: bool = True) -> str:
    """A table as Markdown, or as aligned plain text for the terminal (``markdown=False``)."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def generation_table(comparison: pd.DataFrame, measures: list[str], point: int) -> str:
    """Δ [CI] per generation (columns) for each arm and measure (rows)."""
    c = comparison[(comparison["point_id"] == point) & comparison["measure"].isin(measures)]
    header = ["arm", "measure", catalogue.OVERALL, *catalogue.COHORTS]
    rows = []
    for arm in pd.unique(c["arm"]):
        for m in measures:
            cells = [arm, m]
            for g in (catalogue.OVERALL, *catalogue.COHORTS):
                r = c[(c["arm"] == arm) & (c["measure"] == m) & (c["generation"] == g)]
                cells.append(
                    ""
                    if r.empty
                    else f"{fmt(r['diff'].iloc[0], 3)} {ci(r['ci_lo'].iloc[0], r['ci_hi'].iloc[0])}"
                )
            rows.append(cells)
    return table(header, rows)


def experiment_table(res: Results) -> str:
    """The experiment as a table: design, factors, fixed values, arms, run length, seeds, runs."""
    s = res.spec
    d = s.design
    rows = [["experiment", s.name], ["description", s.description or ""]]
    rows.append(["spec file", f"`{res.manifest.get('spec_file')}`"])
    rows.append(["model", f"`{s.model}`"])
    if d.kind == "factorial":
        levels = "; ".join(f"{k} ∈ {list(v)}" for k, v in d.factors.items())
        levels = levels or (
            "the posterior's draws (below)" if d.posterior else "one point (no factors)"
        )
        rows.append(["design", f"full factorial: {levels}"])
    elif d.kind == "list":
        rows.append(["design", f"{len(d.points)} listed points over {', '.join(d.keys)}"])
    else:
        ranges = "; ".join(
            [f"{k} ∈ [{fmt(lo)}, {fmt(hi)}]" for k, (lo, hi) in d.ranges.items()]
            + [f"{k} ∈ {list(v)}" for k, v in d.choices.items()]
        )
        scen = limits.count_points(dataclasses.replace(d, levers=()))
        size = f"n = {d.n}" + (f" ({scen} scenarios)" if scen != d.n else "")
        rows.append(
            ["design", f"{d.kind.upper()} sample, {size} (sampler seed {d.seed}): {ranges}"]
        )
    if d.posterior is not None:
        p = d.posterior
        rows.append(
            [
                "posterior",
                f"{len(p.draws)} parameter sets of {', '.join(p.parameters)} drawn from "
                f"`{p.path}` (calibration {p.calibration}, generation {p.generation}), "
                + (
                    "each crossed with the design's scenarios"
                    if d.uncertainty_keys != p.parameters
                    else "which are the design's scenarios"
                ),
            ]
        )
    if d.levers:
        labels = "; ".join(lever_labels(s))
        rows.append(["levers", f"{len(d.levers)} settings, each over the same scenarios: {labels}"])
    fixed = ", ".join(f"{k} = {v}" for k, v in s.fixed.items()) or "model defaults"
    rows.append(["fixed", fixed + " (everything else: model.Params defaults)"])
    arms = []
    for a in s.arms:
        extra = ", ".join(f"{k}={v}" for k, v in a.switches.items())
        arms.append(
            f"{a.name} (preset {a.preset}{'; ' + extra if extra else ''}{'; sweeps strategy.*' if a.sweep and any(k.startswith('strategy.') for k in (*d.keys, *s.fixed)) else ''})"
        )
    rows.append(["arms", "; ".join(arms) + f"; baseline {s.analysis.baseline}"])
    if s.burn_in:
        length = (
            f"{s.steps} steps = {s.steps / 24:g} days (1 step = 1 hour) after a burn-in of "
            f"{s.burn_in} steps = {s.burn_in / 24:g} days with the {s.analysis.baseline} arm's "
            "parameters, one per design point and replicate, from which every arm branches. "
            "Time counts from the branch: step 0 of the time series is the branch; measures "
            "that accumulate (reach, forwards, engagement, replies, staff hours, cascades, "
            "steps to reach) include the burn-in, identically in every arm"
        )
    else:
        length = f"{s.steps} steps = {s.steps / 24:g} days (1 step = 1 hour); no warm-up"
    rows.append(["run length", length])
    rows.append(
        [
            "sampling",
            f"time series every {s.measure_every} steps"
            if s.measure_every
            else "final measures only",
        ]
    )
    seeds = ", ".join(str(replicate_seed(s.root_seed, r)) for r in range(min(3, s.replicates)))
    rows.append(
        [
            "replicates",
            f"{s.replicates} per arm and point; replicate r has seed SeedSequence({s.root_seed}, spawn_key=(r,)) in every arm (common random numbers): {seeds}{', ...' if s.replicates > 3 else ''}",
        ]
    )
    n_ok, n_fail = len(res.ok), len(res.failed)
    rows.append(
        [
            "runs",
            f"{count_points(s)} points × {len(s.arms)} arms × {s.replicates} replicates = {res.manifest.get('planned_runs')} planned; {n_ok} finished, {n_fail} failed",
        ]
    )
    return table(["", ""], rows)
