"""The viewer in a real browser, offline: ``solara run app.py`` driven by Playwright + Chromium.

Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/run``) runs headless against a
Solara server on a free loopback port. Every request to an address other than the loopback is
aborted and recorded, so the test proves that the page loads and draws every view with no
outside address reachable (docs/viewer.md, Works offline). It clicks Step three times, checks that the step
counter and the plots changed, switches to comparison mode, and saves screenshots under
``test-output/``; with ``UPDATE_DOCS_SCREENSHOTS=1`` it also copies them to ``docs/figures/``
for docs/viewer.md.

Skipped only when chromium is missing outside CI; under CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import OUT, ROOT

FIGURES = ROOT / "docs" / "figures"
VIEWS = ("network", "timeseries", "opinions", "ccdf")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _counter(page, k: int) -> None:
    page.locator(".oe-step-counter", has_text=f"Step {k}").first.wait_for()


def _view_png(page, name: str) -> bytes:
    img = page.locator(f"img.oe-view-{name}").first
    img.wait_for()
    return img.screenshot()


def _drawn(page, name: str) -> bool:
    js = "e => e.complete && e.naturalWidth > 100 && e.naturalHeight > 100"
    return page.locator(f"img.oe-view-{name}").first.evaluate(js)


def _save(page, name: str) -> Path:
    path = OUT / f"viewer_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, FIGURES / path.name)
    return path


def test_step_three_times_offline(server, browser_page):
    page, blocked = browser_page
    page.goto(server)
    _counter(page, 0)
    for view in VIEWS:
        assert _drawn(page, view), f"view {view} did not draw"
    before = {v: _view_png(page, v) for v in ("network", "timeseries")}

    step = page.get_by_role("button", name="Step", exact=True)
    for k in (1, 2, 3):
        step.click()
        _counter(page, k)
    page.wait_for_timeout(500)  # let the last images arrive

    assert page.locator(".oe-step-counter").first.inner_text().strip() == "Step 3"
    for view in VIEWS:
        assert _drawn(page, view), f"view {view} did not draw after stepping"
    for view, png in before.items():
        assert _view_png(page, view) != png, f"{view} did not change after three steps"
    assert "post00" in page.locator(".oe-measures").inner_text()
    shot = _save(page, "single")
    assert shot.stat().st_size > 50_000

    # comparison mode: two arms in lockstep, both networks drawn
    page.get_by_label("Compare two strategies").check()
    page.locator("img.oe-view-network-b").first.wait_for()
    _counter(page, 0)
    for k in (1, 2, 3):
        step.click()
        _counter(page, k)
    page.wait_for_timeout(500)
    for view in ("network-a", "network-b", "timeseries", "opinions", "ccdf"):
        assert _drawn(page, view), f"view {view} did not draw in comparison mode"
    assert "B - A" in page.locator(".oe-measures").inner_text()
    page.set_viewport_size({"width": 1600, "height": 2300})  # the whole comparison, table included
    page.wait_for_timeout(500)
    _save(page, "compare")

    assert blocked == [], f"the page asked for outside addresses: {blocked}"


def test_page_address_opens_that_model(server, browser_page):
    """``?n_users=600&compare=1`` opens a 600-user comparison; a bad key shows why, inline."""
    page, blocked = browser_page
    page.goto(server + "?n_users=600&seed=9&compare=1")
    _counter(page, 0)
    page.locator("img.oe-view-network-b").first.wait_for()
    assert page.get_by_text("n_users = 600").count() == 1
    assert page.get_by_label("Compare two strategies").is_checked()

    page.goto(server + "?n_user=600")
    _counter(page, 0)
    alert = page.locator(".oe-error").first
    alert.wait_for()
    assert "did you mean 'n_users'" in alert.inner_text()
    assert page.get_by_text("n_users = 2000").count() == 1  # the defaults are shown
    assert blocked == [], f"the page asked for outside addresses: {blocked}"
