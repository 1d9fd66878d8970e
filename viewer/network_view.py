"""The network view: the sampled acquaintance network coloured by a user state, cascades in red."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from model import OpinionEcology
from viewer.figures import GEN_COLORS, SMALL_WIDTH, LiveFigure
from viewer.sample import CASCADE_WINDOW, NetworkSample, active_cascade_edges

#: Node colourings of the network view.
COLOR_BY = ("opinion", "trust", "valence", "generation")


def node_values(model: OpinionEcology, users: np.ndarray, color_by: str) -> np.ndarray:
    """The state the network view colours nodes by."""
    s = model.state
    if color_by == "opinion":
        return s.opinion[users]
    if color_by == "trust":
        return s.trust_media[users, 0]
    if color_by == "valence":
        return s.valence[users]
    if color_by == "generation":
        return s.gen[users]
    raise ValueError(f"color_by={color_by!r} is not allowed; choose one of {', '.join(COLOR_BY)}")


#: How far from a node's centre (PNG pixels) a click still picks it: a little more than the
#: largest node's radius (size 128 pt^2 is about 6 px at the views' resolution).
PICK_RADIUS_PX = 8.0
#: The ring around the selected user: its size (pt^2) and colour.
RING_SIZE, RING_COLOR = 220.0, "#000000"

_CMAPS = {"opinion": ("coolwarm", -1, 1), "trust": ("viridis", 0, 1), "valence": ("RdYlGn", -1, 1)}


class NetworkView:
    """The sampled acquaintance network: colour by ``color_by``, size by belonging, cascades in red.

    Positions and grey ties are fixed per model (:func:`viewer.sample.network_sample`); a frame recolours and
    resizes the nodes and redraws the cascade hops of the last :data:`CASCADE_WINDOW` steps.
    """

    def __init__(self, sample: NetworkSample, color_by: str) -> None:
        if color_by not in COLOR_BY:
            raise ValueError(
                f"color_by={color_by!r} is not allowed; choose one of {', '.join(COLOR_BY)}"
            )
        self.sample, self.color_by = sample, color_by
        fig = Figure(figsize=(SMALL_WIDTH, 4.6))
        ax = fig.add_axes((0.0, 0.13, 0.8, 0.86))
        pos = sample.pos
        if len(sample.edges):
            ax.add_collection(
                LineCollection(pos[sample.edges], colors="#bbbbbb", linewidths=0.4, zorder=1)
            )
        self.ax = ax
        self.hot = LineCollection([], colors="#e31a1c", linewidths=1.6, alpha=0.85, zorder=2)
        ax.add_collection(self.hot)
        # the selected user (a click on its node, or the inspector): a ring, above the nodes
        self.ring = ax.scatter(
            [0.0], [0.0], s=RING_SIZE, facecolors="none", edgecolors=RING_COLOR, linewidths=2.0
        )
        self.ring.set_zorder(4)
        self.ring.set_visible(False)
        if color_by == "generation":
            self.nodes = ax.scatter(
                pos[:, 0], pos[:, 1], s=8, c="#999999", edgecolors="white", linewidths=0.3
            )
            handles = [
                Line2D([], [], marker="o", ls="", color=c, label=g) for g, c in GEN_COLORS.items()
            ]
        else:
            cmap, lo, hi = _CMAPS[color_by]
            self.nodes = ax.scatter(
                pos[:, 0],
                pos[:, 1],
                s=8,
                c=np.zeros(len(pos)),
                cmap=cmap,
                vmin=lo,
                vmax=hi,
                edgecolors="white",
                linewidths=0.3,
            )
            fig.colorbar(self.nodes, cax=fig.add_axes((0.8, 0.22, 0.035, 0.6)), label=color_by)
            handles = []
        handles.append(
            Line2D(
                [], [], color="#e31a1c", lw=1.6, label=f"cascade hops, last {CASCADE_WINDOW} steps"
            )
        )
        # below the nodes, so the moving nodes never cover it
        fig.legend(handles=handles, loc="lower left", ncols=3, frameon=False, columnspacing=1.0)
        ax.set_axis_off()
        if len(pos):
            lo_xy, hi_xy = pos.min(axis=0), pos.max(axis=0)
            pad = 0.04 * np.maximum(hi_xy - lo_xy, 1e-9)
            ax.set_xlim(lo_xy[0] - pad[0], hi_xy[0] + pad[0])
            ax.set_ylim(lo_xy[1] - pad[1], hi_xy[1] + pad[1])
        self.live = LiveFigure(fig)
        self.live.animate(self.hot, self.nodes, self.ring)
        #: The card's subtitle for the last frame (text changes are cheaper in the page).
        self.caption = ""

    def pixels(self) -> np.ndarray:
        """Each sampled user's node centre in pixels of the PNG (x right, y down), in the
        order of ``sample.users``."""
        return self.live.to_pixels(self.ax, self.sample.pos)

    def node_at(self, x: float, y: float, radius: float = PICK_RADIUS_PX) -> int | None:
        """The user whose node is nearest to pixel (``x``, ``y``) of the PNG, if its centre is
        within ``radius`` pixels; else None (a click between nodes picks no one)."""
        if len(self.sample.users) == 0:
            return None
        d = np.hypot(*(self.pixels() - np.array([x, y])).T)
        i = int(np.argmin(d))
        return int(self.sample.users[i]) if d[i] <= radius else None

    def frame(self, model: OpinionEcology, selected: int | None = None) -> bytes:
        """The PNG of ``model``'s state now, with a ring around user ``selected`` when it is
        one of the sampled users."""
        sample = self.sample
        hot = active_cascade_edges(model, sample)
        self.hot.set_segments(sample.pos[hot])
        self.nodes.set_sizes(8 + 120 * model.state.belonging[sample.users, 0])
        vals = node_values(model, sample.users, self.color_by)
        if self.color_by == "generation":
            self.nodes.set_facecolor(np.array(list(GEN_COLORS.values()))[vals.astype(int)])
        else:
            self.nodes.set_array(vals)
        row = (
            sample.index[selected]
            if selected is not None and 0 <= selected < len(sample.index)
            else -1
        )
        self.ring.set_visible(row >= 0)
        if row >= 0:
            self.ring.set_offsets(sample.pos[row : row + 1])
        self.caption = (
            f"{len(sample.users)} users (size = belonging), step {model.steps}; "
            f"{len(hot)} cascade hops in the last {CASCADE_WINDOW} steps"
        )
        if selected is not None:
            drawn = "ringed" if row >= 0 else "not among the users drawn"
            self.caption += f"; user {selected} selected ({drawn})"
        return self.live.png()
