"""The viewer in a real browser, offline: ``solara run app.py`` driven by Playwright + Chromium.

Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/run``) runs headless against a
Solara server on a free loopback port. Every request to an address other than the loopback is
aborted and recorded, so the test proves that the page loads and draws every view with no
outside address reachable (issue 5, point 7). It clicks Step three times, checks that the step
counter and the plots changed, switches to comparison mode, and saves screenshots under
``test-output/``; with ``UPDATE_DOCS_SCREENSHOTS=1`` it also copies them to ``docs/figures/``
for docs/viewer.md.

Skipped only when chromium is missing outside CI; under CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-output"
FIGURES = ROOT / "docs" / "figures"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWS = ("network", "timeseries", "opinions", "ccdf")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``solara run app.py`` on a free loopback port; yields its URL, stops it afterwards."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    OUT.mkdir(exist_ok=True)
    port = _free_port()
    solara_bin = Path(sys.executable).with_name("solara")
    cmd = [str(solara_bin), "run", "app.py", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--production", "--no-open"]
    log = (OUT / "solara-server.log").open("w")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"solara exited with {proc.returncode}; see {OUT / 'solara-server.log'}"
                )
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"solara did not answer on {url} within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def browser_page(server):
    """A fresh headless chromium page that may only reach the loopback; yields (page, blocked)."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1750},
        )
        try:
            ctx.route("**/*", guard)
            page = ctx.new_page()
            page.set_default_timeout(120_000)
            yield page, blocked
        finally:
            ctx.close()


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
