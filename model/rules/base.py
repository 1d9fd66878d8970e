"""A rule's parameters: the record each rule declares, and the value a rule field of Params holds.

:class:`RuleSettings` is declared like ``Strategy``'s switches (:func:`model.schema.field`);
:class:`Chosen` is a rule's name with those parameters (``params.opinion.contacts``). The hooks
a phase calls are in :mod:`model.world`, next to the world they are handed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from model import schema


@dataclass(frozen=True)
class RuleSettings(schema.Declared):
    """The parameters of one rule, declared with :func:`model.schema.field` like ``Strategy``'s
    switches; a rule without parameters keeps this empty record.

    Each rule declares its own subclass (``Settings``); the registry sets ``schema_prefix`` to
    ``"<registry>."`` so that a wrong value is named as people address it
    (``opinion.contacts=0 is out of range; allowed [1, 1000]``).
    """

    schema_prefix: ClassVar[str] = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> RuleSettings:
        schema.check_names(cls, kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        schema.validate_fields(self)

    def values(self) -> dict[str, Any]:
        """Parameter name -> value."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


class Chosen(str):
    """A rule's name together with its parameters: what a rule field of ``Params`` holds.

    It is the name (``params.opinion == "activity_driven"``, a string in tables, addresses
    and spec files) and reads the chosen rule's parameters as attributes
    (``params.opinion.contacts``), as ``params.strategy.reply_share`` reads a switch. Two
    values are equal when the names and the parameters are; a plain string equals the name.

    Args:
        name: The rule's registry name.
        settings: Its parameters.
    """

    settings: RuleSettings

    def __new__(cls, name: str, settings: RuleSettings) -> Chosen:
        obj = super().__new__(cls, name)
        object.__setattr__(obj, "settings", settings)
        return obj

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "settings":
            raise AttributeError(attr)
        try:
            return getattr(self.settings, attr)
        except AttributeError:
            names = [f.name for f in dataclasses.fields(self.settings)]
            raise AttributeError(
                f"rule {str(self)!r} has no parameter {attr!r}"
                f"{schema.did_you_mean(attr, names)} (its parameters: {', '.join(names) or 'none'})"
            ) from None

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"{str(self)!r} is read-only; use Params.replace")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Chosen):
            return str(self) == str(other) and self.settings == other.settings
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return str.__hash__(self)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.values().items())
        return f"Chosen({str(self)!r}{', ' + args if args else ''})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Chosen, (str(self), self.settings))

    def with_settings(self, **changes: Any) -> Chosen:
        """The same rule with some parameters changed (validated). (Not ``replace``: a Chosen is
        a string, whose ``replace`` keeps its meaning.)"""
        return Chosen(str(self), dataclasses.replace(self.settings, **changes))
