"""The rule catalogue: each alternative rule of a phase, registered under its Params choice.

One registry per choice (docs/ODD.md 7): forwarding (``forward_model``), peer mixing
(``peer_mixing``), initial opinion (``initial_opinion``), feed choice, attention, the platform's
feed ranking (``feed_ranking``), the opinion rule (``opinion_rule``), peer choice
(``peer_choice``), emotion (``emotion_rule``) and following (``follow_rule``); the spreading
rules with memory (``threshold``, ``rumour``) register as forwarding rules.
:func:`selected` is the one place that maps Params onto the rules a model runs.
"""

from __future__ import annotations

from typing import Any

from model.rules.attention import ATTENTION
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


def selected(params: Any) -> dict[str, Any]:
    """The rule each registry runs under ``params``, keyed as in :data:`REGISTRIES`.

    Raises:
        ValueError: A choice names no registered rule.
    """
    names = {
        "forwarding": params.forward_model,
        "peer_mixing": params.peer_mixing,
        "initial_opinion": params.initial_opinion,
        "feed_choice": params.feed_choice,
        "attention": params.attention,
        "opinion": params.opinion_rule,
        "peer_choice": params.peer_choice,
        "emotion": params.emotion_rule,
        "following": params.follow_rule,
        "feed_ranking": params.feed_ranking,
    }
    return {key: REGISTRIES[key].get(name) for key, name in names.items()}


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
    "random_matching",
    "selected",
]
