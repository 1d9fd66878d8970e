"""Outlet strategies: frozen bundles of switches, each one mechanism of the step (DESIGN section 4).

A strategy is the experimental lever. ``one_way`` is pure broadcast: every switch off and high
forward friction. ``interactive`` turns on replies, visible comments, low friction, community,
emotional rewards and follow-ups. ``scenario`` adds targeting (scenario-based matching of
content to users' values and formats). No switch touches a random stream that the others use,
so a strategy with every switch off reproduces ``one_way`` draw for draw.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any

#: The forward friction of pure broadcast: sharing takes effort (no share button, no prompt).
BROADCAST_FRICTION = 0.6


@dataclass(frozen=True)
class Strategy:
    """The focal outlet's strategy.

    Attributes:
        name: A label for tables and plots; it has no effect on the dynamics.
        reply_capacity: Comments the outlet answers per step (0 = never replies).
        comments_visible: Users see others' comments on the outlet's items (social proof).
        forward_friction: In [0, 1]; multiplies forward probability by (1 - friction).
        community: Commenters join a community whose members see each other's comments.
        emotional_rewards: Replies carry a warm "hug" that lifts valence and belonging more.
        follow_up: The outlet publishes follow-ups on items that drew a large conversation.
        targeting: Items are also recommended to non-followers by value and format match.
    """

    name: str = "custom"
    reply_capacity: int = 0
    comments_visible: bool = False
    forward_friction: float = BROADCAST_FRICTION
    community: bool = False
    emotional_rewards: bool = False
    follow_up: bool = False
    targeting: bool = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Strategy:
        names = [f.name for f in dataclasses.fields(cls)]
        for k in kwargs:
            if k not in names:
                close = difflib.get_close_matches(k, names, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TypeError(f"unknown Strategy switch {k!r}{hint} (valid: {', '.join(names)})")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Strategy name must be a string, got {self.name!r}")
        rc = self.reply_capacity
        if isinstance(rc, bool) or not isinstance(rc, int) or not 0 <= rc <= 1_000_000:
            raise ValueError(f"reply_capacity={rc!r} must be a whole number in [0, 1000000]")
        ff = self.forward_friction
        if (
            isinstance(ff, bool)
            or not isinstance(ff, int | float)
            or not math.isfinite(ff)
            or not 0 <= ff <= 1
        ):
            raise ValueError(f"forward_friction={ff!r} must be a number in [0, 1]")
        object.__setattr__(self, "forward_friction", float(ff))
        for switch in (
            "comments_visible",
            "community",
            "emotional_rewards",
            "follow_up",
            "targeting",
        ):
            if not isinstance(getattr(self, switch), bool):
                raise TypeError(
                    f"Strategy.{switch} must be true or false, got {getattr(self, switch)!r}"
                )

    @classmethod
    def preset(cls, name: str) -> Strategy:
        """The named preset: 'one_way', 'interactive' or 'scenario'."""
        if name not in STRATEGY_PRESETS:
            close = difflib.get_close_matches(str(name), list(STRATEGY_PRESETS), n=1, cutoff=0.4)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown strategy {name!r}{hint} (choose one of {', '.join(STRATEGY_PRESETS)})"
            )
        return STRATEGY_PRESETS[name]

    def replace(self, **changes: Any) -> Strategy:
        """A copy with some switches changed."""
        return dataclasses.replace(self, **changes)

    def switches(self) -> dict[str, Any]:
        """The switches without the name."""
        d = dataclasses.asdict(self)
        d.pop("name")
        return d

    def label(self) -> str:
        """The preset name when the switches equal a preset's, else the name."""
        for key, preset in STRATEGY_PRESETS.items():
            if preset.switches() == self.switches() and self.name in (key, "custom"):
                return key
        return self.name

    @property
    def interactive(self) -> bool:
        """Whether the outlet takes part in the conversation at all."""
        return self.reply_capacity > 0 or self.comments_visible or self.community


_INTERACTIVE = Strategy(
    name="interactive",
    reply_capacity=30,
    comments_visible=True,
    forward_friction=0.1,
    community=True,
    emotional_rewards=True,
    follow_up=True,
)

STRATEGY_PRESETS: dict[str, Strategy] = {
    "one_way": Strategy(name="one_way"),
    "interactive": _INTERACTIVE,
    "scenario": _INTERACTIVE.replace(name="scenario", targeting=True),
}
