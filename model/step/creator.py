"""The designated creator's scheduled posts (docs/ODD.md 7.18, "The creator's posts").

With ``creator_post_step`` = s >= 1 the designated creator (``creator``) spends the session of
step s posting, whether or not the session draws (7.1) opened the app for them or had them
browse; with ``creator_post_prob`` = q > 0 they also post at every later step t > s with
probability q (one uniform per step from the creators' own stream, ``streams["creators"]``,
which no other mechanism draws from after the build). At any other step, or with both off (the
defaults), the creator is an ordinary user and nothing is drawn. A scheduled post is an
ordinary post otherwise (its format, stance, topic and appeal drawn as any post's, 7.2, 7.18).

Why: the creator's first post is the case's event (the own account's first post on a given
day), and left to the session draws (a user posts in about 3% of sessions) it falls at a
random step or not at all in a short run, so a run's timeline would rest on its seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.world import World


def posts_now(world: World, t: int) -> bool:
    """Whether the creator's session of step ``t`` is a scheduled post (draws one uniform at
    each step after the first post while ``creator_post_prob`` > 0)."""
    p = world.params
    s = p.creator_post_step
    if p.creator < 0 or s < 1 or t < s:
        return False
    if t == s:
        return True
    if p.creator_post_prob <= 0:
        return False
    return bool(world.streams["creators"].random() < p.creator_post_prob)


def schedule(
    world: World, t: int, active: np.ndarray, post: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``active`` (sorted users who opened the app) and ``post`` (whether each posts) with the
    creator posting when :func:`posts_now` says so (added in order, or turned to posting)."""
    if not posts_now(world, t):
        return active, post
    c = int(world.params.creator)
    at = int(np.searchsorted(active, c))
    world.state.last_active[c] = t
    if at < len(active) and active[at] == c:
        post = post.copy()
        post[at] = True
        return active, post
    return np.insert(active, at, c), np.insert(post, at, True)
