"""The user agent: a Mesa agent whose state is a row of the model's arrays (docs/ODD.md 2.1).

The model owns one numpy array per state variable; a ``User`` holds only its row index, and its
attributes read and write that row. Code that changes many users at once works on the arrays
(``model.state``); per-agent access is for inspection, the viewer and Mesa's AgentSet tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.generations import GENERATIONS

if TYPE_CHECKING:
    from agents.protocol import World


def _scalar(name: str, doc: str) -> property:
    def get(self: User) -> float:
        return float(getattr(self.model.state, name)[self.idx])

    def set_(self: User, value: float) -> None:
        getattr(self.model.state, name)[self.idx] = value

    return property(get, set_, doc=doc)


def _row(name: str, doc: str) -> property:
    def get(self: User) -> np.ndarray:
        return getattr(self.model.state, name)[self.idx]  # a view: writes reach the model

    def set_(self: User, value: np.ndarray) -> None:
        getattr(self.model.state, name)[self.idx] = value

    return property(get, set_, doc=doc)


class User(mesa.Agent):
    """One user of the platform.

    Attributes:
        idx: Row of this user in the model's arrays.
        generation: Cohort: 'post00', 'post90', 'post80' or 'pre80' (fixed).
        trust_media: Trust in each outlet, in [0, 1] (a view of the model's row; index 0 = focal).
        trust_peers: Interpersonal trust in [0, 1].
        valence: Emotional valence in [-1, 1].
        arousal: Emotional arousal in [0, 1].
        opinion: Opinion on the focal topic in [-1, 1].
        epsilon: Confidence bound of this user.
        belonging: Attachment to each outlet's community, in [0, 1] (row view).
        follows: Whether the user follows each outlet (row view).
    """

    model: World

    def __init__(self, model: World, idx: int) -> None:
        super().__init__(model)
        self.idx = int(idx)

    @property
    def generation(self) -> str:
        return GENERATIONS[int(self.model.state.gen[self.idx])]

    trust_media = _row("trust_media", "Trust in each outlet (index 0 is the focal outlet).")
    belonging = _row("belonging", "Belonging to each outlet's community.")
    follows = _row("follows", "Whether the user follows each outlet.")
    trust_peers = _scalar("trust_peers", "Interpersonal trust.")
    valence = _scalar("valence", "Emotional valence.")
    arousal = _scalar("arousal", "Emotional arousal.")
    opinion = _scalar("opinion", "Opinion on the focal topic.")
    epsilon = _scalar("epsilon", "Confidence bound.")

    @property
    def neighbors(self) -> list[User]:
        """Acquaintances (the undirected layer), as agents."""
        nb = self.model.networks.acquaintances(self.idx)
        return [self.model.users[int(j)] for j in nb]

    def __repr__(self) -> str:
        return f"User({self.idx}, {self.generation}, opinion={self.opinion:.2f})"
