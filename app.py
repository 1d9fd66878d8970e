"""The entry of the Solara viewer: ``solara run app.py`` serves :func:`viewer.page.Page`.

Run it with ``make app`` (``solara run app.py --host 127.0.0.1 --port 8765``) and open the page.
The viewer lives in the :mod:`viewer` package; docs/viewer.md tours it.
"""

from viewer.page import Page

#: What ``solara run app.py`` serves.
page = Page

__all__ = ["Page", "page"]
