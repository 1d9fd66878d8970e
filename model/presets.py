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

The scenario presets (:func:`viral_moment`, :func:`music_community`, :func:`viral_creator`) are
starting points for researchers, with every mechanism on; their values are scenario
assumptions, documented below.
:data:`PRESETS` maps each name to its function (every argument has a default) for the viewer.

This file is long because each preset is a reduction of the one engine to a published model
whose docstring states the result it reproduces; the presets stay in one catalogue
(:data:`PRESETS`) so that the viewer and the validation read one list.
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
    "following.churn_prob": 0.0,
    "epsilon_sd": 0.0,
    "record_cascades": "none",
}

#: :data:`QUIET` for presets whose following rule is not ``engagement`` (churn is its parameter).
QUIET_NO_CHURN: dict[str, Any] = {k: v for k, v in QUIET.items() if k != "following.churn_prob"}

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
        "days": Field(
            5,
            Interval(int, 1, 365),
            unit="days",
            doc="Horizon in days of 24 steps (viral_creator).",
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
            "opinion.peer_mu": m,
            "peer_mixing": "complete",
            "stop_when": "converged",
            "steps": 100_000,
        }
    )


def independent_cascade(p: float = 0.2, mean_degree: float = 10.0, n_users: int = 10_000) -> Params:
    """Independent cascade: one seed item spreads over an Erdos-Renyi follow layer.

    One user follows the focal outlet and sees its single item; every user who sees the item
    forwards it once, and each of their followers receives it independently with probability
    ``p`` (``organic_reach``); forwarding itself is certain (``forwarding="fixed"``,
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
            "forwarding": "fixed",
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
            "forwarding": "fixed",
            "forward_p": 1.0,
            "attention.attention_scale": ONE_ITEM,
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
            "forwarding": "fixed",
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
    (0.04 per step with community contact) than the defaults; the content mix is music-like (short video 45%,
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


#: The creator of :func:`viral_creator`: user 0 (users are drawn independently, so user 0 is an
#: ordinary member of the population, with an ordinary number of followers at the start).
VIRAL_CREATOR = 0
#: The step of the creator's first post in :func:`viral_creator` (the sixth hour of day one).
VIRAL_CREATOR_FIRST_POST = 6


def viral_creator(
    n_users: int = 20_000, strategy: str | Strategy = "interactive", days: int = 5
) -> Params:
    """A creator's short video takes off and tourism outlets ride the trend (docs/ODD.md 7.20).

    The seed's case (docs/ODD.md 7.20, "The case's timeline"): a young man's short video drew
    millions of likes, his own account gained millions of followers after his first post, and
    tourism bureaus joined the topic about two weeks later. Scenario assumptions, all
    sweepable: the young population of :func:`viral_moment`, a short-video focal outlet (0.5
    items per hour); one creator (user :data:`VIRAL_CREATOR`) whose posts multiply the odds of
    a like and of a forward by 200 (``creator_appeal``), among creators of a narrow lognormal
    appeal (sigma 0.25: the most appealing of 20,000 others is near exp(0.25 x 3.9), about 2.7;
    with sigma 0.5 another user's post outgrew the creator's at 20,000 users); the creator's
    first post at step :data:`VIRAL_CREATOR_FIRST_POST` (``creator_post_step``: the case's
    post on a given day, not left to the session draws, which put it anywhere in the run or
    nowhere) and then a post with probability 1/24 per step (``creator_post_prob``: about one
    a day, the own account's posting); an Erdos-Renyi
    user follow layer (every user starts with a few followers, the creator too: on the
    heavy-tailed layer an ordinary user often has one or none, and the post reaches nobody);
    users follow the author of a post they like with probability 0.05 and unfollow nobody
    (docs/ODD.md 7.19); 100 topics (Zipf 0.5) with a trending list of 10 topics, a trending
    channel by topics that tops up a short feed with probability 0.05 (at 1.0, the default, the
    pool's items take most views whatever their appeal) and a quarter of users' posts
    derivative; five background outlets (the regions' tourism bureaus) that all ride, the first
    a day after a topic starts trending and one more every 12 hours; small outlet audiences (5%
    of users follow each, a bureau's following); and the focal outlet rides too (its strategy
    with ``ride_trends`` on, a delay of one day, half its items on the ridden topics). The
    case's two-week delay is compressed to a day so that a run of a few days shows the
    scramble.

    Args:
        n_users: Population size, at least 2 (the creator is user 0).
        strategy: The focal outlet's strategy (preset name or Strategy); riding is switched on
            in it (``ride_trends=True``, ``ride_delay=24``, ``ride_share=0.5``).
        days: Horizon in days (24 steps each), at least 1.

    Returns:
        Params with a ``24 days``-step horizon.
    """
    n = _as("n_users", "n_users", n_users)
    d = _arg("days", days)
    st = _as("strategy", "strategy", strategy)
    # the user follow rule's own parameter, by its address (docs/ODD.md 7.19)
    rule: dict[str, Any] = {"user_follow.like_follow_prob": 0.05}
    return Params(
        n_users=n,
        mix_post00=0.40,
        mix_post90=0.35,
        mix_post80=0.15,
        mix_pre80=0.10,
        outlet_rate=0.5,
        fmt_text=0.0,
        fmt_image=0.1,
        fmt_short_video=0.9,
        fmt_long_video=0.0,
        strategy=st.replace(
            name=f"{st.label()}_riding", ride_trends=True, ride_delay=24, ride_share=0.5
        ),
        n_background=5,
        background_follow_share=0.05,
        focal_follow_share=0.05,
        background_ride_share=1.0,
        background_ride_delay=24,
        background_ride_spacing=12,
        background_ride_items=0.5,
        creator=VIRAL_CREATOR,
        creator_appeal=200.0,
        creator_sigma=0.25,
        creator_post_step=VIRAL_CREATOR_FIRST_POST,
        creator_post_prob=1 / 24,
        n_topics=100,
        topic_zipf=0.5,
        trending_by="topics",
        trending_size=10,
        trending_prob=0.05,
        derivative_share=0.25,
        follow_model="erdos_renyi",
        steps=24 * d,
        **rule,
    )


#: Every preset by name; each function can be called without arguments (the viewer does).
PRESETS: dict[str, Callable[..., Params]] = {
    "deffuant": deffuant,
    "independent_cascade": independent_cascade,
    "limited_attention": limited_attention,
    "broadcast": broadcast,
    "viral_moment": viral_moment,
    "music_community": music_community,
    "viral_creator": viral_creator,
}

#: The canonical reductions (docs/validation.md), a subset of :data:`PRESETS`.
CANONICAL: tuple[str, ...] = ("deffuant", "independent_cascade", "limited_attention", "broadcast")


# ------------------------------------------------------------------ opinion rules
#: Horizon of :func:`hegselmann_krause`: HK freezes in finite time, far below this (Lorenz 2007).
HK_STEPS = 1000

#: Horizon of :func:`algorithmic_bias`: with strong bias two clusters inside the bound meet only
#: rarely, so a run can stay unconverged for a very long time (Sirbu et al. 2019, Fig. 4).
AB_STEPS = 500

#: Horizon of :func:`degroot` and :func:`friedkin_johnsen`: the error shrinks like |lambda_2|^t,
#: so 1200 steps leave it far below 1e-8 on a connected random W with self loops.
LINEAR_STEPS = 1200

#: Horizon of :func:`echo_chambers` in Euler steps of dt = 0.01 (t = 10, ten relaxation times).
ECHO_STEPS = 1000


def hegselmann_krause(epsilon: float = 0.25, n_users: int = 1000) -> Params:
    """Hegselmann-Krause bounded confidence: every user moves to the mean of the opinions within
    its bound, all at once, under complete mixing, from uniform opinions.

    Each step every user i takes x_i' = mean{x_j : |x_j - x_i| <= eps}, itself included
    (Hegselmann & Krause 2002). From uniform opinions on [0, 1] with n = 1000 the population
    reaches consensus for epsilon >= 0.25 in almost every run, and the dynamics freeze in
    finite time (Fortunato 2005; Lorenz 2007). The engine's opinions live on [-1, 1]: x' = 2x - 1,
    so the preset passes the bound 2 epsilon.

    Args:
        epsilon: Classic confidence bound, in (0, 1] (opinions on [0, 1]).
        n_users: Population size, at least 2.

    Returns:
        Params that stop once no opinion can move any more (``stop_when="converged"``).

    Raises:
        ValueError: epsilon outside (0, 1] or n_users under 2.
    """
    n = _as("n_users", "n_users", n_users)
    eps = _arg("epsilon", epsilon)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "initial_opinion": "uniform",
            "epsilon": 2.0 * eps,
            "opinion": "hegselmann_krause",
            "peer_prob": 1.0,
            "peer_rounds": 1,
            "peer_mixing": "complete",
            "stop_when": "converged",
            "steps": HK_STEPS,
        }
    )


def algorithmic_bias(epsilon: float = 0.3, gamma: float = 1.0, n_users: int = 100) -> Params:
    """Deffuant averaging with algorithmic bias: partners chosen ∝ opinion distance^-gamma.

    Sirbu, Pedreschi, Giannotti & Kertesz (2019): each user proposes a partner j with
    probability ∝ max(|x_i - x_j|, 1e-5)^-gamma (on [0, 1]); a pair closer than epsilon meets in
    the middle (mu = 0.5). gamma = 0 is the Deffuant model. As gamma grows the population splits
    into more clusters and takes longer to converge. Opinions map to the engine's [-1, 1] by
    x' = 2x - 1 (bound 2 epsilon, distance floor 2e-5).

    Args:
        epsilon: Classic confidence bound, in (0, 1] (opinions on [0, 1]).
        gamma: Algorithmic bias, in [0, 10].
        n_users: Population size, at least 2.

    Returns:
        Params that stop once no pair can interact any more, or after 500 steps of 20 rounds.

    Raises:
        ValueError: epsilon outside (0, 1], gamma outside [0, 10] or n_users under 2.
    """
    n = _as("n_users", "n_users", n_users)
    eps = _arg("epsilon", epsilon)
    g = _as("peer_choice.peer_bias", "gamma", gamma)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "initial_opinion": "uniform",
            "epsilon": 2.0 * eps,
            "peer_prob": 1.0,
            "peer_rounds": DEFFUANT_ROUNDS,
            "opinion.peer_mu": 0.5,
            "peer_mixing": "complete",
            "peer_choice": "algorithmic_bias",
            "peer_choice.peer_bias": g,
            "stop_when": "converged",
            "steps": AB_STEPS,
        }
    )


def degroot(n_users: int = 50, acq_degree: int = 6) -> Params:
    """DeGroot averaging x(t+1) = W x(t) on a random row-stochastic W (DeGroot 1974).

    W's row i has uniform random weights on i itself and its acquaintances (a connected
    small-world layer of mean degree ``acq_degree``), normalised to sum to 1: irreducible and,
    with the self loops, aperiodic, so opinions reach the consensus pi^T x(0), pi the left
    eigenvector of W for eigenvalue 1. Initial opinions are uniform on [-1, 1].

    Args:
        n_users: Population size, at least 2.
        acq_degree: Mean number of acquaintances, in [2, 50].

    Returns:
        Params with a 1200-step horizon (the error falls like |lambda_2|^t).

    Raises:
        ValueError: n_users under 2 or acq_degree outside the Params range.
    """
    n = _as("n_users", "n_users", n_users)
    k = _as("acq_degree", "acq_degree", acq_degree)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "initial_opinion": "uniform",
            "acq_degree": k,
            "opinion": "degroot",
            "opinion.peer_weights": "random",
            "peer_prob": 1.0,
            "peer_rounds": 1,
            "stop_when": "horizon",
            "steps": LINEAR_STEPS,
        }
    )


def friedkin_johnsen(susceptibility: float = 0.5, n_users: int = 50, acq_degree: int = 6) -> Params:
    """Friedkin-Johnsen: x(t+1) = Lambda W x(t) + (I - Lambda) x(0), W as in :func:`degroot`.

    Users keep an anchor to their initial opinion (Friedkin & Johnsen 1990): Lambda =
    susceptibility * I, and for susceptibility < 1 opinions converge to the fixed point
    (I - Lambda W)^-1 (I - Lambda) x(0), in general not a consensus.

    Args:
        susceptibility: lambda, the weight of peers, in [0, 1] (1 is DeGroot).
        n_users: Population size, at least 2.
        acq_degree: Mean number of acquaintances.

    Returns:
        Params with a 1200-step horizon.

    Raises:
        ValueError: an argument outside its Params range.
    """
    lam = _as("opinion.susceptibility", "susceptibility", susceptibility)
    return degroot(n_users, acq_degree).replace(
        opinion="friedkin_johnsen", **{"opinion.susceptibility": lam}
    )


def echo_chambers(alpha: float = 3.0, beta: float = 3.0, n_users: int = 1000) -> Params:
    """Radicalisation and echo chambers on an activity-driven network (Baumann et al. 2020).

    dx_i/dt = -x_i + K sum_j A_ij(t) tanh(alpha x_j): each step every user is active with its
    activity a_i ~ a^-2.1 on [0.01, 1] and influences m = 10 others chosen ∝ |x_i - x_j|^-beta,
    each of whom influences it back with probability r = 0.5; K = 3, Euler step dt = 0.01, x(0)
    uniform on [-1, 1] (Baumann, Lorenz-Spreen, Sokolov & Starnini 2020, PRL 124:048301, Fig. 1;
    the same values as the public reproductions of the paper, docs/ODD.md 7.15). Three
    regimes: neutral consensus (alpha = 0.05, beta = 2), radicalisation (alpha = 3, beta = 0),
    polarisation with echo chambers (alpha = 3, beta = 3). The rule keeps Baumann's unbounded x
    and shows the engine tanh(x) (model/rules/opinion.py).

    Args:
        alpha: Controversialness of the topic, in [0, 20].
        beta: Homophily of contact choice, in [0, 20].
        n_users: Population size, at least 2.

    Returns:
        Params with a horizon of 1000 Euler steps (t = 10).

    Raises:
        ValueError: an argument outside its Params range.
    """
    n = _as("n_users", "n_users", n_users)
    a = _as("opinion.controversy", "alpha", alpha)
    b = _as("opinion.contact_homophily", "beta", beta)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "initial_opinion": "uniform",
            "opinion": "activity_driven",
            "peer_mixing": "complete",
            "peer_prob": 1.0,
            "peer_rounds": 1,
            "opinion.controversy": a,
            "opinion.contact_homophily": b,
            "opinion.social_coupling": 3.0,
            "opinion.contacts": 10,
            "opinion.activity_exponent": 2.1,
            "opinion.activity_min": 0.01,
            "opinion.reciprocity": 0.5,
            "opinion.opinion_dt": 0.01,
            "stop_when": "horizon",
            "steps": ECHO_STEPS,
        }
    )


PRESETS.update(
    {
        "hegselmann_krause": hegselmann_krause,
        "algorithmic_bias": algorithmic_bias,
        "degroot": degroot,
        "friedkin_johnsen": friedkin_johnsen,
        "echo_chambers": echo_chambers,
    }
)


# ------------------------------------------------------------------ spreading and following rules
#: Threshold, rumour, collective-emotion and voter reductions (model/rules/spreading.py,
#: following.py, emotion.py), each from :data:`QUIET` with one rule switched on.
#: Steps are generous horizons: each preset stops by itself (extinct or consensus).
def threshold(phi: float = 0.18, mean_degree: float = 3.0, n_users: int = 10_000) -> Params:
    """Watts (2002): threshold forwarding on an undirected Erdos-Renyi graph, one random seed.

    One user, drawn at random, follows the focal outlet and sees its single item: it forwards
    it (``forward_p = 1``, the initial adopter). Every other user forwards the item once the
    share of its neighbours who shared it reaches phi (``forwarding.threshold_kind="share"``); a share
    reaches every neighbour (``organic_reach = 1``), attention is unlimited and every user is
    active each step, so a step is one synchronous update of Watts's model. Global cascades
    (more than 10% adopting, :func:`model.measures.adopted_share`) occur for mean degree z
    inside a window 1 < z < about 5.8 at phi = 0.18, where the vulnerable users (threshold at
    most 1/k) percolate.

    Args:
        phi: The threshold phi, a share of a user's neighbours, in [0, 1].
        mean_degree: Mean degree z of the undirected Erdos-Renyi graph, in (0, 500].
        n_users: Population size, at least 2.

    Returns:
        Params that stop once nothing can spread any more (``stop_when="extinct"``).
    """
    n = _as("n_users", "n_users", n_users)
    ph = _as("forwarding.threshold_phi", "phi", phi)
    if ph > 1:
        raise ValueError(f"phi={ph!r} is a share of neighbours and must be in [0, 1]")
    z = _arg("mean_degree", mean_degree)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "follow_model": "erdos_renyi_undirected",
            "follow_degree": z,
            "organic_reach": 1.0,
            "forwarding": "threshold",
            "forward_p": 1.0,
            "forwarding.threshold_phi": ph,
            "forwarding.threshold_kind": "share",
            "attention": "unlimited",
            "activity_scale": ALWAYS_ACTIVE,
            "focal_followers": 1,
            "initial_items": 1,
            "strategy": Strategy(name="threshold"),
            "share_friction": 0.0,
            "screen_size": 50,
            "stop_when": "extinct",
            "steps": 1000,
        }
    )


def granovetter_crowd(n_users: int = 100, broken: bool = False) -> Params:
    """Granovetter (1978): a crowd with thresholds 0, 1, ..., N - 1, complete mixing.

    Everyone follows everyone and the focal outlet, which publishes one item; nobody forwards
    spontaneously (``forward_p = 0``). User i forwards once i others have (count thresholds):
    the threshold-0 instigator starts, and each step one more joins, until all N have. With
    ``broken=True`` the threshold-1 user has threshold 2, nobody has threshold 1, and the crowd
    stops at the instigator.

    Args:
        n_users: Crowd size, 2 to 5,000 (complete mixing has N (N - 1) ties).
        broken: Raise user 1's threshold from 1 to 2.

    Returns:
        Params that stop once nothing can spread any more (``stop_when="extinct"``).
    """
    n = _as("n_users", "n_users", n_users)
    if n > 5000:
        raise ValueError(f"n_users={n} is too large for complete mixing (at most 5000)")
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "follow_model": "complete",
            "organic_reach": 1.0,
            "forwarding": "threshold",
            "forward_p": 0.0,
            "forwarding.threshold_kind": "count",
            "forwarding.threshold_dist": "granovetter_broken" if broken else "granovetter_uniform",
            "attention": "unlimited",
            "activity_scale": ALWAYS_ACTIVE,
            "focal_followers": n,
            "initial_items": 1,
            "strategy": Strategy(name="granovetter"),
            "share_friction": 0.0,
            "screen_size": 50,
            "stop_when": "extinct",
            "steps": 10 * n,
        }
    )


def rumour(n_users: int = 10_000) -> Params:
    """Maki-Thompson (1973) rumour: complete mixing, one seed, spreaders stifle on a knower.

    One random user follows the focal outlet and sees its item, and starts spreading it. Each
    step every spreader contacts one random other user: an ignorant contact learns the item
    (it lands on its screen and is viewed, so it is reached) and spreads it too; a contact who
    already knows makes the spreader a stifler. Nothing else spreads. The share never informed,
    ``1 - reach``, tends to theta solving theta = exp(-2 (1 - theta)), 0.2032, as N grows.

    Args:
        n_users: Population size, at least 2.

    Returns:
        Params that stop once nothing can spread any more (``stop_when="extinct"``).
    """
    n = _as("n_users", "n_users", n_users)
    return Params(
        **{
            **QUIET,
            "n_users": n,
            "forwarding": "rumour",
            "forward_p": 1.0,
            "peer_mixing": "complete",
            "attention": "unlimited",
            "activity_scale": ALWAYS_ACTIVE,
            "focal_followers": 1,
            "initial_items": 1,
            "strategy": Strategy(name="rumour"),
            "share_friction": 0.0,
            "screen_size": 10,
            "stop_when": "extinct",
            "steps": 10_000,
        }
    )


PRESETS.update(
    {
        "threshold": threshold,
        "granovetter_crowd": granovetter_crowd,
        "rumour": rumour,
    }
)


def voter(rho0: float = 0.5, n_users: int = 100) -> Params:
    """The voter model on a complete graph, over following the focal outlet.

    A share ``rho0`` of users (exactly round(rho0 N)) follow the focal outlet at the start;
    each step every user once, in random order, copies the follow state of a random other
    user (``following="voter"``, ``peer_mixing="complete"``). The run stops at consensus
    (everyone or nobody follows); the share of followers is a martingale, so the probability
    of ending with everyone following is rho0.

    Args:
        rho0: Initial share of followers, in [0, 1].
        n_users: Population size, at least 2.

    Returns:
        Params that stop at consensus (``stop_when="consensus"``).
    """
    n = _as("n_users", "n_users", n_users)
    rho = _as("focal_follow_share", "rho0", rho0)
    return Params(
        **{
            **QUIET_NO_CHURN,
            "n_users": n,
            "focal_followers": round(rho * n),
            "following": "voter",
            "peer_mixing": "complete",
            "stop_when": "consensus",
            "steps": 100 * n,
        }
    )


def q_voter(q: int = 4, p: float = 0.2, n_users: int = 1000) -> Params:
    """The q-voter with independence on a complete graph (Nyczka, Sznajd-Weron & Cislo 2012).

    Everyone follows the focal outlet at the start (the ordered state). Each step every user
    once, in random order: with probability p it follows or not at random; otherwise it draws
    q other users and copies them if all q agree. In mean field the order m = 2 rho - 1
    survives for p < p_c = (q - 1) / (q - 1 + 2^(q - 1)) (0.2727 at q = 4) and decays to 0
    above it.

    Args:
        q: Panel size, in [1, 100].
        p: Independence, in [0, 1].
        n_users: Population size, at least 2.

    Returns:
        Params with a horizon of 300 sweeps.
    """
    n = _as("n_users", "n_users", n_users)
    return Params(
        **{
            **QUIET_NO_CHURN,
            "n_users": n,
            "focal_followers": n,
            "following": "q_voter",
            "following.voter_q": _as("following.voter_q", "q", q),
            "following.voter_p": _as("following.voter_p", "p", p),
            "peer_mixing": "complete",
            "steps": 300,
        }
    )


#: Collective emotions: gamma_v, gamma_a, drive, tau, gamma_h and s of :func:`collective_emotions`
#: (expression period K = 4 steps, so b_c = K gamma_v (1 - e^-gamma_h) / s = 0.1574).
COLLECTIVE = {
    "emotion.gamma_v": 0.1,
    "emotion.gamma_a": 0.2,
    "emotion.drive": 1.0,
    "emotion.threshold": 0.5,
    "emotion.gamma_h": 0.5,
    "emotion.field_gain": 1.0,
}


def collective_emotions(
    coupling: float = 4.0, noise: float = 0.05, n_users: int = 1000, steps: int = 200
) -> Params:
    """Schweitzer & Garcia (2010): valence coupled to the emotional field users' expressions feed.

    Every user's arousal relaxes toward a drive level above the threshold (gamma_a = 0.2,
    a_d = 1, tau = 0.5), so each expresses the sign of its valence every K = 4 steps; the
    expressions feed the field h+- (gamma_h = 0.5, s = 1), and valence grows or relaxes at
    the rate b h_sign(v) - gamma_v (gamma_v = 0.1), with noise A_v. ``coupling`` is b in units
    of the critical b_c of :func:`model.rules.emotion.critical_coupling` (0.1574 here): below
    1 no valence can grow and valence stays unimodal around 0; above 1 the majority sign
    grows, and well above (b > b_c / rho for both signs' shares rho) valences run to +-1 and
    the population splits into two modes. ``coupling=0, noise=0`` leaves pure relaxation,
    v(t) = v0 e^(-gamma_v t).

    Args:
        coupling: b / b_c, at least 0.
        noise: Valence noise A_v per step, in [0, 1].
        n_users: Population size, at least 2.
        steps: Horizon, at least 1.

    Returns:
        Params that run to their horizon.
    """
    from model.rules.emotion import critical_coupling

    n = _as("n_users", "n_users", n_users)
    base = Params(**{**QUIET, "n_users": n, "emotion": "collective", **COLLECTIVE})
    ratio = float(coupling)
    if not ratio >= 0:
        raise ValueError(f"coupling={coupling!r} must be at least 0")
    return base.replace(
        **{
            "emotion.coupling_v": ratio * critical_coupling(base),
            "emotion.noise_v": _as("emotion.noise_v", "noise", noise),
        },
        steps=_as("steps", "steps", steps),
    )


PRESETS.update(
    {
        "voter": voter,
        "q_voter": q_voter,
        "collective_emotions": collective_emotions,
    }
)
