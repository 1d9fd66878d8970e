"""Opinion climate: variance, bimodality, clusters and the echo-chamber index.

* opinion_variance: population variance of opinions (ddof 0);
* bimodality: Sarle's bimodality coefficient with the bias-corrected sample skewness and
  excess kurtosis (as SAS and ``scipy.stats`` with ``bias=False`` define them; Pfister et al.
  2013); above 5/9 suggests two modes;
* opinion_clusters: groups of sorted opinions closer than ``CLUSTER_TOL`` to their neighbour
  that hold at least ``min_share`` of users (the bounded-confidence clusters of Deffuant et al.
  2000, docs/validation.md);
* echo_chamber_index: Pearson correlation of opinions across acquaintance ties;
* exposure_distance: mean over users of the mean |opinion - stance| of the items each viewed
  (cumulative, the opinion at the time of the view): an exposure-based echo chamber, low when
  users see what they already think.

Each takes ``by=None`` or ``by="generation"`` (docs/ODD.md section 7.13). The ``*_joint``
functions give the overall and the per-cohort values in one pass, for the step snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from agents.generations import GENERATIONS
from model.constants import CLUSTER_TOL
from model.measures import kernels
from model.measures._cohort import N_COHORTS, By, by_gen, check_by, per_gen
from model.measures._world import World

#: Share of users (of the cohort, with ``by``) a counted opinion cluster must hold by default.
MIN_CLUSTER_SHARE = 0.05


def _variance(x: np.ndarray) -> float:
    return float(x.var()) if len(x) else float("nan")


def opinion_variance(model: World, by: By = None):
    """Variance of opinions."""
    return per_gen(model, _variance, by)


def _bimodality(x: np.ndarray) -> float:
    """Sarle's coefficient (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))), with the sample
    (bias-corrected) skewness g and excess kurtosis k, as SAS and scipy (bias=False) define them."""
    n = len(x)
    if n < 4:
        return float("nan")
    d = x - x.mean()
    d2 = d * d
    return sarle(n, d2.mean(), (d2 * d).mean(), (d2 * d2).mean())


def sarle(n: int, m2: float, m3: float, m4: float) -> float:
    """Sarle's coefficient of n values from their central moments m_k = mean((x - mean)^k)."""
    if n < 4 or m2 <= 1e-300:
        return float("nan")
    try:
        return _sarle(n, float(m2), float(m3), float(m4), math.sqrt)
    except (ZeroDivisionError, OverflowError):
        # numpy's scalars give inf or nan where Python's floats raise
        return _sarle(n, np.float64(m2), np.float64(m3), np.float64(m4), np.sqrt)


def _sarle(n: int, m2: Any, m3: Any, m4: Any, sqrt: Callable) -> float:
    # the same IEEE operations (and C's pow) on Python floats or on numpy's float64 scalars
    g1 = m3 / m2**1.5 * sqrt(n * (n - 1)) / (n - 2)
    g2 = ((n + 1) * (m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float((g1**2 + 1) / (g2 + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def bimodality(model: World, by: By = None):
    """Sarle's bimodality coefficient of opinions (> 5/9 suggests two modes)."""
    return per_gen(model, _bimodality, by)


def _clusters(xs: np.ndarray, min_count: float, tol: float) -> int:
    """Clusters of sorted opinions xs (neighbours within tol) holding at least min_count users."""
    if len(xs) == 0:
        return 0
    bounds = np.flatnonzero(np.diff(xs) > tol)
    sizes = np.diff(np.concatenate([[0], bounds + 1, [len(xs)]]))
    return int((sizes >= min_count).sum())


def opinion_clusters(
    model: World, min_share: float = MIN_CLUSTER_SHARE, by: By = None, tol: float | None = None
):
    """Opinion clusters holding at least ``min_share`` of users (of the cohort, with by).

    Opinions within ``tol`` (default ``CLUSTER_TOL`` = 1e-3) of their neighbour in sorted order
    form one cluster.
    """
    check_by(by)
    if not 0 <= min_share <= 1:
        raise ValueError(f"min_share={min_share} must be in [0, 1]")
    tol = CLUSTER_TOL if tol is None else tol
    return per_gen(model, lambda x: _clusters(np.sort(x), min_share * len(x), tol), by)


def clusters_joint(model: World) -> tuple[int, dict[str, int]]:
    """:func:`opinion_clusters` overall and per cohort from one sort per cohort."""
    # float32 sorts twice as fast and resolves gaps far below the 1e-3 tolerance
    x, g = model.state.opinion.astype(np.float32), model.state.gen
    runs = [np.sort(x[g == i]) for i in range(N_COHORTS)]
    # the merged sort of four sorted runs is near-linear (timsort)
    overall = _clusters(
        np.sort(np.concatenate(runs), kind="stable"), MIN_CLUSTER_SHARE * len(x), CLUSTER_TOL
    )
    return overall, {
        n: _clusters(runs[i], MIN_CLUSTER_SHARE * len(runs[i]), CLUSTER_TOL)
        for i, n in enumerate(GENERATIONS)
    }


def _echo_parts(model: World) -> np.ndarray:
    """Per cohort of the tie's owner: count, sum a, sum b, sum a^2, sum b^2, sum ab over ties.

    For a tie (a owner, b neighbour) the sums over a cohort's ties are sums over its owners of
    degree-weighted opinions (a, a^2) and of neighbour sums (b, b^2, ab): one gather of the
    neighbours' opinions in CSR order, two segment sums, and bincounts by cohort.
    """
    x, g = model.state.opinion, model.state.gen
    acq = model.networks.acq
    deg = acq.degree
    parts = np.zeros((N_COHORTS, 6))
    if len(acq.indices) == 0:
        return parts
    nb = x[acq.indices]
    rows = np.flatnonzero(deg)
    starts = acq.indptr[rows]
    nsum, nsq = np.zeros(len(x)), np.zeros(len(x))
    nsum[rows] = np.add.reduceat(nb, starts)
    nsq[rows] = np.add.reduceat(nb * nb, starts)
    dx = deg * x
    for j, w in enumerate((deg.astype(np.float64), dx, nsum, dx * x, nsq, x * nsum)):
        parts[:, j] = np.bincount(g, weights=w, minlength=N_COHORTS)
    return parts


def _corr_from(p: Any) -> float:
    """Pearson r from (ties, sum a, sum b, sum a^2, sum b^2, sum ab)."""
    try:
        n, sa, sb, saa, sbb, sab = (float(v) for v in p)
        return _corr(n, sa, sb, saa, sbb, sab, math.sqrt)
    except (ZeroDivisionError, OverflowError):
        # numpy's scalars give inf or nan where Python's floats raise
        n, sa, sb, saa, sbb, sab = (np.float64(v) for v in p)
        return _corr(n, sa, sb, saa, sbb, sab, np.sqrt)


def _corr(n: Any, sa: Any, sb: Any, saa: Any, sbb: Any, sab: Any, sqrt: Callable) -> float:
    # the same IEEE operations (and C's pow) on Python floats or on numpy's float64 scalars
    if n < 3:
        return float("nan")
    va, vb = saa / n - (sa / n) ** 2, sbb / n - (sb / n) ** 2
    if va <= 1e-15 or vb <= 1e-15:
        return float("nan")
    return float((sab / n - sa * sb / n**2) / sqrt(va * vb))


def echo_chamber_index(model: World, by: By = None):
    """Pearson correlation of opinions across acquaintance ties (neighbour-opinion correlation).

    With ``by``, over the ties of each cohort's users (to neighbours of any cohort).
    """
    check_by(by)
    parts = _echo_parts(model)
    if by is None:
        return _corr_from(parts.sum(axis=0))
    return {n: _corr_from(parts[i]) for i, n in enumerate(GENERATIONS)}


def echo_joint(model: World) -> tuple[float, dict[str, float]]:
    """:func:`echo_chamber_index` overall and per cohort from one pass over the ties."""
    parts = _echo_parts(model)
    return _corr_from(parts.sum(axis=0)), {
        n: _corr_from(parts[i]) for i, n in enumerate(GENERATIONS)
    }


def exposure_distance(model: World, by: By = None):
    """Mean over users who viewed anything of their mean |opinion - stance| of viewed items."""
    s = model.state
    seen = s.seen_count > 0
    per_user = np.divide(s.seen_distance, s.seen_count, out=np.zeros(len(seen)), where=seen)
    return by_gen(model, per_user, by, mask=seen)


def step_columns(model: World) -> dict[str, list[Any]]:
    """The opinion measures of the step snapshot, overall and per cohort, in three compiled
    passes (:mod:`model.measures.kernels`: moments, ties, clusters binned without a sort);
    equal, bit for bit, to each measure's own function (``tests/unit/test_measure_kernels.py``).

    Returns:
        measure name -> [overall value, then one per cohort in ``GENERATIONS`` order].
    """
    x, g = model.state.opinion, model.state.gen
    mom = kernels.opinion_moments(x, g, N_COHORTS).tolist()
    acq = model.networks.acq
    parts = kernels.echo_parts(x, g, N_COHORTS, acq.indptr, acq.indices)
    return {
        "opinion_variance": [m2 if n else float("nan") for n, m2, _, _ in mom],
        "bimodality": [sarle(int(n), m2, m3, m4) for n, m2, m3, m4 in mom],
        "opinion_clusters": kernels.clusters(x, g, N_COHORTS, CLUSTER_TOL, MIN_CLUSTER_SHARE),
        "echo_chamber": [_corr_from(parts.sum(axis=0).tolist()), *map(_corr_from, parts.tolist())],
    }
