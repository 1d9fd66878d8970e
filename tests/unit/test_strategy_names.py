"""A preset with a switch changed is not labelled with the preset's name (issue 21, smalls 1)."""

import pytest

from experiments.spec_types import Arm
from model import Params, Strategy
from model.strategies import CHANGED_MARK


def test_a_changed_preset_is_named_as_changed():
    changed = Strategy.preset("interactive").replace(reply_share=0.3)
    assert CHANGED_MARK == "*"
    assert changed.name == "interactive*" and changed.label() == "interactive*"
    assert changed.reply_share == 0.3
    # what reports and the viewer read: the label, through Params.to_dict as well
    assert Params(strategy=changed).to_dict()["strategy"] == "interactive*"
    assert Strategy.preset("one_way").replace(targeting=True).label() == "one_way*"


def test_a_second_change_does_not_add_a_second_mark():
    twice = Strategy.preset("scenario").replace(reply_share=0.3).replace(moderation_share=0.0)
    assert twice.name == "scenario*"


def test_a_change_back_to_the_preset_labels_as_the_preset():
    back = Strategy.preset("interactive").replace(reply_share=0.3).replace(reply_share=0.2)
    assert back.switches() == Strategy.preset("interactive").switches()
    assert back.label() == "interactive"


def test_a_replace_that_changes_nothing_keeps_the_name():
    same = Strategy.preset("interactive").replace(reply_share=0.2)
    assert same == Strategy.preset("interactive") and same.name == "interactive"


def test_a_name_given_or_not_a_preset_is_kept():
    assert Strategy.preset("interactive").replace(name="mine", reply_share=0.3).name == "mine"
    assert Strategy(name="mine").replace(reply_share=0.3).name == "mine"
    assert Strategy().replace(reply_share=0.3).name == "custom"
    # a preset built from another with its own name (how "scenario" is built)
    assert Strategy.preset("interactive").replace(name="scenario", targeting=True).label() == (
        "scenario"
    )


@pytest.mark.parametrize("name", ["interactive", "one_way", "mine"])
def test_a_spec_arm_keeps_its_name_when_the_design_sweeps_a_switch(name):
    """A spec's arm name comes from the spec, also where the design changes a switch."""
    arm = Arm(name=name, preset="interactive", switches={"moderation_share": 0.0})
    assert arm.strategy().name == name
    assert arm.strategy({"reply_share": 0.3}).name == name
    assert arm.strategy({"reply_share": 0.3}).reply_share == 0.3


def test_a_comparison_arm_shows_the_changed_name():
    from viewer.arms import StrategyComparison

    changed = Strategy.preset("interactive").replace(reply_share=0.3)
    cmp = StrategyComparison(Params(n_users=50, steps=2), seed=1, strategies=("one_way", changed))
    assert list(cmp.arms) == ["A: one_way", "B: interactive*"]
