"""A download button that works with ipyvuetify 3: :func:`DownloadButton`.

``solara.FileDownload`` wraps its button in a Vue template that draws the button as a child
widget (``<jupyter-widget>``). With ipyvuetify 3 (Vue 3), as the viewer runs, that component
is not registered inside the template: the browser logs ``Failed to resolve component:
jupyter-widget``, the container is 0x0 px and no button is drawn. Here the template draws the
button itself (Vuetify's ``v-btn``), so no child widget is needed; the rest works as
``FileDownload`` does: a click asks the server for the bytes, which are computed only then
(in a thread), sent once, and saved by the browser as ``filename``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

import ipyvuetify as vy
import solara
import traitlets

#: The button and, once ``bytes`` arrive after a click, the browser's save of them as a file.
TEMPLATE = """
<template>
  <v-btn :class="['oe-download', css_class]" size="small" variant="tonal" color="primary"
         :loading="busy" prepend-icon="mdi-download" @click="request_download = true">
    {{ label }}
  </v-btn>
</template>
<script>
module.exports = {
  watch: {
    bytes(value) {
      if (this.request_download && value) {
        const a = document.createElement('a');
        a.download = this.filename;
        const url = window.URL.createObjectURL(new Blob([value], {type: this.mime_type}));
        a.href = url;
        document.body.appendChild(a);
        a.click();
        document.body.removeChild(a);
        setTimeout(() => window.URL.revokeObjectURL(url), 1000);
        this.request_download = false;
      }
    }
  }
}
</script>
"""


class DownloadWidget(vy.VuetifyTemplate):  # type: ignore[misc]
    """The browser side of :func:`DownloadButton`."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    label = traitlets.Unicode().tag(sync=True)
    css_class = traitlets.Unicode().tag(sync=True)
    filename = traitlets.Unicode().tag(sync=True)
    mime_type = traitlets.Unicode("application/octet-stream").tag(sync=True)
    bytes = traitlets.Bytes(None, allow_none=True).tag(sync=True)
    request_download = traitlets.Bool(False).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)


def css_class_of(label: str) -> str:
    """The button's CSS class: ``oe-download-`` and its label in letters, digits and -."""
    return "oe-download-" + re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower()


@solara.component
def DownloadButton(
    data: Callable[[], bytes | str],
    filename: str | Callable[[], str],
    label: str,
    mime_type: str = "application/octet-stream",
) -> None:
    """A button that downloads ``data()`` as ``filename``; ``data`` runs only when clicked.

    Args:
        data: What to save; a ``str`` is encoded as UTF-8. Called in a thread on each click,
            so the file holds the model's state at the click.
        filename: The name the browser saves the file under, or a function that gives it at
            the click (a name that says the step saved).
        label: The button's text (its CSS class is ``oe-download-`` and the label).
        mime_type: The file's type.

    If ``data`` fails, an inline message says why (the page stays up).
    """
    requested, set_requested = solara.use_state(False)

    def fetch() -> tuple[str, bytes] | None:
        if not requested:
            return None
        name = filename() if callable(filename) else filename
        content = data()
        return name, content.encode() if isinstance(content, str) else content

    result = solara.use_thread(fetch, dependencies=[requested])
    done = result.state == solara.ResultState.FINISHED and result.value is not None
    saved = cast(tuple[str, bytes], result.value) if done else None
    shown = saved[0] if saved else (filename if isinstance(filename, str) else "")
    DownloadWidget.element(
        label=label,
        css_class=css_class_of(label),
        filename=shown,
        mime_type=mime_type,
        bytes=saved[1] if saved else None,
        request_download=requested,
        on_request_download=set_requested,
        busy=result.state == solara.ResultState.RUNNING,
    )
    if result.state == solara.ResultState.ERROR:
        solara.v.Alert(
            type="error",
            variant="tonal",
            density="compact",
            children=[f"{shown or label} could not be written: {result.error}"],
            class_="oe-download-error",
        )
