"""What the measures read of a model: a structural type, so that they never import the engine.

:class:`World` lists the attributes the measures read (``model.engine.OpinionEcology`` has them
all; docs/ODD.md section 2 describes each). Typing against it instead of the engine keeps
imports one way (engine -> measures) and lets a test hand the measures any object of this shape.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class State(Protocol):
    """The per-user arrays the measures read (docs/ODD.md section 2.1)."""

    gen: np.ndarray
    opinion: np.ndarray
    reached: np.ndarray
    follows: np.ndarray
    initial_follows: np.ndarray
    last_focal_engage: np.ndarray
    trust_media: np.ndarray
    belonging: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray


@runtime_checkable
class World(Protocol):
    """A model as the measures see it: arrays, cumulative tallies and logs (docs/ODD.md 2.7).

    ``views_by`` is (cohort, channel, focal?), ``engaged_by`` is (cohort, like/comment/forward).
    The measures also keep three caches on the model: ``_tree_cache``, ``_reach_index`` and
    ``_opinion_cache`` (the opinions the opinion measures were last computed on, and their values).
    """

    state: State
    n_users: int
    steps: int
    views_by: np.ndarray
    engaged_by: np.ndarray
    replies_sent: int
    #: ContentStore: ``n``, and per item ``forwards`` and ``created``.
    content: Any
    #: Networks: ``acq`` is the acquaintance layer in compressed rows.
    networks: Any
    #: The append-only view log: ``len``, columns item, parent, user, step; ``to_frame()``.
    view_log: Any
    #: The append-only forward log: ``len``, columns item, user, parent, step.
    forward_log: Any
    #: The Mesa DataCollector the model fills once per step (``model_vars``).
    datacollector: Any
    #: The step's snapshot, column -> value (``collect.snapshot``).
    last_snapshot: dict[str, float]
