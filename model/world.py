"""The world the phases and the rules see, and the hooks of each rule (docs/ODD.md 2, 3, 7).

:class:`World` is the one typed view of the model: every attribute the phases in
:mod:`model.step` and the rules in :mod:`model.rules` read, with its type
(``model.engine.OpinionEcology`` has them all). The phases and rules type against it instead of
the engine, so that imports run one way (engine -> step, rules -> world) and a test can hand a
phase any object of this shape.

A phase calls its rule's hooks and nothing else: it never asks whether a rule has a method
(every hook exists, with a default in the base classes here) and never tests a rule's name (it
asks the rule, e.g. :attr:`PeerMixingRule.well_mixed`). A rule with state keeps it in a typed
record that :meth:`Rule.init` creates, once, when the world is built. Each hook class is at
once the Protocol a phase types against and the base a rule subclasses (PEP 544: an explicit
subclass inherits the default hooks), so a new rule writes only the hooks it changes. They live
here, with :class:`World` and :class:`Rules`, because each refers to the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import numpy as np

from model.rules.base import RuleSettings

if TYPE_CHECKING:
    import pandas as pd
    from mesa import DataCollector

    from agents.outlet import MediaOutlet
    from model.content import ContentStore, EventLog
    from model.network import Networks
    from model.params import Params
    from model.population import State
    from model.ride import Ride
    from model.screens import Screens
    from model.step.records import Outbox, Reactions, Views
    from model.strategies import Strategy
    from model.topics import Topics

_EMPTY = np.zeros(0, dtype=np.int64)

#: Adoptions without a view: (users, items, the user each learned the item from).
Adoptions = tuple[np.ndarray, np.ndarray, np.ndarray]

#: No adoptions without a view.
NO_ADOPTIONS: Adoptions = (_EMPTY, _EMPTY, _EMPTY)

#: (users, items) -> one weight (or ranking factor) per slot, or None for none.
SlotWeights = Callable[[np.ndarray, np.ndarray], np.ndarray] | None


class Rule(Protocol):
    """Every rule: the name it is registered under, its parameters and an explicit start.

    Attributes:
        name: The registry name (set by :meth:`model.rules.registry.Registry.register`).
        Settings: The record of the rule's parameters (empty by default).
        settings: This instance's parameters (set by :meth:`model.rules.registry.Registry.get`).
        uses: The ``Params`` fields the rule reads that not every rule of its registry reads:
            another registry's choice (``peer_choice``, whose rule it calls) or a plain field
            (``forward_p``). A field some rule names here has an effect only while a chosen rule
            names it (:func:`model.rules.registry.fields_in_use`); Params warns when it is set
            otherwise and the viewer hides it. Fields every rule of a registry reads
            (``peer_prob``) are not named.
    """

    name: ClassVar[str] = ""
    Settings: ClassVar[type[RuleSettings]] = RuleSettings
    uses: ClassVar[frozenset[str]] = frozenset()
    settings: RuleSettings

    def init(self, world: World) -> None:
        """Create the rule's state for ``world``, once, after the networks are built.

        The default keeps no state. A rule with state overrides this and stores a typed
        record; nothing is created later on first use (draws a rule makes at its first call
        stay there, so that the random streams are read in the same order).
        """


# ----------------------------------------------------------------------------- forwarding
class ForwardingParams(Protocol):
    """What a forwarding rule reads from ``Params`` (a Protocol: Params imports the rules)."""

    @property
    def forward_p(self) -> float: ...


class ForwardingRule(Rule, Protocol):
    """A forwarding rule without memory: the forward probability per view is all it decides.

    Attributes:
        broadcast: A forward is delivered to the forwarder's whole audience (False: the rule
            spreads the item itself, e.g. the rumour's one contact per spreader).
    """

    broadcast: bool = True

    def probability(
        self, params: ForwardingParams, res: np.ndarray, emotion: np.ndarray
    ) -> np.ndarray:
        """Forward probability per view, in [0, 1], before friction (no draws)."""
        raise NotImplementedError

    def observe(
        self, world: World, rec: np.ndarray, items: np.ndarray, sharers: np.ndarray
    ) -> None:
        """Deliveries of shares (recipient, item, sharer) of one step; ignored by default."""

    def adopt(
        self,
        world: World,
        t: int,
        v: Views,
        draw: np.ndarray,
        keep: np.ndarray,
        forward: np.ndarray,
    ) -> tuple[np.ndarray, Adoptions]:
        """The step's forwards: by default the react phase's ``forward`` flags, and no other
        adoptions (rules with memory decide both themselves, model/rules/spreading.py).

        Args:
            world: The model.
            t: The step.
            v: The step's views.
            draw: The react phase's forward uniform per view.
            keep: 1 - friction per view.
            forward: The forwards the probability and ``draw`` give.
        """
        return forward, NO_ADOPTIONS


# ----------------------------------------------------------------------------- peers
class PeerMixingRule(Rule, Protocol):
    """Who may meet whom in peer exchange (docs/ODD.md 7.11).

    Attributes:
        well_mixed: Everyone is everyone's candidate (complete mixing); False: acquaintances.
            Other rules ask this instead of testing the rule's name.
    """

    well_mixed: bool = False

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, networks: Networks, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b) among ``part`` (and, on the network, their acquaintances)."""
        raise NotImplementedError


class PeerChoiceRule(Rule, Protocol):
    """Which candidate a participant proposes as its partner (docs/ODD.md 7.11)."""

    def pairs(
        self, rng: np.random.Generator, part: np.ndarray, world: World
    ) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint pairs (a, b) among ``part``."""
        raise NotImplementedError


class OpinionRule(Rule, Protocol):
    """How opinions move toward viewed content and in rounds of peer influence (7.10, 7.11)."""

    def content_pull(
        self, world: World, u: np.ndarray, diff: np.ndarray, inside: np.ndarray, trust: np.ndarray
    ) -> np.ndarray:
        """The change of each user's opinion from the step's views (length n_users)."""
        raise NotImplementedError

    def peer_round(self, world: World, rng: np.random.Generator) -> None:
        """One round of peer influence, drawing only from ``rng`` (the ``peer`` stream)."""
        raise NotImplementedError


# ----------------------------------------------------------------------------- the rest
class InitialOpinionRule(Rule, Protocol):
    """How opinions on [-1, 1] are drawn at the start (docs/ODD.md 5)."""

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n opinions in [-1, 1]."""
        raise NotImplementedError


class AttentionRule(Rule, Protocol):
    """How many items a browsing user views per session (docs/ODD.md 7.5).

    Attributes:
        takes_all: The budget holds both screens in full, so the split between them needs no
            draw.
    """

    takes_all: bool = False

    def budget(self, rng: np.random.Generator, mean: np.ndarray, screen_size: int) -> np.ndarray:
        """Items each user may view (int64, at least 1)."""
        raise NotImplementedError


class FeedChoiceRule(Rule, Protocol):
    """Which unseen slots a user attends (docs/ODD.md 7.7)."""

    def slot_weights(self, world: World, t: int) -> SlotWeights:
        """This step's weight function (users, items) -> weights, or None (uniform)."""
        raise NotImplementedError


class FeedRankingRule(Rule, Protocol):
    """The platform's ranking factor of social-feed slots (docs/ODD.md 7.7)."""

    def slot_factor(self, world: World, t: int) -> SlotWeights:
        """This step's factor function (users, items) -> factors, or None (no factor)."""
        raise NotImplementedError


class EmotionRule(Rule, Protocol):
    """How valence and arousal change each step (docs/ODD.md 7.10)."""

    def update(self, world: World, t: int, v: Views, rng: np.random.Generator) -> None:
        """One step of emotion for every user."""
        raise NotImplementedError

    def settle(self, world: World, t: int, rows: np.ndarray | None = None) -> None:
        """Bring the emotion of ``rows`` (None: every user) up to the end of step ``t``, for a
        rule that updates some users lazily (docs/ODD.md 7.10). By default nothing is lazy."""

    def commit(self, world: World, t: int, rows: np.ndarray) -> None:
        """``rows``' emotion now is their emotion at the end of step ``t`` (after the respond
        phase): a lazy rule's new starting point for them. By default nothing is kept."""


class FollowingRule(Rule, Protocol):
    """How users come to follow or leave the focal outlet (docs/ODD.md 7.11)."""

    def update(self, world: World, rng: np.random.Generator) -> None:
        """One step of following."""
        raise NotImplementedError


class UserFollowRule(Rule, Protocol):
    """How users follow and unfollow users: the user follow layer (docs/ODD.md 7.19)."""

    def update(
        self, world: World, t: int, v: Views, r: Reactions, inside: np.ndarray,
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        """Edit the follow layer after the step's views (``inside``: each view's stance was
        inside the viewer's confidence bound, before this step's opinion update)."""

    def changes(self) -> tuple[int, int]:
        """(follows, unfollows) of the last step."""
        return 0, 0


@dataclass(slots=True)
class Rules:
    """The rules one model runs, one per registry (new instances: a rule's state is its own)."""

    forwarding: ForwardingRule
    peer_mixing: PeerMixingRule
    initial_opinion: InitialOpinionRule
    feed_choice: FeedChoiceRule
    attention: AttentionRule
    opinion: OpinionRule
    peer_choice: PeerChoiceRule
    emotion: EmotionRule
    following: FollowingRule
    feed_ranking: FeedRankingRule
    user_follow: UserFollowRule

    def __getitem__(self, key: str) -> Rule:
        """The rule of registry ``key`` (a field name)."""
        names = [f.name for f in dataclasses.fields(self)]
        if key not in names:
            raise KeyError(f"no registry {key!r}; registries: {', '.join(names)}")
        return dict(self.items())[key]

    def items(self) -> list[tuple[str, Rule]]:
        """(registry key, rule) pairs, in declaration order."""
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]

    def init(self, world: World) -> None:
        """Create every rule's state for ``world`` (the engine calls this once it is built)."""
        for _, rule in self.items():
            rule.init(world)


class ReachIndex(Protocol):
    """Users reached per recorded item, kept up to date from the view log (model/measures)."""

    def update(self, log: EventLog) -> None: ...

    def sizes(self) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(slots=True)
class MeasureCaches:
    """What the measures keep between calls on one model (model/measures), typed here instead
    of attributes set on the model.

    Attributes:
        opinion: The opinions the opinion-only measures were last computed on, and their values.
        tree: The view log's length at the last cascade-tree statistics, and those statistics.
        reach: The incremental index of users reached per item.
    """

    opinion: tuple[np.ndarray, dict[str, float]] | None = None
    tree: tuple[int, pd.DataFrame] | None = None
    reach: ReachIndex | None = None


@dataclass
class Scratch:
    """Per-user scratch of the update phase's kernels, all zero between uses: a kernel adds
    into the entries of the users it touches and zeroes them again, so its cost follows
    those users instead of filling arrays of n_users every step (16 bytes per user).

    Attributes:
        sums: float64, one per user.
        counts: int64, one per user.
    """

    sums: np.ndarray
    counts: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> Scratch:
        """Zeroed scratch for ``n`` users."""
        return cls(np.zeros(n), np.zeros(n, dtype=np.int64))


@runtime_checkable
class World(Protocol):
    """The model as the phases, rules and measures see it (docs/ODD.md 2): parameters, users'
    state, networks, screens, content, the rules, random streams, tallies, logs and the
    measures' caches."""

    params: Params
    strategy: Strategy
    state: State
    networks: Networks
    screens: Screens
    content: ContentStore
    outbox: Outbox
    outlets: list[MediaOutlet]
    #: Per-outlet columns (rate, stance, strategy switches...), one row per outlet.
    outlet: dict[str, np.ndarray]
    rules: Rules
    streams: dict[str, np.random.Generator]
    rng_outlets: np.random.Generator
    rng_outlet: list[np.random.Generator]
    rng_posts: np.random.Generator
    rng_followups: np.random.Generator
    #: The cohorts' profiles (agents/generations.py), one row per cohort.
    prof: dict[str, np.ndarray]
    fmt_pref: np.ndarray
    fmt_pref32: np.ndarray
    n_users: int
    n_outlets: int
    steps: int
    #: Mesa's model time (one per step).
    time: float
    running: bool
    views_by: np.ndarray
    engaged_by: np.ndarray
    focal_forwards_by: np.ndarray
    focal_items: int
    last_focal_view: np.ndarray
    replies_sent: int
    published: np.ndarray
    replies_by: np.ndarray
    reviews_by: np.ndarray
    budget: dict[str, np.ndarray]
    staff_balance: np.ndarray
    staff_spent: np.ndarray
    member_steps: np.ndarray
    view_log: EventLog
    forward_log: EventLog
    #: The Mesa DataCollector the model fills on each collection step.
    datacollector: DataCollector
    #: The last collection step's snapshot, column -> value (``model.measures.collect.snapshot``).
    last_snapshot: dict[str, float]
    #: Full measures every ``collect_every`` steps (and at the end); 1: every step.
    collect_every: int
    #: ``reach`` and ``daily_focal_viewers`` at every step from step 0, whatever collect_every.
    step_series: dict[str, list[float]]
    #: The step of the last full collection.
    collected_at: int
    caches: MeasureCaches
    scratch: Scratch
    #: Topics, the trending list of topics and the per-topic tallies (docs/ODD.md 7.18).
    topics: Topics
    #: The riding outlets' record (docs/ODD.md 7.20).
    ride: Ride

    def collect(self) -> None: ...

    def collect_series(self) -> None: ...

    def current_snapshot(self) -> dict[str, float]: ...

    def trending_items(self, t: int, top: int = 10) -> np.ndarray: ...

    def opinions_converged(self, tol: float = 1e-6) -> bool: ...

    def extinct(self) -> bool: ...
