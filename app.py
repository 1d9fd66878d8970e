"""The Solara viewer of Opinion Ecology: watch the ecology move, compare strategies side by side.

Run it with ``make app`` (``solara run app.py --host 127.0.0.1 --port 8765``) and open the page.
The viewer is a thin layer over :mod:`model`: it builds models, steps them through Mesa's
SolaraViz controller (Step, Play/Pause, Reset come from
:class:`mesa.visualization.solara_viz.ModelController`) and draws what :mod:`model.measures`
computes. There are no dynamics here.

Views (all drawn server-side with matplotlib, so the page needs no JavaScript from a CDN;
altair charts go through solara's vega-lite widget, which asks for ``vega@5`` and similar
unpinned versions that the offline ``solara-assets`` bundle does not hold, so they stay blank
on a closed network):

* the network: a snowball sample of at most :data:`SAMPLE_SIZE` users of the acquaintance
  layer, laid out once per model, coloured by opinion, trust, valence or generation, sized by
  belonging, with the hops of cascades of the last :data:`CASCADE_WINDOW` steps highlighted;
* time series of reach, secondary share, engagement, stickiness and trust per generation;
* the opinion distribution per generation;
* the cascade-size CCDF on log-log axes;
* a table of the current measures per generation.

The controls are generated from :meth:`model.Params.spec` (sliders with the documented ranges,
selects for choices, checkboxes for switches), grouped as the metadata groups them. Changed
settings are validated at once and apply on Reset; a refused value shows an inline message and
the last valid settings (and the current model) stay. Comparison mode runs two models with the
same seed and population that differ only in strategy, stepping in lockstep.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import math
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib
import mesa
import numpy as np
import pandas as pd
import solara
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from PIL import Image

from agents.generations import GENERATIONS
from model import STRATEGY_PRESETS, OpinionEcology, Params, Strategy
from model import measures as M
from model.engine import resolve_params, resolve_seed
from model.params import unknown_name_message

#: Most users drawn in the network view.
SAMPLE_SIZE = 300
#: Steps back in time whose cascade hops count as active in the network view.
CASCADE_WINDOW = 6
#: Node colourings of the network view.
COLOR_BY = ("opinion", "trust", "valence", "generation")
#: One colour per generation, shared by every view.
GEN_COLORS = dict(zip(GENERATIONS, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a"), strict=True))
#: Line styles of the two arms of a comparison, and their colours in single-measure panels.
ARM_STYLES = ("-", "--")
ARM_COLORS = ("#222222", "#d62728")
#: The default pair of strategies in comparison mode.
DEFAULT_COMPARISON = ("one_way", "interactive")
#: Default pause between Play ticks (ms); Mesa's own default is 100.
DEFAULT_PLAY_INTERVAL_MS = 20
#: The seed a fresh page starts with.
DEFAULT_SEED = 1
#: Label of the preset selector's entry that stands for the Params defaults.
DEFAULTS_PRESET = "(defaults)"
#: Parameters shown first in each group; the rest of the group sits under "more".
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "population": ("n_users", "mix_post00", "mix_post90", "mix_post80", "mix_pre80", "trust_shift"),
    "network": ("acq_degree", "acq_rewire", "acq_homophily", "follow_model", "follow_degree"),
    "content": ("outlet_rate", "focal_follow_share", "stance_mean", "intensity", "quality"),
    "strategy": ("strategy",),
    "behaviour": (
        "epsilon",
        "attention_scale",
        "activity_scale",
        "stickiness",
        "base_forward",
        "reply_gain",
    ),
    "run": ("steps", "stop_when", "record_cascades"),
}
#: Rows of the measures table, in this order (keys of ``model.measures.STEP_MEASURES``).
TABLE_MEASURES = (
    "reach",
    "secondary_share",
    "engagement",
    "stickiness",
    "retention",
    "followers",
    "trust",
    "belonging",
    "valence",
    "arousal",
    "social_channel_share",
    "opinion_variance",
    "bimodality",
    "opinion_clusters",
    "echo_chamber",
)
#: Panels of the time-series view: measure -> title.
SERIES = {
    "reach": "Reach",
    "secondary_share": "Secondary share",
    "engagement": "Engagement per view",
    "stickiness": "Stickiness (daily active / followers)",
}
#: Linear sliders get at most about this many positions; wider ranges get a 1-2-5 scale.
MAX_LINEAR_SPAN = 1000

matplotlib.rcParams.update({"font.size": 8, "axes.titlesize": 9, "legend.fontsize": 7})


# ====================================================================== models the viewer steps
#: The model the viewer steps. ``OpinionEcology`` accepts the ``scenario=`` keyword that Mesa
#: 3.5's Reset adds, so no subclass is needed; the name stays for readability and the tests.
ViewerEcology = OpinionEcology


class StrategyComparison(mesa.Model):
    """Two models with the same seed and population that differ only in strategy, in lockstep.

    Both arms get the same root seed, so they share the population, the networks and every draw
    the strategy does not touch (common random numbers): what differs grows from the strategy.

    Args:
        params: The shared parameters (their ``strategy`` is replaced in each arm).
        seed: The root seed of both arms.
        rng: Same as ``seed``.
        strategies: The two strategies (preset names or :class:`model.Strategy`).
        scenario: Ignored (Mesa's Reset passes one).
        **overrides: Override fields of ``params``.
    """

    def __init__(
        self,
        params: Params | dict | None = None,
        *,
        seed: Any = None,
        rng: Any = None,
        strategies: tuple[Any, Any] = DEFAULT_COMPARISON,
        scenario: Any = None,
        **overrides: Any,
    ) -> None:
        base = resolve_params(params, overrides)
        root = resolve_seed(seed, rng)
        if len(strategies) != 2:
            raise ValueError(f"strategies must name two strategies, got {strategies!r}")
        arms = [ViewerEcology(base.replace(strategy=s), seed=root) for s in strategies]
        super().__init__(rng=root)
        self.params = base
        self.seed = root
        self.strategies = tuple(strategies)
        self.arms = {f"{k}: {arm.strategy.label()}": arm for k, arm in zip("AB", arms, strict=True)}

    def step(self) -> None:
        """One step of each arm."""
        for arm in self.arms.values():
            if arm.running:
                arm.step()
        self.running = any(arm.running for arm in self.arms.values())


def arms_of(model: mesa.Model) -> dict[str, OpinionEcology]:
    """The models a view draws: the two arms of a comparison, or the one model by its strategy."""
    if isinstance(model, StrategyComparison):
        return model.arms
    return {model.strategy.label(): model}


def build_kwargs(model: mesa.Model) -> dict[str, Any]:
    """The keyword arguments that rebuild ``model`` (what Reset would pass)."""
    kw: dict[str, Any] = {"params": model.params, "seed": model.seed}
    if isinstance(model, StrategyComparison):
        kw["strategies"] = model.strategies
    return kw


def build_model(kwargs: Mapping[str, Any]) -> mesa.Model:
    """A comparison when ``kwargs`` has ``strategies``, else one model."""
    cls = StrategyComparison if "strategies" in kwargs else ViewerEcology
    return cls(**kwargs)


# ====================================================================== controls from Params.spec()
@dataclasses.dataclass(frozen=True)
class Control:
    """One generated control: the field, its metadata and the widget that edits it."""

    name: str
    widget: str  # "select", "checkbox", "slider_int", "slider_float", "scale"
    meta: dict[str, Any]
    step: float = 1.0

    def scale_values(self, current: Any) -> list[Any]:
        """Positions of a 1-2-5 scale slider over the documented range, with default and current."""
        lo, hi, kind = self.meta["lo"], self.meta["hi"], self.meta["kind"]
        start = 1.0 if kind is int else max(abs(hi) * 1e-5, 1e-3)
        values: set[Any] = {lo, hi, self.meta["default"], current}
        if lo <= 0 <= hi:
            values.add(0)
        decade = 10 ** math.floor(math.log10(start))
        while decade <= hi:
            for m in (1, 2, 5):
                v = m * decade
                if max(lo, start) <= v <= hi:
                    values.add(v)
            decade *= 10
        cast = int if kind is int else float
        return sorted({cast(v) for v in values})


def _nice_step(meta: dict[str, Any]) -> float:
    """A slider step of the form 10**k that hits the range's lower end and the default."""
    lo, hi, default = meta["lo"], meta["hi"], meta["default"]
    step = 10.0 ** math.floor(math.log10((hi - lo) / 200))
    for _ in range(6):
        if all(abs(x / step - round(x / step)) < 1e-9 for x in (lo, default)):
            break
        step /= 10
    return step


def make_controls(spec: dict[str, dict[str, Any]] | None = None) -> dict[str, list[Control]]:
    """Controls per group, generated from the parameter metadata (``Params.spec()``).

    Choices give a select, booleans a checkbox, numbers a slider over the documented range
    (integer or float), and numbers whose range spans more than :data:`MAX_LINEAR_SPAN` a slider
    over a 1-2-5 scale. Within a group, the fields of :data:`KEY_FIELDS` come first.
    """
    spec = Params.spec() if spec is None else spec
    groups: dict[str, list[Control]] = {}
    for name, meta in spec.items():
        kind = meta["kind"]
        if meta["choices"] is not None:
            c = Control(name, "select", meta)
        elif kind is bool:
            c = Control(name, "checkbox", meta)
        elif kind in (int, float) and meta["lo"] is not None and meta["hi"] is not None:
            if meta["hi"] - meta["lo"] > MAX_LINEAR_SPAN:
                c = Control(name, "scale", meta)
            elif kind is int:
                c = Control(name, "slider_int", meta)
            else:
                c = Control(name, "slider_float", meta, step=_nice_step(meta))
        else:
            continue
        groups.setdefault(meta["group"], []).append(c)
    for group, controls in groups.items():
        key = KEY_FIELDS.get(group, ())
        controls.sort(key=lambda c, key=key: key.index(c.name) if c.name in key else len(key))
    return groups


def preset_registry() -> dict[str, Callable[[], Params]]:
    """The scenario presets of ``model.presets`` (name -> function returning Params), if present."""
    try:
        presets = importlib.import_module("model.presets")
    except ImportError:
        return {}
    return dict(getattr(presets, "PRESETS", {}))


def values_of(params: Params) -> dict[str, Any]:
    """Control values of ``params``; a strategy that is no preset stays a Strategy object."""
    values = params.to_dict()
    if values["strategy"] not in STRATEGY_PRESETS:
        values["strategy"] = params.strategy
    return values


def parse_seed(text: Any) -> int:
    """The seed typed into the page, as the model checks it.

    Raises:
        TypeError: Not an integer (the model's own message).
        ValueError: A negative integer.
    """
    if isinstance(text, str):
        stripped = text.strip()
        try:
            text = int(stripped)
        except ValueError:
            text = stripped
    return resolve_seed(text, None)


def validate(
    values: Mapping[str, Any], seed_text: Any, strategies: tuple[Any, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for :func:`build_model` from the page's settings.

    Args:
        values: Control values per Params field.
        seed_text: The seed as typed (str) or an int.
        strategies: The two strategies of comparison mode, or None for one model.

    Raises:
        TypeError, ValueError: What Params or the seed refuses, with the model's message.
    """
    kwargs: dict[str, Any] = {"params": Params(**values), "seed": parse_seed(seed_text)}
    if strategies is not None:
        for s in strategies:
            if not isinstance(s, Strategy):
                Strategy.preset(s)
        kwargs["strategies"] = tuple(strategies)
    return kwargs


#: Address keys that are not Params fields (see :func:`settings_from_query`).
QUERY_KEYS = ("seed", "preset", "compare")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _query_value(name: str, text: str, meta: Mapping[str, Any]) -> Any:
    """One Params value typed in the page address, converted to the field's type."""
    kind = meta["kind"]
    if meta["choices"] is None and kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise ValueError(
                f"{name}={text!r} in the page address is not {noun}; allowed "
                f"[{meta['lo']}, {meta['hi']}]"
            ) from None
    if kind is bool:
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(
            f"{name}={text!r} in the page address is not allowed; use one of {', '.join(_TRUE)} "
            f"or {', '.join(_FALSE)}"
        )
    return text


def settings_from_query(search: str | None) -> tuple[dict[str, Any], str]:
    """Keyword arguments for :func:`build_model`, and the preset, from the page address.

    ``?n_users=10000&strategy=interactive&seed=3`` opens the viewer on that model, so a
    scenario can be bookmarked or shared. Keys are Params fields, ``seed``, ``preset`` (a name
    from :mod:`model.presets`, applied before the fields) and ``compare`` (``1`` for the default
    pair of strategies, or two names such as ``compare=one_way,interactive``).

    Raises:
        ValueError, TypeError: An unknown key or a refused value, with what is allowed.
    """
    spec = Params.spec()
    presets = preset_registry()
    preset, seed, strategies = DEFAULTS_PRESET, DEFAULT_SEED, None
    fields: dict[str, Any] = {}
    pairs = urllib.parse.parse_qsl(search or "", keep_blank_values=True)
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} appears more than once in the page address")
    for key, text in pairs:
        if key == "seed":
            try:
                seed = parse_seed(text)
            except (TypeError, ValueError) as e:
                raise ValueError(f"seed={text!r} in the page address: {e}") from None
        elif key == "preset":
            if text != DEFAULTS_PRESET and text not in presets:
                raise ValueError(
                    f"preset={text!r} in the page address is not allowed; choose one of "
                    f"{', '.join(presets)}"
                )
            preset = text
        elif key == "compare":
            if text.lower() in _FALSE:
                strategies = None
            elif text.lower() in _TRUE:
                strategies = DEFAULT_COMPARISON
            else:
                names = tuple(text.split(","))
                if len(names) != 2:
                    raise ValueError(
                        f"compare={text!r} in the page address is not allowed; use 1, 0 or two "
                        f"strategies such as {','.join(DEFAULT_COMPARISON)}"
                    )
                for name in names:
                    try:
                        Strategy.preset(name)
                    except (TypeError, ValueError) as e:
                        raise ValueError(f"compare={text!r} in the page address: {e}") from None
                strategies = names
        elif key in spec:
            fields[key] = _query_value(key, text, spec[key])
        else:
            raise ValueError(unknown_name_message(key, [*QUERY_KEYS, *spec], "the page address"))
    if strategies is not None and "strategy" in fields:
        raise ValueError(
            "the page address gives both strategy= and compare=; compare= names the two "
            "strategies to compare (e.g. compare=one_way,interactive), so leave out strategy="
        )
    base = Params() if preset == DEFAULTS_PRESET else presets[preset]()
    kwargs = validate(values_of(base.replace(**fields)), seed, strategies)
    return kwargs, preset


# ====================================================================== views: pure functions
@dataclasses.dataclass
class NetworkSample:
    """A sample of users, their acquaintance ties and fixed positions (computed once per model)."""

    users: np.ndarray
    edges: np.ndarray  # (k, 2) row indices into users
    pos: np.ndarray  # (len(users), 2)
    index: np.ndarray  # user id -> row in users, or -1


_SAMPLES: weakref.WeakKeyDictionary[OpinionEcology, NetworkSample] = weakref.WeakKeyDictionary()


def _snowball(model: OpinionEcology, size: int, rng: np.random.Generator) -> np.ndarray:
    """Users in breadth-first order from random starts over the acquaintance layer."""
    n = model.n_users
    size = min(size, n)
    acq = model.networks.acq
    seen = np.zeros(n, dtype=bool)
    chosen: list[np.ndarray] = []
    total = 0
    while total < size:
        start = int(rng.choice(np.flatnonzero(~seen)))
        seen[start] = True
        frontier = np.array([start], dtype=np.int64)
        while len(frontier) and total < size:
            take = frontier[: size - total]
            chosen.append(take)
            total += len(take)
            _, nb = acq.expand(frontier)
            nb = np.unique(nb)
            nb = nb[~seen[nb]]
            rng.shuffle(nb)
            seen[nb] = True
            frontier = nb
    return np.concatenate(chosen)


def network_sample(model: OpinionEcology, size: int = SAMPLE_SIZE) -> NetworkSample:
    """The users the network view draws and their positions, cached per model.

    The sample and the spring layout draw from their own generator seeded by the model's seed,
    so the viewer never consumes the model's random streams. The layout runs once per model:
    steps only recolour and resize the nodes.
    """
    cached = _SAMPLES.get(model)
    if cached is not None:
        return cached
    import networkx as nx

    rng = np.random.default_rng([model.seed, 5])
    users = _snowball(model, size, rng)
    g = model.networks.sample_graph(users)
    pos_d = nx.spring_layout(g, seed=int(rng.integers(2**31)), iterations=50)
    index = np.full(model.n_users, -1, dtype=np.int64)
    index[users] = np.arange(len(users))
    pos = np.array([pos_d[int(u)] for u in users], dtype=float).reshape(-1, 2)
    edges = np.array([(index[a], index[b]) for a, b in g.edges()], dtype=np.int64).reshape(-1, 2)
    sample = NetworkSample(users=users, edges=edges, pos=pos, index=index)
    _SAMPLES[model] = sample
    return sample


def active_cascade_edges(
    model: OpinionEcology, sample: NetworkSample, window: int = CASCADE_WINDOW
) -> np.ndarray:
    """Cascade hops (sharer -> viewer) among the sample in the last ``window`` steps.

    A hop is a first view of a recorded item that came through another user's forward or post
    (the view log's parent), i.e. an edge of a cascade tree (``model.measures.cascade_trees``).
    Returns (k, 2) row indices into ``sample.users``.
    """
    log = model.view_log
    if len(log) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    steps = log["step"]
    first = int(np.searchsorted(steps, model.steps - window + 1, side="left"))
    parent = log["parent"][first:].astype(np.int64)
    user = log["user"][first:].astype(np.int64)
    ok = parent >= 0
    parent, user = parent[ok], user[ok]
    a, b = sample.index[parent], sample.index[user]
    inside = (a >= 0) & (b >= 0)
    return np.unique(np.stack([a[inside], b[inside]], axis=1), axis=0)


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

#: Resolution of the drawn views (dots per inch).
VIEW_DPI = 80
#: zlib level of the views' PNGs: level 1 encodes several times faster than matplotlib's default
#: 6, for files about a fifth larger (tens of kB on loopback).
PNG_COMPRESS_LEVEL = 1
#: Mantissas of "nice" axis limits and grid steps (times a power of ten).
_NICE = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(x: float) -> float:
    """The smallest number of the form m * 10**k (m in :data:`_NICE`) that is >= ``x`` > 0."""
    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"nice_ceil needs a positive finite number, got {x!r}")
    scale = 10.0 ** math.floor(math.log10(x))
    for m in _NICE:
        # the tolerance keeps 0.3 (3 * 0.1 = 0.30000000000000004) from rounding up to 0.4
        if m * scale >= x * (1 - 1e-12):
            return m * scale
    return 10.0 * scale  # pragma: no cover (m = 10 always qualifies)


def nice_range(lo: float, hi: float) -> tuple[float, float]:
    """Axis limits around [lo, hi] on a coarse grid (about 5-8 cells across the data).

    The limits move only when the data cross a grid line or the span crosses a nice value,
    so a growing time series keeps its axes (and the viewer its cached background) for many
    frames. Data that are never negative keep 0 as the lower limit. Non-finite input gives
    (0, 1).
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return (0.0, 1.0)
    span = hi - lo
    if span <= 1e-9 * max(1.0, abs(hi)):
        span = max(abs(hi), 1.0) * 0.1
    q = nice_ceil(span / 8)
    pad = 0.02 * span
    bottom = math.floor((lo - pad) / q) * q
    if lo >= 0:  # a share or a count never needs room below zero
        bottom = max(bottom, 0.0)
    return (bottom, math.ceil((hi + pad) / q) * q)


def sticky_range(
    current: tuple[float, float], lo: float, hi: float, min_span: float = 0.02
) -> tuple[float, float]:
    """Axis limits for data [lo, hi] that stay put while the data fit them.

    Limits change when the data leave them: they then grow by half the data's span on that
    side and keep the other, as NetLogo's auto-scaling plots grow, so a growing series does
    not move them every frame. They also change when the data fill less than a quarter of
    them: they then shrink to fit. Spans below ``min_span`` count as ``min_span``, since the
    time series are shares and means on [0, 1].
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return current
    a, b = current
    span = max(hi - lo, min_span)
    if a <= lo and hi <= b and span >= (b - a) / 4:
        return current
    if lo < a or hi > b:  # the data left the limits: grow on that side
        grow = 0.5 * span
        target = lo - grow if lo < a else a
        if lo >= 0:  # non-negative data never need room below zero
            target = max(target, 0.0)
        new_lo, new_hi = nice_range(target, hi + grow if hi > b else b)
        grown = (new_lo if lo < a else a, new_hi if hi > b else b)
        if span >= (grown[1] - grown[0]) / 4:
            return grown
    # zoomed out too far (or growing would be): fit the data, at least min_span wide
    widen = (span - (hi - lo)) / 2
    bottom = lo - widen
    if lo >= 0 > bottom:
        bottom = 0.0
    return nice_range(bottom, bottom + max(span, hi - bottom))


def step_limit(steps: int) -> float:
    """Right end of a time axis showing ``steps`` hourly steps: a nice number of days.

    1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15, ... days, and at least one day.
    """
    return 24.0 * nice_ceil(max(steps / 24, 1.0))


class LiveFigure:
    """A matplotlib figure redrawn in full only when its axes change (blitting).

    The figure's static parts (axes, ticks, labels, legends, the network's ties) are drawn once
    and kept as a background; each frame restores that background and draws only the artists
    marked as moving, as :mod:`matplotlib.animation` does. :meth:`set_limits` changes axis
    limits and drops the background, so the next frame is drawn in full. Limits come from a
    coarse grid (:func:`nice_range`), so full draws are rare once a run is under way.
    """

    def __init__(self, fig: Figure, dpi: int = VIEW_DPI) -> None:
        fig.set_dpi(dpi)
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
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

    def png(self) -> bytes:
        """The current frame as PNG bytes."""
        if self._background is None:
            self.canvas.draw()  # skips the moving artists
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


class NetworkView:
    """The sampled acquaintance network: colour by ``color_by``, size by belonging, cascades in red.

    Positions and grey ties are fixed per model (:func:`network_sample`); a frame recolours and
    resizes the nodes and redraws the cascade hops of the last :data:`CASCADE_WINDOW` steps.
    """

    def __init__(self, sample: NetworkSample, color_by: str) -> None:
        if color_by not in COLOR_BY:
            raise ValueError(
                f"color_by={color_by!r} is not allowed; choose one of {', '.join(COLOR_BY)}"
            )
        self.sample, self.color_by = sample, color_by
        fig = Figure(figsize=(5.2, 4.4))
        ax = fig.add_axes((0.0, 0.1, 0.8, 0.88))
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
            fig.colorbar(self.nodes, cax=fig.add_axes((0.82, 0.2, 0.03, 0.6)), label=color_by)
            handles = []
        handles.append(
            Line2D(
                [], [], color="#e31a1c", lw=1.6, label=f"cascade hops, last {CASCADE_WINDOW} steps"
            )
        )
        # below the nodes, so the moving nodes never cover it
        fig.legend(handles=handles, loc="lower left", ncols=3, frameon=False)
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


def _series(m: OpinionEcology, key: str) -> np.ndarray:
    """One model-level series of the DataCollector (one value per collect: steps 0, 1, ...)."""
    return np.asarray(m.datacollector.model_vars[key], dtype=float)


class TimeseriesView:
    """Reach, secondary share, engagement, stickiness and trust per generation against step."""

    def __init__(self, labels: list[str]) -> None:
        fig = Figure(figsize=(7.2, 4.4))
        axes = fig.subplots(2, 3).ravel()
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.1, top=0.94, wspace=0.3, hspace=0.45)
        self.axes = axes
        self.lines: dict[tuple[str, str], Line2D] = {}
        for ax, (key, title) in zip(axes, SERIES.items(), strict=False):
            for i, label in enumerate(labels):
                (self.lines[key, label],) = ax.plot(
                    [], [], ls=ARM_STYLES[i % 2], color=ARM_COLORS[i % 2], lw=1.4
                )
            ax.set_title(title)
        for i, label in enumerate(labels):
            for g in GENERATIONS:
                (self.lines[f"trust[{g}]", label],) = axes[4].plot(
                    [], [], ls=ARM_STYLES[i % 2], color=GEN_COLORS[g], lw=1.2
                )
        axes[4].set_title("Trust in the focal outlet")
        legend = axes[5]
        legend.set_axis_off()
        handles = [Line2D([], [], color=GEN_COLORS[g], label=g) for g in GENERATIONS]
        handles += [
            Line2D([], [], color=ARM_COLORS[i % 2], ls=ARM_STYLES[i % 2], label=lab)
            for i, lab in enumerate(labels)
        ]
        legend.legend(handles=handles, loc="center", frameon=False, title="generation / strategy")
        for ax in axes[:5]:
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
            panel = 4 if key.startswith("trust[") else list(SERIES).index(key)
            panels.setdefault(panel, []).append(y)
        for panel, ys in panels.items():
            y = np.concatenate(ys)
            y = y[np.isfinite(y)]
            lo, hi = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
            ax = self.axes[panel]
            bottom, top = sticky_range(tuple(ax.get_ylim()), lo, hi)
            # every panel is a share or a mean on [0, 1]: no room above 1
            top = min(top, max(1.0, hi))
            self.live.set_limits(ax, x=(0.0, step_limit(n - 1)), y=(bottom, top))
        return self.live.png()


class OpinionView:
    """Opinion histograms (density) per generation; one panel per arm."""

    BINS = np.linspace(-1, 1, 41)

    def __init__(self, labels: list[str]) -> None:
        fig = Figure(figsize=(5.2 if len(labels) == 1 else 7.2, 3.2))
        axes = np.atleast_1d(fig.subplots(1, len(labels), sharey=True))
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.25, top=0.91, wspace=0.08)
        self.axes = dict(zip(labels, axes, strict=True))
        self.stairs: dict[tuple[str, int], Any] = {}
        for label, ax in self.axes.items():
            for code, name in enumerate(GENERATIONS):
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
            handles=[Line2D([], [], color=GEN_COLORS[g], label=g) for g in GENERATIONS],
            frameon=False,
            loc="lower center",
            ncols=len(GENERATIONS),
        )
        self.top = 1.0
        self.axes[labels[0]].set_ylim(0, self.top)
        self.live = LiveFigure(fig)
        self.live.animate(*self.stairs.values())

    def frame(self, arms: Mapping[str, OpinionEcology]) -> bytes:
        peak = 0.0
        for label, m in arms.items():
            x, g = m.state.opinion, m.state.gen
            for code in range(len(GENERATIONS)):
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


def ccdf(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The complementary CDF P(S >= s) at each distinct size s > 0."""
    s = np.sort(np.asarray(sizes)[np.asarray(sizes) > 0])
    if len(s) == 0:
        return np.zeros(0), np.zeros(0)
    values, first = np.unique(s, return_index=True)
    return values.astype(float), 1.0 - first / len(s)


def _decade_range(lo: float, hi: float) -> tuple[float, float]:
    """Log-axis limits: whole decades around [lo, hi] (both > 0)."""
    return 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi))


class CcdfView:
    """The cascade-size CCDF, log-log, from ``model.measures.cascade_sizes``."""

    def __init__(self, labels: list[str]) -> None:
        fig = Figure(figsize=(5.2, 3.2))
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.13, right=0.98, bottom=0.14, top=0.91)
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
        self.live = LiveFigure(fig)
        self.live.set_limits(ax, x=(1.0, 10.0), y=(0.1, 1.3))
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
            xlim = _decade_range(1.0, max(10.0, float(x.max()) * 1.05))
            bottom = min(_decade_range(float(y.min()), 1.0)[0], 0.1)  # at least one decade
            self.live.set_limits(self.ax, x=xlim, y=(bottom, 1.3))
            self.caption = "; ".join(counts)
        else:
            self.caption = "no cascades recorded yet"
        return self.live.png()


def measures_table(arms: Mapping[str, OpinionEcology]) -> pd.DataFrame:
    """Current measures (rows) overall and per generation (columns), from each model's snapshot.

    With two arms the columns are (cohort, arm) plus ``B - A`` per cohort.
    """
    cohorts = ("all", *GENERATIONS)

    def one(m: OpinionEcology) -> pd.DataFrame:
        snap = m.last_snapshot
        rows = {k: [snap[k], *(snap[f"{k}[{g}]"] for g in GENERATIONS)] for k in TABLE_MEASURES}
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(cohorts))

    tables = {label: one(m) for label, m in arms.items()}
    if len(tables) == 1:
        return next(iter(tables.values()))
    (la, ta), (lb, tb) = tables.items()
    parts = {}
    for c in cohorts:
        parts[(c, la)] = ta[c]
        parts[(c, lb)] = tb[c]
        parts[(c, "B - A")] = tb[c] - ta[c]
    return pd.DataFrame(parts)


def table_html(table: pd.DataFrame) -> str:
    """The measures table as HTML (no JavaScript needed)."""
    html = table.to_html(
        float_format=lambda v: f"{v:.3f}", na_rep="-", classes="oe-table", border=0
    )
    style = (
        "<style>.oe-table{border-collapse:collapse;font-size:12px;font-family:sans-serif}"
        ".oe-table th,.oe-table td{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}"
        ".oe-table tbody th{text-align:left}</style>"
    )
    return style + html


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

    def network_view(self, label: str, m: OpinionEcology, color_by: str) -> NetworkView:
        view = self.network.get(label)
        if view is None or view.color_by != color_by:
            view = NetworkView(network_sample(m), color_by)
            self.network[label] = view
        return view

    def figures(self) -> list[LiveFigure]:
        views = [*self.network.values(), self.timeseries, self.opinions, self.ccdf]
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
    model: mesa.Model, color_by: str = "opinion", timings: dict[str, float] | None = None
) -> dict[str, Any]:
    """Everything the page draws for ``model``: PNGs per view, captions and the table's HTML.

    Keys: ``network:<arm>``, ``timeseries``, ``opinions`` and ``ccdf`` (PNG bytes),
    ``caption:network:<arm>`` and ``caption:ccdf`` (the cards' subtitles: text that changes
    every step is set in the page, not drawn), and ``table`` (HTML). The figures are built at
    the model's first frame and then only updated (:class:`LiveFigure`), so a frame costs the
    moving artists, not a whole figure.

    Args:
        model: One model or a :class:`StrategyComparison`.
        color_by: The network view's node colouring (one of :data:`COLOR_BY`).
        timings: If given, filled with the seconds each view took (for the benchmarks).
    """
    arms = arms_of(model)
    live = live_views(model)
    jobs: dict[str, Callable[[], Any]] = {}
    for label, m in arms.items():
        jobs[f"network:{label}"] = lambda label=label, m=m: live.network_view(
            label, m, color_by
        ).frame(m)
    jobs["timeseries"] = lambda: live.timeseries.frame(arms)
    jobs["opinions"] = lambda: live.opinions.frame(arms)
    jobs["ccdf"] = lambda: live.ccdf.frame(arms)
    jobs["table"] = lambda: table_html(measures_table(arms))
    out: dict[str, Any] = {}
    with live.lock:
        for key, job in jobs.items():
            t = time.perf_counter()
            out[key] = job()
            if timings is not None:
                timings[key] = time.perf_counter() - t
        for label in arms:
            out[f"caption:network:{label}"] = live.network[label].caption
        out["caption:ccdf"] = live.ccdf.caption
    return out


def time_views(model: mesa.Model, color_by: str = "opinion") -> dict[str, float]:
    """Seconds each view of ``model`` takes to draw, and their total (``render``)."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    render_views(model, color_by, timings)
    timings["render"] = time.perf_counter() - t
    return timings


# ====================================================================== components
@solara.component
def StepCounter(model: mesa.Model) -> None:
    """The step counter (and simulated time) the browser test reads."""
    update_counter.get()
    steps = model.steps
    solara.Text(
        f"Step {steps}",
        classes=["oe-step-counter"],
        style={"font-size": "1.3em", "font-weight": "bold"},
    )
    solara.Text(f"  day {steps // 24 + 1}, {steps % 24:02d}:00", style={"color": "#666"})
    if not model.running:
        solara.Text(
            "  (stopped: horizon or stop rule reached; press Reset)", style={"color": "#a00"}
        )


@solara.component
def View(name: str, png: bytes, title: str, subtitle: str | None = None) -> None:
    """One drawn view in a card."""
    with solara.Card(title, subtitle=subtitle, margin=0, classes=[f"oe-card-{name}"]):
        solara.Image(png, width="100%", classes=["oe-view", f"oe-view-{name}"])


@solara.component
def Views(model: mesa.Model, color_by: solara.Reactive[str]) -> None:
    """The main area: every view of ``model``, redrawn after each Step."""
    tick = update_counter.value
    views = solara.use_memo(
        lambda: render_views(model, color_by.value), [model, tick, model.steps, color_by.value]
    )
    arms = arms_of(model)
    with solara.Row(style={"align-items": "center"}):
        StepCounter(model)
    with solara.Row(style={"align-items": "center"}):
        solara.Text("Colour nodes by:")
        solara.ToggleButtonsSingle(
            value=color_by, values=list(COLOR_BY), dense=True, classes=["oe-color-by"]
        )
    with solara.Columns([1, 1]):
        for label in arms:
            View(
                f"network-{'ab'[list(arms).index(label)]}" if len(arms) > 1 else "network",
                views[f"network:{label}"],
                f"Network: {label}",
                views[f"caption:network:{label}"],
            )
        if len(arms) == 1:
            View("timeseries", views["timeseries"], "Time series")
    if len(arms) > 1:
        View("timeseries", views["timeseries"], "Time series: " + " vs ".join(arms))
    with solara.Columns([1, 1]):
        View("opinions", views["opinions"], "Opinion distribution per generation")
        View("ccdf", views["ccdf"], "Cascade sizes", views["caption:ccdf"])
    with solara.Card("Current measures per generation", margin=0, classes=["oe-card-table"]):
        solara.HTML(tag="div", unsafe_innerHTML=views["table"], classes=["oe-measures"])


@solara.component
def Message(kind: str, text: str, css_class: str) -> None:
    """An inline alert (solara.Error/Info pass Vuetify 2 props that ipyvuetify 3 refuses)."""
    solara.v.Alert(type=kind, variant="tonal", density="compact", children=[text], class_=css_class)


@solara.component
def ParamControl(control: Control, value: Any, on_change: Callable[[str, Any], None]) -> None:
    """The widget of one generated control."""
    name, meta = control.name, control.meta

    def set_value(v: Any) -> None:
        on_change(name, v)

    if control.widget == "select":
        choices = list(meta["choices"])
        shown = value.label() if isinstance(value, Strategy) else value
        if shown not in choices:
            choices.append(shown)

        def pick(v: Any) -> None:
            on_change(name, value if isinstance(value, Strategy) and v == value.label() else v)

        solara.Select(name, values=choices, value=shown, on_value=pick, dense=True)
    elif control.widget == "checkbox":
        # a switch, not solara.Checkbox: the checkbox draws its label twice on ipyvuetify 3
        solara.Switch(label=name, value=bool(value), on_value=set_value)
    elif control.widget == "slider_int":
        solara.SliderInt(
            f"{name} = {int(value)}",
            value=int(value),
            min=int(meta["lo"]),
            max=int(meta["hi"]),
            on_value=set_value,
        )
    elif control.widget == "slider_float":
        solara.SliderFloat(
            f"{name} = {float(value):g}",
            value=float(value),
            min=float(meta["lo"]),
            max=float(meta["hi"]),
            step=control.step,
            on_value=set_value,
        )
    else:
        # A slider over the positions of a 1-2-5 scale (solara's SliderValue needs tick-label
        # support that ipyvuetify 3's slider lacks); the label shows the value.
        scale = control.scale_values(value)
        solara.SliderInt(
            f"{name} = {value:g}",
            value=scale.index(value),
            min=0,
            max=len(scale) - 1,
            thumb_label=False,
            on_value=lambda i: set_value(scale[int(i)]),
        )


@solara.component
def GroupControls(
    group: str,
    controls: list[Control],
    values: dict[str, Any],
    on_change: Callable[[str, Any], None],
) -> None:
    """One group of parameters, folded: its key fields, then the rest behind 'more'.

    Folding is a plain toggle button: solara's ``Details`` needs Vuetify 2 panel widgets that
    ipyvuetify 3 no longer has.
    """
    open_, set_open = solara.use_state(group == "population")
    more, set_more = solara.use_state(False)
    key = [c for c in controls if c.name in KEY_FIELDS.get(group, ())]
    rest = [c for c in controls if c not in key]
    solara.Button(
        f"{'▾' if open_ else '▸'} {group} ({len(controls)})",
        text=True,
        on_click=lambda: set_open(not open_),
        classes=[f"oe-group-{group}"],
        style={"justify-content": "flex-start"},
    )
    if not open_:
        return
    with solara.Column(gap="0px", style={"padding-left": "8px"}):
        for c in key:
            ParamControl(c, values[c.name], on_change)
        if rest:
            solara.Button(
                f"{'▾' if more else '▸'} more {group} parameters ({len(rest)})",
                text=True,
                small=True,
                on_click=lambda: set_more(not more),
            )
            if more:
                for c in rest:
                    ParamControl(c, values[c.name], on_change)


def first_model(search: str | None) -> tuple[mesa.Model, str, str | None]:
    """The page's first model, its preset and an error message, from the page address.

    Settings the address gets wrong are reported (the message names the key and what is
    allowed) and the defaults are shown instead.
    """
    try:
        kwargs, preset = settings_from_query(search)
        return build_model(kwargs), preset, None
    except (TypeError, ValueError) as e:
        message = f"{e}. The page address is ignored; showing the defaults."
        return ViewerEcology(seed=DEFAULT_SEED), DEFAULTS_PRESET, message


@solara.component
def Page(model: solara.Reactive[mesa.Model] | None = None) -> None:
    """The viewer: Mesa's Step/Play/Reset, scenario and parameter controls, and the views.

    Args:
        model: The model to show (a reactive holding an :class:`OpinionEcology` or a
            :class:`StrategyComparison`); None builds one when the page is first shown
            (``solara run`` does this): from the page address's settings
            (:func:`settings_from_query`), else the Params defaults with seed
            :data:`DEFAULT_SEED`.
    """
    search = solara.use_router().search
    initial, initial_preset, initial_error = solara.use_memo(
        lambda: (model.value, DEFAULTS_PRESET, None) if model is not None else first_model(search),
        [],
    )
    model = solara.use_reactive(model if model is not None else initial)
    reset_kwargs = solara.use_reactive(build_kwargs(initial))
    values = solara.use_reactive(solara.use_memo(lambda: values_of(initial.params), []))
    seed_text = solara.use_reactive(str(initial.seed))
    preset = solara.use_reactive(initial_preset)
    compare = solara.use_reactive(isinstance(initial, StrategyComparison))
    arm_strategies = solara.use_reactive(getattr(initial, "strategies", DEFAULT_COMPARISON))
    error = solara.use_reactive(initial_error)
    color_by = solara.use_reactive("opinion")
    play_interval = solara.use_reactive(DEFAULT_PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    controller_key = solara.use_reactive(0)
    controls = solara.use_memo(make_controls, [])
    presets = solara.use_memo(preset_registry, [])

    def revalidate(
        new_values: dict[str, Any], new_seed: str, new_compare: bool, new_arms: tuple[Any, Any]
    ) -> dict[str, Any] | None:
        """Keep valid settings for Reset, or show why they are refused (the last valid stay)."""
        try:
            kwargs = validate(new_values, new_seed, new_arms if new_compare else None)
        except (TypeError, ValueError) as e:
            error.set(f"{e}. Reset keeps the last valid settings.")
            return None
        error.set(None)
        reset_kwargs.set(kwargs)
        return kwargs

    def on_param(name: str, value: Any) -> None:
        new = {**values.value, name: value}
        values.set(new)
        revalidate(new, seed_text.value, compare.value, arm_strategies.value)

    def on_seed(text: str | None) -> None:
        seed_text.set(text or "")
        revalidate(values.value, text or "", compare.value, arm_strategies.value)

    def on_preset(name: str) -> None:
        preset.set(name)
        try:
            params = Params() if name == DEFAULTS_PRESET else presets[name]()
        except (TypeError, ValueError) as e:
            error.set(f"preset {name!r} failed: {e}")
            return
        new = values_of(params)
        values.set(new)
        revalidate(new, seed_text.value, compare.value, arm_strategies.value)

    def rebuild(kwargs: dict[str, Any]) -> None:
        """Build a new model now (mode switch); on failure show why and keep the model."""
        try:
            new_model = build_model(kwargs)
        except (TypeError, ValueError) as e:
            error.set(f"{e}. The current model stays.")
            return
        model.set(new_model)
        controller_key.set(controller_key.value + 1)

    def on_compare(on: bool) -> None:
        compare.set(on)
        kwargs = revalidate(values.value, seed_text.value, on, arm_strategies.value)
        if kwargs is not None:
            rebuild(kwargs)

    def on_arm(i: int, name: str) -> None:
        arms = list(arm_strategies.value)
        arms[i] = name
        arm_strategies.set(tuple(arms))
        revalidate(values.value, seed_text.value, compare.value, tuple(arms))

    pending = build_kwargs(model.value) != reset_kwargs.value

    solara.Title("Opinion Ecology")
    with solara.AppBar():
        solara.AppBarTitle("Opinion Ecology viewer")

    # Controls and views side by side in the main area, not in solara.Sidebar: AppLayout's
    # drawer is configured with Vuetify 2 props, and on ipyvuetify 3 it overlays the views.
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "nowrap", "gap": "12px"}):
        with solara.Column(style={"flex": "0 0 360px", "width": "360px"}, classes=["oe-controls"]):
            with solara.Card("Controls", margin=0):
                solara.SliderInt("Play interval (ms)", value=play_interval, min=1, max=500)
                solara.SliderInt("Render interval (steps)", value=render_interval, min=1, max=100)
                ModelController(
                    model,
                    model_parameters=reset_kwargs,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=use_threads,
                ).key(f"controller-{controller_key.value}")
            with solara.Card("Scenario", margin=0):
                if error.value:
                    Message("error", error.value, "oe-error")
                elif pending:
                    Message("info", "Changed settings apply on Reset.", "oe-pending")
                solara.Select(
                    "Preset",
                    values=[DEFAULTS_PRESET, *presets],
                    value=preset.value,
                    on_value=on_preset,
                )
                solara.InputText(
                    "Seed (integer)", value=seed_text.value, on_value=on_seed, classes=["oe-seed"]
                )
                solara.Switch(
                    label="Compare two strategies", value=compare.value, on_value=on_compare
                )
                if compare.value:
                    for i, arm in enumerate("AB"):
                        solara.Select(
                            f"Strategy {arm}",
                            values=list(STRATEGY_PRESETS),
                            value=arm_strategies.value[i],
                            on_value=lambda v, i=i: on_arm(i, v),
                        )
                else:
                    for c in controls.get("strategy", []):
                        ParamControl(c, values.value[c.name], on_param)
                    strategy = values.value["strategy"]
                    s = (
                        strategy
                        if isinstance(strategy, Strategy)
                        else STRATEGY_PRESETS.get(strategy)
                    )
                    if s is not None:
                        switches = ", ".join(f"{k}={v}" for k, v in s.switches().items())
                        solara.Text(switches, style={"font-size": "0.8em", "color": "#555"})
            with solara.Card("Parameters", margin=0):
                for group, group_controls in controls.items():
                    if group != "strategy":
                        GroupControls(group, group_controls, values.value, on_param)
        with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}):
            Views(model.value, color_by)


#: What ``solara run app.py`` serves.
page = Page
