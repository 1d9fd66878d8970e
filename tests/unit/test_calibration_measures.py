"""The calibration targets' measures (model/measures/calibration.py) on hand-set logs of a
20-user model, plus invariants that tie the react phase's comment log to the item counters
after a short run."""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology
from model.content import OUTLET, USER
from model.measures import calibration as cal
from model.measures import catalogue
from model.measures.calibration import NEVER, comment_log, record_comments

N = 20


@pytest.fixture
def world() -> OpinionEcology:
    """A 20-user model before its first step: no items, no comments, no forwards."""
    return OpinionEcology(n_users=N, seed=0)


def _items(world: OpinionEcology, kinds: list[int], sources: list[int]) -> np.ndarray:
    k = len(kinds)
    return world.content.add(
        source_kind=np.array(kinds, np.int8),
        source=np.array(sources, np.int32),
        created=np.zeros(k, np.int32),
    )


def test_record_comments_by_hand(world: OpinionEcology) -> None:
    # step 5: user 1 comments twice on outlet items (once on a focal one), user 2 on a user's
    # post, user 3 on a focal item; step 9: user 1 on a focal item again
    record_comments(
        world, 5, np.array([1, 1, 2, 3]), np.array([True, True, False, True]),
        np.array([True, False, False, True]),
    )  # fmt: skip
    record_comments(world, 9, np.array([1]), np.array([True]), np.array([True]))
    log = comment_log(world)
    assert log.news[[0, 1, 2, 3]].tolist() == [0, 3, 0, 1]
    assert log.last_news[[0, 1, 2, 3]].tolist() == [NEVER, 9, NEVER, 5]
    assert log.first_focal[[1, 3]].tolist() == [5, 5]
    assert log.last_focal[[1, 3]].tolist() == [9, 5]
    # of the two focal commenters, user 1 came back at a later step, user 3 did not
    assert cal.commenter_return(world) == pytest.approx(0.5)
    g = world.state.gen
    per = cal.commenter_return(world, by="generation")
    assert per[catalogue.COHORTS[g[1]]] == pytest.approx(1.0 if g[1] != g[3] else 0.5)


def test_weekly_commenters_counts_the_last_168_steps(world: OpinionEcology) -> None:
    # Mesa counts a step before running it, so after step 200 the last week is steps 33..200
    world.steps = 200
    log = comment_log(world)
    log.last_news[[0, 1, 2, 3]] = [32, 33, 200, 100]  # user 0 commented 168 steps ago: out
    assert cal.weekly_commenters(world) == pytest.approx(3 / N)
    by = cal.weekly_commenters(world, by="generation")
    gen = world.state.gen
    for i, cohort in enumerate(catalogue.COHORTS):
        members = gen == i
        hits = np.isin(np.flatnonzero(members), [1, 2, 3]).sum()
        assert by[cohort] == pytest.approx(hits / members.sum())


def test_top10_contribution_share_by_hand(world: OpinionEcology) -> None:
    log = comment_log(world)
    log.news[[0, 1, 2]] = [5, 3, 1]
    world.forward_log.append(np.array([0]), np.array([2]), np.array([-1]), np.array([1]))
    _items(world, [USER, OUTLET], [3, 0])  # user 3 posts once; an outlet's item is nobody's
    # contributions 5, 3, 2, 1 (total 11); the top 10% of 20 users are 2 users: 5 + 3
    assert cal.contributions(world)[:4].tolist() == [5, 3, 2, 1]
    assert cal.top10_contribution_share(world) == pytest.approx(8 / 11)


def test_no_contributions_is_nan(world: OpinionEcology) -> None:
    assert np.isnan(cal.top10_contribution_share(world))


def test_incivility_engagement_and_forwarding_by_hand(world: OpinionEcology) -> None:
    # items: focal, focal, background outlet 1, a user's post
    ids = _items(world, [OUTLET, OUTLET, OUTLET, USER], [0, 0, 1, 5])
    c = world.content
    c.comments[ids] = [10, 0, 10, 50]
    c.uncivil[ids] = [1, 0, 4, 50]
    c.exposures[ids] = [100, 100, 50, 10]
    c.likes[ids] = [20, 0, 5, 5]
    c.forwards[ids] = [2, 0, 0, 3]
    # user posts do not count: (1 + 4) / 20 for outlets, 1 / 10 for the focal outlet
    assert cal.incivility_share(world) == pytest.approx(5 / 20)
    assert cal.focal_incivility_share(world) == pytest.approx(1 / 10)
    # focal: (20 + 10 + 2) reactions over 200 deliveries
    assert cal.engagement_per_impression(world) == pytest.approx(32 / 200)
    # two of the three outlet items were never forwarded
    assert cal.never_forwarded_share(world) == pytest.approx(2 / 3)


def test_empty_model_gives_nan_not_zero(world: OpinionEcology) -> None:
    for f in (
        cal.incivility_share, cal.focal_incivility_share, cal.engagement_per_impression,
        cal.never_forwarded_share, cal.commenter_return,
    ):  # fmt: skip
        assert np.isnan(f(world)), f.__name__


def test_unfollow_hazard_from_retention_by_hand(world: OpinionEcology) -> None:
    s = world.state
    s.initial_follows[:] = False
    s.follows[:, 0] = False
    s.ever_unfollowed[:] = False
    s.initial_follows[[0, 1, 2, 3]] = True
    s.follows[[0, 1, 2], 0] = True
    s.ever_unfollowed[3] = True
    s.follows[4, 0] = True  # a later follower does not count
    world.steps = 48  # two days: retention 3/4 = (1 - h)^2
    assert cal.unfollow_rate(world) == pytest.approx(1 - 0.75**0.5)
    assert cal.ties_broken_51d(world) == pytest.approx(1 - 0.75 ** (51 / 2))
    # a follower who left and came back is not retained
    s.follows[3, 0] = True
    assert cal.unfollow_rate(world) == pytest.approx(1 - 0.75**0.5)
    world.steps = 0
    assert np.isnan(cal.unfollow_rate(world))


def test_weekly_reach_by_hand(world: OpinionEcology) -> None:
    world.steps = 400
    world.last_focal_view[:] = -(10**6)
    world.last_focal_view[[0, 1, 2]] = [232, 233, 400]  # steps 233..400; 232 is out
    assert cal.weekly_reach(world) == pytest.approx(2 / N)


def test_the_log_agrees_with_the_item_counters_after_a_run() -> None:
    """Invariants of a 300-user, two-day run: the log's news comments are the outlet items'
    comment counters, its focal commenters' comments are the focal comment tally, and every
    measure is a share in [0, 1]."""
    m = OpinionEcology(n_users=300, seed=4, steps=48).run()
    c, log = m.content, comment_log(m)
    outlet = c.source_kind == OUTLET
    assert log.news.sum() == c.comments[outlet].sum() > 0
    focal = outlet & (c.source == 0)
    assert m.engaged_by[:, 1].sum() == c.comments[focal].sum()
    started = log.first_focal != NEVER
    assert started.sum() > 0 and (log.last_focal[started] >= log.first_focal[started]).all()
    assert ((log.last_news == NEVER) == (log.news == 0)).all()
    for name in (
        "weekly_commenters", "top10_contribution_share", "incivility_share", "unfollow_rate",
        "ties_broken_51d", "weekly_reach", "engagement_per_impression", "never_forwarded_share",
        "commenter_return",
    ):  # fmt: skip
        value = catalogue.measure(name).compute(m)
        assert 0.0 <= value <= 1.0, name


def test_calibration_measures_stay_out_of_the_snapshot() -> None:
    """They are query measures: the step snapshot and the experiments' columns are unchanged."""
    names = catalogue.names()
    assert "weekly_commenters" not in names and "unfollow_rate" not in names
    assert catalogue.measure("weekly_commenters").columns[1] == "weekly_commenters[post00]"
