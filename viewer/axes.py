"""Axis limits that move rarely: nice numbers, sticky ranges, time and log axes.

The views cache their figures' backgrounds and redraw in full only when a limit changes
(:class:`viewer.figures.LiveFigure`), so limits sit on a coarse grid and grow with headroom.
"""

from __future__ import annotations

import math

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


def decade_range(lo: float, hi: float) -> tuple[float, float]:
    """Log-axis limits: whole decades around [lo, hi] (both > 0)."""
    return 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi))
