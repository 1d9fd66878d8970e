"""The compiled elementary functions give the same bits as model.portable's array versions.

Tolerance: zero. Both follow the same sequence of correctly rounded IEEE operations, so any
difference is a defect (a reordered sum, a fused multiply-add, a C-library call).
"""

import numpy as np
import pytest

from model import jit, portable


def grid(lo: float, hi: float, n: int = 20_001) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.concatenate([np.linspace(lo, hi, n), rng.uniform(lo, hi, n)])


@pytest.mark.parametrize(
    ("name", "lo", "hi"),
    [
        ("exp", -750.0, 710.0),
        ("exp", -2.0, 2.0),
        ("expm1", -3.0, 3.0),
        ("log", 1e-300, 1e300),
        ("log", 1e-6, 4.0),
        ("log1p", -0.99, 5.0),
        ("expit", -40.0, 40.0),
        ("tanh", -30.0, 30.0),
    ],
)
def test_same_bits_as_portable(name, lo, hi):
    x = grid(lo, hi)
    want = getattr(portable, name)(x)
    f = getattr(jit, name)
    got = np.array([f(float(v)) for v in x])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))


def test_special_values():
    """inf, 0 and nan map as in portable (and C's exp/log): hand-checked values."""
    assert jit.exp(np.inf) == np.inf and jit.exp(-np.inf) == 0.0 and jit.exp(0.0) == 1.0
    assert jit.log(0.0) == -np.inf and jit.log(np.inf) == np.inf and jit.log(1.0) == 0.0
    assert jit.expit(0.0) == 0.5
    assert jit.power(0.5, 0.0) == 1.0 and jit.power(1.0, 7.3) == 1.0
    assert np.isnan(jit.exp(np.nan)) and np.isnan(jit.log(-1.0))


def test_power_same_bits_as_portable():
    """A scalar base with array exponents (the model's decays keep^age), bit for bit."""
    e = np.linspace(0.0, 400.0, 4001)
    for base in (0.9, 0.99, 0.5, 0.995):
        want = portable.power(base, e)
        got = np.array([jit.power(base, float(v)) for v in e])
        assert np.array_equal(got, want)
    # hand-computed: 0.5^3 = 0.125 exactly enough to compare to a few ulp
    assert abs(jit.power(0.5, 3.0) - 0.125) < 1e-16


def test_the_cache_folder_follows_the_sources(tmp_path, monkeypatch):
    """A changed source file anywhere in the package gives another cache folder (numba itself
    checks only the kernel's own file), and $NUMBA_CACHE_DIR is the base when set."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    before = jit.source_digest(tmp_path / "pkg")
    assert jit.source_digest(tmp_path / "pkg") == before  # stable
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 3\n")
    assert jit.source_digest(tmp_path / "pkg") != before
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    d = jit.cache_dir()
    assert d.parent == tmp_path / "cache" / "opinion-ecology" / "numba"
    assert d.name == jit.source_digest()
