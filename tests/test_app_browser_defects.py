"""The viewer's defects of issue 21 in a real browser: each test clicks what a person clicks.

One ``solara run app.py`` server (the module-scoped ``server`` fixture of tests/conftest.py)
and one headless chromium per module; each test gets a fresh browser context (its own page,
cookies and downloads) that may reach only the loopback, as in tests/test_app_browser.py.
"""

from __future__ import annotations

import io
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LOOPBACK

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

#: How long a click waits for its button (ms): a button that is not drawn fails fast.
CLICK_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser(server):
    """One headless chromium for the module (the server fixture skips without chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page of the shared browser that may reach only the loopback; its ``blocked``
    attribute lists the outside addresses it asked for (each test asserts it is empty)."""
    blocked: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    try:
        ctx.route("**/*", guard)
        pg = ctx.new_page()
        pg.set_default_timeout(120_000)
        pg.blocked = blocked
        pg.console = []  # the browser console's messages and uncaught errors
        pg.on("console", lambda m: pg.console.append(f"{m.type}: {m.text}"))
        pg.on("pageerror", lambda e: pg.console.append(f"pageerror: {e}"))
        yield pg
        assert blocked == [], f"the page asked for outside addresses: {blocked}"
    finally:
        ctx.close()


def _counter(page, k: int) -> None:
    page.locator(".oe-step-counter", has_text=f"Step {k}").first.wait_for()


def _open(page, server: str, query: str) -> None:
    page.goto(server + query)
    _counter(page, 0)


def _steps(page, k: int) -> None:
    step = page.get_by_role("button", name="Step", exact=True)
    for i in range(1, k + 1):
        step.click()
        _counter(page, i)


def _download(page, label: str) -> tuple[str, bytes]:
    """Click the export button ``label``; the saved file's name and content."""
    card = page.locator(".oe-card-export")
    button = card.get_by_role("button", name=label, exact=True)
    with page.expect_download(timeout=60_000) as info:
        button.click(timeout=CLICK_TIMEOUT_MS)
    download = info.value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / download.suggested_filename
        download.save_as(path)
        return download.suggested_filename, path.read_bytes()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _spec_params(data: bytes, tmp_path: Path) -> tuple[object, list]:
    """The downloaded spec loaded as experiments load it, and the Params of each arm."""
    from experiments import load_spec
    from experiments.points import resolve_point

    tomllib.loads(data.decode())  # plain TOML
    path = tmp_path / "viewer_scenario.toml"
    path.write_bytes(data)
    spec = load_spec(path)
    return spec, [resolve_point(spec.fixed, {}, arm, spec.steps) for arm in spec.arms]


def test_every_export_downloads_its_file(server, page, tmp_path):
    """Defect 1: the Share and export card draws its buttons, and each downloads its file.

    One model at 300 users, two steps: CSV and Parquet hold the three recorded rows (steps
    0-2) with the measures as columns and agree; each view's PNG is the image on screen; the
    spec TOML loads as an experiment spec whose run has the running model's Params. Then a
    comparison: an ``arm`` column with both arms, two network PNGs, a spec with two arms.
    """
    from model import Params

    _open(page, server, "?n_users=300&seed=5&epsilon=0.3&strategy=interactive")
    _steps(page, 2)
    card = page.locator(".oe-card-export")
    boxes = card.get_by_role("button").evaluate_all(
        "es => es.map(e => e.getBoundingClientRect()).map(r => [r.width, r.height])"
    )
    assert len(boxes) == 7 and all(w > 20 and h > 20 for w, h in boxes), boxes

    name, csv = _download(page, "CSV")
    assert name == "timeseries.csv"
    df = pd.read_csv(io.BytesIO(csv))
    assert list(df["step"]) == [0, 1, 2]
    assert {"reach", "reach[post00]", "engagement"} <= set(df.columns), list(df.columns)[:10]
    name, parquet = _download(page, "Parquet")
    assert name == "timeseries.parquet"
    pq = pd.read_parquet(io.BytesIO(parquet))
    assert list(pq.columns) == list(df.columns)
    pd.testing.assert_frame_equal(pq.reset_index(drop=True), df, check_dtype=False, rtol=1e-9)

    for view in ("network", "timeseries", "opinions", "ccdf"):
        label = "network-interactive" if view == "network" else view
        name, png = _download(page, label)
        assert name == f"{label}.png"
        width, height = _png_size(png)
        shown = page.locator(f"img.oe-view-{view}").first.evaluate(
            "e => [e.naturalWidth, e.naturalHeight]"
        )
        assert [width, height] == shown, f"{name}: {width}x{height}, on screen {shown}"
        assert len(png) > 5_000, f"{name} is only {len(png)} bytes"

    name, toml = _download(page, "spec TOML")
    assert name == "viewer_scenario.toml"
    spec, params = _spec_params(toml, tmp_path)
    assert spec.root_seed == 5
    assert params == [Params(n_users=300, epsilon=0.3, strategy="interactive")]

    # a comparison: both arms in the time series, two network figures, a spec with two arms
    page.get_by_label("Compare two strategies").check()
    page.locator("img.oe-view-network-b").first.wait_for()
    _steps(page, 1)
    df = pd.read_csv(io.BytesIO(_download(page, "CSV")[1]))
    assert sorted(set(df["arm"])) == ["A: one_way", "B: interactive"]
    assert sorted(df["step"]) == [0, 0, 1, 1]
    for label in ("network-A-one_way", "network-B-interactive"):
        name, png = _download(page, label)
        assert name == f"{label}.png" and _png_size(png)[0] > 300
    spec, params = _spec_params(_download(page, "spec TOML")[1], tmp_path)
    assert params == [
        Params(n_users=300, epsilon=0.3, strategy="one_way"),
        Params(n_users=300, epsilon=0.3, strategy="interactive"),
    ]


def _link(page) -> str:
    return page.locator(".oe-link").first.inner_text()


def _type(page, name: str, text: str, within: str = "") -> None:
    """Type ``text`` into the number field of control ``name`` and press Enter."""
    field = page.locator(f"{within} .oe-number-{name} input".strip()).first
    field.fill(text)
    field.press("Enter")


def _pick(page, select: str, option: str) -> None:
    """Choose ``option`` in the Vuetify select with class ``select``."""
    page.locator(f".{select} .v-field").first.click(timeout=CLICK_TIMEOUT_MS)
    item = page.locator(".v-overlay--active .v-list-item", has_text=option)
    item.first.click(timeout=CLICK_TIMEOUT_MS)


def _back(page, name: str) -> None:
    """Click "Back to the running model" and wait until the number field of ``name`` is a
    fresh one (Back redraws the fields; typing into the old one would go nowhere)."""
    old = page.locator(f".oe-number-{name} input").first.element_handle()
    page.get_by_role("button", name="Back to the running model").click()
    page.locator(".oe-error").first.wait_for(state="detached")
    page.wait_for_function("e => !e.isConnected", arg=old, timeout=CLICK_TIMEOUT_MS)
    page.locator(f".oe-number-{name} input").first.wait_for()


def test_custom_strategy_is_one_side_of_a_comparison(server, page):
    """Defect 9: ``?compare=1&strategy.reply_share=0.3`` opens one-way against that custom
    strategy; on the page, a switch changed in the Strategy card and "custom" chosen as arm B
    applies on Reset, and the link writes it back."""
    _open(page, server, "?n_users=300&compare=1&strategy.reply_share=0.3")
    page.locator("img.oe-view-network-b").first.wait_for()
    assert page.locator(".oe-error").count() == 0, page.locator(".oe-error").first.inner_text()
    assert "B: custom" in page.locator(".oe-card-network-b").first.inner_text()
    assert "compare=one_way,custom" in _link(page)
    assert "strategy.reply_share=0.3" in _link(page)

    _open(page, server, "?n_users=300")
    page.get_by_label("Compare two strategies").check()
    page.locator("img.oe-view-network-b").first.wait_for()
    _type(page, "moderation_share", "0.25", ".oe-card-strategy")
    page.locator(".oe-pending").first.wait_for()
    _pick(page, "oe-arm-b", "custom")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".oe-card-network-b", has_text="B: custom").first.wait_for(timeout=30_000)
    _steps(page, 1)
    link = _link(page)
    assert "compare=one_way,custom" in link and "strategy.moderation_share=0.25" in link, link


def test_nan_or_inf_in_a_float_field_is_refused(server, page):
    """Defect 7: NaN or inf typed into a float field is refused with the message of every
    other refused number (the field's name and range), never sent on; the server logs no
    invalid JSON."""
    _open(page, server, "?n_users=300")
    for text in ("NaN", "inf", "-inf", "1e400"):
        _type(page, "epsilon", text)
        alert = page.locator(".oe-error").first
        alert.wait_for(timeout=CLICK_TIMEOUT_MS)
        page.wait_for_timeout(300)  # for the widget messages that follow
        bad = [m for m in page.console if "pageerror" in m or "not valid JSON" in m]
        assert bad == [], f"{text}: {bad}"
        message = alert.inner_text()
        assert f"epsilon={text!r} is not a number; allowed [" in message, message
        _back(page, "epsilon")
    _steps(page, 1)  # the page still answers


def test_back_to_the_running_model_clears_refused_text(server, page):
    """Defect 5: after a refused value ("abc", "NaN", "1e400", an out-of-range number), "Back
    to the running model" shows the running model's value in the field again."""
    _open(page, server, "?n_users=300&epsilon=0.3")
    field = page.locator(".oe-number-epsilon input").first
    assert field.input_value() == "0.3"
    for text in ("abc", "NaN", "1e400", "9"):
        _type(page, "epsilon", text)
        page.locator(".oe-error").first.wait_for(timeout=CLICK_TIMEOUT_MS)
        assert field.input_value() == text
        _back(page, "epsilon")
        assert field.input_value() == "0.3"
    _type(page, "epsilon", "abc")  # a fresh field still takes typing and refuses again
    page.locator(".oe-error").first.wait_for(timeout=CLICK_TIMEOUT_MS)


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
    )


def test_interval_typo_shows_by_its_field_and_does_not_block_reset(server, page):
    """Defect 6: a typo in the play or render interval shows its message right under the
    field, not in the Scenario card, and Step and Reset still work."""
    _open(page, server, "?n_users=300")
    for name, text, good in (("render_interval", "abc", "2"), ("play_interval", "0", "30")):
        _type(page, name, text)
        message = page.locator(f".oe-interval-error-{name}").first
        message.wait_for(timeout=CLICK_TIMEOUT_MS)
        assert name in message.inner_text()
        field, box = _box(page, f".oe-number-{name}"), _box(page, f".oe-interval-error-{name}")
        assert 0 <= box["top"] - field["bottom"] < 40, (field, box)
        assert page.locator(".oe-error").count() == 0
        page.get_by_role("button", name="Step", exact=True).click()
        page.locator(".oe-step-counter", has_text="Step 0").wait_for(state="detached")
        page.get_by_role("button", name="Reset", exact=True).click()
        _counter(page, 0)
        _type(page, name, good)  # a valid value takes the message away
        message.wait_for(state="detached", timeout=CLICK_TIMEOUT_MS)
    page.get_by_role("button", name="Reset", exact=True).click()
    _counter(page, 0)
    page.get_by_role("button", name="Step", exact=True).click()
    _counter(page, 2)  # the render interval typed after the typo is in use


def test_user_inspector_is_stamped_and_follows_the_model(server, page):
    """Defect 8: the inspected user's record says which step it shows, and follows Step and
    Reset (it was read once, at the click, and never said when)."""
    _open(page, server, "?n_users=300&strategy=interactive")
    field = page.locator(".oe-user-id input").first
    field.fill("7")
    field.press("Enter")
    stamp = page.locator(".oe-user-stamp").first
    stamp.wait_for(timeout=CLICK_TIMEOUT_MS)
    assert "user 7 at step 0" in stamp.inner_text()
    before = page.locator(".oe-user").first.inner_text()
    _steps(page, 3)
    page.locator(".oe-user-stamp", has_text="at step 3").first.wait_for(timeout=CLICK_TIMEOUT_MS)
    assert page.locator(".oe-user").first.inner_text() != before
    page.get_by_role("button", name="Reset", exact=True).click()
    _counter(page, 0)
    page.locator(".oe-user-stamp", has_text="at step 0").first.wait_for(timeout=CLICK_TIMEOUT_MS)
    assert page.locator(".oe-user").first.inner_text() == before


def test_busy_indicator_while_reset_runs(server, page):
    """Defect 11: Reset at 100,000 users takes seconds; the page shows that it is working
    (``.oe-busy``) at once, and takes it away when the new model is drawn."""
    _open(page, server, "?n_users=100000")
    _steps(page, 1)
    busy = page.locator(".oe-busy")
    assert busy.count() == 0
    page.get_by_role("button", name="Reset", exact=True).click()
    busy.first.wait_for(timeout=1_000)  # shown before the server answers
    assert page.locator(".oe-step-counter").first.inner_text().strip() == "Step 1"
    _counter(page, 0)
    busy.first.wait_for(state="detached", timeout=CLICK_TIMEOUT_MS)
    page.get_by_role("button", name="Step", exact=True).click()
    _counter(page, 1)
    busy.first.wait_for(state="detached", timeout=CLICK_TIMEOUT_MS)


#: Each control's label, slider track and thumb, and number field, with its card's edges.
_CONTROLS_JS = """() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width}; };
  const rows = [];
  for (const card of document.querySelectorAll('.oe-controls .v-card')) {
    const c = box(card);
    for (const row of card.querySelectorAll('.oe-control, .oe-interval')) {
      const label = row.querySelector('.v-label');
      const track = row.querySelector('.v-slider-track');
      const thumb = row.querySelector('.v-slider-thumb__surface');
      const field = row.querySelector('.oe-number');
      rows.push({card: c, text: label ? label.innerText : '',
        label: label && box(label), overflow: label ? label.scrollWidth - label.clientWidth : 0,
        track: track && box(track), thumb: thumb && box(thumb), field: field && box(field)});
    }
  }
  return rows;
}"""


def _open_every_group(page) -> None:
    """Unfold every parameter group and its "more" parameters."""
    closed = page.locator(".oe-controls button", has_text="▸")
    for _ in range(40):
        if closed.count() == 0:
            return
        n = page.locator(".oe-controls button", has_text="▾").count()
        closed.first.click()
        page.wait_for_function(
            f"() => [...document.querySelectorAll('.oe-controls button')]"
            f".filter(b => b.innerText.includes('▾')).length > {n}",
            timeout=CLICK_TIMEOUT_MS,
        )
    raise AssertionError("the groups did not unfold")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_controls_stay_inside_their_cards(server, page, width, height):
    """Defect 2: every control's label stays inside its card (long labels wrap), all sliders
    have one length, and the thumbs (at the maximum too) and number fields stay
    inside the card, a thumb never over its number field."""
    page.set_viewport_size({"width": width, "height": height})
    query = "?n_users=300&strategy.share_prompt=0.1&strategy.moderation_share=0.9"
    _open(page, server, query + "&epsilon=2")
    _open_every_group(page)
    rows = page.evaluate(_CONTROLS_JS)
    sliders = [r for r in rows if r["track"]]
    assert len(rows) >= 100 and len(sliders) >= 60, (len(rows), len(sliders))
    where = f"at {width}x{height}"
    for r in rows:
        card, label = r["card"], r["label"]
        if label:
            assert label["right"] <= card["right"] + 0.5, f"{where}: {r['text']!r} overflows"
            assert r["overflow"] <= 1, f"{where}: {r['text']!r} is cut off ({r['overflow']} px)"
        for part in ("thumb", "field", "track"):
            b = r[part]
            if b:
                assert card["left"] - 0.5 <= b["left"] and b["right"] <= card["right"] + 0.5, (
                    f"{where}: the {part} of {r['text']!r} lies outside its card: {b} {card}"
                )
        if r["thumb"] and r["field"]:
            assert r["thumb"]["right"] <= r["field"]["left"], f"{where}: {r['text']!r} thumb"
    widths = {r["text"]: r["track"]["width"] for r in sliders}
    lengths = sorted(set(widths.values()))
    assert lengths[-1] - lengths[0] <= 2, f"{where}: slider lengths {widths}"


def test_comparison_table_keeps_its_row_labels(server, page):
    """Defect 10: the comparison's measures table scrolls sideways in its own box, and its
    row labels stay in view at the box's left edge when it is scrolled to the right end."""
    _open(page, server, "?n_users=300&compare=1")
    page.locator("img.oe-view-network-b").first.wait_for()
    _steps(page, 1)
    box = page.locator(".oe-measures").first
    assert box.evaluate("e => e.scrollWidth > e.clientWidth + 50"), "the table does not scroll"
    box.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    page.wait_for_timeout(200)
    edges = box.evaluate(
        """e => { const b = e.getBoundingClientRect();
           const th = e.querySelector('tbody th').getBoundingClientRect();
           const td = e.querySelector('tbody td').getBoundingClientRect();
           return {box: b.left, label: th.left, label_right: th.right, first_cell: td.left,
                   scrolled: e.scrollLeft}; }"""
    )
    assert edges["scrolled"] > 50
    assert abs(edges["label"] - edges["box"]) <= 1, edges  # the labels stay at the left edge
    assert edges["first_cell"] < edges["box"], edges  # while the cells scrolled under them
