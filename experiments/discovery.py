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

The report's section on it (with the Sobol and Morris indices) is written by
:mod:`experiments.discovery_report`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from experiments.stats import min_difference, t_interval, t_intervals

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
    *,
    index: list[tuple[int, int]],
) -> pd.DataFrame:
    """Per arm, lever setting, scenario and measure: mean Δ, its CI, δ and the loses-or-ties flag.

    Args:
        runs: The runs table (``status == "ok"`` rows are used).
        spec: The experiment spec (its design gives the lever setting and scenario of a point).
        measures: The measures (overall columns).
        confidence: CI level; the spec's ``analysis.confidence`` by default.
        index: (lever setting, scenario) of every point, from the stored plan
            (:attr:`experiments.plan.Plan.index`), so nothing rebuilds the design.

    Returns:
        Long table: arm, lever, lever_label, scenario, point_id, the uncertainty values, measure,
        diff, ci_lo, ci_hi, n, delta, loses_or_ties, loses.
    """
    a = spec.analysis
    conf = a.confidence if confidence is None else confidence
    labels = lever_labels(spec)
    ukeys = list(spec.design.uncertainty_keys)
    ok = runs[runs["status"] == "ok"]
    base = ok[ok["arm"] == a.baseline].set_index(["point_id", "replicate"])
    scen_values = ok.groupby("point_id")[[f"factor.{k}" for k in ukeys]].first()
    scen_values.columns = ukeys
    # one dict per scenario, as ``.loc[pid].to_dict()`` gives it, not one per arm and measure
    values = {pid: scen_values.loc[pid].to_dict() for pid in scen_values.index}
    rows = []
    for arm in [x for x in spec.arm_names if x != a.baseline]:
        other = ok[ok["arm"] == arm].set_index(["point_id", "replicate"])
        for m in measures:
            sign = -1.0 if m in a.lower_is_better else 1.0
            paired = base[m].reindex(other.index)
            d = sign * (other[m] - paired)
            means = pd.DataFrame({"arm": other[m], "base": paired}).groupby(level=0).mean()
            groups = _groups(d)
            intervals = _intervals([g for _, g in groups], conf)
            for (pid, g), (mean, lo, hi) in zip(groups, intervals, strict=True):
                n = int(np.isfinite(g).sum())
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
                        **values[pid],
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


def _groups(d: pd.Series) -> list[tuple[Any, np.ndarray]]:
    """(point, its values in table order) per point of ``d``'s first index level, points
    sorted: what ``d.groupby(level=0)`` yields, as arrays split off one sorted copy (a pandas
    group per scenario cost more than the interval computed on it)."""
    codes, points = pd.factorize(d.index.get_level_values(0), sort=True)
    keep = codes >= 0  # a missing point has no group, as in groupby
    order = np.argsort(codes[keep], kind="stable")
    x = d.to_numpy(float)[keep][order]
    ends = np.cumsum(np.bincount(codes[keep], minlength=len(points)))
    return [
        (p, x[e - c : e])
        for p, c, e in zip(points, np.diff(ends, prepend=0), ends, strict=True)
        if c
    ]


def _intervals(samples: list[np.ndarray], confidence: float) -> list[tuple[float, float, float]]:
    """(mean, ci_lo, ci_hi) of each sample, as :func:`~experiments.stats.t_interval` gives it.

    Samples of one or two values (a design with one or two replicates per scenario) go to
    :func:`~experiments.stats.t_intervals` together, one column each: a sum of at most two
    numbers has one order, so the columns get the same bits as one call per sample (46,080
    calls of scipy's interval took most of this module's time on a 10,240-run Saltelli folder).
    Longer samples get a call each: from eight values on, numpy sums a column in another order
    than a single sample (pairwise), and the last bits differ.
    """
    out: list[tuple[float, float, float]] = [(math.nan, math.nan, math.nan)] * len(samples)
    short: dict[int, list[int]] = {}
    for i, x in enumerate(samples):
        if len(x) <= 2:
            short.setdefault(len(x), []).append(i)
        else:
            mean, _, lo, hi = t_interval(x, confidence)
            out[i] = (mean, lo, hi)
    for where in short.values():
        x = np.stack([samples[i] for i in where], axis=1)
        _, means, _, los, his = t_intervals(x, confidence)
        for j, i in enumerate(where):
            out[i] = (float(means[j]), float(los[j]), float(his[j]))
    return out


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
    groups = effects.groupby(["arm", "lever", "lever_label", "measure"], sort=False)
    for (arm, lever, label, m), g in _progress(groups, len(effects)):
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


#: Rows of the effects table from which PRIM shows its progress: on a 10,240-run Saltelli folder
#: (46,080 rows: 5,120 scenarios of 18 uncertainties x 9 measures) it took about 1.1 s a measure.
PROGRESS_FROM = 20_000


def _progress(groups: Any, rows: int) -> Any:
    """``groups`` behind a progress bar on stderr (a step per arm, lever setting and measure)
    when the table has ``rows`` >= :data:`PROGRESS_FROM`, else as they are."""
    if rows < PROGRESS_FROM:
        return groups
    from tqdm.auto import tqdm

    return tqdm(
        groups,
        total=groups.ngroups,
        desc="PRIM boxes per arm, lever setting and measure",
        unit="measure",
    )


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
