"""Rule parameters (``opinion.contacts``) in the plan, the runs table and the resume checks."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests.experiments.exp_specs import TINY

#: TINY under the activity-driven opinion rule with 5 contacts a step.
CONTACTS = TINY.replace(
    "n_users = 200", 'n_users = 200\nopinion = "activity_driven"\n"opinion.contacts" = 5'
)


def test_plan_and_runs_store_a_rule_parameter_s_value(write_spec, tmp_path):
    import experiments

    out = tmp_path / "out"
    experiments.run(write_spec(CONTACTS), out, progress=False)
    plan = pq.read_table(out / "plan.parquet").to_pandas()
    runs = experiments.load_results(out).runs
    for table in (plan, runs):
        assert (table["param.opinion"] == "activity_driven").all()
        assert (table["param.opinion.contacts"] == 5).all()
        # a parameter of the chosen rule left at its default is stored too, not null
        assert (table["param.opinion.reciprocity"] == 0.5).all()
        cols = [c for c in table.columns if c.startswith("param.")]
        assert not table[cols].isna().any().any(), table[cols].columns[table[cols].isna().any()]


def test_a_stored_plan_differs_from_a_new_one_when_only_a_rule_parameter_differs(
    write_spec, tmp_path
):
    """What a resume compares: the stored plan (read back from plan.parquet) with today's plan.
    Only ``opinion.contacts`` differs (as when a rule parameter's default changes)."""
    from experiments.plan import load_plan, make_plan, plan_difference, write_plan
    from experiments.spec import load_spec

    out = tmp_path / "out"
    out.mkdir()
    write_plan(out, make_plan(load_spec(write_spec(CONTACTS, "a.toml"))))
    text = CONTACTS.replace('"opinion.contacts" = 5', '"opinion.contacts" = 7')
    new = make_plan(load_spec(write_spec(text, "b.toml")))
    diff = plan_difference(load_plan(out), new)
    assert len(diff) == 1
    assert diff[0].startswith("param.opinion.contacts of point 0, arm one_way (5 stored, 7 now")
    assert (
        plan_difference(load_plan(out), make_plan(load_spec(write_spec(CONTACTS, "c.toml")))) == []
    )


def test_a_hand_edited_manifest_does_not_let_another_rule_parameter_resume(write_spec, tmp_path):
    """Runs with contacts=5 on disk, the manifest edited to a spec with contacts=7: refused."""
    import experiments
    from experiments.spec import load_spec
    from experiments.store import StoreError

    out = tmp_path / "out"
    experiments.run(write_spec(CONTACTS, "a.toml"), out, progress=False)
    text = CONTACTS.replace('"opinion.contacts" = 5', '"opinion.contacts" = 7')
    other = load_spec(write_spec(text, "b.toml"))
    m = json.loads((out / "manifest.json").read_text())
    m["spec"] = other.to_dict()
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(StoreError, match=r"different plan .*param\.opinion\.contacts of point 0"):
        experiments.run(other, out, progress=False, resume=True)


def test_runs_of_another_rule_parameter_are_refused_against_the_plan(write_spec, tmp_path):
    """A runs part whose rule parameter was rewritten (contacts 5 -> 7) is not a run of the plan."""
    import pyarrow as pa

    import experiments
    from experiments.store import StoreError

    out = tmp_path / "out"
    spec = write_spec(CONTACTS)
    experiments.run(spec, out, progress=False, flush_every=4)
    part = out / "runs" / "part-000001.parquet"
    t = pq.read_table(part)
    i = t.schema.get_field_index("param.opinion.contacts")
    t = t.set_column(i, "param.opinion.contacts", pa.array([7] * t.num_rows, pa.int64()))
    pq.write_table(t, part)
    with pytest.raises(StoreError, match=r"param\.opinion\.contacts = 7, the plan 5"):
        experiments.run(spec, out, progress=False, resume=True)


def test_real_params_flatten_to_columns_and_back():
    """Params -> plain keywords -> columns -> keywords -> Params is the identity, rules included."""
    from experiments.design import flat_params, nested_params
    from experiments.points import plain_params
    from experiments.schemas import param_fields
    from model import Params, Strategy

    p = Params(
        n_users=300,
        opinion="activity_driven",
        feed_ranking="personalised",
        strategy="interactive",
        **{"opinion.contacts": 5, "feed_ranking.ranking_bias": 1.5},
    )
    plain = plain_params(p)
    assert plain["opinion"] == "activity_driven" and type(plain["opinion"]) is str
    assert plain["opinion.contacts"] == 5 and plain["feed_ranking.ranking_bias"] == 1.5
    flat = flat_params(plain)
    assert set(flat) == {name for name, _ in param_fields()}
    assert flat["param.opinion.contacts"] == 5
    assert flat["param.strategy.reply_share"] == Strategy.preset("interactive").reply_share
    back = nested_params({**flat, "factor.x": 1})
    assert back == plain
    assert json.loads(json.dumps(back)) == back  # JSON-able, as the workers and the plan need
    kwargs = dict(back)  # as experiments.run.build_model builds a worker's Params
    kwargs["strategy"] = Strategy(**kwargs["strategy"])
    assert Params(**kwargs) == p


def test_a_parameter_one_plan_lacks_is_a_difference_not_a_none(write_spec):
    """A stored plan without a column (written before it existed) does not vouch for a None."""
    import dataclasses

    from experiments.plan import make_plan, plan_difference
    from experiments.spec import load_spec

    new = make_plan(load_spec(write_spec(CONTACTS)))
    key = (0, "one_way")
    lacking = {**new.params, key: {k: v for k, v in new.params[key].items() if k != "n_users"}}
    stored = dataclasses.replace(new, params=lacking)
    with_none = dataclasses.replace(
        new, params={**new.params, key: {**new.params[key], "n_users": None}}
    )
    diff = plan_difference(stored, with_none)
    assert diff and diff[0].startswith(
        "param.n_users of point 0, arm one_way (absent stored, None now"
    )


#: feed_ranking crossed with ranking_bias: the bias acts only under "personalised".
RANKING = """
name = "ranking"
steps = 6

[fixed]
n_users = 100
ranking_bias = 1.5

[factors]
feed_ranking = ["chronological", "engagement", "personalised"]
"feed_ranking.ranking_bias" = [0.5, 1.0]

[arms]
one_way = "one_way"
interactive = "interactive"
"""


def test_an_unused_rule_parameter_is_reported_once_per_key_with_its_line(write_spec):
    """Not one model warning per run (4 of 6 points x 2 arms): one per spec key, at its line."""
    import warnings

    from experiments.spec import load_spec
    from experiments.spec_runs import UnusedKeyWarning
    from model.params import UnusedParameterWarning

    path = write_spec(RANKING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_spec(path)
    assert not [w for w in caught if issubclass(w.category, UnusedParameterWarning)]
    got = sorted(
        (w.lineno, str(w.message)) for w in caught if issubclass(w.category, UnusedKeyWarning)
    )
    rule = "it is a parameter of the feed_ranking rule 'personalised'"
    assert got == [
        (
            6,
            f"ranking_bias (feed_ranking.ranking_bias) has no effect in 4 of 6 design points: {rule}",
        ),
        (10, f"feed_ranking.ranking_bias has no effect in 4 of 6 design points: {rule}"),
    ]
    assert all(w.filename == str(path) for w in caught)


def test_a_rule_parameter_of_the_chosen_rule_is_not_reported(write_spec):
    import warnings

    from experiments.spec import load_spec

    text = RANKING.replace('"chronological", "engagement", "personalised"', '"personalised"')
    text = text.replace("[factors]", '[factors]\n"strategy.reply_share" = [0.1]')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_spec(write_spec(text))
    assert caught == []


def test_plan_prints_the_unused_rule_parameter_warning(write_spec, capfd):
    """What a user sees: one line per key on stderr from `plan` (and `run`, which loads alike)."""
    import subprocess
    import sys

    path = write_spec(RANKING)
    done = subprocess.run(
        [sys.executable, "-m", "experiments", "plan", str(path), "--pilot-steps", "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [x for x in done.stderr.splitlines() if "UnusedKeyWarning" in x]
    assert len(lines) == 2 and lines[0].startswith(f"{path}:6: UnusedKeyWarning: ranking_bias")
    assert "UnusedParameterWarning" not in done.stderr
