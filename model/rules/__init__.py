"""The rule catalogue: each alternative rule of a phase, registered under its Params choice.

One registry per choice (docs/ODD.md 7), each named as the Params field that chooses its rule:
forwarding, peer mixing, initial opinion, feed choice, attention, the platform's feed ranking,
opinion, peer choice, emotion, following and user following; the spreading rules with memory (``threshold``,
``rumour``) register as forwarding rules. A rule's parameters are its own (``Settings``,
addressed as ``opinion.contacts``).
:func:`selected` is the one place that maps Params onto the rules a model runs, as one typed
:class:`Rules` record; each rule's hooks and their defaults are in :mod:`model.world`.
"""

from __future__ import annotations

from typing import Any

from model.rules import (  # noqa: F401 - importing a rule module registers its rules
    attention,
    emotion,
    feed_choice,
    feed_ranking,
    following,
    forwarding,
    initial_opinion,
    opinion,
    peer_choice,
    peer_mixing,
    spreading,
    user_follow,
)
from model.rules.peer_mixing import random_matching
from model.rules.registry import (
    ATTENTION,
    EMOTION,
    FEED_CHOICE,
    FEED_RANKING,
    FOLLOWING,
    FORWARDING,
    INITIAL_OPINION,
    OPINION,
    PEER_CHOICE,
    PEER_MIXING,
    REGISTRIES,
    USER_FOLLOW,
    Registry,
)
from model.rules.spreading import PairStore
from model.world import Rule, Rules


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
    "USER_FOLLOW",
    "PairStore",
    "Registry",
    "Rule",
    "Rules",
    "random_matching",
    "selected",
]
