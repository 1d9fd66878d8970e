"""The report's scenario-discovery and global-sensitivity section, and its files.

:func:`write_discovery` runs :mod:`experiments.discovery` (PRIM) and :mod:`experiments.sensitivity`
(Sobol or Morris indices) on the stored plan's scenarios and writes their tables, figures and
Markdown; a Sobol table too noisy to read gets a caveat (:func:`sobol_caveat`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from experiments.discovery import MIN_SCENARIOS, boxes_markdown, discover, scenario_effects
from experiments.stats import confidence_label


def write_discovery(
    res: Any, figures: bool = True
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Scenario discovery and global sensitivity for ``report OUT``, when the design allows.

    PRIM runs when the design has uncertainties and at least :data:`MIN_SCENARIOS` scenarios;
    Sobol indices for a ``saltelli`` design, Morris screening for a ``morris`` design.

    Writes ``discovery_effects.csv`` (Δ per scenario), ``discovery_boxes.csv`` and ``.md``,
    ``discovery_trajectories.csv``, ``sobol.csv`` or ``morris.csv``, ``seed_noise.csv`` (with
    two or more replicates per scenario, not from a posterior), and the figures
    ``figures/peeling.png`` and ``figures/sobol.png`` / ``figures/morris.png``.

    Args:
        res: :class:`experiments.results.Results`.
        figures: Also draw the figures.

    Returns:
        (files, figures, Markdown lines of the report's section).
    """
    from experiments import plots
    from experiments.sensitivity import indices
    from experiments.store import atomic_write

    spec, out = res.spec, res.out
    ukeys = list(spec.design.uncertainty_keys)
    plan = res.plan
    n_scen = plan.n_scenarios
    files: dict[str, Any] = {}
    figs: dict[str, Any] = {}
    if not ukeys or n_scen < MIN_SCENARIOS or len(spec.arms) < 2:
        return files, figs, []
    head = [m for m in spec.analysis.headline if m in res.measures]
    effects = scenario_effects(res.runs, spec, head, index=plan.index)

    def csv(name: str, df: pd.DataFrame) -> None:
        files[name] = out / name
        atomic_write(files[name], lambda tmp: df.to_csv(tmp, index=False))

    csv("discovery_effects.csv", effects)
    boxes, trajs = discover(effects, ukeys)
    csv("discovery_boxes.csv", boxes)
    table = boxes_markdown(boxes) if not boxes.empty else "(no boxes)"
    files["discovery_boxes.md"] = out / "discovery_boxes.md"
    atomic_write(files["discovery_boxes.md"], lambda tmp: tmp.write_text(table + "\n"))
    if not trajs.empty:
        csv("discovery_trajectories.csv", trajs)
    idx = indices(effects, spec, unit=plan.unit)
    kind = spec.design.kind
    if not idx.empty:
        csv(f"{'sobol' if kind == 'saltelli' else 'morris'}.csv", idx)
    if figures:
        fdir = out / "figures"
        if not trajs.empty:
            figs["peeling"] = fdir / "peeling.png"
            atomic_write(figs["peeling"], lambda tmp: plots.peeling(trajs, tmp))
        if not idx.empty:
            name = "sobol" if kind == "saltelli" else "morris"
            figs[name] = fdir / f"{name}.png"
            conf = spec.analysis.confidence
            atomic_write(figs[name], lambda tmp: plots.indices_bars(idx, tmp, confidence=conf))
        files.update({f"figures/{p.name}": p for p in figs.values()})

    a = spec.analysis
    lines = [
        "## Scenario discovery: where does the arm lose or tie?",
        "",
        f"Per scenario (a point of the uncertainties {', '.join(ukeys)}) and lever setting, Δ = "
        f"arm − {a.baseline} averaged over its replicates. A scenario *loses or ties* when Δ ≤ δ, "
        "the smallest difference that matters (`analysis.min_difference`, else "
        f"{a.relative_min_difference:.0%} of the larger of the two arms' means there; measures in "
        "`analysis.lower_is_better` have Δ's sign flipped). PRIM (the `prim` package) finds "
        "boxes of such scenarios: *coverage* = share of all losing-or-tying scenarios inside the "
        "box, *density* = share of the box's scenarios that lose or tie, *mass* = share of all "
        f"scenarios inside. {n_scen} scenarios per lever setting.",
        "",
        table,
        "",
    ]
    if not idx.empty:
        if kind == "saltelli":
            lines += [
                "## Global sensitivity: Sobol indices",
                "",
                "First-order (S1) and total (ST) Sobol indices of Δ (replicates averaged first), "
                f"SALib's Saltelli estimator, {confidence_label(a.confidence)} bootstrap CI.",
                "",
                _indices_table(idx, ["S1", "ST"]),
                "",
                *sobol_caveat(idx, spec.design.n),
            ]
        else:
            lines += [
                "## Screening: Morris elementary effects",
                "",
                "μ* (mean absolute elementary effect of Δ over each uncertainty's whole range), "
                f"{confidence_label(a.confidence)} bootstrap CI, and σ (interactions or non-linearity).",
                "",
                _indices_table(idx, ["mu_star"], extra="sigma"),
                "",
            ]
    lines += _seed_noise(res, head, csv)
    return files, figs, lines


def _seed_noise(res: Any, head: list[str], csv: Any) -> list[str]:
    """How much of each Δ's spread across the scenarios is seed noise, for a design with two or
    more replicates per scenario (a posterior design has its own section with the same split).

    The split is :func:`experiments.report_tables.split_table` (the crossed two-way
    random-effects ANOVA of :func:`experiments.stats.variance_split`: every scenario runs the
    same replicate seeds), with the scenarios in the place of the posterior's draws.
    """
    from experiments.report_tables import lever_label, split_table, table

    spec = res.spec
    if spec.replicates < 2 or spec.design.posterior is not None:
        return []
    split = split_table(res, head)
    csv("seed_noise.csv", split)
    levers = bool(spec.design.levers)
    header = [
        "arm",
        *(["levers"] if levers else []),
        "measure",
        "seed noise SD",
        "scenario SD",
        "seed share",
        "scenarios × replicates",
    ]
    rows = []
    for r in split.itertuples():
        if not np.isfinite(getattr(r, "seed_var", np.nan)):
            cells = ["", "", "", f"{r.draws} × {r.replicates} ({r.note})"]
        else:
            cells = [
                f"{np.sqrt(r.seed_var):.3g}",
                f"{np.sqrt(r.param_var):.3g}" + (" *floored*" if r.floored else ""),
                f"{r.seed_share:.0%}",
                f"{r.draws} × {r.replicates}" + (f" ({r.note})" if r.note else ""),
            ]
        rows.append([r.arm, *([lever_label(spec, r.lever)] if levers else []), r.measure, *cells])
    return [
        "## Seed noise: how much of Δ's spread no uncertainty can explain",
        "",
        "Δ of one replicate varies across the box for two reasons: the scenarios differ (what the "
        "uncertainties can explain) and the seeds differ (what none can). Every scenario runs "
        "the same replicate seeds, so the split is the two-way random-effects ANOVA of the "
        "crossed scenarios × seeds (the same estimator as a posterior's split): *seed noise* is "
        "the pooled variance between the replicates of a scenario, *scenario* the variance of "
        "the scenarios' true mean Δ, (MS_scenarios − MS_residual) / r, set to 0 where sampling "
        "noise makes it negative (*floored*). The *seed share* is the part of one replicate's "
        "Δ variance that seed noise holds: a Sobol analysis with one replicate per scenario can "
        "attribute at most 1 − seed share of it to the uncertainties, and the rest adds to every "
        "total index. Averaging r replicates per scenario divides the seed variance by r. "
        "`seed_noise.csv` holds the table with its mean squares.",
        "",
        table(header, rows),
        "",
    ]


#: Largest CI half-width of a Sobol index worth reading (an index lives in [0, 1]).
READABLE_HALF_WIDTH = 0.1


def sobol_caveat(idx: pd.DataFrame, n: int) -> list[str]:
    """A warning under the Sobol table when its intervals are too wide to read, else nothing.

    The bootstrap half-width shrinks about as 1/sqrt(n), so the base sample a reading needs is
    n * (widest / :data:`READABLE_HALF_WIDTH`)^2, rounded up to a power of 2 (Saltelli needs one).
    """
    half = np.concatenate(
        [(idx[f"{c}_hi"] - idx[f"{c}_lo"]).to_numpy(float) / 2 for c in ("S1", "ST")]
    )
    half = half[np.isfinite(half)]
    if not len(half) or half.max() <= READABLE_HALF_WIDTH:
        return []
    widest = float(half.max())
    need = n * (widest / READABLE_HALF_WIDTH) ** 2
    need_pow2 = 1 << max(1, math.ceil(math.log2(need)))
    return [
        f"**Caveat: too noisy to read.** With n = {n} base samples the widest CI half-width is "
        f"{widest:.3g}; an index lives in [0, 1], so estimates outside it are sampling noise. "
        f"Read an index only when its half-width is below {READABLE_HALF_WIDTH:g}: that needs "
        f"about n = {need_pow2} base samples (the half-width shrinks as 1/√n).",
        "",
    ]


def _indices_table(idx: pd.DataFrame, cols: list[str], extra: str | None = None) -> str:
    header = ["arm", "lever", "measure", "uncertainty", *cols, *([extra] if extra else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in idx.itertuples():
        cells = [r.arm, r.lever_label, r.measure, r.factor]
        for c in cols:
            v, lo, hi = getattr(r, c), getattr(r, f"{c}_lo"), getattr(r, f"{c}_hi")
            cells.append(f"{v:.3f} [{lo:.3f}, {hi:.3f}]")
        if extra:
            cells.append(f"{getattr(r, extra):.3g}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
