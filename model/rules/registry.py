"""A tiny registry: the alternative rules of one phase, each under the name a Params choice uses.

Adding a rule is one class, one ``@REGISTRY.register("name")`` line and its tests (the contract
tests in ``tests/rules/`` run every registered rule). A rule declares its parameters in its own
``Settings`` record (:class:`model.rules.base.RuleSettings`); ``Params`` addresses them as
``<registry>.<parameter>`` (``opinion.contacts``) and lists the registered names as the choices.
A rule names in ``uses`` the Params fields it reads that not every rule reads (``peer_choice``
is read only by ``opinion="bounded_confidence"``); :func:`fields_in_use` says which of them
have an effect under a selection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from model import schema
from model.rules.base import Chosen, RuleSettings
from model.schema import Field

#: Incremented by every registration, so that caches over the registries' parameters
#: (model/params.py) see a rule registered after their first use, such as a plug-in rule.
generation = 0


def _changed() -> None:
    """A rule came or went: the caches over the registries' parameters must be rebuilt."""
    global generation
    generation += 1
    schema.forget_schemas()


class Registry[T]:
    """Rules registered by name under one Params choice.

    Args:
        choice: The Params field whose value names the rule (e.g. ``"forwarding"``); also the
            prefix of the rules' parameters (``forwarding.threshold_phi``).
    """

    def __init__(self, choice: str) -> None:
        self.choice = choice
        self._rules: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: register the class under ``name``.

        A rule's parameters are its own ``Settings`` (declared in its class body), never a
        parent rule's: a rule that declares none has none.
        """

        def add(cls: type[T]) -> type[T]:
            if name in self._rules:
                raise ValueError(f"{self.choice}: a rule named {name!r} is already registered")
            own = cls.__dict__.get("Settings", RuleSettings)
            self._check_settings(name, own)
            if self.choice in getattr(cls, "uses", ()):
                raise ValueError(
                    f"{self.choice} rule {name!r} names its own registry in uses; "
                    f"uses lists other Params fields the rule reads"
                )
            if own is not RuleSettings:
                own.schema_prefix = f"{self.choice}."
            self._rules[name] = cls
            _changed()
            cls.name = name  # type: ignore[attr-defined]
            cls.Settings = own  # type: ignore[attr-defined]
            return cls

        return add

    def unregister(self, name: str) -> None:
        """Remove the rule ``name`` (a plug-in's or a test's), with its parameter addresses.

        Raises:
            KeyError: No rule of that name is registered.
        """
        if name not in self._rules:
            raise KeyError(
                f"{self.choice}: no rule named {name!r} (registered: {sorted(self._rules)})"
            )
        del self._rules[name]
        _changed()

    def _check_settings(self, name: str, own: type[RuleSettings]) -> None:
        """Refuse a parameter named like an attribute of the rule's name (``params.opinion`` is
        a string: ``params.opinion.count`` would read ``str.count``), and a parameter another
        rule of this registry declares differently (one address, one declaration)."""
        for f in dataclasses.fields(own):
            if f.name in dir(Chosen) or f.name == "settings":
                raise ValueError(
                    f"{self.choice} rule {name!r}: parameter {f.name!r} is named like an "
                    f"attribute of the rule's name (str.{f.name}), which "
                    f"params.{self.choice}.{f.name} would read instead; rename the parameter"
                )
            for other, cls in self._rules.items():
                theirs = {g.name: g for g in dataclasses.fields(cls.Settings)}  # type: ignore[attr-defined]
                g = theirs.get(f.name)
                if g is not None and (g.type, g.metadata["schema"]) != (
                    f.type,
                    f.metadata["schema"],
                ):
                    raise ValueError(
                        f"{self.choice} rule {name!r} declares parameter {f.name!r} unlike rule "
                        f"{other!r}; rules sharing a parameter share its declaration (extend "
                        f"{other!r}'s Settings)"
                    )

    def rule_class(self, name: str) -> type[T]:
        """The class registered under ``name``.

        Raises:
            ValueError: No rule has that name; the message lists the registered names.
        """
        try:
            return self._rules[name]
        except KeyError:
            known = ", ".join(repr(k) for k in self._rules)
            raise ValueError(
                f"unknown {self.choice} rule {name!r}; registered rules: {known}"
            ) from None

    def get(self, name: str, settings: RuleSettings | None = None) -> T:
        """A new instance of the rule registered under ``name``, with ``settings`` (default:
        the rule's defaults).

        Raises:
            ValueError: No rule has that name; the message lists the registered names.
        """
        cls = self.rule_class(name)
        own: type[RuleSettings] = cls.Settings  # type: ignore[attr-defined]
        if settings is None:
            settings = own()
        elif type(settings) is not own:
            raise TypeError(
                f"{self.choice} rule {name!r} takes {own.__name__}, got {type(settings).__name__}"
            )
        rule = cls()
        rule.settings = settings  # type: ignore[attr-defined]
        return rule

    def chosen(self, value: Any) -> Chosen:
        """``value`` as a :class:`Chosen`: a rule name (default parameters), a ``Chosen``, or a
        dict ``{"name": ..., <parameter>: ...}``.

        Raises:
            ValueError: An unknown rule name (with the registered names) or a refused parameter.
            TypeError: Anything else.
        """
        if isinstance(value, Chosen):
            self.rule_class(str(value))
            return value
        if isinstance(value, Mapping):
            rest = dict(value)
            name = rest.pop("name", None)
            if name is None:
                raise ValueError(f"{self.choice} as a table needs a name (one of {self._names()})")
            cls = self.rule_class(self._check(name))
            return Chosen(name, cls.Settings(**rest))  # type: ignore[attr-defined]
        if schema.is_array(value):
            raise TypeError(
                f"{self.choice} must be a single value, one of the rules {self._names()}, got "
                f"{schema.show(value)}"
            )
        cls = self.rule_class(self._check(value))
        return Chosen(value, cls.Settings())  # type: ignore[attr-defined]

    def _names(self) -> str:
        return ", ".join(repr(k) for k in self._rules)

    def _check(self, name: Any) -> str:
        if not isinstance(name, str) or name not in self._rules:
            hint = schema.did_you_mean(name, self._rules, n=1, cutoff=0.4)
            raise ValueError(
                f"{self.choice}={name!r} is not allowed; choose one of {self._names()}{hint}"
            )
        return name

    def parameters(self) -> dict[str, tuple[Field, tuple[str, ...]]]:
        """Every rule's parameters: ``"<choice>.<name>"`` -> (its declaration, the rules that
        declare it), in registration order (rules sharing a parameter declare it alike:
        :meth:`register` refuses otherwise)."""
        out: dict[str, tuple[Field, tuple[str, ...]]] = {}
        for rule_name, cls in self._rules.items():
            own: type[RuleSettings] = cls.Settings  # type: ignore[attr-defined]
            for f in dataclasses.fields(own):
                key = f"{self.choice}.{f.name}"
                decl, users = out.get(key, (f.metadata["schema"], ()))
                out[key] = (decl, (*users, rule_name))
        return out

    def names(self) -> tuple[str, ...]:
        """The registered names, in registration order."""
        return tuple(self._rules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __contains__(self, name: object) -> bool:
        return name in self._rules

    def __repr__(self) -> str:
        return f"Registry({self.choice!r}: {', '.join(self._rules)})"


#: One registry per rule field of Params, under that field's name (docs/ODD.md 7). The rule
#: modules register into them; Params reads their names and parameters.
FORWARDING: Registry = Registry("forwarding")
PEER_MIXING: Registry = Registry("peer_mixing")
INITIAL_OPINION: Registry = Registry("initial_opinion")
FEED_CHOICE: Registry = Registry("feed_choice")
ATTENTION: Registry = Registry("attention")
OPINION: Registry = Registry("opinion")
PEER_CHOICE: Registry = Registry("peer_choice")
EMOTION: Registry = Registry("emotion")
FOLLOWING: Registry = Registry("following")
FEED_RANKING: Registry = Registry("feed_ranking")
USER_FOLLOW: Registry = Registry("user_follow")

#: Every registry, by the Params field that chooses its rule.
REGISTRIES: dict[str, Registry] = {
    r.choice: r
    for r in (
        FORWARDING,
        PEER_MIXING,
        INITIAL_OPINION,
        FEED_CHOICE,
        ATTENTION,
        OPINION,
        PEER_CHOICE,
        EMOTION,
        FOLLOWING,
        FEED_RANKING,
        USER_FOLLOW,
    )
}


def readers() -> dict[str, tuple[tuple[str, str], ...]]:
    """The fields that only some rules read: Params field -> the (registry, rule) pairs that
    name it in their ``uses`` (:class:`model.world.Rule`), in registration order."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for key, reg in REGISTRIES.items():
        for rule_name in reg.names():
            for name in sorted(reg.rule_class(rule_name).uses):
                out[name] = (*out.get(name, ()), (key, rule_name))
    return out


def fields_in_use(chosen: Mapping[str, Any]) -> frozenset[str]:
    """The fields of :func:`readers` that a chosen rule reads under ``chosen`` (registry key ->
    rule name, for every registry).

    A registry is live when it is no such field, or when a live registry's chosen rule names it
    (``peer_choice`` only under ``opinion="bounded_confidence"``); the fields in use are those
    the live registries' chosen rules name.
    """
    conditional = readers()
    live = [key for key in REGISTRIES if key not in conditional]
    used: set[str] = set()
    while live:
        key = live.pop()
        for name in REGISTRIES[key].rule_class(str(chosen[key])).uses:
            if name not in used:
                used.add(name)
                if name in REGISTRIES:
                    live.append(name)
    return frozenset(used)


def in_use(name: str, chosen: Mapping[str, Any]) -> bool:
    """Whether Params field ``name`` (or a rule parameter ``"<registry>.<parameter>"``, by its
    registry) has an effect under ``chosen`` (registry key -> rule name): always, unless only
    some rules read it (:func:`readers`) and none of them is chosen and live."""
    name = name.split(".", 1)[0]
    return name not in readers() or name in fields_in_use(chosen)
