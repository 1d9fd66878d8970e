"""The files of an ``optimize`` search (:mod:`experiments.optimize`): ``evaluations.csv``,
``pareto.csv``, ``history.csv``, ``figures/optimize_parallel.png``,
``figures/optimize_tradeoff.png`` and ``report.md``.

The front is the non-dominated set of every candidate evaluated (not only the last
population's), on the objectives' robustness statistics. The hypervolume in ``history.csv`` is
that of the front found by each generation, with every objective scaled to [0, 1] between the
best and worst values of the whole search and the reference point at 1.1 in every scaled
objective, so that generations are comparable within one search (not across searches).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from experiments.plots import _save, plt
from experiments.stats import confidence_label

if TYPE_CHECKING:
    from experiments.spec import ExperimentSpec
    from experiments.spec_optimize import OptimizeConfig

#: What a strategy costs, reported beside the objectives when the spec records them: the
#: staff-hours spent, and the items published (a conversation's hours buy fewer items; over a
#: run the outlet spends about its whole budget whatever its strategy, docs/ODD.md 7.2).
COSTS = ("staff_hours", "published")
#: Objective value given to a candidate none of whose runs finished: worse than any real one.
FAILED = 1e30


def non_dominated(f: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``f`` (to minimise, one column per objective) that no other
    row dominates (no worse in every column, better in one). Equal rows are all kept."""
    f = np.asarray(f, dtype=float)
    keep = np.ones(len(f), dtype=bool)
    for i in range(len(f)):
        worse_or_equal = np.all(f <= f[i], axis=1) & np.any(f < f[i], axis=1)
        keep[i] = not worse_or_equal.any()
    return keep


def minimised(evaluations: pd.DataFrame, config: OptimizeConfig) -> np.ndarray:
    """The objectives as pymoo minimises them (negated where maximised; failures worst)."""
    cols = []
    for o in config.objectives:
        v = evaluations[o.label].to_numpy(float)
        v = -v if o.direction == "max" else v
        cols.append(np.where(np.isfinite(v), v, FAILED))
    return np.column_stack(cols) if cols else np.empty((len(evaluations), 0))


def history(evaluations: pd.DataFrame, config: OptimizeConfig) -> pd.DataFrame:
    """Per generation: candidates evaluated so far, the size of their front, its hypervolume
    (scaled as the module says) and the best value of each objective so far."""
    from pymoo.indicators.hv import HV

    f = minimised(evaluations, config)
    ok = np.all(f < FAILED, axis=1)
    lo = f[ok].min(axis=0) if ok.any() else np.zeros(f.shape[1])
    hi = f[ok].max(axis=0) if ok.any() else np.ones(f.shape[1])
    scale = np.where(hi > lo, hi - lo, 1.0)
    hv = HV(ref_point=np.full(f.shape[1], 1.1))
    rows = []
    for g in range(int(evaluations["generation"].max()) + 1 if len(evaluations) else 0):
        upto = (evaluations["generation"] <= g).to_numpy() & ok
        row: dict[str, Any] = {"generation": g, "evaluated": int(upto.sum())}
        if upto.any():
            front = f[upto][non_dominated(f[upto])]
            row["front_size"] = len(front)
            row["hypervolume"] = float(hv((front - lo) / scale))
        for o in config.objectives:
            v = evaluations.loc[upto, o.label]
            row[f"best {o.label}"] = (
                (v.max() if o.direction == "max" else v.min()) if len(v) else np.nan
            )
        rows.append(row)
    return pd.DataFrame(rows)


def write_outputs(
    out: Path,
    spec: ExperimentSpec,
    config: OptimizeConfig,
    evaluations: pd.DataFrame,
    *,
    figures: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Path]]:
    """Write every file of the search to ``out``.

    Returns:
        The evaluations (with ``on_front`` and ``same_results_as``), the front, the history
        and the files written by name.
    """
    f = minimised(evaluations, config)
    on_front = non_dominated(f) & np.all(f < FAILED, axis=1) if len(f) else np.array([], bool)
    evaluations = evaluations.assign(on_front=on_front, same_results_as=same_results(evaluations))
    first = config.objectives[0]
    front = evaluations[on_front].sort_values(first.label, ascending=first.direction == "min")
    hist = history(evaluations, config)
    files = {}
    for name, table in (
        ("evaluations.csv", evaluations),
        ("pareto.csv", front),
        ("history.csv", hist),
    ):
        tmp = out / f".{name}"
        table.drop(columns="on_front", errors="ignore").to_csv(tmp, index=False)
        tmp.replace(out / name)
        files[name] = out / name
    if figures and len(front):
        files["optimize_parallel.png"] = parallel(
            evaluations, config, out / "figures" / "optimize_parallel.png"
        )
        files["optimize_tradeoff.png"] = tradeoff(
            evaluations, config, spec, out / "figures" / "optimize_tradeoff.png"
        )
    (out / "report.md").write_text(
        report(spec, config, front, hist, figures=figures and len(front) > 0)
    )
    files["report.md"] = out / "report.md"
    return evaluations, front, hist, files


def same_results(evaluations: pd.DataFrame) -> list[str]:
    """For each candidate, the first candidate with exactly the same results (every objective,
    cost and interval): lever values a little apart can make the same runs (at 2,000 users a
    share of 0.2559 and one of 0.2518 may reply to the same comments), so a front can list one
    strategy several times."""
    values = [c for c in evaluations.columns if "." in c and not c.startswith("strategy.")]
    first: dict[tuple, str] = {}
    out = []
    for _, r in evaluations.iterrows():
        key = tuple(repr(r[c]) for c in values)
        out.append(first.setdefault(key, r["candidate"]))
    return out


# ---------------------------------------------------------------------------------- figures
def _axes_columns(config: OptimizeConfig) -> list[str]:
    return [lv.key for lv in config.levers] + [o.label for o in config.objectives]


def parallel(evaluations: pd.DataFrame, config: OptimizeConfig, path: Path) -> Path:
    """Parallel coordinates: one axis per lever and objective (scaled to the range searched or
    seen; an objective's best at the top), every candidate in grey, the front in colour by the
    first objective."""
    cols = _axes_columns(config)
    levers = {lv.key: lv for lv in config.levers}
    data = np.column_stack([_numeric(evaluations[c], levers.get(c)) for c in cols])
    lo, hi, lo_text, hi_text = [], [], [], []
    for j, c in enumerate(cols):
        lv = levers.get(c)
        if lv is not None and lv.choices:  # choices sit at their index, labelled by value
            lo.append(0.0)
            hi.append(len(lv.choices) - 1.0)
            lo_text.append(str(lv.choices[0]))
            hi_text.append(str(lv.choices[-1]))
            continue
        if lv is not None:
            assert lv.low is not None and lv.high is not None
            lo.append(lv.low)
            hi.append(lv.high)
        else:
            col = data[:, j][np.isfinite(data[:, j])]
            lo.append(col.min() if len(col) else 0.0)
            hi.append(col.max() if len(col) else 1.0)
        lo_text.append(_fmt(lo[-1]))
        hi_text.append(_fmt(hi[-1]))
    lo_a, hi_a = np.array(lo, float), np.array(hi, float)
    scaled = (data - lo_a) / np.where(hi_a > lo_a, hi_a - lo_a, 1.0)
    for j, o in enumerate(config.objectives, start=len(config.levers)):
        if o.direction == "min":  # the best at the top of every objective's axis
            scaled[:, j] = 1 - scaled[:, j]
            lo_text[j], hi_text[j] = hi_text[j], lo_text[j]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.8 * len(cols)), 4.2))
    x = np.arange(len(cols))
    front = evaluations["on_front"].to_numpy(bool)
    for row in scaled[~front]:
        ax.plot(x, row, color="0.8", lw=0.8, zorder=1)
    first = config.objectives[0]
    v = evaluations.loc[front, first.label].to_numpy(float)
    cmap = plt.get_cmap("viridis")
    span = (v.max() - v.min()) or 1.0
    for row, value in zip(scaled[front], v, strict=True):
        ax.plot(x, row, color=cmap((value - v.min()) / span), lw=2.0, marker="o", zorder=2)
    for j in range(len(cols)):
        ax.axvline(j, color="0.3", lw=0.6)
        ax.annotate(lo_text[j], (j, 0), xytext=(3, -12), textcoords="offset points", fontsize=7)
        ax.annotate(hi_text[j], (j, 1), xytext=(3, 4), textcoords="offset points", fontsize=7)
    ax.set_xticks(
        x, [c.replace("strategy.", "") for c in cols], rotation=20, ha="right", fontsize=8
    )
    ax.set_yticks([])
    ax.set_ylim(-0.12, 1.12)
    ax.set_title(
        f"front (colour: {first.label}, {first.direction}) over all candidates (grey)", fontsize=9
    )
    return _save(fig, path)


def _numeric(s: pd.Series, lever: Any = None) -> np.ndarray:
    """A lever or objective column as numbers: a choice lever's values as their index among
    its choices (as read back from CSV, where ``True`` may be text)."""
    if lever is not None and lever.choices:
        index = {str(c): i for i, c in enumerate(lever.choices)}
        return s.map(lambda v: index.get(str(v), np.nan)).to_numpy(float)
    return s.to_numpy(float)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def tradeoff(
    evaluations: pd.DataFrame, config: OptimizeConfig, spec: ExperimentSpec, path: Path
) -> Path:
    """Each pair of objectives: every candidate (grey), the front with its intervals, and the
    baseline at 0 (every objective is a difference from it)."""
    objs = list(config.objectives)
    pairs = [(objs[i], objs[j]) for i in range(len(objs)) for j in range(i + 1, len(objs))][:3]
    if not pairs:  # one objective: plot it against the staff-hours cost if recorded
        cost = [c for c in evaluations.columns if c.startswith("staff_hours.") and "_ci_" not in c]
        pairs = [(objs[0], cost[0])] if cost else [(objs[0], objs[0])]
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 4.0), squeeze=False)
    front = evaluations["on_front"].to_numpy(bool)
    conf = confidence_label(spec.analysis.confidence)
    for ax, (a, b) in zip(axes[0], pairs, strict=True):
        la = a.label
        lb = b if isinstance(b, str) else b.label
        ax.scatter(evaluations[la], evaluations[lb], color="0.7", s=18, label="candidates")
        fr = evaluations[front]
        ax.errorbar(
            fr[la],
            fr[lb],
            xerr=_err(fr, la),
            yerr=_err(fr, lb),
            fmt="o",
            color="#d62728",
            ms=5,
            lw=0.8,
            label=f"front ({conf} CI)",
        )
        ax.scatter([0], [0], marker="s", color="#6b6b6b", s=40, label=config.baseline, zorder=3)
        ax.axhline(0, color="0.5", lw=0.5)
        ax.axvline(0, color="0.5", lw=0.5)
        ax.set_xlabel(f"{la} ({a.direction})", fontsize=8)
        ax.set_ylabel(f"{lb}" + ("" if isinstance(b, str) else f" ({b.direction})"), fontsize=8)
        ax.legend(fontsize=7)
    return _save(fig, path, title=f"difference from {config.baseline}, per candidate")


def _err(fr: pd.DataFrame, label: str) -> np.ndarray:
    v = fr[label].to_numpy(float)
    lo = fr[f"{label}_ci_low"].to_numpy(float)
    hi = fr[f"{label}_ci_high"].to_numpy(float)
    return np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0).clip(min=0)


# ---------------------------------------------------------------------------------- report
def _ci(row: Any, label: str) -> str:
    v, lo, hi = row[label], row[f"{label}_ci_low"], row[f"{label}_ci_high"]
    return (
        f"{v:+.4g} [{lo:+.4g}, {hi:+.4g}]" if np.isfinite(lo) and np.isfinite(hi) else f"{v:+.4g}"
    )


def _clear(row: Any, label: str, direction: str) -> str:
    """Whether the interval is clear of 0, and on which side of the baseline."""
    lo, hi = row[f"{label}_ci_low"], row[f"{label}_ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 <= hi:
        return "not clear of 0"
    better = (lo > 0) == (direction == "max")
    return "better" if better else "worse"


def report(
    spec: ExperimentSpec,
    config: OptimizeConfig,
    front: pd.DataFrame,
    hist: pd.DataFrame,
    *,
    figures: bool = True,
) -> str:
    """The markdown report: which strategies are on the front, for whom, at what cost."""
    from experiments.spec import count_points

    conf = confidence_label(spec.analysis.confidence)
    n_points = count_points(spec)
    levers = [lv.key for lv in config.levers]
    labels = [o.label for o in config.objectives]
    costs = [f"{m}.mean" for m in COSTS if f"{m}.mean" in front.columns]
    n_eval = int(hist["evaluated"].iloc[-1]) if len(hist) else 0
    lines = [
        f"# Search: {spec.name}",
        "",
        f"{n_eval} candidate strategies ({config.candidate} with its levers set by NSGA-"
        f"{'II' if len(labels) <= 3 else 'III'}, population {config.pop_size}, "
        f"{config.generations} generations, optimiser seed {config.seed}) each ran on the same "
        f"{n_points} scenario(s) x {spec.replicates} replicate seed(s) as {config.baseline}; "
        f"every objective is a statistic of the paired differences candidate - "
        f"{config.baseline} over those pairs ({conf} CI).",
        "",
        "Objectives (for whom): "
        + "; ".join(
            f"{o.direction}imise the {o.statistic} of {o.measure}"
            + (f" among {o.cohort}" if o.cohort else " over all users")
            for o in config.objectives
        )
        + ".",
        "",
        f"## Strategies on the front ({len(front)})",
        "",
    ]
    if front.empty:
        lines.append("No candidate finished a run: there is no front.")
        return "\n".join(lines) + "\n"
    extra = [c for c in costs if c not in labels]
    head = ["candidate", *[lv.replace("strategy.", "") for lv in levers], *labels, *extra]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    groups = front.groupby("same_results_as", sort=False)["candidate"].agg(list)
    for _, r in front.iterrows():
        if r["same_results_as"] != r["candidate"] and r["same_results_as"] in set(
            front["candidate"]
        ):
            continue  # listed with the first candidate of the same results
        same = [c for c in groups[r["same_results_as"]] if c != r["candidate"]]
        name = r["candidate"] + (f" (same results: {', '.join(same)})" if same else "")
        cells = [name, *[_fmt_value(r[lv]) for lv in levers]]
        cells += [_ci(r, c) for c in [*labels, *extra]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    distinct = front["same_results_as"].nunique()
    if distinct < len(front):
        lines += [
            "",
            f"{len(front)} candidates, {distinct} distinct results: candidates listed together "
            "have exactly the same results, every objective and cost with its interval (lever values a little apart that made the same runs).",
        ]
    lines += ["", "Against " + config.baseline + ", objective by objective:"]
    for o in config.objectives:
        verdicts = [_clear(r, o.label, o.direction) for _, r in front.iterrows()]
        counts = {v: verdicts.count(v) for v in ("better", "worse", "not clear of 0")}
        lines.append(
            f"- {o.label}: {counts['better']} of {len(front)} front strategies better, "
            f"{counts['worse']} worse, {counts['not clear of 0']} not clear of 0."
        )
    units = {"staff_hours.mean": "staff-hours", "published.mean": "items published"}
    for c in costs:
        v = front[c]
        lines.append(
            f"- cost: the front's strategies differ from {config.baseline} by {v.min():+.4g} to "
            f"{v.max():+.4g} {units.get(c, c)} over the run (mean paired difference)."
        )
    lines += [
        "",
        "The front is chosen on the same runs that score it, so its values are optimistic (the "
        "best of many noisy estimates); run the strategies of interest as arms of an ordinary "
        "experiment, on new seeds, before reading their differences as findings.",
    ]
    if len(hist):
        h = hist.iloc[-1]
        lines += [
            "",
            f"Convergence (history.csv): the hypervolume went from {hist['hypervolume'].iloc[0]:.3f}"
            f" after generation 0 to {h['hypervolume']:.3f} after generation {int(h['generation'])}.",
        ]
    if figures:
        lines += [
            "",
            "![parallel coordinates](figures/optimize_parallel.png)",
            "",
            "![trade-offs](figures/optimize_tradeoff.png)",
        ]
    return "\n".join(lines) + "\n"


def _fmt_value(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
