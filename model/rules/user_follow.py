"""Users who follow and unfollow users: the user follow layer changes (docs/ODD.md 7.19).

One rule, ``sasahara``, applied in the update phase from the step's views and reactions:

* **following**: a viewer who liked an item authored by a user they do not follow follows the
  author with probability ``like_follow_prob``, unless they already follow ``cap`` accounts. A like
  is the trigger, not resonance above a threshold: it is the observed act the platform's own
  "follow the author" prompt sits next to, and it needs no second threshold parameter (its
  probability already grows with resonance, docs/ODD.md 7.9);
* **unfollowing** (Sasahara et al. 2021): a viewer who viewed an item shared by a followee
  (its sharer: the poster of a post, the forwarder of a forward) whose stance lies outside the
  viewer's confidence bound (|opinion - stance| >= epsilon, the bound of 7.10, judged on the
  opinions before this step's update as in their model) unfollows that followee with
  probability ``unfollow_prob``; at most one unfollow per viewer per step (their agent rewires
  at most once per activation);
* **rewiring** (``rewire``): the unfollower follows a new account so that the number of
  followees is conserved: ``random`` (a uniform user the viewer neither is nor follows),
  ``repost`` (the author of an item inside the bound the viewer viewed this step, not yet
  followed; a random user when there is none: their "repost" selection, which falls back to
  random the same way), or ``none`` (the tie is only cut).

Sasahara, K., Chen, W., Peng, H., Ciampaglia, G. L., Flammini, A. & Menczer, F. (2021).
Social influence and unfollowing accelerate the emergence of echo chambers. Journal of
Computational Social Science 4, 381-402.

Both probabilities default to 0: the layer stays the static CSR built at the start and the rule
draws nothing. Draws come from the ``user_follow`` stream only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.content import USER
from model.jit import njit
from model.network import FollowLayer, _find
from model.rules.base import RuleSettings
from model.rules.registry import USER_FOLLOW
from model.schema import Interval, Options, field
from model.step.records import Reactions, Views
from model.world import UserFollowRule, World

#: Uniforms per rewired unfollow: one to pick among the repost candidates, then tries at a
#: random account (rejection: a try that is the viewer or a followee is skipped).
RANDOM_TRIES = 8


@dataclass(frozen=True)
class SasaharaSettings(RuleSettings):
    """The ``sasahara`` rule's parameters."""

    like_follow_prob: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Follow after a like",
        unit="probability",
        doc="Probability that a like of an item by a user the viewer does not follow makes the "
        "viewer follow its author (0: off; assumption, sweep 0-0.2).",
        sweep=(0, 0.2),
    )
    unfollow_prob: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        symbol="q",
        label="Unfollow on disagreement",
        unit="probability",
        doc="Probability that viewing a followee's share outside the viewer's confidence bound "
        "makes the viewer unfollow them (at most one per viewer per step; Sasahara et al. "
        "2021's q; 0: off; assumption, sweep 0-0.5).",
        sweep=(0, 0.5),
    )
    cap: int = field(
        5000,
        Interval(int, 1, 1_000_000),
        group="belonging and churn",
        label="Follow cap per user",
        unit="accounts",
        doc="Most accounts a user may follow through this rule (Twitter's documented cap of "
        "5,000; an assumption for this model's platforms, sweep 100-5000).",
        sweep=(100, 5000),
    )
    rewire: str = field(
        "random",
        Options("random", "repost", "none"),
        group="belonging and churn",
        label="Unfollower follows instead",
        unit="",
        doc="Whom an unfollower follows instead (Sasahara et al. 2021): a random user, the author "
        "of a viewed item inside the bound (random when none), or nobody.",
    )


@dataclass
class UserFollowState:
    """The rule's tallies: this step's follows and unfollows (rewired follows included in
    follows), and their totals since the start.

    Attributes:
        step: [follows, unfollows] of the last step.
        total: [follows, unfollows] since the start.
    """

    step: np.ndarray
    total: np.ndarray


@USER_FOLLOW.register("sasahara")
class Sasahara(UserFollowRule):
    """Follow the author of a liked item; unfollow a discordant followee and rewire."""

    Settings = SasaharaSettings
    settings: SasaharaSettings

    def init(self, world: World) -> None:
        """Tallies at zero; the follow layer becomes dynamic when either probability is > 0."""
        self.state = UserFollowState(np.zeros(2, np.int64), np.zeros(2, np.int64))
        st = self.settings
        if st.like_follow_prob > 0 or st.unfollow_prob > 0:
            world.networks.make_dynamic()

    @property
    def active(self) -> bool:
        return self.settings.like_follow_prob > 0 or self.settings.unfollow_prob > 0

    def changes(self) -> tuple[int, int]:
        """(follows, unfollows) of the last step."""
        return int(self.state.step[0]), int(self.state.step[1])

    def update(
        self, world: World, t: int, v: Views, r: Reactions, inside: np.ndarray,
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        """Unfollow and rewire, then follow on likes (see the module's docstring)."""
        self.state.step[:] = 0
        if not self.active or len(v) == 0:
            return
        layer = world.networks.followers
        assert isinstance(layer, FollowLayer)  # made dynamic by init
        st, c = self.settings, world.content
        n_follow = n_unfollow = 0
        if st.unfollow_prob > 0:
            n_unfollow, n_rewired = unfollow(layer, v, r, inside, c, st, rng)
            n_follow += n_rewired
        if st.like_follow_prob > 0:
            n_follow += follow_on_likes(layer, v, r, c, st, rng)
        self.state.step[:] = (n_follow, n_unfollow)
        self.state.total += self.state.step


def follow_on_likes(
    layer: FollowLayer,
    v: Views,
    r: Reactions,
    c,  # noqa: ANN001 - model.content.ContentStore
    st: SasaharaSettings,
    rng: np.random.Generator,
) -> int:
    """Each like of a user's item by another user follows its author with probability
    ``like_follow_prob`` (one uniform per such like); returns the follows made."""
    author = c.source[v.item]
    cand = np.flatnonzero(r.like & (c.source_kind[v.item] == USER) & (author != v.user))
    if len(cand) == 0:
        return 0
    take = cand[rng.random(len(cand)) < st.like_follow_prob]
    done = layer.apply(np.ones(len(take), np.int8), v.user[take], author[take], st.cap)
    return int(done.sum())


def unfollow(
    layer: FollowLayer,
    v: Views,
    r: Reactions,
    inside: np.ndarray,
    c,  # noqa: ANN001 - model.content.ContentStore
    st: SasaharaSettings,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Discordant shares from followees: unfollow with probability ``unfollow_prob`` (one
    uniform per view shared by another user outside the bound), at most one per viewer, then
    rewire. Returns (unfollows, rewired follows)."""
    cand = np.flatnonzero(~inside & (v.source_user >= 0) & (v.source_user != v.user))
    if len(cand) == 0:
        return 0, 0
    take = cand[rng.random(len(cand)) < st.unfollow_prob]
    if len(take) == 0:
        return 0, 0
    viewer, followee = v.user[take], v.source_user[take]
    # a share from someone the viewer does not follow (an acquaintance) is no candidate
    follows = _following(layer.start, layer.end, layer.pool, viewer, followee)
    viewer, followee = viewer[follows], followee[follows]
    # one unfollow per viewer per step: the first in view order
    _, first = np.unique(viewer, return_index=True)
    first.sort()
    viewer, followee = viewer[first], followee[first]
    done = layer.apply(np.full(len(viewer), -1, np.int8), viewer, followee, st.cap)
    viewer, followee = viewer[done], followee[done]
    n_unfollow = len(viewer)
    if st.rewire == "none" or n_unfollow == 0:
        return n_unfollow, 0
    draws = rng.random((n_unfollow, 1 + RANDOM_TRIES))
    if st.rewire == "repost":
        # the distinct authors of the viewer's views inside the bound, grouped by viewer
        author = c.source[v.item]
        ok = inside & (c.source_kind[v.item] == USER) & (author != v.user)
        n = np.int64(layer.n)
        key = np.unique(v.user[ok].astype(np.int64) * n + author[ok])
        cu, ca = key // n, key % n
        lo = np.searchsorted(cu, viewer, side="left")
        hi = np.searchsorted(cu, viewer, side="right")
    else:
        ca = np.zeros(0, np.int64)
        lo = hi = np.zeros(n_unfollow, np.int64)
    target = _choose(
        layer.start, layer.end, layer.pool, viewer, followee, ca, lo, hi, draws, layer.n
    )
    ok = target >= 0
    done = layer.apply(np.ones(int(ok.sum()), np.int8), viewer[ok], target[ok], st.cap)
    return n_unfollow, int(done.sum())


@njit
def _following(start, end, pool, follower, account):
    """Per pair: ``follower[j]`` follows ``account[j]``."""
    out = np.zeros(follower.shape[0], dtype=np.bool_)
    for j in range(follower.shape[0]):
        out[j] = _find(start, end, pool, account[j], follower[j]) >= 0
    return out


@njit
def _choose(start, end, pool, viewer, dropped, cand_author, lo, hi, draws, n):
    """The account each unfollower follows instead: among the authors
    ``cand_author[lo[j]:hi[j]]`` that are not the viewer, not the account just dropped and not
    followed, one picked by ``draws[j, 0]``; when there are none, the first of
    ``draws[j, 1:]`` (as a uniform user) that is none of these; -1 when every try fails."""
    out = np.full(viewer.shape[0], -1, dtype=np.int64)
    for j in range(viewer.shape[0]):
        i, gone = viewer[j], dropped[j]
        m = 0
        for e in range(lo[j], hi[j]):
            a = cand_author[e]
            if a != i and a != gone and _find(start, end, pool, a, i) < 0:
                m += 1
        if m > 0:
            pick = min(int(draws[j, 0] * m), m - 1)
            for e in range(lo[j], hi[j]):
                a = cand_author[e]
                if a != i and a != gone and _find(start, end, pool, a, i) < 0:
                    if pick == 0:
                        out[j] = a
                        break
                    pick -= 1
            continue
        for k in range(1, draws.shape[1]):
            a = min(int(draws[j, k] * n), n - 1)
            if a != i and a != gone and _find(start, end, pool, a, i) < 0:
                out[j] = a
                break
    return out


def branch_refusal(old, new) -> str:  # noqa: ANN001 - model.params.Params
    """Why a branch from ``old`` to ``new`` parameters cannot change the user follow rule
    ("" when it can): a branch may change the rule's parameters (:func:`rebranch`), not which
    rule runs, whose state was built for it."""
    a, b = str(old.user_follow), str(new.user_follow)
    if a == b:
        return ""
    return (
        f"cannot change the user follow rule at a branch ({a!r} to {b!r}): its state was built "
        f"for {a!r}; a branch may change its parameters (user_follow.like_follow_prob, "
        "user_follow.unfollow_prob, user_follow.cap, user_follow.rewire)"
    )


def rebranch(world: World, params) -> None:  # noqa: ANN001 - model.params.Params
    """Give the running user follow rule ``params``' settings at a branch (the rule is the same,
    :func:`branch_refusal`); a rule turned on makes the follow layer dynamic, as at the start
    (docs/ODD.md 7.19). Its tallies carry on."""
    rule = world.rules.user_follow
    rule.settings = params.user_follow.settings
    if isinstance(rule, Sasahara) and rule.active:
        world.networks.make_dynamic()


@USER_FOLLOW.register("static")
class Static(UserFollowRule):
    """The follow layer built at the start never changes (the model before 7.19)."""

    def update(
        self, world: World, t: int, v: Views, r: Reactions, inside: np.ndarray,
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        """Nothing: no follow, no unfollow, no draw."""
