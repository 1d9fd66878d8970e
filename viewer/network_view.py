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
        self.hot = LineCollection([], colors="#e31a1c", linewidths=1.6, alpha=0.85, zorder=2)
        ax.add_collection(self.hot)
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
        self.live.animate(self.hot, self.nodes)
        #: The card's subtitle for the last frame (text changes are cheaper in the page).
        self.caption = ""

    def frame(self, model: OpinionEcology) -> bytes:
        sample = self.sample
        hot = active_cascade_edges(model, sample)
        self.hot.set_segments(sample.pos[hot])
        self.nodes.set_sizes(8 + 120 * model.state.belonging[sample.users, 0])
        vals = node_values(model, sample.users, self.color_by)
        if self.color_by == "generation":
            self.nodes.set_facecolor(np.array(list(GEN_COLORS.values()))[vals.astype(int)])
        else:
            self.nodes.set_array(vals)
        self.caption = (
            f"{len(sample.users)} users (size = belonging), step {model.steps}; "
            f"{len(hot)} cascade hops in the last {CASCADE_WINDOW} steps"
        )
        return self.live.png()
