"""Controls generated from the parameter metadata (:meth:`model.Params.spec`), and their widgets.

:func:`make_controls` turns each field's metadata into a :class:`Control` (a select for
choices, a switch for booleans, a slider over the documented range for numbers, a 1-2-5 scale
for wide ranges), grouped as the metadata groups them; :func:`ParamControl` and
:func:`GroupControls` are the Solara components that draw them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import solara

from model import Params, Strategy

#: Parameters shown first in each group; the rest of the group sits under "more".
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "population": ("n_users", "mix_post00", "mix_post90", "mix_post80", "mix_pre80", "trust_shift"),
    "network": ("acq_degree", "acq_rewire", "acq_homophily", "follow_model", "follow_degree"),
    "content": ("outlet_rate", "focal_follow_share", "stance_mean", "intensity", "quality"),
    "strategy": ("strategy",),
    "behaviour": (
        "epsilon",
        "attention_scale",
        "activity_scale",
        "activity_from_belonging",
        "base_forward",
        "reply_gain",
    ),
    "run": ("steps", "stop_when", "record_cascades"),
}
#: Linear sliders get at most about this many positions; wider ranges get a 1-2-5 scale.
MAX_LINEAR_SPAN = 1000


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


@solara.component
def ParamControl(control: Control, value: Any, on_change: Callable[[str, Any], None]) -> None:
    """The widget of one generated control."""
    name, meta = control.name, control.meta

    def set_value(v: Any) -> None:
        on_change(name, v)

    if control.widget == "select":
        choices = list(meta["choices"])
        shown = value.label() if isinstance(value, Strategy) else value
        if shown not in choices:
            choices.append(shown)

        def pick(v: Any) -> None:
            on_change(name, value if isinstance(value, Strategy) and v == value.label() else v)

        solara.Select(name, values=choices, value=shown, on_value=pick, dense=True)
    elif control.widget == "checkbox":
        # a switch, not solara.Checkbox: the checkbox draws its label twice on ipyvuetify 3
        solara.Switch(label=name, value=bool(value), on_value=set_value)
    elif control.widget == "slider_int":
        solara.SliderInt(
            f"{name} = {int(value)}",
            value=int(value),
            min=int(meta["lo"]),
            max=int(meta["hi"]),
            on_value=set_value,
        )
    elif control.widget == "slider_float":
        solara.SliderFloat(
            f"{name} = {float(value):g}",
            value=float(value),
            min=float(meta["lo"]),
            max=float(meta["hi"]),
            step=control.step,
            on_value=set_value,
        )
    else:
        # A slider over the positions of a 1-2-5 scale (solara's SliderValue needs tick-label
        # support that ipyvuetify 3's slider lacks); the label shows the value.
        scale = control.scale_values(value)
        solara.SliderInt(
            f"{name} = {value:g}",
            value=scale.index(value),
            min=0,
            max=len(scale) - 1,
            thumb_label=False,
            on_value=lambda i: set_value(scale[int(i)]),
        )


@solara.component
def GroupControls(
    group: str,
    controls: list[Control],
    values: dict[str, Any],
    on_change: Callable[[str, Any], None],
) -> None:
    """One group of parameters, folded: its key fields, then the rest behind 'more'.

    Folding is a plain toggle button: solara's ``Details`` needs Vuetify 2 panel widgets that
    ipyvuetify 3 no longer has.
    """
    open_, set_open = solara.use_state(group == "population")
    more, set_more = solara.use_state(False)
    key = [c for c in controls if c.name in KEY_FIELDS.get(group, ())]
    rest = [c for c in controls if c not in key]
    solara.Button(
        f"{'▾' if open_ else '▸'} {group} ({len(controls)})",
        text=True,
        on_click=lambda: set_open(not open_),
        classes=[f"oe-group-{group}"],
        style={"justify-content": "flex-start"},
    )
    if not open_:
        return
    with solara.Column(gap="0px", style={"padding-left": "8px"}):
        for c in key:
            ParamControl(c, values[c.name], on_change)
        if rest:
            solara.Button(
                f"{'▾' if more else '▸'} more {group} parameters ({len(rest)})",
                text=True,
                small=True,
                on_click=lambda: set_more(not more),
            )
            if more:
                for c in rest:
                    ParamControl(c, values[c.name], on_change)
