"""Benchmark of the "Topics and creators" card (``make bench``; never part of ``make test``).

At 10,000 users with topics, a designated creator and the user follow rule on (the address
docs/viewer.md gives), one frame of the card is timed after each model step (the step is not
timed): the follow measures it records (they read every follow tie), the card's HTML and its
figure. ``extra_info`` splits the frame into ``record_ms`` (the measures), ``html_ms`` and
``figure_ms`` (the PNG of the figure), each the median over the rounds; ``full_draws`` counts
the kept figure's full draws (warm-up included). No timed asserts.
"""

from __future__ import annotations

import statistics
import time

import pytest

from model import OpinionEcology
from viewer.arms import build_model
from viewer.render import live_views
from viewer.settings import settings_from_query
from viewer.topics_view import FollowView, follow_figure, panel_html, png_of

#: The Ding Zhen address of docs/viewer.md at 10,000 users.
DING = (
    "n_users=10000&seed=1&steps=100000&n_topics=20&trending_by=topics&derivative_share=0.3"
    "&creator=0&creator_appeal=50&user_follow.like_follow_prob=0.2"
)
#: Steps run before timing (one simulated day), and frames timed.
WARMUP, ROUNDS = 24, 12


@pytest.mark.parametrize("figure", ["rebuilt", "kept"])
def test_topics_card_frame_10k(benchmark, figure):
    """One frame of the card after each Step at 10,000 users: its figure built anew at each
    frame (``rebuilt``: :func:`viewer.topics_view.follow_figure`, as the page drew it before)
    or kept between frames (``kept``: :class:`viewer.topics_view.FollowView`, as it does now).
    """
    kwargs, _ = settings_from_query(DING)
    m = build_model(kwargs)
    assert isinstance(m, OpinionEcology)
    live = live_views(m)
    view = FollowView(live.labels)

    def _figure_png(live) -> bytes:
        if figure == "kept":
            return view.frame(live.follow)
        return png_of(follow_figure(live.follow))

    for _ in range(WARMUP):
        m.step()
        live.follow[m.strategy.label()].record(m)
        _figure_png(live)
    parts: dict[str, list[float]] = {"record": [], "html": [], "figure": []}

    def frame() -> None:
        t0 = time.perf_counter()
        live.follow[m.strategy.label()].record(m)
        t1 = time.perf_counter()
        panel_html({m.strategy.label(): m}, live.follow)
        t2 = time.perf_counter()
        _figure_png(live)
        t3 = time.perf_counter()
        parts["record"].append(t1 - t0)
        parts["html"].append(t2 - t1)
        parts["figure"].append(t3 - t2)

    benchmark.pedantic(frame, setup=m.step, rounds=ROUNDS, iterations=1)
    benchmark.extra_info.update(
        users=m.n_users,
        figure=figure,
        full_draws=view.live.full_draws,
        **{f"{k}_ms": 1000 * statistics.median(v) for k, v in parts.items()},
    )
