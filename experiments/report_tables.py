"""The tables of ``report.md`` (and of ``report``'s printout): the experiment table, the
headline differences with their intervals, the differences by generation, and for a spec over a
calibration posterior the split of each difference into seed noise and parameter uncertainty."""

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
from experiments.stats import confidence_label, variance_split
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


# ---------------------------------------------------------------------------------- posterior
def paired_matrix(
    runs: pd.DataFrame, measure: str, arm: str, baseline: str, points: list[int]
) -> np.ndarray:
    """The paired differences ``arm − baseline`` of ``measure``, one row per design point in
    ``points`` (the draws) and one column per replicate; NaN where a run failed or is missing."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    reps = sorted(ok["replicate"].unique())

    def grid(name: str) -> pd.DataFrame:
        g = ok[(ok["arm"] == name) & ok["point_id"].isin(points)]
        return g.pivot_table(index="point_id", columns="replicate", values=measure, aggfunc="first")

    a, b = grid(arm), grid(baseline)
    d = (a - b).reindex(index=points, columns=reps)
    return d.to_numpy(dtype=float)


def split_table(res: Any, measures: list[str]) -> pd.DataFrame:
    """The variance split of every headline Δ: per arm (against the baseline), lever setting
    and measure, over the design's scenarios (the posterior's draws, crossed with any other
    uncertainty) and replicates. Draws with a failed run are left out (``draws`` counts those
    used).

    Returns:
        One row per (arm, lever, measure) with the columns of
        :func:`experiments.stats.variance_split` and ``note`` (why a row is empty).
    """
    spec = res.spec
    plan = res.plan
    base = spec.analysis.baseline
    conf = spec.analysis.confidence
    by_lever: dict[int, list[int]] = {}
    for point, (lever, _) in enumerate(plan.index):
        by_lever.setdefault(lever, []).append(point)
    rows = []
    for arm in spec.arm_names:
        if arm == base:
            continue
        for lever, points in by_lever.items():
            for m in measures:
                y = paired_matrix(res.runs, m, arm, base, points)
                keep = np.isfinite(y).all(axis=1)
                row: dict[str, Any] = {"arm": arm, "lever": lever, "measure": m}
                try:
                    row.update(variance_split(y[keep], conf).as_dict())
                    row["note"] = "" if keep.all() else f"{int((~keep).sum())} draw(s) left out"
                except ValueError as e:
                    row.update(draws=int(keep.sum()), replicates=y.shape[1], note=str(e))
                rows.append(row)
    out = pd.DataFrame(rows)
    return out


def lever_label(spec: Any, lever: int) -> str:
    """A lever setting as ``key=value, ...`` (blank without levers)."""
    levers = spec.design.levers
    if not levers:
        return ""
    return ", ".join(f"{k}={v}" for k, v in levers[lever].items())


def finite(x: Any) -> bool:
    """Whether ``x`` is a finite number."""
    return isinstance(x, int | float | np.floating) and math.isfinite(float(x))


def posterior_lines(res: Any, split: pd.DataFrame) -> list[str]:
    """The report's section on a posterior: where the draws came from and the split table."""
    from experiments.posterior import POSTERIOR_FILE

    spec = res.spec
    post = spec.design.posterior
    conf = confidence_label(spec.analysis.confidence)
    base = spec.analysis.baseline
    crossed = bool(spec.design.factors or spec.design.ranges or spec.design.choices)
    lines = [
        "## Seed noise and parameter uncertainty (calibration posterior)",
        "",
        f"Each Δ = arm − {base} (paired by replicate) is measured at {len(post.draws)} parameter "
        f"sets drawn from the posterior of calibration `{post.calibration}` × "
        f"{spec.replicates} replicates; every draw runs the same replicate seeds. By the law of "
        "total variance, Var(Δ) = E_θ[Var(Δ | θ)] (*seed noise*) + Var_θ(E[Δ | θ]) (*parameter "
        "uncertainty*), estimated by a two-way random-effects ANOVA of the crossed draws × "
        "seeds: seed noise is the pooled variance between the replicates of each draw; "
        "parameter uncertainty is (MS_draws − MS_residual) / r, set to 0 where sampling noise "
        "makes it negative (marked *floored*). The one-way formula (MS_draws − MS_within) / r "
        "would understate it here, because the shared seeds move every draw's mean alike. "
        f"*mean Δ* averages every draw and replicate; its {conf} CI carries both sources "
        f"(Satterthwaite t). *{conf} of Δ* is the interval of one world's Δ (a new draw and a "
        f"new seed), mean ± z·√(seed + parameter), a normal approximation. *Δ > 0* is the share "
        "of draws whose mean Δ over the replicates is positive."
        + (
            " The design's other uncertainties are crossed with the draws, so each row of a "
            "draw is one of its scenarios and the parameter part holds their spread too."
            if crossed
            else ""
        ),
        "",
    ]
    levers = bool(spec.design.levers)
    header = [
        "arm",
        *(["levers"] if levers else []),
        "measure",
        "mean Δ",
        f"{conf} CI of the mean",
        f"{conf} of Δ",
        "seed noise (var)",
        "parameter (var)",
        "seed share",
        "parameter share",
        "Δ > 0 (draws)",
        "draws × replicates",
    ]
    rows = []
    for r in split.itertuples():
        if not finite(getattr(r, "mean", math.nan)):
            cells = ["", "", "", "", "", "", "", "", f"{r.draws} × {r.replicates}"]
            cells[0] = str(r.note)
        else:
            mark = " *floored*" if r.floored else ""
            cells = [
                fmt(r.mean),
                ci(r.ci_lo, r.ci_hi),
                ci(r.lo, r.hi),
                fmt(r.seed_var, 3),
                fmt(r.param_var, 3) + mark,
                f"{r.seed_share:.0%}",
                f"{r.param_share:.0%}",
                f"{r.share_positive:.0%}",
                f"{r.draws} × {r.replicates}" + (f" ({r.note})" if r.note else ""),
            ]
        rows.append([r.arm, *([lever_label(spec, r.lever)] if levers else []), r.measure, *cells])
    lines += [table(header, rows), ""]
    lines += ["The posterior:", ""]
    lines += [
        f"- folder `{post.path}` (`{post.resolved}`), `{POSTERIOR_FILE}` SHA-256 `{post.sha256}`",
        f"- calibration `{post.calibration}`: generation {post.generation}, ε = {fmt(post.epsilon)}, "
        f"{post.n_particles} particles"
        + ("" if post.finished else " (**the calibration had not finished**)")
        + (
            f"; it simulated {post.calibration_steps} steps, this experiment {spec.steps}"
            if post.calibration_steps is not None and post.calibration_steps != spec.steps
            else ""
        ),
        f"- {len(post.draws)} draws (systematic resampling of the weights, from root seed "
        f"{spec.root_seed}) of {', '.join(post.parameters)}: {len(set(post.particles))} distinct "
        "particles",
        "- the calibration's fixed values applied to every run: "
        + (", ".join(f"{k} = {v}" for k, v in post.fixed.items()) or "none"),
    ]
    if post.overridden:
        lines.append(
            "- the calibration's fixed values this spec replaces: "
            + "; ".join(f"{k} = {v[0]} (here: {v[1]})" for k, v in post.overridden.items())
        )
    lines += ["- `posterior_split.csv` holds the table with its mean squares", ""]
    return lines
