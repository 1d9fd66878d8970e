"""The rule catalogue: each alternative rule of a phase, registered under its Params choice.

One registry per choice (docs/ODD.md 7), each named as the Params field that chooses its rule:
forwarding, peer mixing, initial opinion, feed choice, attention, the platform's feed ranking,
opinion, peer choice, emotion and following; the spreading rules with memory (``threshold``,
``rumour``) register as forwarding rules. A rule's parameters are its own (``Settings``,
addressed as ``opinion.contacts``).
:func:`selected` is the one place that maps Params onto the rules a model runs, as one typed
:class:`Rules` record; each rule's hooks and their defaults are in :mod:`model.rules.base`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from model.rules.attention import ATTENTION
from model.rules.base import (
    AttentionRule,
    EmotionRule,
    FeedChoiceRule,
    FeedRankingRule,
    FollowingRule,
    ForwardingRule,
    InitialOpinionRule,
    OpinionRule,
    PeerChoiceRule,
    PeerMixingRule,
    Rule,
)
from model.rules.emotion import EMOTION
from model.rules.feed_choice import FEED_CHOICE
from model.rules.feed_ranking import FEED_RANKING
from model.rules.following import FOLLOWING
from model.rules.forwarding import FORWARDING
from model.rules.initial_opinion import INITIAL_OPINION
from model.rules.opinion import OPINION
from model.rules.peer_choice import PEER_CHOICE
from model.rules.peer_mixing import PEER_MIXING, random_matching
from model.rules.registry import Registry
from model.rules.spreading import PairStore

if TYPE_CHECKING:
    from model.world import World

#: Every registry, by the key :func:`selected` returns its rule under.
REGISTRIES: dict[str, Registry] = {
    "forwarding": FORWARDING,
    "peer_mixing": PEER_MIXING,
    "initial_opinion": INITIAL_OPINION,
    "feed_choice": FEED_CHOICE,
    "attention": ATTENTION,
    "opinion": OPINION,
    "peer_choice": PEER_CHOICE,
    "emotion": EMOTION,
    "following": FOLLOWING,
    "feed_ranking": FEED_RANKING,
}


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

    def __getitem__(self, key: str) -> Rule:
        """The rule of registry ``key`` (as in :data:`REGISTRIES`)."""
        if key not in REGISTRIES:
            raise KeyError(f"no registry {key!r}; registries: {', '.join(REGISTRIES)}")
        return getattr(self, key)

    def items(self) -> list[tuple[str, Rule]]:
        """(registry key, rule) pairs, in the order of :data:`REGISTRIES`."""
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]

    def init(self, world: World) -> None:
        """Create every rule's state for ``world`` (the engine calls this once it is built)."""
        for _, rule in self.items():
            rule.init(world)


def selected(params: Any) -> Rules:
    """The rule each registry runs under ``params``, with the parameters ``params`` gives it,
    as a :class:`Rules` record (each registry's key is the Params field naming its rule).

    Raises:
        ValueError: A choice names no registered rule.
    """
    chosen = {key: getattr(params, key) for key in REGISTRIES}
    return Rules(**{key: REGISTRIES[key].get(str(c), c.settings) for key, c in chosen.items()})


__all__ = [
    "ATTENTION",
    "EMOTION",
    "FEED_CHOICE",
    "FOLLOWING",
    "FEED_RANKING",
    "FORWARDING",
    "INITIAL_OPINION",
    "OPINION",
    "PEER_CHOICE",
    "PEER_MIXING",
    "REGISTRIES",
    "PairStore",
    "Registry",
    "Rule",
    "Rules",
    "random_matching",
    "selected",
]
