"""Elementary functions that give the same bits on every CPU (docs/ODD.md, "Reproducibility").

numpy chooses the kernel of ``exp``, ``log``, ``power``, ``tanh``, ``log1p``, ``arctanh`` and
their kin at run time from the CPU's SIMD level (AVX-512, AVX2 or SSE). The kernels agree to
about one unit in the last place, not bit for bit, and a last bit that reaches a comparison
with a random draw (a like, a comment, an unfollow) sends a run down another path on another
CPU. The functions here use only IEEE-754 basic operations (``+ - * /``, ``rint``, ``frexp``,
``ldexp``, comparisons), which are correctly rounded and so identical under every kernel.

Accuracy: a few units in the last place of float64 (``tests/unit/test_portable.py`` measures
it against Python's ``math`` on a grid of each domain). Cost: 15-30 array operations per call
instead of one; a decay that runs every step over every user is better kept lazy.

Scalar constants derived from parameters (``math.exp(-gamma)``) and numpy's random variates
use the C library's scalar functions, which are not SIMD-dispatched; see ODD for what that
leaves CPU-dependent.
"""

from __future__ import annotations

import numpy as np

# Cody & Waite's split of ln 2 (fdlibm's e_exp.c constants): LN2_HI has its low 21 bits zero,
# so k * LN2_HI is exact for every |k| < 2^21, far beyond the |k| <= 1075 that float64 needs.
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
# Beyond these exp overflows to inf or underflows to 0 in float64.
EXP_MAX = 709.782712893384
EXP_MIN = -745.1332191019412

# 1/k! for the Taylor series of exp on |r| <= ln2/2 (the 15th term is below 2^-60 there).
_INV_FACT = np.array([1.0 / np.prod(np.arange(1, k + 1, dtype=np.float64)) for k in range(15)])
# 2/(2k+1) for the series of log(m) = 2 atanh(s), |s| <= 0.1716 (s^26/27 < 2^-70).
_ATANH = np.array([2.0 / (2 * k + 1) for k in range(13)])


def _horner(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_k coef[k] x^k by Horner's rule (the same order of operations on every CPU)."""
    out = np.full_like(x, coef[-1])
    for c in coef[-2::-1]:
        out *= x
        out += c
    return out


def _f64(x: np.ndarray | float) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def exp(x: np.ndarray | float) -> np.ndarray:
    """e^x in float64: Cody-Waite reduction x = k ln2 + r, a Taylor series for e^r, then 2^k."""
    x = _f64(x)
    finite = np.isfinite(x)
    xc = np.clip(np.where(finite, x, 0.0), EXP_MIN - 1.0, EXP_MAX)
    k = np.rint(xc * INV_LN2)
    r = (xc - k * LN2_HI) - k * LN2_LO
    out = np.ldexp(_horner(_INV_FACT, r), k.astype(np.int32))
    out = np.where(x > EXP_MAX, np.inf, np.where(xc < EXP_MIN, 0.0, out))
    # inf -> inf, -inf -> 0, nan -> nan
    return np.where(finite, out, np.where(x > 0, np.inf, np.where(x < 0, 0.0, x)))


def expm1(x: np.ndarray | float) -> np.ndarray:
    """e^x - 1, accurate near 0 (a series below |x| = ln2/2, exp(x) - 1 above)."""
    x = _f64(x)
    small = np.abs(x) <= 0.5 * LN2_HI
    xs = np.where(small, x, 0.0)
    series = xs * _horner(_INV_FACT[1:], xs)
    return np.where(small, series, exp(np.where(small, 0.0, x)) - 1.0)


def log(x: np.ndarray | float) -> np.ndarray:
    """ln x in float64: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1))."""
    x = _f64(x)
    ok = np.isfinite(x) & (x > 0)
    m, e = np.frexp(np.where(ok, x, 1.0))
    low = m < 0.7071067811865476
    m = np.where(low, 2.0 * m, m)
    e = (e - low).astype(np.float64)
    f = m - 1.0  # exact (Sterbenz) for m in [1/2, 2]
    s = f / (2.0 + f)
    lm = s * _horner(_ATANH, s * s)
    out = e * LN2_HI + (lm + e * LN2_LO)
    # 0 -> -inf, negative -> nan, inf -> inf, nan -> nan
    special = np.where(x == 0, -np.inf, np.where(x == np.inf, np.inf, np.nan))
    return np.where(ok, out, special)


def log1p(x: np.ndarray | float) -> np.ndarray:
    """ln(1 + x), accurate near 0 (Goldberg 1991: log(u) x / (u - 1) with u = 1 + x)."""
    x = _f64(x)
    u = 1.0 + x
    d = u - 1.0
    exact = (d == 0) | ~np.isfinite(u)
    with np.errstate(invalid="ignore"):
        out = log(u) * (x / np.where(exact, 1.0, d))
    return np.where(exact, np.where(d == 0, x, log(u)), out)


def power(base: np.ndarray | float, exponent: np.ndarray | float) -> np.ndarray:
    """base^exponent for base >= 0 (exp(exponent ln base)); 0^0 = 1 as in C's pow."""
    base, exponent = np.broadcast_arrays(_f64(base), _f64(exponent))
    if np.any(base < 0):
        raise ValueError("portable.power takes base >= 0")
    with np.errstate(invalid="ignore"):
        out = exp(exponent * log(base))
    return np.where(exponent == 0, 1.0, np.where(base == 1, 1.0, out))


def tanh(x: np.ndarray | float) -> np.ndarray:
    """tanh x = expm1(2|x|) / (expm1(2|x|) + 2), with the sign of x (1 beyond |x| = 22)."""
    x = _f64(x)
    a = np.minimum(np.abs(x), 22.0)
    em = expm1(2.0 * a)
    out = np.where(np.abs(x) >= 22.0, 1.0, em / (em + 2.0))
    return np.where(np.isnan(x), x, np.copysign(out, x))


def arctanh(x: np.ndarray | float) -> np.ndarray:
    """atanh x = log1p(2|x| / (1 - |x|)) / 2, with the sign of x, for |x| <= 1."""
    x = _f64(x)
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * log1p(2.0 * a / (1.0 - a))
    out = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, out))
    return np.copysign(out, x)


def expit(z: np.ndarray | float) -> np.ndarray:
    """The logistic function 1 / (1 + e^-z)."""
    return 1.0 / (1.0 + exp(-_f64(z)))
