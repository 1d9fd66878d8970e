"""Headless tests of the viewer's pointer features and the Topics card's kept figure (issue 21
part 5): which node a click at a pixel picks, what a hover over the time series reads out,
and the "Topics and creators" figure drawn over a cached background. The browser tests of
the same features are in tests/test_app_browser_inspect.py.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from model.measures import COHORTS
from viewer.arms import arms_of, build_model
from viewer.figures import VIEW_DPI
from viewer.network_view import PICK_RADIUS_PX, RING_SIZE
from viewer.pointer import network_hint, network_readout
from viewer.render import _topics_panel, live_views, render_views
from viewer.settings import settings_from_query

#: Topics, a designated creator and the user follow rule on (docs/viewer.md), small.
DING = (
    "n_users=300&seed=3&n_topics=20&trending_by=topics&derivative_share=0.3&creator=0"
    "&creator_appeal=50&user_follow.like_follow_prob=0.2"
)


def _model(query: str):
    kwargs, _ = settings_from_query(query)
    return build_model(kwargs)


@pytest.mark.slow  # 5-7 s on 2 cores: make test and CI run it, make test-fast skips it
@pytest.mark.parametrize("compare", ["", "&compare=1"])
def test_topics_figure_is_kept_and_equals_a_full_redraw(compare):
    """Each frame of the kept figure, drawn over its cached background, is pixel-identical to
    the same figure drawn in full; its curves are the recorded series; a frame with nothing
    new recorded is not drawn again; and some frames took the fast path."""
    m = _model(DING + compare)
    live = live_views(m)
    arms = arms_of(m)
    fast = 0
    for _ in range(16):
        m.step()
        before = live.topics.live.full_draws if live.topics else 0
        _, png = _topics_panel(arms, live)
        view = live.topics
        assert view is not None
        fast += view.live.full_draws == before
        frames = view.live.frames
        assert _topics_panel(arms, live)[1] == png and view.live.frames == frames  # no redraw
        view.live.invalidate()
        view._drawn = None  # force the frame: drawn in full this time
        assert view.frame(live.follow) == png, m.steps
    for label, h in live.follow.items():
        followers, cross, mod = (line.get_data() for line in view.lines[label])
        assert list(followers[0]) == h.steps and list(followers[1]) == h.followers
        assert list(cross[1]) == h.cross and list(mod[1]) == h.modularity
        lo, hi = view.top.get_ylim()
        assert lo <= min(h.followers) and max(h.followers) <= hi
    assert fast > 8  # most frames were drawn over the background
    assert view.live in live.figures()


def _rgb(png: bytes, x: float, y: float) -> tuple[int, int, int]:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return img.getpixel((round(x), round(y)))


def _dark_ring_pixels(png: bytes, centre: np.ndarray, radius: float) -> int:
    """Pixels on a circle of ``radius`` around ``centre`` darker than any node colour."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    return sum(
        max(_rgb(png, centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a))) < 70
        for a in angles
    )


def test_a_click_on_a_node_picks_its_user_and_rings_it():
    """Each sampled user's node centre, mapped from the axes' box and limits by hand, picks
    that user; a point 20 px from every node picks no one; the selected user's node gets a
    dark ring in the PNG (none before), and the caption says so."""
    m = _model("n_users=400&seed=5&strategy=interactive")
    m.run(2)
    label = m.strategy.label()
    views = render_views(m)
    view = live_views(m).network[label]
    w, h = view.live.canvas.get_width_height()
    box = view.ax.get_position()  # figure fractions
    (x0, x1), (y0, y1) = view.ax.get_xlim(), view.ax.get_ylim()
    pos = view.sample.pos
    px = (box.x0 + (pos[:, 0] - x0) / (x1 - x0) * box.width) * w
    py = (1 - box.y0 - (pos[:, 1] - y0) / (y1 - y0) * box.height) * h
    np.testing.assert_allclose(view.pixels(), np.column_stack([px, py]), atol=1e-6)
    gaps = np.hypot(px[:, None] - px[None], py[:, None] - py[None]) + np.eye(len(px)) * 1e9
    lonely = np.flatnonzero(gaps.min(axis=1) > 2 * PICK_RADIUS_PX)
    assert len(lonely) > 10
    for i in lonely[:10]:
        assert view.node_at(px[i] + 2, py[i] - 2) == int(view.sample.users[i])
    far = np.array([[x, y] for x in range(5, w, 7) for y in range(5, h, 7)], dtype=float)
    d = np.hypot(far[:, :1] - px[None], far[:, 1:] - py[None]).min(axis=1)
    x, y = far[np.argmax(d > 20)]
    assert view.node_at(x, y) is None
    i = int(lonely[0])
    user = int(view.sample.users[i])
    centre = np.array([px[i], py[i]])
    radius = np.sqrt(RING_SIZE) / 2 * VIEW_DPI / 72
    assert _dark_ring_pixels(views[f"network:{label}"], centre, radius) == 0
    ringed = render_views(m, selected=user)
    assert _dark_ring_pixels(ringed[f"network:{label}"], centre, radius) > 30
    assert f"user {user} selected (ringed)" in ringed[f"caption:network:{label}"]
    off = int(np.setdiff1d(np.arange(m.n_users), view.sample.users)[0])  # 300 of 400 drawn
    caption = render_views(m, selected=off)[f"caption:network:{label}"]
    assert f"user {off} selected (not among the users drawn)" in caption
    # the line under the network: the selected user's state, or how to select one
    hint = network_hint(m, label, user)
    assert hint.startswith(f"Selected: user {user} (") and (
        f"opinion {m.state.opinion[user]:.3f}, trust {m.state.trust_media[user, 0]:.3f}" in hint
    )
    assert network_hint(m, label, 10**6).startswith("Click a node")  # after a smaller Reset
    assert network_readout(m, label, user)(px[i], py[i]).endswith("; selected")
    off = int(np.setdiff1d(np.arange(m.n_users), view.sample.users)[0]) if m.n_users > 300 else None
    if off is not None:
        assert (
            "not among the users drawn" in render_views(m, selected=off)[f"caption:network:{label}"]
        )


@pytest.mark.parametrize(
    "compare",
    ["", pytest.param("&compare=1", marks=pytest.mark.slow)],  # a comparison: 4-7 s
)
def test_the_time_series_reads_out_the_values_at_the_step_pointed_at(compare):
    """A pixel of a panel, computed from the axes' box and limits by hand, reads out the step
    there and the DataCollector's value at that step (each arm's in a comparison); the
    trust panel names the generations; a pixel between panels reads None."""
    m = _model("n_users=300&seed=4" + compare)
    arms = arms_of(m)
    for _ in range(6):
        m.step()
        render_views(m)
    view = live_views(m).timeseries

    def pixel(ax, step: float) -> tuple[float, float]:
        return _pixel(view.live, ax, step)

    for k in (0, 3, 6):
        text = view.readout(*pixel(view.axes[0], k))
        assert text is not None and text.startswith(f"Reach at step {k}: "), text
        values = re.findall(r"-?\d+\.\d{3}", text)
        want = [m_.datacollector.model_vars["reach"][k] for m_ in arms.values()]
        assert [float(v) for v in values] == pytest.approx(want, abs=5e-4), text
        if compare:
            assert all(label in text for label in arms)
    text = view.readout(*pixel(view.axes[4], 3))
    assert text is not None and text.startswith("Trust in the focal outlet at step 3:")
    for g in COHORTS:
        assert g in text
    first = next(iter(arms.values()))
    got = float(re.search(r"post00 (-?\d+\.\d{3})", text)[1])
    assert got == pytest.approx(first.datacollector.model_vars["trust[post00]"][3], abs=5e-4)
    # past the last step recorded: the last step
    assert view.readout(*pixel(view.axes[1], 20)).startswith("Secondary share at step 6:")
    assert view.readout(2.0, 2.0) is None


def _pixel(live, ax, x: float, y_frac: float = 0.5, log: bool = False) -> tuple[float, float]:
    """Pixel of data x (at height ``y_frac`` of the axes) of ``ax``, from its box and limits."""
    w, h = live.canvas.get_width_height()
    box = ax.get_position()
    x0, x1 = ax.get_xlim()
    f = (np.log(x) - np.log(x0)) / (np.log(x1) - np.log(x0)) if log else (x - x0) / (x1 - x0)
    return (box.x0 + f * box.width) * w, (1 - box.y0 - y_frac * box.height) * h


@pytest.mark.slow  # every view of 12 frames with the Topics card: make test-fast skips it
def test_the_other_charts_read_out_what_they_draw():
    """The opinion panel reads each generation's density in the bin pointed at (numpy's
    histogram of the model's opinions), the CCDF the share of cascades of at least the size
    pointed at, the Topics card the creator's followers at the recorded step pointed at."""
    from model import measures as M

    m = _model(DING)
    live = live_views(m)
    arms = arms_of(m)
    for _ in range(12):
        m.step()
        views = render_views(m)
    assert "topics" in views
    op = live.opinions
    (ax,) = op.axes.values()
    text = op.readout(*_pixel(op.live, ax, 0.12))
    assert text is not None and text.startswith("opinion 0.10 to 0.15, density: "), text
    for code, g in enumerate(COHORTS):
        xs = m.state.opinion[m.state.gen == code]
        want = np.histogram(xs, bins=op.BINS, density=True)[0][22]
        assert float(re.search(rf"{g} (\d+\.\d{{3}})", text)[1]) == pytest.approx(want, abs=5e-4)
    sizes = M.cascade_sizes(m).to_numpy()
    sizes = sizes[sizes > 0]
    assert len(sizes) > 5
    cc = live.ccdf
    for s in (1, 2, 3):
        text = cc.readout(*_pixel(cc.live, cc.ax, s, log=True))
        assert text == f"P(S >= {s}): {np.mean(sizes >= s):.3f}", text
    fv = live.topics
    h = live.follow[next(iter(arms))]
    k = h.steps[5]
    text = fv.readout(*_pixel(fv.live, fv.top, k + 0.2))
    assert text == f"Creator's followers at step {k}: {h.followers[5]:,}", text
    text = fv.readout(*_pixel(fv.live, fv.bottom, k))
    assert text == (
        f"Segregation at step {k}: cross share {h.cross[5]:.3f}, modularity {h.modularity[5]:.3f}"
    )
    for view in (op, cc, fv):
        assert view.readout(1.0, 1.0) is None
