"""The files of ``explain``: ``attribution.csv``, the "Attribution" section of ``report.md`` and
one figure per explained arm (bars of shares of the total per measure, with whiskers).

Every file is written whole or not at all (:func:`experiments.files.atomic_write`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.files import atomic_write
from experiments.report_tables import ci, fmt, table
from experiments.stats import confidence_label

__all__ = [
    "attribution_markdown",
    "interaction_notes",
    "shares_figure",
    "terminal_table",
    "write_attribution",
]

#: The attribution table's file in the output folder.
EXPLAIN_FILE = "attribution.csv"
_COLORS = {"add_one": "#1f77b4", "leave_one_out": "#ff7f0e", "knock_out": "#2ca02c"}


def _share(x: float) -> str:
    return "" if not math.isfinite(x) else f"{round(100 * x)}%"  # an int: no "-0%"


def interaction_notes(att: pd.DataFrame) -> list[str]:
    """One sentence per (arm, measure, method) whose effects do not add up: the interaction
    residual's interval excludes 0."""
    notes = []
    r = att[att["component"] == "interaction"]
    bad = r[(r["ci_low"] > 0) | (r["ci_high"] < 0)]
    for row in bad.itertuples():
        total = att[
            (att["arm"] == row.arm) & (att["measure"] == row.measure) & (att["method"] == "total")
        ]["delta"].iloc[0]
        notes.append(
            f"{row.arm}, {row.measure}: the {row.method} deltas do not add up to the total "
            f"{fmt(total)}; residual {fmt(row.delta)} {ci(row.ci_low, row.ci_high)}"
        )
    return notes


def attribution_markdown(
    att: pd.DataFrame, ex: Any, confidence: float, figures: dict[str, Path] | None = None
) -> str:
    """The "Attribution" section of ``report.md``."""
    label = confidence_label(confidence)
    lines = [
        "## Attribution",
        "",
        f"Each arm's difference from {ex.baseline} (total), split by paired knock-outs: "
        f"`add_one` sets one switch of the arm in {ex.baseline}, `leave_one_out` sets it back in "
        "the arm, `knock_out` switches a model mechanism off in both arms (the delta is the "
        "total minus the total without it). Deltas are paired by replicate seed with their "
        f"{label} paired t interval; the share is delta / total, blank where the total's interval "
        "includes 0. `interaction` is the total minus the sum of that method's deltas.",
        "",
    ]
    if ex.mechanisms:
        lines.append(
            "Mechanisms switched off: "
            + "; ".join(
                f"{k} ({', '.join(f'{p} = {v}' for p, v in o.items())})"
                for k, o in ex.mechanisms.items()
            )
            + "."
        )
        lines.append("")
    for a in ex.arms:
        sub = att[att["arm"] == a]
        lines += [f"### {a} vs {ex.baseline}", ""]
        if ex.switches[a]:
            lines.append(f"Switches that differ: {', '.join(ex.switches[a])}.")
        else:
            lines.append(f"No switch differs from {ex.baseline}: the total is noise only.")
        lines.append("")
        rows = [
            [
                r.measure,
                r.component,
                r.method,
                fmt(r.delta),
                ci(r.ci_low, r.ci_high),
                _share(r.share_of_total),
                fmt(int(r.n)),
            ]
            for r in sub.itertuples()
        ]
        header = ["measure", "component", "method", "Δ", f"{label} CI", "share", "n"]
        lines += [table(header, rows), ""]
        if figures and a in figures:
            lines += [f"![attribution of {a}](figures/{figures[a].name})", ""]
    notes = interaction_notes(att)
    lines.append("### Where the effects do not add up")
    lines.append("")
    if notes:
        lines += [f"- {n}" for n in notes]
    else:
        lines.append(
            f"Nowhere: every interaction residual's {label} interval includes 0 (the switches' "
            "effects add up within the noise)."
        )
    lines.append("")
    return "\n".join(lines)


def shares_figure(att: pd.DataFrame, arm: str, path: Path, confidence: float = 0.95) -> Path:
    """Bars of each component's share of the total per measure, with whiskers.

    The whisker is the delta's paired interval divided by the mean total (the total's own
    uncertainty is not in it). Measures whose total's interval includes 0 get an empty panel
    saying so.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sub = att[(att["arm"] == arm) & att["method"].isin(list(_COLORS))]
    measures = list(dict.fromkeys(sub["measure"]))
    ncols = min(3, max(1, len(measures)))
    nrows = max(1, math.ceil(len(measures) / ncols))
    components = list(dict.fromkeys(sub["component"]))
    height = max(2.2, 0.32 * len(components) + 1.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, height * nrows), squeeze=False)
    for ax, m in zip(axes.ravel(), measures, strict=False):
        rows = sub[sub["measure"] == m]
        total = att[(att["arm"] == arm) & (att["measure"] == m) & (att["method"] == "total")]
        t = float(total["delta"].iloc[0])
        ax.set_title(m, fontsize=9)
        if rows["share_of_total"].isna().all():
            ax.text(
                0.5,
                0.5,
                f"total's {confidence_label(confidence)} CI\nincludes 0",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=8,
            )
            ax.set_yticks([])
            ax.set_xticks([])
            continue
        y = np.arange(len(components))
        width = 0.8 / len(_COLORS)
        for j, method in enumerate(_COLORS):
            r = rows[rows["method"] == method].set_index("component").reindex(components)
            share = r["share_of_total"].to_numpy(float)
            err = np.vstack(
                [(r["delta"] - r["ci_low"]) / abs(t), (r["ci_high"] - r["delta"]) / abs(t)]
            )
            ax.barh(
                y + (j - 1) * width,
                share,
                height=width,
                color=_COLORS[method],
                label=method,
                xerr=err,
                error_kw={"elinewidth": 0.8, "capsize": 2},
            )
        ax.axvline(0, color="0.5", lw=0.6)
        ax.axvline(1, color="0.5", lw=0.6, ls=":")
        ax.set_yticks(y, components, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("share of the total", fontsize=8)
    for ax in axes.ravel()[len(measures) :]:
        ax.axis("off")
    # the legend of the first panel with bars (a panel may say its total includes 0)
    handles, labels = next(
        (h for h in (ax.get_legend_handles_labels() for ax in axes.ravel()) if h[0]), ([], [])
    )
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"{arm}: shares of the difference from the baseline", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def write_attribution(
    out: str | Path,
    ex: Any,
    att: pd.DataFrame,
    confidence: float,
    *,
    figures: bool = True,
) -> dict[str, Path]:
    """Write ``attribution.csv``, the figures and ``report.md`` (the Attribution section).

    Returns:
        Name -> path of every file written.
    """
    out = Path(out)
    files: dict[str, Path] = {}
    files[EXPLAIN_FILE] = atomic_write(out / EXPLAIN_FILE, lambda tmp: att.to_csv(tmp, index=False))
    figs: dict[str, Path] = {}
    if figures:
        for a in ex.arms:
            path = out / "figures" / f"attribution_{a}.png"
            (out / "figures").mkdir(parents=True, exist_ok=True)
            figs[a] = atomic_write(path, lambda tmp, a=a: shares_figure(att, a, tmp, confidence))
            files[f"figures/{path.name}"] = figs[a]
    text = _header(ex) + attribution_markdown(att, ex, confidence, figs)
    files["report.md"] = atomic_write(out / "report.md", lambda tmp: tmp.write_text(text, "utf-8"))
    return files


def _header(ex: Any) -> str:  # ex: an experiments.explain.Explanation
    s = ex.spec
    derived = len(ex.derived.arms) - len(s.arms)
    description = f"{s.description}\n\n" if s.description else ""
    return (
        f"# Explaining {s.name}\n\n{description}"
        f"{len(ex.derived.arms)} arms ({len(s.arms)} of the spec, {derived} derived) x "
        f"{s.replicates} replicates, {s.steps} steps; baseline {ex.baseline}. Written by "
        "`python -m experiments explain`; `python -m experiments report` on this folder "
        "replaces this file with the arm-by-arm comparison.\n\n"
    )


def terminal_table(att: pd.DataFrame, confidence: float) -> str:
    """The attribution as aligned text for the terminal."""
    rows = [
        [
            r.arm,
            r.measure,
            r.component,
            r.method,
            fmt(r.delta),
            ci(r.ci_low, r.ci_high),
            _share(r.share_of_total),
        ]
        for r in att.itertuples()
    ]
    header = [
        "arm",
        "measure",
        "component",
        "method",
        "delta",
        f"{confidence_label(confidence)} CI",
        "share",
    ]
    return table(header, rows, markdown=False)
