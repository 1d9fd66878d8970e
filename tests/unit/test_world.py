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
from model.ride import Ride
from model.screens import Screens
from model.step.records import Outbox, Views
from model.topics import Topics
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
    "Topics": Topics,
    "Ride": Ride,
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


def test_the_measures_keep_their_caches_in_the_typed_record_not_on_the_model():
    from model import measures

    m = OpinionEcology(seed=1, n_users=80).run(3)
    measures.cascade_sizes(m)
    measures.structural_virality(m)
    before = set(vars(m))
    m.collect()
    assert set(vars(m)) == before, "a measure set an attribute on the model"
    assert not {"_opinion_cache", "_tree_cache", "_reach_index"} & before
    assert m.caches.opinion is not None and m.caches.reach is not None
    assert m.caches.tree is not None and m.caches.tree[0] == len(m.view_log)
