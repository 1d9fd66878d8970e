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

import ast
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.conftest import LOOPBACK, OUT, ROOT, SERVER_ENV, _free_port

FIGURES = ROOT / "docs" / "figures"
VIEWS = ("network", "timeseries", "opinions", "ccdf")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _counter(page, k: int) -> None:
    page.locator(".oe-step-counter", has_text=f"Step {k}").first.wait_for()


def _view_png(page, name: str) -> bytes:
    img = page.locator(f"img.oe-view-{name}").first
    img.wait_for()
    return img.screenshot()


#: The first element ``selector`` matches is an image that has loaded a drawing.
_DRAWN_JS = """s => { const e = document.querySelector(s);
  return !!e && e.complete && e.naturalWidth > 100 && e.naturalHeight > 100; }"""


def _wait_drawn(page, name: str, where: str) -> None:
    """Wait until view ``name`` shows a drawing. Each view is its own widget, sent apart from
    the step counter the test waited for, so it may reach the page a moment later."""
    try:
        page.wait_for_function(_DRAWN_JS, arg=f"img.oe-view-{name}")
    except PlaywrightTimeout:
        raise AssertionError(f"view {name} did not draw {where}") from None


def _wait_new_image(page, name: str, src: str) -> None:
    """Wait until view ``name`` shows a loaded image other than the one at ``src`` (each new
    frame of an image widget gets a new blob address)."""
    try:
        page.wait_for_function(
            "([s, old]) => { const e = document.querySelector(s);"
            " return !!e && e.getAttribute('src') !== old && e.complete && e.naturalWidth > 100; }",
            arg=[f"img.oe-view-{name}", src],
        )
    except PlaywrightTimeout:
        raise AssertionError(f"view {name} never showed a new image") from None


def _number(page, name: str):
    """The number field of control ``name``."""
    return page.locator(f".oe-number-{name} input").first


def _step(page) -> int:
    return int(page.locator(".oe-step-counter").first.inner_text().split()[1])


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
        _wait_drawn(page, view, "at step 0")
    before = {v: _view_png(page, v) for v in ("network", "timeseries")}
    src = {v: page.locator(f"img.oe-view-{v}").first.get_attribute("src") for v in before}

    step = page.get_by_role("button", name="Step", exact=True)
    for k in (1, 2, 3):
        step.click()
        _counter(page, k)
    page.wait_for_timeout(500)  # let the last images arrive

    assert page.locator(".oe-step-counter").first.inner_text().strip() == "Step 3"
    for view in VIEWS:
        _wait_drawn(page, view, "after stepping")
    for view, png in before.items():
        _wait_new_image(page, view, src[view])
        assert _view_png(page, view) != png, f"{view} did not change after three steps"
    expect(page.locator(".oe-measures")).to_contain_text("post00", use_inner_text=True)
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
        _wait_drawn(page, view, "in comparison mode")
    expect(page.locator(".oe-measures")).to_contain_text("B - A", use_inner_text=True)
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
    expect(_number(page, "n_users")).to_have_value("600")
    expect(page.get_by_label("Compare two strategies")).to_be_checked()

    page.goto(server + "?n_user=600")
    _counter(page, 0)
    alert = page.locator(".oe-error").first
    alert.wait_for()
    assert "did you mean 'n_users'" in alert.inner_text()
    expect(_number(page, "n_users")).to_have_value("2000")  # the defaults are shown
    # the ignored address does not block Reset: Step, then Reset starts the defaults again
    page.get_by_role("button", name="Step", exact=True).click()
    _counter(page, 1)
    page.get_by_role("button", name="Reset", exact=True).click()
    _counter(page, 0)
    page.locator(".oe-error").first.wait_for(state="detached")
    assert blocked == [], f"the page asked for outside addresses: {blocked}"


#: Screen sizes researchers use (laptop, desktop, small laptop / tablet).
SCREENS = ((1366, 768), (1920, 1080), (1024, 768))
#: Smallest on-screen scale of a view: its 10 pt (11 px) text stays at least 10 px high.
MIN_SCALE = 10 / 11

_FIT_JS = """() => {
  const doc = document.documentElement;
  const views = [...document.querySelectorAll('img.oe-view')].map(e => {
    const r = e.getBoundingClientRect();
    return {cls: e.className, left: r.left, right: r.right, width: r.width,
            natural: e.naturalWidth, complete: e.complete};
  });
  const boxes = [...document.querySelectorAll('.oe-measures, .oe-controls, .oe-views')].map(
    e => { const r = e.getBoundingClientRect(); return {cls: e.className, left: r.left,
           right: r.right}; });
  return {inner: window.innerWidth, scroll: doc.scrollWidth, body: document.body.scrollWidth,
          views, boxes};
}"""


def _check_fits(page, where: str) -> None:
    """No horizontal scrolling, every view inside the viewport, none stretched or shrunk much.

    Measured once every view has loaded its drawing (the views are widgets of their own and
    may reach the page after the step counter)."""
    page.wait_for_function(
        "() => { const vs = [...document.querySelectorAll('img.oe-view')];"
        " return vs.length > 0 && vs.every(e => e.complete && e.naturalWidth > 100); }"
    )
    fit = page.evaluate(_FIT_JS)
    width = fit["inner"]
    assert fit["scroll"] <= width and fit["body"] <= width, f"{where}: the page scrolls sideways"
    assert fit["views"], f"{where}: no views"
    for v in fit["views"]:
        assert v["complete"] and v["natural"] > 100, f"{where}: {v['cls']} not drawn"
        assert v["left"] >= 0 and v["right"] <= width + 0.5, f"{where}: {v['cls']} is cut off {v}"
        assert v["width"] <= v["natural"] + 0.5, f"{where}: {v['cls']} is stretched {v}"
        assert v["width"] >= MIN_SCALE * v["natural"], f"{where}: {v['cls']} shrunk {v}"
    for b in fit["boxes"]:
        assert b["left"] >= 0 and b["right"] <= width + 0.5, f"{where}: {b['cls']} is cut off"


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_views_fit_the_screen(server, browser_page, width, height):
    """At 1366x768 (and 1920, 1024) one model and a comparison fit the width: nothing is cut
    off, the page never scrolls sideways (the table scrolls in its own box), and every view is
    shown at its drawn size or slightly smaller, so its text stays readable."""
    page, blocked = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server + "?n_users=600")
    _counter(page, 0)
    page.get_by_role("button", name="Step", exact=True).click()
    _counter(page, 1)
    page.wait_for_timeout(300)
    _check_fits(page, f"single at {width}x{height}")
    page.get_by_label("Compare two strategies").check()
    page.locator("img.oe-view-network-b").first.wait_for()
    page.get_by_role("button", name="Step", exact=True).click()
    _counter(page, 1)
    page.wait_for_timeout(300)
    _check_fits(page, f"compare at {width}x{height}")
    table = page.locator(".oe-measures").first
    assert table.evaluate("e => e.scrollWidth") >= table.evaluate("e => e.clientWidth")
    expect(table).to_contain_text("pre80", use_inner_text=True)
    if width == 1366:
        _save(page, "compare_1366")
    assert blocked == [], f"the page asked for outside addresses: {blocked}"


def test_compare_during_play_never_freezes(server, browser_page):
    """Switching comparison on and off ten times while playing: the step counter keeps moving,
    the views follow the switch, and the server never gives up ("Too many renders")."""
    page, blocked = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    log = OUT / "solara-test_app_browser.log"
    before = log.read_text() if log.exists() else ""
    page.goto(server + "?n_users=2000")
    _counter(page, 0)
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_function(
        "() => +document.querySelector('.oe-step-counter').innerText.split(' ')[1] > 2"
    )
    switch = page.get_by_label("Compare two strategies")
    # Play waits up to 30 s for the page to draw a frame before it steps again (b5c7baa), so
    # under load a switch can take that long to show: each wait allows 45 s, and a freeze
    # (the counter stops for good, or "Too many renders") still fails
    wait_ms = 45_000
    for i in range(10):
        on = i % 2 == 0
        # a click, then a polling wait for the state: check() requires the state to change at
        # once, and the server, busy with Play, may redraw the switch a moment later
        switch.click()
        expect(switch).to_be_checked(checked=on, timeout=wait_ms)
        b = page.locator("img.oe-view-network-b")
        if on:
            b.first.wait_for(timeout=wait_ms)
        else:
            b.first.wait_for(state="detached", timeout=wait_ms)
        start = _step(page)
        page.wait_for_function(
            f"() => +document.querySelector('.oe-step-counter').innerText.split(' ')[1] > {start}",
            timeout=wait_ms,
        )
        expect(page.get_by_label("Compare two strategies")).to_be_checked(checked=on)
    page.get_by_role("button", name="❚❚", exact=True).click()
    after = log.read_text()[len(before) :] if log.exists() else ""
    assert "Too many renders" not in after and "Traceback" not in after, after[-2000:]
    assert blocked == [], f"the page asked for outside addresses: {blocked}"


_AUDIT = """
import os, sys
_log = open(os.environ["OE_NET_LOG"], "a")
def _hook(event, args):
    if event in ("socket.connect", "socket.bind"):
        _log.write(f"{event[7:]} {args[1]!r}\\n")
        _log.flush()
    elif event == "socket.getaddrinfo":
        _log.write(f"getaddrinfo {args[0]!r}\\n")
        _log.flush()
sys.addaudithook(_hook)
"""


def test_server_makes_no_outside_request(browser_page, tmp_path):
    """The server started as `make app` starts it (no version check, no telemetry) looks up
    and connects to no address but the loopback, while a page loads and steps. Python's audit
    hooks (``socket.getaddrinfo``, ``socket.connect``) record what the server process asks for.
    """
    page, blocked = browser_page
    (tmp_path / "sitecustomize.py").write_text(_AUDIT)
    net_log = tmp_path / "net.log"
    port = _free_port()
    solara_bin = Path(sys.executable).with_name("solara")
    cmd = [str(solara_bin), "run", "app.py", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--production", "--no-open", "--no-check-version"]
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, **SERVER_ENV, "PYTHONPATH": path, "OE_NET_LOG": str(net_log)}
    with (tmp_path / "server.log").open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.5)
        page.goto(url + "?n_users=300")
        _counter(page, 0)
        page.get_by_role("button", name="Step", exact=True).click()
        _counter(page, 1)
        page.wait_for_timeout(1000)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lines = net_log.read_text().splitlines() if net_log.exists() else []
    assert any(line.startswith("bind ") for line in lines), "the audit hook did not run"
    outside = []
    for line in lines:
        kind, _, arg = line.partition(" ")
        if kind == "bind":
            continue
        host = ast.literal_eval(arg)  # a repr written by the hook above
        host = host[0] if isinstance(host, tuple) else host
        if isinstance(host, bytes):
            host = host.decode()
        if isinstance(host, str) and host not in LOOPBACK and not host.startswith("/"):
            outside.append(line)
    assert outside == [], f"the server asked for outside addresses: {outside}"
    assert blocked == []
