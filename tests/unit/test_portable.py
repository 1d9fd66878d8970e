"""CPU-independent elementary functions (model/portable.py): values, special cases, accuracy.

Accuracy is measured in units in the last place (ulp) against Python's ``math``, which calls
the C library's correctly rounded or nearly so scalar functions. The bounds (2-6 ulp) are
what the series and reductions give with a margin (power: 32, its error grows with |e ln b|); a coding error (a wrong coefficient, a lost
term, a wrong split of ln 2) costs thousands of ulp or more, so these bounds catch it.
"""

import math

import numpy as np
import pytest

from model import portable as P

RNG = np.random.default_rng(20261206)


def ulp_error(got: np.ndarray, exact: list[float]) -> float:
    want = np.asarray(exact, dtype=np.float64)
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))


def test_hand_computed_values():
    # e^0 = 1, e^1 = e, ln e = 1, ln 1 = 0, 2^10 = 1024, tanh 0 = 0 exactly
    assert P.exp(0.0) == 1.0
    assert P.exp(1.0) == pytest.approx(math.e, rel=2e-16)
    assert P.log(math.e) == pytest.approx(1.0, rel=2e-16)
    assert P.log(1.0) == 0.0
    assert P.power(2.0, 10.0) == pytest.approx(1024.0, rel=1e-15)
    assert P.tanh(0.0) == 0.0
    assert P.expit(0.0) == 0.5
    # log1p and expm1 keep tiny arguments: log1p(x) = x - x^2/2 to double precision
    assert P.log1p(1e-10) == pytest.approx(1e-10 - 5e-21, rel=1e-15)
    assert P.expm1(1e-10) == pytest.approx(1e-10 + 5e-21, rel=1e-15)


@pytest.mark.parametrize(
    ("name", "sample", "reference", "bound"),
    [
        ("exp", lambda: RNG.uniform(-700, 700, 20_000), math.exp, 2),
        ("exp", lambda: RNG.uniform(-1, 1, 20_000), math.exp, 2),
        ("log", lambda: np.exp(RNG.uniform(-700, 700, 20_000)), math.log, 3),
        ("log1p", lambda: RNG.uniform(-0.9, 3, 20_000), math.log1p, 4),
        ("expm1", lambda: RNG.uniform(-2, 2, 20_000), math.expm1, 6),
        ("tanh", lambda: RNG.uniform(-20, 20, 20_000), math.tanh, 6),
        ("arctanh", lambda: RNG.uniform(-0.999, 0.999, 20_000), math.atanh, 6),
    ],
)
def test_accuracy_in_ulp(name, sample, reference, bound):
    x = sample()
    assert ulp_error(getattr(P, name)(x), [reference(v) for v in x]) <= bound


def test_power_accuracy_grows_only_with_the_exponent_times_log():
    b, e = RNG.uniform(1e-3, 3, 20_000), RNG.uniform(-3, 3, 20_000)
    # relative error ~ |e ln b| x 2^-53; |e ln b| <= 21 here
    assert ulp_error(P.power(b, e), [math.pow(u, v) for u, v in zip(b, e, strict=True)]) <= 32
    k = RNG.integers(0, 2000, 5000)
    assert ulp_error(P.power(0.999, k), [0.999 ** int(v) for v in k]) <= 16


def test_special_values():
    inf, nan = np.inf, np.nan
    np.testing.assert_array_equal(P.exp([inf, -inf, 800.0, -800.0]), [inf, 0.0, inf, 0.0])
    assert np.isnan(P.exp(nan))
    np.testing.assert_array_equal(P.log([0.0, inf]), [-inf, inf])
    assert np.isnan(P.log(-1.0)) and np.isnan(P.log(nan))
    np.testing.assert_array_equal(P.tanh([inf, -inf, 30.0, -30.0]), [1.0, -1.0, 1.0, -1.0])
    np.testing.assert_array_equal(P.arctanh([1.0, -1.0]), [inf, -inf])
    np.testing.assert_array_equal(P.log1p([-1.0, inf]), [-inf, inf])
    np.testing.assert_array_equal(
        P.power([0.0, 0.0, 5.0, 1.0], [0.0, -1.0, 0.0, nan]), [1, inf, 1, 1]
    )
    # odd functions keep the sign of zero and are symmetric
    x = RNG.uniform(0, 5, 100)
    np.testing.assert_array_equal(P.tanh(-x), -P.tanh(x))
    np.testing.assert_array_equal(P.arctanh(-x / 6), -P.arctanh(x / 6))


def test_power_refuses_a_negative_base():
    with pytest.raises(ValueError, match="base >= 0"):
        P.power(-2.0, 0.5)


def test_monotone_where_the_model_compares_with_draws():
    """exp and expit are non-decreasing on a fine grid (a draw compared with them keeps order)."""
    x = np.linspace(-30, 30, 200_001)
    assert np.all(np.diff(P.exp(x)) >= 0)
    assert np.all(np.diff(P.expit(x)) >= 0)


def test_recency_table_equals_the_direct_formula():
    """The feed's recency weights come from a table: the same float32 values as exp(-a/tau)."""
    from model.rules.feed_choice import RECENCY_SPAN, recency_weights

    for tau in (0.1, 3.0, 24.0, 500.0):
        age = np.arange(0, int(2 * RECENCY_SPAN * tau) + 5)
        want = P.exp(-age / tau).astype(np.float32)
        np.testing.assert_array_equal(recency_weights(age, tau), want)
        assert want[-1] == 0.0  # beyond the table's span the weight is exactly 0 in float32


def test_exp_in_the_subnormal_range():
    x = np.linspace(-745.0, -708.5, 2001)
    want = np.array([math.exp(v) for v in x])
    # below 2^-1022 the spacing is fixed at 2^-1074: compare in units of it
    assert np.max(np.abs(P.exp(x) - want)) <= 2 * 2.0**-1074 + 4 * np.spacing(want).max()
