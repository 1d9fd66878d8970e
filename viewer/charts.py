"""The chart views: time series of the step measures, opinion histograms, the cascade-size CCDF.

Each view builds its figure once (:class:`viewer.figures.LiveFigure`) and a frame only updates
the moving lines and histograms from the model's DataCollector, state and
:func:`model.measures.cascade_sizes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from model import OpinionEcology
from model import measures as M
from model.measures import COHORTS, column, parse_column
from viewer.axes import decade_range, nice_ceil, step_limit, sticky_range
from viewer.figures import (
    ARM_COLORS,
    ARM_STYLES,
    GEN_COLORS,
    SMALL_WIDTH,
    WIDE_WIDTH,
    LiveFigure,
)

#: Panels of the time-series view: measure -> title.
SERIES = {
    "reach": "Reach",
    "secondary_share": "Secondary share",
    "engagement": "Engagement per view",
    "stickiness": "Stickiness (active / followers)",
}


#: How many single-measure panels the time-series view has (a sixth shows trust per
#: generation, the last the legend).
PANELS = len(SERIES)


def plottable(m: OpinionEcology) -> list[str]:
    """The measures a time-series panel can show: the model-level columns of the
    DataCollector (one value per step; the per-generation columns are left out)."""
    return [c for c in m.datacollector.model_vars if parse_column(c)[1] is None]


def check_series(series: tuple[str, ...], allowed: list[str]) -> tuple[str, ...]:
    """``series`` if it names 1 to :data:`PANELS` distinct measures of ``allowed``.

    Raises:
        ValueError: Else, saying what is allowed.
    """
    unknown = [k for k in series if k not in allowed]
    if unknown or not 1 <= len(series) <= PANELS or len(set(series)) != len(series):
        raise ValueError(
            f"measures {list(series)!r} are not allowed; choose 1 to {PANELS} different ones of "
            f"{', '.join(allowed)}"
        )
    return series


def _series(m: OpinionEcology, key: str) -> np.ndarray:
    """One model-level series of the DataCollector (one value per collect: steps 0, 1, ...)."""
    return np.asarray(m.datacollector.model_vars[key], dtype=float)


class TimeseriesView:
    """Reach, secondary share, engagement, stickiness and trust per generation against step."""

    def __init__(self, labels: list[str], series: tuple[str, ...] = tuple(SERIES)) -> None:
        """``series``: the measures of the first panels (1 to :data:`PANELS`; the default
        :data:`SERIES`), each titled by :data:`SERIES` or its name."""
        fig = Figure(figsize=(WIDE_WIDTH, 5.2), layout="constrained")
        axes = fig.subplots(2, 3).ravel()
        self.axes = axes
        self.series = tuple(series)
        self.lines: dict[tuple[str, str], Line2D] = {}
        for ax in axes[len(self.series) : PANELS]:
            ax.set_axis_off()  # fewer measures chosen than panels
        for ax, key in zip(axes, self.series, strict=False):
            title = SERIES.get(key, key.replace("_", " ").capitalize())
            for i, label in enumerate(labels):
                (self.lines[key, label],) = ax.plot(
                    [], [], ls=ARM_STYLES[i % 2], color=ARM_COLORS[i % 2], lw=1.4
                )
            ax.set_title(title)
        for i, label in enumerate(labels):
            for g in COHORTS:
                (self.lines[column("trust", g), label],) = axes[4].plot(
                    [], [], ls=ARM_STYLES[i % 2], color=GEN_COLORS[g], lw=1.2
                )
        axes[4].set_title("Trust in the focal outlet")
        legend = axes[5]
        legend.set_axis_off()
        handles = [Line2D([], [], color=GEN_COLORS[g], label=g) for g in COHORTS]
        handles += [
            Line2D([], [], color=ARM_COLORS[i % 2], ls=ARM_STYLES[i % 2], label=lab)
            for i, lab in enumerate(labels)
        ]
        legend.legend(handles=handles, loc="center", frameon=False, title="generation / strategy")
        for ax in [*axes[: len(self.series)], axes[4]]:
            ax.set_ylim(0.0, 1.0)  # explicit, so the first frame's limits never depend on autoscale
            ax.set_xlabel("step (hour)")
            ax.grid(alpha=0.3)
            ax.locator_params(nbins=4)
        self.live = LiveFigure(fig)
        self.live.animate(*self.lines.values())

    def frame(self, arms: Mapping[str, OpinionEcology]) -> bytes:
        panels: dict[int, list[np.ndarray]] = {}
        n = 1
        for (key, label), line in self.lines.items():
            y = _series(arms[label], key)
            line.set_data(np.arange(len(y)), y)
            n = max(n, len(y))
            panel = 4 if parse_column(key)[1] is not None else self.series.index(key)
            panels.setdefault(panel, []).append(y)
        for panel, ys in panels.items():
            y = np.concatenate(ys)
            y = y[np.isfinite(y)]
            lo, hi = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
            ax = self.axes[panel]
            bottom, top = sticky_range(tuple(ax.get_ylim()), lo, hi)
            # the default panels are shares or means on [0, 1]: no room above 1 (a chosen
            # measure that is a count goes above, to its maximum)
            top = min(top, max(1.0, hi))
            self.live.set_limits(ax, x=(0.0, step_limit(n - 1)), y=(bottom, top))
        return self.live.png()

    def readout(self, x: float, y: float) -> str | None:
        """What the lines of the panel under pixel (``x``, ``y``) of the PNG show at the step
        there: ``"Reach at step 12: 0.153"`` (a comparison names each arm, the trust panel
        each generation), from the data plotted at the last frame. A pixel past the last step
        recorded reads that step; one outside every panel reads None."""
        panels = [*self.axes[: len(self.series)], self.axes[4]]
        ax = self.live.axes_at(x, y, panels)
        if ax is None:
            return None
        lines = [
            (key, label, line)
            for (key, label), line in self.lines.items()
            if line.axes is ax and len(line.get_xdata())
        ]
        if not lines:
            return None
        last = max(len(line.get_xdata()) for _, _, line in lines) - 1
        step = int(np.clip(round(self.live.from_pixel(ax, x, y)[0]), 0, last))
        labels = list(dict.fromkeys(label for _, label, _ in lines))
        parts = []
        for key, label, line in lines:
            ys = line.get_ydata()
            value = _number(float(ys[step])) if step < len(ys) else "n/a"
            name = parse_column(key)[1] if ax is self.axes[4] else None
            who = " ".join(p for p in (label if len(labels) > 1 else None, name) if p)
            parts.append(f"{who} {value}" if who else value)
        return f"{ax.get_title()} at step {step}: {', '.join(parts)}"


def _number(v: float) -> str:
    """A read-out value: three decimals, or a whole number with separators from 1,000 on."""
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"


class OpinionView:
    """Opinion histograms (density) per generation; one panel per arm."""

    BINS = np.linspace(-1, 1, 41)

    def __init__(self, labels: list[str]) -> None:
        fig = Figure(
            figsize=(SMALL_WIDTH if len(labels) == 1 else WIDE_WIDTH, 3.6), layout="constrained"
        )
        axes = np.atleast_1d(fig.subplots(1, len(labels), sharey=True))
        self.axes = dict(zip(labels, axes, strict=True))
        self.stairs: dict[tuple[str, int], Any] = {}
        for label, ax in self.axes.items():
            for code, name in enumerate(COHORTS):
                self.stairs[label, code] = ax.stairs(
                    np.zeros(len(self.BINS) - 1), self.BINS, lw=1.4, color=GEN_COLORS[name]
                )
            ax.set_xlabel("opinion")
            ax.set_xlim(-1, 1)
            ax.set_xticks([-1, -0.5, 0, 0.5, 1])
            ax.set_title(label)
        axes[0].set_ylabel("density")
        # outside the axes: the moving histograms are drawn after the background
        fig.legend(
            handles=[Line2D([], [], color=GEN_COLORS[g], label=g) for g in COHORTS],
            frameon=False,
            loc="outside lower center",
            ncols=len(COHORTS),
        )
        self.top = 1.0
        self.axes[labels[0]].set_ylim(0, self.top)
        self.live = LiveFigure(fig)
        self.live.animate(*self.stairs.values())

    def frame(self, arms: Mapping[str, OpinionEcology]) -> bytes:
        peak = 0.0
        for label, m in arms.items():
            x, g = m.state.opinion, m.state.gen
            for code in range(len(COHORTS)):
                xs = x[g == code]
                patch = self.stairs[label, code]
                patch.set_visible(len(xs) > 0)
                if len(xs):
                    dens, _ = np.histogram(xs, bins=self.BINS, density=True)
                    patch.set_data(dens)
                    peak = max(peak, float(dens.max()))
        # hysteresis: the axis grows at once but shrinks only when the peak falls below half
        if peak > self.top or peak < 0.5 * self.top:
            self.top = nice_ceil(max(peak, 1e-3) * 1.05)
        for ax in self.axes.values():
            self.live.set_limits(ax, y=(0.0, self.top))
        return self.live.png()

    def readout(self, x: float, y: float) -> str | None:
        """Each generation's density in the opinion bin under pixel (``x``, ``y``) of the PNG
        (per arm in a comparison, whose panels are the arms): ``"opinion 0.10 to 0.15:
        post00 0.812, ..."``. None outside the panels."""
        label = next(
            (k for k, ax in self.axes.items() if self.live.axes_at(x, y, [ax]) is not None), None
        )
        if label is None:
            return None
        at = self.live.from_pixel(self.axes[label], x, y)[0]
        b = int(np.clip(np.searchsorted(self.BINS, at, side="right") - 1, 0, len(self.BINS) - 2))
        parts = []
        for code, name in enumerate(COHORTS):
            patch = self.stairs[label, code]
            if patch.get_visible():
                parts.append(f"{name} {_number(float(patch.get_data().values[b]))}")
        head = f"{label}: " if len(self.axes) > 1 else ""
        lo, hi = self.BINS[b], self.BINS[b + 1]
        return f"{head}opinion {lo:.2f} to {hi:.2f}, density: {', '.join(parts) or 'no users'}"


def ccdf(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The complementary CDF P(S >= s) at each distinct size s > 0."""
    s = np.sort(np.asarray(sizes)[np.asarray(sizes) > 0])
    if len(s) == 0:
        return np.zeros(0), np.zeros(0)
    values, first = np.unique(s, return_index=True)
    return values.astype(float), 1.0 - first / len(s)


class CcdfView:
    """The cascade-size CCDF, log-log, from ``model.measures.cascade_sizes``."""

    def __init__(self, labels: list[str]) -> None:
        fig = Figure(figsize=(SMALL_WIDTH, 3.6), layout="constrained")
        ax = fig.add_subplot()
        self.ax = ax
        self.lines = {}
        for i, label in enumerate(labels):
            (self.lines[label],) = ax.plot(
                [],
                [],
                drawstyle="steps-post",
                ls=ARM_STYLES[i % 2],
                color=ARM_COLORS[i % 2],
                lw=1.4,
                label=label,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        # plain labels: the default log formatter typesets every label with mathtext (slow)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())
        # lower left lies under a decreasing CCDF, so the moving lines stay clear of it
        ax.legend(frameon=False, loc="lower left")
        self.caption = ""
        ax.set_xlabel("cascade size s (users reached)")
        ax.set_ylabel("P(S >= s)")
        ax.set_title("Cascade-size CCDF")
        ax.grid(alpha=0.3)
        ax.set_xlim(1.0, 10.0)
        ax.set_ylim(0.1, 1.3)
        self.live = LiveFigure(fig)
        self.live.animate(*self.lines.values())

    def frame(self, arms: Mapping[str, OpinionEcology]) -> bytes:
        counts, xs, ys = [], [], []
        for label, m in arms.items():
            sizes = M.cascade_sizes(m).to_numpy()
            x, y = ccdf(sizes)
            self.lines[label].set_data(x, y)
            counts.append(f"{label}: {len(sizes)} item{'s' if len(sizes) != 1 else ''}")
            xs.append(x)
            ys.append(y)
        x, y = np.concatenate(xs), np.concatenate(ys)
        if len(x):
            xlim = decade_range(1.0, max(10.0, float(x.max()) * 1.05))
            bottom = min(decade_range(float(y.min()), 1.0)[0], 0.1)  # at least one decade
            self.live.set_limits(self.ax, x=xlim, y=(bottom, 1.3))
            self.caption = "; ".join(counts)
        else:
            self.caption = "no cascades recorded yet"
        return self.live.png()

    def readout(self, x: float, y: float) -> str | None:
        """P(S >= s) of each arm at the cascade size s under pixel (``x``, ``y``) of the PNG
        (rounded to a whole size; the step curve's value there): ``"P(S >= 12): 0.050"``.
        None outside the axes."""
        if self.live.axes_at(x, y, [self.ax]) is None:
            return None
        s = max(1, round(self.live.from_pixel(self.ax, x, y)[0]))
        parts = []
        for label, line in self.lines.items():
            sizes, p = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
            # P(S >= s) is the value at the smallest recorded size >= s (0 past the largest)
            i = int(np.searchsorted(sizes, s, side="left"))
            value = float(p[i]) if i < len(p) else 0.0
            parts.append(f"{label} {value:.3f}" if len(self.lines) > 1 else f"{value:.3f}")
        return f"P(S >= {s}): {', '.join(parts)}"
