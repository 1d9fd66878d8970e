"""The "Topics and creators" panel: the trending list, a creator's followers and the user
follow network's segregation (docs/ODD.md 7.18, 7.19).

Shown only while one of these mechanisms is on (:func:`shows_topics`), so the default page is
unchanged. The follow measures (``follow_cross_share``, ``follow_modularity``) read every
user follow tie, so they are not in the model's step: :class:`FollowHistory` computes them
here, once per drawn frame (the render interval), and keeps the series it plots.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from model import OpinionEcology
from model.measures.follow_network import cross_share, modularity
from model.measures.topics import discussions_per_topic, trending_list, views_per_topic
from model.topics import topics_on
from viewer.axes import step_limit, sticky_range
from viewer.figures import ARM_COLORS, ARM_STYLES, SMALL_WIDTH, VIEW_DPI, LiveFigure

#: Most rows of the trending list the panel shows (the list may be up to 10,000 long).
MAX_ROWS = 10


def user_follow_on(m: OpinionEcology) -> bool:
    """Whether the user follow layer changes (the ``user_follow`` rule is active)."""
    return bool(getattr(m.rules.user_follow, "active", False))


def shows_topics(m: OpinionEcology) -> bool:
    """Whether the panel is shown: topics, a designated creator or the user follow rule on."""
    return topics_on(m.params) or m.params.creator >= 0 or user_follow_on(m)


def tracked_creator(m: OpinionEcology) -> tuple[int, str]:
    """The user whose followers the panel follows, and why: ``creator`` when set, else the
    user with most user followers now (the lower index on a tie)."""
    if m.params.creator >= 0:
        return int(m.params.creator), "the designated creator"
    counts = m.user_follower_counts()
    return int(np.argmax(counts)), "the user with most followers"


@dataclass
class FollowHistory:
    """One model's series, recorded at the frames drawn: step, the tracked creator's
    followers, and the follow layer's cross share and modularity by opinion sign."""

    steps: list[int] = field(default_factory=list)
    followers: list[int] = field(default_factory=list)
    cross: list[float] = field(default_factory=list)
    modularity: list[float] = field(default_factory=list)

    def record(self, m: OpinionEcology) -> None:
        """Add the model's current values, unless its step is recorded already."""
        t = int(m.steps)
        if self.steps and self.steps[-1] == t:
            return
        if self.steps and t < self.steps[-1]:
            self.__init__()  # type: ignore[misc]  # a new run in the same slot: start over
        who, _ = tracked_creator(m)
        self.steps.append(t)
        self.followers.append(int(m.user_follower_counts()[who]))
        m.settle()  # the opinions the measures read, as of this step
        self.cross.append(cross_share(m))
        self.modularity.append(modularity(m))


def trending_rows(m: OpinionEcology) -> list[dict[str, int]]:
    """The trending list's first :data:`MAX_ROWS` topics: rank (1 = top), topic, views and
    comments of its items so far, and the step it entered the list."""
    listed = trending_list(m)[:MAX_ROWS]
    if len(listed) == 0:
        return []
    views = views_per_topic(m)
    talk = discussions_per_topic(m)
    since = m.topic_trending_since(listed)
    return [
        {
            "rank": i + 1,
            "topic": int(k),
            "views": int(views[k]),
            "discussions": int(talk[k]),
            "since": int(s),
        }
        for i, (k, s) in enumerate(zip(listed, since, strict=True))
    ]


def panel_html(arms: Mapping[str, OpinionEcology], histories: Mapping[str, FollowHistory]) -> str:
    """The panel's text: per arm, the trending list as a table and the tracked creator's
    follower count and the follow layer's segregation now."""
    parts: list[str] = []
    for label, m in arms.items():
        h = histories[label]
        head = f"<b>{html.escape(label)}</b>: " if len(arms) > 1 else ""
        who, why = tracked_creator(m)
        parts.append(
            f"<p class='oe-creator'>{head}user {who} ({why}): "
            f"<b>{h.followers[-1]:,}</b> followers at step {h.steps[-1]}. "
            f"Follow ties across opinion sides: {h.cross[-1]:.3f}; "
            f"modularity by side: {h.modularity[-1]:.3f}.</p>"
        )
        rows = trending_rows(m)
        if not topics_on(m.params):
            parts.append("<p>Topics are off (n_topics = 1).</p>")
        elif not rows:
            parts.append("<p>The trending list is empty so far.</p>")
        else:
            cells = "".join(
                f"<tr><td>{r['rank']}</td><td>{r['topic']}</td><td>{r['views']:,}</td>"
                f"<td>{r['discussions']:,}</td><td>{r['since']}</td></tr>"
                for r in rows
            )
            parts.append(
                "<table class='oe-trending'><thead><tr><th>rank</th><th>topic</th>"
                "<th>views</th><th>discussions</th><th>trending since step</th></tr></thead>"
                f"<tbody>{cells}</tbody></table>"
            )
    return "".join(parts)


def follow_figure(histories: Mapping[str, FollowHistory]) -> Figure:
    """The tracked creator's followers and the follow layer's segregation over the run, as a
    new figure (the page keeps one instead: :class:`FollowView`)."""
    fig = Figure(figsize=(SMALL_WIDTH, 4.2), dpi=VIEW_DPI, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    for i, (label, h) in enumerate(histories.items()):
        style, color = ARM_STYLES[i % 2], ARM_COLORS[i % 2]
        suffix = f" ({label})" if len(histories) > 1 else ""
        top.plot(h.steps, h.followers, style, color=color, label=f"followers{suffix}")
        bottom.plot(h.steps, h.cross, style, color="#1f77b4", label=f"cross share{suffix}")
        bottom.plot(h.steps, h.modularity, style, color="#ff7f0e", label=f"modularity{suffix}")
    top.set_ylabel("creator's followers")
    bottom.set_ylabel("segregation")
    bottom.set_xlabel("step")
    bottom.legend(loc="best")
    if len(histories) > 1:
        top.legend(loc="best")
    return fig


#: Colours of the segregation curves (the followers' curve takes its arm's colour).
CROSS_COLOR, MODULARITY_COLOR = "#1f77b4", "#ff7f0e"


class FollowView:
    """The card's figure, kept between frames: :func:`follow_figure`'s curves, drawn by a
    :class:`viewer.figures.LiveFigure` (only the curves are redrawn over a cached background;
    the whole figure only when an axis limit changes), and not drawn at all when no arm has
    recorded a new step since the last frame.

    Building the figure anew at each frame (:func:`follow_figure`) cost 153 ms per frame at
    10,000 users (tests/benchmarks/test_topics_bench.py), most of it the constrained layout
    and the axes, which do not change between frames.
    """

    def __init__(self, labels: list[str]) -> None:
        fig = Figure(figsize=(SMALL_WIDTH, 4.2), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True)
        self.top, self.bottom = top, bottom
        self.lines: dict[str, tuple[Line2D, Line2D, Line2D]] = {}
        for i, label in enumerate(labels):
            style, color = ARM_STYLES[i % 2], ARM_COLORS[i % 2]
            (followers,) = top.plot([], [], ls=style, color=color)
            (cross,) = bottom.plot([], [], ls=style, color=CROSS_COLOR)
            (mod,) = bottom.plot([], [], ls=style, color=MODULARITY_COLOR)
            self.lines[label] = (followers, cross, mod)
        top.set_ylabel("creator's followers")
        bottom.set_ylabel("segregation")
        bottom.set_xlabel("step")
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
        top.set_ylim(0.0, 10.0)
        bottom.set_ylim(0.0, 1.0)
        top.set_xlim(0.0, step_limit(0))
        # outside the axes: the moving curves are drawn after the background
        handles = [
            Line2D([], [], color=CROSS_COLOR, label="cross share"),
            Line2D([], [], color=MODULARITY_COLOR, label="modularity"),
        ]
        if len(labels) > 1:
            handles += [
                Line2D([], [], color=ARM_COLORS[i % 2], ls=ARM_STYLES[i % 2], label=label)
                for i, label in enumerate(labels)
            ]
        fig.legend(
            handles=handles, loc="outside lower center", ncols=min(len(handles), 2), frameon=False
        )
        self.live = LiveFigure(fig)
        self.live.animate(*(line for lines in self.lines.values() for line in lines))
        self._drawn: tuple[tuple[int, int], ...] | None = None
        self._png = b""

    def frame(self, histories: Mapping[str, FollowHistory]) -> bytes:
        """The figure's PNG for ``histories`` (one per arm, in the labels' order)."""
        key = tuple((len(h.steps), h.steps[-1] if h.steps else -1) for h in histories.values())
        if key == self._drawn:
            return self._png  # nothing new recorded: the last frame stands
        last, followers, segregation = 0, [], []
        for label, h in histories.items():
            f_line, c_line, m_line = self.lines[label]
            f_line.set_data(h.steps, h.followers)
            c_line.set_data(h.steps, h.cross)
            m_line.set_data(h.steps, h.modularity)
            if h.steps:
                last = max(last, h.steps[-1])
                followers += h.followers
                segregation += h.cross + h.modularity
        self.live.set_limits(self.top, x=(0.0, step_limit(last)))
        if followers:
            top = sticky_range(tuple(self.top.get_ylim()), 0.0, max(followers), min_span=10.0)
            self.live.set_limits(self.top, y=top)
        seg = np.asarray(segregation, dtype=float)
        seg = seg[np.isfinite(seg)]
        if len(seg):
            y = sticky_range(tuple(self.bottom.get_ylim()), float(seg.min()), float(seg.max()))
            self.live.set_limits(self.bottom, y=y)
        self._png, self._drawn = self.live.png(), key
        return self._png

    def readout(self, x: float, y: float) -> str | None:
        """What the curves of the panel under pixel (``x``, ``y``) of the PNG show at the
        recorded step nearest to the pointer (the card records one point per drawn frame):
        ``"Creator's followers at step 12: 340"``, ``"Segregation at step 12: cross share
        0.412, modularity 0.101"`` (a comparison names each arm). None outside both panels
        or before anything is recorded."""
        ax = self.live.axes_at(x, y, [self.top, self.bottom])
        if ax is None:
            return None
        at = self.live.from_pixel(ax, x, y)[0]
        multi = len(self.lines) > 1
        parts, step = [], None
        for label, (f_line, c_line, m_line) in self.lines.items():
            steps = np.asarray(f_line.get_xdata())
            if len(steps) == 0:
                continue
            i = int(np.argmin(np.abs(steps - at)))
            step = int(steps[i]) if step is None else step
            head = f"{label} " if multi else ""
            if ax is self.top:
                parts.append(f"{head}{int(f_line.get_ydata()[i]):,}")
            else:
                cross, mod = c_line.get_ydata()[i], m_line.get_ydata()[i]
                parts.append(f"{head}cross share {cross:.3f}, modularity {mod:.3f}")
        if step is None:
            return None
        title = "Creator's followers" if ax is self.top else "Segregation"
        return f"{title} at step {step}: {'; '.join(parts)}"


def png_of(fig: Figure) -> bytes:
    """``fig`` as PNG bytes."""
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()
