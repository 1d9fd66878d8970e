"""A busy indicator that appears in the browser the moment Reset or Step is clicked.

A click's handler runs on the server, and the page hears nothing until it returns: Reset at
100,000 users builds for seconds with nothing on screen. :func:`BusyIndicator` is drawn by the
browser itself: its template listens for clicks on buttons with the class ``oe-run-button``
and shows a progress bar at once; the server ends it by changing ``tick`` once the work is
done (the page passes a value that changes with every Step, Reset or refusal).
"""

from __future__ import annotations

import ipyvuetify as vy
import solara
import traitlets

#: The class of the buttons whose clicks show the indicator.
RUN_BUTTON = "oe-run-button"

TEMPLATE = """
<template>
  <div v-if="busy" class="oe-busy" role="status">
    <v-progress-linear indeterminate color="primary"></v-progress-linear>
    <span style="font-size: 0.85em; color: #555">Working on the server&hellip;</span>
  </div>
</template>
<script>
module.exports = {
  mounted() {
    this.listener = (e) => {
      const button = e.target.closest && e.target.closest('.RUN_BUTTON');
      if (button && !button.disabled) {
        this.busy = true;
      }
    };
    document.addEventListener('click', this.listener, true);
  },
  beforeUnmount() {
    document.removeEventListener('click', this.listener, true);
  },
  watch: {
    tick() {
      this.busy = false;
    }
  }
}
</script>
""".replace("RUN_BUTTON", RUN_BUTTON)


class BusyWidget(vy.VuetifyTemplate):  # type: ignore[misc]
    """The browser side of :func:`BusyIndicator`."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    tick = traitlets.Unicode("").tag(sync=True)


@solara.component
def BusyIndicator(tick: str) -> None:
    """A progress bar from a click on an ``oe-run-button`` until ``tick`` changes."""
    BusyWidget.element(tick=tick)
