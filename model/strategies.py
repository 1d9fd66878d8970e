"""Outlet strategies: frozen bundles of switches, each one mechanism of the step.

The switches and presets are described in docs/ODD.md, section 2.4.

A strategy is the experimental lever: what the outlet does with its staff time. The platform
(share button, comment visibility, feed ranking) is not part of it (``Params``, group
"platform"). ``one_way`` is the same outlet on the same platform that does not take part in the
conversation: every switch off, all staff time on publishing. ``interactive`` spends a share of
its staff time on replies, moderation and a community, and runs emotional rewards and
follow-ups (paid from the publishing time). ``scenario`` adds targeting (scenario-based matching of
content to users' values and formats). No switch touches a random stream that the others use,
so a strategy with every switch off reproduces ``one_way`` draw for draw.

Names: a preset with a switch changed is no longer that preset, so :meth:`Strategy.replace`
marks its name: ``Strategy.preset("interactive").replace(reply_share=0.3)`` is named
``"interactive*"`` (:data:`CHANGED_MARK`), and that is what reports, tables, the viewer's arms
and ``Params.to_dict`` show. A replace that gives ``name`` keeps it (an experiment spec's arm is
named by the spec), and so does a name that is no preset's ("custom", your own). Changed back
to the preset's switches, the strategy labels itself as the preset again (:meth:`Strategy.label`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from model import schema
from model.schema import Interval, field

#: Appended to a preset's name when :meth:`Strategy.replace` changes a switch of it without
#: naming the result: "interactive*" is "interactive" with something changed.
CHANGED_MARK = "*"

#: Staff time outside publishing is at most this share, so an outlet always publishes a little.
MAX_CONVERSATION_SHARE = 0.9


@dataclass(frozen=True)
class Strategy(schema.Declared):
    """An outlet's strategy: switches declared with :mod:`model.schema`.

    Construct with keywords; a wrong value raises ``ValueError`` or ``TypeError`` naming the
    switch (``Strategy.reply_share=-1 is out of range; allowed [0, 0.9]``); an unknown
    name raises ``TypeError`` with the closest switch. :meth:`spec` and :meth:`help` describe
    every switch in the format of :meth:`model.Params.spec`.
    """

    schema_prefix: ClassVar[str] = "Strategy."
    schema_renamed: ClassVar[dict[str, str]] = {
        "reply_capacity": "use reply_share (a share of staff time; capacity is that share of the "
        "budget over Params.reply_hours)",
        "forward_friction": "the share button is the platform's: Params.share_friction "
        "(an outlet's share_prompt may lower it a little)",
        "comments_visible": "comment visibility is the platform's: Params.comments_visible",
        "community": "use community_share (a share of staff time; 0 runs no community)",
    }

    name: str = field(
        "custom",
        group="label",
        label="Strategy name",
        unit="",
        doc="A label for tables and plots; no effect on the dynamics.",
    )
    reply_share: float = field(
        0.0,
        Interval(float, 0.0, 0.9),
        group="conversation",
        label="Staff time on replies",
        unit="share 0-1",
        doc="Share of the outlet's staff time spent replying to commenters: at most reply_share "
        "x budget / Params.reply_hours replies per step (docs/ODD.md 7.12; assumption, sweep "
        "0-0.5). Publishing gets the rest of the budget and any time not used.",
    )
    moderation_share: float = field(
        0.0,
        Interval(float, 0.0, 0.9),
        group="conversation",
        label="Staff time on moderation",
        unit="share 0-1",
        doc="Share of the staff budget spent reviewing comments and removing uncivil ones: at "
        "most moderation_share x budget / Params.review_hours reviews per step (docs/evidence.md "
        "3; assumption, sweep 0-0.3).",
    )
    share_prompt: float = field(
        0.0,
        Interval(float, 0.0, 0.1),
        group="spread",
        label="Share prompt",
        unit="share 0-1",
        doc="How much the outlet's share prompts lower the platform's share friction "
        "(Params.share_friction); small by construction, the button is the platform's "
        "(assumption, sweep 0-0.1; 0 in every preset).",
    )
    community_share: float = field(
        0.0,
        Interval(float, 0.0, 0.9),
        group="conversation",
        label="Staff time on community",
        unit="share 0-1",
        doc="Share of the staff budget spent hosting a community: civil commenters may join "
        "(Params.community_join), members see each other's comments, and the community holds at "
        "most community_share x budget / (Params.member_hours / 24) members (docs/ODD.md 7.12; "
        "assumption, sweep 0-0.3). 0: no community.",
    )
    emotional_rewards: bool = field(
        False,
        group="conversation",
        label="Emotional rewards",
        unit="",
        doc='Replies carry a warm "hug" that lifts valence and belonging more.',
    )
    follow_up: bool = field(
        False,
        group="conversation",
        label="Follow-ups",
        unit="",
        doc="The outlet publishes follow-ups on items that drew a large conversation.",
    )
    targeting: bool = field(
        False,
        group="spread",
        label="Targeting",
        unit="",
        doc="Items are also recommended to non-followers by value and format match.",
    )
    ride_trends: bool = field(
        False,
        group="ride",
        label="Ride users' trends",
        unit="",
        doc="The outlet rides users' trends (docs/ODD.md 7.20): on each topic that has been on "
        "the trending list for ride_delay steps it publishes a share ride_share of its items, "
        "replies to and forwards the topic's top user item (reply_hours each, from the "
        "publishing time) and invites that item's creator, whose next post it co-publishes to "
        "its followers (item_hours).",
    )
    ride_delay: int = field(
        24,
        Interval(int, 1, 10_000),
        group="ride",
        label="Riding delay",
        unit="steps",
        doc="Steps a topic must have been on the trending list before a riding outlet joins it "
        "(1: the step after it entered; assumption, sweep 1-96).",
    )
    ride_share: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="ride",
        label="Items on ridden topics",
        unit="share 0-1",
        doc="Share of a riding outlet's items published on the topics it rides (assumption, "
        "sweep 0.1-1).",
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> Strategy:
        schema.check_names(cls, kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        schema.validate_fields(self)
        if self.conversation_share > MAX_CONVERSATION_SHARE + 1e-12:
            raise ValueError(
                f"Strategy.reply_share + moderation_share + community_share = "
                f"{self.conversation_share:g} exceeds {MAX_CONVERSATION_SHARE} "
                "(publishing needs part of the staff budget)"
            )

    @property
    def conversation_share(self) -> float:
        """The share of staff time reserved for replies, moderation and the community."""
        return self.reply_share + self.moderation_share + self.community_share

    @property
    def publish_share(self) -> float:
        """The share of staff time reserved for publishing (items and follow-ups); publishing
        also gets the conversation's unused time (docs/ODD.md 7.12)."""
        return 1.0 - self.conversation_share

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
        """A copy with some switches changed.

        A preset's name with a switch changed and no ``name`` given gets :data:`CHANGED_MARK`
        (``"interactive"`` becomes ``"interactive*"``), so the copy is never labelled as the
        preset; a given ``name``, and a name that is no preset's, are kept.
        """
        new = dataclasses.replace(self, **changes)
        if (
            "name" not in changes
            and self.name in STRATEGY_PRESETS
            and new.switches() != self.switches()
        ):
            new = dataclasses.replace(new, name=self.name + CHANGED_MARK)
        return new

    def switches(self) -> dict[str, Any]:
        """The switches without the name."""
        d = dataclasses.asdict(self)
        d.pop("name")
        return d

    def label(self) -> str:
        """The preset name when the switches equal a preset's, else the name.

        A changed preset changed back (named ``"interactive*"`` with the switches of
        ``"interactive"``) is labelled as the preset again.
        """
        for key, preset in STRATEGY_PRESETS.items():
            names = (key, key + CHANGED_MARK, "custom")
            if preset.switches() == self.switches() and self.name in names:
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
    reply_share=0.2,
    moderation_share=0.1,
    community_share=0.1,
    emotional_rewards=True,
    follow_up=True,
)

STRATEGY_PRESETS: dict[str, Strategy] = {
    "one_way": Strategy(name="one_way"),
    "interactive": _INTERACTIVE,
    "scenario": _INTERACTIVE.replace(name="scenario", targeting=True),
}
