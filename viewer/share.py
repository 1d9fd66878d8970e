"""The link to the running model: :func:`ShareLink`, an absolute address with a copy button.

The server does not know the address the browser reached it by (a proxy, a port forward), so
the browser writes the link: its own origin and path, and the query the server computes
(:func:`viewer.settings.query_of`). The copy button puts the link on the clipboard; clicking the
link copies it as well instead of following it, since following it would reload the page and
drop the running model (a right click still offers to copy or open it).
"""

from __future__ import annotations

import ipyvuetify as vy
import solara
import traitlets

#: The link and its copy button (the clipboard API where the page is a secure context, as
#: loopback is; else a selected text area and the older copy command).
TEMPLATE = """
<template>
  <div class="oe-share">
    <div style="font-size: 0.85em; word-break: break-all">
      <a class="oe-link" :href="url()" @click.prevent="copy"
         title="Copies the link (opening it would reload the page)">{{ url() }}</a>
    </div>
    <v-btn class="oe-copy-link" size="small" variant="tonal" color="primary"
           prepend-icon="mdi-content-copy" @click="copy">
      {{ copied === url() ? 'Copied' : 'Copy link' }}
    </v-btn>
  </div>
</template>
<script>
module.exports = {
  methods: {
    url() {
      const here = window.location.origin + window.location.pathname;
      return this.query ? here + '?' + this.query : here;
    },
    copy() {
      const text = this.url();
      const done = () => { this.copied = text; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
        return;
      }
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      document.body.removeChild(area);
      done();
    }
  }
}
</script>
"""


class ShareWidget(vy.VuetifyTemplate):  # type: ignore[misc]
    """The browser side of :func:`ShareLink`."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    query = traitlets.Unicode().tag(sync=True)
    #: The link last copied (the button says "Copied" while it is the current link).
    copied = traitlets.Unicode().tag(sync=True)


@solara.component
def ShareLink(query: str) -> None:
    """The page's absolute address with ``query`` (a link that copies itself) and a copy
    button."""
    solara.Text("Link to the running model (to share or bookmark):")
    ShareWidget.element(query=query)
