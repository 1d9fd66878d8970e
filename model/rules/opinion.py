"""Opinion rules: how opinions move toward viewed content and peers (docs/ODD.md 7.10, 7.11).

Each rule has two parts the update phase calls: :meth:`content_pull`, the change of every
user's opinion from the step's views, and :meth:`peer_round`, one round of peer influence,
which draws only from the ``peer`` stream it is handed.

* ``bounded_confidence`` (default): Deffuant, Neau, Amblard & Weisbuch (2000) toward content and
  peers: each round, disjoint pairs from the peer-choice rule move toward each other by peer_mu
  when they are inside each other's bound.
* ``hegselmann_krause``: every user moves to the average of the opinions inside its bound,
  synchronously (Hegselmann & Krause 2002): x_i' = mean{x_j : |x_j - x_i| <= eps_i}, self
  included; with complete mixing the window is found on the sorted opinions with prefix sums
  (O(n log n) per round). Content is read the same way: the trust-weighted average of the
  user's opinion and the stances inside the bound.
* ``degroot`` / ``friedkin_johnsen``: x(t+1) = Lambda W x(t) + (I - Lambda) x(0) with W
  row-stochastic over acquaintance ties and self (DeGroot 1974; Friedkin & Johnsen 1990);
  DeGroot is Lambda = I.
* ``activity_driven``: Baumann, Lorenz-Spreen, Sokolov & Starnini (2020), dx_i/dt = -x_i +
  K sum_j A_ij(t) tanh(alpha x_j) on an activity-driven temporal network with homophily.

Each rule declares its parameters here (``Settings``, addressed as ``opinion.<name>``) and its
state record; the file is long because the five rules of one registry, their declarations and
their shared content pull stay together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from model import jit, portable
from model.rules.base import RuleSettings
from model.rules.registry import OPINION
from model.sampling import bernoulli_subset
from model.schema import Interval, Options, field
from model.world import OpinionRule, World

#: Rows of a dense distance block at a time (rows * n_users floats), to bound memory.
BLOCK = 2_000_000

#: Opinions closer than this are treated as this far apart in a distance^-beta weight
#: (Sirbu et al. 2019 use 1e-5 on [0, 1]; the engine's scale is twice as wide).
MIN_DISTANCE = 2e-5

#: activity_driven keeps Baumann's unbounded opinion x and shows the engine tanh(x).
EDGE = 1.0 - 1e-15


@jit.njit
def trust_pull_kernel(
    u: np.ndarray, diff: np.ndarray, inside: np.ndarray, trust: np.ndarray, n: int, mu: float
) -> np.ndarray:
    """mu sum_views(trust diff inside) / max(views, 1) per user, the sums in view order."""
    nviews = np.zeros(n, dtype=np.int64)
    pull = np.zeros(n)
    for j in range(u.shape[0]):
        nviews[u[j]] += 1
        pull[u[j]] += trust[j] * diff[j] if inside[j] else 0.0
    out = np.empty(n)
    for i in range(n):
        out[i] = mu * pull[i] / max(nviews[i], 1)
    return out


def trust_pull(
    world: World, u: np.ndarray, diff: np.ndarray, inside: np.ndarray, trust: np.ndarray
) -> np.ndarray:
    """Deffuant toward content: mu_content times the trust-weighted pull, averaged over views."""
    return trust_pull_kernel(u, diff, inside, trust, world.n_users, world.params.mu_content)


@jit.njit
def deffuant_exchange(
    opinion: np.ndarray, epsilon: np.ndarray, a: np.ndarray, b: np.ndarray, mu: float
) -> None:
    """Pairs (a, b) move mu of the way toward each other, each when the other is inside its
    bound; every opinion is read before any is written, as numpy's fancy indexing does."""
    m = a.shape[0]
    xa = np.empty(m)
    xb = np.empty(m)
    for j in range(m):
        xa[j] = opinion[a[j]]
        xb[j] = opinion[b[j]]
    for j in range(m):
        d = xb[j] - xa[j]
        opinion[a[j]] = xa[j] + mu * d if abs(d) < epsilon[a[j]] else xa[j]
    for j in range(m):
        d = xb[j] - xa[j]
        opinion[b[j]] = xb[j] - mu * d if abs(d) < epsilon[b[j]] else xb[j]


def _movers(world: World, rng: np.random.Generator) -> np.ndarray:
    """Users who update this round: each with probability peer_prob."""
    return rng.random(world.n_users) < world.params.peer_prob


def gumbel_top(rng: np.random.Generator, logw: np.ndarray, k: int) -> np.ndarray:
    """Column indices of k draws per row without replacement, with probability ∝ exp(logw).

    The Gumbel-top-k trick (Vieira 2014; Kool, van Hoof & Welling 2019): the k largest of
    logw + Gumbel noise are a weighted sample without replacement. Columns with logw = -inf are
    never drawn; fewer than k finite columns give the finite ones (the rest are marked -1).
    """
    keys = logw + rng.gumbel(size=logw.shape)
    k = min(k, logw.shape[1])
    top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    # argpartition leaves the k in a CPU-dependent order (its kernel is SIMD-dispatched): sort
    top = np.take_along_axis(
        top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable"), axis=1
    )
    ok = np.isfinite(np.take_along_axis(keys, top, axis=1))
    return np.where(ok, top, -1)


@dataclass(frozen=True)
class BoundedConfidenceSettings(RuleSettings):
    """Deffuant's parameters."""

    peer_mu: float = field(
        0.3,
        Interval(float, 0.0, 0.5),
        group="peer exchange",
        symbol="μ",
        label="Peer convergence μ",
        unit="",
        doc="Deffuant convergence parameter mu.",
    )


class TowardContent(OpinionRule):
    """Deffuant toward content (:func:`trust_pull`), the content part most opinion rules share;
    not registered (it has no peer round)."""

    def content_pull(
        self, world: World, u: np.ndarray, diff: np.ndarray, inside: np.ndarray, trust: np.ndarray
    ) -> np.ndarray:
        """The change of each user's opinion from the step's views (length n_users)."""
        return trust_pull(world, u, diff, inside, trust)


@OPINION.register("bounded_confidence")
class BoundedConfidence(TowardContent):
    """Deffuant bounded confidence toward content and in rounds of pairwise peer exchange."""

    Settings = BoundedConfidenceSettings
    settings: BoundedConfidenceSettings
    # the only opinion rule whose pairs come from the peer-choice rule
    uses = frozenset({"peer_choice", "peer_mixing"})

    def peer_round(self, world: World, rng: np.random.Generator) -> None:
        """One round of Deffuant exchange: participants with ``peer_prob``, disjoint pairs from
        the peer-choice rule (so the order inside a round does not matter and the vectorised
        update is the sequential model's), each moving peer_mu of the way when inside its bound."""
        p, s = world.params, world.state
        if p.peer_prob <= 0:
            return
        # each user with peer_prob, drawn at a cost that follows the participants' number
        part = bernoulli_subset(rng, world.n_users, p.peer_prob)
        a, b = world.rules.peer_choice.pairs(rng, part, world)
        if len(a) == 0:
            return
        deffuant_exchange(
            s.opinion, s.epsilon, a.astype(np.int64), b.astype(np.int64), self.settings.peer_mu
        )


@OPINION.register("hegselmann_krause")
class HegselmannKrause(TowardContent):
    """Hegselmann-Krause: the average of every opinion inside the bound, synchronously."""

    uses = frozenset({"peer_mixing"})

    def content_pull(
        self, world: World, u: np.ndarray, diff: np.ndarray, inside: np.ndarray, trust: np.ndarray
    ) -> np.ndarray:
        """mu_content times the way to the trust-weighted mean of self (weight 1) and stances inside."""
        n = world.n_users
        w = np.where(inside, trust, 0.0)
        num = np.bincount(u, weights=w * diff, minlength=n)
        den = 1.0 + np.bincount(u, weights=w, minlength=n)
        return world.params.mu_content * num / den

    def peer_round(self, world: World, rng: np.random.Generator) -> None:
        """Every mover takes the mean of the opinions within its bound (complete or acquaintances)."""
        if world.params.peer_prob <= 0:
            return
        s = world.state
        move = _movers(world, rng)
        x = s.opinion
        eps = s.epsilon.astype(np.float64)
        if world.rules.peer_mixing.well_mixed:
            target = self.window_means(x, eps)
        else:
            acq = world.networks.acq
            owner = acq.row_owner().astype(np.int64)
            nb = acq.indices.astype(np.int64)
            ok = np.abs(x[nb] - x[owner]) <= eps[owner]
            tot = x + np.bincount(owner, weights=np.where(ok, x[nb], 0.0), minlength=len(x))
            target = tot / (1.0 + np.bincount(owner, weights=ok, minlength=len(x)))
        np.copyto(s.opinion, target, where=move)

    @staticmethod
    def window_means(x: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """mean{x_j : |x_j - x_i| <= eps_i} for every i, from the sorted x and prefix sums."""
        xs = np.sort(x)
        csum = np.concatenate([[0.0], np.cumsum(xs)])
        lo = np.searchsorted(xs, x - eps, side="left")
        hi = np.searchsorted(xs, x + eps, side="right")
        return (csum[hi] - csum[lo]) / (hi - lo)


@dataclass(slots=True)
class FriedkinJohnsenState:
    """Friedkin-Johnsen's memory, taken at the first peer round.

    Attributes:
        x0: The opinions at the first peer round, x(0).
        random_w: The random weights of W (``peer_weights="random"``), drawn once.
    """

    x0: np.ndarray | None = None
    random_w: np.ndarray | None = None


@dataclass(frozen=True)
class DeGrootSettings(RuleSettings):
    """DeGroot's parameters."""

    peer_weights: str = field(
        "trust",
        Options("trust", "random"),
        group="peer exchange",
        label="Peer weights W",
        unit="",
        doc="DeGroot/Friedkin-Johnsen weights W over acquaintance ties and self: the user's peer trust "
        "per tie (self 1), or uniform random weights drawn once (the canonical random "
        "row-stochastic W).",
    )


@dataclass(frozen=True)
class FriedkinJohnsenSettings(DeGrootSettings):
    """Friedkin-Johnsen's parameters: DeGroot's and the susceptibility."""

    susceptibility: float = field(
        0.8,
        Interval(float, 0.0, 1.0),
        group="peer exchange",
        symbol="λ",
        label="Susceptibility λ",
        unit="",
        doc="Friedkin-Johnsen susceptibility lambda (the diagonal of Lambda): the weight of peers "
        "against the user's initial opinion (Friedkin & Johnsen 1990; 1 is DeGroot).",
    )


class Averaging(TowardContent):
    """DeGroot and Friedkin-Johnsen: x(t+1) = Lambda W x(t) + (I - Lambda) x(0), W over
    acquaintances and self (not registered; DeGroot is Lambda = I).

    W's row i puts weight on user i and its acquaintances: with ``peer_weights="trust"`` the
    self weight is 1 and each acquaintance gets the user's peer trust (recomputed every round,
    as trust moves); with ``"random"`` every weight is uniform on (0, 1), drawn once from the
    peer stream at the first round. Rows are normalised to sum to 1. x(0) is the opinion at the
    first peer round (the initial opinion when nothing moved it before).
    """

    settings: DeGrootSettings
    state: FriedkinJohnsenState
    # no ``uses``: W is over acquaintances always, no peer-mixing or peer-choice rule is asked

    def init(self, world: World) -> None:
        """Nothing known yet: x(0) and random weights are taken at the first peer round."""
        self.state = FriedkinJohnsenState()

    def susceptibility(self, world: World) -> float:
        """Lambda's diagonal (the same for every user): 1, no anchoring to initial opinions."""
        return 1.0

    def matrix(
        self, world: World, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """W as coordinates (rows, cols, weights): self loops first, then the acquaintance ties."""
        n = world.n_users
        acq = world.networks.acq
        owner = acq.row_owner().astype(np.int64)
        rows = np.concatenate([np.arange(n), owner])
        cols = np.concatenate([np.arange(n), acq.indices.astype(np.int64)])
        if self.settings.peer_weights == "random":
            st = self.state
            if st.random_w is None:
                if rng is None:
                    raise ValueError("random weights are drawn at the first peer round")
                st.random_w = 1.0 - rng.random(len(rows))
            w = st.random_w
        else:
            w = np.concatenate([np.ones(n), world.state.trust_peers[owner].astype(np.float64)])
        w = w / np.bincount(rows, weights=w, minlength=n)[rows]
        return rows, cols, w

    def peer_round(self, world: World, rng: np.random.Generator) -> None:
        """One synchronous Friedkin-Johnsen step for the movers."""
        if world.params.peer_prob <= 0:
            return
        s = world.state
        move = _movers(world, rng)
        st = self.state
        if st.x0 is None:
            st.x0 = s.opinion.copy()
        rows, cols, w = self.matrix(world, rng)
        wx = np.bincount(rows, weights=w * s.opinion[cols], minlength=world.n_users)
        lam = self.susceptibility(world)
        np.copyto(s.opinion, lam * wx + (1.0 - lam) * st.x0, where=move)


@OPINION.register("friedkin_johnsen")
class FriedkinJohnsen(Averaging):
    """Friedkin-Johnsen: x(t+1) = Lambda W x(t) + (I - Lambda) x(0), Lambda = susceptibility I."""

    Settings = FriedkinJohnsenSettings
    settings: FriedkinJohnsenSettings

    def susceptibility(self, world: World) -> float:
        """Lambda's diagonal (the same for every user)."""
        return self.settings.susceptibility


@OPINION.register("degroot")
class DeGroot(Averaging):
    """DeGroot: x(t+1) = W x(t), Friedkin-Johnsen with Lambda = I."""

    Settings = DeGrootSettings
    settings: DeGrootSettings


@dataclass(slots=True)
class ActivityDrivenState:
    """The activity-driven rule's state, drawn at the first peer round.

    Attributes:
        x: Baumann's unbounded opinions.
        activity: Each user's activity a_i.
        shown: The engine's opinions the rule last wrote (tanh(x)), to see what else moved them.
        last_contacts: The last round's influence pairs (i listens to j).
    """

    x: np.ndarray | None = None
    activity: np.ndarray | None = None
    shown: np.ndarray | None = None
    last_contacts: tuple[np.ndarray, np.ndarray] = dataclasses.field(
        default_factory=lambda: (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )


@dataclass(frozen=True)
class ActivityDrivenSettings(RuleSettings):
    """Baumann et al.'s (2020) parameters."""

    controversy: float = field(
        3.0,
        Interval(float, 0.0, 20.0),
        group="peer exchange",
        symbol="α",
        label="Controversialness α",
        unit="",
        doc="Controversialness alpha of activity_driven: the slope of tanh(alpha x) (Baumann, "
        "Lorenz-Spreen, Sokolov & Starnini 2020).",
    )
    social_coupling: float = field(
        3.0,
        Interval(float, 0.0, 20.0),
        group="peer exchange",
        symbol="K",
        label="Social influence K",
        unit="",
        doc="Social influence strength K of activity_driven (Baumann et al. 2020).",
    )
    contact_homophily: float = field(
        3.0,
        Interval(float, 0.0, 20.0),
        group="peer exchange",
        symbol="β",
        label="Contact homophily β",
        unit="",
        doc="Homophily beta of activity_driven: a contact is chosen with probability proportional to "
        "opinion distance^-beta (Baumann et al. 2020).",
    )
    contacts: int = field(
        10,
        Interval(int, 1, 1000),
        group="peer exchange",
        symbol="m",
        label="Contacts per active user m",
        unit="per step",
        doc="Contacts m an active user makes per step under activity_driven (Baumann et al. 2020).",
    )
    activity_exponent: float = field(
        2.1,
        Interval(float, 1.01, 10.0),
        group="peer exchange",
        symbol="γ",
        label="Activity exponent γ",
        unit="",
        doc="Exponent gamma of the activity distribution F(a) ~ a^-gamma on [activity_min, 1] "
        "(activity-driven networks, Perra et al. 2012; Baumann et al. 2020).",
    )
    activity_min: float = field(
        0.01,
        Interval(float, 1e-4, 1.0, closed="right"),
        group="peer exchange",
        symbol="ε",
        label="Smallest activity ε",
        unit="",
        doc="Smallest activity epsilon of activity_driven (Baumann et al. 2020).",
    )
    reciprocity: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="peer exchange",
        symbol="r",
        label="Reciprocal contacts r",
        unit="probability",
        doc="Probability r that a contact is reciprocal: the contacted user is also influenced "
        "(Baumann et al. 2020).",
    )
    opinion_dt: float = field(
        0.01,
        Interval(float, 1e-4, 1.0, closed="right"),
        group="peer exchange",
        symbol="dt",
        label="Euler time step dt",
        unit="",
        doc="Euler time step dt of activity_driven's opinion equation per peer round "
        "(Baumann et al. 2020).",
    )


@OPINION.register("activity_driven")
class ActivityDriven(TowardContent):
    """Baumann et al. (2020): radicalisation on an activity-driven temporal network.

    Each user has an activity a_i ~ a^-gamma on [activity_min, 1], drawn at the first round.
    Each round every user is active with probability a_i (times peer_prob) and contacts
    ``contacts`` others without replacement, each with probability ∝ |x_i - x_j|^-beta (all users
    under complete mixing, else the acquaintances). The active user influences each contact
    (A_ji = 1), and with probability r (reciprocity) the contact influences it back (A_ij = 1).
    Then one Euler step: x_i += dt (-x_i + K sum_j A_ij tanh(alpha x_j)).

    Baumann's opinions are unbounded; the engine's live on [-1, 1]. The rule keeps x and shows
    the engine tanh(x), a monotone map that keeps signs and order; where something else moved
    the engine's opinion (content), x is re-read as artanh(opinion). At the first round x(0) is
    the engine's opinion itself (Baumann draw x(0) uniform on [-1, 1]).
    """

    Settings = ActivityDrivenSettings
    settings: ActivityDrivenSettings
    uses = frozenset({"peer_mixing"})

    state: ActivityDrivenState

    def init(self, world: World) -> None:
        """Nothing drawn yet: activities and x(0) are taken at the first peer round."""
        self.state = ActivityDrivenState()

    @property
    def x(self) -> np.ndarray | None:
        """Baumann's unbounded opinions (None before the first round)."""
        return self.state.x

    @property
    def last_contacts(self) -> tuple[np.ndarray, np.ndarray]:
        """The last round's influence pairs (i listens to j)."""
        return self.state.last_contacts

    def peer_round(self, world: World, rng: np.random.Generator) -> None:
        """Draw this round's contacts and take one Euler step of the opinion equation."""
        p, s, n = world.params, world.state, world.n_users
        if p.peer_prob <= 0:
            return
        st = self.state
        if st.x is None or st.activity is None:
            g, lo = self.settings.activity_exponent, self.settings.activity_min
            u = rng.random(n)
            st.activity = portable.power(lo ** (1 - g) + u * (1 - lo ** (1 - g)), 1 / (1 - g))
            st.x = s.opinion.astype(np.float64).copy()
        else:
            moved = s.opinion != st.shown
            st.x[moved] = portable.arctanh(np.clip(s.opinion[moved], -EDGE, EDGE))
        x = st.x
        active = np.flatnonzero(rng.random(n) < st.activity * p.peer_prob)
        i, j = self.contacts(world, rng, active)
        ad = self.settings
        back = rng.random(len(i)) < ad.reciprocity
        # A_ji = 1: the active user i influences its contact j; a reciprocal contact (r) also
        # makes i listen to j (Baumann et al. 2020, as every public reproduction builds it)
        key = np.unique(np.concatenate([j * n + i, i[back] * n + j[back]]))
        a, b = key // n, key % n
        st.last_contacts = (a, b)
        field_ = np.bincount(a, weights=portable.tanh(ad.controversy * x[b]), minlength=n)
        x += ad.opinion_dt * (-x + ad.social_coupling * field_)
        s.opinion[:] = portable.tanh(x)
        st.shown = s.opinion.copy()

    def contacts(
        self, world: World, rng: np.random.Generator, active: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each active user's contacts (i, j), drawn ∝ |x_i - x_j|^-beta without replacement."""
        n, x = world.n_users, self.state.x
        assert x is not None, "contacts are drawn after the first round's x"
        m, beta = self.settings.contacts, self.settings.contact_homophily
        if world.rules.peer_mixing.well_mixed:
            out_i, out_j = [], []
            step = max(1, BLOCK // max(n, 1))
            for start in range(0, len(active), step):
                rows = active[start : start + step]
                d = np.maximum(np.abs(x[None, :] - x[rows, None]), MIN_DISTANCE)
                logw = -beta * portable.log(d)
                logw[np.arange(len(rows)), rows] = -np.inf
                top = gumbel_top(rng, logw, m)
                ii = np.repeat(rows, top.shape[1]).reshape(top.shape)
                ok = top >= 0
                out_i.append(ii[ok])
                out_j.append(top[ok])
            if not out_i:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            return np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64)
        acq = world.networks.acq
        pos, nb = acq.expand(active)
        owner, nb = active[pos].astype(np.int64), nb.astype(np.int64)
        d = np.maximum(np.abs(x[nb] - x[owner]), MIN_DISTANCE)
        key = -beta * portable.log(d) + rng.gumbel(size=len(nb))
        order = np.lexsort((-key, owner))
        owner, nb = owner[order], nb[order]
        first = np.searchsorted(owner, owner, side="left")
        keep = np.arange(len(owner)) - first < m
        return owner[keep], nb[keep]
