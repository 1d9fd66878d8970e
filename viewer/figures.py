"""Figures kept between frames and encoded to PNG, and the look every view shares.

:class:`LiveFigure` redraws a matplotlib figure in full only when its axes change and otherwise
draws only its moving artists over a cached background (blitting), then encodes the frame as a
PNG. The colours of the generations and the line styles of a comparison's arms live here, so
every view uses the same ones.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from model.measures import COHORTS

#: One colour per generation, shared by every view.
GEN_COLORS = dict(zip(COHORTS, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a"), strict=True))
#: Line styles of the two arms of a comparison, and their colours in single-measure panels.
ARM_STYLES = ("-", "--")
ARM_COLORS = ("#222222", "#d62728")
#: Resolution of the drawn views (dots per inch). The page shows a PNG at its own pixel size
#: (never stretched) or smaller on a narrow screen, so a figure of w inches is w * VIEW_DPI
#: pixels wide on screen and a 10 pt font is 11 px high.
VIEW_DPI = 80
#: Figure widths (inches) chosen so that two small views sit side by side in the page's view
#: area at 1366 px wide and the time series fits its width: 5.6 in = 448 px, 8.5 in = 680 px.
SMALL_WIDTH = 5.6
WIDE_WIDTH = 8.5
#: zlib level of the views' PNGs: level 1 encodes several times faster than matplotlib's default
#: 6, for files about a fifth larger (tens of kB on loopback).
PNG_COMPRESS_LEVEL = 1

#: The vector formats a view can be saved in, beside the PNG on screen.
VECTOR_FORMATS = ("svg", "pdf")

matplotlib.rcParams.update({"font.size": 10, "axes.titlesize": 10.5, "legend.fontsize": 9.5})


class LiveFigure:
    """A matplotlib figure redrawn in full only when its axes change (blitting).

    A figure made with a layout engine (``layout="constrained"``) is laid out once, here.
    The figure's static parts (axes, ticks, labels, legends, the network's ties) are drawn once
    and kept as a background; each frame restores that background and draws only the artists
    marked as moving, as :mod:`matplotlib.animation` does. :meth:`set_limits` changes axis
    limits and drops the background, so the next frame is drawn in full. Limits come from a
    coarse grid (:func:`viewer.axes.nice_range`), so full draws are rare once a run is under way.
    """

    def __init__(self, fig: Figure, dpi: int = VIEW_DPI) -> None:
        fig.set_dpi(dpi)
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        #: Whether the figure has a layout engine, run again when text leaves the figure.
        self.laid_out = fig.get_layout_engine() is not None
        if self.laid_out:
            # Lay the figure out once (constrained layout keeps labels and legends inside it)
            # and freeze it: re-running the layout at every full draw moves the axes a little
            # each time, so a full redraw would no longer match the frames drawn over the
            # background. It is run again only when wider tick labels (grown axes) push text
            # out of the figure (see png).
            self.canvas.draw()
            fig.set_layout_engine("none")
        self.moving: list[Artist] = []
        self._background: Any = None
        #: Frames drawn in full (the first, and one per change of limits), and all frames.
        self.full_draws = 0
        self.frames = 0

    def animate(self, *artists: Artist) -> None:
        """Mark ``artists`` as the moving parts, drawn every frame over the background."""
        for a in artists:
            a.set_animated(True)
            self.moving.append(a)
        self.invalidate()

    def invalidate(self) -> None:
        """Draw the next frame in full."""
        self._background = None

    def set_limits(
        self, ax: Any, x: tuple[float, float] | None = None, y: tuple[float, float] | None = None
    ) -> None:
        """Set ``ax``'s limits; if they change, the next frame is drawn in full."""
        if x is not None and tuple(ax.get_xlim()) != tuple(x):
            ax.set_xlim(*x)
            self.invalidate()
        if y is not None and tuple(ax.get_ylim()) != tuple(y):
            ax.set_ylim(*y)
            self.invalidate()

    def _text_outside(self) -> bool:
        """Whether a drawn axes' labels or tick labels reach past the figure's edge."""
        renderer = self.canvas.get_renderer()
        w, h = self.canvas.get_width_height()
        for ax in self.fig.axes:
            box = ax.get_tightbbox(renderer)
            if box is not None and (box.x0 < 0 or box.y0 < 0 or box.x1 > w or box.y1 > h):
                return True
        return False

    def to_pixels(self, ax: Any, xy: Any) -> np.ndarray:
        """Data points ``xy`` ((k, 2)) of ``ax`` as pixels of the PNG (x right, y down from the
        top-left corner), as drawn at the last frame."""
        disp = ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2))
        _, h = self.canvas.get_width_height()
        return np.column_stack([disp[:, 0], h - disp[:, 1]])

    def from_pixel(self, ax: Any, x: float, y: float) -> tuple[float, float]:
        """The data point of ``ax`` at pixel (``x``, ``y``) of the PNG (the inverse of
        :meth:`to_pixels`)."""
        _, h = self.canvas.get_width_height()
        dx, dy = ax.transData.inverted().transform((x, h - y))
        return float(dx), float(dy)

    def axes_at(self, x: float, y: float, axes: list[Any]) -> Any | None:
        """The one of ``axes`` whose plotting area holds pixel (``x``, ``y``) of the PNG, or
        None."""
        _, h = self.canvas.get_width_height()
        for ax in axes:
            if ax.bbox.contains(x, h - y):
                return ax
        return None

    def vector(self, fmt: str) -> bytes:
        """The current frame as a vector file (``"svg"`` or ``"pdf"``), for print.

        Matplotlib draws animated artists when it saves a figure (it leaves them out only
        from a screen draw), so the file shows the moving parts too.
        """
        if fmt not in VECTOR_FORMATS:
            raise ValueError(f"format {fmt!r} is not allowed; use one of {VECTOR_FORMATS}")
        buf = io.BytesIO()
        try:
            # no creation date and fixed SVG ids: the same frame gives the same file
            date = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
            with matplotlib.rc_context({"svg.hashsalt": "opinion-ecology"}):
                self.fig.savefig(buf, format=fmt, metadata=date)
        finally:
            self.invalidate()  # the save drew the canvas: the next frame draws in full
        return buf.getvalue()

    def png(self) -> bytes:
        """The current frame as PNG bytes."""
        if self._background is None:
            self.canvas.draw()  # skips the moving artists
            if self.laid_out and self._text_outside():
                self.fig.set_layout_engine("constrained")
                self.canvas.draw()
                self.fig.set_layout_engine("none")
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for a in self.moving:
            if a.get_visible():
                a.draw(renderer)
        self.frames += 1
        w, h = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=PNG_COMPRESS_LEVEL)
        return buf.getvalue()
