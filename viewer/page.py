"""The page: Step/Play/Reset, the scenario and parameter controls, the views and the exports.

Solara components only; the settings, controls, models and drawings they show come from the
modules below (:mod:`viewer.settings`, :mod:`viewer.controls`, :mod:`viewer.arms`,
:mod:`viewer.exports`, :mod:`viewer.render`). ``app.py`` serves :func:`Page`.

The page always shows the settings of the running model, or says that changed settings wait
for Reset: Reset refuses a setting the model refuses (the message stays, the model stays), and
"Back to the running model" puts the controls back. The comparison switch builds the
comparison from the running model's settings at once; other changes still wait for Reset.

The module is about 500 lines because :func:`Page` holds the page's state and its
handlers in one closure (Solara's hooks must be called in one component); splitting it would
pass a dozen reactives around.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import mesa
import solara
from mesa.visualization.utils import force_update, update_counter

from model import STRATEGY_PRESETS, Params, Strategy
from viewer.arms import DEFAULT_COMPARISON, StrategyComparison, arms_of, build_kwargs, build_model
from viewer.batch_view import BatchPanel
from viewer.charts import PANELS, SERIES, check_series, plottable
from viewer.controls import (
    FIELD_REVISION,
    Control,
    GroupControls,
    ParamControl,
    StrategyControls,
    make_controls,
)
from viewer.network_view import COLOR_BY
from viewer.panels import (
    DEFAULT_PLAY_INTERVAL_MS,
    Controller,
    Exports,
    Inspector,
    IntervalControl,
    Message,
    ScenarioLink,
)
from viewer.pointer import (
    READOUT_HINTS,
    PointerImage,
    chart_readout,
    network_hint,
    network_readout,
    user_at,
)
from viewer.render import render_views
from viewer.settings import (
    CUSTOM,
    DEFAULTS_PRESET,
    arm_names,
    first_model,
    preset_registry,
    resolve_arms,
    validate,
    values_of,
)
from viewer.state_io import StatePanel
from viewer.table import TABLE_CAPTION

#: The page's layout: controls beside the views while both fit, the views wrapping below one
#: another on narrow screens, images never wider than they are drawn (no upscaling) and
#: shrunk only when the screen is narrower, the table scrolling in its own box. The page is
#: capped at the window's width (less its padding and a scroll bar): without the cap, the
#: widest content set the width of solara's layout and the page scrolled sideways. In the
#: controls, long labels wrap (Vuetify keeps a label on one line, past its card), every slider
#: takes the width its number field leaves (flex basis 0, so all have one length) and keeps
#: 10 px at each end, so a thumb at either end stays off the card's edge and its number field.
#: Solara draws "This website runs on Solara" (44 px high) at the window's bottom right, over
#: the page, which scrolls in its own box: that box ends 48 px above the window's bottom, so
#: the line stays (it credits the framework) and never covers a table's scroll bar, a last
#: row or a card's edge, at any scroll position.
PAGE_CSS = """
.oe-main {display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start;
  max-width: calc(100vw - 40px)}
.solara-content-main, .solara-autorouter-content {min-width: 0; max-width: 100vw}
.oe-controls {flex: 0 1 330px; width: 330px; max-width: 100%; min-width: 0}
.oe-views {flex: 1 1 560px; min-width: 0; max-width: 100%}
.oe-grid {display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; max-width: 100%}
.oe-grid > * {flex: 0 1 auto; min-width: 0; max-width: 100%}
img.oe-view {display: block; max-width: 100%; height: auto}
.oe-measures {overflow-x: auto; max-width: 100%}
.oe-views .v-card-subtitle, .oe-views .v-card-title {white-space: normal; overflow: visible}
.oe-control {max-width: 100%}
@media (max-width: 1100px) {.oe-controls {flex-basis: 290px; width: 290px}}
.oe-slider .v-input--horizontal {grid-template-areas: "prepend" "control";
  grid-template-columns: 1fr; grid-template-rows: auto auto}
.oe-slider .v-input__prepend {margin: 4px 0 -10px 0; min-width: 0; max-width: 100%}
.oe-controls .v-label {white-space: normal; overflow: visible; text-overflow: clip;
  overflow-wrap: anywhere; max-width: 100%; line-height: 1.25}
.oe-slider .v-label, .oe-control .v-switch .v-label {font-size: 14px} /* LABEL_MAX fits */
.oe-controls .v-card {overflow: hidden}
.oe-control, .oe-interval {min-width: 0; max-width: 100%}
.oe-slider .v-slider.v-input--horizontal {margin-inline: 10px}
.oe-slider .v-input__details, .oe-control .v-switch .v-input__details {display: none}
.oe-number .v-field__input {padding-top: 2px; padding-bottom: 2px; min-height: 34px}
.solara-content-main > div {height: calc(100% - 48px) !important;
  max-height: calc(100% - 48px) !important} /* solara's line: see above */
"""


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
def View(
    name: str,
    png: bytes | None,
    title: str,
    subtitle: str | None = None,
    pointer: dict[str, Any] | None = None,
) -> None:
    """One drawn view in a card (a note instead when there is nothing to draw); ``pointer``:
    the keyword arguments of :func:`viewer.pointer.PointerImage` (clicks, read-outs)."""
    # as wide as the image is drawn (its PNG header says), so the subtitle wraps under it
    width = int.from_bytes(png[16:20], "big") + 32 if png is not None else 480
    with solara.Card(
        title,
        subtitle=subtitle,
        margin=0,
        classes=[f"oe-card-{name}"],
        style={"flex": f"0 1 {width}px", "max-width": "100%"},
    ):
        if png is None:
            Message("info", subtitle or "", f"oe-note-{name}")
        elif pointer is not None:
            PointerImage(png, name, **pointer)
        else:
            solara.Image(png, classes=["oe-view", f"oe-view-{name}"])


@solara.component
def Views(
    model: mesa.Model,
    color_by: solara.Reactive[str],
    frames: dict[str, int] | None = None,
    selected: solara.Reactive[int | None] | None = None,
) -> None:
    """The main area: every view of ``model``, redrawn after each Step.

    A click on a network node sets ``selected`` (the inspector's user), which the network
    views ring; a hover over the time series reads out its values (:mod:`viewer.pointer`).

    ``frames["drawn"]`` records the last ``update_counter`` tick drawn, so that Play waits for
    the page to catch up (see :func:`viewer.panels.Controller`).
    """
    tick = update_counter.value
    plotted = solara.use_reactive(list(SERIES))  # the measures of the time series' panels
    problem, set_problem = solara.use_state(cast(str | None, None))
    # bumped on a refusal: a fresh select shows the measures plotted, not the one refused
    revision, set_revision = solara.use_state(0)
    series = tuple(plotted.value)
    chosen = selected.value if selected is not None else None
    views = solara.use_memo(
        lambda: render_views(model, color_by.value, series=series, selected=chosen),
        [model, tick, model.steps, color_by.value, series, chosen],
    )

    def pointing(key: str) -> dict[str, Any]:
        """A chart's hover read-out (:mod:`viewer.pointer`)."""
        return {"readout": chart_readout(model, key), "hint": READOUT_HINTS[key]}

    def select_at(label: str, x: float, y: float) -> None:
        """Select the user whose node was clicked (a click between nodes changes nothing)."""
        user = user_at(model, label, x, y)
        if user is not None and selected is not None:
            selected.set(user)

    def choose(chosen: list[str]) -> None:
        """Plot the measures chosen, or say why not (the panels stay as they are)."""
        try:
            check_series(tuple(chosen), plottable(next(iter(arms_of(model).values()))))
        except ValueError as e:
            set_problem(f"{e} The panels stay as they are.")
            set_revision(revision + 1)
            return
        set_problem(None)
        plotted.set(list(chosen))

    if frames is not None:
        frames["drawn"] = max(frames["drawn"], tick)
    arms = arms_of(model)
    with solara.Row(style={"align-items": "center"}):
        StepCounter(model)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text("Colour nodes by:")
        solara.ToggleButtonsSingle(
            value=color_by, values=list(COLOR_BY), dense=True, classes=["oe-color-by"]
        )
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.SelectMultiple(
            f"Measures to plot (1 to {PANELS})",
            values=list(series),
            all_values=plottable(next(iter(arms_of(model).values()))),
            on_value=choose,
            dense=True,
            classes=["oe-series"],
        ).key(f"oe-series-{revision}")
    if problem:
        Message("error", problem, "oe-series-error")
    with solara.Div(classes=["oe-grid"]):
        for label in arms:
            View(
                f"network-{'ab'[list(arms).index(label)]}" if len(arms) > 1 else "network",
                views[f"network:{label}"],
                f"Network: {label}",
                views[f"caption:network:{label}"],
                pointer={
                    "on_click": lambda x, y, label=label: select_at(label, x, y),
                    "readout": network_readout(model, label, chosen),
                    "hint": network_hint(model, label, chosen),
                },
            )
        title = "Time series" + (": " + " vs ".join(arms) if len(arms) > 1 else "")
        View(
            "timeseries",
            views["timeseries"],
            title,
            f"Plotted: {', '.join(series)}; trust per generation.",
            pointer=pointing("timeseries"),
        )
        View(
            "opinions",
            views["opinions"],
            "Opinion distribution per generation",
            pointer=pointing("opinions"),
        )
        View("ccdf", views["ccdf"], "Cascade sizes", views["caption:ccdf"], pointing("ccdf"))
    if "topics" in views:
        TopicsPanel(*views["topics"], pointer=pointing("topics"))
    with solara.Card("Current measures per generation", margin=0, classes=["oe-card-table"]):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=TABLE_CAPTION,
            classes=["oe-table-caption"],
            style={"font-size": "0.85em", "margin-bottom": "6px"},
        )
        solara.HTML(tag="div", unsafe_innerHTML=views["table"], classes=["oe-measures"])


@solara.component
def TopicsPanel(text: str, png: bytes, pointer: dict[str, Any] | None = None) -> None:
    """The "Topics and creators" card: the trending list, the creator's followers and the
    user follow network's segregation (shown only while one of them is on); ``pointer``: the
    figure's hover read-out (:func:`viewer.pointer.PointerImage`)."""
    with solara.Card("Topics and creators", margin=0, classes=["oe-card-topics"]):
        solara.HTML(tag="div", unsafe_innerHTML=text, classes=["oe-topics"])
        PointerImage(png, "topics", **(pointer or {}))


@solara.component
def Page(model: solara.Reactive[mesa.Model] | None = None) -> None:
    """The viewer: Step/Play/Reset, scenario and parameter controls, the views and exports.

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
    # the preset the running model was built from (the link names it; the select may be ahead)
    running_preset = solara.use_reactive(initial_preset)
    compare = solara.use_reactive(isinstance(initial, StrategyComparison))
    # the A/B selects: preset names, or CUSTOM for the Strategy card's strategy
    arm_strategies = solara.use_reactive(
        arm_names(getattr(initial, "strategies", DEFAULT_COMPARISON))
    )
    error = solara.use_reactive(None)
    # why the page address was ignored: shown until the next change, never blocks Reset
    address_error = solara.use_reactive(initial_error)
    color_by = solara.use_reactive("opinion")
    selected = solara.use_reactive(cast(int | None, None))  # the inspected user
    play_interval = solara.use_reactive(DEFAULT_PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    playing = solara.use_reactive(False)
    field_revision = solara.use_reactive(0)  # bumped to redraw the number fields
    resets = solara.use_reactive(0)  # Reset clicks handled (ends the busy indicator)
    frames = solara.use_memo(lambda: {"drawn": 0}, [])
    controls = solara.use_memo(make_controls, [])
    presets = solara.use_memo(preset_registry, [])

    def revalidate(
        new_values: dict[str, Any], new_seed: str, new_compare: bool, new_arms: tuple[Any, Any]
    ) -> dict[str, Any] | None:
        """Keep valid settings for Reset, or show why they are refused."""
        try:
            kwargs = validate(new_values, new_seed, new_arms if new_compare else None)
        except (TypeError, ValueError) as e:
            error.set(f"{e}.")
            return None
        error.set(None)
        reset_kwargs.set(kwargs)
        return kwargs

    def on_param(name: str, value: Any) -> None:
        new = {**values.value, name: value}
        values.set(new)
        revalidate(new, seed_text.value, compare.value, arm_strategies.value)

    def on_error(message: str) -> None:
        error.set(f"{message}.")

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

    def on_reset() -> None:
        """Rebuild from the pending settings; refused while one of them is refused."""
        try:
            rebuild()
        finally:
            resets.set(resets.value + 1)

    def rebuild() -> None:
        address_error.set(None)
        if error.value is not None:
            return  # the message stays up and says so; the running model stays
        playing.set(False)
        try:
            new_model = build_model(reset_kwargs.value)
        except (TypeError, ValueError) as e:
            error.set(f"{e}.")
            return
        model.set(new_model)
        running_preset.set(preset.value)
        force_update()

    def back_to_running() -> None:
        """Put every control back to the running model's settings."""
        m = model.value
        values.set(values_of(m.params))
        preset.set(running_preset.value)
        seed_text.set(str(m.seed))
        compare.set(isinstance(m, StrategyComparison))
        if isinstance(m, StrategyComparison):
            arm_strategies.set(arm_names(m.strategies))
        error.set(None)
        reset_kwargs.set(build_kwargs(m))
        field_revision.set(field_revision.value + 1)  # drop refused text from the fields

    def on_loaded(m: mesa.Model) -> None:
        """Run the model loaded from a state file; the controls show its settings."""
        playing.set(False)
        model.set(m)
        running_preset.set(DEFAULTS_PRESET)  # a state file names no preset
        back_to_running()
        force_update()

    def on_compare(on: bool) -> None:
        """Compare the running model's settings at once; pending changes still wait for Reset."""
        m = model.value
        kwargs: dict[str, Any] = {"params": m.params, "seed": m.seed}
        if on:
            kwargs["strategies"] = resolve_arms(arm_strategies.value, m.params.strategy)
        try:
            new_model = build_model(kwargs)
        except (TypeError, ValueError) as e:
            error.set(f"{e}. The current model stays.")
            return
        compare.set(on)
        model.set(new_model)
        revalidate(values.value, seed_text.value, on, arm_strategies.value)

    def on_arm(i: int, name: str) -> None:
        arms = list(arm_strategies.value)
        arms[i] = name
        arm_strategies.set(tuple(arms))
        revalidate(values.value, seed_text.value, compare.value, tuple(arms))

    running_kwargs = build_kwargs(model.value)
    pending = running_kwargs != reset_kwargs.value

    solara.provide_context(FIELD_REVISION, field_revision.value)
    solara.Title("Opinion Ecology")
    solara.Style(PAGE_CSS)
    with solara.AppBar():
        solara.AppBarTitle("Opinion Ecology viewer")

    # Controls and views side by side in the main area, not in solara.Sidebar: AppLayout's
    # drawer is configured with Vuetify 2 props, and on ipyvuetify 3 it overlays the views.
    with solara.Div(classes=["oe-main"]):
        with solara.Column(classes=["oe-controls"]):
            with solara.Card("Controls", margin=0, classes=["oe-card-controls"]):
                IntervalControl("Play interval (ms)", "play_interval", play_interval)
                IntervalControl("Render interval (steps)", "render_interval", render_interval)
                Controller(
                    model, playing, play_interval, render_interval, on_reset, frames, resets.value
                )
            with solara.Card("Scenario", margin=0):
                if address_error.value and not error.value:
                    Message("error", address_error.value, "oe-error")
                if error.value:
                    Message(
                        "error",
                        f"{error.value} Reset is refused until this is fixed; the running "
                        "model stays.",
                        "oe-error",
                    )
                elif pending:
                    Message("info", "Changed settings apply on Reset.", "oe-pending")
                if error.value or pending:
                    solara.Button(
                        "Back to the running model",
                        text=True,
                        small=True,
                        on_click=back_to_running,
                        classes=["oe-back"],
                    )
                solara.Select(
                    "Preset",
                    values=[DEFAULTS_PRESET, *presets],
                    value=preset.value,
                    on_value=on_preset,
                    classes=["oe-preset"],
                )
                solara.InputText(
                    "Seed (integer)", value=seed_text.value, on_value=on_seed, classes=["oe-seed"]
                )
                solara.Switch(
                    label="Compare two strategies", value=compare.value, on_value=on_compare
                )
                solara.Text(
                    "The switch compares the running model's settings at once; other changes "
                    "apply on Reset.",
                    style={"font-size": "0.8em", "color": "#555"},
                )
                if compare.value:
                    for i, arm in enumerate("AB"):
                        solara.Select(
                            f"Strategy {arm}",
                            values=[*STRATEGY_PRESETS, CUSTOM],
                            value=arm_strategies.value[i],
                            on_value=lambda v, i=i: on_arm(i, v),
                            classes=[f"oe-arm-{arm.lower()}"],
                        )
                    solara.Text(
                        f"{CUSTOM} is the strategy set in the Strategy card below.",
                        style={"font-size": "0.8em", "color": "#555"},
                    )
            with solara.Card("Strategy", margin=0, classes=["oe-card-strategy"]):
                StrategyPanel(controls.get("strategy", []), values.value, on_param, on_error)
            with solara.Card("Parameters", margin=0):
                for group, group_controls in controls.items():
                    if group != "strategy":
                        GroupControls(group, group_controls, values.value, on_param, on_error)
            with solara.Card("Share and export", margin=0, classes=["oe-card-export"]):
                ScenarioLink(running_kwargs, running_preset.value)
                Exports(model.value, color_by.value, running_preset.value)
            with solara.Card("Save and load state", margin=0, classes=["oe-card-state"]):
                StatePanel(model.value, running_preset.value, on_loaded, playing.value)
            with solara.Card("Run this as a batch", margin=0, classes=["oe-card-batch"]):
                BatchPanel(model.value, running_preset.value)
            with solara.Card("Inspect a user", margin=0, classes=["oe-card-inspect"]):
                Inspector(model.value, playing.value, selected)
        with solara.Column(classes=["oe-views"]):
            Views(model.value, color_by, frames, selected)


@solara.component
def StrategyPanel(
    controls: list[Control],
    values: dict[str, Any],
    on_param: Callable[[str, Any], None],
    on_error: Callable[[str], None],
) -> None:
    """The strategy preset, and its switches: changing one edits a custom strategy."""
    for c in controls:
        ParamControl(c, values[c.name], on_param, on_error)
    strategy = values["strategy"]
    s = strategy if isinstance(strategy, Strategy) else STRATEGY_PRESETS.get(strategy)
    if s is not None:
        StrategyControls(s, on_param, on_error)
