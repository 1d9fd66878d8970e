"""A branch can turn the user follow rule on (model/snapshot.py ``branch``,
model/rules/user_follow.py ``rebranch``; docs/ODD.md 7.19): its parameters change at a branch,
the rule itself cannot."""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology, Params
from model.network import FollowLayer
from model.snapshot import BranchError

ON = {"user_follow.like_follow_prob": 0.5, "user_follow.unfollow_prob": 0.3}


def _params(**kw) -> Params:
    return Params(n_users=600, steps=40, creator_sigma=1.0, **kw)


def test_a_branch_at_the_start_is_the_run_built_with_the_rule_on():
    """Branched before its first step, a model with the rule off and then turned on is the
    model built with it on, draw for draw (the rule draws only from its own stream, which
    neither has used, and the dynamic layer is the same copy of the same CSR)."""
    built = OpinionEcology(_params(**ON), seed=4).run(20)
    branched = OpinionEcology(_params(), seed=4).branch(**ON).run(20)
    assert built.rules.user_follow.state.total.tolist() == (
        branched.rules.user_follow.state.total.tolist()
    )
    assert built.rules.user_follow.state.total.sum() > 0
    assert np.array_equal(built.user_follower_counts(), branched.user_follower_counts())
    assert np.array_equal(built.state.opinion, branched.state.opinion)


def test_a_branch_after_a_burn_in_turns_following_on_and_leaves_the_parent_alone():
    """After 10 static steps, a branch with the rule on follows and unfollows users (its
    follower counts move), while the parent keeps its static layer and rule off."""
    base = OpinionEcology(_params(), seed=2).run(10)
    counts = base.user_follower_counts().copy()
    b = base.branch(**ON)
    assert isinstance(b.networks.followers, FollowLayer)
    b.run(30)
    follows, unfollows = b.rules.user_follow.state.total.tolist()
    assert follows > 0 and unfollows > 0
    assert not np.array_equal(b.user_follower_counts(), counts)
    assert not isinstance(base.networks.followers, FollowLayer)
    assert base.rules.user_follow.settings.like_follow_prob == 0.0
    assert np.array_equal(base.user_follower_counts(), counts)


def test_a_branch_cannot_change_the_rule_itself():
    m = OpinionEcology(_params(), seed=1)
    with pytest.raises(BranchError, match="cannot change the user follow rule at a branch"):
        m.branch(user_follow="static")
