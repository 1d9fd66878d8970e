"""Play in a real browser (``make bench``; needs Debian's chromium, never part of ``make test``).

tests/benchmarks/test_app_bench.py times a Play tick on the server (step + every view). This
benchmark measures what a researcher sees: ``solara run app.py`` at 10,000 users opened in
headless chromium (loopback only) through the page address, Play pressed, and the step counter
read in the page while it plays. It counts the steps the page's counter showed per second, so
it includes Solara's diffing, the websocket (every frame's PNGs go with the counter) and the
page's update; the decoding of the images, which the browser does asynchronously, is not
timed. Figures go into ``benchmark.extra_info``; no timed asserts.
"""

from __future__ import annotations

import re
import time

import pytest

from viewer.page import DEFAULT_PLAY_INTERVAL_MS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

USERS = 10_000
#: Steps played before the measurement starts (the first day's axes settle).
WARMUP_STEPS = 24
#: Seconds the counter is watched.
WINDOW_S = 10.0


def _shown_step(page) -> int:
    text = page.locator(".oe-step-counter").first.inner_text()
    return int(re.search(r"Step (\d+)", text).group(1))


def test_browser_play_rate_10k(benchmark, server, browser_page):
    page, blocked = browser_page
    page.goto(f"{server}?n_users={USERS}&strategy=interactive&seed=1&steps=100000")
    page.locator(".oe-step-counter", has_text="Step 0").first.wait_for()
    page.locator("img.oe-view-ccdf").first.wait_for()
    play = page.get_by_role("button", name="▶")
    play.click()
    # wait until the counter shows at least WARMUP_STEPS (it may skip values under load)
    page.wait_for_function(
        """n => {
            const e = document.querySelector('.oe-step-counter');
            const m = e && e.innerText.match(/Step (\\d+)/);
            return m && Number(m[1]) >= n;
        }""",
        arg=WARMUP_STEPS,
    )
    samples: list[tuple[float, int]] = []

    def watch() -> None:
        samples.append((time.perf_counter(), _shown_step(page)))
        deadline = samples[0][0] + WINDOW_S
        while time.perf_counter() < deadline:
            page.wait_for_timeout(250)
            samples.append((time.perf_counter(), _shown_step(page)))

    benchmark.pedantic(watch, rounds=1, iterations=1)
    page.get_by_role("button", name="❚❚").click()
    (t0, s0), (t1, s1) = samples[0], samples[-1]
    benchmark.extra_info.update(
        users=USERS,
        render_interval=1,
        play_interval_ms=DEFAULT_PLAY_INTERVAL_MS,
        steps_shown=s1 - s0,
        seconds=t1 - t0,
        steps_per_s=(s1 - s0) / (t1 - t0),
    )
    assert blocked == [], f"the page asked for outside addresses: {blocked}"
