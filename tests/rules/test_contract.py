"""The contract every registered rule keeps, checked for each rule of each registry.

The checks are :mod:`model.rules.contract` (importable, so a plug-in's author can run
``check_rule(MyRule)``): for every name in every registry of :mod:`model.rules`, the output has
the shape and bounds its phase expects, the same seed gives the same output, and the rule draws
only from the generator it is handed (every other stream of the model keeps its state). A new
rule is checked here as soon as it is registered; a new registry fails
``test_every_registry_has_a_contract`` until a case is written for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from model import Params
from model.params import UnusedParameterWarning
from model.rules import REGISTRIES, Registry, selected
from model.rules.base import RuleSettings
from model.rules.contract import CASES, check_registered, check_rule
from model.rules.registry import FORWARDING
from model.schema import Interval, field
from model.world import ForwardingRule

RULES = [(key, name) for key, reg in REGISTRIES.items() for name in reg.names()]

#: Rule parameters that make a contract case exercise more than the quiet defaults (noise,
#: coupling, independence, churn, a non-uniform partner choice).
SETTINGS = {
    ("peer_choice", "algorithmic_bias"): {"peer_bias": 1.0},
    ("emotion", "collective"): {"noise_v": 0.05, "noise_a": 0.05, "coupling_v": 0.3},
    ("following", "q_voter"): {"voter_p": 0.2},
    ("following", "engagement"): {"churn_prob": 0.5},
    ("user_follow", "sasahara"): {"like_follow_prob": 0.5, "unfollow_prob": 0.5},
}


def test_every_registry_has_a_contract():
    assert set(CASES) == set(REGISTRIES)


@pytest.mark.parametrize(("key", "name"), RULES, ids=[f"{k}:{n}" for k, n in RULES])
def test_rule_contract(key, name):
    """Shapes and bounds; the same seed gives the same output; no other stream moves."""
    check_registered(key, name, SETTINGS.get((key, name)))


@pytest.fixture
def plugin():
    """A plug-in forwarding rule registered for one test: ``behaviour`` sets what it does.

    Declared here, not at module level: notebooks/05_extending.py loads this file as a module
    that is not in ``sys.modules``, where a module-level dataclass cannot be built.
    """

    @dataclass(frozen=True)
    class _LeakSettings(RuleSettings):
        level: float = field(
            0.5,
            Interval(float, 0.0, 1.0),
            doc="The probability it returns.",
            label="Returned probability",
            unit="probability",
        )

    class Plugin(ForwardingRule):
        Settings = _LeakSettings
        behaviour = "good"

        def probability(self, params, res, emotion):
            p = np.full(len(res), self.settings.level)
            if self.behaviour == "bounds":
                p[0] = 1.5
            elif self.behaviour == "leak":
                p[0] = np.random.default_rng().random()  # unseeded: not reproducible
            return p

    FORWARDING.register("contract_plugin")(Plugin)
    try:
        yield Plugin
    finally:
        FORWARDING.unregister("contract_plugin")


def test_a_plugin_author_checks_a_rule_by_its_class(plugin):
    check_rule(plugin)
    check_rule(plugin, {"level": 0.9})
    check_rule(plugin, plugin.Settings(level=0.1), registry="forwarding")


def test_a_broken_promise_is_an_assertion_naming_the_rule_and_the_promise(plugin):
    plugin.behaviour = "bounds"
    with pytest.raises(AssertionError, match=r"^forwarding rule 'contract_plugin' breaks the "
                       r"contract: probability gave a value outside \[0, 1\]$"):  # fmt: skip
        check_rule(plugin)
    plugin.behaviour = "leak"
    with pytest.raises(AssertionError, match=r"the same seed gave a different output"):
        check_rule(plugin)


def test_an_unregistered_class_or_wrong_settings_are_clear_errors(plugin):
    class Stray(ForwardingRule):
        pass

    with pytest.raises(ValueError, match=r"^Stray is not registered: register it first"):
        check_rule(Stray)
    with pytest.raises(ValueError, match=r"unknown registry 'forwardin'; registries: forwarding"):
        check_rule(plugin, registry="forwardin")
    with pytest.raises(ValueError, match=r"Plugin is not registered in opinion"):
        check_rule(plugin, registry="opinion")
    with pytest.raises(TypeError, match=r"takes _LeakSettings or a mapping of its parameters"):
        check_rule(plugin, 0.3)
    with pytest.raises(ValueError, match=r"forwarding.level=2.0 is out of range"):
        check_rule(plugin, {"level": 2.0})


def test_unknown_name_lists_the_registered_rules():
    for key, reg in REGISTRIES.items():
        with pytest.raises(ValueError, match="registered rules: ") as err:
            reg.get("no-such-rule")
        assert all(repr(n) in str(err.value) for n in reg.names()), key


def test_a_name_is_registered_once():
    reg = Registry("demo")
    reg.register("a")(type("A", (), {}))
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(type("B", (), {}))
    assert reg.names() == ("a",) and "a" in reg and reg.get("a").name == "a"


def test_selected_follows_params():
    """Each registry's rule is the one its Params field names, with that field's parameters."""
    chosen = selected(Params())
    assert [k for k, _ in chosen.items()] == list(REGISTRIES)
    assert {k: r.name for k, r in chosen.items()} == {k: getattr(Params(), k) for k in REGISTRIES}
    flip = {k: reg.names()[1] for k, reg in REGISTRIES.items()}
    # the second opinion rule (hegselmann_krause) asks no peer-choice rule: Params says so
    with pytest.warns(UnusedParameterWarning, match=r"^peer_choice='algorithmic_bias'"):
        flipped = selected(Params(**flip, **{"peer_choice.peer_bias": 2.0}))
    assert all(flipped[k].name == flip[k] != chosen[k].name for k in REGISTRIES)
    assert flipped.peer_choice.settings.peer_bias == 2.0
