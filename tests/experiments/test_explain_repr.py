"""``ExplainSummary`` and ``Explanation`` print short: the comparison, the measures, the sizes,
never the two specs they hold (issue 21, smalls 4)."""

from pathlib import Path

from experiments.explain import ExplainSummary, plan_explanation
from experiments.spec import load_spec

TOY = Path(__file__).with_name("explain_toy.toml")


def _summary() -> ExplainSummary:
    ex = plan_explanation(load_spec(TOY))
    return ExplainSummary(
        out=Path("results/toy"),
        planned=48,
        skipped=8,
        ran=40,
        failed=1,
        seconds=12.34,
        files={"attribution.csv": Path("results/toy/attribution.csv")},
        explanation=ex,
        measures=("reach", "engagement", "trust", "belonging"),
    )


def test_the_summary_repr_is_the_comparison_the_measures_and_the_sizes():
    s = _summary()
    ex = s.explanation
    derived = len(ex.derived.arms) - 1 - len(ex.arms)
    text = repr(s)
    assert text == (
        "ExplainSummary(replies, replies_community vs one_way in 'explain_toy': "
        "measures reach, engagement, trust, belonging; "
        f"{derived} derived arms, 1 mechanism; 48 runs planned, 40 ran, 8 already done, "
        "1 failed, 12.3 s; out=results/toy)"
    )
    assert "ExperimentSpec" not in text and len(text) < 300


def test_the_explanation_repr_names_the_comparison_not_the_specs():
    ex = _summary().explanation
    text = repr(ex)
    assert text.startswith("Explanation(replies, replies_community vs one_way in 'explain_toy'")
    assert "ExperimentSpec" not in text and len(text) < 200
    # the switches each arm differs in, by name
    assert "replies: reply_share" in text
    assert "replies_community: reply_share, community_share" in text


def test_many_measures_are_cut_with_a_count():
    s = _summary()
    s.measures = tuple(f"m{i}" for i in range(11))
    assert "measures m0, m1, m2, m3, m4, m5 and 5 more;" in repr(s)
