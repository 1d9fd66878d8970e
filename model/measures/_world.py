"""What the measures read of a model: the one typed :class:`model.world.World`.

The measures type against it, not the engine, so that imports run one way (engine -> measures);
the caches they keep between calls are the model's typed ``caches``
(:class:`model.world.MeasureCaches`).
"""

from model.population import State
from model.world import World

__all__ = ["State", "World"]
