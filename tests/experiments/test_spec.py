"""Spec validation: every class of mistake fails before any run, naming key, file, line and what is allowed."""

from __future__ import annotations

import pytest

import experiments
from experiments.spec import SpecError, load_spec, locate, parse_spec

HEAD = """
name = "bad"
replicates = 2
steps = 4
"""
ARMS = """
[arms]
one_way = "one_way"
interactive = "interactive"
"""

# (id, spec body, key in the message, expected line, text that must appear in the message)
CASES = [
    ("toml_syntax", HEAD + "[fixed\nn_users = 100\n" + ARMS, "", 4, "not valid TOML"),
    (
        "unknown_top_key",
        HEAD + "replicate = 3\n" + ARMS,
        "replicate",
        4,
        "did you mean 'replicates'",
    ),
    (
        "unknown_param",
        HEAD + "[fixed]\ntrust_shfit = 0.1\n" + ARMS,
        "fixed.trust_shfit",
        5,
        "did you mean 'trust_shift'",
    ),
    (
        "out_of_range",
        HEAD + "[factors]\ntrust_shift = [0.0, 0.9]\n" + ARMS,
        "factors.trust_shift",
        5,
        "allowed [-0.5, 0.5]",
    ),
    (
        "wrong_type",
        HEAD + '[fixed]\nn_users = "many"\n' + ARMS,
        "fixed.n_users",
        5,
        "a whole number in [2, 10000000]",
    ),
    (
        "bad_choice",
        HEAD + '[fixed]\nfollow_model = "scale_free"\n' + ARMS,
        "fixed.follow_model",
        5,
        "'powerlaw', 'erdos_renyi', 'none'",
    ),
    (
        "unknown_strategy",
        HEAD + '[arms]\none_way = "one_way"\nchat = "interactiv"\n',
        "arms.chat",
        6,
        "one_way, interactive, scenario",
    ),
    (
        "unknown_switch",
        HEAD + ARMS + '[arms.slow]\nstrategy = "interactive"\nreply_shar = 0.3\n',
        "arms.slow.reply_shar",
        10,
        "did you mean 'reply_share'",
    ),
    (
        "bad_switch_value",
        HEAD + '[fixed]\n"strategy.share_prompt" = 1.5\n' + ARMS,
        "fixed.strategy.share_prompt",
        5,
        "strategy.share_prompt=1.5 is out of range; allowed [0, 0.1]",
    ),
    (
        "bad_arm_switch",
        HEAD + ARMS + '[arms.slow]\nstrategy = "interactive"\nreply_share = -3\n',
        "arms.slow.reply_share",
        10,
        "strategy.reply_share=-3",
    ),
    (
        "array_value",
        HEAD + "[fixed]\nn_users = [10, 20]\n" + ARMS,
        "fixed.n_users",
        5,
        "n_users must be a single number in [2, 10000000]",
    ),
    (
        "nan_value",
        HEAD + "[fixed]\nepsilon = nan\n" + ARMS,
        "fixed.epsilon",
        5,
        "epsilon=nan is not a finite number; allowed range [0.001, 2]",
    ),
    (
        "renamed_param",
        HEAD + "[fixed]\nchoice_weights = false\n" + ARMS,
        "fixed.choice_weights",
        5,
        "no parameter 'choice_weights' any more: use feed_choice='weighted'",
    ),
    (
        "bad_point_value",
        HEAD + "[[points]]\ntrust_shift = 0.1\n[[points]]\ncommunity_fanout = 2.5\n" + ARMS,
        "points.1.community_fanout",
        7,
        "community_fanout=2.5 must be a whole number in [0, 100]",
    ),
    (
        "range_outside",
        HEAD
        + '[design]\nkind = "lhs"\nn = 4\n[design.ranges]\n"strategy.share_prompt" = [0.0, 1.5]\n'
        + ARMS,
        "design.ranges.strategy.share_prompt",
        8,
        "strategy.share_prompt=1.5 is out of range; allowed [0, 0.1]",
    ),
    (
        "design_kind",
        HEAD + '[design]\nkind = "random"\n' + ARMS,
        "design.kind",
        5,
        "factorial, list, lhs, sobol",
    ),
    (
        "sobol_n",
        HEAD
        + '[design]\nkind = "sobol"\nn = 10\n[design.ranges]\ntrust_shift = [-0.2, 0.2]\n'
        + ARMS,
        "design.n",
        6,
        "power of 2",
    ),
    (
        "range_order",
        HEAD + '[design]\nkind = "lhs"\nn = 4\n[design.ranges]\ntrust_shift = [0.2, -0.2]\n' + ARMS,
        "design.ranges.trust_shift",
        8,
        "low < high",
    ),
    (
        "range_not_numeric",
        HEAD + '[design]\nkind = "lhs"\nn = 4\n[design.ranges]\nfollow_model = [0, 1]\n' + ARMS,
        "design.ranges.follow_model",
        8,
        "not numeric",
    ),
    (
        "unknown_metric",
        HEAD + 'metrics = ["reach", "reech"]\n' + ARMS,
        "metrics",
        4,
        "did you mean 'reach'",
    ),
    (
        "baseline",
        HEAD + ARMS + '[analysis]\nbaseline = "broadcast"\n',
        "analysis.baseline",
        9,
        "one_way, interactive",
    ),
    (
        "reserved",
        HEAD + '[fixed]\nstrategy = "interactive"\n' + ARMS,
        "fixed.strategy",
        5,
        "use [arms]",
    ),
    (
        "fixed_and_factor",
        HEAD + "[fixed]\ntrust_shift = 0.1\n[factors]\ntrust_shift = [0.0, 0.1]\n" + ARMS,
        "fixed.trust_shift",
        5,
        "both fixed and a design factor",
    ),
    (
        "replicates",
        HEAD.replace("replicates = 2", "replicates = 0") + ARMS,
        "replicates",
        2,
        "replicates=0 is out of range; allowed [1, 1000000]",
    ),
    (
        "cross_field",
        HEAD + "[fixed]\nn_users = 50\n[factors]\nfocal_followers = [10, 80]\n" + ARMS,
        "factors.focal_followers",
        7,
        "focal_followers=80 exceeds n_users=50",
    ),
]


@pytest.mark.parametrize(
    ("body", "key", "line", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_error_class_names_key_file_line_and_allowed(write_spec, body, key, line, text):
    path = write_spec(body)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line, str(err)
    assert err.key == key
    assert text in str(err)
    assert str(err).startswith(f"{path}:{line}: ")


def test_a_bad_spec_fails_before_any_run_or_output(write_spec, tmp_path):
    path = write_spec(HEAD + "[factors]\ntrust_shift = [0.0, 0.9]\n" + ARMS)
    out = tmp_path / "out"
    with pytest.raises(SpecError):
        experiments.run(path, out, progress=False)
    assert not out.exists()


def test_cli_reports_a_bad_spec_with_exit_code_2(write_spec, capsys):
    from experiments.cli import main

    path = write_spec(HEAD + "[fixed]\ntrust_shfit = 0.1\n" + ARMS)
    assert main(["plan", str(path), "--pilot-steps", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5: fixed.trust_shfit" in err and "trust_shift" in err


def test_valid_spec_loads_into_a_frozen_dataclass(tiny_spec):
    spec = load_spec(tiny_spec)
    assert spec.arm_names == ("one_way", "interactive")
    assert spec.design.factors == {"trust_shift": (-0.2, 0.2)}
    assert spec.analysis.baseline == "one_way"
    with pytest.raises(AttributeError):
        spec.replicates = 5  # type: ignore[misc]


def test_overrides_are_validated_like_the_file(tiny_spec):
    spec = load_spec(tiny_spec, overrides={"n_users": 300, "replicates": 4})
    assert spec.fixed["n_users"] == 300 and spec.replicates == 4
    with pytest.raises(SpecError, match=r"n_users=1 is out of range"):
        load_spec(tiny_spec, overrides={"n_users": 1})


def test_one_way_does_not_sweep_strategy_switches_by_default():
    spec = parse_spec(
        {
            "name": "x",
            "steps": 2,
            "fixed": {"n_users": 50, "strategy.share_prompt": 0.05},
            "arms": ["one_way", "interactive"],
        }
    )
    from experiments.design import build_tasks

    by_arm = {t.arm: t.params["strategy"] for t in build_tasks(spec)}
    assert by_arm["one_way"]["share_prompt"] == 0.0
    assert by_arm["interactive"]["share_prompt"] == 0.05


def test_locate_finds_dotted_quoted_inline_and_array_table_keys():
    text = "\n".join(
        [
            'name = "x"',  # 1
            "[design]",  # 2
            "ranges = { trust_shift = [0, 1] }",  # 3
            "[[points]]",  # 4
            "n_users = 10",  # 5
            "[[points]]",  # 6
            '"strategy.reply_share" = 0.3',  # 7
            "a.b = 1",  # 8
        ]
    )
    assert locate(text, ("design", "ranges", "trust_shift")) == 3
    assert locate(text, ("points", 0, "n_users")) == 5
    assert locate(text, ("points", 1, "strategy.reply_share")) == 7
    assert locate(text, ("points", 1, "a", "b")) == 8
    assert locate(text, ("design", "n")) == 2
    assert locate(text, ("nothing",)) is None
