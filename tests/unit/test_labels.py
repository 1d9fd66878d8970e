"""Labels and units declared with the fields (model/schema.py ``field(label=..., unit=...)``),
and the viewer's reading of them (viewer/labels.py).

Every field of Params, of every registered rule's Settings and of Strategy has a label short
enough for the viewer's slider column and a unit from the vocabulary; a field declared without
them is refused when its class is defined, naming it; a plug-in rule is held to the same rule
(a clear error at its declaration, not a label guessed from its doc string).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from model import Params, Strategy, schema
from model.rules.base import RuleSettings
from model.rules.registry import FORWARDING, REGISTRIES
from model.schema import DANGLING, LABEL_MAX, UNITS, Interval, field
from viewer.labels import label_of


def _declarations() -> list[tuple[str, schema.Field]]:
    """Every declared field: Params (rules' parameters by address), each registered rule's
    Settings field (from the classes themselves) and Strategy."""
    out = [(f"Params.{n}", f) for n, f in schema.schema_of(Params).fields.items() if not f.alias_of]
    for key, reg in REGISTRIES.items():
        for rule in reg.names():
            settings = reg.rule_class(rule).Settings  # type: ignore[attr-defined]
            out += [
                (f"{key}:{rule}.{d.name}", d.metadata["schema"])
                for d in dataclasses.fields(settings)
            ]
    out += [(f"Strategy.{n}", f) for n, f in schema.schema_of(Strategy).fields.items()]
    return out


DECLARATIONS = _declarations()


def test_every_field_is_covered():
    """The walk reaches the fields it claims to: Params' 160-odd, the rules' and Strategy's."""
    names = [n for n, _ in DECLARATIONS]
    assert len([n for n in names if n.startswith("Params.")]) > 150
    assert "opinion:activity_driven.contacts" in names and "Strategy.reply_share" in names
    assert "following:q_voter.voter_q" in names


@pytest.mark.parametrize(("name", "f"), DECLARATIONS, ids=[n for n, _ in DECLARATIONS])
def test_every_field_has_a_short_label_and_a_unit_of_the_vocabulary(name, f):
    assert f.label, f"{name} has no label"
    assert len(f.label) <= LABEL_MAX, f"{name}: {f.label!r} is longer than {LABEL_MAX}"
    assert f.label.split()[-1].lower() not in DANGLING, f"{name}: {f.label!r} is cut mid-phrase"
    assert f.unit in UNITS, f"{name}: unit {f.unit!r} is not in model.schema.UNITS"
    # a choice, a switch or a name has no unit
    if f.kind not in (int, float):
        assert f.unit in ("", "file"), f"{name}: a {f.kind.__name__} with unit {f.unit!r}"


def test_labels_are_distinct_within_a_group():
    """Two controls of one card with one label could not be told apart."""
    seen: dict[tuple[str, str], str] = {}
    spec = {**Params.spec(), **{f"strategy.{k}": v for k, v in Strategy.spec().items()}}
    for name, m in spec.items():
        key = (m["group"], label_of(name, m))
        assert key not in seen, f"{name} and {seen[key]} are both labelled {key[1]!r}"
        seen[key] = name


def test_the_unit_vocabulary_says_what_each_unit_means():
    assert UNITS[""] and all(isinstance(u, str) and meaning for u, meaning in UNITS.items())
    assert {"steps", "per step", "share 0-1", "probability", "users", "staff-hours"} <= set(UNITS)


# ---------------------------------------------------------------------------------- refusals
def test_a_field_without_a_label_is_refused_at_declaration_naming_it():
    with pytest.raises(ValueError, match=r"^Bare\.rounds has no label: declare field\(\.\.\., "):

        @dataclass(frozen=True)
        class Bare(RuleSettings):
            rounds: int = field(3, Interval(int, 1, 9), unit="per step", doc="Rounds per step.")


def test_a_field_without_a_unit_is_refused_naming_it():
    """An undeclared unit is not taken for a pure number (``unit=""`` says that)."""
    with pytest.raises(ValueError, match=r"^Half\.rounds has no unit: .*'Rounds per step\.'"):

        @dataclass(frozen=True)
        class Half(RuleSettings):
            rounds: int = field(3, Interval(int, 1, 9), label="Rounds", doc="Rounds per step.")

    with pytest.raises(ValueError, match=r"^Neither\.rounds has no label and no unit"):

        @dataclass(frozen=True)
        class Neither(RuleSettings):
            rounds: int = field(3, Interval(int, 1, 9), doc="Rounds per step.")

    @dataclass(frozen=True)
    class Pure(RuleSettings):
        rounds: int = field(3, Interval(int, 1, 9), label="Rounds", unit="", doc="Rounds.")

    assert Pure().rounds == 3


def test_params_and_strategy_refuse_an_unlabelled_field_too():
    """The same check guards every declared class (``schema.Declared``), not only rules."""
    assert issubclass(Params, schema.Declared) and issubclass(Strategy, schema.Declared)
    with pytest.raises(ValueError, match=r"^Mine\.x has no label"):

        class Mine(schema.Declared):
            x: float = field(0.5, Interval(float, 0, 1), unit="", doc="A number.")


@pytest.mark.parametrize(
    ("label", "unit", "message"),
    [
        ("Comment probability is multiplied by", "", "has 36 characters; at most 26"),
        ("Comments multiplied by", "", "ends in 'by' and reads as cut mid-phrase"),
        ("Share of the", "", "ends in 'the'"),
        (" Padded", "", "stray spaces"),
        ("Hours", "hrs", "unit='hrs' is not in the vocabulary; use one of '', 'users'"),
    ],
)
def test_a_bad_label_or_unit_is_refused_naming_what_is_allowed(label, unit, message):
    with pytest.raises(ValueError, match=message) as err:
        field(0.5, Interval(float, 0, 1), label=label, unit=unit, doc="Comment probability.")
    assert "Comment probability." in str(err.value)  # names the field by its doc


# ---------------------------------------------------------------------------------- plug-ins
def test_a_plug_in_rule_without_labels_is_refused_before_it_can_register():
    """Chosen behaviour (documented in model/schema.py ``Declared`` and notebooks/05): a
    plug-in rule's Settings without a label fail when the class is defined, with the field's
    name and how to declare it, so the rule never registers and the viewer never shows a
    label cut from a doc string."""
    before = FORWARDING.names()
    with pytest.raises(ValueError) as err:

        @dataclass(frozen=True)
        class GateSettings(RuleSettings):
            steepness: float = field(
                10.0, Interval(float, 0.0, 100.0), doc="Steepness of the gate: 0 lets all"
            )

    msg = str(err.value)
    assert msg.startswith("GateSettings.steepness has no label and no unit"), msg
    assert "label='a few words, at most 26 characters'" in msg and "model.schema.UNITS" in msg
    assert FORWARDING.names() == before


def test_a_labelled_plug_in_rule_shows_its_own_label_and_unit():
    """A plug-in that declares them gets them in Params.spec() and in the viewer's text."""

    @dataclass(frozen=True)
    class GateSettings(RuleSettings):
        max_forward: float = field(
            0.1,
            Interval(float, 0.0, 1.0),
            group="reactions",
            label="Peak forward probability",
            unit="per view",
            doc="Forward probability of a fully resonant view.",
        )

    class Gate:
        Settings = GateSettings

    FORWARDING.register("test_gate")(Gate)  # type: ignore[arg-type]
    try:
        meta = Params.spec()["forwarding.max_forward"]
        assert (meta["label"], meta["unit"]) == ("Peak forward probability", "per view")
        assert (
            label_of("forwarding.max_forward", meta) == "Peak forward probability (per\u00a0view)"
        )
    finally:
        FORWARDING.unregister("test_gate")
    assert "forwarding.max_forward" not in Params.spec()


# ---------------------------------------------------------------------------------- the viewer
def test_the_viewer_reads_labels_from_the_schema():
    """No separate dict: the control's text is the declared label with its unit, the unit
    left out when the label already says it."""
    import viewer.labels

    assert not [k for k, v in vars(viewer.labels).items() if isinstance(v, dict) and k[0] != "_"]
    spec = Params.spec()
    assert label_of("epsilon", spec["epsilon"]) == "Confidence bound ε (opinion\u00a0scale)"
    assert label_of("outlet_rate", spec["outlet_rate"]) == "Focal items per step"
    assert label_of("n_background", spec["n_background"]) == "Background outlets"
    assert label_of("opinion", spec["opinion"]) == "How opinions move"
    comment = label_of("comment_disagreement", spec["comment_disagreement"])
    assert comment == "Comments: disagreement"  # was "Comment probability is multiplied by"
    s = Strategy.spec()
    # a unit of several words is held together by no-break spaces, so it wraps whole
    assert label_of("reply_share", s["reply_share"]) == "Staff time on replies (share\u00a00-1)"
    edited = {**spec["epsilon"], "label": "Bound", "unit": "steps"}
    assert label_of("epsilon", edited) == "Bound (steps)"
