"""The engine is the World the phases and rules are typed against: every attribute the protocol
declares exists on the model with the declared type (the protocol is honest)."""

import typing

import numpy as np
import pandas as pd
from mesa import DataCollector

from agents.outlet import MediaOutlet
from model import OpinionEcology, Params, Strategy
from model.content import ContentStore, EventLog
from model.network import Networks
from model.population import State
from model.screens import Screens
from model.step.records import Outbox, Views
from model.world import MeasureCaches, Rules, World

#: The names World's annotations use (imported there only for the type checker).
NAMES = {
    "Params": Params,
    "Strategy": Strategy,
    "State": State,
    "Networks": Networks,
    "Screens": Screens,
    "ContentStore": ContentStore,
    "EventLog": EventLog,
    "Outbox": Outbox,
    "Views": Views,
    "MediaOutlet": MediaOutlet,
    "Rules": Rules,
    "MeasureCaches": MeasureCaches,
    "DataCollector": DataCollector,
    "pd": pd,
    "np": np,
}


def test_the_model_has_every_attribute_the_phases_read_with_its_type():
    m = OpinionEcology(seed=1, n_users=50)
    hints = typing.get_type_hints(World, localns=NAMES)
    methods = {n for n in vars(World) if callable(getattr(World, n)) and not n.startswith("_")}
    missing = sorted(n for n in (*hints, *methods) if not hasattr(m, n))
    assert hints and methods and missing == []
    for name, hint in hints.items():
        origin = typing.get_origin(hint) or hint
        assert isinstance(getattr(m, name), origin), (name, hint, type(getattr(m, name)))
    assert not any(h is typing.Any for h in hints.values()), "World declares an Any"
