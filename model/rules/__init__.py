"""The rule catalogue: each alternative rule of a phase, registered under its Params choice.

One registry per choice (docs/ODD.md 7): forwarding (``forward_model``), peer mixing
(``peer_mixing``), initial opinion (``initial_opinion``), feed choice, attention and the platform's feed ranking (``feed_ranking``).
:func:`selected` is the one place that maps Params onto the rules a model runs.
"""

from __future__ import annotations

from typing import Any

from model.rules.attention import ATTENTION
from model.rules.feed_choice import FEED_CHOICE
from model.rules.feed_ranking import FEED_RANKING
from model.rules.forwarding import FORWARDING
from model.rules.initial_opinion import INITIAL_OPINION
from model.rules.peer_mixing import PEER_MIXING, random_matching
from model.rules.registry import Registry

#: Every registry, by the key :func:`selected` returns its rule under.
REGISTRIES: dict[str, Registry] = {
    "forwarding": FORWARDING,
    "peer_mixing": PEER_MIXING,
    "initial_opinion": INITIAL_OPINION,
    "feed_choice": FEED_CHOICE,
    "attention": ATTENTION,
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
        "feed_ranking": params.feed_ranking,
    }
    return {key: REGISTRIES[key].get(name) for key, name in names.items()}


__all__ = [
    "ATTENTION",
    "FEED_CHOICE",
    "FEED_RANKING",
    "FORWARDING",
    "INITIAL_OPINION",
    "PEER_MIXING",
    "REGISTRIES",
    "Registry",
    "random_matching",
    "selected",
]
