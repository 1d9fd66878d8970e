"""The Ding Zhen mechanisms in the viewer (issue 20, item 8), in a real browser: the "Topics
and creators" panel shows the trending list, the creator's followers and the user follow
network's segregation while they are on, and is absent from the default page.

Shares the browser and page fixtures of tests/test_app_browser_defects.py (one server for
this module, one chromium).
"""

from __future__ import annotations

import re

import pytest

from tests.test_app_browser_defects import CLICK_TIMEOUT_MS, _open, _steps, browser  # noqa: F401
from tests.test_app_browser_defects import page as page  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

#: Topics by the trending list, derivative posts, a designated creator of high appeal and the
#: user follow rule on: every mechanism the panel shows.
DING = (
    "?n_users=300&seed=3&n_topics=20&trending_by=topics&derivative_share=0.3&creator=0"
    "&creator_appeal=50&user_follow.like_follow_prob=0.2"
)


def test_topics_panel_shows_the_trending_list_and_the_creator(server, page):
    """After three steps the panel lists trending topics (rank 1 first, a topic in 0..19,
    entered at a step <= 3) and user 0's followers (> 0, from the follow rule) with the
    follow layer's segregation; the default page has no such panel."""
    _open(page, server, DING)
    assert page.locator(".oe-error").count() == 0
    _steps(page, 3)
    card = page.locator(".oe-card-topics")
    card.locator(".oe-creator", has_text="at step 3").wait_for()
    # the creator's line and the trending table are one HTML widget: read at once
    text = card.locator(".oe-creator").inner_text()
    got = re.search(r"user 0 \(the designated creator\): ([\d,]+) followers at step 3", text)
    assert got and int(got[1].replace(",", "")) > 0, text
    assert re.search(r"across opinion sides: 0\.\d{3}; modularity by side: -?0\.\d{3}", text)
    rows = card.locator("table.oe-trending tbody tr").evaluate_all(
        "rs => rs.map(r => [...r.cells].map(c => c.innerText))"
    )
    assert rows and rows[0][0] == "1", rows
    for _rank, topic, views, discussions, since in rows:
        assert 0 <= int(topic) < 20 and 0 <= int(since) <= 3
        assert int(views.replace(",", "")) >= 0 and int(discussions.replace(",", "")) >= 0
    # the figure is a widget apart from the panel's text, and may reach the page after it
    page.wait_for_function(
        "() => { const i = document.querySelector('.oe-card-topics img.oe-view-topics');"
        " return !!i && i.naturalWidth > 200 && i.naturalHeight > 200; }",
        timeout=CLICK_TIMEOUT_MS,
    )

    _open(page, server, "?n_users=300")
    _steps(page, 1)
    assert page.locator(".oe-card-topics").count() == 0


def test_viral_creator_is_a_preset_of_the_page(server, page):
    """The preset select offers viral_creator, and choosing it waits for Reset."""
    _open(page, server, "?n_users=300")
    page.locator(".oe-preset .v-field").first.click()
    page.locator(".v-overlay--active .v-list").first.wait_for()
    for _ in range(30):
        item = page.locator(".v-overlay--active .v-list-item").filter(
            has=page.get_by_text("viral_creator", exact=True)
        )
        if item.count():
            break
        page.locator(".v-overlay--active .v-list").first.evaluate("e => e.scrollTop += 150")
        page.wait_for_timeout(150)
    item.first.click()
    page.locator(".oe-pending").first.wait_for()
    assert page.locator(".oe-error").count() == 0
