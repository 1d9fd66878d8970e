"""The ``viral_creator`` preset (model/presets.py, docs/ODD.md 7.20) and the creator's scheduled
posts it uses (model/step/creator.py, docs/ODD.md 7.18): it builds with every mechanism of the
case on, runs, and its creator's post is the most viewed user post in most seeds."""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology, Params, presets
from model.content import USER
from model.params import UnusedParameterWarning
from model.step import creator


def test_viral_creator_turns_the_case_on():
    """The preset's switches: the creator with a high appeal and a scheduled first post, the
    user follow rule on, topics with a trending list by topics and derivative posts, every
    background outlet riding with staggered delays, and the focal outlet riding, whatever
    strategy it is given."""
    p = presets.viral_creator(n_users=300, strategy="one_way", days=2)
    assert p.steps == 48
    assert p.creator == presets.VIRAL_CREATOR and p.creator_appeal > 10
    assert p.creator_post_step == presets.VIRAL_CREATOR_FIRST_POST and p.creator_post_prob > 0
    assert getattr(p, "user_follow.like_follow_prob") > 0
    assert p.n_topics > 1 and p.trending_by == "topics" and p.derivative_share > 0
    assert p.background_ride_share == 1.0 and p.n_background >= 2
    assert p.background_ride_spacing > 0
    st = p.strategy
    assert st.ride_trends and st.reply_share == 0.0  # one_way's switches, riding added
    assert "viral_creator" in presets.PRESETS


def test_viral_creator_rejects_a_bad_horizon():
    with pytest.raises(ValueError, match="days=0 is out of range"):
        presets.viral_creator(days=0)


def _top_user_post(m: OpinionEcology) -> int:
    c = m.content
    users = np.flatnonzero(c.source_kind[: c.n] == USER)
    return int(users[np.argmax(c.views[users])])


@pytest.mark.slow
def test_the_creators_post_is_the_most_viewed_user_post_in_most_seeds():
    """At 5,000 users over three days, seeds 0-4 (not chosen: the first five): the most viewed
    user post is the creator's in at least 4 of the 5 runs, and in every run the creator has
    more user followers at the end than at the step of the first post.

    Tolerance: one seed in five may miss (another user's post can outgrow the creator's when
    the creator's post reaches few users). Measured when written: 5 of 5 (10 of 10 for seeds
    0-9 without the later posts); without the schedule (``creator_post_step=-1``, the
    preset before it) the creator posted in one of these five runs and its post was the most
    viewed in none. About 1 s per run."""
    hits = 0
    for seed in range(5):
        p = presets.viral_creator(n_users=5000, days=3)
        m = OpinionEcology(p, seed=seed)
        while m.steps < p.creator_post_step:
            m.step()
        at_post = int(m.user_follower_counts()[presets.VIRAL_CREATOR])
        m.run()
        hits += int(m.content.source[_top_user_post(m)] == presets.VIRAL_CREATOR)
        assert m.user_follower_counts()[presets.VIRAL_CREATOR] > at_post, seed
    assert hits >= 4


def _poster_steps(p: Params, seed: int, steps: int) -> list[int]:
    m = OpinionEcology(p, seed=seed)
    for _ in range(steps):
        m.step()
    c = m.content
    mine = (c.source_kind[: c.n] == USER) & (c.source[: c.n] == p.creator)
    return sorted(set(c.created[: c.n][mine].tolist()))


def test_the_creator_posts_at_the_scheduled_step_and_draws_nothing_else():
    """With ``creator_post_step`` = 3 and no later posts, the creator has a post created at
    step 3 whatever the seed; every other user's posts and the creator's posts at other steps
    are those of the run without the schedule (the schedule draws nothing: the creator's
    session at step 3 becomes a post, and posts of the later steps by the session draws are
    unchanged, since the session draws come first)."""
    base = Params(n_users=400, n_topics=5, creator=7, creator_appeal=5.0, steps=10)
    for seed in (0, 1):
        plain = _poster_steps(base, seed, 8)
        sched = _poster_steps(base.replace(creator_post_step=3), seed, 8)
        assert 3 in sched
        assert set(sched) - {3} == set(plain) - {3}


def test_the_later_posts_come_at_the_given_rate():
    """``creator_post_prob`` = 0.5 after a first post at step 1: over 200 later steps the
    creator posts at Binomial(200, 0.5) steps or more (the session draws add some); 100 +- 4 sd
    (sd = sqrt(200 x 0.25) = 7.1) bounds the scheduled ones, and the session draws add about
    0.03 x activity per step, a few at most."""
    p = Params(n_users=50, creator=0, creator_post_step=1, creator_post_prob=0.5, steps=201)
    steps = _poster_steps(p, 3, 201)
    assert 1 in steps
    assert 100 - 28 <= len(steps) - 1 <= 100 + 28 + 10


def test_schedule_inserts_the_creator_in_order_or_turns_its_session_to_a_post():
    """The hand case: active users [2, 5, 9] with posts [F, F, T]. Creator 5 at its step: its
    browsing session becomes a post; creator 6: inserted between 5 and 9, posting."""

    class W:
        class params:
            creator, creator_post_step, creator_post_prob = 5, 4, 0.0

        class state:
            last_active = np.zeros(10, np.int32)

    active = np.array([2, 5, 9])
    post = np.array([False, False, True])
    a, q = creator.schedule(W, 4, active, post)  # type: ignore[arg-type]
    assert a.tolist() == [2, 5, 9] and q.tolist() == [False, True, True]
    assert post.tolist() == [False, False, True]  # the caller's array is not changed
    W.params.creator = 6
    a, q = creator.schedule(W, 4, active, post)  # type: ignore[arg-type]
    assert a.tolist() == [2, 5, 6, 9] and q.tolist() == [False, False, True, True]
    assert W.state.last_active[6] == 4
    a, q = creator.schedule(W, 5, active, post)  # type: ignore[arg-type]
    assert a is active and q is post  # not its step, no later posts: nothing


def test_a_schedule_at_step_0_is_refused():
    with pytest.raises(ValueError, match="the first step is 1"):
        Params(n_users=10, creator=0, creator_post_step=0)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"creator_post_step": 5}, "creator is -1"),
        ({"creator": 0, "creator_post_prob": 0.1}, "creator_post_step, which is -1"),
    ],
)
def test_an_inert_schedule_warns(kw, match):
    """Without a creator, or later posts without a first post, the schedule does nothing and
    says so (as a field no chosen rule reads)."""
    with pytest.warns(UnusedParameterWarning, match=match):
        Params(n_users=10, **kw)
