"""The one declaration vocabulary: constraints, fields, validation, ``--help`` and ``spec()``.

Every parameter of the model is declared once, with its default, its constraint, a group, a
doc string, the symbol of the paper it comes from (docs/ODD.md, Appendix A), and a short label
and a unit (:data:`UNITS`) for people. The same declaration validates a constructor call, a
preset's argument or a TOML sweep, builds the viewer's controls (their labels too) and prints
``--help``. A class declared with :func:`field` (``Params``, ``Strategy``, a rule's
``Settings``) derives from :class:`Declared`, which refuses a field without a label or unit
when the class is defined, naming it. The vocabulary follows scikit-learn's
``utils/_param_validation.py``: :class:`Interval` with ``closed=...`` and :class:`Options`.

A wrong value raises ``ValueError`` (or ``TypeError`` for a wrong type) whose message names the
field, the value and what is allowed, e.g. ``n_users=-5 is out of range; allowed [2, 10000000]``.
An unknown name raises ``TypeError`` with the closest valid names and a pointer to ``help()``. NaN and infinities are
refused, a bool is not a number, numpy scalars are accepted as their Python types.

This file is long because the four constraints, the field and schema types, the checks and
the two descriptions (``spec`` and ``help``) belong together as one vocabulary.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

_CLOSED = ("both", "left", "right", "neither")


def _num(x: float) -> str:
    """A bound as people write it: 0 for 0.0, 1e-05 stays, 1000000 for 1e6."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def show(value: Any) -> str:
    """``repr`` of a value, shortened when it is huge (``10**400`` has 401 digits)."""
    r = repr(value)
    return r if len(r) <= 40 else f"{r[:16]}...{r[-8:]} ({len(r)} characters)"


def is_array(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset | dict | np.ndarray)


def _kind_of(value: Any) -> str:
    return "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"


# ---------------------------------------------------------------------------------- constraints
@dataclass(frozen=True)
class Interval:
    """Numbers of ``type`` (int or float) between ``low`` and ``high``.

    Args:
        type: ``int`` (whole numbers; a whole float such as 10.0 is accepted) or ``float``.
        low: Lower bound, or None for no bound.
        high: Upper bound, or None for no bound.
        closed: Which bounds belong to the interval: ``"both"``, ``"left"``, ``"right"`` or
            ``"neither"``.
    """

    type: type
    low: float | None
    high: float | None
    closed: str = "both"

    def __post_init__(self) -> None:
        if self.type not in (int, float):
            raise TypeError(f"Interval type must be int or float, got {self.type!r}")
        if self.closed not in _CLOSED:
            raise ValueError(f"closed={self.closed!r} must be one of {', '.join(_CLOSED)}")
        for side in ("low", "high"):
            bound = getattr(self, side)
            if bound is not None:
                object.__setattr__(self, side, self.type(bound))
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Interval low={self.low} exceeds high={self.high}")

    def __str__(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else _num(self.low)
        hi = "inf" if self.high is None else _num(self.high)
        return f"{left}{lo}, {hi}{right}"

    def describe(self) -> str:
        """``a whole number in [2, 10000000]`` or ``a number in (0, 1]``."""
        return f"{'a whole number' if self.type is int else 'a number'} in {self}"

    def __contains__(self, value: float) -> bool:
        lo_ok = (
            self.low is None
            or value > self.low
            or (value == self.low and self.closed in ("both", "left"))
        )
        hi_ok = (
            self.high is None
            or value < self.high
            or (value == self.high and self.closed in ("both", "right"))
        )
        return lo_ok and hi_ok

    def check(self, label: str, value: Any) -> Any:
        """``value`` as ``type`` if it lies in the interval; raises otherwise."""
        if is_array(value):
            raise TypeError(
                f"{label} must be a single number in {self}, got {_kind_of(value)}: {show(value)}"
            )
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            raise TypeError(f"{label} must be a number in {self}, got {show(value)}")
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{label}={value!r} is not a finite number; allowed range {self}")
        if self.type is float:
            try:
                value = float(value)
            except OverflowError:
                raise ValueError(f"{label}={show(value)} is out of range; allowed {self}") from None
        elif isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"{label}={value!r} must be a whole number in {self}")
            value = int(value)
        if value not in self:
            raise ValueError(f"{label}={show(value)} is out of range; allowed {self}")
        return value


class Catalogue(Protocol):
    """Anything that lists names, e.g. a rule registry (:class:`model.rules.registry.Registry`)."""

    def names(self) -> tuple[str, ...]: ...


class Options:
    """One of a fixed set of values (strings or other hashable values), or one of the names a
    catalogue lists (:meth:`of`), read when a value is checked: a rule registered later is a
    valid choice at once and no list of names is written twice."""

    __slots__ = ("_choices", "_source")

    def __init__(self, *choices: Any) -> None:
        if not choices:
            raise ValueError("Options needs at least one choice")
        self._choices: tuple = tuple(choices)
        self._source: Catalogue | None = None

    @classmethod
    def of(cls, source: Catalogue) -> Options:
        """The names ``source.names()`` lists, whenever they are read."""
        o = cls.__new__(cls)
        o._choices, o._source = (), source
        return o

    @property
    def choices(self) -> tuple:
        """The allowed values."""
        return tuple(self._source.names()) if self._source is not None else self._choices

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Options) and self.choices == other.choices

    def __hash__(self) -> int:
        return hash(self.choices)

    def __repr__(self) -> str:
        return f"Options({', '.join(map(repr, self.choices))})"

    def __str__(self) -> str:
        return ", ".join(map(repr, self.choices))

    def describe(self) -> str:
        """``one of 'normal', 'uniform'``."""
        return f"one of {self}"

    def check(self, label: str, value: Any) -> Any:
        """The matching choice; raises when ``value`` is none of them."""
        if is_array(value):
            raise TypeError(
                f"{label} must be a single value, one of {self}, got {_kind_of(value)}: "
                f"{show(value)}"
            )
        value = value.item() if isinstance(value, np.generic) else value
        for c in self.choices:
            same_kind = isinstance(value, str) == isinstance(c, str) and (
                isinstance(value, bool) == isinstance(c, bool)
            )
            if same_kind and value == c:
                return c
        raise ValueError(f"{label}={show(value)} is not allowed; choose one of {self}")


@dataclass(frozen=True)
class Boolean:
    """True or false (numpy's ``bool_`` too; 0 and 1 are not booleans)."""

    def __str__(self) -> str:
        return "true or false"

    def describe(self) -> str:
        """``true or false``."""
        return "true or false"

    def check(self, label: str, value: Any) -> bool:
        """``value`` as a bool; raises for anything else."""
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{label} must be true or false, got {show(value)}")
        return bool(value)


@dataclass(frozen=True)
class Text:
    """Any string (a label)."""

    def __str__(self) -> str:
        return "a string"

    def describe(self) -> str:
        """``a string``."""
        return "a string"

    def check(self, label: str, value: Any) -> str:
        """``value`` as a str; raises for anything else."""
        if not isinstance(value, str):
            raise TypeError(f"{label} must be a string, got {show(value)}")
        return str(value)


Constraint = Interval | Options | Boolean | Text

#: The units a field may declare (``field(unit=...)``), each with what it means; the viewer
#: shows a field's unit after its label ("Recency time scale (steps)"). One step is one hour.
UNITS: dict[str, str] = {
    "": "a pure number: a weight, an exponent, a multiplier or a rate constant; or a choice, a "
    "switch or a name",
    "users": "a number of users",
    "accounts": "a number of accounts (users or outlets) followed",
    "items": "a number of items",
    "outlets": "a number of outlets",
    "members": "a number of community members",
    "topics": "a number of topics",
    "ties": "a number of network ties",
    "views": "a number of views",
    "user id": "a user's index, 0 to n_users - 1 (-1: none)",
    "file": "a path to a file ('' for none)",
    "steps": "a duration in steps (one step is one hour)",
    "days": "a duration in days (24 steps)",
    "staff-hours": "staff time, in hours of one person's work",
    "share 0-1": "a share of a whole, from 0 (none) to 1 (all)",
    "probability": "the probability of the event the label names, from 0 to 1",
    "per step": "a probability, a rate or a mean number per step",
    "per day": "a share or a rate per day (24 steps)",
    "per session": "a probability per session (a user's visit in a step)",
    "per view": "a probability or an amount per view of an item",
    "per item": "a number per item",
    "odds ratio": "a multiplier on the odds of an event (1: no effect)",
    "opinion scale": "a position or a distance on the opinion scale, -1 to 1",
    "scale 0-1": "a level on a 0-1 scale: trust, belonging, quality, intensity, arousal, outrage",
    "scale -1 to 1": "a level on a -1 to 1 scale: valence",
    "pseudo-observations": "trust evidence, counted in observations of the Beta trust model",
}

#: The longest label: about what fits on one line of the viewer's slider column (a label
#: there is 176 px wide in 14 px Roboto, about 27 average characters; the browser test
#: tests/test_app_browser_defects.py measures each label on the page).
LABEL_MAX = 26

#: Words a label may not end with: a label ending in one reads as cut mid-phrase ("Comment
#: probability is multiplied by").
DANGLING = frozenset(
    "a an the of to in on at by for with from as into onto per and or than is are be".split()  # noqa: SIM905
)

#: Where a field's default comes from (docs/ODD.md, Calibration notes, "Basis of every
#: parameter"): a published figure, a fit to published figures, or a value chosen.
BASES = ("data", "calibrated", "assumption")


# ---------------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class Field:
    """One declared parameter.

    Attributes:
        default: The default value (itself checked against the constraint).
        constraint: What is allowed.
        doc: One sentence; says where the value comes from (paper or *assumption*).
        group: The viewer's control group.
        symbol: The paper's symbol, e.g. ``"ε"``; empty when the paper has none.
        unit: The unit, one of :data:`UNITS` (``"steps"``; ``""`` for a pure number); None
            when not declared, which :class:`Declared` refuses.
        coerce: Optional converter used instead of the constraint's check (it must raise
            ValueError or TypeError naming the field); the constraint still documents the field.
        value_kind: The type a coerced field's values are written as (``str`` for a rule's
            name); None: ``object``.
        rules: For a rule's parameter, the rules that declare it.
        alias_of: For an old name still accepted, the name it stands for (not listed by
            :func:`spec` and :func:`help`).
        basis: Where the default comes from, one of :data:`BASES`: ``"data"`` (a published
            figure), ``"calibrated"`` (fitted to published figures) or ``"assumption"`` (a
            value chosen, to be swept). The default is ``"assumption"``: a value nobody
            classified was neither measured nor fitted, so calling it an assumption is honest,
            and a field becomes data or calibrated only by saying so with its source.
        basis_note: For data, the source (``"Coe, Kenski & Rains 2014"``); for calibrated, the
            targets and the posterior 90% interval (:func:`posterior`); for an assumption,
            optional.
        sweep: The range ``(low, high)`` to vary the value over: an assumption's sweep where
            its doc or docs/ODD.md states one, the range the docs give around a data value, a
            calibrated value's posterior 90% interval; None when no range is stated.
        label: A few words for people, at most :data:`LABEL_MAX` characters, not ending in an
            article or a preposition (``"Recency time scale"``; the unit is shown after it);
            empty when not declared, which :class:`Declared` refuses.
        name: Filled in by :class:`Schema`.
    """

    default: Any
    constraint: Constraint
    doc: str
    group: str = ""
    symbol: str = ""
    unit: str | None = ""
    coerce: Callable[[Any], Any] | None = None
    value_kind: type | None = None
    rules: tuple[str, ...] = ()
    alias_of: str = ""
    basis: str = "assumption"
    basis_note: str = ""
    sweep: tuple[float, float] | None = None
    label: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        # at field() the name is not known yet: the doc says which field is meant
        who = self.name or f"the field documented as {self.doc[:60]!r}"
        if self.basis not in BASES:
            raise ValueError(
                f"{who}: basis={show(self.basis)} is not allowed; choose one of "
                f"{', '.join(map(repr, BASES))}"
            )
        if self.basis in ("data", "calibrated") and not self.basis_note:
            what = "its source" if self.basis == "data" else "its targets and posterior interval"
            raise ValueError(f"{who}: basis={self.basis!r} needs a basis_note giving {what}")
        if self.sweep is not None:
            lo_hi = tuple(self.sweep)
            if (
                len(lo_hi) != 2
                or not all(isinstance(x, int | float) and math.isfinite(x) for x in lo_hi)
                or lo_hi[0] > lo_hi[1]
            ):
                raise ValueError(
                    f"{who}: sweep={show(self.sweep)} must be two finite numbers (low, high) "
                    "with low <= high"
                )
            object.__setattr__(self, "sweep", (float(lo_hi[0]), float(lo_hi[1])))
        if self.basis == "calibrated" and self.sweep is None:
            raise ValueError(f"{who}: basis='calibrated' needs sweep=(q05, q95), its posterior")
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(
                f"{who}: unit={show(self.unit)} is not in the vocabulary; use one of "
                f"{', '.join(map(repr, UNITS))} (model.schema.UNITS says what each means)"
            )
        check_label(who, self.label)

    @property
    def kind(self) -> type:
        """The Python type of a value: int, float, bool, str, or object for a coerced field."""
        if self.coerce is not None:
            return self.value_kind or object
        if isinstance(self.constraint, Interval):
            return self.constraint.type
        if isinstance(self.constraint, Boolean):
            return bool
        if isinstance(self.constraint, Text):
            return str
        return type(self.default)

    def check(self, label: str, value: Any) -> Any:
        """The value coerced to the field's type; raises ValueError/TypeError naming ``label``."""
        if self.coerce is not None:
            return self.coerce(value)
        return self.constraint.check(label, value)


def field(
    default: Any,
    constraint: Constraint | None = None,
    *,
    doc: str,
    group: str = "",
    symbol: str = "",
    label: str = "",
    unit: str | None = None,
    coerce: Callable[[Any], Any] | None = None,
    value_kind: type | None = None,
    basis: str = "assumption",
    basis_note: str = "",
    sweep: tuple[float, float] | None = None,
) -> Any:
    """A dataclass field carrying a :class:`Field` (``constraint`` defaults from the default:
    :class:`Boolean` for a bool, :class:`Text` for a str).

    ``label`` and ``unit`` are what people read (the viewer's control shows "label (unit)"):
    a class deriving from :class:`Declared` refuses a field that declares either not at all.
    ``basis``, ``basis_note`` and ``sweep`` say where the default comes from
    (:class:`Field`); a ``basis`` other than ``"data"``, ``"calibrated"`` or ``"assumption"``
    raises ``ValueError``, as does a unit outside :data:`UNITS` or a label longer than
    :data:`LABEL_MAX` or ending in an article or a preposition.
    """
    if constraint is None:
        if isinstance(default, bool):
            constraint = Boolean()
        elif isinstance(default, str):
            constraint = Text()
        else:
            raise TypeError(f"field(default={default!r}) needs a constraint")
    f = Field(
        default,
        constraint,
        doc,
        group,
        symbol,
        unit,
        coerce,
        value_kind,
        basis=basis,
        basis_note=basis_note,
        sweep=sweep,
        label=label,
    )
    return dataclasses.field(default=default, metadata={"schema": f})


def check_label(who: str, label: str) -> None:
    """Refuse a label that does not fit the viewer's slider column on one line
    (:data:`LABEL_MAX`), has stray spaces or ends in an article or a preposition
    (:data:`DANGLING`: it would read as cut mid-phrase); ``""`` (not declared) passes here.

    Raises:
        ValueError: Naming ``who`` (the field), the label and what is allowed.
    """
    if not isinstance(label, str):
        raise TypeError(f"{who}: label must be a string, got {show(label)}")
    if not label:
        return
    if len(label) > LABEL_MAX:
        raise ValueError(
            f"{who}: label {label!r} has {len(label)} characters; at most {LABEL_MAX} fit the "
            "viewer's slider column (the doc string says the rest)"
        )
    if label != label.strip() or "  " in label:
        raise ValueError(f"{who}: label {label!r} has stray spaces")
    last = label.split()[-1].lower()
    if last in DANGLING:
        raise ValueError(
            f"{who}: label {label!r} ends in {last!r} and reads as cut mid-phrase; end it "
            "with the noun or the symbol"
        )


class Declared:
    """Base of a class whose fields are declared with :func:`field` (``Params``, ``Strategy``,
    :class:`model.rules.base.RuleSettings`): defining a subclass refuses a field without a
    label or without a unit, naming the field, so that every control of the viewer has
    words and a unit written for it (a plug-in rule's parameters included).

    Raises:
        ValueError: At class definition, ``Owner.name has no label`` (or no unit), with how to
            declare it.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # the dataclass decorator has not run yet: declared fields are still dataclass Fields
        for name, value in vars(cls).items():
            if not isinstance(value, dataclasses.Field) or "schema" not in value.metadata:
                continue
            f: Field = value.metadata["schema"]
            who = f"{cls.__name__}.{name}"
            # unit "" is a declared pure number; None is no declaration
            missing = [k for k, v in (("label", f.label or None), ("unit", f.unit)) if v is None]
            if missing:
                raise ValueError(
                    f"{who} has no {' and no '.join(missing)}: declare field(..., label='a few "
                    f"words, at most {LABEL_MAX} characters', unit=one of model.schema.UNITS, "
                    f"'' for a pure number) (its doc: {f.doc[:60]!r})"
                )


def posterior(q05: float, median: float, q95: float, *, targets: str) -> dict[str, Any]:
    """The basis keywords of a field whose default comes from the calibration (the ABC-SMC fit
    of experiments/specs/calibration.toml, generation 3; docs/ODD.md, Calibration notes):
    ``basis="calibrated"``, the note and ``sweep=(q05, q95)``.

    Args:
        q05: The posterior's weighted 5% quantile.
        median: Its weighted median (the default is one particle, not the median).
        q95: Its weighted 95% quantile.
        targets: The target(s) the parameter's mechanism moves most directly, and any caveat;
            the fit itself is joint.

    Returns:
        ``field()`` keywords: ``field(0.003, ..., **posterior(0.0013, 0.0017, 0.0055,
        targets="weekly_commenters"))``.
    """
    note = (
        f"fitted jointly to the seven targets of experiments/specs/calibration.toml (one "
        f"distance; the default is one particle of generation 3, not the median); its "
        f"mechanism's direct target: {targets}; posterior median {median:.3g}, 90% interval "
        f"{q05:.3g}-{q95:.3g}"
    )
    return {"basis": "calibrated", "basis_note": note, "sweep": (q05, q95)}


@dataclass(frozen=True)
class Schema:
    """The declared fields of one owner.

    Attributes:
        owner: The owner's name in messages about unknown names (``Params``, ``Strategy``).
        fields: Name -> :class:`Field`, in declaration order.
        prefix: Put before a field's name in value messages (``"Strategy."``; ``""`` for Params,
            whose field names are the names people type).
        renamed: Old name -> what to use instead, for names that no longer exist.
    """

    owner: str
    fields: Mapping[str, Field]
    prefix: str = ""
    renamed: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        named = {n: dataclasses.replace(f, name=n) for n, f in self.fields.items()}
        object.__setattr__(self, "fields", named)
        for n, f in named.items():
            f.check(self.prefix + n, f.default)


_SCHEMAS: dict[type, Schema] = {}


def forget_schemas() -> None:
    """Drop every kept :class:`Schema`, so the next :func:`schema_of` rebuilds it: a rule
    registered after a schema was built adds addresses to ``Params.schema_extra``."""
    _SCHEMAS.clear()


def schema_of(owner: type | Schema) -> Schema:
    """The :class:`Schema` of a class declared with :func:`field` (built once and kept).

    The class may set ``schema_prefix`` and ``schema_renamed`` (ClassVars) for messages, and a
    classmethod ``schema_extra()`` giving more addressable names than its dataclass fields
    (``Params``: every rule's parameters as ``opinion.contacts``, and old names kept as
    aliases).
    """
    if isinstance(owner, Schema):
        return owner
    if owner not in _SCHEMAS:
        fields = {
            f.name: f.metadata["schema"]
            for f in dataclasses.fields(owner)
            if "schema" in f.metadata
        }
        extra = getattr(owner, "schema_extra", None)
        if extra is not None:
            more = extra()
            # an address "<field>.<name>" follows its field, so help() reads rule by rule
            ordered: dict[str, Field] = {}
            for name, f in fields.items():
                ordered[name] = f
                ordered.update({k: v for k, v in more.items() if k.startswith(name + ".")})
            fields = {**ordered, **more}
        _SCHEMAS[owner] = Schema(
            owner.__name__,
            fields,
            prefix=getattr(owner, "schema_prefix", ""),
            renamed=getattr(owner, "schema_renamed", {}),
        )
    return _SCHEMAS[owner]


# ---------------------------------------------------------------------------------- checks
def did_you_mean(name: Any, valid: Iterable[str], *, n: int = 3, cutoff: float = 0.5) -> str:
    """``"; did you mean 'x' or 'y'?"`` with the closest valid names, or ``""``."""
    close = difflib.get_close_matches(str(name), list(valid), n=n, cutoff=cutoff)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def unknown_name_message(name: str, valid: Iterable[str], what: str) -> str:
    """``unknown parameter X for Y; did you mean Z? (every name: Y.help())``.

    The closest names only: the full list (over a hundred names) is what ``help()`` prints.
    """
    return (
        f"unknown parameter {name!r} for {what}{did_you_mean(name, list(valid))} "
        f"(every name: {what}.help())"
    )


def check_names(owner: type | Schema, names: Iterable[str]) -> None:
    """Raise ``TypeError`` for the first name ``owner`` does not declare, with suggestions."""
    s = schema_of(owner)
    for name in names:
        if name in s.fields:
            continue
        if name in s.renamed:
            raise TypeError(f"{s.owner} has no parameter {name!r} any more: {s.renamed[name]}")
        raise TypeError(unknown_name_message(name, s.fields, s.owner))


def validate(owner: type | Schema, name: str, value: Any, *, label: str | None = None) -> Any:
    """Check one value of ``owner``'s field ``name`` and return it coerced to the field's type.

    Args:
        owner: A class declared with :func:`field`, or a :class:`Schema`.
        name: The field.
        value: The value to check.
        label: How the field is named in the message (default: prefix + name), e.g. the key of
            a spec file or a preset's argument.

    Raises:
        TypeError: Unknown name (with the closest names) or a value of the wrong type.
        ValueError: A value outside what is allowed (named, with what is allowed).
    """
    check_names(owner, [name])
    s = schema_of(owner)
    return s.fields[name].check(label or s.prefix + name, value)


def validate_fields(obj: Any) -> None:
    """Validate every declared field of a frozen dataclass instance, storing coerced values."""
    s = schema_of(type(obj))
    for d in dataclasses.fields(obj):
        if d.name in s.fields:
            f = s.fields[d.name]
            object.__setattr__(obj, d.name, f.check(s.prefix + d.name, getattr(obj, d.name)))


# ---------------------------------------------------------------------------------- description
def describe(owner: type | Schema, name: str) -> str:
    """What ``name`` accepts, as text (``a number in [0, 1]``)."""
    check_names(owner, [name])
    return schema_of(owner).fields[name].constraint.describe()


def spec(owner: type | Schema) -> dict[str, dict[str, Any]]:
    """Machine-readable metadata per field, in declaration order.

    Keys: ``default``; ``lo``, ``hi`` and ``closed`` (None unless an :class:`Interval`);
    ``choices`` (a tuple for :class:`Options`, else None); ``kind`` (int, float, bool, str or
    object); ``doc``, ``group``, ``symbol``, ``label``, ``unit`` (``""`` for a pure number);
    ``allowed`` (the text of messages);
    ``rules`` (for a rule's parameter, the rules that use it; else empty); ``basis``,
    ``basis_note`` and ``sweep`` (where the default comes from, :class:`Field`). Aliases (old
    names still accepted) are left out.
    """
    out = {}
    for name, f in schema_of(owner).fields.items():
        if f.alias_of:
            continue
        c = f.constraint
        out[name] = {
            "default": f.default,
            "lo": c.low if isinstance(c, Interval) else None,
            "hi": c.high if isinstance(c, Interval) else None,
            "closed": c.closed if isinstance(c, Interval) else None,
            "choices": c.choices if isinstance(c, Options) else None,
            "kind": f.kind,
            "doc": f.doc,
            "group": f.group,
            "symbol": f.symbol,
            "label": f.label,
            "unit": f.unit or "",
            "allowed": c.describe(),
            "rules": f.rules,
            "basis": f.basis,
            "basis_note": f.basis_note,
            "sweep": f.sweep,
        }
    return out


def help(owner: type | Schema) -> str:  # noqa: A001 - the name ``--help`` users expect
    """A plain-text table, one line per field: name, symbol, default, allowed, doc (unit)."""
    fields = {n: f for n, f in schema_of(owner).fields.items() if not f.alias_of}
    width = max(22, *map(len, fields))
    lines = []
    for name, f in fields.items():
        c = f.constraint
        allowed = str(c) if isinstance(c, Interval) else c.describe()
        unit = f" [{f.unit}]" if f.unit else ""
        lines.append(
            f"{name:{width}s} {f.symbol:3s} {f.default!s:>10s}  {allowed:28s} {f.doc}{unit}"
        )
    return "\n".join(lines)
