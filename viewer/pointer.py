"""Pointing at the drawn views: click a node to inspect its user, hover for read-outs.

The views are PNGs drawn on the server (docs/viewer.md, "Works offline"), so the browser
knows nothing of what is drawn where. :func:`PointerImage` lays a transparent pad over a
view's image that sends the pointer's position back to the server in the PNG's own pixels
(the image may be shown shrunk on a narrow screen), and the server maps it through the
figure's transform as drawn at the last frame: to the nearest node of the network view
(:meth:`viewer.network_view.NetworkView.node_at`) or to the step and the values under the
pointer in the time series (:meth:`viewer.charts.TimeseriesView.readout`; the other charts
have read-outs too). Hover positions
are sent at most every :data:`HOVER_MS` milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipyvuetify as vy
import mesa
import solara
import traitlets

from model.measures import COHORTS
from viewer.arms import arms_of
from viewer.render import live_views

#: Least time between two hover positions sent to the server (ms).
HOVER_MS = 50

#: The pad: as large as the image under it (the box around both is as large as the image).
#: ``clicked`` and ``hovered`` are the pointer's position in the PNG's pixels; ``clicked``
#: carries a count so that two clicks at one place are two changes.
TEMPLATE = """
<template>
  <div :class="['oe-pointer', css_class]"
       :style="{position: 'absolute', left: 0, top: 0, width: '100%', height: '100%',
                cursor: cursor}"
       @click="click" @mousemove="move" @mouseleave="leave"></div>
</template>
<script>
module.exports = {
  methods: {
    at(e) {
      const r = this.$el.getBoundingClientRect();
      return {x: (e.clientX - r.left) * this.width / r.width,
              y: (e.clientY - r.top) * this.height / r.height};
    },
    click(e) {
      const n = (this.clicked && this.clicked.n) || 0;
      this.clicked = Object.assign(this.at(e), {n: n + 1});
    },
    move(e) {
      const el = this.$el;
      el._oePending = this.at(e);
      if (el._oeTimer) return;
      el._oeTimer = setTimeout(() => {
        el._oeTimer = null;
        if (el._oePending) this.hovered = el._oePending;
      }, this.hover_ms);
    },
    leave() {
      this.$el._oePending = null;
      this.hovered = null;
    }
  }
}
</script>
"""


class PointerPad(vy.VuetifyTemplate):  # type: ignore[misc]
    """The browser side of :func:`PointerImage`."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    css_class = traitlets.Unicode().tag(sync=True)
    cursor = traitlets.Unicode("crosshair").tag(sync=True)
    width = traitlets.Int(1).tag(sync=True)
    height = traitlets.Int(1).tag(sync=True)
    hover_ms = traitlets.Int(HOVER_MS).tag(sync=True)
    clicked = traitlets.Dict(None, allow_none=True).tag(sync=True)
    hovered = traitlets.Dict(None, allow_none=True).tag(sync=True)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


@solara.component
def PointerImage(
    png: bytes,
    name: str,
    on_click: Callable[[float, float], None] | None = None,
    readout: Callable[[float, float], str | None] | None = None,
    hint: str = "",
) -> None:
    """View ``name``'s PNG under a pad that reports clicks (``on_click(x, y)``) and shows,
    in a line under the image, ``readout(x, y)`` for the pointer's position (``hint`` while
    the pointer is elsewhere or the read-out is None). ``x`` and ``y`` are pixels of the PNG.

    The read-out is computed again at each frame, so it follows a running model while the
    pointer rests.
    """
    hover, set_hover = solara.use_state(None)
    width, height = png_size(png)
    with solara.Div(
        classes=["oe-pointer-box"],
        style={"position": "relative", "width": "fit-content", "max-width": "100%"},
    ):
        solara.Image(png, classes=["oe-view", f"oe-view-{name}"])
        PointerPad.element(
            css_class=f"oe-pointer-{name}",
            cursor="pointer" if on_click is not None else "crosshair",
            width=width,
            height=height,
            on_clicked=lambda d: on_click(d["x"], d["y"]) if on_click and d else None,
            on_hovered=set_hover,
        )
    if readout is not None:
        text = readout(hover["x"], hover["y"]) if hover else None
        solara.Text(
            text or hint,
            classes=["oe-readout", f"oe-readout-{name}"],
            style={"font-size": "0.85em", "color": "#333", "min-height": "1.4em"},
        )


#: The charts with a hover read-out, and the line under each while the pointer is elsewhere.
READOUT_HINTS = {
    "timeseries": "Point at a panel to read its values at a step.",
    "opinions": "Point at a bin to read each generation's density.",
    "ccdf": "Point at a cascade size to read P(S >= s).",
    "topics": "Point at a curve to read its values at a step.",
}


def chart_readout(model: mesa.Model, key: str) -> Callable[[float, float], str | None]:
    """Chart ``key``'s read-out (one of :data:`READOUT_HINTS`) at a pixel of its PNG, for
    ``model``, as the chart was last drawn.

    Raises:
        ValueError: An unknown chart.
    """
    if key not in READOUT_HINTS:
        raise ValueError(f"chart {key!r} is not allowed; use one of {list(READOUT_HINTS)}")

    def read(x: float, y: float) -> str | None:
        live = live_views(model)
        with live.lock:
            view: Any = live.topics if key == "topics" else getattr(live, key)
            return None if view is None else view.readout(x, y)

    return read


def user_at(model: mesa.Model, label: str, x: float, y: float) -> int | None:
    """The user whose node is at pixel (``x``, ``y``) of arm ``label``'s network PNG, or None."""
    live = live_views(model)
    with live.lock:
        view = live.network.get(label)
        return None if view is None else view.node_at(x, y)


def user_line(model: mesa.Model, label: str, user: int) -> str | None:
    """A short line on ``user`` in arm ``label``: generation, opinion, trust, belonging (None
    when the model has no such user, after a Reset to fewer users). Read from the state alone
    (not :func:`viewer.exports.user_record`, which reads the view log), since it is drawn at
    every frame."""
    s = arms_of(model)[label].state
    if not 0 <= user < len(s.opinion):
        return None
    return (
        f"user {user} ({COHORTS[int(s.gen[user])]}): opinion {float(s.opinion[user]):.3f}, "
        f"trust {float(s.trust_media[user, 0]):.3f}, belonging "
        f"{float(s.belonging[user, 0]):.3f}"
    )


def network_readout(
    model: mesa.Model, label: str, selected: int | None
) -> Callable[[float, float], str | None]:
    """The network view's read-out: the user under the pointer (None between nodes)."""

    def read(x: float, y: float) -> str | None:
        user = user_at(model, label, x, y)
        line = None if user is None else user_line(model, label, user)
        if line is None:
            return None
        return line + ("; selected" if user == selected else "")

    return read


def network_hint(model: mesa.Model, label: str, selected: int | None) -> str:
    """The network view's line while the pointer is not on a node."""
    line = None if selected is None else user_line(model, label, selected)
    if line is None:
        return "Click a node to inspect that user (Inspect a user shows the record)."
    return f"Selected: {line}. Inspect a user shows the full record."
