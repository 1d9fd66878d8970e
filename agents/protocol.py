"""What the agents read of the model they belong to, as a Protocol (docs/ODD.md 2.1, 2.3).

``User`` and ``MediaOutlet`` are views of rows of the model's arrays; typing them against this
small protocol keeps ``agents/`` below ``model/``: nothing here imports the model.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class UserArrays(Protocol):
    """The users' state arrays the agents read and write (row i is user i)."""

    gen: np.ndarray
    trust_media: np.ndarray
    trust_peers: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    opinion: np.ndarray
    epsilon: np.ndarray
    belonging: np.ndarray
    follows: np.ndarray


class Layers(Protocol):
    """The social layers, as far as the agents read them."""

    def acquaintances(self, i: int) -> np.ndarray:
        """User i's acquaintances (ids)."""
        ...


class World(Protocol):
    """The model as seen by its agents."""

    state: UserArrays
    networks: Layers
    users: list[Any]


class StrategyLike(Protocol):
    """An outlet's strategy (``model.Strategy``), as far as the agents and the outlet table
    (``model.population.outlet_table``) read it."""

    @property
    def publish_share(self) -> float: ...

    @property
    def reply_share(self) -> float: ...

    @property
    def moderation_share(self) -> float: ...

    @property
    def share_prompt(self) -> float: ...

    @property
    def community_share(self) -> float: ...

    @property
    def conversation_share(self) -> float: ...

    @property
    def emotional_rewards(self) -> bool: ...

    @property
    def follow_up(self) -> bool: ...

    @property
    def targeting(self) -> bool: ...

    def label(self) -> str:
        """A short name for display."""
        ...
