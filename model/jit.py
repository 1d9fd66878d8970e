"""Compiled kernels: numba's ``njit`` as the model uses it, and the portable elementary
functions (:mod:`model.portable`) as compiled scalar functions that give the same bits.

Every kernel of the step is compiled with :data:`njit`:

- ``cache=True``: the machine code is kept on disk and reused by every later process (a
  process-pool worker does not recompile; numba keys the cache on the CPU, so another CPU
  compiles its own). numba checks only the file of the kernel itself, not the kernels it
  calls in other modules (a changed ``model.jit.exp`` would leave every caller's stale code in
  place), so the cache lives in a folder named by a digest of every source file of the
  ``model`` package: any change to the model's code starts a fresh cache
  (:func:`cache_dir`; ``$NUMBA_CACHE_DIR`` or ``~/.cache``, then
  ``opinion-ecology/numba/<digest>``);
- no ``fastmath``: LLVM may neither reorder a sum nor fuse ``a * b + c`` into one FMA, so each
  ``+ - * /`` is the correctly rounded IEEE operation on every CPU, at any SIMD width;
- ``error_model="numpy"``: division by zero gives inf or nan as in numpy, not an exception.

Elementary functions inside a kernel come from here, never from ``math`` or ``np.exp``: those
call the C library, whose ``exp`` and ``log`` pick an FMA or a plain code path from the CPU.
The functions below follow :mod:`model.portable` operation by operation, so a kernel and the
array code give identical results (``tests/unit/test_jit.py`` checks it bit for bit).
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numba
import numpy as np

from model import portable


def source_digest(root: Path | None = None) -> str:
    """A digest of the source files under ``root`` (their paths and contents; default: the
    ``model`` package)."""
    root = Path(__file__).resolve().parent if root is None else root
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Where the compiled kernels of this version of the model's code are kept."""
    base = os.environ.get("NUMBA_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    base_path = Path(base) if base else Path.home() / ".cache"
    return base_path / "opinion-ecology" / "numba" / source_digest()


# Set before any kernel is decorated (every kernel module imports this one first): numba reads
# the folder when it creates a function's cache.
numba.config.CACHE_DIR = str(cache_dir())

njit = numba.njit(cache=True, nogil=True, error_model="numpy")

_EXP_TABLE = portable._EXP_TABLE.copy()
_EXPM1_TAYLOR = portable._EXPM1_TAYLOR.copy()
_INV_FACT1 = portable._INV_FACT[1:].copy()
_ATANH = portable._ATANH.copy()
_LN2_HI = portable.LN2_HI
_LN2_LO = portable.LN2_LO
_INV_LN2 = portable.INV_LN2
_EXP_MAX = portable.EXP_MAX
_EXP_MIN = portable.EXP_MIN
_N = portable._EXP_N


@njit
def horner(coef: np.ndarray, x: float) -> float:
    """sum_k coef[k] x^k by Horner's rule, in portable._horner's order."""
    out = coef[coef.shape[0] - 1]
    for i in range(coef.shape[0] - 2, -1, -1):
        out = out * x
        out = out + coef[i]
    return out


@njit
def _exp_core(x: float) -> float:
    k = np.rint(x * (_N * _INV_LN2))
    r = (x - k * (_LN2_HI / _N)) - k * (_LN2_LO / _N)
    ki = np.int64(k)
    t = _EXP_TABLE[ki & (_N - 1)]
    q = r * horner(_EXPM1_TAYLOR, r)
    return math.ldexp(t + t * q, np.int32(ki >> 5))  # type: ignore[arg-type]


@njit
def exp(x: float) -> float:
    """e^x, the same bits as portable.exp."""
    if x > _EXP_MIN - 1.0 and x <= _EXP_MAX:
        return _exp_core(x)
    if math.isnan(x):
        return x
    if x > _EXP_MAX:
        return math.inf
    if x < _EXP_MIN:
        return 0.0
    return _exp_core(x)


@njit
def expm1(x: float) -> float:
    """e^x - 1, the same bits as portable.expm1."""
    if abs(x) <= 0.5 * _LN2_HI:
        return x * horner(_INV_FACT1, x)
    return exp(x) - 1.0


@njit
def log(x: float) -> float:
    """ln x, the same bits as portable.log."""
    if not (x > 0.0 and x < math.inf):
        if x == 0.0:
            return -math.inf
        if x == math.inf:
            return math.inf
        return math.nan
    m, e = math.frexp(x)
    if m < 0.7071067811865476:
        m = 2.0 * m
        e = e - 1
    fe = float(e)
    f = m - 1.0
    s = f / (2.0 + f)
    lm = s * horner(_ATANH, s * s)
    return fe * _LN2_HI + (lm + fe * _LN2_LO)


@njit
def log1p(x: float) -> float:
    """ln(1 + x), the same bits as portable.log1p."""
    u = 1.0 + x
    d = u - 1.0
    if d == 0.0:
        return x
    if not math.isfinite(u):
        return log(u)
    return log(u) * (x / d)


@njit
def power(base: float, exponent: float) -> float:
    """base^exponent for base >= 0, the same bits as portable.power on arrays."""
    if exponent == 0.0 or base == 1.0:
        return 1.0
    return exp(exponent * log(base))


@njit
def expit(z: float) -> float:
    """1 / (1 + e^-z), the same bits as portable.expit."""
    return 1.0 / (1.0 + exp(-z))


@njit
def tanh(x: float) -> float:
    """tanh x, the same bits as portable.tanh."""
    if math.isnan(x):
        return x
    a = min(abs(x), 22.0)
    if abs(x) >= 22.0:
        out = 1.0
    else:
        em = expm1(2.0 * a)
        out = em / (em + 2.0)
    return math.copysign(out, x)
