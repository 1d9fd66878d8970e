"""The page: Mesa's Step/Play/Reset, the scenario and parameter controls, and the views.

Solara components only; the settings, controls, models and drawings they show come from the
modules below (:mod:`viewer.settings`, :mod:`viewer.controls`, :mod:`viewer.arms`,
:mod:`viewer.render`). ``app.py`` serves :func:`Page`.
"""

from __future__ import annotations

from typing import Any

import mesa
import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from model import STRATEGY_PRESETS, Params, Strategy
from viewer.arms import DEFAULT_COMPARISON, StrategyComparison, arms_of, build_kwargs, build_model
from viewer.controls import GroupControls, ParamControl, make_controls
from viewer.network_view import COLOR_BY
from viewer.render import render_views
from viewer.settings import (
    DEFAULTS_PRESET,
    first_model,
    preset_registry,
    validate,
    values_of,
)

#: Default pause between Play ticks (ms); Mesa's own default is 100.
DEFAULT_PLAY_INTERVAL_MS = 20


@solara.component
def StepCounter(model: mesa.Model) -> None:
    """The step counter (and simulated time) the browser test reads."""
    update_counter.get()
    steps = model.steps
    solara.Text(
        f"Step {steps}",
        classes=["oe-step-counter"],
        style={"font-size": "1.3em", "font-weight": "bold"},
    )
    solara.Text(f"  day {steps // 24 + 1}, {steps % 24:02d}:00", style={"color": "#666"})
    if not model.running:
        solara.Text(
            "  (stopped: horizon or stop rule reached; press Reset)", style={"color": "#a00"}
        )


@solara.component
def View(name: str, png: bytes, title: str, subtitle: str | None = None) -> None:
    """One drawn view in a card."""
    with solara.Card(title, subtitle=subtitle, margin=0, classes=[f"oe-card-{name}"]):
        solara.Image(png, width="100%", classes=["oe-view", f"oe-view-{name}"])


@solara.component
def Views(model: mesa.Model, color_by: solara.Reactive[str]) -> None:
    """The main area: every view of ``model``, redrawn after each Step."""
    tick = update_counter.value
    views = solara.use_memo(
        lambda: render_views(model, color_by.value), [model, tick, model.steps, color_by.value]
    )
    arms = arms_of(model)
    with solara.Row(style={"align-items": "center"}):
        StepCounter(model)
    with solara.Row(style={"align-items": "center"}):
        solara.Text("Colour nodes by:")
        solara.ToggleButtonsSingle(
            value=color_by, values=list(COLOR_BY), dense=True, classes=["oe-color-by"]
        )
    with solara.Columns([1, 1]):
        for label in arms:
            View(
                f"network-{'ab'[list(arms).index(label)]}" if len(arms) > 1 else "network",
                views[f"network:{label}"],
                f"Network: {label}",
                views[f"caption:network:{label}"],
            )
        if len(arms) == 1:
            View("timeseries", views["timeseries"], "Time series")
    if len(arms) > 1:
        View("timeseries", views["timeseries"], "Time series: " + " vs ".join(arms))
    with solara.Columns([1, 1]):
        View("opinions", views["opinions"], "Opinion distribution per generation")
        View("ccdf", views["ccdf"], "Cascade sizes", views["caption:ccdf"])
    with solara.Card("Current measures per generation", margin=0, classes=["oe-card-table"]):
        solara.HTML(tag="div", unsafe_innerHTML=views["table"], classes=["oe-measures"])


@solara.component
def Message(kind: str, text: str, css_class: str) -> None:
    """An inline alert (solara.Error/Info pass Vuetify 2 props that ipyvuetify 3 refuses)."""
    solara.v.Alert(type=kind, variant="tonal", density="compact", children=[text], class_=css_class)


@solara.component
def Page(model: solara.Reactive[mesa.Model] | None = None) -> None:
    """The viewer: Mesa's Step/Play/Reset, scenario and parameter controls, and the views.

    Args:
        model: The model to show (a reactive holding an :class:`OpinionEcology` or a
            :class:`StrategyComparison`); None builds one when the page is first shown
            (``solara run`` does this): from the page address's settings
            (:func:`viewer.settings.settings_from_query`), else the Params defaults with seed
            :data:`viewer.settings.DEFAULT_SEED`.
    """
    search = solara.use_router().search
    initial, initial_preset, initial_error = solara.use_memo(
        lambda: (model.value, DEFAULTS_PRESET, None) if model is not None else first_model(search),
        [],
    )
    model = solara.use_reactive(model if model is not None else initial)
    reset_kwargs = solara.use_reactive(build_kwargs(initial))
    values = solara.use_reactive(solara.use_memo(lambda: values_of(initial.params), []))
    seed_text = solara.use_reactive(str(initial.seed))
    preset = solara.use_reactive(initial_preset)
    compare = solara.use_reactive(isinstance(initial, StrategyComparison))
    arm_strategies = solara.use_reactive(getattr(initial, "strategies", DEFAULT_COMPARISON))
    error = solara.use_reactive(initial_error)
    color_by = solara.use_reactive("opinion")
    play_interval = solara.use_reactive(DEFAULT_PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    controller_key = solara.use_reactive(0)
    controls = solara.use_memo(make_controls, [])
    presets = solara.use_memo(preset_registry, [])

    def revalidate(
        new_values: dict[str, Any], new_seed: str, new_compare: bool, new_arms: tuple[Any, Any]
    ) -> dict[str, Any] | None:
        """Keep valid settings for Reset, or show why they are refused (the last valid stay)."""
        try:
            kwargs = validate(new_values, new_seed, new_arms if new_compare else None)
        except (TypeError, ValueError) as e:
            error.set(f"{e}. Reset keeps the last valid settings.")
            return None
        error.set(None)
        reset_kwargs.set(kwargs)
        return kwargs

    def on_param(name: str, value: Any) -> None:
        new = {**values.value, name: value}
        values.set(new)
        revalidate(new, seed_text.value, compare.value, arm_strategies.value)

    def on_seed(text: str | None) -> None:
        seed_text.set(text or "")
        revalidate(values.value, text or "", compare.value, arm_strategies.value)

    def on_preset(name: str) -> None:
        preset.set(name)
        try:
            params = Params() if name == DEFAULTS_PRESET else presets[name]()
        except (TypeError, ValueError) as e:
            error.set(f"preset {name!r} failed: {e}")
            return
        new = values_of(params)
        values.set(new)
        revalidate(new, seed_text.value, compare.value, arm_strategies.value)

    def rebuild(kwargs: dict[str, Any]) -> None:
        """Build a new model now (mode switch); on failure show why and keep the model."""
        try:
            new_model = build_model(kwargs)
        except (TypeError, ValueError) as e:
            error.set(f"{e}. The current model stays.")
            return
        model.set(new_model)
        controller_key.set(controller_key.value + 1)

    def on_compare(on: bool) -> None:
        compare.set(on)
        kwargs = revalidate(values.value, seed_text.value, on, arm_strategies.value)
        if kwargs is not None:
            rebuild(kwargs)

    def on_arm(i: int, name: str) -> None:
        arms = list(arm_strategies.value)
        arms[i] = name
        arm_strategies.set(tuple(arms))
        revalidate(values.value, seed_text.value, compare.value, tuple(arms))

    pending = build_kwargs(model.value) != reset_kwargs.value

    solara.Title("Opinion Ecology")
    with solara.AppBar():
        solara.AppBarTitle("Opinion Ecology viewer")

    # Controls and views side by side in the main area, not in solara.Sidebar: AppLayout's
    # drawer is configured with Vuetify 2 props, and on ipyvuetify 3 it overlays the views.
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "nowrap", "gap": "12px"}):
        with solara.Column(style={"flex": "0 0 360px", "width": "360px"}, classes=["oe-controls"]):
            with solara.Card("Controls", margin=0):
                solara.SliderInt("Play interval (ms)", value=play_interval, min=1, max=500)
                solara.SliderInt("Render interval (steps)", value=render_interval, min=1, max=100)
                ModelController(
                    model,
                    model_parameters=reset_kwargs,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=use_threads,
                ).key(f"controller-{controller_key.value}")
            with solara.Card("Scenario", margin=0):
                if error.value:
                    Message("error", error.value, "oe-error")
                elif pending:
                    Message("info", "Changed settings apply on Reset.", "oe-pending")
                solara.Select(
                    "Preset",
                    values=[DEFAULTS_PRESET, *presets],
                    value=preset.value,
                    on_value=on_preset,
                )
                solara.InputText(
                    "Seed (integer)", value=seed_text.value, on_value=on_seed, classes=["oe-seed"]
                )
                solara.Switch(
                    label="Compare two strategies", value=compare.value, on_value=on_compare
                )
                if compare.value:
                    for i, arm in enumerate("AB"):
                        solara.Select(
                            f"Strategy {arm}",
                            values=list(STRATEGY_PRESETS),
                            value=arm_strategies.value[i],
                            on_value=lambda v, i=i: on_arm(i, v),
                        )
                else:
                    for c in controls.get("strategy", []):
                        ParamControl(c, values.value[c.name], on_param)
                    strategy = values.value["strategy"]
                    s = (
                        strategy
                        if isinstance(strategy, Strategy)
                        else STRATEGY_PRESETS.get(strategy)
                    )
                    if s is not None:
                        switches = ", ".join(f"{k}={v}" for k, v in s.switches().items())
                        solara.Text(switches, style={"font-size": "0.8em", "color": "#555"})
            with solara.Card("Parameters", margin=0):
                for group, group_controls in controls.items():
                    if group != "strategy":
                        GroupControls(group, group_controls, values.value, on_param)
        with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}):
            Views(model.value, color_by)
