"""Named parameter presets: canonical reductions (docs/validation.md) and researcher scenarios.

Every preset returns :class:`model.Params` for the one engine, :class:`model.OpinionEcology`;
there is no separate toy implementation. A canonical preset switches every mechanism off
(:data:`QUIET`) and then switches one back on:

* :func:`deffuant`: peer exchange alone, uniform opinions, complete mixing. Bounded-confidence
  pairwise averaging (Deffuant, Neau, Amblard & Weisbuch 2000; Weisbuch et al. 2002): final
  major clusters about floor(1 / (2 epsilon)), mean opinion conserved.
* :func:`independent_cascade`: one seed item, fixed transmission probability p per tie, unlimited
  attention on an Erdos-Renyi follow layer (Kempe, Kleinberg & Tardos 2003). This is bond
  percolation: the large-outbreak share S solves S = 1 - exp(-c p S) (Newman 2002).
* :func:`limited_attention`: users post new items with probability mu or forward one item from
  their FIFO screen (Weng, Flammini, Vespignani & Menczer 2012); popularity is heavy-tailed
  (Gleeson, Ward, O'Sullivan & Lee 2014: competition for attention keeps the spreading of each
  item near a critical branching process).
* :func:`broadcast`: the focal outlet alone, no forwarding: every cascade is a star, whose
  structural virality is 2 (n - 1) / n < 2 (Goel, Anderson, Hofman & Watts 2016).

The canonical presets stop by themselves: :func:`deffuant` when no pair can interact any more
(``stop_when="converged"``), :func:`independent_cascade` and :func:`broadcast` when nothing can
spread any more (``stop_when="extinct"``). :func:`limited_attention` is a stationary process
with no absorbing state (new items keep arriving), so it stops at its horizon.

The scenario presets (:func:`viral_moment`, :func:`music_community`) are starting points for
researchers, with every mechanism on; their values are scenario assumptions, documented below.
:data:`PRESETS` maps each name to its function (every argument has a default) for the viewer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from model.params import Params
from model.schema import Field, Interval, Schema, validate
from model.strategies import Strategy

#: Every mechanism off: no outlets publishing, no user posts, no networks, no peer exchange, no
#: opinion, trust, belonging or follow dynamics, no platform top-up. Canonical presets start here.
QUIET: dict[str, Any] = {
    "n_background": 0,
    "outlet_rate": 0.0,
    "initial_items": 0,
    "focal_followers": 0,
    "user_post_prob": 0.0,
    "acq_degree": 0,
    "follow_model": "none",
    "peer_prob": 0.0,
    "mu_content": 0.0,
    "trending_prob": 0.0,
    "trust_rate": 0.0,
    "belonging_gain": 0.0,
    "activity_from_belonging": 0.0,
    "follow_prob": 0.0,
    "churn_prob": 0.0,
    "epsilon_sd": 0.0,
    "record_cascades": "none",
}

#: Peer-exchange rounds (random matchings) per step in :func:`deffuant`. Each round is one sweep
#: of n/2 pairwise encounters, Deffuant's unit of time; several per step only make the
#: convergence check (once per step) less frequent. Converged opinions never move again.
DEFFUANT_ROUNDS = 20

#: Activity multiplier that gives every cohort one session per step (the smallest cohort
#: activity is 0.14 per step): the homogeneous agents of the cascade and attention models.
ALWAYS_ACTIVE = 10.0

#: Attention multiplier that makes every browsing session view exactly one item: the budget is
#: max(1, floor(attention * scale + U)) and the largest cohort attention is 6, so 6 * 0.05 < 1.
ONE_ITEM = 0.05

#: Share of users following the focal outlet in :func:`broadcast`.
BROADCAST_FOLLOWERS = 0.3


# ------------------------------------------------------------------ argument checks
#: The presets' own arguments; the others are checked against the Params field they set.
ARGS = Schema(
    "model.presets",
    {
        "epsilon": Field(
            0.2,
            Interval(float, 0.0, 1.0, closed="right"),
            symbol="ε",
            doc="Classic confidence bound for opinions on [0, 1] (deffuant).",
        ),
        "mu": Field(
            0.5,
            Interval(float, 0.0, 0.5, closed="right"),
            symbol="μ",
            doc="Convergence parameter (deffuant): 0 freezes every pair, above 0.5 a pair "
            "overshoots each other.",
        ),
        "mean_degree": Field(
            10.0,
            Interval(float, 0.0, 500.0, closed="right"),
            symbol="c",
            doc="Mean number of accounts each user follows (independent_cascade).",
        ),
    },
)


def _arg(name: str, value: Any) -> Any:
    return validate(ARGS, name, value)


def _as(field_name: str, label: str, value: Any) -> Any:
    """``value`` checked as the Params field it sets, named ``label`` in the message."""
    return validate(Params, field_name, value, label=label)


# ------------------------------------------------------------------ canonical reductions
def deffuant(epsilon: float = 0.2, mu: float = 0.5, n_users: int = 1000) -> Params:
    """Deffuant-Weisbuch bounded confidence: peer exchange alone, uniform opinions, complete mixing.

    Each round pairs users by a random matching (disjoint pairs, so the vectorised update is the
    sequential model's); a pair closer than epsilon both move a share mu of the way toward each
    other. Starting from uniform opinions the population settles into about floor(1 / (2
    epsilon)) major clusters, and every exchange conserves the mean opinion.

    ``epsilon`` is the classic confidence bound for opinions on [0, 1]. The engine's opinions
    live on [-1, 1], twice as wide, so the engine's bound is ``2 * epsilon``: the preset maps it.

    Args:
        epsilon: Classic confidence bound, in (0, 1] (opinions on [0, 1]).
        mu: Convergence parameter, in (0, 0.5] (0.5: a pair meets in the middle).
        n_users: Population size, at least 2.

    Returns:
        Params that stop once no pair can interact any more (``stop_when="converged"``).

    Raises:
        ValueError: epsilon outside (0, 1], mu outside (0, 0.5] or n_users under 2.
    """
    n = _as("n_users", "n_users", n_users)
    eps = _arg("epsilon", epsilon)
    if eps < 0.0005:
        raise ValueError(f"epsilon={eps!r} is below the engine's smallest bound (0.0005 on [0, 1])")
    m = _arg("mu", mu)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "initial_opinion": "uniform",
            "epsilon": 2.0 * eps,
            "peer_prob": 1.0,
            "peer_rounds": DEFFUANT_ROUNDS,
            "peer_mu": m,
            "peer_mixing": "complete",
            "stop_when": "converged",
            "steps": 100_000,
        }
    )


def independent_cascade(p: float = 0.2, mean_degree: float = 10.0, n_users: int = 10_000) -> Params:
    """Independent cascade: one seed item spreads over an Erdos-Renyi follow layer.

    One user follows the focal outlet and sees its single item; every user who sees the item
    forwards it once, and each of their followers receives it independently with probability
    ``p`` (``organic_reach``); forwarding itself is certain (``forward_model="fixed"``,
    ``forward_p=1``, no friction) and attention is unlimited, so nothing else filters the
    spread. The users reached form the out-component of the seed in directed bond
    percolation; with mean degree c a large outbreak reaches the share S solving
    S = 1 - exp(-c p S), and below c p = 1 outbreaks stay small (mean size 1 / (1 - c p)).

    Args:
        p: Transmission probability per tie, in [0, 1].
        mean_degree: Mean number of accounts each user follows (c), in (0, 500].
        n_users: Population size, at least 2.

    Returns:
        Params that stop once nothing can spread any more (``stop_when="extinct"``).

    Raises:
        ValueError: p outside [0, 1], mean_degree outside (0, 500] or n_users under 2.
    """
    n = _as("n_users", "n_users", n_users)
    prob = _as("organic_reach", "p", p)
    degree = _arg("mean_degree", mean_degree)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "follow_model": "erdos_renyi",
            "follow_degree": degree,
            "organic_reach": prob,
            "forward_model": "fixed",
            "forward_p": 1.0,
            "attention": "unlimited",
            "activity_scale": ALWAYS_ACTIVE,
            "focal_followers": 1,
            "initial_items": 1,
            "strategy": Strategy(name="independent_cascade"),
            "share_friction": 0.0,
            "screen_size": 50,
            "record_cascades": "all",
            "stop_when": "extinct",
            "steps": 1000,
        }
    )


def limited_attention(mu: float = 0.05, n_users: int = 10_000, screen: int = 10) -> Params:
    """Weng et al. (2012): users post new items or forward one item from a FIFO screen.

    Every user has one session per step. With probability ``mu`` the session is spent posting
    a new item; otherwise the user views one unseen item chosen uniformly at random from its
    screen (attention is one item per session) and forwards it. A post or forward reaches all
    of the user's followers, where it is pushed onto a FIFO screen of ``screen`` items. No
    outlets, no recommendations, no resonance: items are identical in value.

    The follow layer is directed with a heavy-tailed in-degree (exponent 2.3, Chung-Lu), like
    the Twitter follower network on which Weng et al. ran the model (Kwak et al. 2010 measured
    an in-degree exponent of about 2.3); each user follows 10 accounts on average. On an
    Erdos-Renyi layer of the same size competition alone gives a broad distribution with a
    sharp cut-off (docs/validation.md shows both): the heavy tail over several decades comes
    from limited attention combined with the network's heterogeneity, as Weng et al. argue.

    Popularity (1 + forwards) is measured with :func:`model.measures.popularity_tail`, leaving
    out the first and last 50 steps (start-up with empty screens; items still spreading).

    Args:
        mu: Probability that a session posts a new item, in [0, 1].
        n_users: Population size, at least 2.
        screen: Screen capacity (items), in [1, 1000].

    Returns:
        Params of a stationary process that stops at its horizon of 200 steps.

    Raises:
        ValueError: mu outside [0, 1], n_users under 2 or screen outside [1, 1000].
    """
    n = _as("n_users", "n_users", n_users)
    m = _as("user_post_prob", "mu", mu)
    screen = _as("screen_size", "screen", screen)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "user_post_prob": m,
            "follow_model": "powerlaw",
            "follow_degree": 10.0,
            "follow_exponent": 2.3,
            "organic_reach": 1.0,
            "forward_model": "fixed",
            "forward_p": 1.0,
            "attention_scale": ONE_ITEM,
            "feed_choice": "uniform",
            "activity_scale": ALWAYS_ACTIVE,
            "screen_size": screen,
            "stop_when": "horizon",
            "steps": 200,
        }
    )


def broadcast(n_users: int = 10_000, forward_p: float = 0.0) -> Params:
    """The focal outlet alone: five items delivered to its followers, nobody forwards.

    30% of users follow the outlet and see its items directly, so each item's cascade tree is
    a star (the outlet and the followers who viewed it) with structural virality 2 (n - 1) / n.
    ``forward_p > 0`` turns forwarding on (fixed probability, no friction) over an
    Erdos-Renyi follow layer of mean degree 10: trees grow branches and virality rises.

    Args:
        n_users: Population size, at least 2.
        forward_p: Forward probability per view, in [0, 1]; 0 is pure broadcast.

    Returns:
        Params that stop once nothing can spread any more (``stop_when="extinct"``).

    Raises:
        ValueError: forward_p outside [0, 1] or n_users under 2.
    """
    n = _as("n_users", "n_users", n_users)
    fp = _as("forward_p", "forward_p", forward_p)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "focal_followers": max(1, math.ceil(BROADCAST_FOLLOWERS * n)),
            "initial_items": 5,
            "follow_model": "erdos_renyi",
            "follow_degree": 10.0,
            "organic_reach": 1.0,
            "forward_model": "fixed",
            "forward_p": fp,
            "strategy": Strategy(name="broadcast"),
            "share_friction": 0.0,
            "attention": "unlimited",
            "activity_scale": ALWAYS_ACTIVE,
            "screen_size": 50,
            "record_cascades": "focal",
            "stop_when": "extinct",
            "steps": 1000,
        }
    )


# ------------------------------------------------------------------ researcher scenarios
def viral_moment(n_users: int = 10_000, strategy: str | Strategy = "interactive") -> Params:
    """A high-resonance short video seeded into a young, social-heavy population (three days).

    Scenario assumptions, all sweepable: the population is young (post-00s 40%, post-90s 35%,
    post-80s 15%, pre-80s 10%), the cohorts that take most news through social channels; the
    focal outlet publishes one seed short video at the start (``initial_items=1``) on top of a
    slow stream (0.2 items per hour), all short video, of high emotional intensity (0.9) and
    quality (0.85), with a broadly acceptable stance (mean 0, spread 0.1). Everything else is
    the model's default ecology (background outlets, user posts, trending, both networks).

    Args:
        n_users: Population size, at least 2.
        strategy: The focal outlet's strategy (preset name or Strategy).

    Returns:
        Params with a 72-step (three-day) horizon and the focal cascades recorded.
    """
    n = _as("n_users", "n_users", n_users)
    return Params(
        n_users=n,
        mix_post00=0.40,
        mix_post90=0.35,
        mix_post80=0.15,
        mix_pre80=0.10,
        initial_items=1,
        outlet_rate=0.2,
        fmt_text=0.0,
        fmt_image=0.0,
        fmt_short_video=1.0,
        fmt_long_video=0.0,
        intensity=0.9,
        quality=0.85,
        stance_mean=0.0,
        stance_sd=0.1,
        strategy=strategy,
        steps=72,
        record_cascades="focal",
    )


def music_community(n_users: int = 10_000, strategy: str | Strategy = "interactive") -> Params:
    """A music platform's community: post-90s and post-00s make up 68% of users (two weeks).

    The 68% is the seed's platform figure; how it splits between post-00s and post-90s is not
    given, so the preset splits it evenly (34% each, an assumption), and the remaining 32% as
    post-80s 20% and pre-80s 12% (assumption). Community features are on by default through
    the ``interactive`` strategy (replies, moderation, a community whose members see each
    other's comments, emotional rewards, follow-ups), with a larger
    community fan-out (10 members see each comment) and stronger community belonging gain
    (0.04 per active step) than the defaults; the content mix is music-like (short video 45%,
    long video 25%, image 15%, text 15%), emotionally warm (intensity 0.7).

    Args:
        n_users: Population size, at least 2.
        strategy: The focal outlet's strategy (preset name or Strategy); compare with
            ``"one_way"`` on the same seed.

    Returns:
        Params with a 336-step (two-week) horizon.
    """
    n = _as("n_users", "n_users", n_users)
    return Params(
        n_users=n,
        mix_post00=0.34,
        mix_post90=0.34,
        mix_post80=0.20,
        mix_pre80=0.12,
        fmt_text=0.15,
        fmt_image=0.15,
        fmt_short_video=0.45,
        fmt_long_video=0.25,
        intensity=0.7,
        community_fanout=10,
        community_gain=0.04,
        strategy=strategy,
        steps=336,
    )


#: Every preset by name; each function can be called without arguments (the viewer does).
PRESETS: dict[str, Callable[..., Params]] = {
    "deffuant": deffuant,
    "independent_cascade": independent_cascade,
    "limited_attention": limited_attention,
    "broadcast": broadcast,
    "viral_moment": viral_moment,
    "music_community": music_community,
}

#: The canonical reductions (docs/validation.md), a subset of :data:`PRESETS`.
CANONICAL: tuple[str, ...] = ("deffuant", "independent_cascade", "limited_attention", "broadcast")
