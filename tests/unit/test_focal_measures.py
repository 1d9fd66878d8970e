"""The measures that can separate strategies where reach saturates (docs/ODD.md 7.13).

Hand-computed cases on hand-built tallies and states, the counters the step keeps for them
against independent records (the forward log, the content store), the channel decomposition
adding up to 1, and per-cohort values consistent with the overall ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.generations import GENERATIONS
from model import OpinionEcology
from model import measures as M
from model.content import DIRECT, OUTLET, RECOMMENDED, SOCIAL, TRENDING, USER
from model.step.attend import _record_views
from model.step.records import Views
from tests.conftest import quiet_params


def _focal(m: OpinionEcology) -> np.ndarray:
    """Which items of the content store are the focal outlet's."""
    c = m.content
    return (c.source_kind[: c.n] == OUTLET) & (c.source[: c.n] == 0)


# ------------------------------------------------------------------ hand-computed tallies
def test_channel_decomposition_and_forward_counts_by_hand():
    m = OpinionEcology(quiet_params(n_users=10), seed=1)
    m.views_by[:] = 0
    # post00: 6 direct, 1 recommended, 4 forwarded, 9 trending views of focal items
    m.views_by[0, [DIRECT, RECOMMENDED, SOCIAL, TRENDING], 1] = [6, 1, 4, 9]
    # pre80: 2 forwarded, 2 trending; other items' views count in none of the shares
    m.views_by[3, [SOCIAL, TRENDING], 1] = [2, 2]
    m.views_by[1, :, 0] = 50
    assert M.primary_share(m) == pytest.approx(7 / 24)
    assert M.secondary_share(m) == pytest.approx(6 / 24)
    assert M.platform_share(m) == pytest.approx(11 / 24)
    by = M.platform_share(m, by="generation")
    assert by["post00"] == pytest.approx(9 / 20) and by["pre80"] == pytest.approx(0.5)
    assert np.isnan(by["post90"])  # no focal view in the cohort
    assert M.forwarded_views(m) == 6.0
    assert M.forwarded_views(m, by="generation") == {
        "post00": 4.0,
        "post90": 0.0,
        "post80": 0.0,
        "pre80": 2.0,
    }
    m.focal_forwards_by[:] = [3, 0, 5, 1]
    m.focal_items = 4
    assert M.forwards(m) == 9.0 and M.forwards(m, by="generation")["post80"] == 5.0
    assert M.forwards_per_item(m) == pytest.approx(9 / 4)
    assert M.forwards_per_item(m, by="generation") == {
        "post00": 0.75,
        "post90": 0.0,
        "post80": 1.25,
        "pre80": 0.25,
    }
    m.focal_items = 0
    assert np.isnan(M.forwards_per_item(m))
    with pytest.raises(ValueError, match="by='cohort'"):
        M.forwards(m, by="cohort")


def test_reach_non_followers_counts_only_users_who_never_followed():
    m = OpinionEcology(quiet_params(n_users=8), seed=1)
    s = m.state
    s.initial_follows[:] = False
    s.follows[:, 0] = False
    s.ever_unfollowed[:] = False
    s.initial_follows[0] = s.follows[0, 0] = True  # an initial follower
    s.follows[1, 0] = True  # followed later
    s.initial_follows[2] = s.ever_unfollowed[2] = True  # left
    s.ever_unfollowed[3] = True  # followed later, then left
    s.reached[:] = [True, True, True, True, True, False, True, False]
    # never followed: users 4..7, of whom 4 and 6 were reached
    assert M.reach_non_followers(m) == pytest.approx(0.5)
    gen = s.gen[4:]
    by = M.reach_non_followers(m, by="generation")
    for i, name in enumerate(GENERATIONS):
        here = gen == i
        want = s.reached[4:][here].mean() if here.any() else np.nan
        assert by[name] == pytest.approx(want, nan_ok=True)


def test_daily_focal_viewers_counts_the_last_24_steps():
    m = OpinionEcology(quiet_params(n_users=4), seed=1).run(30)
    assert m.steps == 30
    # within the last day: steps 7..30 (> 30 - 24); step 6 is a day and a step ago
    m.last_focal_view[:] = [30, 7, 6, -(10**6)]
    assert M.daily_focal_viewers(m) == 0.5
    by = M.daily_focal_viewers(m, by="generation")
    g = m.state.gen
    for i, name in enumerate(GENERATIONS):
        here = g == i
        want = (m.last_focal_view[here] > 6).mean() if here.any() else np.nan
        assert by[name] == pytest.approx(want, nan_ok=True)


def test_run_summaries_read_the_series():
    m = OpinionEcology(quiet_params(n_users=4), seed=1).run(60)
    vars_ = m.step_series
    # step 0 (before anything happened) is left out of the mean
    vars_["daily_focal_viewers"] = [0.9, 0.5, 1.0, 0.0] + [0.5] * 57
    assert M.mean_daily_focal_viewers(m) == pytest.approx(0.5)
    vars_["reach"] = [0.0] * 48 + [0.5] + [0.6] * 12
    assert M.steps_to_reach(m, 0.5) == 48.0 and M.days_to_reach(m, 0.5) == 2.0
    final = M.final_measures(m)
    assert final["days_to_reach_50"] == 2.0 and final["daily_focal_viewers_mean"] == 0.5
    vars_["reach"] = [0.0] * 61
    assert np.isnan(M.days_to_reach(m, 0.5))
    fresh = OpinionEcology(quiet_params(n_users=4), seed=1)  # no step run yet
    assert np.isnan(M.mean_daily_focal_viewers(fresh))


# ------------------------------------------------------------------ the step's counters
def test_recorded_views_tally_channels_and_the_last_focal_view():
    """Views handed to the attend phase's recorder: each lands in its (cohort, channel, focal)
    cell, and the focal ones set the viewer's last focal view."""
    m = OpinionEcology(quiet_params(n_users=6), seed=1)
    c = m.content
    focal = c.add(
        source_kind=np.full(2, OUTLET),
        source=np.zeros(2, np.int64),
        format=np.zeros(2, np.int8),
        stance=np.zeros(2),
        valence=np.zeros(2),
        intensity=np.zeros(2),
        quality=np.zeros(2),
        created=np.zeros(2, np.int64),
    )
    post = c.add(
        source_kind=np.full(1, USER),
        source=np.array([5]),
        format=np.zeros(1, np.int8),
        stance=np.zeros(1),
        valence=np.zeros(1),
        intensity=np.zeros(1),
        quality=np.zeros(1),
        created=np.zeros(1, np.int64),
    )
    before = m.views_by.copy()
    v = Views(
        user=np.array([0, 1, 2, 3, 4]),
        item=np.array([focal[0], focal[1], focal[0], focal[1], post[0]]),
        chan=np.array([DIRECT, SOCIAL, TRENDING, RECOMMENDED, SOCIAL]),
        source_user=np.array([-1, 5, -1, -1, 5]),
    )
    _record_views(m, 7, v)
    added = m.views_by - before
    g = m.state.gen
    want = np.zeros_like(added)
    for u, ch, is_focal in ((0, DIRECT, 1), (1, SOCIAL, 1), (2, TRENDING, 1), (3, RECOMMENDED, 1)):
        want[g[u], ch, is_focal] += 1
    want[g[4], SOCIAL, 0] += 1
    np.testing.assert_array_equal(added, want)
    assert m.last_focal_view.tolist() == [7, 7, 7, 7, -(10**6), -(10**6)]
    assert M.forwarded_views(m) == 1.0
    assert M.primary_share(m) == 0.5 and M.secondary_share(m) == M.platform_share(m) == 0.25


def test_focal_items_count_what_was_published():
    m = OpinionEcology(quiet_params(n_users=4, initial_items=5), seed=1).run(3)
    assert m.focal_items == 5 == int(_focal(m).sum())


@pytest.mark.parametrize("forwarding", ["resonance", "threshold", "rumour"])
def test_forward_tally_equals_the_forward_log_and_the_content_store(forwarding):
    """Every forward of a focal item is counted once, by the forwarder's cohort: the same as the
    forward log and the items' forward counters (adoptions without a view included)."""
    m = OpinionEcology(n_users=300, seed=2, strategy="interactive", forwarding=forwarding).run(40)
    focal = _focal(m)
    log = m.forward_log
    is_focal = focal[log["item"]]
    assert m.focal_forwards_by.sum() > 0
    np.testing.assert_array_equal(
        m.focal_forwards_by, np.bincount(m.state.gen[log["user"][is_focal]], minlength=4)
    )
    assert M.forwards(m) == m.content.forwards[: m.content.n][focal].sum()
    # published focal items: in the content store, less follow-ups still waiting in the outbox
    pending = int(np.count_nonzero(m.content.source[m.outbox.outlet_items] == 0))
    assert m.focal_items == int(focal.sum()) - pending


# ------------------------------------------------------------------ invariants of a run
@pytest.fixture(scope="module")
def run():
    # scenario: targeting puts focal items on the recommended channel too
    return OpinionEcology(n_users=400, seed=3, strategy="scenario").run(48)


def test_primary_secondary_and_platform_shares_add_to_one(run):
    assert run.views_by[:, RECOMMENDED, 1].sum() > 0 and run.views_by[:, TRENDING, 1].sum() > 0
    parts = ("primary_share", "secondary_share", "platform_share")
    snap = M.snapshot(run)
    assert sum(snap[p] for p in parts) == pytest.approx(1.0, abs=1e-12)
    for g in GENERATIONS:
        assert sum(snap[f"{p}[{g}]"] for p in parts) == pytest.approx(1.0, abs=1e-12)
    # along the run too, wherever a focal item had been viewed
    df = run.datacollector.get_model_vars_dataframe()
    total = df[list(parts)].sum(axis=1)[df["reach"] > 0]
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-12)


def test_per_cohort_values_agree_with_the_overall_value(run):
    snap = M.snapshot(run)
    s, g = run.state, run.state.gen
    focal_views = run.views_by[:, :, 1].sum(axis=1)
    never = ~(s.initial_follows | s.follows[:, 0] | s.ever_unfollowed)
    weights = {
        # shares of focal views: weighted by each cohort's focal views
        "primary_share": focal_views,
        "secondary_share": focal_views,
        "platform_share": focal_views,
        # shares of users: by each cohort's users (who never followed, for reach_non_followers)
        "daily_focal_viewers": np.bincount(g, minlength=4),
        "reach_non_followers": np.bincount(g[never], minlength=4),
    }
    for name, w in weights.items():
        by = np.array([snap[f"{name}[{c}]"] for c in GENERATIONS])
        ok = w > 0
        assert snap[name] == pytest.approx((by[ok] * w[ok]).sum() / w[ok].sum(), rel=1e-12)
    # counts: the cohorts add up
    for name in ("forwards", "forwarded_views", "forwards_per_item"):
        assert snap[name] > 0
        assert snap[name] == pytest.approx(sum(snap[f"{name}[{c}]"] for c in GENERATIONS))


def test_new_measures_are_bounded_and_monotone_where_cumulative(run):
    df = run.datacollector.get_model_vars_dataframe()
    for name in ("reach_non_followers", "daily_focal_viewers", "primary_share", "platform_share"):
        x = df[name].dropna().to_numpy()
        assert ((x >= 0) & (x <= 1)).all(), name
    for name in ("forwards", "forwarded_views"):
        assert (np.diff(df[name].to_numpy()) >= 0).all(), name
    assert df["reach_non_followers"].iloc[-1] > 0
    final = M.final_measures(run)
    assert 0 <= final["daily_focal_viewers_mean"] <= 1
    assert final["days_to_reach_50"] == pytest.approx(final["steps_to_reach_50"] / 24, nan_ok=True)


def test_every_reported_measure_is_defined_in_the_odd():
    """docs/ODD.md section 7.13 defines each step and final measure by its name."""
    from pathlib import Path

    from model.measures import catalogue

    odd = (Path(__file__).resolve().parents[2] / "docs" / "ODD.md").read_text()
    section = odd[odd.index("### 7.13") : odd.index("### 7.14")]
    missing = [n for n in catalogue.names() if f"`{n}`" not in section]
    assert not missing, f"not defined in docs/ODD.md 7.13: {missing}"
