"""The phases call hooks, never probe: defaults in the base classes, state created by init().

A rule that writes only the hook it changes runs inside the model; a rule's state exists once
the world is built; rules ask each other (``well_mixed``) instead of comparing names; the
default opinion rule owns its Deffuant round.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from model import OpinionEcology, Params
from model.rules import REGISTRIES, Rules
from model.rules.peer_mixing import Complete
from model.rules.spreading import Threshold
from model.world import NO_ADOPTIONS, ForwardingRule, PeerMixingRule

ROOT = Path(__file__).resolve().parents[2]


def _calls(path: Path, names: set[str]) -> list[str]:
    """``file:line name`` of every call of a builtin in ``names``."""
    tree = ast.parse(path.read_text())
    return [
        f"{path.name}:{node.lineno} {node.func.id}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
    ]


def test_no_phase_probes_a_rule():
    found = [
        c
        for f in sorted((ROOT / "model" / "step").glob("*.py"))
        for c in _calls(f, {"getattr", "hasattr", "setattr"})
    ]
    assert found == []


def _is_params(node: ast.expr) -> bool:
    """``params``, ``p`` or ``<anything>.params``: how the rules name their Params."""
    if isinstance(node, ast.Name):
        return node.id in ("p", "params")
    return isinstance(node, ast.Attribute) and node.attr == "params"


def test_no_rule_compares_another_rules_name():
    """No rule module reads a registry choice of Params (``params.peer_mixing == ...``)."""
    choices = {reg.choice for reg in REGISTRIES.values()}
    found = []
    for f in sorted((ROOT / "model" / "rules").glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            # a rule module may read its own choice (emotion.py: params.emotion's settings)
            other = (
                node.attr in choices and node.attr != f.stem
                if isinstance(node, ast.Attribute)
                else False
            )
            if other and _is_params(node.value):
                found.append(f"{f.name}:{node.lineno} .{node.attr}")
    # model/rules/__init__.py maps Params onto the rules: the one place that reads the choices
    assert all(x.startswith("__init__.py") for x in found), found


class _Half(ForwardingRule):
    """Forwards with probability 1/2: writes only ``probability``."""

    def probability(self, params, res, emotion):
        return np.full(len(res), 0.5)


def test_a_rule_with_only_its_own_hook_runs_with_the_defaults():
    rule = _Half()
    assert rule.broadcast is True
    flags = np.array([True, False])
    forward, late = rule.adopt(None, 0, None, np.zeros(2), np.ones(2), flags)
    assert forward is flags and late is NO_ADOPTIONS
    m = OpinionEcology(Params(n_users=200, steps=5), seed=1)
    m.rules.forwarding = rule
    m.run()
    assert len(m.forward_log) > 0


def test_rule_state_exists_once_the_world_is_built():
    m = OpinionEcology(
        Params(n_users=100, forward_model="threshold", threshold_kind="count", threshold_phi=2),
        seed=1,
    )
    rule = m.rules.forwarding
    assert isinstance(rule, Threshold)
    assert len(rule.state.store) == 0
    np.testing.assert_allclose(rule.state.need, 2 - 1e-9)


def test_rules_ask_the_peer_mixing_rule_not_its_name():
    """A well-mixed peer-mixing rule under another name is complete mixing to the voter."""

    class EveryoneElse(PeerMixingRule):
        well_mixed = True
        pairs = Complete.pairs

    p = Params(n_users=60, acq_degree=0, follow_rule="voter", focal_followers=30, steps=3)
    m = OpinionEcology(p, seed=2)
    before = m.state.follows[:, 0].copy()
    m.run()
    assert (m.state.follows[:, 0] == before).all(), "no acquaintances: no friend to copy"
    m = OpinionEcology(p, seed=2)
    m.rules.peer_mixing = EveryoneElse()
    m.run()
    assert (m.state.follows[:, 0] != before).any(), "everyone is a friend when well mixed"


def test_the_default_opinion_rule_owns_the_deffuant_round():
    p = Params(n_users=2, peer_prob=1.0, peer_mixing="complete", peer_mu=0.3, epsilon=0.5)
    m = OpinionEcology(p, seed=1)
    m.state.opinion[:] = [0.1, 0.3]
    m.rules.opinion.peer_round(m, np.random.default_rng(0))
    assert sorted(m.state.opinion) == pytest.approx([0.16, 0.24])


def test_rules_record_lists_every_registry_in_order():
    m = OpinionEcology(Params(n_users=50), seed=0)
    assert isinstance(m.rules, Rules)
    assert [k for k, _ in m.rules.items()] == list(REGISTRIES)
    assert m.rules["opinion"] is m.rules.opinion
    with pytest.raises(KeyError, match="registries: forwarding"):
        m.rules["no_such"]
