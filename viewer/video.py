"""A run as an animated GIF: :func:`run_gif`.

The running model is not replayed from memory (its past states are gone): the run is built
again from its settings and seed, which give the same run (the model is deterministic given
its seed), and stepped to the running model's step while the page's own figure code
(:func:`viewer.render.render_views`) draws a frame every few steps. Pillow encodes the frames.
"""

from __future__ import annotations

import io
import math

import mesa
from PIL import Image

from viewer.arms import build_kwargs, build_model
from viewer.render import live_views, render_views

#: Most frames in a GIF (a frame every ceil(step / this) steps), and each frame's time (ms).
MAX_FRAMES = 48
FRAME_MS = 150


def frame_steps(step: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """The steps drawn for a run at ``step``: 0, every ceil(step / (max_frames - 1)) steps,
    and ``step`` itself (at most ``max_frames``)."""
    every = max(1, math.ceil(step / max(1, max_frames - 1)))
    steps = list(range(0, step, every))
    return [*steps, step]


def run_gif(model: mesa.Model, key: str, color_by: str = "opinion") -> bytes:
    """View ``key`` of :func:`render_views` (``network:<arm>``, ``timeseries``, ``opinions``,
    ``ccdf``) over the run so far, as an animated GIF that loops.

    Raises:
        ValueError: An unknown view.
    """
    replay = build_model(build_kwargs(model))
    series = live_views(model).timeseries.series  # the measures the page plots
    frames: list[Image.Image] = []
    for t in frame_steps(int(model.steps)):
        while replay.steps < t:
            replay.step()
        views = render_views(replay, color_by, series=series)
        if key not in views or key.startswith("caption:") or views[key] is None:
            allowed = [k for k, v in views.items() if isinstance(v, bytes)]
            raise ValueError(f"view {key!r} is not allowed; use one of {allowed}")
        frames.append(Image.open(io.BytesIO(views[key])).convert("RGB"))
    buf = io.BytesIO()
    frames[0].save(
        buf, format="gif", save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0
    )
    return buf.getvalue()
