"""Following rules: how users come to follow or leave the focal outlet (docs/ODD.md 7.10, 7.17).

``engagement`` is the default: engaged non-followers may follow (in the react phase) and
followers leave with a hazard that rises as belonging and trust fall. ``voter`` and
``q_voter`` make following a binary opinion copied from friends (acquaintances, or anyone
when the peer-mixing rule is well mixed):

* voter (Clifford & Sudbury 1973; Holley & Liggett 1975): a user copies the follow state of a
  random friend. On a complete graph the share of followers is a martingale, so the
  probability of ending with everyone following (the exit probability) is the initial share.
* q-voter with independence (Castellano, Munoz & Pastor-Satorras 2009; Nyczka, Sznajd-Weron &
  Cislo 2012): with probability p a user acts independently (follows with probability 1/2);
  otherwise it draws q friends (with repetition) and copies them if they agree unanimously.
  In mean field the ordered phase ends at p_c = (q - 1) / (q - 1 + 2^(q - 1)).

One step is one Monte Carlo sweep: the users, in random order, are split into ``voter_rounds``
groups, each updated synchronously on the state the group before it left. A synchronous group
keeps the mean-field drift of the sequential update (each member reads the same shares), and
on a complete graph keeps the voter's martingale exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import jit, portable
from model.fatigue import load_keep
from model.rules.base import RuleSettings
from model.rules.registry import FOLLOWING
from model.sampling import bernoulli_subset
from model.schema import Interval, field, posterior
from model.trust import decay, decay_table
from model.world import FollowingRule, World


@dataclass(frozen=True)
class EngagementSettings(RuleSettings):
    """The engagement rule's parameters."""

    churn_prob: float = field(
        0.00436,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Maximum unfollow hazard",
        unit="per step",
        doc="Maximum per-step unfollow hazard, reached at zero belonging and zero trust.",
        **posterior(0.000294, 0.000947, 0.00905, targets="ties_broken_51d"),
    )
    churn_belonging: float = field(
        0.0908,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Belonging that stops churn",
        unit="scale 0-1",
        doc="Belonging above which a follower never churns.",
        **posterior(0.086, 0.124, 0.257, targets="ties_broken_51d"),
    )
    churn_trust: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Trust that halves churn",
        unit="scale 0-1",
        doc="Trust at which the trust factor of the unfollow hazard is about half its value at "
        "zero trust (the midpoint of a logistic; 0.3 keeps the half-point of the former linear "
        "ramp to 0 at 0.6; assumption, sweep 0.15-0.6).",
        sweep=(0.15, 0.6),
    )
    churn_trust_width: float = field(
        0.1,
        Interval(float, 0.001, 1.0),
        group="belonging and churn",
        label="Churn trust-factor width",
        unit="scale 0-1",
        doc="Width of the logistic trust factor of the unfollow hazard: expit((churn_trust - "
        "T) / width) / expit(churn_trust / width), 1 at zero trust, smooth, never exactly 0 "
        "(assumption, sweep 0.02-0.3).",
        sweep=(0.02, 0.3),
    )
    churn_overload: float = field(
        0.01,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Unfollow hazard, overload",
        unit="per step",
        doc="Unfollow hazard added at twice the saturation load: this x clip(load / saturation - "
        "1, 0, 1) (Kwak et al. 2011 for the direction; assumption, sweep 0-0.05).",
        sweep=(0, 0.05),
    )


def trust_factor(trust: np.ndarray, midpoint: float, width: float) -> np.ndarray:
    """expit((midpoint - T) / width) / expit(midpoint / width): 1 at T = 0, about 1/2 at the
    midpoint, falling smoothly toward 0 (no trust line above which a follower is immune)."""
    t = np.asarray(trust, dtype=np.float64)
    return portable.expit((midpoint - t) / width) / float(portable.expit(midpoint / width))


@FOLLOWING.register("engagement")
class Engagement(FollowingRule):
    """Churn: the unfollow hazard rises as belonging and trust fall below their thresholds, and
    with overload (exposure load to the focal outlet above the fatigue saturation)."""

    Settings = EngagementSettings
    settings: EngagementSettings

    def update(self, world: World, rng: np.random.Generator) -> None:
        """Followers leave with hazard churn_prob (1 - B/B*)+ f(T) plus
        churn_overload clip(L/L* - 1, 0, 1), f the logistic trust factor.

        Drawn by thinning, at a cost that follows the hazard, not the population: no hazard
        exceeds h_max = churn_prob + churn_overload (f <= 1 for trust >= 0), so candidates are
        drawn with h_max (:func:`model.sampling.bernoulli_subset`) and a candidate who follows
        leaves with hazard / h_max (one uniform per candidate): each follower still leaves
        with its hazard, independently of the others.
        """
        p, s, st = world.params, world.state, self.settings
        # the kernel multiplies by churn_prob in float32, which may round it up
        h_max = min(1.0, max(st.churn_prob, float(np.float32(st.churn_prob))) + st.churn_overload)
        cand = bernoulli_subset(rng, world.n_users, h_max)
        if len(cand) == 0:
            return
        draws = rng.random(len(cand)) * h_max
        coef = np.array(
            [
                st.churn_prob,
                max(st.churn_belonging, 1e-12),
                st.churn_trust,
                st.churn_trust_width,
                jit.expit(st.churn_trust / st.churn_trust_width),
                st.churn_overload,
                load_keep(p),
                p.fatigue_saturation,
            ]
        )
        churn_kernel(
            cand, draws, s.follows, s.ever_unfollowed, s.belonging, s.trust_media, s.load,
            s.load_last, coef, world.steps, decay_table(load_keep(p)),
        )  # fmt: skip


@jit.njit
def churn_kernel(
    cand: np.ndarray,
    draws: np.ndarray,
    follows: np.ndarray,
    ever_unfollowed: np.ndarray,
    belonging: np.ndarray,
    trust_media: np.ndarray,
    load: np.ndarray,
    load_last: np.ndarray,
    coef: np.ndarray,
    t: int,
    load_table: np.ndarray,
) -> None:
    """Each candidate ``cand[j]`` who follows outlet 0 leaves when ``draws[j]`` is below its
    hazard (``draws`` are uniforms on [0, h_max)).

    Only followers need a hazard, and a follower whose belonging term is 0 needs no trust
    factor (0 times it is 0), nor one whose stored load is at most half the saturation an
    overload term (decay only lowers it); the hazard follows the numpy expression in its
    dtypes (the belonging term float32).
    ``coef``: churn_prob, churn_belonging, churn_trust, churn_trust_width, expit(churn_trust /
    width), churn_overload, load keep per step, fatigue_saturation.
    """
    prob32, bstar32 = np.float32(coef[0]), np.float32(coef[1])
    mid, width, norm = coef[2], coef[3], coef[4]
    overload, keep, sat = coef[5], coef[6], coef[7]
    lk = jit.log(keep)
    for j in range(cand.shape[0]):
        i = cand[j]
        if not follows[i, 0]:
            continue
        bf = np.float32(1.0) - belonging[i, 0] / bstar32
        bf = min(max(bf, np.float32(0.0)), np.float32(1.0))
        hazard = 0.0
        if bf > 0:
            tf = jit.expit((mid - np.float64(trust_media[i, 0])) / width) / norm
            hazard = np.float64(prob32 * bf) * tf
        if overload > 0 and load[i, 0] > 0.5 * sat:
            ld = np.float64(load[i, 0]) * decay(load_table, keep, lk, t - load_last[i, 0])
            hazard = hazard + overload * min(max(ld / sat - 1.0, 0.0), 1.0)
        if draws[j] < hazard:
            follows[i, 0] = False
            ever_unfollowed[i] = True


def q_voter_sweep(
    world: World, rng: np.random.Generator, q: int, p_ind: float, rounds: int
) -> None:
    """One sweep of the q-voter with independence over the focal follow state, in ``rounds``
    synchronous groups (q = 1, p = 0: the voter model)."""
    n = world.n_users
    state = world.state.follows[:, 0]
    complete = world.rules.peer_mixing.well_mixed
    acq = world.networks.acq
    order = rng.permutation(n)
    for users in np.array_split(order, min(rounds, n)):
        m = len(users)
        independent = rng.random(m) < p_ind
        coin = rng.random(m) < 0.5
        if complete:
            panel = rng.integers(0, n - 1, size=(m, q))
            panel += panel >= users[:, None]
            has = np.ones(m, dtype=bool)
        else:
            deg = acq.degree[users]
            has = deg > 0
            pick = np.floor(rng.random((m, q)) * deg[:, None]).astype(np.int64)
            # without any acquaintance tie nobody has a panel (``has`` is all False)
            at = np.minimum(acq.indptr[users][:, None] + pick, max(acq.n_edges - 1, 0))
            panel = acq.indices[at] if acq.n_edges else np.zeros((m, q), dtype=np.int64)
        view = state[panel]
        unanimous = has & (view == view[:, :1]).all(axis=1)
        new = state[users].copy()
        new[unanimous] = view[unanimous, 0]
        new[independent] = coin[independent]
        world.state.ever_unfollowed[users[state[users] & ~new]] = True
        state[users] = new


@dataclass(frozen=True)
class VoterSettings(RuleSettings):
    """The voter model's parameters."""

    voter_rounds: int = field(
        10,
        Interval(int, 1, 1000),
        group="belonging and churn",
        label="Voter sub-rounds",
        unit="per step",
        doc="Synchronous sub-rounds per step of the voter rules; each updates a random 1/rounds "
        "of the users, so one step is one Monte Carlo sweep.",
    )


@FOLLOWING.register("voter")
class Voter(FollowingRule):
    """A random user copies a random friend's follow state (one sweep per step)."""

    Settings = VoterSettings
    settings: VoterSettings
    # friends are acquaintances, or anyone under complete mixing
    uses = frozenset({"peer_mixing"})

    def update(self, world: World, rng: np.random.Generator) -> None:
        """One voter sweep: each user once, in random order."""
        q_voter_sweep(world, rng, 1, 0.0, self.settings.voter_rounds)


@dataclass(frozen=True)
class QVoterSettings(VoterSettings):
    """The q-voter's parameters: the voter's sub-rounds, the panel size and the independence."""

    voter_q: int = field(
        4,
        Interval(int, 1, 100),
        group="belonging and churn",
        symbol="q",
        label="q-voter panel size q",
        unit="users",
        doc="Size q of the q-voter's panel of friends, who must agree unanimously to be copied.",
    )
    voter_p: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        symbol="p",
        label="q-voter independence p",
        unit="probability",
        doc="Independence p of the q-voter: the probability of choosing at random.",
    )


@FOLLOWING.register("q_voter")
class QVoter(FollowingRule):
    """With probability p choose at random, else copy q unanimous friends (one sweep per step)."""

    Settings = QVoterSettings
    settings: QVoterSettings
    uses = frozenset({"peer_mixing"})

    def update(self, world: World, rng: np.random.Generator) -> None:
        """One q-voter sweep with ``voter_q`` friends and independence ``voter_p``."""
        st = self.settings
        q_voter_sweep(world, rng, st.voter_q, st.voter_p, st.voter_rounds)


def critical_independence(q: int) -> float:
    """The mean-field critical independence p_c = (q - 1) / (q - 1 + 2^(q - 1))."""
    return (q - 1) / (q - 1 + 2 ** (q - 1))
