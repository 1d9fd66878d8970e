"""Params and Strategy: defaults, validation messages, unknown names, NaN, types."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology, Params, Strategy


def test_defaults_are_valid_and_every_field_documented():
    p = Params()
    spec = Params.spec()
    assert set(spec) == set(p.to_dict())
    for name, meta in spec.items():
        assert meta["doc"], name
        assert meta["group"] in (
            "population",
            "network",
            "outlets",
            "strategy",
            "platform",
            "attention",
            "reactions",
            "trust",
            "emotion",
            "belonging and churn",
            "peer exchange",
            "run",
        ), name
        if meta["lo"] is not None:
            assert meta["lo"] <= p.value(name) <= meta["hi"], name


def test_out_of_range_names_field_value_and_range():
    with pytest.raises(ValueError) as e:
        Params(n_users=-5)
    msg = str(e.value)
    assert "n_users" in msg and "-5" in msg and "[2, 10000000]" in msg


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinite_refused(bad):
    with pytest.raises(ValueError, match="epsilon.*finite"):
        Params(epsilon=bad)


def test_unknown_name_suggests_closest():
    with pytest.raises(TypeError, match="did you mean 'n_users'") as e:
        Params(n_user=100)
    # the closest names and where the rest are, not all of them in one line
    assert str(e.value).endswith("(every name: Params.help())")
    assert "mix_post00" not in str(e.value) and len(str(e.value)) < 200
    with pytest.raises(TypeError, match="did you mean 'epsilon'"):
        OpinionEcology(seed=1, epsilom=0.2)


def test_wrong_types():
    with pytest.raises(TypeError, match="n_users must be a number"):
        Params(n_users="many")
    with pytest.raises(ValueError, match="whole number"):
        Params(n_users=10.5)
    assert Params(n_users=10.0).n_users == 10 and isinstance(
        Params(n_users=np.int64(12)).n_users, int
    )
    with pytest.raises(TypeError, match="follow_up must be true or false"):
        Strategy(follow_up=1)
    with pytest.raises(TypeError, match="no parameter 'community' any more: use community_share"):
        Strategy(community=True)
    with pytest.raises(TypeError, match="comments_visible must be true or false"):
        Params(comments_visible=1)
    with pytest.raises(TypeError, match="n_users must be a number"):
        Params(n_users=True)


def test_renamed_switches_are_choices_and_the_old_names_say_what_to_use():
    assert (Params().feed_choice, Params().attention) == ("weighted", "limited")
    for old in ("choice_weights", "unlimited_attention"):
        assert old not in Params.spec() and old not in Params.help()
        with pytest.raises(TypeError, match=f"no parameter '{old}' any more: use"):
            Params(**{old: True})
    with pytest.raises(ValueError, match="choose one of 'weighted', 'uniform'"):
        Params(feed_choice=True)
    assert "stickiness" not in Params.spec()
    with pytest.raises(TypeError, match="no parameter 'stickiness' any more: use activity_from"):
        Params(stickiness=1.0)
    for old in ("reply_capacity", "forward_friction", "comments_visible"):
        with pytest.raises(TypeError, match=f"no parameter '{old}' any more"):
            Strategy(**{old: 1})


def test_rule_choices_are_the_registered_rules():
    from model.rules import REGISTRIES

    spec = Params.spec()
    for reg in REGISTRIES.values():
        assert spec[reg.choice]["choices"] == reg.names(), reg.choice


def test_a_rule_registered_later_is_a_valid_choice(monkeypatch):
    from model.rules import ATTENTION
    from model.rules.attention import Unlimited

    monkeypatch.setitem(ATTENTION._rules, "everything", Unlimited)
    assert Params(attention="everything").attention == "everything"
    assert "everything" in Params.spec()["attention"]["choices"]


def test_choices_listed():
    with pytest.raises(ValueError, match="choose one of 'normal', 'uniform'"):
        Params(initial_opinion="bimodal")


def test_all_zero_mixes_refused():
    with pytest.raises(ValueError, match="mix_post00"):
        Params(mix_post00=0, mix_post90=0, mix_post80=0, mix_pre80=0)
    with pytest.raises(ValueError, match="fmt_"):
        Params(fmt_text=0, fmt_image=0, fmt_short_video=0, fmt_long_video=0)


def test_generation_mix_normalised():
    p = Params(mix_post00=0.5, mix_post90=0.5, mix_post80=0.5, mix_pre80=1.0)
    assert p.generation_mix == pytest.approx((0.2, 0.2, 0.2, 0.4))
    assert math.isclose(sum(Params().format_mix), 1.0)


def test_strategy_by_name_or_object():
    assert Params(strategy="interactive").strategy == Strategy.preset("interactive")
    s = Strategy(reply_share=0.3)
    assert Params(strategy=s).strategy is s
    with pytest.raises(ValueError, match="did you mean 'interactive'"):
        Params(strategy="interactiv")
    with pytest.raises(TypeError, match="strategy must be"):
        Params(strategy=3)


def test_strategy_validation():
    with pytest.raises(ValueError, match="share_prompt"):
        Strategy(share_prompt=0.5)
    with pytest.raises(ValueError, match="reply_share"):
        Strategy(reply_share=-1)
    with pytest.raises(ValueError, match="exceeds 0.9"):
        Strategy(reply_share=0.5, moderation_share=0.5)
    assert Strategy(reply_share=0.2, moderation_share=0.1).publish_share == pytest.approx(0.7)
    with pytest.raises(ValueError, match="reply_share \\+ moderation_share \\+ community_share"):
        Strategy(reply_share=0.5, moderation_share=0.2, community_share=0.3)
    assert Strategy(reply_share=0.2, community_share=0.1).publish_share == pytest.approx(0.7)
    with pytest.raises(TypeError, match="did you mean 'community_share'"):
        Strategy(comunity_share=0.1)
    with pytest.raises(TypeError, match="targeting"):
        Strategy(targeting="yes")


def test_presets_shape():
    one, inter, scen = (Strategy.preset(n) for n in ("one_way", "interactive", "scenario"))
    assert one.reply_share == 0 and one.moderation_share == 0 and one.community_share == 0
    assert inter.reply_share > 0 and inter.moderation_share > 0 and inter.community_share > 0
    # the platform's share button is not the outlet's: both arms carry the same prompt
    assert one.share_prompt == inter.share_prompt == scen.share_prompt == 0.0
    assert scen.targeting and not inter.targeting
    assert scen.replace(targeting=False).switches() == inter.switches()


def test_replace_validates():
    with pytest.raises(ValueError, match="n_users"):
        Params().replace(n_users=1)


def test_help_lists_every_field():
    text = Params.help()
    for name in Params.spec():
        assert name in text


def test_seed_validation():
    with pytest.raises(TypeError, match="seed must be a non-negative integer"):
        OpinionEcology(seed="43", n_users=10)
    with pytest.raises(ValueError, match="non-negative"):
        OpinionEcology(seed=-1, n_users=10)
    with pytest.raises(ValueError, match="either seed or rng"):
        OpinionEcology(seed=1, rng=2, n_users=10)
    m = OpinionEcology(n_users=10)
    assert isinstance(m.seed, int) and m.seed >= 0


def test_params_dict_and_overrides():
    m = OpinionEcology({"n_users": 50}, seed=1, epsilon=0.3)
    assert m.params.n_users == 50 and m.params.epsilon == 0.3
    with pytest.raises(TypeError, match="params must be"):
        OpinionEcology(params=[1, 2], seed=1)
