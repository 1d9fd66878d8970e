"""Outlet strategies: frozen bundles of switches, each one mechanism of the step.

The switches and presets are described in docs/ODD.md, section 2.4.

A strategy is the experimental lever. ``one_way`` is pure broadcast: every switch off and high
forward friction. ``interactive`` turns on replies, visible comments, low friction, community,
emotional rewards and follow-ups. ``scenario`` adds targeting (scenario-based matching of
content to users' values and formats). No switch touches a random stream that the others use,
so a strategy with every switch off reproduces ``one_way`` draw for draw.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from model import schema
from model.schema import Interval, field

#: The forward friction of pure broadcast: sharing takes effort (no share button, no prompt).
BROADCAST_FRICTION = 0.6


@dataclass(frozen=True)
class Strategy:
    """The focal outlet's strategy: switches declared with :mod:`model.schema`.

    Construct with keywords; a wrong value raises ``ValueError`` or ``TypeError`` naming the
    switch (``Strategy.reply_capacity=-1 is out of range; allowed [0, 1000000]``); an unknown
    name raises ``TypeError`` with the closest switch. :meth:`spec` and :meth:`help` describe
    every switch in the format of :meth:`model.Params.spec`.
    """

    schema_prefix: ClassVar[str] = "Strategy."

    name: str = field(
        "custom", group="label", doc="A label for tables and plots; no effect on the dynamics."
    )
    reply_capacity: int = field(
        0,
        Interval(int, 0, 1_000_000),
        group="conversation",
        unit="comments per step",
        doc="Comments the outlet answers per step (0 = never replies).",
    )
    comments_visible: bool = field(
        False,
        group="conversation",
        doc="Users see others' comments on the outlet's items (social proof).",
    )
    forward_friction: float = field(
        BROADCAST_FRICTION,
        Interval(float, 0.0, 1.0),
        group="spread",
        doc="Multiplies forward probability by (1 - friction); 0.6 is broadcast's effortful sharing.",
    )
    community: bool = field(
        False,
        group="conversation",
        doc="Commenters join a community whose members see each other's comments.",
    )
    emotional_rewards: bool = field(
        False,
        group="conversation",
        doc='Replies carry a warm "hug" that lifts valence and belonging more.',
    )
    follow_up: bool = field(
        False,
        group="conversation",
        doc="The outlet publishes follow-ups on items that drew a large conversation.",
    )
    targeting: bool = field(
        False,
        group="spread",
        doc="Items are also recommended to non-followers by value and format match.",
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> Strategy:
        schema.check_names(cls, kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        schema.validate_fields(self)

    @classmethod
    def preset(cls, name: str) -> Strategy:
        """The named preset: 'one_way', 'interactive' or 'scenario'."""
        if not isinstance(name, str) or name not in STRATEGY_PRESETS:
            hint = schema.did_you_mean(name, STRATEGY_PRESETS, n=1, cutoff=0.4)
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

    @classmethod
    def spec(cls) -> dict[str, dict[str, Any]]:
        """Metadata per switch, as :meth:`model.Params.spec` (:func:`model.schema.spec`)."""
        return schema.spec(cls)

    @classmethod
    def help(cls) -> str:
        """A plain-text table of every switch, for ``--help``."""
        return schema.help(cls)


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
