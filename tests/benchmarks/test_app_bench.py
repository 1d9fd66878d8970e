"""Benchmarks of the viewer (``make bench``; never part of ``make test``).

The targets (docs/viewer.md, Responsiveness): at 100,000 users, a Step with a render interval of 1 updates every view
within 1 s, and Reset builds the model within 10 s; at 10,000 users, Play sustains at least 5
steps per second. The viewer draws every view server-side (``viewer.render.render_views``: four
matplotlib PNGs and the measures table), so one frame is timed as the model's step plus
``render_views``, which is what a Step click or one Play tick costs on the server. Play adds
the play interval (``viewer.page.DEFAULT_PLAY_INTERVAL_MS``) per tick. The figures are kept between
frames and redraw only what moves (``viewer.figures.LiveFigure``); ``full_draws`` counts the frames that
were drawn in full (the first, and one per change of axis limits). What the browser shows
while playing is measured by tests/benchmarks/test_app_browser_bench.py.

Figures go into ``benchmark.extra_info`` (``--benchmark-verbose`` or ``--benchmark-json``);
docs/viewer.md records a run on this machine. No timed asserts.
"""

from __future__ import annotations

import time

import pytest

from model import OpinionEcology, Params
from viewer.arms import build_model
from viewer.page import DEFAULT_PLAY_INTERVAL_MS
from viewer.render import live_views, render_views, time_views
from viewer.sample import network_sample

#: Steps run before timing, so screens and cascade logs are in steady state (one day).
WARMUP = 24


def _warm(n: int, strategy: str = "interactive") -> OpinionEcology:
    m = OpinionEcology(seed=1, n_users=n, strategy=strategy, steps=10**6)
    m.run(WARMUP)
    network_sample(m)  # computed once per model, at the first frame
    return m


def test_reset_build_100k(benchmark):
    """Reset at 100,000 users: the model is built (its layout comes with the first frame)."""
    m = benchmark.pedantic(
        lambda: build_model({"params": Params(n_users=100_000), "seed": 1}),
        rounds=1,
        iterations=1,
    )
    t = time.perf_counter()
    render_views(m)
    benchmark.extra_info.update(users=100_000, first_frame_s=time.perf_counter() - t)


def test_step_and_render_100k(benchmark):
    """One Step at render interval 1: the model step plus redrawing every view.

    The first frame after Reset (figures built, drawn in full) is timed by
    ``test_reset_build_100k``; this times the Steps after it.
    """
    m = _warm(100_000)
    render_views(m)
    per_view: dict[str, float] = {}

    def frame() -> None:
        t0 = time.perf_counter()
        m.step()
        per_view["step"] = time.perf_counter() - t0
        per_view.update(time_views(m))

    benchmark.pedantic(frame, rounds=5, iterations=1)
    benchmark.extra_info.update(users=100_000, **{f"{k}_s": v for k, v in per_view.items()})


def _play(m, ticks: int, render_interval: int) -> None:
    """What Mesa's ModelController does per Play tick: sleep, step, redraw every view."""
    sleep = DEFAULT_PLAY_INTERVAL_MS / 1000
    for _ in range(ticks):
        time.sleep(sleep)
        for _ in range(render_interval):
            m.step()
        render_views(m)


def _draw_counts(m, before: dict[str, int] | None = None) -> dict[str, int]:
    """Figure frames and full draws of ``m``'s views, minus ``before`` (untimed frames)."""
    figs = live_views(m).figures()
    before = before or {}
    return {
        "frames": sum(f.frames for f in figs) - before.get("frames", 0),
        "full_draws": sum(f.full_draws for f in figs) - before.get("full_draws", 0),
    }


@pytest.mark.parametrize("render_interval", [1, 5])
def test_play_rate_10k(benchmark, render_interval):
    """Play at 10,000 users after one simulated day: steps per second, play interval included."""
    m = _warm(10_000)
    render_views(m)  # the figures exist from the first frame on
    before = _draw_counts(m)
    ticks = 20
    benchmark.pedantic(lambda: _play(m, ticks, render_interval), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        users=10_000,
        render_interval=render_interval,
        play_interval_ms=DEFAULT_PLAY_INTERVAL_MS,
        steps_per_s=ticks * render_interval / seconds,
        **_draw_counts(m, before),
    )


def test_play_rate_10k_from_reset(benchmark):
    """Play the first day at 10,000 users straight after Reset (first frame and layout included).

    The first day is the worst case: the series grow fastest, so axis limits change and
    whole figures are redrawn most often.
    """
    m = OpinionEcology(seed=1, n_users=10_000, strategy="interactive", steps=10**6)
    ticks = 24
    first: list[float] = []

    def play() -> None:
        t = time.perf_counter()
        render_views(m)  # the page's first frame after Reset: layout and figures built
        first.append(time.perf_counter() - t)
        _play(m, ticks, 1)

    benchmark.pedantic(play, rounds=1, iterations=1)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        users=10_000,
        render_interval=1,
        play_interval_ms=DEFAULT_PLAY_INTERVAL_MS,
        first_frame_s=first[0],
        steps_per_s=ticks / seconds,
        steps_per_s_after_first_frame=ticks / (seconds - first[0]),
        **_draw_counts(m),
    )
