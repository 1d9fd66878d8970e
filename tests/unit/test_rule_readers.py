"""Fields only some rules read: declared by the rules (``uses``), warned and hidden otherwise.

``peer_choice`` is read only by the opinion rule ``bounded_confidence``; ``peer_mixing`` by the
opinion, following, forwarding and peer-choice rules that ask who may meet whom; ``forward_p``
by the forwarding rules with a fixed spontaneous probability. Params warns when such a field
is set while no chosen rule reads it, the viewer hides it, and the declarations are checked
against runs: a field changes a run exactly when the declarations say a chosen rule reads it.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import ipyvuetify as vw
import numpy as np
import pytest
import solara

from model import OpinionEcology, Params
from model.params import UnusedParameterWarning
from model.rules import REGISTRIES, registry
from model.rules.base import RuleSettings
from model.rules.following import QVoterSettings, VoterSettings
from model.schema import Interval, field
from viewer.controls import in_use, make_controls
from viewer.labels import label_of
from viewer.page import Page

#: A selection under which no rule reads peer_mixing, peer_choice or forward_p.
BASE = {"opinion": "degroot", "following": "engagement", "forwarding": "resonance"}


def _other(name: str) -> Any:
    """A value of field ``name`` other than its default: the next rule, with every parameter
    off its default, or the far end of the range."""
    spec = Params.spec()[name]
    if name in REGISTRIES:
        reg = REGISTRIES[name]
        rule = next(r for r in reg.names() if r != spec["default"])
        values = {}
        for f in dataclasses.fields(reg.rule_class(rule).Settings):
            s = Params.spec()[f"{name}.{f.name}"]
            values[f.name] = s["hi"] if s["default"] != s["hi"] else s["lo"]
        return {"name": rule, **values}
    return spec["hi"] if spec["default"] != spec["hi"] else spec["lo"]


def _run(**kw: Any) -> tuple[bytes, ...]:
    """A small run's end state: opinions, follows, trust and every collected measure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedParameterWarning)
        p = Params(n_users=60, peer_prob=1.0, **kw)
    m = OpinionEcology(p, seed=1)
    for _ in range(3):
        m.step()
    s = m.state
    snap = np.array([m.last_snapshot[k] for k in sorted(m.last_snapshot)], dtype=float)
    return (s.opinion.tobytes(), s.follows.tobytes(), s.trust_peers.tobytes(), snap.tobytes())


def test_peer_choice_under_an_opinion_rule_that_asks_none_warns_and_changes_nothing():
    kw = {"opinion": "hegselmann_krause", "peer_choice": "algorithmic_bias"}
    with pytest.warns(UnusedParameterWarning) as w:
        p = Params(**kw, **{"peer_choice.peer_bias": 3.0})
    assert [str(x.message) for x in w] == [
        "peer_choice='algorithmic_bias' (peer_bias=3.0) has no effect: only the opinion rule "
        "'bounded_confidence' reads it, and opinion is 'hegselmann_krause'"
    ]
    assert p.peer_choice.peer_bias == 3.0
    assert _run(**kw, **{"peer_choice.peer_bias": 3.0}) == _run(opinion="hegselmann_krause")
    # under the rule that reads it there is nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Params(peer_choice="algorithmic_bias", **{"peer_choice.peer_bias": 3.0})
        Params(opinion="hegselmann_krause", peer_mixing="complete")
        Params(forwarding="fixed", forward_p=0.5)
        # at their defaults they say nothing (to_dict lists them all)
        Params(**Params(**BASE).to_dict())


def test_forward_p_and_peer_mixing_warn_naming_every_rule_that_reads_them():
    with pytest.warns(UnusedParameterWarning, match=r"^forward_p=0.5 has no effect") as w:
        Params(forward_p=0.5)
    assert str(w[0].message).endswith(
        "only the forwarding rules 'fixed' or 'threshold' or 'rumour' read it, and forwarding "
        "is 'resonance'"
    )
    with pytest.warns(UnusedParameterWarning) as w:
        Params(**BASE, peer_mixing="complete")
    msg = str(w[0].message)
    for key, rule in registry.readers()["peer_mixing"]:
        assert repr(rule) in msg and key in msg
    assert "opinion is 'degroot'" in msg and "peer_choice is not in use" in msg


def test_every_field_some_rules_read_warns_exactly_when_none_of_them_is_chosen():
    """From the declarations: for each such field, a selection without its readers warns and
    one with a reader does not."""
    readers = registry.readers()
    assert set(readers) == {"peer_choice", "peer_mixing", "forward_p"}
    for name, users in readers.items():
        value = _other(name)
        with pytest.warns(UnusedParameterWarning, match=rf"^{name}=.* has no effect"):
            Params(**BASE, **{name: value})
        for key, rule in users:
            sel = {**BASE, key: rule}
            if not registry.in_use(name, {**{k: Params().value(k) for k in REGISTRIES}, **sel}):
                continue  # a reader whose own registry is not in use (peer_choice under degroot)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                Params(**sel, **{name: value})


def test_the_declared_readers_are_the_rules_whose_runs_a_field_changes():
    """Every rule of every registry, on a selection that reads none of these fields: a field
    changes the run exactly when the declarations put it in use (fields_in_use)."""
    defaults = {k: Params().value(k) for k in REGISTRIES}
    checked = 0
    for key, reg in REGISTRIES.items():
        for rule in reg.names():
            sel = {**BASE, key: rule}
            chosen = {**defaults, **sel}
            used = registry.fields_in_use(chosen)
            base = _run(**sel)
            for name in registry.readers():
                if name == key:
                    continue
                changed = _run(**sel, **{name: _other(name)}) != base
                assert changed == (name in used), (key, rule, name, sorted(used))
                checked += 1
    assert checked >= 3 * sum(len(r.names()) for r in REGISTRIES.values()) - 10


def test_the_field_docs_name_the_rules_that_read_them():
    """Derived from the declarations: the doc of a field some rules read names each of them
    (of the registries always in use)."""
    spec = Params.spec()
    readers = registry.readers()
    for name, users in readers.items():
        for key, rule in users:
            if key not in readers:
                assert rule in spec[name]["doc"], (name, rule)
    only_one = {n: u for n, u in readers.items() if len(u) == 1}
    assert only_one == {"peer_choice": (("opinion", "bounded_confidence"),)}


def _controls():
    return {c.name: c for cs in make_controls(Params.spec()).values() for c in cs}


def test_in_use_hides_what_no_chosen_rule_reads():
    c = _controls()
    hk = {k: str(v) for k, v in Params(opinion="hegselmann_krause").to_dict().items()}
    bc = {k: str(v) for k, v in Params().to_dict().items()}
    ab = {**bc, "peer_choice": "algorithmic_bias"}
    assert in_use(c["peer_choice"], bc) and not in_use(c["peer_choice"], hk)
    assert in_use(c["peer_choice.peer_bias"], ab)
    assert not in_use(c["peer_choice.peer_bias"], {**ab, "opinion": "hegselmann_krause"})
    assert in_use(c["peer_mixing"], hk) and not in_use(c["peer_mixing"], {**bc, **BASE})
    assert not in_use(c["forward_p"], bc) and in_use(c["forward_p"], {**bc, "forwarding": "fixed"})
    assert in_use(c["peer_prob"], {**bc, **BASE})


@pytest.fixture
def viewer():
    """The page rendered headless around a small model (as tests/test_app.py does)."""
    model = solara.reactive(OpinionEcology(n_users=200, seed=3))

    @solara.component
    def Wrapper():
        with solara.AppLayout():
            Page(model=model)

    _, rc = solara.render(Wrapper(), handle_error=False)
    yield model, rc
    rc.close()


def _shown(rc, name: str) -> bool:
    return bool(rc.find(vw.Html, class_=f"oe-control oe-control-{name}").widgets)


def test_the_viewer_shows_peer_choice_only_under_the_opinion_rule_that_reads_it(viewer):
    _, rc = viewer
    spec = Params.spec()
    rc.find(vw.Btn, class_="oe-group-peer-exchange").widget.click()
    more = next(
        str(ch)
        for w in rc.find(vw.Btn).widgets
        for ch in w.children
        if str(ch).startswith("▸ more peer exchange")
    )
    rc.find(vw.Btn, children=[more]).widget.click()
    assert _shown(rc, "peer_choice") and _shown(rc, "peer_mixing")
    rc.find(
        vw.Select, label=label_of("peer_choice", spec["peer_choice"])
    ).widget.v_model = "algorithmic_bias"
    assert _shown(rc, "peer_choice.peer_bias")
    rc.find(
        vw.Select, label=label_of("opinion", spec["opinion"])
    ).widget.v_model = "hegselmann_krause"
    assert not _shown(rc, "peer_choice") and not _shown(rc, "peer_choice.peer_bias")
    assert _shown(rc, "peer_mixing") and _shown(rc, "peer_prob")
    rc.find(vw.Select, label=label_of("opinion", spec["opinion"])).widget.v_model = "degroot"
    assert not _shown(rc, "peer_mixing") and _shown(rc, "peer_prob")


# ----------------------------------------------------------------------------- the registry
def test_the_q_voter_extends_the_voters_settings():
    assert issubclass(QVoterSettings, VoterSettings)
    assert "voter_rounds" not in QVoterSettings.__dict__.get("__annotations__", {})
    assert REGISTRIES["following"].parameters()["following.voter_rounds"][1] == (
        "voter",
        "q_voter",
    )


def _settings(name: str, hi: int) -> type[RuleSettings]:
    return dataclasses.make_dataclass(
        "S",
        [
            (
                name,
                int,
                field(
                    1,
                    Interval(int, 0, hi),
                    group="run",
                    label="A test parameter",
                    unit="",
                    doc="A test parameter.",
                ),
            )
        ],
        bases=(RuleSettings,),
        frozen=True,
    )


def _rule(settings: type[RuleSettings] | None = None, uses: frozenset[str] = frozenset()) -> type:
    body: dict[str, Any] = {"uses": uses}
    if settings is not None:
        body["Settings"] = settings
    return type("R", (), body)


def test_the_registry_refuses_one_parameter_declared_two_ways():
    reg = registry.Registry("test")
    reg.register("a")(_rule(_settings("rounds", 10)))
    reg.register("b")(_rule(_settings("rounds", 10)))  # alike: shared
    assert reg.parameters()["test.rounds"][1] == ("a", "b")
    with pytest.raises(ValueError, match=r"^test rule 'c' declares parameter 'rounds' unlike "):
        reg.register("c")(_rule(_settings("rounds", 20)))
    assert "c" not in reg


@pytest.mark.parametrize("name", ["count", "index", "title", "format", "settings", "with_settings"])
def test_the_registry_refuses_a_parameter_named_like_a_str_attribute(name):
    reg = registry.Registry("test")
    with pytest.raises(ValueError, match=rf"^test rule 'a': parameter '{name}' is named like"):
        reg.register("a")(_rule(_settings(name, 10)))
    assert "a" not in reg


def test_the_registry_refuses_a_rule_that_reads_its_own_choice():
    with pytest.raises(ValueError, match="names its own registry in uses"):
        registry.Registry("test").register("a")(_rule(uses=frozenset({"test"})))


def test_every_field_a_rule_reads_is_a_params_field():
    fields = {f.name for f in dataclasses.fields(Params)}
    assert set(registry.readers()) <= fields


def test_a_rule_registered_after_the_first_params_gets_its_parameter_addresses():
    """A plug-in rule registered once Params has been used (the parameter cache is filled) is
    addressable by ``forwarding.<parameter>`` and listed by ``Params.spec()``; the cache used to
    keep the registries as they were at the first use, so the address was refused."""
    Params()  # fills the cache of rule parameters
    reg = REGISTRIES["forwarding"]
    reg.register("plugin_test")(_rule(_settings("plugin_gain", 10)))
    try:
        p = Params(**{"forwarding": "plugin_test", "forwarding.plugin_gain": 3})
        assert p.forwarding.settings.plugin_gain == 3
        assert "forwarding.plugin_gain" in Params.spec()
    finally:
        reg.unregister("plugin_test")
    assert "forwarding.plugin_gain" not in Params.spec()
