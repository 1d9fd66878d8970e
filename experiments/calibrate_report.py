"""The report of a calibration folder: ``DIR/report.md``, its tables and figures.

* **Generations**: epsilon, simulations and acceptance rate of every ABC-SMC generation.
* **Screening**: Morris mu* of the distance per candidate and which were kept.
* **Posterior**: each calibrated parameter's weighted median and 90% interval against its
  prior range, and whether the targets pin it down. The rule: the posterior's 90% width over
  the prior's width, both in calibration units (log10 for log priors), is *pinned* below 0.5,
  *loose* above 0.8 and *partly* between.
* **Posterior predictive check**: ``draws`` particles drawn by weight (seeded by the spec's
  root seed), each simulated with a fresh seed; per target (fitted and held out): the data's
  value and interval, the model's median and 90% interval over the draws, whether the
  data's value lies inside that interval (``inside``), whether the data's own 90% range
  (value +- 1.645 sd) overlaps it (``consistent``), and z, the median's distance from the
  data in units of the target's sd. The held-out targets are reported apart, as
  validation: the fit never saw them.
* Figures (``DIR/figures``): the posterior marginals (weighted histograms on the prior range)
  and the pairs (weighted scatter of every pair of parameters).

The check's draws are stored in ``DIR/predictive.csv`` (one row per draw and target) and the
table in ``DIR/predictive_check.csv``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibrate_io import (
    HISTORY,
    POSTERIOR,
    RUN,
    SCREENING,
    STATE,
    bar,
    bounds,
    fingerprint,
    generation_table,
    parallel_map,
    priors_of,
    sim_targets,
    theta_seed,
)
from experiments.errors import StoreError
from experiments.files import atomic_write

PINNED, LOOSE = 0.5, 0.8
Z90 = 1.6449  # the normal's 95% quantile: value +- Z90 sd is a 90% range


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float | list[float]) -> np.ndarray:
    """Quantiles of weighted values (the weighted empirical CDF, midpoint rule)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.atleast_1d(q), cdf, x)


def posterior_table(post: pd.DataFrame, priors: list[Any]) -> pd.DataFrame:
    """Per parameter: prior range, weighted median and 90% interval, width ratio, verdict."""
    rows = []
    w = post["weight"].to_numpy(float)
    for p in priors:
        x = post[p.name].to_numpy(float)
        lo, hi = bounds(p)
        xc = np.log10(x) if p.scale == "log" else x  # widths compare in calibration units
        q5, q50, q95 = weighted_quantile(xc, w, [0.05, 0.5, 0.95])
        ratio = (q95 - q5) / (hi - lo)
        verdict = "pinned" if ratio < PINNED else ("loose" if ratio > LOOSE else "partly")
        back = (lambda v: 10.0**v) if p.scale == "log" else (lambda v: v)
        rows.append(
            {
                "parameter": p.name,
                "scale": p.scale,
                "prior_low": p.low,
                "prior_high": p.high,
                "median": back(q50),
                "q05": back(q5),
                "q95": back(q95),
                "width_ratio": ratio,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def predictive(
    spec: Any, post: pd.DataFrame, names: list[str], draws: int, workers: int, progress: bool
) -> pd.DataFrame:
    """``draws`` particles by weight, each simulated on a fresh seed: one row per draw, target."""
    rng = np.random.default_rng([spec.root_seed, 19])
    w = post["weight"].to_numpy(float)
    idx = rng.choice(len(post), size=draws, replace=True, p=w / w.sum())
    jobs = []
    for i, k in enumerate(idx):
        theta = {n: float(post[n].iloc[k]) for n in names}
        jobs.append((theta, theta_seed(spec.root_seed, theta, salt=f"predictive {i}")))
    with bar(len(jobs), "posterior predictive check", progress) as pbar:
        sims = parallel_map(_PredictOne(spec), jobs, workers, pbar)
    rows = []
    for i, (k, sim) in enumerate(zip(idx, sims, strict=True)):
        for name, value in sim.items():
            rows.append(
                {
                    "draw": i,
                    "particle": int(post["particle"].iloc[k]),
                    "target": name,
                    "value": value,
                }
            )
    return pd.DataFrame(rows)


class _PredictOne:
    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def __call__(self, job: tuple[dict[str, float], int]) -> dict[str, float]:
        return sim_targets(self.spec, job[0], job[1])


def check_table(spec: Any, draws: pd.DataFrame, data: dict[str, float] | None) -> pd.DataFrame:
    """Per target: data value and interval, model median and 90% interval, inside or not."""
    rows = []
    for t in spec.targets:
        v = draws.loc[draws["target"] == t.name, "value"].to_numpy(float)
        v = v[np.isfinite(v)]
        value = float(data[t.name]) if data and t.name in data else float(t.value)
        q5, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95]) if len(v) else (math.nan,) * 3
        rows.append(
            {
                "target": t.name,
                "measure": t.measure,
                "held_out": bool(t.held_out),
                "data": value,
                "sd": float(t.sd),
                "data_low": t.interval[0] if t.interval else math.nan,
                "data_high": t.interval[1] if t.interval else math.nan,
                "model_median": q50,
                "model_q05": q5,
                "model_q95": q95,
                "inside": "yes" if len(v) and q5 <= value <= q95 else "no",
                "z": (q50 - value) / float(t.sd),
                # the data's own 90% range (value +- 1.645 sd, the uncertainty the distance
                # uses) overlaps the model's: a miss by less than the figure's own uncertainty
                "consistent": "yes"
                if len(v) and q5 <= value + Z90 * t.sd and value - Z90 * t.sd <= q95
                else "no",
                "confidence": t.confidence,
                "n": len(v),
            }
        )
    return pd.DataFrame(rows)


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float | np.floating):
        if not math.isfinite(x):
            return "-"
        return f"{x:.3g}"
    return str(x)


def markdown(df: pd.DataFrame) -> str:
    """A plain Markdown table (no tabulate dependency)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in r) + " |")
    return "\n".join(lines)


def figures(out: Path, post: pd.DataFrame, priors: list[Any]) -> list[Path]:
    """Marginal histograms and the pairs plot of the weighted posterior (calibration units)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    w = post["weight"].to_numpy(float)
    k = len(priors)

    def col(p: Any) -> np.ndarray:
        x = post[p.name].to_numpy(float)
        return np.log10(x) if p.scale == "log" else x

    def label(p: Any) -> str:
        return f"log10 {p.name}" if p.scale == "log" else p.name

    ncols = min(3, k)
    nrows = math.ceil(k / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax, p in zip(axes.flat, priors, strict=False):
        lo, hi = bounds(p)
        ax.hist(
            col(p), bins=20, range=(lo, hi), weights=w, density=True, color="#1f77b4", alpha=0.8
        )
        ax.axhline(1.0 / (hi - lo), color="#6b6b6b", ls="--", lw=1, label="prior")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(label(p))
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("posterior marginals (weighted; dashed: uniform prior)")
    fig.tight_layout()
    paths = [_save(fig, fig_dir / "posterior_marginals.png")]

    fig, axes = plt.subplots(k, k, figsize=(2.4 * k + 1, 2.4 * k + 1), squeeze=False)
    size = 4 + 60 * w / w.max()
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i][j]
            if i == j:
                lo, hi = bounds(pi)
                ax.hist(col(pi), bins=15, range=(lo, hi), weights=w, color="#1f77b4", alpha=0.8)
                ax.set_xlim(lo, hi)
            elif i > j:
                ax.scatter(col(pj), col(pi), s=size, alpha=0.5, color="#1f77b4", lw=0)
                ax.set_xlim(*bounds(pj))
                ax.set_ylim(*bounds(pi))
            else:
                ax.set_visible(False)
            if i == k - 1:
                ax.set_xlabel(label(pj), fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(label(pi), fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("posterior pairs (point size: weight)")
    fig.tight_layout()
    paths.append(_save(fig, fig_dir / "posterior_pairs.png"))
    return paths


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight"))
    plt.close(fig)
    return path


def write_report(
    out: str | Path,
    *,
    spec: Any | None = None,
    draws: int = 30,
    workers: int = 2,
    progress: bool = True,
    figures_: bool = True,
) -> list[Path]:
    """Write report.md, predictive.csv, predictive_check.csv and the figures of ``out``.

    Args:
        out: A calibration folder with at least one finished generation.
        spec: The calibration spec; loaded from ``calibration.json``'s spec_path when None.
        draws: Posterior particles drawn for the predictive check.
        workers: Processes for the check's simulations.
        progress: A tqdm bar over the check's simulations.
        figures_: Draw the marginals and pairs figures.

    Returns:
        The files written.
    """
    import pyabc

    from experiments.targets import load_calibration

    out = Path(out)
    state = json.loads((out / STATE).read_text(encoding="utf-8"))
    run = json.loads((out / RUN).read_text(encoding="utf-8"))
    if spec is None:
        spec = load_calibration(state["spec_path"])
    if fingerprint(spec) != run.get("fingerprint"):
        raise StoreError(
            f"{out} was calibrated from another version of {state['spec_path']} (fixed values, "
            "steps, seed, priors or targets changed since); report it with the spec it was made from"
        )
    names = list(state["parameters"])
    priors = priors_of(spec, names)
    post = pd.read_parquet(out / POSTERIOR)
    history = pyabc.History("sqlite:///" + str((out / HISTORY).resolve()), _id=1)
    gens = generation_table(history)
    data = run.get("data")

    table = posterior_table(post, priors)
    pred = predictive(spec, post, names, draws, workers, progress)
    check = check_table(spec, pred, data)
    files = [
        atomic_write(out / "predictive.csv", lambda tmp: pred.to_csv(tmp, index=False)),
        atomic_write(out / "predictive_check.csv", lambda tmp: check.to_csv(tmp, index=False)),
        atomic_write(out / "posterior_summary.csv", lambda tmp: table.to_csv(tmp, index=False)),
    ]
    figs = figures(out, post, priors) if figures_ else []
    files += figs

    cols = ["target", "measure", "data", "data_low", "data_high", "sd", "model_median"]
    cols += ["model_q05", "model_q95", "inside", "consistent", "z", "confidence"]
    fitted, held = check[~check["held_out"]], check[check["held_out"]]
    screening = pd.read_csv(out / SCREENING) if (out / SCREENING).exists() else pd.DataFrame()
    lines = [
        f"# Calibration: {spec.name}",
        "",
        spec.description.strip(),
        "",
        f"Spec `{state['spec_path']}`; {spec.steps} steps; fixed: "
        + ", ".join(f"{k} = {v}" for k, v in spec.fixed.items())
        + ".",
        f"Generation {state['generation']} of the History, epsilon {_fmt(state['epsilon'])}, "
        f"{state['n_particles']} particles; "
        + (
            "finished."
            if state["finished"]
            else "**not finished** (stopped by the walltime or killed)."
        ),
    ]
    if data:
        lines += ["", "**Synthetic targets**: the data below were made by the model itself."]
    lines += ["", "## Generations", "", markdown(gens)]
    if "mu_star" in screening.columns:
        d = screening[screening["output"] == "distance"].sort_values("mu_star", ascending=False)
        lines += [
            "",
            "## Screening (Morris, on the distance)",
            "",
            "mu* per whole prior range; the parameters kept are calibrated, the rest stay at "
            "their fixed or default values.",
            "",
            markdown(d[["factor", "mu_star", "mu_star_lo", "mu_star_hi", "sigma", "kept"]]),
        ]
    elif len(screening):
        lines += ["", "## Screening", "", "None: every candidate was calibrated."]
    lines += [
        "",
        "## Posterior",
        "",
        f"Width ratio: the posterior's 90% width over the prior's (log10 units for log priors); "
        f"pinned below {PINNED}, loose above {LOOSE}, partly between.",
        "",
        markdown(table),
        ""
        if len(post) >= 100
        else f"*{len(post)} particles: the quantiles and verdicts are rough; a population of "
        "100 or more makes them stable.*",
        "",
        "![marginals](figures/posterior_marginals.png)" if figs else "",
        "![pairs](figures/posterior_pairs.png)" if figs else "",
        "",
        "## Posterior predictive check (fitted targets)",
        "",
        f"{draws} particles drawn by weight, each run on a fresh seed; inside: the data's value "
        "lies in the model's 90% interval (which holds seed noise and parameter uncertainty); "
        "consistent: the data's own 90% range (value +- 1.645 sd) overlaps that interval; "
        "z: the model's median minus the data's value, in units of the target's sd (what the "
        "distance weighs).",
        "",
        markdown(fitted[cols]),
        "",
        "## Held-out targets (validation)",
        "",
        markdown(held[cols]) if len(held) else "None held out.",
        "",
    ]
    text = "\n".join(lines)
    files.append(
        atomic_write(out / "report.md", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    )
    return files
