"""A tiny registry: the alternative rules of one phase, each under the name a Params choice uses.

Adding a rule is one class, one ``@REGISTRY.register("name")`` line and its tests (the contract
tests in ``tests/rules/`` run every registered rule).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator


class Registry[T]:
    """Rules registered by name under one Params choice.

    Args:
        choice: The Params field whose value names the rule (e.g. ``"forward_model"``).
    """

    def __init__(self, choice: str) -> None:
        self.choice = choice
        self._rules: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: register the class under ``name``."""

        def add(cls: type[T]) -> type[T]:
            if name in self._rules:
                raise ValueError(f"{self.choice}: a rule named {name!r} is already registered")
            self._rules[name] = cls
            cls.name = name
            return cls

        return add

    def get(self, name: str) -> T:
        """A new instance of the rule registered under ``name``.

        Raises:
            ValueError: No rule has that name; the message lists the registered names.
        """
        try:
            return self._rules[name]()
        except KeyError:
            known = ", ".join(repr(k) for k in self._rules)
            raise ValueError(
                f"unknown {self.choice} rule {name!r}; registered rules: {known}"
            ) from None

    def names(self) -> tuple[str, ...]:
        """The registered names, in registration order."""
        return tuple(self._rules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __contains__(self, name: object) -> bool:
        return name in self._rules

    def __repr__(self) -> str:
        return f"Registry({self.choice!r}: {', '.join(self._rules)})"
