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

import decimal
import functools
import math

import numpy as np


def _exp2(j: int, n: int) -> float:
    """2^(j/n) correctly rounded to float64, in decimal arithmetic (50 significant digits)."""
    with decimal.localcontext(decimal.Context(prec=50)):
        return float(decimal.Decimal(2) ** (decimal.Decimal(j) / decimal.Decimal(n)))


# Cody & Waite's split of ln 2 (fdlibm's e_exp.c constants): LN2_HI has its low 21 bits zero,
# so k * LN2_HI is exact for every |k| < 2^21, far beyond the |k| <= 1075 that float64 needs.
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
# Beyond these exp overflows to inf or underflows to 0 in float64.
EXP_MAX = 709.782712893384
EXP_MIN = -745.1332191019412

# exp's table: 2^(j/32), j = 0..31, correctly rounded (computed in decimal arithmetic to 50
# digits, so no C library is involved), and e^r - 1 = r + r^2/2 + ... + r^6/720 on |r| <= ln2/64
# (the next term is below 2^-57 of the result).
_EXP_N = 32
_EXP_TABLE = np.array([float(_exp2(j, _EXP_N)) for j in range(_EXP_N)])
_EXPM1_TAYLOR = np.array([1.0 / math.factorial(k) for k in range(1, 7)])
# 1/k! for expm1's series near 0 (|x| <= ln2/2: the 17th term is below 2^-60).
_INV_FACT = np.array([1.0 / math.factorial(k) for k in range(17)])
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
    """e^x in float64: x = (32 m + j) ln2/32 + r, e^x = 2^m 2^(j/32) e^r (Tang's method)."""
    x = _f64(x)
    if x.size and x.min() > EXP_MIN - 1.0 and x.max() <= EXP_MAX:
        return _exp_core(x)  # every value finite and in range (NaN fails the test above)
    finite = np.isfinite(x)
    xc = np.clip(np.where(finite, x, 0.0), EXP_MIN - 1.0, EXP_MAX)
    out = np.where(x > EXP_MAX, np.inf, np.where(xc < EXP_MIN, 0.0, _exp_core(xc)))
    # inf -> inf, -inf -> 0, nan -> nan
    return np.where(finite, out, np.where(x > 0, np.inf, np.where(x < 0, 0.0, x)))


def _exp_core(x: np.ndarray) -> np.ndarray:
    """e^x for finite x in [EXP_MIN - 1, EXP_MAX]."""
    k = np.rint(x * (_EXP_N * INV_LN2))
    # LN2_HI / 32 keeps LN2_HI's 21 trailing zero bits: k * it is exact for |k| < 2^21
    r = (x - k * (LN2_HI / _EXP_N)) - k * (LN2_LO / _EXP_N)
    ki = k.astype(np.int64)
    t = _EXP_TABLE[ki & (_EXP_N - 1)]
    q = r * _horner(_EXPM1_TAYLOR, r)
    return np.ldexp(t + t * q, (ki >> 5).astype(np.int32))


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
    """base^exponent for base >= 0 (exp(exponent ln base)); 0^0 = 1 and 1^y = 1 as in C's pow.

    A scalar base (the model's decays: keep^age) takes its logarithm from a cache, so a call
    costs one exp over the exponents.
    """
    b, e = _f64(base), _f64(exponent)
    if b.ndim == 0:
        if b < 0:
            raise ValueError(f"portable.power takes base >= 0, got {float(b)}")
        if b == 1:
            return np.ones(e.shape)
        lb = _log_scalar(float(b))
        if math.isfinite(lb):
            return exp(e * lb)  # e = 0 gives exp(0) = 1 exactly
    b, e = np.broadcast_arrays(b, e)
    if np.any(b < 0):
        raise ValueError("portable.power takes base >= 0")
    with np.errstate(invalid="ignore"):
        out = exp(e * log(b))
    return np.where(e == 0, 1.0, np.where(b == 1, 1.0, out))


@functools.lru_cache(maxsize=256)
def _log_scalar(b: float) -> float:
    return float(log(b))


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
