"""``report OUT``: the statistics tables, the figures and a Markdown report of an experiment.

Writes, into ``OUT``:

* ``summary.csv``: each arm's mean, sd, n and CI per design point and measure (overall and
  per generation);
* ``comparison.csv``: paired differences against the baseline (see :mod:`experiments.analysis`);
* ``posterior_split.csv`` for a spec that draws from a calibration posterior: each headline
  difference's variance split into seed noise and parameter uncertainty
  (:mod:`experiments.posterior`);
* ``sensitivity.csv`` and ``partial_dependence.csv`` for designs with many points (not for
  ``saltelli``/``morris`` designs, where SALib's indices replace the regression);
* with uncertainties: PRIM boxes (``discovery_boxes.csv``/``.md``, ``discovery_effects.csv``,
  ``discovery_trajectories.csv``) and Sobol or Morris indices (``sobol.csv``/``morris.csv``),
  see :func:`experiments.discovery.write_discovery`; a horizon-check section
  (:mod:`experiments.horizon`) and *(unsettled)* marks on comparisons of unsettled measures;
* ``figures/``: trajectories, forest plot, per-generation bars, cascade-size CCDF, and for
  multi-point designs the sensitivity ranking and partial dependence;
* ``report.md``: the experiment table (STRESS-ABS style: factors, levels, fixed values, run
  length, replicates, seeds), the headline differences with their intervals, who gains (by
  generation), replication adequacy, sensitivity, failures and the environment.

The tables the report prints are built in :mod:`experiments.report_tables` (re-exported here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import plots
from experiments.analysis import partial_dependence, sensitivity
from experiments.discovery_report import write_discovery
from experiments.horizon import flag_comparison, horizon_lines
from experiments.report_tables import (
    ci,
    experiment_table,
    fmt,
    generation_table,
    headline_point,
    headline_table,
    posterior_lines,
    split_table,
)
from experiments.report_tables import (
    table as _table,
)
from experiments.results import Results, load_results
from experiments.spec import count_points
from experiments.stats import confidence_label
from experiments.store import atomic_write
from model.measures import catalogue

__all__ = [
    "ci",
    "experiment_table",
    "fmt",
    "generation_table",
    "headline_point",
    "headline_table",
    "render_markdown",
    "write_report",
]


def write_report(
    out: str | Path, figures: bool = True, *, results: Results | None = None
) -> dict[str, Path]:
    """Compute the statistics of ``out`` and write the tables, figures and ``report.md``.

    Args:
        out: An output directory of :func:`experiments.run`.
        figures: Also draw the figures.
        results: ``load_results(out)`` when the caller has it (``report`` does): loading a
            10,240-run folder takes minutes, most of it checking every part against the plan.

    Returns:
        Name -> path of every file written.
    """
    out = Path(out)
    res = load_results(out) if results is None else results
    if res.ok.empty:
        raise ValueError(f"{out} has no finished runs to report on")
    spec, a = res.spec, res.spec.analysis
    measures = res.measures
    head = [m for m in a.headline if m in measures]
    files: dict[str, Path] = {}

    summary = res.summary()
    comparison = flag_comparison(res.compare(), res.runs)
    files["summary.csv"] = out / "summary.csv"
    _write_csv(summary, files["summary.csv"])
    files["comparison.csv"] = out / "comparison.csv"
    _write_csv(comparison, files["comparison.csv"])
    point = headline_point(res)
    arms = list(spec.arm_names)

    sens = pdp = effects = None
    num_points = count_points(spec)
    # SALib's indices replace the regression for the designs it reads (saltelli, morris)
    if num_points > 1 and res.factors and spec.design.kind not in ("saltelli", "morris"):
        effects = res.effects(head)
        from experiments.analysis import numeric_factors

        num = numeric_factors(effects, res.factors)
        if num and num_points >= 2 * (len(num) + 2):
            sens = sensitivity(effects, num, head)
            files["sensitivity.csv"] = out / "sensitivity.csv"
            _write_csv(sens, files["sensitivity.csv"])
            pdp = pd.concat(
                [
                    partial_dependence(effects, f, m, confidence=a.confidence)
                    for m in head
                    for f in num
                ],
                ignore_index=True,
            )
            files["partial_dependence.csv"] = out / "partial_dependence.csv"
            _write_csv(pdp, files["partial_dependence.csv"])

    figs: dict[str, Path] = {}
    if figures:
        fdir = out / "figures"
        step_head = [m for m in head if catalogue.measure(m).when == "step"]
        ts = res.timeseries(step_head) if spec.measure_every and step_head else pd.DataFrame()
        if not ts.empty:
            figs["trajectories"] = _figure(
                fdir / "trajectories.png",
                plots.trajectories,
                ts,
                step_head,
                arms,
                confidence=a.confidence,
            )
        figs["forest"] = _figure(
            fdir / "forest.png",
            plots.forest,
            comparison[comparison["point_id"] == point],
            head,
            confidence=a.confidence,
        )
        gen_measures = [m for m in head if catalogue.measure(m).per_cohort]
        if gen_measures:
            pooled = (
                summary_pooled(res, gen_measures)
                if point == -1
                else summary[summary["point_id"] == 0]
            )
            figs["generations"] = _figure(
                fdir / "generations.png",
                plots.generations,
                pooled,
                gen_measures,
                arms,
                confidence=a.confidence,
            )
        cas = res.cascades()
        if not cas.empty:
            figs["cascade_ccdf"] = _figure(fdir / "cascade_ccdf.png", plots.cascade_ccdf, cas, arms)
        if sens is not None and not sens.empty:
            figs["sensitivity"] = _figure(fdir / "sensitivity.png", plots.sensitivity_ranking, sens)
            figs["partial_dependence"] = _figure(
                fdir / "partial_dependence.png",
                plots.partial_dependence,
                pdp[pdp["measure"] == boundary_measure(sens)],
                effects,
            )
        files.update({f"figures/{p.name}": p for p in figs.values()})

    disc_files, disc_figs, disc_lines = write_discovery(res, figures)
    files.update(disc_files)
    figs.update(disc_figs)
    post_lines = None
    if spec.design.posterior is not None:
        split = split_table(res, head)
        files["posterior_split.csv"] = out / "posterior_split.csv"
        _write_csv(split, files["posterior_split.csv"])
        post_lines = posterior_lines(res, split)
    md = render_markdown(
        res, comparison, head, point, figs, sens, pdp, effects, disc_lines, post_lines
    )
    files["report.md"] = out / "report.md"
    atomic_write(files["report.md"], lambda tmp: tmp.write_text(md, encoding="utf-8"))
    return files


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def _figure(path: Path, draw: Any, *args: Any, **kwargs: Any) -> Path:
    """``draw(*args, tmp, **kwargs)`` to a temporary name, then rename: whole or absent."""
    atomic_write(path, lambda tmp: draw(*args, tmp, **kwargs))
    return path


def summary_pooled(res: Results, measures: list[str]) -> pd.DataFrame:
    """Summary over all design points pooled (each run one observation)."""
    from experiments.analysis import summarize

    runs = res.runs.assign(point_id=-1)
    cols = [c for c in res.measures if catalogue.parse_column(c)[0] in measures]
    return summarize(runs, cols, res.spec.analysis.confidence)


def render_markdown(
    res: Results,
    comparison: pd.DataFrame,
    head: list[str],
    point: int,
    figs: dict[str, Path],
    sens: pd.DataFrame | None,
    pdp: pd.DataFrame | None,
    effects: pd.DataFrame | None,
    discovery: list[str] | None = None,
    posterior: list[str] | None = None,
) -> str:
    """The text of ``report.md``; ``posterior`` is the posterior's section, if any
    (:func:`experiments.report_tables.posterior_lines`)."""
    s, a = res.spec, res.spec.analysis
    conf = confidence_label(a.confidence)
    lines = [f"# Experiment report: {s.name}", ""]
    if s.description:
        lines += [s.description, ""]
    lines += ["## Experiment", "", experiment_table(res), ""]
    if res.older is not None:
        lines += [f"**Results from an older version.** {res.older.message(res.out)}.", ""]
    scope = (
        "the only design point"
        if point == 0
        else "pooled over all design points (pairs stay within a point and replicate)"
    )
    lines += [
        "## Headline: paired differences against " + f"`{a.baseline}`",
        "",
        f"Δ = arm − {a.baseline}, paired by replicate (same seed), {scope}. {conf} CI from the paired t "
        "(`scipy.stats.ttest_rel`); BCa bootstrap for the measures listed in `analysis.bootstrap`. "
        "d_z = mean(Δ)/sd(Δ); A12 = P(arm run > baseline run); r = within-pair correlation "
        "(how much common random numbers helped). *adequate*: CI half-width below the smallest "
        "difference that matters (`analysis.min_difference`, else "
        f"{a.relative_min_difference:.0%} of the larger mean); otherwise the pairs needed for 80% power.",
        "",
        headline_table(comparison, head, point, confidence=a.confidence),
        "",
    ]
    lines += posterior or []
    cas = [
        m
        for m in catalogue.names(when="final", experiment=True)
        if m in {catalogue.parse_column(c)[0] for c in res.measures} and m not in head
    ]
    if cas:
        lines += [
            "### Cascades",
            "",
            headline_table(comparison, cas, point, confidence=a.confidence),
            "",
        ]
    gen_head = [m for m in head if catalogue.measure(m).per_cohort]
    if gen_head:
        lines += [
            "## For whom: Δ by generation",
            "",
            f"Δ [{conf} paired-t CI] per cohort.",
            "",
            generation_table(comparison, gen_head, point),
            "",
        ]
    c = comparison[(comparison["point_id"] == point)]
    bad = c[c["adequate"] == False]  # noqa: E712 - a column of True/False/None
    lines += ["## Replication adequacy", ""]
    if len(c):
        n = int(c["n"].max())
        lines.append(
            f"{len(c) - len(bad)} of {len(c)} differences (all measures and cohorts) have a CI half-width below "
            f"their smallest difference that matters with n = {n} pairs."
        )
        head_bad = bad[(bad["generation"] == "all") & bad["measure"].isin(head)]
        if len(head_bad):
            lines += [
                "",
                "Headline measures that need more replicates (pairs for 80% power at δ):",
                "",
            ]
            lines += [
                f"- {r.arm} {r.measure}: half-width {fmt(r.half_width)} vs δ {fmt(r.min_difference)} → n ≈ {fmt(r.n_needed)}"
                for r in head_bad.itertuples()
            ]
        lines.append("")
    if point == -1 and count_points(s) <= 12:
        lines += ["## Per design point", "", _per_point(res, comparison, head[0]), ""]
    lines += horizon_lines(res.runs, head, s.settle_tolerance, s.settle_window)
    lines += discovery or []
    if sens is not None and not sens.empty and effects is not None:
        lines += _sensitivity_section(sens, pdp, effects, head, a.baseline, a.confidence)
    if figs:
        lines += ["## Figures", ""]
        lines += [f"![{name}](figures/{p.name})" for name, p in figs.items()]
        lines.append("")
    lines += ["## Failures", ""]
    if res.failed.empty:
        lines.append("None: every run finished.")
    else:
        lines += [f"- `{r.run_id}` (seed {r.seed}): {r.error}" for r in res.failed.itertuples()]
    env = res.manifest.get("environment", {})
    git = env.get("git", {})
    pk = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    secs = res.ok["seconds"]
    lines += [
        "",
        "## Provenance",
        "",
        f"- git commit `{git.get('commit')}`{' (uncommitted changes)' if git.get('dirty') else ''}; Python {env.get('python')}; {env.get('platform')}",
        f"- {pk}",
        f"- run time: {fmt(secs.sum() / 60, 3)} minutes of run time (wall clock per run, summed) in {len(secs)} runs (mean {fmt(secs.mean(), 3)} s per run)",
        "- files: `runs/`, `timeseries/`, `cascades/` (Parquet parts), `manifest.json`, `summary.csv`, `comparison.csv`",
        "",
    ]
    return "\n".join(lines)


def _per_point(res: Results, comparison: pd.DataFrame, measure: str) -> str:
    c = comparison[
        (comparison["generation"] == "all")
        & (comparison["measure"] == measure)
        & (comparison["point_id"] >= 0)
    ]
    fac = res.runs.groupby("point_id")[[f"factor.{f}" for f in res.factors]].first()
    conf = confidence_label(res.spec.analysis.confidence)
    header = ["point", *res.factors, "arm", f"Δ {measure}", f"{conf} CI", "n"]
    rows = []
    for r in c.itertuples():
        vals = [fmt(v) if isinstance(v, float) else str(v) for v in fac.loc[r.point_id]]
        rows.append([str(r.point_id), *vals, r.arm, fmt(r.diff), ci(r.ci_lo, r.ci_hi), str(r.n)])
    return _table(header, rows)


def boundary_measure(sens: pd.DataFrame) -> str:
    """The headline measure on which the arm beats the baseline at the fewest design points."""
    share = sens.groupby("measure", sort=False)["share_positive"].min()
    return str(share.idxmin())


def _sensitivity_section(
    sens: pd.DataFrame,
    pdp: pd.DataFrame,
    effects: pd.DataFrame,
    head: list[str],
    baseline: str,
    confidence: float = 0.95,
) -> list[str]:
    lines = ["## Where does the arm stop winning? Sensitivity", ""]
    lines.append(
        f"Each point's Δ (arm − {baseline}, mean over its replicates) is regressed on the standardised "
        "factors; |SRC| ranks the factors (R² says how much a linear model explains). Spearman's ρ "
        "is the rank correlation; 'wins' is the share of points with Δ > 0."
    )
    lines.append("")
    for (arm, m), g in sens.groupby(["arm", "measure"], sort=False):
        g = g.sort_values("rank")
        top = ", ".join(
            f"{r.factor} (SRC {fmt(r.src, 2)}, ρ {fmt(r.spearman, 2)})" for r in g.itertuples()
        )
        lines.append(
            f"- **{arm}, Δ {m}**: mean Δ {fmt(g['mean_diff'].iloc[0])}, wins at {g['share_positive'].iloc[0]:.0%} of {g['points'].iloc[0]} points; R² {fmt(g['r2'].iloc[0], 2)}; ranking: {top}"
        )
    lines.append("")
    m = boundary_measure(sens)
    pdp = pdp[pdp["measure"] == m]
    lines += [
        f"### Partial dependence of Δ {m}",
        "",
        f"Δ {m} is the headline measure on which the arm wins at the fewest points. Binned means "
        f"(quintiles of each factor) with {confidence_label(confidence)} CI; bins where the arm does not beat the baseline "
        "are marked **≤ 0**. `partial_dependence.csv` holds every headline measure.",
        "",
    ]
    header = ["arm", "factor", *[f"bin {b + 1}" for b in range(int(pdp["bin"].max()) + 1)]]
    rows = []
    for (arm, f), g in pdp.groupby(["arm", "factor"], sort=False):
        cells = [arm, f]
        for r in g.itertuples():
            mark = " **≤ 0**" if np.isfinite(r.mean) and r.mean <= 0 else ""
            cells.append(f"{fmt(r.lo, 3)}–{fmt(r.hi, 3)}: {fmt(r.mean, 3)}{mark}")
        rows.append(cells)
    lines += [_table(header, rows), ""]
    return lines
