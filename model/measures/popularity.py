"""Popularity of items and the power-law fit of its tail.

Popularity is 1 (the publication) plus the forwards of an item (Weng et al. 2012). The tail is
fitted by the exact discrete maximum-likelihood estimate with the lower bound chosen by the
Kolmogorov-Smirnov criterion (Clauset, Shalizi & Newman 2009). Neither is part of the step
snapshot.
"""

from __future__ import annotations

import numpy as np

from model.measures._world import World


def popularity(model: World, born: tuple[int, int] | None = None) -> np.ndarray:
    """Popularity of each item: 1 (its publication) plus its forwards (Weng et al. 2012).

    Args:
        model: The model.
        born: Keep only items created in steps ``first..last`` (inclusive). Used to leave out
            the start-up transient (empty screens, no competition) and items too young to have
            finished spreading.
    """
    pop = 1 + model.content.forwards.astype(np.int64)
    if born is None:
        return pop
    first, last = born
    created = model.content.created
    return pop[(created >= first) & (created <= last)]


#: Fewest observations in the tail for a candidate xmin of :func:`fit_power_law`.
MIN_TAIL = 50


def _discrete_alpha(log_sum: float, n: int, xmin: int) -> float:
    """Exact discrete power-law MLE: argmax of -n ln zeta(alpha, xmin) - alpha sum ln x."""
    from scipy.optimize import minimize_scalar
    from scipy.special import zeta

    res = minimize_scalar(
        lambda a: n * np.log(zeta(a, xmin)) + a * log_sum,
        bounds=(1.0 + 1e-6, 10.0),
        method="bounded",
        options={"xatol": 1e-7},
    )
    return float(res.x)


def _ks_distance(values: np.ndarray, counts: np.ndarray, alpha: float, xmin: int) -> float:
    """Largest gap, over every integer >= xmin, between the tail's empirical CDF and the fit's."""
    from scipy.special import zeta

    emp = np.cumsum(counts) / counts.sum()
    fit = 1.0 - zeta(alpha, values + 1.0) / zeta(alpha, xmin)
    # the empirical CDF also jumps: compare just below each observed value as well
    emp_below = np.concatenate([[0.0], emp[:-1]])
    fit_below = 1.0 - zeta(alpha, values) / zeta(alpha, xmin)
    return float(max(np.abs(emp - fit).max(), np.abs(emp_below - fit_below).max()))


def fit_power_law(
    x: np.ndarray, xmin: int | None = None, min_tail: int = MIN_TAIL
) -> dict[str, float]:
    """Discrete power-law fit P(x) = x^-alpha / zeta(alpha, xmin) for x >= xmin (Clauset et al. 2009).

    alpha is the exact discrete maximum-likelihood estimate (Clauset, Shalizi & Newman 2009,
    eq. 3.5, maximised numerically with the Hurwitz zeta function); its standard error is
    (alpha - 1) / sqrt(n_tail) (their eq. 3.2). With ``xmin=None`` the lower bound is the
    candidate that minimises the Kolmogorov-Smirnov distance between the tail and its fit
    (their section 3.3), over every observed value that leaves at least ``min_tail``
    observations in the tail.

    Args:
        x: Positive integer observations.
        xmin: A fixed lower bound, or None to choose it by the KS criterion.
        min_tail: Fewest observations a KS-chosen tail may hold.

    Returns:
        alpha, alpha_se, xmin, ks (the KS distance of the fit), n_tail, n_items, decades
        (log10 of max / min over all observations) and tail_decades (log10 of max / xmin).
    """
    x = np.asarray(x, dtype=np.int64)
    nan = float("nan")
    out = {
        "alpha": nan,
        "alpha_se": nan,
        "xmin": nan,
        "ks": nan,
        "n_tail": 0.0,
        "n_items": float(len(x)),
        "decades": 0.0,
        "tail_decades": 0.0,
    }
    if len(x) == 0:
        return out
    if (x < 1).any():
        raise ValueError("power-law fits need positive integer observations (got a value < 1)")
    out["decades"] = float(np.log10(x.max() / x.min()))
    values, counts = np.unique(x, return_counts=True)
    # tail sums from the top: n and sum ln x over the observations >= values[i]
    n_ge = np.cumsum(counts[::-1])[::-1]
    log_ge = np.cumsum((counts * np.log(values))[::-1])[::-1]
    # a tail needs two distinct values to pin alpha down
    fittable = values < values[-1]
    if xmin is None:
        cands = np.flatnonzero(fittable & (n_ge >= min_tail))
    else:
        if isinstance(xmin, bool) or int(xmin) != xmin or xmin < 1:
            raise ValueError(
                f"xmin={xmin!r} must be a whole number >= 1, or None to choose it by KS"
            )
        cands = np.flatnonzero(fittable & (values >= xmin))[:1]
    fits = []
    for i in cands:
        xm = int(values[i]) if xmin is None else int(xmin)
        a = _discrete_alpha(float(log_ge[i]), int(n_ge[i]), xm)
        fits.append(
            (_ks_distance(values[i:].astype(np.float64), counts[i:], a, xm), a, xm, int(n_ge[i]))
        )
    if not fits:
        return out
    d, a, xm, n_tail = min(fits)
    out.update(
        alpha=a,
        alpha_se=float((a - 1.0) / np.sqrt(n_tail)),
        xmin=float(xm),
        ks=d,
        n_tail=float(n_tail),
        tail_decades=float(np.log10(values[-1] / xm)),
    )
    return out


def popularity_tail(
    model: World, xmin: int | None = None, born: tuple[int, int] | None = None
) -> dict[str, float]:
    """Power-law tail of item popularity: exponent, its lower bound and the decades spanned.

    See :func:`fit_power_law` (discrete MLE, xmin chosen by the Kolmogorov-Smirnov criterion
    of Clauset, Shalizi & Newman 2009 unless given) and :func:`popularity` for ``born``.
    """
    return fit_power_law(popularity(model, born), xmin=xmin)
