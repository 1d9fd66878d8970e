"""The typed records the phases of one step hand each other (docs/ODD.md section 3).

``Sessions`` (publish -> attend), ``Views`` (attend -> react, update, respond), ``Reactions``
(react -> update, respond) live for one step. ``Outbox`` is world state the model carries from
one step to the next: shares waiting for delivery, follow-ups waiting for publication, and the
outlet items of this step waiting for direct delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Sessions:
    """Who opened the app this step (docs/ODD.md 7.1).

    Attributes:
        posters: Users who spend the session posting (sorted ids).
        browsers: Users who spend it browsing their screens (sorted ids).
    """

    posters: np.ndarray
    browsers: np.ndarray


@dataclass(frozen=True, slots=True)
class Views:
    """One row per item a user attended this step (docs/ODD.md 7.5).

    Attributes:
        user: The viewer.
        item: The item viewed.
        chan: The channel it arrived by (``model.content.CHANNELS``).
        source_user: The user whose share delivered it, -1 for none (direct, platform).
    """

    user: np.ndarray
    item: np.ndarray
    chan: np.ndarray
    source_user: np.ndarray

    def __len__(self) -> int:
        return len(self.user)


@dataclass(frozen=True, slots=True)
class Reactions:
    """Per view (aligned with :class:`Views`): resonance and what the viewer did (docs/ODD.md 7.9).

    Attributes:
        res: Resonance in [0, 1].
        trust: Trust in the item's source, in [0, 1].
        focal: The item is the focal outlet's.
        outlet: The item is an outlet's.
        like: Liked.
        comment: Commented.
        forward: Forwarded.
        emotion: Emotional resonance (intensity x reactivity x valence match).
        proof: Signed social proof of the viewed thread, in [-1, 1] (0 when comments are hidden).
        comment_idx: Positions (in the views) of the views that drew a comment.
        critical: Per comment: the commenter is outside its confidence bound of the item.
        uncivil: Per comment: the comment is uncivil.
    """

    res: np.ndarray
    trust: np.ndarray
    focal: np.ndarray
    outlet: np.ndarray
    like: np.ndarray
    comment: np.ndarray
    forward: np.ndarray
    emotion: np.ndarray
    proof: np.ndarray
    comment_idx: np.ndarray
    critical: np.ndarray
    uncivil: np.ndarray


@dataclass(slots=True)
class Outbox:
    """What waits between phases and steps (docs/ODD.md 7.2, 7.3, 7.12).

    Attributes:
        share_user: Users whose shares (posts of this step, forwards of the last) await delivery.
        share_item: The item each of them shares.
        outlet_items: Outlet items (follow-ups) to be published at the next step.
        new_items: This step's outlet items, for direct delivery.
    """

    share_user: np.ndarray = field(default_factory=_empty)
    share_item: np.ndarray = field(default_factory=_empty)
    outlet_items: np.ndarray = field(default_factory=_empty)
    new_items: np.ndarray = field(default_factory=_empty)

    def queue_shares(self, users: np.ndarray, items: np.ndarray) -> None:
        """Queue shares of ``items`` by ``users`` for the next delivery."""
        self.share_user = np.concatenate([self.share_user, users])
        self.share_item = np.concatenate([self.share_item, items])

    def take_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """The queued shares (users, items); the queue is emptied."""
        out = self.share_user, self.share_item
        self.share_user, self.share_item = _empty(), _empty()
        return out
