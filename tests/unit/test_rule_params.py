"""Rules own their parameters: declared in the rule, addressed as ``opinion.contacts``.

Params holds each chosen rule with its parameters (``params.opinion == "activity_driven"``,
``params.opinion.contacts``); a parameter of a rule that is not chosen has no effect and says
so; old flat names still work; every address is in ``spec()`` and ``help()``.
"""

from __future__ import annotations

import dataclasses
import pickle
import warnings

import pytest

from model import OpinionEcology, Params
from model.params import ALIASES, UnusedParameterWarning
from model.rules import REGISTRIES

AD = {"opinion": "activity_driven"}


def test_params_has_no_field_of_one_rule():
    fields = {f.name for f in dataclasses.fields(Params)}
    for key, reg in REGISTRIES.items():
        for name in reg.names():
            own = {f.name for f in dataclasses.fields(reg.rule_class(name).Settings)}
            assert not own & fields, (key, name, own & fields)
    # 103, the twelve of topics and creators (docs/ODD.md 7.18), the user follow layer's
    # user_follow (7.19), the two edge-list paths (section 6) and the four of background
    # riders (7.20), the creator's two schedule fields (7.18) and the two ride knock-outs (7.20)
    assert len(fields) == 126


def test_a_rule_parameter_is_addressed_like_a_strategy_switch():
    p = Params(**AD, **{"opinion.contacts": 5})
    assert p.opinion == "activity_driven" and p.opinion.contacts == 5
    assert p.value("opinion.contacts") == 5 and getattr(p, "opinion.contacts") == 5
    # the chosen rule is built with its parameters
    assert OpinionEcology(p.replace(n_users=50), seed=0).rules.opinion.settings.contacts == 5
    q = p.replace(**{"opinion.reciprocity": 0.1})
    assert (q.opinion.contacts, q.opinion.reciprocity) == (5, 0.1)
    assert q != p and Params(**q.to_dict()) == q
    assert pickle.loads(pickle.dumps(q)) == q


def test_a_refused_value_is_named_by_its_address():
    with pytest.raises(ValueError, match=r"^opinion.contacts=0 is out of range; allowed \[1, "):
        Params(**AD, **{"opinion.contacts": 0})
    with pytest.raises(AttributeError, match="has no parameter 'contact'.*did you mean"):
        _ = Params(**AD).opinion.contact


def test_a_parameter_of_a_rule_not_chosen_warns_naming_the_rule():
    with pytest.warns(UnusedParameterWarning) as w:
        p = Params(**{"feed_ranking.ranking_bias": 2.0})
    msg = str(w[0].message)
    assert msg == (
        "feed_ranking.ranking_bias=2.0 has no effect: it is a parameter of the feed_ranking "
        "rule 'personalised', and feed_ranking is 'chronological'"
    )
    assert p == Params()
    # at its default it says nothing: to_dict lists every rule's parameters
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Params(**Params().to_dict()) == Params()
        Params(**{"feed_ranking.ranking_bias": 1.0})


def test_old_flat_names_still_work():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = Params(opinion_rule="activity_driven", contacts=4, follow_rule="voter")
    assert old == Params(**AD, following="voter", **{"opinion.contacts": 4})
    assert Params(emo_noise_v=0.1, emotion_rule="collective").emotion.noise_v == 0.1
    assert Params().replace(forward_model="fixed").forwarding == "fixed"
    assert all("." in new for new in ALIASES.values())


def test_every_address_is_in_spec_and_help():
    spec, text = Params.spec(), Params.help()
    for key, reg in REGISTRIES.items():
        assert spec[key]["kind"] is str and spec[key]["choices"] == reg.names()
        for address, (_, users) in reg.parameters().items():
            assert spec[address]["rules"] == users and address in text
    assert spec["opinion.peer_weights"]["rules"] == ("friedkin_johnsen", "degroot")
    assert "contacts" not in spec and "opinion_rule" not in spec
