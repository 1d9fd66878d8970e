"""The render cache: every view of a model, kept between frames and drawn under a lock.

:func:`render_views` is what the page draws for a model after each Step (and what the
benchmarks time): PNGs per view, their captions and the table's HTML. The figures are built at
the model's first frame and kept, keyed weakly by the model.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import mesa

from model import OpinionEcology
from viewer.arms import arms_of
from viewer.charts import CcdfView, OpinionView, TimeseriesView, check_series, plottable
from viewer.figures import LiveFigure
from viewer.network_view import NetworkView
from viewer.sample import network_sample
from viewer.table import measures_table, table_html
from viewer.topics_view import FollowHistory, FollowView, panel_html, shows_topics

#: The network card's note when the acquaintance layer has no ties (a layout would be a ring).
NO_TIES = (
    "This model's acquaintance layer has no ties (acq_degree = 0), so there is no network to "
    "draw: users meet content only through the outlets they follow and the platform's feeds."
)


def has_ties(m: OpinionEcology) -> bool:
    """Whether the acquaintance layer the network view samples has any tie."""
    return len(m.networks.acq.indices) > 0


class LiveViews:
    """The figures of one model (or comparison), kept between frames and drawn under a lock.

    Solara may render from more than one thread; a figure is drawn by one at a time. The
    figures hold no reference to the model (the cache is keyed weakly by it).
    """

    def __init__(self, labels: list[str]) -> None:
        self.lock = threading.Lock()
        self.labels = labels
        self.network: dict[str, NetworkView] = {}
        self.timeseries = TimeseriesView(labels)
        self.opinions = OpinionView(labels)
        self.ccdf = CcdfView(labels)
        self.follow: dict[str, FollowHistory] = {label: FollowHistory() for label in labels}
        #: The "Topics and creators" figure, built at the card's first frame (most models
        #: never show the card).
        self.topics: FollowView | None = None

    def network_view(self, label: str, m: OpinionEcology, color_by: str) -> NetworkView:
        view = self.network.get(label)
        if view is None or view.color_by != color_by:
            view = NetworkView(network_sample(m), color_by)
            self.network[label] = view
        return view

    def timeseries_view(self, series: tuple[str, ...] | None) -> TimeseriesView:
        """The time-series view, built again when other measures are chosen (None: keep)."""
        if series is not None and tuple(series) != self.timeseries.series:
            self.timeseries = TimeseriesView(self.labels, tuple(series))
        return self.timeseries

    def figures(self) -> list[LiveFigure]:
        views = [*self.network.values(), self.timeseries, self.opinions, self.ccdf]
        if self.topics is not None:
            views.append(self.topics)
        return [v.live for v in views]


_LIVE: weakref.WeakKeyDictionary[mesa.Model, LiveViews] = weakref.WeakKeyDictionary()
_LIVE_LOCK = threading.Lock()


def live_views(model: mesa.Model) -> LiveViews:
    """The :class:`LiveViews` of ``model``, built at its first frame."""
    with _LIVE_LOCK:
        live = _LIVE.get(model)
        if live is None:
            live = _LIVE[model] = LiveViews(list(arms_of(model)))
        return live


def render_views(
    model: mesa.Model,
    color_by: str = "opinion",
    timings: dict[str, float] | None = None,
    series: tuple[str, ...] | None = None,
    selected: int | None = None,
) -> dict[str, Any]:
    """Everything the page draws for ``model``: PNGs per view, captions and the table's HTML.

    Keys: ``topics`` (the "Topics and creators" panel's HTML and PNG, only while
    :func:`viewer.topics_view.shows_topics`), ``network:<arm>`` (None when the acquaintance layer has no ties), ``timeseries``, ``opinions`` and ``ccdf`` (PNG bytes),
    ``caption:network:<arm>`` and ``caption:ccdf`` (the cards' subtitles: text that changes
    every step is set in the page, not drawn), and ``table`` (HTML). The figures are built at
    the model's first frame and then only updated (:class:`LiveFigure`), so a frame costs the
    moving artists, not a whole figure.

    Args:
        model: One model or a :class:`StrategyComparison`.
        color_by: The network view's node colouring (one of :data:`viewer.network_view.COLOR_BY`).
        timings: If given, filled with the seconds each view took (for the benchmarks).
        series: The measures of the time series' panels (:func:`viewer.charts.check_series`;
            None keeps the model's current choice, at first :data:`viewer.charts.SERIES`).
        selected: The user the network views ring (a click on its node, or the inspector).

    Raises:
        ValueError: ``series`` names a measure the model does not record, or too many.
    """
    arms = arms_of(model)
    live = live_views(model)
    if series is not None:
        check_series(tuple(series), plottable(next(iter(arms.values()))))
    jobs: dict[str, Callable[[], Any]] = {}
    tieless = [label for label, m in arms.items() if not has_ties(m)]
    for label, m in arms.items():
        if label not in tieless:
            jobs[f"network:{label}"] = lambda label=label, m=m: live.network_view(
                label, m, color_by
            ).frame(m, selected)
    jobs["timeseries"] = lambda: live.timeseries_view(series).frame(arms)
    jobs["opinions"] = lambda: live.opinions.frame(arms)
    jobs["ccdf"] = lambda: live.ccdf.frame(arms)
    jobs["table"] = lambda: table_html(measures_table(arms))
    if any(shows_topics(m) for m in arms.values()):
        jobs["topics"] = lambda: _topics_panel(arms, live)
    out: dict[str, Any] = {}
    with live.lock:
        for key, job in jobs.items():
            t = time.perf_counter()
            out[key] = job()
            if timings is not None:
                timings[key] = time.perf_counter() - t
        for label in arms:
            if label in tieless:
                out[f"network:{label}"] = None
                out[f"caption:network:{label}"] = NO_TIES
            else:
                out[f"caption:network:{label}"] = live.network[label].caption
        out["caption:ccdf"] = live.ccdf.caption
    return out


def _topics_panel(arms: dict[str, OpinionEcology], live: LiveViews) -> tuple[str, bytes]:
    """The "Topics and creators" panel: its HTML and its figure's PNG (the follow measures,
    which read every tie, are computed here, once per frame)."""
    for label, m in arms.items():
        live.follow[label].record(m)
    if live.topics is None:
        live.topics = FollowView(live.labels)
    return panel_html(arms, live.follow), live.topics.frame(live.follow)


def figure_file(model: mesa.Model, key: str, fmt: str, color_by: str = "opinion") -> bytes:
    """View ``key`` of :func:`render_views` (``network:<arm>``, ``timeseries``, ``opinions``,
    ``ccdf``) as it is now, in ``fmt``: ``"png"`` (the image on screen) or a vector format
    (:data:`viewer.figures.VECTOR_FORMATS`), for print.

    Raises:
        ValueError: An unknown view or format.
    """
    views = render_views(model, color_by)  # brings every figure up to the model's step
    if fmt == "png":
        if key not in views or key.startswith("caption:"):
            raise ValueError(f"view {key!r} is not allowed; use one of {list(views)}")
        return views[key]
    live = live_views(model)
    figures = {f"network:{k}": v.live for k, v in live.network.items()}
    figures.update(
        timeseries=live.timeseries.live, opinions=live.opinions.live, ccdf=live.ccdf.live
    )
    if key not in figures:
        raise ValueError(f"view {key!r} is not allowed; use one of {list(figures)}")
    with live.lock:
        return figures[key].vector(fmt)


def time_views(model: mesa.Model, color_by: str = "opinion") -> dict[str, float]:
    """Seconds each view of ``model`` takes to draw, and their total (``render``)."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    render_views(model, color_by, timings)
    timings["render"] = time.perf_counter() - t
    return timings
