"""Click a node to inspect it, and hover read-outs on the time series (issue 21 part 5), in a
real browser: the test clicks and points where a person would, at pixels computed from the
figure as the server draws it (the same model rebuilt here from the page address: the
sample, its layout and the axes come from the seed), and reads what the page says.

Shares the browser and page fixtures of tests/test_app_browser_defects.py (one server for
this module, one chromium).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.test_app_browser_defects import _open, _steps, browser  # noqa: F401
from tests.test_app_browser_defects import page as page  # noqa: F401  (the fixture)
from tests.test_viewer_inspect import _pixel
from viewer.arms import arms_of, build_model
from viewer.exports import user_record
from viewer.network_view import PICK_RADIUS_PX, RING_SIZE
from viewer.render import live_views, render_views
from viewer.settings import settings_from_query

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

#: Pixels of the image in the page, from pixels of the PNG (it may be shown shrunk).
TO_PAGE = """e => { const r = e.getBoundingClientRect();
  return [r.x, r.y, r.width / e.naturalWidth, r.height / e.naturalHeight]; }"""

#: Pixels around (x, y) at radius r (PNG pixels) darker than any node colour, read from the
#: image the browser shows (drawn into a canvas).
DARK_RING = """(e, [x, y, r]) => { const c = document.createElement('canvas');
  c.width = e.naturalWidth; c.height = e.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(e, 0, 0);
  let dark = 0;
  for (let i = 0; i < 48; i++) {
    const a = 2 * Math.PI * i / 48;
    const p = g.getImageData(Math.round(x + r * Math.cos(a)), Math.round(y + r * Math.sin(a)),
                             1, 1).data;
    if (Math.max(p[0], p[1], p[2]) < 70) dark++;
  }
  return dark; }"""


def _model(query: str, steps: int):
    """The page's model for ``query`` after ``steps`` Steps, each frame drawn as the page
    draws it (the first at step 0)."""
    kwargs, _ = settings_from_query(query)
    m = build_model(kwargs)
    render_views(m)
    for _ in range(steps):
        m.step()
        render_views(m)
    return m


def _page_xy(page, selector: str, x: float, y: float) -> tuple[float, float]:
    """Where pixel (x, y) of the image ``selector`` is in the window, scrolled into view as a
    person scrolls to the view."""
    img = page.locator(selector).first
    img.scroll_into_view_if_needed()
    left, top, sx, sy = img.evaluate(TO_PAGE)
    return left + x * sx, top + y * sy


def test_click_a_node_to_inspect_its_user(server, page):
    """A click on a node (a user drawn apart from the others) shows that user in the
    inspector, stamped with the step, with the model's values; the node gets a dark ring in
    the image on screen; the line under the network names the user. A click between nodes
    changes nothing."""
    query = "?n_users=400&seed=5&strategy=interactive"
    m = _model(query[1:], 2)
    label = m.strategy.label()
    view = live_views(m).network[label]
    xy = view.pixels()
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    gaps += np.eye(len(xy)) * 1e9
    lonely = np.flatnonzero(gaps.min(axis=1) > 3 * PICK_RADIUS_PX)
    i = int(lonely[len(lonely) // 2])
    user, (x, y) = int(view.sample.users[i]), xy[i]
    radius = np.sqrt(RING_SIZE) / 2 * 80 / 72

    _open(page, server, query)
    _steps(page, 2)
    img = page.locator("img.oe-view-network").first
    # immediate: no ring before the click (nothing was clicked, so no later frame adds one)
    assert img.evaluate(DARK_RING, [x, y, radius]) == 0
    # between nodes: 20 px from every node, inside the axes
    free = [
        (a, b)
        for a in range(40, 330, 9)
        for b in range(20, 300, 9)
        if np.hypot(xy[:, 0] - a, xy[:, 1] - b).min() > 20
    ]
    page.mouse.click(*_page_xy(page, "img.oe-view-network", *free[0]))
    page.wait_for_timeout(500)
    # immediate: a click between nodes changes nothing, now or later
    assert page.locator(".oe-user-stamp").count() == 0

    page.mouse.click(*_page_xy(page, "img.oe-view-network", x + 2, y - 2))
    stamp = page.locator(".oe-user-stamp", has_text=f"user {user} at step 2").first
    stamp.wait_for(timeout=15_000)
    # the stamp, the id field and the table are three widgets, and each can reach the page a
    # moment after the others (the clean-clone CI at 8c2b3c0 read an empty table once, and a
    # run here read the id field before it changed), so each is waited for
    expect(page.locator(".oe-user-id input").first).to_have_value(str(user), timeout=15_000)
    page.wait_for_function(
        """u => [...document.querySelectorAll('table.oe-user tr')].some(
             r => r.cells.length > 1 && r.cells[0].innerText === 'id'
                  && r.cells[1].innerText === u)""",
        arg=str(user),
        timeout=15_000,
    )
    rows = page.locator("table.oe-user tr").evaluate_all(
        "rs => rs.map(r => [r.cells[0].innerText, r.cells[1] ? r.cells[1].innerText : ''])"
    )
    shown = dict(rows)
    want = user_record(m, user)
    assert shown["id"] == str(user) and shown["generation"] == want["generation"]
    for key in (
        "opinion",
        "trust in the focal outlet",
        "valence",
        "arousal",
        "belonging to the focal community",
    ):
        assert float(shown[key]) == pytest.approx(want[key], abs=5e-4), key
    assert shown["follows the focal outlet"] == str(want["follows the focal outlet"])
    page.wait_for_function(
        f"e => ({DARK_RING})(e, [{x}, {y}, {radius}]) > 30", arg=img.element_handle()
    )
    line = page.locator(".oe-readout-network").first
    page.mouse.move(5, 5)  # off the view: the line names the selected user
    line.filter(has_text=f"Selected: user {user} ({want['generation']})").wait_for()
    # the card's subtitle is a widget apart from the line under the image
    expect(page.locator(".oe-card-network")).to_contain_text(
        f"user {user} selected (ringed)", use_inner_text=True, timeout=15_000
    )
    # the ring and the record follow Step
    _steps_from(page, 2, 1)
    page.locator(".oe-user-stamp", has_text=f"user {user} at step 3").first.wait_for()


def _steps_from(page, start: int, k: int) -> None:
    step = page.get_by_role("button", name="Step", exact=True)
    for i in range(start + 1, start + k + 1):
        step.click()
        page.locator(".oe-step-counter", has_text=f"Step {i}").first.wait_for()


def test_hover_over_the_time_series_reads_out_the_step(server, page):
    """Pointing at step k of the reach panel reads "Reach at step k" and each arm's reach at
    that step, as the model recorded it; pointing at the trust panel names the generations;
    leaving the chart brings the hint back. In a comparison, both arms; and on a narrow screen,
    where the image is shown shrunk."""
    query = "?n_users=300&seed=4&compare=1"
    steps = 5
    m = _model(query[1:], steps)
    arms = arms_of(m)
    ts = live_views(m).timeseries

    def pixel(ax, step: float) -> tuple[float, float]:
        return _pixel(ts.live, ax, step)

    _open(page, server, query)
    page.locator("img.oe-view-network-b").first.wait_for()
    _steps(page, steps)
    line = page.locator(".oe-readout-timeseries").first
    # the line is a widget apart from the step counter; the hint and the values it shows
    # below are one text each, so a line waited for by its words is read at once
    expect(line).to_have_text(re.compile(r"^Point at a panel"), use_inner_text=True)
    for k in (1, 4):
        page.mouse.move(*_page_xy(page, "img.oe-view-timeseries", *pixel(ts.axes[0], k)))
        line.filter(has_text=f"Reach at step {k}:").wait_for(timeout=15_000)
        text = line.inner_text()
        for label, arm in arms.items():
            got = re.search(re.escape(label) + r" (-?\d+\.\d{3})", text)
            assert got, text
            assert float(got[1]) == pytest.approx(
                arm.datacollector.model_vars["reach"][k], abs=5e-4
            )
    page.mouse.move(*_page_xy(page, "img.oe-view-timeseries", *pixel(ts.axes[4], 3)))
    line.filter(has_text="Trust in the focal outlet at step 3:").wait_for(timeout=15_000)
    first, arm = next(iter(arms.items()))
    got = re.search(re.escape(first) + r" post00 (-?\d+\.\d{3})", line.inner_text())
    assert got and float(got[1]) == pytest.approx(
        arm.datacollector.model_vars["trust[post00]"][3], abs=5e-4
    )
    page.mouse.move(5, 5)
    line.filter(has_text="Point at a panel").wait_for(timeout=15_000)
    # on a narrow screen the image is shown shrunk: the pointer is scaled back to the PNG
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_function(
        "() => { const e = document.querySelector('img.oe-view-timeseries');"
        " return e.getBoundingClientRect().width < e.naturalWidth - 5; }"
    )
    page.mouse.move(*_page_xy(page, "img.oe-view-timeseries", *pixel(ts.axes[0], 4)))
    line.filter(has_text="Reach at step 4:").wait_for(timeout=15_000)
