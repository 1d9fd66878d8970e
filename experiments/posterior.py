"""Uncertainty from a calibration posterior: parameter sets drawn from a stored ABC-SMC
posterior, to be crossed with an experiment's arms and replicates.

A spec names the folder a calibration wrote (``python -m experiments calibrate``)::

    [uncertainties]
    posterior = "results/calibration"   # relative to the spec file's folder, or absolute
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

The spec loader (:mod:`experiments.spec_design`) checks the two keys here
(:func:`draw_table`, :func:`posterior_table`). **The split** of each difference's variance
(:func:`experiments.stats.variance_split`) is reported per arm, lever setting and headline
measure by :func:`experiments.report_tables.split_table`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.points import (
    RESERVED,
    STRATEGY_PREFIX,
    allowed_text,
    check_key_value,
    key_kind,
    numeric_bounds,
)
from experiments.spec_tables import Ctx
from experiments.spec_types import Design, PosteriorDraws

POSTERIOR_FILE = "posterior.parquet"
CALIBRATION_FILE = "calibration.json"
#: Draws when ``[uncertainties]`` names a posterior without ``draws``.
DEFAULT_DRAWS = 32
#: Most parameter sets a spec draws from one posterior.
MAX_DRAWS = 10_000
#: The spawn key of the draws' stream under the root seed (ASCII "post"): far above any
#: replicate's key (replicate r uses ``spawn_key=(r,)``), so the draws share no stream with a run.
DRAW_KEY = 0x706F7374
#: The [uncertainties] keys that draw from a calibration posterior (not parameters).
POSTERIOR_KEYS = ("posterior", "draws")
#: The keys of calibration.json this module reads.
CALIBRATION_KEYS = ("spec", "parameters", "generation", "epsilon", "n_particles", "fixed")

__all__ = [
    "CALIBRATION_FILE",
    "DEFAULT_DRAWS",
    "POSTERIOR_FILE",
    "PosteriorError",
    "draw_posterior",
    "draw_table",
    "posterior_table",
    "read_posterior",
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
            "a relative path given here is read from the current directory (in a spec, from "
            "the spec file's folder): run `python -m experiments calibrate SPEC --out DIR` "
            "first, or name the folder it wrote"
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
    for k in ("generation", "n_particles"):
        if isinstance(meta[k], bool) or not isinstance(meta[k], int):
            raise PosteriorError(f"{meta_file}: {k} must be a whole number, got {meta[k]!r}")
    if meta["epsilon"] is not None and (
        isinstance(meta["epsilon"], bool) or not isinstance(meta["epsilon"], int | float)
    ):
        raise PosteriorError(f"{meta_file}: epsilon must be a number, got {meta['epsilon']!r}")
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
        epsilon=float("nan") if meta["epsilon"] is None else float(meta["epsilon"]),
        n_particles=int(meta["n_particles"]),
        finished=bool(meta.get("finished", False)),
        parameters=params,
        particles=tuple(int(p) for p in rows["particle"]),
        draws=values,
        fixed=dict(meta["fixed"]),
        calibration_steps=int(steps) if isinstance(steps, int | float) else None,
    )


# ---------------------------------------------------------------------------------- spec checks
def draw_table(ctx: Ctx, raw: dict, table: dict[str, Any]) -> PosteriorDraws:
    """``posterior = "DIR"`` and ``draws = N`` checked, and the draws
    (:func:`experiments.posterior.draw_posterior`) as the files hold them."""
    path = ("uncertainties", "posterior")
    folder = table["posterior"]
    if not isinstance(folder, str) or not folder.strip():
        raise ctx.error(path, f"posterior must be a folder's path (a string), got {folder!r}")
    draws = table.get("draws", DEFAULT_DRAWS)
    if isinstance(draws, bool) or not isinstance(draws, int) or not 2 <= draws <= MAX_DRAWS:
        raise ctx.error(
            ("uncertainties", "draws"),
            f"draws must be a whole number of parameter sets, got {draws!r}",
            f"a whole number in [2, {MAX_DRAWS}]",
        )
    try:
        return draw_posterior(folder, draws, int(raw.get("root_seed", 0)))
    except PosteriorError as e:
        raise ctx.error(path, str(e)) from None


def posterior_table(
    ctx: Ctx, post: PosteriorDraws, design: Design, fixed: dict[str, Any]
) -> PosteriorDraws:
    """The draws of :func:`draw_table` checked against the design: their parameters and
    values, and the calibration's fixed values split into those every run gets and those the
    spec overrides.

    A posterior parameter may not also be fixed, given a range or choices, or be a lever
    (:func:`experiments.spec_design.design_table` checks the first two before the design's own
    checks, and that the posterior is not crossed with SALib's designs, whose indices read
    their sample's own structure).
    """
    path = ("uncertainties", "posterior")
    folder = post.path
    meta = f"{folder}/{CALIBRATION_FILE}"
    values: list[dict[str, Any]] = [{} for _ in post.draws]
    for k in post.parameters:
        try:
            kind = key_kind(k)
        except KeyError:
            kind = ""
        if kind != "param":
            raise ctx.error(
                path,
                f"the posterior in {folder} calibrates {k!r}, which is not a model.Params field "
                "or rule parameter",
                "model.Params fields and rule parameters (`python -m experiments params`)",
            )
        if numeric_bounds(k) is None:
            raise ctx.error(path, f"the posterior's parameter {k} is not numeric", "numbers")
        where = posterior_clash(k, design, fixed)
        if where:
            raise ctx.error(
                path,
                f"{k} is drawn from the posterior in {folder} and also {where}; keep one",
            )
        integer = numeric_bounds(k)[2]  # type: ignore[index]
        for i, draw in enumerate(post.draws):
            v = int(round(draw[k])) if integer else draw[k]
            try:
                values[i][k] = check_key_value(k, v)
            except (TypeError, ValueError) as e:
                raise ctx.error(
                    path,
                    f"particle {post.particles[i]} of {folder}: {e}",
                    allowed_text(k),
                ) from None
    applied: dict[str, Any] = {}
    overridden: dict[str, Any] = {}
    for k, v in post.fixed.items():
        if k in RESERVED:
            overridden[k] = [v, RESERVED[k]]
            continue
        if k in post.parameters:
            overridden[k] = [v, "drawn from the posterior"]
            continue
        if k.startswith(STRATEGY_PREFIX):
            # the calibration's base run broadcasts one way; its switches set effect targets'
            # arms, and here the strategy is what the experiment's arms compare
            overridden[k] = [v, "the strategy is set by the arms"]
            continue
        if k in fixed:
            overridden[k] = [v, fixed[k]]
            continue
        if k in design.keys:
            overridden[k] = [v, "varied by the spec's design"]
            continue
        try:
            key_kind(k)
            applied[k] = check_key_value(k, v)
        except KeyError:
            raise ctx.error(
                path,
                f"{meta}: fixed names {k!r}, which is not a model.Params field or rule parameter",
                "model.Params fields and rule parameters",
            ) from None
        except (TypeError, ValueError) as e:
            raise ctx.error(path, f"{meta}: fixed.{k}: {e}", allowed_text(k)) from None
    return dataclasses.replace(post, draws=tuple(values), fixed=applied, overridden=overridden)


def posterior_clash(k: str, design: Design, fixed: dict[str, Any]) -> str:
    """Where else the spec sets a posterior parameter (empty when nowhere)."""
    if k in fixed:
        return "set in [fixed]"
    if k in design.lever_keys:
        return "a lever"
    if k in design.uncertainty_keys:
        return "given a range or choices in [uncertainties]"
    return ""
