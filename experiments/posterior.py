"""Uncertainty from a calibration posterior: draw parameter sets from a stored ABC-SMC
posterior, and split each paired difference's variance into seed noise and parameter
uncertainty.

A spec names the folder a calibration wrote (``python -m experiments calibrate``)::

    [uncertainties]
    posterior = "results/calibration"   # relative to the current directory, or absolute
    draws = 32                          # parameter sets drawn (default 32)

and reads two files of it, nothing else:

* ``posterior.parquet``: one row per particle of the calibration's last generation; a column
  per calibrated parameter (a ``model.Params`` field or a rule parameter such as
  ``following.churn_prob``), ``weight`` (the importance weights, summing to 1) and
  ``particle`` (an integer id);
* ``calibration.json``: the calibration's name, parameters, generation, epsilon, particle count,
  fixed values (``model.Params`` overrides, ``n_users`` among them), run length and whether it
  had finished.

**The draws** are a systematic resample of the weighted particles (Kitagawa 1996; Douc, Cappé &
Moulines 2005): one uniform ``u`` in [0, 1/n) from the spec's root seed, and the particle whose
cumulative weight first exceeds ``u + k/n`` is draw ``k``. Each particle is drawn
``floor(n w_i)`` or ``ceil(n w_i)`` times, so the draws follow the weights exactly in
expectation with the least resampling noise, and the same root seed gives the same draws.
Weighted sampling *without* replacement was rejected: it does not keep the weights' proportions
(each successive pick is taken from the particles left, which flattens unequal weights toward
uniform), and it is impossible for more draws than particles. A particle with a weight above
``1/n`` may therefore be drawn twice; its runs are then the same runs (and the runner runs them
once), which is what a draw from the posterior twice means.

**The split** (:func:`experiments.stats.variance_split`) is computed per arm, lever setting and
headline measure by :func:`split_table` from the paired differences of each (draw, replicate).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.spec_types import PosteriorDraws
from experiments.stats import variance_split

POSTERIOR_FILE = "posterior.parquet"
CALIBRATION_FILE = "calibration.json"
#: Draws when ``[uncertainties]`` names a posterior without ``draws``.
DEFAULT_DRAWS = 32
#: The spawn key of the draws' stream under the root seed (ASCII "post"): far above any
#: replicate's key (replicate r uses ``spawn_key=(r,)``), so the draws share no stream with a run.
DRAW_KEY = 0x706F7374
#: The keys of calibration.json this module reads.
CALIBRATION_KEYS = ("spec", "parameters", "generation", "epsilon", "n_particles", "fixed")

__all__ = [
    "CALIBRATION_FILE",
    "DEFAULT_DRAWS",
    "POSTERIOR_FILE",
    "PosteriorError",
    "draw_posterior",
    "read_posterior",
    "split_table",
    "systematic_resample",
]


class PosteriorError(ValueError):
    """A posterior folder that cannot be used: the message names the file and what is wrong."""


def systematic_resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` systematic draws from normalised ``weights`` (sorted ascending).

    Args:
        weights: Non-negative weights with a positive sum (normalised here).
        n: Draws.
        rng: The one uniform's source.
    """
    w = np.asarray(weights, dtype=float)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0  # rounding must not leave the last positions past the end
    positions = (rng.random() + np.arange(n)) / n
    return np.searchsorted(cum, positions, side="right")


def read_posterior(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any], str]:
    """The particles, calibration.json and the SHA-256 of posterior.parquet of a folder.

    Raises:
        PosteriorError: The folder or a file is missing or unreadable, or the files do not
            hold what the calibration's contract says (the message names which).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise PosteriorError(
            f"posterior folder {str(path)!r} does not exist (looked in {folder.resolve()}); "
            "a path is relative to the current directory: run `python -m experiments calibrate "
            "SPEC --out DIR` first, or name the folder it wrote"
        )
    parquet, meta_file = folder / POSTERIOR_FILE, folder / CALIBRATION_FILE
    for f in (meta_file, parquet):
        if not f.is_file():
            raise PosteriorError(
                f"{f} is missing: a calibration writes {POSTERIOR_FILE} and {CALIBRATION_FILE} at "
                "the end of its first generation; wait for one, or name another folder"
            )
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PosteriorError(f"{meta_file} cannot be read as JSON: {e}") from None
    if not isinstance(meta, dict):
        raise PosteriorError(f"{meta_file} must hold a JSON object, got {type(meta).__name__}")
    missing = [k for k in CALIBRATION_KEYS if k not in meta]
    if missing:
        raise PosteriorError(
            f"{meta_file} lacks {', '.join(missing)} (needed: {', '.join(CALIBRATION_KEYS)})"
        )
    params = meta["parameters"]
    if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
        raise PosteriorError(
            f"{meta_file}: parameters must be a non-empty list of names, got {params!r}"
        )
    if not isinstance(meta["fixed"], dict):
        raise PosteriorError(f"{meta_file}: fixed must be an object, got {meta['fixed']!r}")
    data = parquet.read_bytes()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        df = pq.read_table(pa.BufferReader(data)).to_pandas()
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise PosteriorError(f"{parquet} cannot be read as Parquet: {e}") from None
    need = [*params, "weight", "particle"]
    absent = [c for c in need if c not in df.columns]
    if absent:
        raise PosteriorError(
            f"{parquet} lacks the column(s) {', '.join(absent)} (needed: the parameters of "
            f"{CALIBRATION_FILE}, weight and particle; it has {', '.join(map(str, df.columns))})"
        )
    if df.empty:
        raise PosteriorError(f"{parquet} holds no particles")
    values = df[[*params, "weight"]].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise PosteriorError(f"{parquet} holds a missing or non-finite parameter value or weight")
    w = df["weight"].to_numpy(float)
    if (w < 0).any() or not w.sum() > 0:
        raise PosteriorError(
            f"{parquet}: weights must be non-negative with a positive sum, got sum {w.sum():g} "
            f"and minimum {w.min():g}"
        )
    return df, meta, hashlib.sha256(data).hexdigest()


def draw_posterior(path: str, draws: int, root_seed: int) -> PosteriorDraws:
    """``draws`` parameter sets from the posterior in ``path``, reproducibly from ``root_seed``.

    The calibration's fixed values are returned as they are (the spec loader applies those the
    spec does not set itself, :func:`experiments.spec_design.posterior_table`).

    Raises:
        PosteriorError: As :func:`read_posterior`.
    """
    df, meta, digest = read_posterior(path)
    params = tuple(meta["parameters"])
    rng = np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(DRAW_KEY,)))
    idx = systematic_resample(df["weight"].to_numpy(float), draws, rng)
    rows = df.iloc[idx]
    values = tuple(
        {p: float(v) for p, v in zip(params, r, strict=True)}
        for r in rows[list(params)].itertuples(index=False)
    )
    steps = meta.get("steps")
    return PosteriorDraws(
        path=str(path),
        resolved=str(Path(path).resolve()),
        sha256=digest,
        calibration=str(meta["spec"]),
        generation=int(meta["generation"]),
        epsilon=float(meta["epsilon"]),
        n_particles=int(meta["n_particles"]),
        finished=bool(meta.get("finished", False)),
        parameters=params,
        particles=tuple(int(p) for p in rows["particle"]),
        draws=values,
        fixed=dict(meta["fixed"]),
        calibration_steps=int(steps) if isinstance(steps, int | float) else None,
    )


# ---------------------------------------------------------------------------------- the split
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
    from experiments.report_tables import ci, fmt, table
    from experiments.stats import confidence_label

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
