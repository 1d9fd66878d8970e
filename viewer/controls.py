"""Controls generated from the parameter metadata (:meth:`model.Params.spec`), and their widgets.

:func:`make_controls` turns each field's metadata into a :class:`Control` (a select for
choices, a switch for booleans, a slider over the documented range for numbers, a 1-2-5 scale
for wide ranges), grouped as the metadata groups them; :func:`ParamControl` and
:func:`GroupControls` are the Solara components that draw them. Every control shows the label
and unit declared with its field (:func:`viewer.labels.label_of`) with the field's name and doc
string as its tooltip, and every number gets a number field beside its slider for exact values
(:func:`parse_number`).
:func:`strategy_spec` gives the :class:`model.Strategy` switches in the same metadata format.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import solara

from model import Params, Strategy
from model.rules import registry
from viewer.labels import label_of, tooltip_of

#: Parameters shown first in each group; the rest of the group sits under "more".
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "population": (
        "n_users",
        "mix_post00",
        "mix_post90",
        "mix_post80",
        "mix_pre80",
        "trust_shift",
        "epsilon",
    ),
    "network": ("acq_degree", "acq_rewire", "acq_homophily", "follow_model", "follow_degree"),
    "outlets": ("outlet_rate", "focal_follow_share", "stance_mean", "intensity", "quality"),
    "strategy": ("strategy",),
    "attention": (
        "attention",
        "attention.attention_scale",
        "activity_scale",
        "activity_from_belonging",
    ),
    "reactions": ("forwarding", "forwarding.base_forward", "base_like", "base_comment"),
    "peer exchange": ("opinion", "peer_mixing", "peer_choice", "peer_prob"),
    "belonging and churn": ("following", "reply_gain", "belonging_gain"),
    "run": ("steps", "stop_when", "record_cascades"),
}
#: Linear sliders get at most about this many positions; wider ranges get a 1-2-5 scale.
MAX_LINEAR_SPAN = 1000
_KINDS = {"int": int, "float": float, "bool": bool, "str": str}


def strategy_spec() -> dict[str, dict[str, Any]]:
    """Metadata per :class:`model.Strategy` switch, from ``Strategy.spec()`` (the schema), in
    one control group, "strategy"; the name is left out (it has no effect on the dynamics)."""
    return {k: {**v, "group": "strategy"} for k, v in Strategy.spec().items() if k != "name"}


def _number(text: str, kind: type) -> Any:
    """``text`` as an int or float; an int may be written as an exact float (``1e4``).

    NaN and infinity are no numbers here: ``float`` reads "nan", "inf" and "1e400", and a
    non-finite value sent to the browser's widgets is invalid JSON there.
    """
    if kind is float:
        x = float(text)
        if not math.isfinite(x):
            raise ValueError(text)
        return x
    try:
        return int(text)
    except ValueError:
        x = float(text)  # raises ValueError for text that is no number
        if not math.isfinite(x) or x != int(x):
            raise ValueError(text) from None
        return int(x)


def parse_number(name: str, text: str, meta: Mapping[str, Any], where: str = "") -> Any:
    """A number typed for field ``name`` (in a number field or the address), as its type.

    Raises:
        ValueError: Not a number (not an integer for an int field), naming the allowed range.
    """
    try:
        return _number(text.strip(), meta["kind"])
    except ValueError:
        noun = "an integer" if meta["kind"] is int else "a number"
        raise ValueError(
            f"{name}={text!r}{where} is not {noun}; allowed [{meta['lo']}, {meta['hi']}]"
        ) from None


@dataclasses.dataclass(frozen=True)
class Control:
    """One generated control: the field, its metadata and the widget that edits it."""

    name: str
    widget: str  # "select", "checkbox", "slider_int", "slider_float", "scale"
    meta: dict[str, Any]
    step: float = 1.0

    def scale_values(self, current: Any) -> list[Any]:
        """Positions of a 1-2-5 scale slider over the documented range, with default and current."""
        lo, hi, kind = self.meta["lo"], self.meta["hi"], self.meta["kind"]
        start = 1.0 if kind is int else max(abs(hi) * 1e-5, 1e-3)
        values: set[Any] = {lo, hi, self.meta["default"], current}
        if lo <= 0 <= hi:
            values.add(0)
        decade = 10 ** math.floor(math.log10(start))
        while decade <= hi:
            for m in (1, 2, 5):
                v = m * decade
                if max(lo, start) <= v <= hi:
                    values.add(v)
            decade *= 10
        cast = int if kind is int else float
        return sorted({cast(v) for v in values})


def _nice_step(meta: dict[str, Any]) -> float:
    """A slider step of the form 10**k that hits the range's lower end and the default."""
    lo, hi, default = meta["lo"], meta["hi"], meta["default"]
    step = 10.0 ** math.floor(math.log10((hi - lo) / 200))
    for _ in range(6):
        if all(abs(x / step - round(x / step)) < 1e-9 for x in (lo, default)):
            break
        step /= 10
    return step


def make_controls(spec: dict[str, dict[str, Any]] | None = None) -> dict[str, list[Control]]:
    """Controls per group, generated from the parameter metadata (``Params.spec()``).

    Choices give a select, booleans a checkbox, numbers a slider over the documented range
    (integer or float), and numbers whose range spans more than :data:`MAX_LINEAR_SPAN` a slider
    over a 1-2-5 scale. Within a group, the fields of :data:`KEY_FIELDS` come first.
    """
    spec = Params.spec() if spec is None else spec
    groups: dict[str, list[Control]] = {}
    for name, meta in spec.items():
        kind = meta["kind"]
        if meta["choices"] is not None:
            c = Control(name, "select", meta)
        elif kind is bool:
            c = Control(name, "checkbox", meta)
        elif kind in (int, float) and meta["lo"] is not None and meta["hi"] is not None:
            if meta["hi"] - meta["lo"] > MAX_LINEAR_SPAN:
                c = Control(name, "scale", meta)
            elif kind is int:
                c = Control(name, "slider_int", meta)
            else:
                c = Control(name, "slider_float", meta, step=_nice_step(meta))
        else:
            continue
        groups.setdefault(meta["group"], []).append(c)
    for group, controls in groups.items():
        key = KEY_FIELDS.get(group, ())
        controls.sort(key=lambda c, key=key: key.index(c.name) if c.name in key else len(key))
    return groups


#: A number that the page bumps to redraw every number field ("Back to the running model"): a
#: field keeps the refused text typed into it while the value it is given stays the same, so a
#: fresh field (keyed by this number) shows the value again.
FIELD_REVISION = solara.create_context(0)


def _ok(value: Any, kind: type) -> bool:
    """Whether ``value`` can sit on a slider of ``kind`` (not a refused text)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@solara.component
def NumberField(
    name: str,
    meta: dict[str, Any],
    value: Any,
    on_change: Callable[[str, Any], None],
    on_error: Callable[[str], None] | None = None,
) -> None:
    """A number field for an exact value: parsed as the field's type, checked by the model.

    Text that is no number goes to ``on_error`` with the allowed range; a number goes to
    ``on_change``, where the page checks it with the model's own message.
    """

    revision = solara.use_context(FIELD_REVISION)

    def typed(text: str | None) -> None:
        try:
            on_change(name, parse_number(name, text or "", meta))
        except ValueError as e:
            if on_error is not None:
                on_error(str(e))

    solara.InputText(
        "",
        value=f"{value:g}" if _ok(value, meta["kind"]) else str(value),
        on_value=typed,
        dense=True,
        classes=["oe-number", f"oe-number-{name}"],
        style={"flex": "0 0 84px", "max-width": "84px"},
    ).key(f"number-{name}-{revision}")


@solara.component
def ParamControl(
    control: Control,
    value: Any,
    on_change: Callable[[str, Any], None],
    on_error: Callable[[str], None] | None = None,
) -> None:
    """The widget of one generated control: a readable label, the name and doc as tooltip.

    Numbers get a number field beside their slider, for values the slider cannot reach.
    """
    name, meta = control.name, control.meta
    label = label_of(name, meta)

    def set_value(v: Any) -> None:
        on_change(name, v)

    with solara.v.Html(
        tag="div",
        attributes={"title": tooltip_of(name, meta)},
        class_=f"oe-control oe-control-{name}",
    ):
        if control.widget == "select":
            choices = list(meta["choices"])
            shown = value.label() if isinstance(value, Strategy) else value
            if shown not in choices:
                choices.append(shown)

            def pick(v: Any) -> None:
                on_change(name, value if isinstance(value, Strategy) and v == value.label() else v)

            solara.Select(label, values=choices, value=shown, on_value=pick, dense=True)
        elif control.widget == "checkbox":
            # a switch, not solara.Checkbox: the checkbox draws its label twice on ipyvuetify 3
            solara.Switch(label=label, value=bool(value), on_value=set_value)
        else:
            with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "nowrap"}):
                shown = value if _ok(value, meta["kind"]) else meta["default"]
                with solara.Column(
                    gap="0px", style={"flex": "1 1 0", "min-width": "0"}, classes=["oe-slider"]
                ):
                    _slider(control, label, shown, set_value)
                NumberField(name, meta, value, on_change, on_error)


def _slider(control: Control, label: str, value: Any, set_value: Callable[[Any], None]) -> None:
    meta = control.meta
    if control.widget == "slider_int":
        solara.SliderInt(
            label, value=int(value), min=int(meta["lo"]), max=int(meta["hi"]), on_value=set_value
        )
    elif control.widget == "slider_float":
        solara.SliderFloat(
            label,
            value=float(value),
            min=float(meta["lo"]),
            max=float(meta["hi"]),
            step=control.step,
            on_value=set_value,
        )
    else:
        # A slider over the positions of a 1-2-5 scale (solara's SliderValue needs tick-label
        # support that ipyvuetify 3's slider lacks); the number field beside it takes any value.
        scale = control.scale_values(value)
        solara.SliderInt(
            label,
            value=scale.index(value),
            min=0,
            max=len(scale) - 1,
            thumb_label=False,
            on_value=lambda i: set_value(scale[int(i)]),
        )


@solara.component
def StrategyControls(
    strategy: Strategy,
    on_change: Callable[[str, Any], None],
    on_error: Callable[[str], None] | None = None,
) -> None:
    """The switches of the strategy: changing one makes a custom strategy from the current one."""
    controls = solara.use_memo(lambda: make_controls(strategy_spec())["strategy"], [])
    current = strategy.switches()

    def set_switch(name: str, value: Any) -> None:
        try:
            on_change("strategy", strategy.replace(name="custom", **{name: value}))
        except (TypeError, ValueError) as e:
            if on_error is not None:
                on_error(str(e))

    for c in controls:
        ParamControl(c, current[c.name], set_switch, on_error)


def in_use(c: Control, values: Mapping[str, Any]) -> bool:
    """Whether control ``c`` has an effect now: a rule's parameter (``opinion.contacts``) only
    while one of the rules that declare it is the chosen one (``values["opinion"]``), and a
    field only some rules read (``peer_choice`` and its parameters, ``forward_p``) only while
    one of those rules is chosen (:func:`model.rules.registry.in_use`)."""
    key = c.name.split(".", 1)[0]
    rules = c.meta.get("rules") or ()
    if rules and str(values.get(key)) not in rules:
        return False
    if key not in registry.readers():
        return True
    return registry.in_use(key, {k: str(values[k]) for k in registry.REGISTRIES})


@solara.component
def GroupControls(
    group: str,
    controls: list[Control],
    values: dict[str, Any],
    on_change: Callable[[str, Any], None],
    on_error: Callable[[str], None] | None = None,
) -> None:
    """One group of parameters, folded: its key fields, then the rest behind 'more'; a rule's
    parameters only while that rule is chosen (:func:`in_use`).

    Folding is a plain toggle button: solara's ``Details`` needs Vuetify 2 panel widgets that
    ipyvuetify 3 no longer has.
    """
    open_, set_open = solara.use_state(group == "population")
    more, set_more = solara.use_state(False)
    # a parameter of a rule that is not chosen would change nothing: it is not shown
    controls = [c for c in controls if in_use(c, values)]
    key = [c for c in controls if c.name in KEY_FIELDS.get(group, ())]
    rest = [c for c in controls if c not in key]
    solara.Button(
        f"{'▾' if open_ else '▸'} {group} ({len(controls)})",
        text=True,
        on_click=lambda: set_open(not open_),
        classes=[f"oe-group-{group.replace(' ', '-')}"],
        style={"justify-content": "flex-start"},
    )
    if not open_:
        return
    # not indented: every slider of the page has one length
    with solara.Column(gap="0px"):
        for c in key:
            ParamControl(c, values[c.name], on_change, on_error)
        if rest:
            solara.Button(
                f"{'▾' if more else '▸'} more {group} parameters ({len(rest)})",
                text=True,
                small=True,
                on_click=lambda: set_more(not more),
            )
            if more:
                for c in rest:
                    ParamControl(c, values[c.name], on_change, on_error)
