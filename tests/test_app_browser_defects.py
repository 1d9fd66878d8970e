"""The viewer's defects of issue 21 in a real browser: each test clicks what a person clicks.

One ``solara run app.py`` server (the module-scoped ``server`` fixture of tests/conftest.py)
and one headless chromium per module; each test gets a fresh browser context (its own page,
cookies and downloads) that may reach only the loopback, as in tests/test_app_browser.py.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pyarrow.parquet
import pytest
from playwright.sync_api import expect

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
    0-2) with the measures as columns and agree, and carry the same provenance (seed, step,
    parameters, the address that rebuilds the model, the code version: comment lines in the
    CSV, key-value metadata in the Parquet file); each view's PNG is the image on screen, and
    its SVG and PDF download; the spec TOML loads as an experiment spec whose run has the
    running model's Params. Every name says preset, seed and step (defect 15). Then a
    comparison: an ``arm`` column with both arms, two network PNGs, a spec with two arms.
    """
    from model import Params

    _open(page, server, "?n_users=300&seed=5&epsilon=0.3&strategy=interactive")
    _steps(page, 2)
    card = page.locator(".oe-card-export")
    # each button is its own widget: all of them are waited for before they are measured
    expect(card.get_by_role("button")).to_have_count(20, timeout=CLICK_TIMEOUT_MS)
    boxes = card.get_by_role("button").evaluate_all(
        "es => es.map(e => e.getBoundingClientRect()).map(r => [r.width, r.height])"
    )
    # the copy-link button, CSV, Parquet, PNG/SVG/PDF/GIF of four views, the spec
    assert len(boxes) == 20 and all(w > 20 and h > 20 for w, h in boxes), boxes

    name, csv = _download(page, "CSV")
    assert name == "defaults_seed5_step2_timeseries.csv"
    head = [line for line in csv.decode().splitlines() if line.startswith("# ")]
    meta = {k: json.loads(v) for k, v in (line[2:].split(": ", 1) for line in head)}
    assert meta["seed"] == 5 and meta["step"] == 2 and meta["params"]["epsilon"] == 0.3
    from viewer.settings import settings_from_query

    back = settings_from_query(meta["page_address"][1:])[0]
    assert back == {"params": Params(n_users=300, epsilon=0.3, strategy="interactive"), "seed": 5}
    assert {"commit", "dirty"} == set(meta["code_version"])
    df = pd.read_csv(io.BytesIO(csv), comment="#")
    assert list(df["step"]) == [0, 1, 2]
    assert {"reach", "reach[post00]", "engagement"} <= set(df.columns), list(df.columns)[:10]
    name, parquet = _download(page, "Parquet")
    assert name == "defaults_seed5_step2_timeseries.parquet"
    kv = pyarrow.parquet.read_schema(io.BytesIO(parquet)).metadata
    pmeta = json.loads(kv[b"opinion_ecology.provenance"])
    assert {k: v for k, v in pmeta.items() if k != "written_utc"} == {
        k: v for k, v in meta.items() if k != "written_utc"
    }
    pq = pd.read_parquet(io.BytesIO(parquet))
    assert list(pq.columns) == list(df.columns)
    pd.testing.assert_frame_equal(pq.reset_index(drop=True), df, check_dtype=False, rtol=1e-9)

    for view in ("network", "timeseries", "opinions", "ccdf"):
        label = "network-interactive" if view == "network" else view
        name, png = _download(page, label)
        assert name == f"defaults_seed5_step2_{label}.png"
        width, height = _png_size(png)
        # the image on screen is a widget apart from the counter, and may still be loading
        shown = page.locator(f"img.oe-view-{view}").first
        expect(shown).to_have_js_property("naturalWidth", width, timeout=CLICK_TIMEOUT_MS)
        expect(shown).to_have_js_property("naturalHeight", height, timeout=CLICK_TIMEOUT_MS)
        assert len(png) > 5_000, f"{name} is only {len(png)} bytes"
        name, svg = _download(page, f"{label} SVG")
        assert name == f"defaults_seed5_step2_{label}.svg" and b"<svg" in svg[:2000], name
        name, pdf = _download(page, f"{label} PDF")
        assert name == f"defaults_seed5_step2_{label}.pdf" and pdf[:5] == b"%PDF-", name

    name, toml = _download(page, "spec TOML")
    assert name == "defaults_seed5_step2_spec.toml"
    spec, params = _spec_params(toml, tmp_path)
    assert spec.root_seed == 5
    assert params == [Params(n_users=300, epsilon=0.3, strategy="interactive")]

    # a comparison: both arms in the time series, two network figures, a spec with two arms
    page.get_by_label("Compare two strategies").check()
    page.locator("img.oe-view-network-b").first.wait_for()
    _steps(page, 1)
    name, csv = _download(page, "CSV")
    assert name == "defaults_compare_seed5_step1_timeseries.csv"
    df = pd.read_csv(io.BytesIO(csv), comment="#")
    assert sorted(set(df["arm"])) == ["A: one_way", "B: interactive"]
    assert sorted(df["step"]) == [0, 0, 1, 1]
    for label in ("network-A-one_way", "network-B-interactive"):
        name, png = _download(page, label)
        assert name.endswith(f"_{label}.png") and _png_size(png)[0] > 300
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
    # immediate: the address is read as the page opens, and its message, if any, is drawn
    # in the page's first render with the network waited for
    assert page.locator(".oe-error").count() == 0, page.locator(".oe-error").first.inner_text()
    # the card's title and the link are widgets apart from the image waited for
    expect(page.locator(".oe-card-network-b").first).to_contain_text(
        "B: custom", use_inner_text=True, timeout=CLICK_TIMEOUT_MS
    )
    link = page.locator(".oe-link").first
    expect(link).to_contain_text("compare=one_way,custom", timeout=CLICK_TIMEOUT_MS)
    expect(link).to_contain_text("strategy.reply_share=0.3", timeout=CLICK_TIMEOUT_MS)

    _open(page, server, "?n_users=300")
    page.get_by_label("Compare two strategies").check()
    page.locator("img.oe-view-network-b").first.wait_for()
    _type(page, "moderation_share", "0.25", ".oe-card-strategy")
    page.locator(".oe-pending").first.wait_for()
    _pick(page, "oe-arm-b", "custom")
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".oe-card-network-b", has_text="B: custom").first.wait_for(timeout=30_000)
    _steps(page, 1)
    expect(link).to_contain_text("compare=one_way,custom", timeout=CLICK_TIMEOUT_MS)
    expect(link).to_contain_text("strategy.moderation_share=0.25", timeout=CLICK_TIMEOUT_MS)


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
    # the field is a widget apart from the message or the counter each wait is for
    expect(field).to_have_value("0.3", timeout=CLICK_TIMEOUT_MS)
    for text in ("abc", "NaN", "1e400", "9"):
        _type(page, "epsilon", text)
        page.locator(".oe-error").first.wait_for(timeout=CLICK_TIMEOUT_MS)
        expect(field).to_have_value(text, timeout=CLICK_TIMEOUT_MS)
        _back(page, "epsilon")
        expect(field).to_have_value("0.3", timeout=CLICK_TIMEOUT_MS)
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
        # immediate: while the field's own message shows, the Scenario card shows none
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
    # the stamp and the table are two widgets, and the table's rows can reach the page a
    # moment after the stamp: each read waits for the table it expects
    page.wait_for_function(
        "() => /\\bid\\s+7\\b/.test(document.querySelector('table.oe-user')?.innerText ?? '')",
        timeout=CLICK_TIMEOUT_MS,
    )
    before = page.locator(".oe-user").first.inner_text()
    _steps(page, 3)
    page.locator(".oe-user-stamp", has_text="at step 3").first.wait_for(timeout=CLICK_TIMEOUT_MS)
    page.wait_for_function(
        "b => document.querySelector('table.oe-user').innerText !== b",
        arg=before,
        timeout=CLICK_TIMEOUT_MS,
    )
    page.get_by_role("button", name="Reset", exact=True).click()
    _counter(page, 0)
    page.locator(".oe-user-stamp", has_text="at step 0").first.wait_for(timeout=CLICK_TIMEOUT_MS)
    page.wait_for_function(
        "b => document.querySelector('table.oe-user').innerText === b",
        arg=before,
        timeout=CLICK_TIMEOUT_MS,
    )


def test_busy_indicator_while_reset_runs(server, page):
    """Defect 11: Reset at 100,000 users takes seconds; the page shows that it is working
    (``.oe-busy``) at once, and takes it away when the new model is drawn."""
    _open(page, server, "?n_users=100000")
    _steps(page, 1)
    busy = page.locator(".oe-busy")
    assert busy.count() == 0  # immediate: no busy indicator before the click
    page.get_by_role("button", name="Reset", exact=True).click()
    busy.first.wait_for(timeout=1_000)  # shown before the server answers
    # immediate: while the indicator shows, the old model's step is still on the page
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
    """Unfold every parameter group and its "more" parameters.

    A click that lands while the page re-renders can be lost (CI saw one group stay folded for
    15 s, once, at 82124ab): a group still folded after a third of the click timeout is clicked
    again, three times at most, so the whole wait per group stays CLICK_TIMEOUT_MS."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    closed = page.locator(".oe-controls button", has_text="▸")
    opened = page.locator(".oe-controls button", has_text="▾")
    for _ in range(40):
        if closed.count() == 0:
            return
        n = opened.count()
        for _attempt in range(3):
            closed.first.click()
            try:
                page.wait_for_function(
                    f"() => [...document.querySelectorAll('.oe-controls button')]"
                    f".filter(b => b.innerText.includes('▾')).length > {n}",
                    timeout=CLICK_TIMEOUT_MS // 3,
                )
                break
            except PlaywrightTimeout:
                if opened.count() > n:
                    break
        else:
            raise AssertionError(f"a group did not unfold after 3 clicks ({n} unfolded)")
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
    # the table is a widget apart from the counter: its step-1 columns may come a moment later
    page.wait_for_function(
        "() => { const e = document.querySelector('.oe-measures');"
        " return !!e && e.scrollWidth > e.clientWidth + 50; }",
        timeout=CLICK_TIMEOUT_MS,
    )
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


def test_share_link_is_absolute_keeps_the_preset_and_copies(server, page):
    """Defect 12: the link is the page's absolute address, names the preset the running model
    was built from, a copy button puts it on the clipboard, and clicking the link copies it
    without reloading the page (the running model and its step stay)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server[:-1])
    _open(page, server, "?preset=viral_moment&n_users=300&seed=4")
    _steps(page, 1)
    # the link is a widget apart from the counter: it is read once it shows this model
    shown = page.locator(".oe-link").first
    start = re.compile("^" + re.escape(server + "?preset=viral_moment"))
    expect(shown).to_have_text(start, timeout=CLICK_TIMEOUT_MS)
    expect(shown).to_contain_text("n_users=300", timeout=CLICK_TIMEOUT_MS)
    expect(shown).to_contain_text("seed=4", timeout=CLICK_TIMEOUT_MS)
    link = _link(page)
    # the address reads back: a fresh page on the link opens the same scenario, no message
    page.evaluate("window.oeMarker = 'still here'")
    page.evaluate("navigator.clipboard.writeText('nothing yet')")
    page.locator(".oe-link").first.click()
    page.wait_for_function("navigator.clipboard.readText().then(t => t !== 'nothing yet')")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.evaluate("window.oeMarker") == "still here", "the click reloaded the page"
    assert page.url == server + "?preset=viral_moment&n_users=300&seed=4"
    _counter(page, 1)

    page.evaluate("navigator.clipboard.writeText('nothing yet')")
    page.locator(".oe-copy-link").first.click()
    page.locator(".oe-copy-link", has_text="Copied").first.wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link

    _open(page, server, link[len(server) :])
    # immediate: the address is read as the page opens (its message is in the first render)
    assert page.locator(".oe-error").count() == 0
    expect(shown).to_have_text(link, timeout=CLICK_TIMEOUT_MS)


def test_unknown_key_message_names_every_key_cut_short(server, page):
    """Defect 13: the page's message names every unknown key of the address, not only the
    first, and cuts a 3,000-character key instead of echoing it."""
    long_key = "x" * 3000
    _open(page, server, f"?n_user=300&epsilonn=0.2&{long_key}=1&seed=2")
    text = page.locator(".oe-error").first.inner_text()
    for key in ("'n_user'", "'epsilonn'", "did you mean 'n_users'", "did you mean 'epsilon'"):
        assert key in text, text
    assert "x" * 39 + "…" in text and "x" * 41 not in text, text
    assert len(text) < 700, len(text)


def test_run_to_step_with_a_bar_toward_the_horizon(server, page):
    """Part 5: "Run to step" plays to the step typed and pauses there; a bar shows the step
    against the horizon; a step past the horizon is refused with what is allowed."""
    _open(page, server, "?n_users=300&steps=40&seed=2")
    bar = page.locator(".oe-horizon")
    # the bar is a widget apart from the counter _open waited for
    expect(bar).to_contain_text(
        "Step 0 of 40 (0% of the horizon)", use_inner_text=True, timeout=CLICK_TIMEOUT_MS
    )
    field = page.locator(".oe-run-to input").first
    field.fill("50")
    page.get_by_role("button", name="Run to", exact=True).click()
    text = page.locator(".oe-run-to-error").first.inner_text()
    assert "run to step 50 is not allowed; use a whole number from 1 to the horizon, 40" in text
    field.fill("10")
    page.get_by_role("button", name="Run to", exact=True).click()
    _counter(page, 10)
    page.locator(".oe-horizon-text", has_text="Step 10 of 40 (25% of the horizon)").wait_for()
    # the refusal and the Step button are widgets apart from the bar and the counter
    expect(page.locator(".oe-run-to-error")).to_have_count(0, timeout=CLICK_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # paused: no further step
    # immediate: 1.5 s after step 10 the run is still there; the bar's value and its text
    # are one widget, waited for above
    assert page.locator(".oe-step-counter").first.inner_text() == "Step 10"
    assert bar.locator('[role="progressbar"]').get_attribute("aria-valuenow") == "10"
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_enabled(
        timeout=CLICK_TIMEOUT_MS
    )


def test_gif_of_the_run_so_far(server, page):
    """Part 5: a view's GIF button saves the run so far, replayed from its seed: one frame per
    step here (steps 0-3), each the size of the view on screen, the last one the view as it is
    now (GIF's 256 colours aside)."""
    from PIL import Image, ImageChops, ImageStat

    _open(page, server, "?n_users=300&seed=5")
    _steps(page, 3)
    name, gif = _download(page, "timeseries GIF")
    assert name == "defaults_seed5_step3_timeseries.gif", name
    image = Image.open(io.BytesIO(gif))
    assert image.n_frames == 4, image.n_frames
    # the image on screen is a widget apart from the counter, and may still be loading
    shown = page.locator("img.oe-view-timeseries").first
    expect(shown).to_have_js_property("naturalWidth", image.size[0], timeout=CLICK_TIMEOUT_MS)
    expect(shown).to_have_js_property("naturalHeight", image.size[1], timeout=CLICK_TIMEOUT_MS)
    _, png = _download(page, "timeseries")
    image.seek(3)
    last, now = image.convert("RGB"), Image.open(io.BytesIO(png)).convert("RGB")
    diff = ImageChops.difference(last, now).convert("L")
    assert ImageStat.Stat(diff).mean[0] < 3.0  # mean grey-level error
    image.seek(0)
    assert ImageChops.difference(image.convert("RGB"), now).getbbox() is not None


def _series_item(page, text: str):
    """Click the entry ``text`` of the "Measures to plot" menu, opening it and scrolling its
    list as needed (Vuetify draws only the entries in view)."""
    for _ in range(20):
        if page.locator(".v-overlay--active .v-list").count() == 0:
            page.locator(".oe-series .v-field").first.click(timeout=CLICK_TIMEOUT_MS)
            page.locator(".v-overlay--active .v-list").first.wait_for()
        item = page.locator(".v-overlay--active .v-list-item").filter(
            has=page.get_by_text(text, exact=True)
        )
        if item.count():
            item.first.click(timeout=CLICK_TIMEOUT_MS)
            return
        page.locator(".v-overlay--active .v-list").first.evaluate("e => e.scrollTop += 150")
        page.wait_for_timeout(150)
    raise AssertionError(f"no entry {text!r} in the menu")


def test_choose_the_measures_to_plot(server, page):
    """Part 5: the time series plots the measures chosen in "Measures to plot": dropping one
    and adding another redraws the panels (the card says which), and a fifth is refused."""
    _open(page, server, "?n_users=300&seed=5")
    _steps(page, 2)
    card = page.locator(".oe-card-timeseries")
    # the card's subtitle and the image are widgets apart from the counter
    expect(card).to_contain_text(
        "Plotted: reach, secondary_share, engagement, stickiness",
        use_inner_text=True,
        timeout=CLICK_TIMEOUT_MS,
    )
    image = page.locator("img.oe-view-timeseries").first
    # the image of step 2 cannot be told from a lagging one of step 1 by its address; a
    # lagging one here could only make the check below pass, never fail
    before = image.get_attribute("src")
    _series_item(page, "platform_share")
    page.locator(".oe-series-error").first.wait_for()
    assert "choose 1 to 4 different ones" in page.locator(".oe-series-error").first.inner_text()
    _series_item(page, "stickiness")
    card.filter(has_text="Plotted: reach, secondary_share, engagement;").wait_for()
    _series_item(page, "platform_share")
    card.filter(has_text="Plotted: reach, secondary_share, engagement, platform_share;").wait_for()
    page.keyboard.press("Escape")
    # the message and the image are widgets apart from the subtitle waited for
    expect(page.locator(".oe-series-error")).to_have_count(0, timeout=CLICK_TIMEOUT_MS)
    expect(image).not_to_have_attribute("src", before, timeout=CLICK_TIMEOUT_MS)
    page.get_by_role("button", name="Step", exact=True).click()  # later frames keep it
    _counter(page, 3)
    expect(card).to_contain_text("platform_share", use_inner_text=True, timeout=CLICK_TIMEOUT_MS)


#: Words a label ends with when it was cut mid-phrase (kept here, not imported from the model,
#: so the test reads the page as a person does).
_DANGLING = {
    *("a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as"),
    *("into", "onto", "per", "and", "or", "than", "is", "are", "be"),
}

#: Every control's field name (its ``oe-control-<name>`` class), visible label, the number of
#: lines the label takes without its trailing "(unit)", and its overflow.
_LABELS_JS = """() => {
  const rows = [];
  for (const row of document.querySelectorAll('.oe-controls .oe-control')) {
    const cls = [...row.classList].find(c => c.startsWith('oe-control-'));
    const label = row.querySelector('.v-label');
    if (!label) { rows.push({name: cls.slice(11), text: '', lines: 0, overflow: 0}); continue; }
    const text = label.innerText.trim();
    const words = text.replace(/ \\([^()]*\\)$/, '');
    // the lines the words take: one client rect per line box of a range over them
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    while (node && !node.textContent.trim()) node = walker.nextNode();
    const start = node.textContent.indexOf(node.textContent.trim());
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, Math.min(node.textContent.length, start + words.length));
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
      .map(r => Math.round(r.top)));
    rows.push({name: cls.slice(11), text, lines: tops.size,
      overflow: label.scrollWidth - label.clientWidth});
  }
  return rows;
}"""

#: Rule choices that show every rule's parameters over three pages (a rule's parameters show
#: only while it is chosen).
_RULE_PAGES = (
    "?n_users=300&peer_choice=algorithmic_bias",
    "?n_users=300&opinion=activity_driven&following=q_voter&emotion=collective"
    "&forwarding=threshold&feed_ranking=personalised",
    "?n_users=300&opinion=friedkin_johnsen",
)


def test_every_label_is_whole_fits_its_column_and_shows_its_unit(server, page):
    """Defect 3: at 1366x768, with every group unfolded under every rule, each control's
    visible label is words, not a doc string cut mid-phrase (no label ends in an article or a
    preposition), its words fit the slider column on one line (its unit may wrap below), it
    never overflows (scrollWidth against clientWidth), and a field with a unit shows it."""
    from model import Params
    from viewer.controls import make_controls, strategy_spec

    spec = {**Params.spec(), **strategy_spec()}
    controls = {c.name for cs in make_controls().values() for c in cs}
    controls |= {c.name for c in make_controls(strategy_spec())["strategy"]}
    rows: dict[str, dict] = {}
    for query in _RULE_PAGES:
        _open(page, server, query)
        _open_every_group(page)
        rows |= {r["name"]: r for r in page.evaluate(_LABELS_JS)}
    assert set(rows) == controls, f"not read: {sorted(controls - set(rows))}"
    assert [n for n, r in rows.items() if not r["text"]] == [], "controls without a label"
    cut = [r["text"] for r in rows.values() if r["text"].split()[-1].lower() in _DANGLING]
    assert cut == [], f"labels cut mid-phrase: {cut}"
    long = [r["text"] for r in rows.values() if r["lines"] != 1]
    assert long == [], f"labels whose words take more than one line: {long}"
    over = [r["text"] for r in rows.values() if r["overflow"] > 1]
    assert over == [], f"labels wider than their column: {over}"
    units = {n: spec[n].get("unit") for n in rows if spec[n].get("unit")}
    assert len(units) >= 60, f"only {len(units)} controls have a unit"
    shown = {n: r["text"].replace("\u00a0", " ").lower() for n, r in rows.items()}
    missing = [rows[n]["text"] for n, u in units.items() if u.lower() not in shown[n]]
    assert missing == [], f"labels without their unit: {missing}"


#: Everything drawn over the page from outside its scrolling area (solara's "This website runs
#: on Solara" line, the app bar, any fixed or absolute overlay) and, for each target still
#: in the window, the points near its bottom edge that something else covers. The targets:
#: the measures table's last 15 px (its horizontal scroll bar when it scrolls sideways), its
#: last row, and each card's bottom edge.
_COVERED_JS = """() => {
  const scroller = document.querySelector('.solara-content-main > div');
  const inPage = e => scroller.contains(e);
  const overlays = [];
  for (const e of document.querySelectorAll('*')) {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    if ((s.position === 'fixed' || s.position === 'absolute') && !inPage(e) && r.width > 0
        && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0')
      overlays.push({text: (e.innerText || e.className || e.tagName).toString().slice(0, 40),
                     box: [r.left, r.top, r.right, r.bottom].map(Math.round)});
  }
  const table = document.querySelector('.oe-measures');
  const targets = [[table, 15, table.scrollWidth > table.clientWidth ? 'the table scroll bar'
                                                                   : 'the table bottom'],
                   [table.querySelector('tbody tr:last-child'), 12, 'the last row']];
  document.querySelectorAll('.oe-main .v-card').forEach(
    c => targets.push([c, 6, 'card ' + (c.innerText || '').trim().split('\\n')[0]]));
  const covered = [], checked = [], view = scroller.getBoundingClientRect();
  const shown = table.getBoundingClientRect();  // a row is clipped to the table's box
  for (const [e, depth, name] of targets) {
    const r = e.getBoundingClientRect(), clip = table.contains(e) ? shown : view;
    if (r.top < view.top - 1 || r.bottom > view.bottom + 1) continue;  // not in the window
    checked.push(name);
    for (let x = Math.max(r.left, clip.left) + 4; x < Math.min(r.right, clip.right) - 2; x += 30)
      for (const y of [r.bottom - 2, r.bottom - depth + 1]) {
        const hit = document.elementFromPoint(x, y);
        if (!e.contains(hit))
          covered.push(`${name} at (${Math.round(x)}, ${Math.round(y)}) under `
                       + (hit ? (hit.innerText || hit.tagName).slice(0, 40) : 'nothing'));
      }
  }
  const label = table.querySelector('tbody tr:last-child th').getBoundingClientRect();
  return {overlays, covered, checked, scrolled: table.scrollLeft,
          label_left: label.left - table.getBoundingClientRect().left};
}"""


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_nothing_covers_the_comparison_table_or_a_card_edge(server, page, width, height):
    """Defect 10: solara's "This website runs on Solara" line (kept: it credits the framework)
    sits at the window's bottom right over the page; it covered the comparison table's scroll
    bar and last row when the table was at the window's bottom. With the table scrolled to
    the window's bottom (scrolled sideways to its right end too) and with the page at its end,
    no point near the bottom edge of the table, its last row or any card in the window is
    under anything else, and the row labels stay at the table's left edge."""
    page.set_viewport_size({"width": width, "height": height})
    _open(page, server, "?n_users=300&compare=1")
    page.locator("img.oe-view-network-b").first.wait_for()
    _steps(page, 1)
    scroll = {
        "the table at the window's bottom": """() => {
            const s = document.querySelector('.solara-content-main > div');
            const t = document.querySelector('.oe-measures');
            s.scrollTop += t.getBoundingClientRect().bottom - s.getBoundingClientRect().bottom;
            t.scrollLeft = 0; }""",
        "the table scrolled to its right end": """() => {
            const t = document.querySelector('.oe-measures');
            t.scrollLeft = t.scrollWidth; }""",
        "the page at its end": """() => {
            const s = document.querySelector('.solara-content-main > div');
            s.scrollTop = s.scrollHeight; }""",
    }
    for where, js in scroll.items():
        page.evaluate(js)
        page.wait_for_timeout(300)
        seen = page.evaluate(_COVERED_JS)
        at = f"{width}x{height}, {where}"
        assert seen["covered"] == [], f"{at}: {seen['covered'][:5]}; overlays {seen['overlays']}"
        assert abs(seen["label_left"]) <= 1, f"{at}: the row labels scrolled away {seen}"
        # the test looked: at the table, its last row; at the page's end, a card's edge
        looked = "the last row" if "table" in where else "card "
        assert any(c.startswith(looked) for c in seen["checked"]), f"{at}: {seen}"
    # the table scrolls sideways at 1366 (at 1920 it fits), and it was scrolled
    assert width > 1366 or seen["scrolled"] > 50, seen
