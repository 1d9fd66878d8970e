"""Headless tests of the viewer's pointer features and the Topics card's kept figure (issue 21
part 5): which node a click at a pixel picks, what a hover over the time series reads out,
and the "Topics and creators" figure drawn over a cached background. The browser tests of
the same features are in tests/test_app_browser_inspect.py.
"""

from __future__ import annotations

import pytest

from viewer.arms import arms_of, build_model
from viewer.render import _topics_panel, live_views
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
