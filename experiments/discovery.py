"""Scenario discovery: where in the uncertainty space does an arm lose or tie against the baseline?

The EMA Workbench's question (Kwakkel 2017; Bryant & Lempert 2010), asked of paired runs.
For each arm, lever setting and headline measure:

1. **Per scenario** (a design point's uncertainty values), the paired differences
   ``arm - baseline`` over its replicates give a mean Δ and a paired-t CI
   (:func:`scenario_effects`). A measure in ``analysis.lower_is_better`` has its sign flipped,
   so a positive Δ always favours the arm.
2. **Loses or ties** (the case of interest, ``y = 1``): the mean Δ is at most δ, the smallest
   difference that matters, as the comparison tables define it
   (:func:`experiments.stats.min_difference`: ``analysis.min_difference[measure]``, else
   ``analysis.relative_min_difference`` times the larger of the two arms' means at that
   scenario, in absolute value). So a scenario counts as a win only when the arm is ahead by a difference that
   matters; with the few replicates per scenario of a sweep, a CI criterion would call almost
   every scenario a tie. The column ``loses`` (CI upper bound below 0) is kept alongside.
3. **PRIM** (Friedman & Fisher 1999) from the ``prim`` package (Project Platypus's stand-alone
   PRIM, the algorithm of the EMA Workbench without its dependencies) peels boxes over the
   uncertainties. Of each box's peeling trajectory the point kept is the one with the largest
   coverage among those with density at least ``density`` (default 0.8), ties going to the
   higher density; without such a point, the densest. Up to ``max_boxes`` boxes are found in
   turn (each on the scenarios the previous boxes left).

A box's *coverage* is the share of all loses-or-ties scenarios it holds, its *density* the
share of its scenarios that lose or tie, its *mass* the share of all scenarios inside it.

This file is a little over the house's 400 lines: it also holds :func:`write_discovery`, the
report's scenario-discovery and sensitivity section, so that the report module (already long)
only calls it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from experiments.points import point_index
from experiments.stats import confidence_label, min_difference, t_interval

#: Density a kept box must reach (if any point of the trajectory does).
DEFAULT_DENSITY = 0.8
#: Boxes looked for per (arm, lever setting, measure).
DEFAULT_MAX_BOXES = 2
#: Scenarios needed before PRIM is tried.
MIN_SCENARIOS = 8


def lever_labels(spec: Any) -> list[str]:
    """A short label per lever setting (``reply_share=0.1``), or ``-`` without levers."""
    levers = spec.design.levers or ({},)
    return [
        ", ".join(f"{k.removeprefix('strategy.')}={v}" for k, v in lev.items()) or "-"
        for lev in levers
    ]


def scenario_effects(
    runs: pd.DataFrame,
    spec: Any,
    measures: list[str],
    confidence: float | None = None,
    index: list[tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Per arm, lever setting, scenario and measure: mean Δ, its CI, δ and the loses-or-ties flag.

    Args:
        runs: The runs table (``status == "ok"`` rows are used).
        spec: The experiment spec (its design gives the lever setting and scenario of a point).
        measures: The measures (overall columns).
        confidence: CI level; the spec's ``analysis.confidence`` by default.
        index: (lever setting, scenario) of every point, from the stored plan
            (:attr:`experiments.plan.Plan.index`); rebuilt from the spec's design without it.

    Returns:
        Long table: arm, lever, lever_label, scenario, point_id, the uncertainty values, measure,
        diff, ci_lo, ci_hi, n, delta, loses_or_ties, loses.
    """
    a = spec.analysis
    conf = a.confidence if confidence is None else confidence
    index = point_index(spec.design) if index is None else index
    labels = lever_labels(spec)
    ukeys = list(spec.design.uncertainty_keys)
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["arm"] == a.baseline].set_index(["point_id", "replicate"])
    scen_values = ok.groupby("point_id")[[f"factor.{k}" for k in ukeys]].first()
    scen_values.columns = ukeys
    rows = []
    for arm in [x for x in spec.arm_names if x != a.baseline]:
        other = ok[ok["arm"] == arm].set_index(["point_id", "replicate"])
        for m in measures:
            sign = -1.0 if m in a.lower_is_better else 1.0
            paired = base[m].reindex(other.index)
            d = sign * (other[m] - paired)
            means = pd.DataFrame({"arm": other[m], "base": paired}).groupby(level=0).mean()
            for pid, g in d.groupby(level=0):
                mean, _, lo, hi = t_interval(g.to_numpy(float), conf)
                n = int(np.isfinite(g.to_numpy(float)).sum())
                delta = min_difference(
                    m,
                    (means.at[pid, "base"], means.at[pid, "arm"]),
                    a.min_difference,
                    a.relative_min_difference,
                )
                lever, scen = index[int(pid)]
                rows.append(
                    {
                        "arm": arm,
                        "lever": lever,
                        "lever_label": labels[lever],
                        "scenario": scen,
                        "point_id": int(pid),
                        **scen_values.loc[pid].to_dict(),
                        "measure": m,
                        "diff": mean,
                        "ci_lo": lo,
                        "ci_hi": hi,
                        "n": n,
                        "delta": delta,
                        # delta undefined (both means 0): a difference of 0 still ties
                        "loses_or_ties": bool(
                            np.isfinite(mean) and mean <= (delta if np.isfinite(delta) else 0.0)
                        ),
                        "loses": bool(np.isfinite(hi) and hi < 0),
                    }
                )
    return pd.DataFrame(rows)


def select_point(trajectory: pd.DataFrame, density: float = DEFAULT_DENSITY) -> int:
    """The trajectory row kept: largest coverage with density >= ``density``, else the densest."""
    t = trajectory.reset_index(drop=True)
    good = t[t["density"] >= density]
    if good.empty:
        return int(t["density"].idxmax())
    best = good.sort_values(["coverage", "density"], ascending=[False, False], kind="stable")
    return int(best.index[0])


def prim_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    density: float = DEFAULT_DENSITY,
    max_boxes: int = DEFAULT_MAX_BOXES,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """PRIM boxes of ``y == 1`` over ``x``, with the ``prim`` package.

    Args:
        x: The uncertainties, one column each (numbers, or strings/booleans as categories).
        y: 0/1 per row (1 = case of interest).
        density: Density a kept box must reach (see :func:`select_point`).
        max_boxes: Boxes to look for.
        peel_alpha: Share of points peeled per step.
        mass_min: Smallest mass a box may shrink to.

    Returns:
        (boxes, trajectories): each box a dict with box, coverage, density, mass, res_dim,
        limits (key -> (low, high) or the kept categories); the trajectories as one table (box,
        step, coverage, density, mass, res_dim, selected).
    """
    import prim

    logging.getLogger("prim").setLevel(logging.WARNING)
    x = x.reset_index(drop=True).copy()
    for c in x.columns:
        if x[c].dtype == bool or not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(str).astype(object)
    y = np.asarray(y, dtype=int)
    boxes: list[dict[str, Any]] = []
    trajs = []
    if y.sum() == 0 or len(x) < 2:
        return boxes, pd.DataFrame()
    p = prim.Prim(x, y, threshold=0.5, threshold_type=">", peel_alpha=peel_alpha, mass_min=mass_min)
    for b in range(max_boxes):
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        i = select_point(traj, density)
        box.select(i)
        limits = _limits(p, box)
        row = traj.iloc[i]
        if float(row["coverage"]) == 0:
            break
        boxes.append(
            {
                "box": b,
                "coverage": float(row["coverage"]),
                "density": float(row["density"]),
                "mass": float(row["mass"]),
                "res_dim": int(row["res dim"]),
                "limits": limits,
            }
        )
        trajs.append(
            traj.rename(columns={"res dim": "res_dim"})[
                ["coverage", "density", "mass", "res_dim"]
            ].assign(box=b, step=np.arange(len(traj)), selected=np.arange(len(traj)) == i)
        )
        if float(row["density"]) < density:
            break
    return boxes, pd.concat(trajs, ignore_index=True) if trajs else pd.DataFrame()


def _limits(p: Any, box: Any) -> dict[str, tuple]:
    """The restricted limits of ``box``'s selected point: key -> (low, high) or categories.

    ``PrimBox.limits`` (prim 1.0.0) writes a set into a float frame, which pandas 3 refuses for
    categorical uncertainties, so the limits are read from the box's structured array
    (``_box_lims``) with the package's own ``determine_restricted_dims``.
    """
    from prim.scenario_discovery_util import determine_restricted_dims

    lims = box._box_lims[box._cur_box]  # noqa: SLF001 - see the docstring
    out: dict[str, tuple] = {}
    for key in determine_restricted_dims(lims, p._box_init):  # noqa: SLF001
        lo, hi = lims[key][0], lims[key][1]
        if isinstance(lo, set):
            out[str(key)] = tuple(sorted(map(str, lo)))
        else:
            out[str(key)] = (float(lo), float(hi))
    return out


def discover(
    effects: pd.DataFrame,
    uncertainties: list[str],
    *,
    density: float = DEFAULT_DENSITY,
    max_boxes: int = DEFAULT_MAX_BOXES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM over every (arm, lever setting, measure) of :func:`scenario_effects`.

    Returns:
        (boxes, trajectories). ``boxes`` has one row per box and restricted uncertainty (arm,
        lever_label, measure, box, coverage, density, mass, res_dim, scenarios,
        loses_or_ties_share, key, low, high, categories); a group where the arm never loses
        or ties, or always does, gets one row with ``box = -1`` and ``key`` saying which.
    """
    rows, trajs = [], []
    if effects.empty:
        return pd.DataFrame(), pd.DataFrame()
    for (arm, lever, label, m), g in effects.groupby(
        ["arm", "lever", "lever_label", "measure"], sort=False
    ):
        g = g[np.isfinite(g["diff"].to_numpy(float))]
        y = g["loses_or_ties"].to_numpy(int)
        ident = {
            "arm": arm,
            "lever": lever,
            "lever_label": label,
            "measure": m,
            "scenarios": len(g),
            "loses_or_ties_share": float(y.mean()) if len(y) else math.nan,
        }
        if len(g) < MIN_SCENARIOS or y.sum() in (0, len(y)):
            why = (
                "too few scenarios"
                if len(g) < MIN_SCENARIOS
                else ("never loses or ties" if y.sum() == 0 else "loses or ties everywhere")
            )
            rows.append({**ident, "box": -1, "key": why})
            continue
        boxes, traj = prim_boxes(g[uncertainties], y, density=density, max_boxes=max_boxes)
        for b in boxes:
            stats_ = {k: b[k] for k in ("box", "coverage", "density", "mass", "res_dim")}
            if not b["limits"]:
                rows.append({**ident, **stats_, "key": "(whole space)"})
            for key, lim in b["limits"].items():
                if len(lim) == 2 and all(isinstance(v, int | float | np.number) for v in lim):
                    rows.append({**ident, **stats_, "key": key, "low": lim[0], "high": lim[1]})
                else:
                    rows.append({**ident, **stats_, "key": key, "categories": ", ".join(lim)})
        if not traj.empty:
            trajs.append(traj.assign(**{k: ident[k] for k in ("arm", "lever_label", "measure")}))
    boxes_df = pd.DataFrame(rows)
    for c in ("box", "coverage", "density", "mass", "res_dim", "low", "high", "categories"):
        if c not in boxes_df:
            boxes_df[c] = np.nan
    return boxes_df, pd.concat(trajs, ignore_index=True) if trajs else pd.DataFrame()


def boxes_markdown(boxes: pd.DataFrame) -> str:
    """The boxes as a Markdown table: one line per box, its limits joined."""
    header = ["arm", "lever", "measure", "box", "limits", "coverage", "density", "mass"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (arm, label, m, b), g in boxes.groupby(
        ["arm", "lever_label", "measure", "box"], sort=False
    ):
        if b < 0:
            lines.append(f"| {arm} | {label} | {m} | – | {g['key'].iloc[0]} | | | |")
            continue
        lims = []
        for r in g.itertuples():
            if isinstance(r.categories, str):
                lims.append(f"{r.key} ∈ {{{r.categories}}}")
            elif r.key == "(whole space)":
                lims.append(r.key)
            else:
                lims.append(f"{_f(r.low)} ≤ {r.key} ≤ {_f(r.high)}")
        r0 = g.iloc[0]
        lines.append(
            f"| {arm} | {label} | {m} | {int(b) + 1} | {'; '.join(lims)} | "
            f"{r0['coverage']:.2f} | {r0['density']:.2f} | {r0['mass']:.2f} |"
        )
    return "\n".join(lines)


def _f(v: float) -> str:
    return f"{v:.3g}"


def write_discovery(
    res: Any, figures: bool = True
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Scenario discovery and global sensitivity for ``report OUT``, when the design allows.

    PRIM runs when the design has uncertainties and at least :data:`MIN_SCENARIOS` scenarios;
    Sobol indices for a ``saltelli`` design, Morris screening for a ``morris`` design.

    Writes ``discovery_effects.csv`` (Δ per scenario), ``discovery_boxes.csv`` and ``.md``,
    ``discovery_trajectories.csv``, ``sobol.csv`` or ``morris.csv``, and the figures
    ``figures/peeling.png`` and ``figures/sobol.png`` / ``figures/morris.png``.

    Args:
        res: :class:`experiments.analysis.Results`.
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
    return files, figs, lines


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
