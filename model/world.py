"""What the phases of a step read and write: the world as a structural type.

:class:`World` lists the attributes the phase functions in :mod:`model.step` use;
``model.engine.OpinionEcology`` has them all (docs/ODD.md section 2 describes each). The phases
type against it instead of the engine, so that imports run one way (engine -> step) and a test
can hand a phase any object of this shape.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class World(Protocol):
    """The model as the phases see it: parameters, state, content, screens, streams, tallies."""

    params: Any
    strategy: Any
    state: Any
    networks: Any
    screens: Any
    content: Any
    outbox: Any
    outlets: list[Any]
    outlet: dict[str, np.ndarray]
    rules: dict[str, Any]
    streams: dict[str, np.random.Generator]
    rng_outlets: np.random.Generator
    rng_outlet: list[np.random.Generator]
    rng_posts: np.random.Generator
    rng_followups: np.random.Generator
    prof: dict[str, np.ndarray]
    fmt_pref: np.ndarray
    n_users: int
    n_outlets: int
    steps: int
    running: bool
    views_by: np.ndarray
    engaged_by: np.ndarray
    replies_sent: int
    published: np.ndarray
    replies_by: np.ndarray
    reviews_by: np.ndarray
    budget: dict[str, np.ndarray]
    view_log: Any
    forward_log: Any

    def collect(self) -> None: ...

    def trending_items(self, t: int, top: int = 10) -> np.ndarray: ...

    def opinions_converged(self, tol: float = 1e-6) -> bool: ...

    def extinct(self) -> bool: ...
