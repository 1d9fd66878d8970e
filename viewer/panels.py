"""The page's panels: the Step/Play/Reset controller, intervals, link, exports, inspector.

:func:`Controller` loops Play as Mesa's ``ModelController`` does, on the page's own
``playing`` state (its docstring says why); :func:`ScenarioLink`, :func:`Exports` and
:func:`Inspector` are the "Share and export" and "Inspect a user" cards of
:func:`viewer.page.Page`.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import mesa
import solara
from mesa.visualization.utils import force_update, update_counter

from viewer.arms import arms_of, build_kwargs
from viewer.busy import RUN_BUTTON, BusyIndicator
from viewer.controls import NumberField
from viewer.download import DownloadButton
from viewer.exports import csv_bytes, export_name, parquet_bytes, spec_toml, user_record
from viewer.render import figure_file
from viewer.settings import DEFAULTS_PRESET, query_of
from viewer.share import ShareLink
from viewer.video import run_gif

#: Default pause between Play ticks (ms); Mesa's own default is 100.
DEFAULT_PLAY_INTERVAL_MS = 20


@solara.component
def Message(kind: str, text: str, css_class: str) -> None:
    """An inline alert (solara.Error/Info pass Vuetify 2 props that ipyvuetify 3 refuses)."""
    solara.v.Alert(type=kind, variant="tonal", density="compact", children=[text], class_=css_class)


#: Longest wait of Play for the page to draw a frame (s), so a stuck render cannot stop it.
#: Long: on a loaded machine building and drawing a 2,000-user comparison took more than 5 s,
#: and a loop that stepped on after a shorter wait restarted that render until solara gave up
#: ("Too many renders triggered"); Play only slows while the page draws.
FRAME_WAIT_S = 30.0
#: The play and render interval controls: their metadata in the format of ``Params.spec()``.
INTERVALS = {
    "play_interval": {"default": DEFAULT_PLAY_INTERVAL_MS, "lo": 1, "hi": 500, "kind": int},
    "render_interval": {"default": 1, "lo": 1, "hi": 100, "kind": int},
}


@solara.component
def IntervalControl(label: str, name: str, value: solara.Reactive[int]) -> None:
    """A slider and a number field for the play or render interval, showing its value.

    A typo shows its message under the field: the intervals are no model setting, so they
    never block Reset (the model's refusals, in the Scenario card, do).
    """
    meta = {**INTERVALS[name], "choices": None, "doc": label}
    problem, set_problem = solara.use_state(cast(str | None, None))

    def set_value(_: str, v: Any) -> None:
        if meta["lo"] <= v <= meta["hi"]:
            value.set(int(v))
            set_problem(None)
        else:
            set_problem(f"{name}={v!r} is out of range [{meta['lo']}, {meta['hi']}]")

    with solara.Row(
        gap="6px", style={"align-items": "center", "flex-wrap": "nowrap"}, classes=["oe-interval"]
    ):
        with solara.Column(
            gap="0px", style={"flex": "1 1 0", "min-width": "0"}, classes=["oe-slider"]
        ):
            solara.SliderInt(f"{label}: {value.value}", value=value, min=meta["lo"], max=meta["hi"])
        NumberField(name, meta, value.value, set_value, set_problem)
    if problem:
        Message(
            "error", f"{problem}; the interval stays {value.value}.", f"oe-interval-error-{name}"
        )


@solara.component
def Controller(
    model: solara.Reactive[mesa.Model],
    playing: solara.Reactive[bool],
    play_interval: solara.Reactive[int],
    render_interval: solara.Reactive[int],
    on_reset: Callable[[], None],
    frames: dict[str, int] | None = None,
    resets: int = 0,
) -> None:
    """Reset, Play/Pause and Step, as Mesa's ``ModelController`` draws them.

    The same loop as Mesa's (a thread that sleeps the play interval, steps the render interval
    and bumps Mesa's ``update_counter``), with two differences the page needs: ``playing``
    belongs to the page, and the loop steps whatever model the page holds at each tick, so a
    new model (the comparison switch) is played on without a second loop, and the loop waits
    until the page has drawn its last frame (``frames["drawn"]``, set by :func:`Views`)
    before it steps again. Normally the frame is drawn inside ``force_update`` in the loop's
    own thread, so the wait costs nothing. But when the page renders in another thread (the
    comparison switch builds and draws a new model there), a loop that kept stepping bumped
    the counter faster than that render could finish: the render started over and over, the
    page kept showing the old model while the comparison ran unseen, and solara gave up with
    "Too many renders triggered". Mesa's controller, keyed to its model, also left its old
    thread stepping. A loop that finds a newer loop started (Play pressed again) ends.

    A click on Reset or Step shows a busy indicator in the browser at once
    (:func:`viewer.busy.BusyIndicator`); it goes when the step counter's tick, the model or
    ``resets`` (the page's count of Reset clicks handled, refused ones included) changes.
    """
    update_counter.get()
    loops = solara.use_memo(lambda: {"current": 0, "lock": threading.Lock()}, [])
    # "Run to step": the step Play stops at (None: Play runs until paused or the horizon)
    run_to = solara.use_reactive(cast(int | None, None))
    run_to_text, set_run_to_text = solara.use_state("")
    run_to_problem, set_run_to_problem = solara.use_state(cast(str | None, None))

    def loop() -> None:
        if not playing.value:
            return
        with loops["lock"]:
            loops["current"] += 1
            mine = loops["current"]
        while playing.value and loops["current"] == mine:
            time.sleep(play_interval.value / 1000)
            m = model.value
            target = run_to.value
            if not m.running or (target is not None and m.steps >= target):
                playing.set(False)
                run_to.set(None)
                force_update()
                return
            for _ in range(render_interval.value):
                m.step()
                if not (playing.value and m.running) or model.value is not m:
                    break
                if target is not None and m.steps >= target:
                    break
            force_update()
            wait_for_frame()

    def wait_for_frame() -> None:
        """Until the page has drawn the last tick (or Play stops, or a few seconds pass)."""
        if frames is None:
            return
        target, deadline = update_counter.value, time.monotonic() + FRAME_WAIT_S
        while frames["drawn"] < target and playing.value and time.monotonic() < deadline:
            time.sleep(0.002)

    solara.lab.use_task(loop, dependencies=[playing.value], prefer_threaded=True)

    def step() -> None:
        m = model.value
        for _ in range(render_interval.value):
            if not m.running:
                break
            m.step()
        force_update()

    def start_run_to() -> None:
        """Play until the step typed (drawn every render interval), then pause."""
        m = model.value
        try:
            target = parse_run_to(run_to_text, int(m.steps), horizon_of(m))
        except ValueError as e:
            set_run_to_problem(str(e))
            return
        set_run_to_problem(None)
        run_to.set(target)
        playing.set(True)

    def pause() -> None:
        run_to.set(None)
        playing.set(not playing.value)

    running = model.value.running
    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=on_reset, classes=[RUN_BUTTON])
        solara.Button(
            label="❚❚" if playing.value else "▶",
            color="primary",
            on_click=pause,
            disabled=not running and not playing.value,
        )
        solara.Button(
            label="Step",
            color="primary",
            on_click=step,
            disabled=playing.value or not running,
            classes=[RUN_BUTTON],
        )
    BusyIndicator(f"{update_counter.value}-{id(model.value)}-{resets}")
    with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "nowrap"}):
        solara.InputText(
            "Run to step",
            value=run_to_text,
            on_value=lambda t: set_run_to_text(t or ""),
            continuous_update=True,
            classes=["oe-run-to"],
        )
        solara.Button(
            label="Run to",
            color="primary",
            on_click=start_run_to,
            disabled=playing.value or not running,
            classes=["oe-run-to-button"],
        )
    if run_to_problem:
        Message("error", f"{run_to_problem}.", "oe-run-to-error")
    HorizonBar(int(model.value.steps), horizon_of(model.value), run_to.value)


def horizon_of(m: mesa.Model) -> int:
    """The model's horizon: the step its run stops at (``Params.steps``)."""
    return int(m.params.steps)


def parse_run_to(text: str, now: int, horizon: int) -> int:
    """The step typed into "Run to step": a whole number after ``now``, at most ``horizon``.

    Raises:
        ValueError: Anything else, saying what is allowed.
    """
    allowed = f"use a whole number from {now + 1} to the horizon, {horizon}"
    try:
        target = int(text.strip())
    except ValueError:
        raise ValueError(f"run to step {text.strip()!r} is not allowed; {allowed}") from None
    if not now < target <= horizon:
        raise ValueError(f"run to step {target} is not allowed; {allowed}")
    return target


@solara.component
def HorizonBar(step: int, horizon: int, target: int | None = None) -> None:
    """A bar of the run's progress toward its horizon, and the step it runs to, if any."""
    share = min(step / horizon, 1.0) if horizon > 0 else 1.0
    goal = f"; running to step {target}" if target is not None else ""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'<div role="progressbar" aria-valuemin="0" aria-valuemax="{horizon}" '
            f'aria-valuenow="{step}" style="height: 6px; background: #e0e0e0; '
            f'border-radius: 3px"><div style="height: 6px; width: {100 * share:.1f}%; '
            f'background: #1976d2; border-radius: 3px"></div></div>'
            f'<span class="oe-horizon-text" style="font-size: 0.85em; color: #555">'
            f"Step {step} of {horizon} ({100 * share:.0f}% of the horizon){goal}</span>"
        ),
        classes=["oe-horizon"],
    )


@solara.component
def ScenarioLink(kwargs: dict[str, Any], preset: str = DEFAULTS_PRESET) -> None:
    """A link to the running model: the page's absolute address with the preset it was built
    from and every setting that differs from it, and a copy button."""
    ShareLink(query_of(kwargs, preset))


@solara.component
def Exports(model: mesa.Model, color_by: str, preset: str = DEFAULTS_PRESET) -> None:
    """Downloads of the running model: time series (with provenance), figures (PNG as shown,
    SVG and PDF for print) and an experiment spec, each named by preset, seed and step."""

    def name(what: str, ext: str) -> Callable[[], str]:
        return lambda: export_name(model, what, ext, preset)

    def figure(key: str, fmt: str) -> Callable[[], bytes]:
        return lambda: figure_file(model, key, fmt, color_by)

    solara.Text("Time series of every step measure (with seed, parameters and code version):")
    with solara.Row(style={"flex-wrap": "wrap"}):
        DownloadButton(
            lambda: csv_bytes(model, preset), name("timeseries", "csv"), "CSV", "text/csv"
        )
        DownloadButton(
            lambda: parquet_bytes(model, preset), name("timeseries", "parquet"), "Parquet"
        )
    solara.Text(
        "Figures (PNG as shown; SVG and PDF for print; GIF: the run so far, replayed from "
        "its seed):"
    )
    arms = list(arms_of(model))
    keys = [f"network:{label}" for label in arms] + ["timeseries", "opinions", "ccdf"]
    for key in keys:
        view = key.replace("network:", "network-").replace(": ", "-").replace(" ", "_")
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            DownloadButton(figure(key, "png"), name(view, "png"), view, "image/png")
            DownloadButton(figure(key, "svg"), name(view, "svg"), f"{view} SVG", "image/svg+xml")
            DownloadButton(figure(key, "pdf"), name(view, "pdf"), f"{view} PDF", "application/pdf")
            DownloadButton(
                lambda key=key: run_gif(model, key, color_by),
                name(view, "gif"),
                f"{view} GIF",
                "image/gif",
            )
    solara.Text("Experiment spec of this setting (run it with python -m experiments run):")
    DownloadButton(lambda: spec_toml(build_kwargs(model)), name("spec", "toml"), "spec TOML")


@solara.component
def Inspector(
    model: mesa.Model,
    playing: bool = False,
    selected: solara.Reactive[int | None] | None = None,
) -> None:
    """One user's state and recent views, stamped with the step they show.

    The record follows the model: it is read again after each Step and Reset (not every
    frame of Play, when the view log may be long: it says so and refreshes on pause). The
    user is typed here or picked by a click on its node in the network view: both set
    ``selected``, which the page shares with the views (the selected node is ringed).
    """
    update_counter.get()
    arms = arms_of(model)
    own = solara.use_reactive(cast(int | None, None))
    chosen = selected if selected is not None else own
    user = chosen.value
    user_text, set_user_text = solara.use_state("0")
    problem, set_problem = solara.use_state(cast(str | None, None))
    steps = model.steps

    def show_clicked() -> None:
        """A user picked in the network view: the field shows its id, the message goes."""
        if user is not None:
            set_user_text(str(user))
            set_problem(None)

    solara.use_effect(show_clicked, [user])

    def read() -> tuple[int, dict[str, dict[str, Any]]] | str | None:
        if user is None:
            return None
        try:
            return steps, {label: user_record(m, user) for label, m in arms.items()}
        except ValueError as e:  # a Reset to fewer users
            return str(e)

    # during Play the step is left out of the dependencies, so the record waits for the pause
    shown = solara.use_memo(read, [model, user] if playing else [model, steps, user])

    def inspect(text: str | None = None) -> None:
        text = user_text if text is None else text
        set_user_text(text or "")
        try:
            u = int((text or "").strip())
            user_record(next(iter(arms.values())), u)
            chosen.set(u)
            set_problem(None)
        except ValueError as e:
            n = len(next(iter(arms.values())).state.opinion)
            set_problem(f"{e}" if "ids run" in str(e) else f"user must be an id 0-{n - 1}")

    with solara.Row(style={"align-items": "center"}):
        solara.InputText("User id", value=user_text, on_value=inspect, classes=["oe-user-id"])
        solara.Button("Inspect", on_click=inspect, classes=["oe-inspect"])
    if problem:
        Message("error", problem, "oe-inspect-error")
    if isinstance(shown, str):
        Message("error", shown, "oe-inspect-error")
    elif shown is not None:
        at, records = shown
        note = " (refreshes when paused)" if playing and at != steps else ""
        solara.Text(f"user {user} at step {at}{note}", classes=["oe-user-stamp"])
        rows = []
        for label, rec in records.items():
            views = rec["recent views"]
            view_text = ", ".join(
                f"item {v['item']} at step {v['step']} via {v['via']}" for v in views
            )
            cells = {k: v for k, v in rec.items() if k != "recent views"}
            for k, v in cells.items():
                text = f"{v:.3f}" if isinstance(v, float) else str(v)
                rows.append(f"<tr><th>{html.escape(k)}</th><td>{html.escape(text)}</td></tr>")
            rows.append(
                "<tr><th>recent views</th><td>"
                + html.escape(view_text or "none recorded (record_cascades)")
                + "</td></tr>"
            )
            if len(records) > 1:
                rows.insert(len(rows) - len(cells) - 1, f"<tr><th colspan=2>{label}</th></tr>")
        solara.HTML(
            tag="table",
            unsafe_innerHTML="".join(rows),
            classes=["oe-user"],
            style={"font-size": "12px"},
        )
