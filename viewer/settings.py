"""The page's settings: the page address, the typed seed, and validation of pending settings.

:func:`settings_from_query` reads a scenario from the page address (``?n_users=...&seed=...``),
:func:`validate` turns the page's control values into the keyword arguments of
:func:`viewer.arms.build_model` (raising the model's own message for a refused value), and
:func:`first_model` builds the page's first model. The checks are the model's own
(:class:`model.Params`, :func:`model.engine.resolve_seed`); nothing is re-implemented here.
"""

from __future__ import annotations

import importlib
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import mesa

from model import STRATEGY_PRESETS, OpinionEcology, Params, Strategy
from model.engine import resolve_seed
from model.params import unknown_name_message
from viewer.arms import DEFAULT_COMPARISON, build_model

#: The seed a fresh page starts with.
DEFAULT_SEED = 1
#: Label of the preset selector's entry that stands for the Params defaults.
DEFAULTS_PRESET = "(defaults)"


def preset_registry() -> dict[str, Callable[[], Params]]:
    """The scenario presets of ``model.presets`` (name -> function returning Params), if present."""
    try:
        presets = importlib.import_module("model.presets")
    except ImportError:
        return {}
    return dict(getattr(presets, "PRESETS", {}))


def values_of(params: Params) -> dict[str, Any]:
    """Control values of ``params``; a strategy that is no preset stays a Strategy object."""
    values = params.to_dict()
    if values["strategy"] not in STRATEGY_PRESETS:
        values["strategy"] = params.strategy
    return values


def parse_seed(text: Any) -> int:
    """The seed typed into the page, as the model checks it.

    Raises:
        TypeError: Not an integer (the model's own message).
        ValueError: A negative integer.
    """
    if isinstance(text, str):
        stripped = text.strip()
        try:
            text = int(stripped)
        except ValueError:
            text = stripped
    return resolve_seed(text, None)


def validate(
    values: Mapping[str, Any], seed_text: Any, strategies: tuple[Any, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for :func:`build_model` from the page's settings.

    Args:
        values: Control values per Params field.
        seed_text: The seed as typed (str) or an int.
        strategies: The two strategies of comparison mode, or None for one model.

    Raises:
        TypeError, ValueError: What Params or the seed refuses, with the model's message.
    """
    kwargs: dict[str, Any] = {"params": Params(**values), "seed": parse_seed(seed_text)}
    if strategies is not None:
        for s in strategies:
            if not isinstance(s, Strategy):
                Strategy.preset(s)
        kwargs["strategies"] = tuple(strategies)
    return kwargs


#: Address keys that are not Params fields (see :func:`settings_from_query`).
QUERY_KEYS = ("seed", "preset", "compare")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _query_value(name: str, text: str, meta: Mapping[str, Any]) -> Any:
    """One Params value typed in the page address, converted to the field's type."""
    kind = meta["kind"]
    if meta["choices"] is None and kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise ValueError(
                f"{name}={text!r} in the page address is not {noun}; allowed "
                f"[{meta['lo']}, {meta['hi']}]"
            ) from None
    if kind is bool:
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(
            f"{name}={text!r} in the page address is not allowed; use one of {', '.join(_TRUE)} "
            f"or {', '.join(_FALSE)}"
        )
    return text


def settings_from_query(search: str | None) -> tuple[dict[str, Any], str]:
    """Keyword arguments for :func:`build_model`, and the preset, from the page address.

    ``?n_users=10000&strategy=interactive&seed=3`` opens the viewer on that model, so a
    scenario can be bookmarked or shared. Keys are Params fields, ``seed``, ``preset`` (a name
    from :mod:`model.presets`, applied before the fields) and ``compare`` (``1`` for the default
    pair of strategies, or two names such as ``compare=one_way,interactive``).

    Raises:
        ValueError, TypeError: An unknown key or a refused value, with what is allowed.
    """
    spec = Params.spec()
    presets = preset_registry()
    preset, seed, strategies = DEFAULTS_PRESET, DEFAULT_SEED, None
    fields: dict[str, Any] = {}
    pairs = urllib.parse.parse_qsl(search or "", keep_blank_values=True)
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} appears more than once in the page address")
    for key, text in pairs:
        if key == "seed":
            try:
                seed = parse_seed(text)
            except (TypeError, ValueError) as e:
                raise ValueError(f"seed={text!r} in the page address: {e}") from None
        elif key == "preset":
            if text != DEFAULTS_PRESET and text not in presets:
                raise ValueError(
                    f"preset={text!r} in the page address is not allowed; choose one of "
                    f"{', '.join(presets)}"
                )
            preset = text
        elif key == "compare":
            if text.lower() in _FALSE:
                strategies = None
            elif text.lower() in _TRUE:
                strategies = DEFAULT_COMPARISON
            else:
                names = tuple(text.split(","))
                if len(names) != 2:
                    raise ValueError(
                        f"compare={text!r} in the page address is not allowed; use 1, 0 or two "
                        f"strategies such as {','.join(DEFAULT_COMPARISON)}"
                    )
                for name in names:
                    try:
                        Strategy.preset(name)
                    except (TypeError, ValueError) as e:
                        raise ValueError(f"compare={text!r} in the page address: {e}") from None
                strategies = names
        elif key in spec:
            fields[key] = _query_value(key, text, spec[key])
        else:
            raise ValueError(unknown_name_message(key, [*QUERY_KEYS, *spec], "the page address"))
    if strategies is not None and "strategy" in fields:
        raise ValueError(
            "the page address gives both strategy= and compare=; compare= names the two "
            "strategies to compare (e.g. compare=one_way,interactive), so leave out strategy="
        )
    base = Params() if preset == DEFAULTS_PRESET else presets[preset]()
    kwargs = validate(values_of(base.replace(**fields)), seed, strategies)
    return kwargs, preset


def first_model(search: str | None) -> tuple[mesa.Model, str, str | None]:
    """The page's first model, its preset and an error message, from the page address.

    Settings the address gets wrong are reported (the message names the key and what is
    allowed) and the defaults are shown instead.
    """
    try:
        kwargs, preset = settings_from_query(search)
        return build_model(kwargs), preset, None
    except (TypeError, ValueError) as e:
        message = f"{e}. The page address is ignored; showing the defaults."
        return OpinionEcology(seed=DEFAULT_SEED), DEFAULTS_PRESET, message
