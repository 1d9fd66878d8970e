"""What a rule of each phase offers: the hooks as Protocols, and base classes with the defaults.

A phase calls its rule's hooks and nothing else: it never asks whether a rule has a method
(every hook exists, with a default here) and never tests a rule's name (it asks the rule, e.g.
:attr:`PeerMixingRule.well_mixed`). A rule with state keeps it in a typed record that
:meth:`Rule.init` creates, once, when the world is built (docs/ODD.md 7).

Each class is at once the Protocol a phase types against and the base a rule subclasses
(PEP 544: an explicit subclass inherits the default hooks), so a new rule writes only the hooks
it changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from model import schema

if TYPE_CHECKING:
    from model.network import Networks
    from model.step.records import Views
    from model.world import World

_EMPTY = np.zeros(0, dtype=np.int64)

#: Adoptions without a view: (users, items, the user each learned the item from).
Adoptions = tuple[np.ndarray, np.ndarray, np.ndarray]

#: No adoptions without a view.
NO_ADOPTIONS: Adoptions = (_EMPTY, _EMPTY, _EMPTY)


@dataclass(frozen=True)
class RuleSettings:
    """The parameters of one rule, declared with :func:`model.schema.field` like ``Strategy``'s
    switches; a rule without parameters keeps this empty record.

    Each rule declares its own subclass (``Settings``); the registry sets ``schema_prefix`` to
    ``"<registry>."`` so that a wrong value is named as people address it
    (``opinion.contacts=0 is out of range; allowed [1, 1000]``).
    """

    schema_prefix: ClassVar[str] = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> RuleSettings:
        schema.check_names(cls, kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        schema.validate_fields(self)

    def values(self) -> dict[str, Any]:
        """Parameter name -> value."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


class Chosen(str):
    """A rule's name together with its parameters: what a rule field of ``Params`` holds.

    It is the name (``params.opinion == "activity_driven"``, a string in tables, addresses
    and spec files) and reads the chosen rule's parameters as attributes
    (``params.opinion.contacts``), as ``params.strategy.reply_share`` reads a switch. Two
    values are equal when the names and the parameters are; a plain string equals the name.

    Args:
        name: The rule's registry name.
        settings: Its parameters.
    """

    settings: RuleSettings

    def __new__(cls, name: str, settings: RuleSettings) -> Chosen:
        obj = super().__new__(cls, name)
        object.__setattr__(obj, "settings", settings)
        return obj

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "settings":
            raise AttributeError(attr)
        try:
            return getattr(self.settings, attr)
        except AttributeError:
            names = [f.name for f in dataclasses.fields(self.settings)]
            raise AttributeError(
                f"rule {str(self)!r} has no parameter {attr!r}"
                f"{schema.did_you_mean(attr, names)} (its parameters: {', '.join(names) or 'none'})"
            ) from None

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"{str(self)!r} is read-only; use Params.replace")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Chosen):
            return str(self) == str(other) and self.settings == other.settings
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return str.__hash__(self)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.values().items())
        return f"Chosen({str(self)!r}{', ' + args if args else ''})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Chosen, (str(self), self.settings))

    def replace(self, **changes: Any) -> Chosen:
        """The same rule with some parameters changed (validated)."""
        return Chosen(str(self), dataclasses.replace(self.settings, **changes))


class Rule(Protocol):
    """Every rule: the name it is registered under, its parameters and an explicit start.

    Attributes:
        name: The registry name (set by :meth:`model.rules.registry.Registry.register`).
        Settings: The record of the rule's parameters (empty by default).
        settings: This instance's parameters (set by :meth:`model.rules.registry.Registry.get`).
    """

    name: ClassVar[str] = ""
    Settings: ClassVar[type[RuleSettings]] = RuleSettings
    settings: RuleSettings

    def init(self, world: World) -> None:
        """Create the rule's state for ``world``, once, after the networks are built.

        The default keeps no state. A rule with state overrides this and stores a typed
        record; nothing is created later on first use (draws a rule makes at its first call
        stay there, so that the random streams are read in the same order).
        """


# ----------------------------------------------------------------------------- forwarding
class ForwardingParams(Protocol):
    """What a forwarding rule reads from ``Params`` (typed here: Params imports the rules)."""

    forward_p: float


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


#: (users, items) -> one weight (or ranking factor) per slot, or None for none.
SlotWeights = Callable[[np.ndarray, np.ndarray], np.ndarray] | None


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


class FollowingRule(Rule, Protocol):
    """How users come to follow or leave the focal outlet (docs/ODD.md 7.11)."""

    def update(self, world: World, rng: np.random.Generator) -> None:
        """One step of following."""
        raise NotImplementedError
