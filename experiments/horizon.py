"""The horizon check in the report: were the measures settled when the arms were compared?

Each run stores, per step measure, ``drift.<measure>``: the relative change
``|x_T - x_{T-w}| / max(|x_T|, |x_{T-w}|)`` over the last ``settle_window`` steps (default 24,
one simulated day), and ``settled.<measure>``: whether it is at most ``settle_tolerance``
(default 0.02). A comparison is *settled* when every run of both arms behind it (at that
design point, or at all points for the pooled rows) settled on that measure; the report flags
the others, because a difference read before the measures stopped moving depends on the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def settled_share(runs: pd.DataFrame, measure: str, point: int | None = None) -> dict[str, float]:
    """Per arm, the share of finished runs settled on ``measure`` (NaN if not recorded)."""
    col = f"settled.{measure}"
    ok = runs[runs["status"] == "ok"]
    if point is not None and point >= 0:
        ok = ok[ok["point_id"] == point]
    if col not in ok:
        return {}
    return {arm: float(g[col].fillna(False).astype(bool).mean()) for arm, g in ok.groupby("arm")}


def flag_comparison(comparison: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """``comparison`` with ``settled``: the lower of the two arms' settled shares (1 = settled).

    A row's shares are those of :func:`settled_share` at its design point (all points for a
    pooled row, ``point_id`` < 0); NaN for a per-generation row, a measure without a
    ``settled.*`` column and an arm without finished runs there. The shares of every point come
    from one group-by per measure: calling :func:`settled_share` per (measure, point) filtered
    the whole runs table 71,703 times for a 10,240-run Saltelli folder, most of ``report``'s
    time.
    """
    out = comparison.copy()
    values = np.full(len(out), np.nan)
    rows_all = (
        (out["generation"] == "all").to_numpy(bool)
        if "generation" in out
        else np.ones(len(out), bool)
    )
    ok = runs[runs["status"] == "ok"]
    point = pd.to_numeric(out["point_id"]).to_numpy(float)
    pooled = ~(point >= 0)  # NaN too, as settled_share reads it
    measure = out["measure"].to_numpy(object)
    for m in pd.unique(measure[rows_all]):
        col = f"settled.{m}"
        if col not in ok:
            continue
        settled = ok[col].fillna(False).astype(bool).astype(float)
        by_point = settled.groupby([ok["point_id"], ok["arm"]]).mean()
        by_arm = settled.groupby(ok["arm"]).mean()
        rows = rows_all & (measure == m)
        at = rows & ~pooled
        if at.any():
            pts = point[at].astype(np.int64)
            pair = [
                by_point.reindex(pd.MultiIndex.from_arrays([pts, out[who].to_numpy()[at]]))
                for who in ("arm", "baseline")
            ]
            values[at] = np.minimum(pair[0].to_numpy(float), pair[1].to_numpy(float))
        at = rows & pooled
        if at.any():
            pair = [by_arm.reindex(out[who].to_numpy()[at]) for who in ("arm", "baseline")]
            values[at] = np.minimum(pair[0].to_numpy(float), pair[1].to_numpy(float))
    out["settled"] = values
    return out


def horizon_lines(
    runs: pd.DataFrame, measures: list[str], tolerance: float, window: int
) -> list[str]:
    """The report's "Horizon check" section."""
    rows, unsettled = [], []
    for m in measures:
        s = settled_share(runs, m)
        if not s:
            continue
        if min(s.values()) < 1:
            unsettled.append(m)
        drift = runs.loc[runs["status"] == "ok", f"drift.{m}"].to_numpy(float)
        drift = drift[np.isfinite(drift)]  # NaN: the run stopped before the window began
        med, top = (f"{np.median(drift):.3g}", f"{drift.max():.3g}") if len(drift) else ("–", "–")
        rows.append(
            f"| {m} | " + "; ".join(f"{a}: {v:.0%}" for a, v in s.items()) + f" | {med} | {top} |"
        )
    if not rows:
        return []
    lines = [
        "## Horizon check",
        "",
        f"A run has *settled* on a measure when its relative change over the last {window} steps "
        f"is at most {tolerance:g} (`settle_tolerance`, `settle_window`). Share of runs settled "
        "per arm, and the median and largest relative change:",
        "",
        "| measure | settled (per arm) | median drift | max drift |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
    if unsettled:
        lines += [
            "**Not settled** in every run: "
            + ", ".join(unsettled)
            + ". Comparisons on these measures are marked *(unsettled)* in the tables: they "
            "were made before the measures stopped moving; a longer horizon may change them.",
            "",
        ]
    return lines
