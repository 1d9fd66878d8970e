"""The engine has every attribute the phases' World protocol declares (the protocol is honest)."""

import typing

from model import OpinionEcology
from model.world import World


def test_the_model_has_every_attribute_the_phases_read():
    m = OpinionEcology(seed=1, n_users=50)
    declared = set(typing.get_type_hints(World)) | {
        n for n in vars(World) if callable(getattr(World, n)) and not n.startswith("_")
    }
    missing = sorted(n for n in declared if not hasattr(m, n))
    assert declared and missing == []
