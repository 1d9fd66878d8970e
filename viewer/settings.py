"""The page's settings: the page address, the typed seed, and validation of pending settings.

:func:`settings_from_query` reads a scenario from the page address (``?n_users=...&seed=...``),
:func:`validate` turns the page's control values into the keyword arguments of
:func:`viewer.arms.build_model` (raising the model's own message for a refused value), and
:func:`first_model` builds the page's first model. The checks are the model's own
(:class:`model.Params`, :func:`model.engine.resolve_seed`); nothing is re-implemented here.
"""

from __future__ import annotations

import collections
import difflib
import importlib
import urllib.parse
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import mesa

from model import STRATEGY_PRESETS, OpinionEcology, Params, Strategy
from model.engine import resolve_seed
from model.params import UnusedParameterWarning
from viewer.arms import DEFAULT_COMPARISON, build_model
from viewer.controls import parse_number, strategy_spec

#: The seed a fresh page starts with.
DEFAULT_SEED = 1
#: Label of the preset selector's entry that stands for the Params defaults.
DEFAULTS_PRESET = "(defaults)"
#: A comparison's arm that is the Strategy card's strategy (the strategy of the Params, set by
#: ``strategy=`` and ``strategy.<switch>`` in the address), as the A/B selects and
#: ``compare=one_way,custom`` name it.
CUSTOM = "custom"


def preset_registry() -> dict[str, Callable[[], Params]]:
    """The scenario presets of ``model.presets`` (name -> function returning Params), if present."""
    try:
        presets = importlib.import_module("model.presets")
    except ImportError:
        return {}
    return dict(getattr(presets, "PRESETS", {}))


def is_preset(strategy: Strategy) -> bool:
    """Whether ``strategy`` is one of :data:`model.STRATEGY_PRESETS`, switch for switch."""
    preset = STRATEGY_PRESETS.get(strategy.label())
    return preset is not None and preset.switches() == strategy.switches()


def values_of(params: Params) -> dict[str, Any]:
    """Control values of ``params``; a strategy that is no preset stays a Strategy object.

    A preset with a switch changed (``Strategy.preset("interactive").replace(reply_share=0.35)``)
    is no preset: it is kept whole (its name, ``"interactive*"``, names no preset's switches).
    """
    values = params.to_dict()
    if not is_preset(params.strategy):
        values["strategy"] = params.strategy
    return values


def nearest_preset(strategy: Strategy) -> str:
    """The preset with the fewest switches different from ``strategy`` (the first on a tie)."""
    mine = strategy.switches()
    return min(
        STRATEGY_PRESETS,
        key=lambda k: sum(v != mine[s] for s, v in STRATEGY_PRESETS[k].switches().items()),
    )


def custom_strategy(base: Any, **switches: Any) -> Strategy:
    """``base`` (a preset name or a Strategy) with ``switches`` changed, named "custom".

    Raises:
        TypeError, ValueError: An unknown strategy or switch, or a refused value (the
            model's message).
    """
    s = base if isinstance(base, Strategy) else Strategy.preset(base)
    return s.replace(name="custom", **switches)


def resolve_arms(arms: tuple[Any, Any], strategy: Any) -> tuple[Any, Any]:
    """The two strategies of a comparison, with :data:`CUSTOM` replaced by ``strategy``."""
    resolved = tuple(strategy if a == CUSTOM else a for a in arms)
    return resolved[0], resolved[1]


def arm_names(strategies: tuple[Any, Any]) -> tuple[str, str]:
    """What the A/B selects show for a comparison's strategies: a preset's name, else
    :data:`CUSTOM` (a strategy that differs from every preset is the Strategy card's)."""
    names = tuple(
        s if isinstance(s, str) else (s.label() if is_preset(s) else CUSTOM) for s in strategies
    )
    return names[0], names[1]


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
        strategies: The two strategies of comparison mode (a preset name, a Strategy, or
            :data:`CUSTOM` for the strategy of ``values``), or None for one model.

    Raises:
        TypeError, ValueError: What Params or the seed refuses, with the model's message.
    """
    # the page keeps the values of controls it hides (a rule not chosen), so that choosing the
    # rule again restores them; they have no effect, which the hidden control already shows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedParameterWarning)
        params = Params(**values)
    kwargs: dict[str, Any] = {"params": params, "seed": parse_seed(seed_text)}
    if strategies is not None:
        # a preset stays its name, as the A/B selects and the page address write it
        arms = tuple(
            s.label() if isinstance(s, Strategy) and is_preset(s) else s
            for s in resolve_arms(strategies, params.strategy)
        )
        for s in arms:
            if not isinstance(s, Strategy):
                Strategy.preset(s)
        kwargs["strategies"] = (arms[0], arms[1])
    return kwargs


#: Address keys that are not Params fields (see :func:`settings_from_query`).
QUERY_KEYS = ("seed", "preset", "compare")
#: Prefix of the address keys that set one switch of the strategy (``strategy.reply_share``).
STRATEGY_PREFIX = "strategy."
#: How many close names an unknown key's message suggests.
CLOSE_NAMES = 3


def server_path_fields(spec: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[str, ...]:
    """The Params fields that take free text: paths of files on the server
    (``acquaintance_edges``, ``follow_edges``).

    The page address must not name files on the server (anyone who can send a link could
    make the server read any file it can), so :func:`settings_from_query` refuses them; an
    experiment spec or Python sets them.
    """
    spec = Params.spec() if spec is None else spec
    return tuple(
        name for name, meta in spec.items() if meta["kind"] is str and meta["choices"] is None
    )


#: Longest key the address's messages echo; a longer one is cut, with an ellipsis.
MAX_KEY_CHARS = 40
#: Most unknown keys a message names; more are counted.
MAX_UNKNOWN_KEYS = 10


def short(text: str, limit: int = MAX_KEY_CHARS) -> str:
    """``text`` cut to ``limit`` characters (the last an ellipsis), so that a message never
    echoes a long address in full."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_key_message(keys: str | list[str], valid: list[str]) -> str:
    """'unknown parameter X for the page address; did you mean Y?', naming every unknown key.

    Unlike the model's message it does not list all the names (there are about 160): only the
    closest few per key (:mod:`difflib`), and where the full list is (the Parameters
    controls). Each key is cut to :data:`MAX_KEY_CHARS`; past :data:`MAX_UNKNOWN_KEYS` keys,
    the rest are counted.
    """
    keys = [keys] if isinstance(keys, str) else keys

    def one(key: str) -> str:
        cut = short(key)
        # matched on the cut key: difflib is quadratic in the length of what it compares
        close = difflib.get_close_matches(cut, valid, n=CLOSE_NAMES, cutoff=0.5)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return repr(cut), hint

    named = [one(k) for k in keys[:MAX_UNKNOWN_KEYS]]
    more = len(keys) - len(named)
    tail = (
        "(the keys are the names under the Parameters controls, seed, preset, compare and "
        "strategy.<switch>)"
    )
    if len(named) == 1 and not more:
        key, hint = named[0]
        return f"unknown parameter {key} for the page address{'; ' + hint if hint else ''} {tail}"
    listed = ", ".join(f"{k} ({h})" if h else k for k, h in named)
    extra = f" and {more} more" if more else ""
    return f"unknown parameters for the page address: {listed}{extra} {tail}"


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _query_value(name: str, text: str, meta: Mapping[str, Any]) -> Any:
    """One Params value typed in the page address, converted to the field's type."""
    kind = meta["kind"]
    if meta["choices"] is None and kind in (int, float):
        return parse_number(name, text, meta, " in the page address")
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
    from :mod:`model.presets`, applied before the fields), ``compare`` (``1`` for the default
    pair of strategies, or two names such as ``compare=one_way,interactive``) and
    ``strategy.<switch>`` (one switch of the strategy, e.g. ``strategy.reply_share=0.35``,
    applied to the strategy the other keys choose). In a comparison, ``strategy=`` and
    ``strategy.<switch>`` set the custom strategy, which ``compare=one_way,custom`` names
    (``compare=1`` with them compares one-way against it). :func:`query_of` writes such an
    address.

    Raises:
        ValueError, TypeError: An unknown key or a refused value, with what is allowed.
    """
    spec = Params.spec()
    presets = preset_registry()
    preset, seed, strategies = DEFAULTS_PRESET, DEFAULT_SEED, None
    compare_text = ""
    fields: dict[str, Any] = {}
    switches: dict[str, Any] = {}
    switch_spec = strategy_spec()
    paths = server_path_fields(spec)
    pairs = urllib.parse.parse_qsl(search or "", keep_blank_values=True)
    # one pass: a count per key would be quadratic in an attacker's address
    twice = sorted(k for k, n in collections.Counter(k for k, _ in pairs).items() if n > 1)
    if twice:
        named = ", ".join(short(k) for k in twice[:MAX_UNKNOWN_KEYS])
        more = f" and {len(twice) - MAX_UNKNOWN_KEYS} more" if len(twice) > MAX_UNKNOWN_KEYS else ""
        raise ValueError(f"{named}{more} appears more than once in the page address")
    valid = [*QUERY_KEYS, *spec, *(STRATEGY_PREFIX + k for k in switch_spec)]
    known = set(valid) | set(paths)
    unknown = [k for k, _ in pairs if k not in known]
    if unknown:
        raise ValueError(unknown_key_message(unknown, valid))
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
            compare_text = text
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
                    if name == CUSTOM:
                        continue
                    try:
                        Strategy.preset(name)
                    except (TypeError, ValueError) as e:
                        raise ValueError(f"compare={text!r} in the page address: {e}") from None
                strategies = names
        elif key in paths:
            raise ValueError(
                f"{key} in the page address is not allowed: the address may not name files on "
                "the server; set it in an experiment spec or in Python"
            )
        elif key in spec:
            fields[key] = _query_value(key, text, spec[key])
        elif key.startswith(STRATEGY_PREFIX) and key[len(STRATEGY_PREFIX) :] in switch_spec:
            name = key[len(STRATEGY_PREFIX) :]
            switches[name] = _query_value(key, text, switch_spec[name])
        else:  # pragma: no cover - every key is known after the check above
            raise ValueError(unknown_key_message(key, valid))
    custom_keys = "strategy" in fields or bool(switches)
    if strategies == DEFAULT_COMPARISON and custom_keys and compare_text.lower() in _TRUE:
        strategies = (DEFAULT_COMPARISON[0], CUSTOM)
    if strategies is not None and custom_keys and CUSTOM not in strategies:
        raise ValueError(
            "the page address sets a strategy (strategy= or strategy.<switch>) that compare= "
            f"does not use; name it custom in compare= (compare={DEFAULT_COMPARISON[0]},custom)"
        )
    base = Params() if preset == DEFAULTS_PRESET else presets[preset]()
    if switches:
        try:
            fields["strategy"] = custom_strategy(fields.get("strategy", base.strategy), **switches)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{e} (in the page address)") from None
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


def _text(value: Any) -> str:
    """A value as the page address writes it (what :func:`settings_from_query` reads back)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def query_of(kwargs: Mapping[str, Any], preset: str = DEFAULTS_PRESET) -> str:
    """The page address (query string) of a model's keyword arguments: every non-default setting.

    The inverse of :func:`settings_from_query`: ``preset=`` when ``preset`` names one of
    :mod:`model.presets` (the scenario the model was built from), then the Params fields that
    differ from that preset's (else the defaults), the seed unless it is
    :data:`DEFAULT_SEED`, ``compare=A,B`` for a comparison, and a custom strategy as its
    nearest preset plus ``strategy.<switch>`` for each switch that differs (in a comparison,
    the arm that is no preset, named :data:`CUSTOM` in ``compare=``).
    """
    params: Params = kwargs["params"]
    presets = preset_registry()
    named = preset != DEFAULTS_PRESET and preset in presets
    base = presets[preset]() if named else Params()
    pairs: list[tuple[str, str]] = [("preset", preset)] if named else []
    strategies = kwargs.get("strategies")
    custom = [s for s in strategies or () if isinstance(s, Strategy) and not is_preset(s)]
    for name in Params.spec():
        value = getattr(params, name)
        if name == "strategy":
            if strategies is not None:
                if not custom:
                    continue
                value = custom[0]
            mine = base.strategy
            if value.label() == mine.label() and value.switches() == mine.switches():
                continue  # the base's own strategy, which the address reads back by itself
            if is_preset(value):
                pairs.append((name, value.label()))
                continue
            nearest = nearest_preset(value)
            if not (is_preset(mine) and nearest == mine.label()):
                pairs.append((name, nearest))
            switches = STRATEGY_PRESETS[nearest].switches()
            for k, v in value.switches().items():
                if v != switches[k]:
                    pairs.append((STRATEGY_PREFIX + k, _text(v)))
        elif value != getattr(base, name):
            pairs.append((name, _text(value)))
    if kwargs["seed"] != DEFAULT_SEED:
        pairs.append(("seed", str(kwargs["seed"])))
    if strategies is not None:
        pairs.append(("compare", ",".join(arm_names(strategies))))
    return urllib.parse.urlencode(pairs, safe=",")
