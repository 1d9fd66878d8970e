"""Phase 7: measure and stop (docs/ODD.md 7.13).

The step's measures are computed once (``world.collect``) and handed to the DataCollector,
every step by default, or every ``world.collect_every`` steps and at the last one (the per-step
series of reach and daily focal viewers are kept every step); the run stops at the horizon, or
earlier by ``stop_when`` (opinions converged, or nothing left that can spread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.world import World


def measure(world: World, t: int) -> None:
    """Collect this step's measures; set ``world.running`` to False when the run is over."""
    p = world.params
    if (
        world.steps >= p.steps
        or p.stop_when == "converged"
        and world.opinions_converged()
        or p.stop_when == "extinct"
        and world.extinct()
        or p.stop_when == "consensus"
        and not 0 < int(world.state.follows[:, 0].sum()) < world.n_users
    ):
        world.running = False
    every = world.collect_every
    if every <= 1 or world.steps % every == 0 or not world.running:
        world.collect()
    world.collect_series()
