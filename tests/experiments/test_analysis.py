"""Paired statistics against a hand-computed case, and pairing by replicate in compare()."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from experiments.analysis import compare, mean_ci, paired_stats, summarize

BASE = np.array([1.0, 2.0, 3.0, 4.0])
ARM = np.array([2.0, 4.0, 3.0, 6.0])


def test_paired_stats_match_the_hand_computed_case():
    """D = (1, 2, 0, 2): mean 1.25, sd sqrt(2.75/3); t(0.975, 3) = 3.182446305;
    A12 = 11.5/16 (count arm > base over all 16 pairs, ties half); r = 5.5/sqrt(5 * 8.75)."""
    s = paired_stats(ARM, BASE, bootstrap=True, n_resamples=1000, rng=1)
    sd = math.sqrt(2.75 / 3)
    half = 3.182446305284263 * sd / 2
    assert s["n"] == 4
    assert s["base_mean"] == pytest.approx(2.5) and s["arm_mean"] == pytest.approx(3.75)
    assert s["diff"] == pytest.approx(1.25)
    assert s["diff_sd"] == pytest.approx(sd)
    assert (s["ci_lo"], s["ci_hi"]) == pytest.approx((1.25 - half, 1.25 + half))
    assert s["d_z"] == pytest.approx(1.25 / sd)
    assert s["a12"] == pytest.approx(11.5 / 16)
    assert s["r"] == pytest.approx(5.5 / math.sqrt(5 * 8.75))
    # the bootstrap needs n >= 5: not computed for four pairs
    assert math.isnan(s["boot_lo"])


def test_bootstrap_ci_is_reproducible_and_brackets_the_mean():
    rng = np.random.default_rng(3)
    base = rng.lognormal(size=30)
    arm = base * rng.lognormal(0.3, 0.5, size=30)
    a = paired_stats(arm, base, bootstrap=True, n_resamples=2000, rng=11)
    b = paired_stats(arm, base, bootstrap=True, n_resamples=2000, rng=11)
    assert (a["boot_lo"], a["boot_hi"]) == (b["boot_lo"], b["boot_hi"])
    assert a["boot_lo"] < a["diff"] < a["boot_hi"]


def test_identical_pairs_give_a_zero_width_interval_not_nan():
    s = paired_stats(np.array([1.0, 2.0, 3.0]) + 0.5, np.array([1.0, 2.0, 3.0]))
    assert (s["diff"], s["ci_lo"], s["ci_hi"]) == (0.5, 0.5, 0.5)
    assert math.isnan(s["d_z"])


def _runs(order_seed: int) -> pd.DataFrame:
    rows = []
    for r, (b, a) in enumerate(zip(BASE, ARM, strict=True)):
        rows.append({"point_id": 0, "replicate": r, "arm": "one_way", "status": "ok", "x": b})
        rows.append({"point_id": 0, "replicate": r, "arm": "interactive", "status": "ok", "x": a})
    rows.append(
        {"point_id": 0, "replicate": 9, "arm": "interactive", "status": "failed", "x": np.nan}
    )
    rows.append({"point_id": 0, "replicate": 9, "arm": "one_way", "status": "ok", "x": 100.0})
    return pd.DataFrame(rows).sample(frac=1, random_state=order_seed).reset_index(drop=True)


def test_compare_pairs_by_replicate_whatever_the_row_order_and_drops_broken_pairs():
    for seed in (0, 1, 2):
        c = compare(_runs(seed), ["x"], "one_way", min_difference={"x": 5.0})
        assert len(c) == 1
        r = c.iloc[0]
        assert r["n"] == 4 and r["diff"] == pytest.approx(1.25)
        assert r["a12"] == pytest.approx(11.5 / 16)
        # replication adequacy: half-width 1.5235 < delta 5; n for 80% power = ceil(((1.96 + 0.8416) * sd / 5)^2) -> 1, floored at 2
        assert r["adequate"] and r["n_needed"] == 2
    c = compare(_runs(0), ["x"], "one_way", min_difference={"x": 0.5})
    assert not c.iloc[0]["adequate"]
    assert c.iloc[0]["n_needed"] == math.ceil(
        ((1.959963984540054 + 0.8416212335729143) * math.sqrt(2.75 / 3) / 0.5) ** 2
    )


def test_summarize_gives_mean_sd_and_t_interval_per_arm():
    s = summarize(_runs(0), ["x"])
    one_way = s[s["arm"] == "one_way"].iloc[0]
    x = np.append(BASE, 100.0)
    assert one_way["n"] == 5 and one_way["mean"] == pytest.approx(x.mean())
    assert one_way["sd"] == pytest.approx(x.std(ddof=1))
    half = 2.7764451051977987 * x.std(ddof=1) / math.sqrt(5)
    assert (one_way["ci_lo"], one_way["ci_hi"]) == pytest.approx((x.mean() - half, x.mean() + half))
    assert mean_ci(np.array([2.0]))[0] == 2.0 and math.isnan(mean_ci(np.array([2.0]))[2])
