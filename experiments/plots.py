"""Figures of an experiment report (matplotlib, Agg backend; no display needed).

* trajectories: each arm's mean over replicates per step with a t confidence band;
* forest plot: paired differences against the baseline with paired-t and BCa intervals;
* per-generation bars: each arm's mean per cohort with its CI;
* cascade-size CCDF per arm, log-log (Goel et al. 2016 plot cascades this way);
* for multi-point designs: a sensitivity ranking and partial-dependence panels;
* PRIM peeling trajectories (coverage against density) and Sobol/Morris index bars.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator, NullFormatter  # noqa: E402

from experiments.stats import confidence_label, t_intervals  # noqa: E402
from model.measures import catalogue  # noqa: E402

_FIXED = {"one_way": "#6b6b6b", "interactive": "#1f77b4", "scenario": "#ff7f0e"}
_CYCLE = ["#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def unit_of(measure: str) -> str:
    """The measure's unit from the catalogue, for an axis label ("" if not catalogued)."""
    m = catalogue.CATALOGUE.get(measure)
    return m.unit if m else ""


def arm_colors(arms: list[str]) -> dict[str, str]:
    """A stable colour per arm: presets keep theirs, others take the next free colour (the
    cycle repeats past its end: an explain folder has dozens of derived arms)."""
    out, free = {}, itertools.cycle(_CYCLE)
    for a in arms:
        out[a] = _FIXED.get(a) or next(free)
    return out


def _save(fig: plt.Figure, path: Path, title: str | None = None) -> Path:
    if title:
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0, 1, 0.96))
    else:
        fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _grid(
    n: int, ncols: int = 3, size: tuple[float, float] = (4.2, 3.0)
) -> tuple[plt.Figure, np.ndarray]:
    ncols = min(ncols, max(1, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def trajectories(
    ts: pd.DataFrame,
    measures: list[str],
    arms: list[str],
    path: Path,
    confidence: float = 0.95,
    hours_per_step: float = 1.0,
) -> Path:
    """Mean trajectory per arm with a t confidence band across replicates (and design points)."""
    colors = arm_colors(arms)
    fig, axes = _grid(len(measures))
    for ax, m in zip(axes.flat, measures, strict=False):
        for arm in arms:
            # runs x steps: the band is each step's t interval across runs
            wide = ts[ts["arm"] == arm].pivot(index="run_id", columns="step", values=m)
            _, mean, _, lo, hi = t_intervals(wide.to_numpy(float), confidence)
            x = wide.columns.to_numpy() * hours_per_step / 24.0
            ax.plot(x, mean, color=colors[arm], label=arm, lw=1.6)
            ax.fill_between(
                x,
                lo,
                hi,
                color=colors[arm],
                alpha=0.22,
                lw=0,
            )
        ax.set_title(m)
        ax.set_ylabel(unit_of(m))
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(frameon=False, fontsize=8)
    return _save(
        fig, path, f"Trajectories: mean and {confidence_label(confidence)} CI across replicates"
    )


def forest(
    comparison: pd.DataFrame, measures: list[str], path: Path, confidence: float = 0.95
) -> Path:
    """Paired difference of each arm against the baseline, one panel (own scale) per measure."""
    c = comparison[(comparison["generation"] == "all") & comparison["measure"].isin(measures)]
    arms = list(pd.unique(c["arm"]))
    colors = arm_colors(arms)
    fig, axes = plt.subplots(
        len(measures), 1, figsize=(7.0, 0.55 * len(arms) * len(measures) + 1.2), squeeze=False
    )
    for ax, m in zip(axes[:, 0], measures, strict=True):
        rows = c[c["measure"] == m]
        for i, arm in enumerate(arms):
            r = rows[rows["arm"] == arm]
            if r.empty:
                continue
            r = r.iloc[0]
            y = len(arms) - 1 - i
            ax.errorbar(
                r["diff"],
                y,
                xerr=[[r["diff"] - r["ci_lo"]], [r["ci_hi"] - r["diff"]]],
                fmt="o",
                color=colors[arm],
                capsize=3,
                ms=5,
            )
            if np.isfinite(r.get("boot_lo", np.nan)):
                ax.plot(
                    [r["boot_lo"], r["boot_hi"]],
                    [y - 0.22, y - 0.22],
                    color=colors[arm],
                    lw=3,
                    alpha=0.45,
                )
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(range(len(arms)), arms[::-1])
        ax.set_ylim(-0.6, len(arms) - 0.4)
        ax.set_ylabel(m, rotation=0, ha="right", va="center")
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.grid(axis="x", alpha=0.3)
    base = c["baseline"].iloc[0] if len(c) else "baseline"
    axes[0, 0].set_title(
        f"Paired difference vs {base}: mean, {confidence_label(confidence)} paired-t CI (bars), BCa bootstrap (thick)",
        fontsize=9,
    )
    return _save(fig, path)


def generations(
    summary: pd.DataFrame,
    measures: list[str],
    arms: list[str],
    path: Path,
    confidence: float = 0.95,
) -> Path:
    """Each arm's mean per generation with its CI, one panel per measure."""
    colors = arm_colors(arms)
    fig, axes = _grid(len(measures))
    width = 0.8 / max(1, len(arms))
    x = np.arange(len(catalogue.COHORTS))
    for ax, m in zip(axes.flat, measures, strict=False):
        s = summary[summary["measure"] == m]
        for i, arm in enumerate(arms):
            r = s[s["arm"] == arm].set_index("generation").reindex(list(catalogue.COHORTS))
            err = np.vstack([r["mean"] - r["ci_lo"], r["ci_hi"] - r["mean"]])
            ax.bar(
                x + (i - (len(arms) - 1) / 2) * width,
                r["mean"],
                width,
                yerr=np.nan_to_num(err),
                color=colors[arm],
                label=arm,
                capsize=2,
                error_kw={"lw": 0.8},
            )
        ax.set_xticks(x, catalogue.COHORTS)
        ax.set_title(m)
        ax.set_ylabel(unit_of(m))
        ax.grid(axis="y", alpha=0.3)
    axes.flat[0].legend(frameon=False, fontsize=8, loc="lower left")
    return _save(
        fig, path, f"By generation: mean and {confidence_label(confidence)} CI across replicates"
    )


def cascade_ccdf(cascades: pd.DataFrame, arms: list[str], path: Path) -> Path:
    """Complementary CDF P(size >= s) of cascade sizes per arm, pooled over runs, log-log."""
    colors = arm_colors(arms)
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    for arm in arms:
        s = np.sort(cascades.loc[cascades["arm"] == arm, "size"].to_numpy())
        s = s[s > 0]
        if not len(s):
            continue
        ccdf = 1.0 - np.arange(len(s)) / len(s)
        ax.step(s, ccdf, where="post", color=colors[arm], label=f"{arm} ({len(s)} items)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("cascade size s (users reached by an item)")
    ax.set_ylabel("P(size >= s)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Cascade-size CCDF per arm")
    return _save(fig, path)


def sensitivity_ranking(sens: pd.DataFrame, path: Path) -> Path:
    """Standardised regression coefficients of each factor, per arm and measure."""
    measures = list(pd.unique(sens["measure"]))
    arms = list(pd.unique(sens["arm"]))
    colors = arm_colors(arms)
    fig, axes = _grid(len(measures), ncols=3, size=(4.2, 3.2))
    for ax, m in zip(axes.flat, measures, strict=False):
        s = sens[sens["measure"] == m]
        factors = list(s.groupby("factor")["abs_src"].max().sort_values().index)
        height = 0.8 / max(1, len(arms))
        for i, arm in enumerate(arms):
            r = s[s["arm"] == arm].set_index("factor").reindex(factors)
            ax.barh(
                np.arange(len(factors)) + (i - (len(arms) - 1) / 2) * height,
                r["src"],
                height,
                color=colors[arm],
                label=f"{arm} (R²={r['r2'].max():.2f})",
            )
        ax.set_yticks(range(len(factors)), factors, fontsize=8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(f"Δ {m}", fontsize=10)
        ax.legend(frameon=False, fontsize=7)
        ax.grid(axis="x", alpha=0.3)
    title = "Sensitivity: standardised regression coefficients of the paired difference"
    return _save(fig, path, title)


def partial_dependence(pd_rows: pd.DataFrame, effects: pd.DataFrame, path: Path) -> Path:
    """Per factor: points' differences (dots) and binned means with CIs (lines), zero marked."""
    factors = list(pd.unique(pd_rows["factor"]))
    measure = pd_rows["measure"].iloc[0]
    arms = list(pd.unique(pd_rows["arm"]))
    colors = arm_colors(arms)
    fig, axes = _grid(len(factors), ncols=3, size=(4.0, 3.0))
    for ax, f in zip(axes.flat, factors, strict=False):
        for arm in arms:
            e = effects[effects["arm"] == arm]
            ax.scatter(e[f], e[measure], s=9, color=colors[arm], alpha=0.35, lw=0)
            r = pd_rows[(pd_rows["factor"] == f) & (pd_rows["arm"] == arm)]
            ax.errorbar(
                r["mid"],
                r["mean"],
                yerr=np.nan_to_num(np.vstack([r["mean"] - r["ci_lo"], r["ci_hi"] - r["mean"]])),
                color=colors[arm],
                marker="o",
                ms=4,
                capsize=2,
                label=arm,
            )
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlabel(f)
        ax.set_ylabel(f"Δ {measure}")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(frameon=False, fontsize=8)
    title = f"Partial dependence of Δ {measure} (arm − baseline): where the arm stops winning"
    return _save(fig, path, title)


def peeling(trajectories: pd.DataFrame, path: Path) -> Path:
    """PRIM's peeling trajectories: density against coverage, one panel per measure.

    Each line is one (arm, lever setting, box); the kept point is ringed.
    """
    measures = list(pd.unique(trajectories["measure"]))
    top = max(1, int(trajectories["res_dim"].max()))  # one colour scale for every panel
    fig, axes = _grid(len(measures), ncols=3, size=(4.0, 3.2))
    for ax, m in zip(axes.flat, measures, strict=False):
        t = trajectories[trajectories["measure"] == m]
        for (arm, label, box), g in t.groupby(["arm", "lever_label", "box"], sort=False):
            sc = ax.scatter(
                g["coverage"], g["density"], c=g["res_dim"], cmap="viridis", s=12, vmin=0, vmax=top
            )
            ax.plot(g["coverage"], g["density"], lw=0.6, alpha=0.5, color="k")
            sel = g[g["selected"]]
            ax.scatter(
                sel["coverage"],
                sel["density"],
                s=80,
                facecolors="none",
                edgecolors="r",
                label=f"{arm} [{label}] box {int(box) + 1}",
            )
        fig.colorbar(sc, ax=ax, label="restricted dims")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{m}: loses or ties", fontsize=10)
        ax.legend(frameon=False, fontsize=6)
        ax.grid(alpha=0.3)
    return _save(fig, path, "PRIM peeling trajectories (scenarios where the arm loses or ties)")


def indices_bars(indices: pd.DataFrame, path: Path, confidence: float = 0.95) -> Path:
    """Sobol S1 and ST (or Morris μ*) of each uncertainty with their CIs, one panel per measure."""
    sobol = "S1" in indices.columns
    cols = [("S1", "first order"), ("ST", "total")] if sobol else [("mu_star", "μ*")]
    groups = list(indices.groupby(["arm", "lever_label", "measure"], sort=False))
    fig, axes = _grid(len(groups), ncols=3, size=(4.2, 3.2))
    for ax, ((arm, label, m), g) in zip(axes.flat, groups, strict=False):
        factors = list(g["factor"])
        height = 0.8 / len(cols)
        for i, (c, name) in enumerate(cols):
            y = np.arange(len(factors)) + (i - (len(cols) - 1) / 2) * height
            v = g[c].to_numpy(float)
            err = [v - g[f"{c}_lo"].to_numpy(float), g[f"{c}_hi"].to_numpy(float) - v]
            ax.barh(y, v, height, xerr=err, capsize=2, label=name, color=_CYCLE[i])
        ax.set_yticks(range(len(factors)), factors, fontsize=8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(f"{arm} [{label}]: Δ {m}", fontsize=9)
        ax.legend(frameon=False, fontsize=7)
        ax.grid(axis="x", alpha=0.3)
    what = "Sobol indices" if sobol else "Morris screening"
    return _save(
        fig, path, f"{what} of the paired difference, {confidence_label(confidence)} bootstrap CI"
    )
