"""The declaration vocabulary (model/schema.py): a generated check of invalid values for every
field of Params and Strategy (as scikit-learn does for its estimators' parameters), and
hand-written cases of the vocabulary itself."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from model import Params, Strategy, schema
from model.schema import Boolean, Field, Interval, Options, Schema, Text


def _cases() -> list[tuple[type, str, Field]]:
    """Every address of Params and Strategy: fields and rules' parameters (not the aliases)."""
    return [
        (owner, name, f)
        for owner in (Params, Strategy)
        for name, f in schema.schema_of(owner).fields.items()
        if not f.alias_of
    ]


CASES = _cases()
IDS = [f"{owner.__name__}.{name}" for owner, name, _ in CASES]


def _label(owner: type, name: str) -> str:
    return schema.schema_of(owner).prefix + name


def _outside(c: Interval) -> list[float]:
    """Values just outside each end: the bound itself when the end is open."""
    out = []
    step = 1 if c.type is int else 1e-6 * max(1.0, abs(c.high or 1), abs(c.low or 1))
    if c.low is not None:
        out.append(c.low if c.closed in ("right", "neither") else c.low - step)
    if c.high is not None:
        out.append(c.high if c.closed in ("left", "neither") else c.high + step)
    return out


def _build(owner: type, name: str, value):
    """``owner`` with ``name`` set; a rule's parameter with the first rule that uses it chosen."""
    if owner is Params and name in Params.spec() and "." in name:
        key = name.split(".")[0]
        rule = schema.schema_of(Params).fields[name].rules[0]
        return owner(**{key: rule, name: value})
    return owner(**{name: value})


@pytest.mark.parametrize(("owner", "name", "f"), CASES, ids=IDS)
def test_every_field_refuses_invalid_values_naming_the_field_and_what_is_allowed(owner, name, f):
    label = _label(owner, name)
    c = f.constraint
    bad: list[tuple[object, type]] = [
        (np.array([f.default, f.default]), TypeError),
        ([f.default], TypeError),
    ]
    if isinstance(c, Interval):
        bad += [(v, ValueError) for v in _outside(c)]
        bad += [
            ("many", TypeError),
            (True, TypeError),
            (float("nan"), ValueError),
            (float("inf"), ValueError),
            (-float("inf"), ValueError),
            (10**400, ValueError),
            (-(10**400), ValueError),
        ]
        allowed = str(c)
    elif isinstance(c, Options):
        bad += [("no such choice", ValueError), (float("nan"), ValueError)]
        allowed = str(c) if f.coerce is None else ""
    elif isinstance(c, Boolean):
        bad += [(1, TypeError), ("yes", TypeError), (None, TypeError)]
        allowed = "true or false"
    else:
        assert isinstance(c, Text)
        bad += [(3, TypeError), (None, TypeError)]
        allowed = "a string"
    for value, error in bad:
        coerced = f.coerce is not None and f.value_kind is None
        if coerced and error is ValueError and not isinstance(value, str):
            error = TypeError  # the strategy takes a name, a dict or a Strategy
        with pytest.raises(error) as info:
            _build(owner, name, value)
        msg = str(info.value)
        assert name in msg, (value, msg)
        assert allowed in msg, (value, msg)
        assert "truth value" not in msg and len(msg) < 600, msg
        if isinstance(c, Interval) and error is ValueError:
            assert msg.startswith(label), msg
    # an unknown name near this one is refused with this one suggested
    with pytest.raises(TypeError, match=f"did you mean '{name}'"):
        _build(owner, name + "x", f.default)


# a field only some rules read (forward_p) warns at a value off its default: accepted all the same
@pytest.mark.filterwarnings("ignore::model.params.UnusedParameterWarning")
@pytest.mark.parametrize(("owner", "name", "f"), CASES, ids=IDS)
def test_every_field_accepts_its_default_edges_and_numpy_scalars(owner, name, f):
    c = f.constraint
    assert getattr(_build(owner, name, f.default), name) == (
        f.default if f.coerce is None else f.coerce(f.default)
    )
    if isinstance(c, Interval):
        ends = [c.low if c.closed in ("both", "left") else None]
        ends.append(c.high if c.closed in ("both", "right") else None)
        for v in [e for e in ends if e is not None] + [f.default]:
            try:
                got = getattr(_build(owner, name, v), name)
            except ValueError as e:  # the cross-field check focal_followers <= n_users
                assert "exceeds n_users" in str(e), str(e)
                continue
            assert got == v and type(got) is c.type
        np_value = (np.int64 if c.type is int else np.float64)(f.default)
        got = getattr(_build(owner, name, np_value), name)
        assert got == f.default and type(got) is c.type
        if c.type is int:
            got = getattr(_build(owner, name, float(f.default)), name)
            assert got == f.default and type(got) is int
    elif isinstance(c, Boolean):
        got = getattr(_build(owner, name, np.bool_(f.default)), name)
        assert got is f.default
    elif isinstance(c, Options) and f.coerce is None:
        for choice in c.choices:
            assert getattr(_build(owner, name, np.str_(choice)), name) == choice


@pytest.mark.parametrize("owner", [Params, Strategy])
def test_spec_and_help_describe_every_field_in_one_format(owner):
    spec = owner.spec()
    fields = schema.schema_of(owner).fields
    assert list(spec) == [n for n, f in fields.items() if not f.alias_of]
    keys = {
        "rules",
        "default",
        "lo",
        "hi",
        "closed",
        "choices",
        "kind",
        "doc",
        "group",
        "symbol",
        "label",
        "unit",
        "allowed",
        "basis",
        "basis_note",
        "sweep",
    }
    text = owner.help()
    for name, m in spec.items():
        assert set(m) == keys, name
        assert m["doc"] and m["group"], name
        assert name in text and m["allowed"], name
        if m["lo"] is not None:
            assert m["kind"] in (int, float) and m["lo"] <= m["default"] <= m["hi"]
        assert m["basis"] in schema.BASES, name
        assert m["basis"] == "assumption" or m["basis_note"], name
        if m["sweep"] is not None:
            lo, hi = m["sweep"]
            assert m["kind"] in (int, float) and lo <= hi, name
            # a range to sweep lies inside what the field allows
            assert m["lo"] is None or m["lo"] <= lo, name
            assert m["hi"] is None or hi <= m["hi"], name


def test_params_spec_keeps_the_viewer_keys_and_symbols():
    spec = Params.spec()
    assert spec["n_users"]["lo"] == 2 and spec["n_users"]["hi"] == 10_000_000
    assert spec["epsilon"]["kind"] is float and spec["epsilon"]["symbol"] == "ε"
    assert spec["strategy"]["choices"] == ("one_way", "interactive", "scenario")
    assert spec["strategy"]["kind"] is object
    assert spec["feed_choice"]["choices"] == ("weighted", "uniform")
    assert Strategy.spec()["reply_share"] == {
        **Strategy.spec()["reply_share"],
        "lo": 0.0,
        "hi": 0.9,
        "kind": float,
        "closed": "both",
    }
    assert spec["feed_ranking"]["choices"] == ("chronological", "engagement", "personalised")


# ---------------------------------------------------------------------------------- vocabulary
@pytest.mark.parametrize(
    ("closed", "text", "inside", "outside"),
    [
        ("both", "[0, 1]", [0.0, 0.5, 1.0], [-1e-12, 1 + 1e-12]),
        ("left", "[0, 1)", [0.0, 0.999], [1.0, -1e-12]),
        ("right", "(0, 1]", [1e-12, 1.0], [0.0, 1.1]),
        ("neither", "(0, 1)", [0.5], [0.0, 1.0]),
    ],
)
def test_interval_ends_open_and_closed(closed, text, inside, outside):
    c = Interval(float, 0, 1, closed=closed)
    assert str(c) == text and c.describe() == f"a number in {text}"
    for v in inside:
        assert c.check("x", v) == v
    for v in outside:
        with pytest.raises(ValueError, match=re.escape(f"x={v!r} is out of range; allowed {text}")):
            c.check("x", v)


def test_interval_unbounded_and_integer():
    c = Interval(int, 0, None)
    assert str(c) == "[0, inf)" and c.describe() == "a whole number in [0, inf)"
    assert c.check("n", 10**30) == 10**30 and c.check("n", 4.0) == 4
    with pytest.raises(ValueError, match="n=2.5 must be a whole number"):
        c.check("n", 2.5)
    with pytest.raises(ValueError, match=r"n=-1 is out of range; allowed \[0, inf\)"):
        c.check("n", -1)
    assert str(Interval(float, None, 0.5)) == "(-inf, 0.5]"


def test_interval_declaration_errors():
    with pytest.raises(ValueError, match="closed="):
        Interval(float, 0, 1, closed="open")
    with pytest.raises(ValueError, match="exceeds"):
        Interval(float, 1, 0)
    with pytest.raises(TypeError, match="int or float"):
        Interval(str, 0, 1)


def test_huge_numbers_name_the_field_and_stay_short():
    with pytest.raises(ValueError) as info:
        Params(epsilon=10**400)
    msg = str(info.value)
    assert msg.startswith("epsilon=") and "allowed [0.001, 2]" in msg and len(msg) < 120


def test_arrays_get_a_clear_message_not_numpys_truth_value_error():
    with pytest.raises(TypeError, match="initial_opinion must be a single value"):
        Params(initial_opinion=np.array(["normal", "uniform"]))
    with pytest.raises(TypeError, match=r"n_users must be a single number in \[2, 10000000\]"):
        Params(n_users=np.arange(3))


def test_options_of_other_types_keep_bool_and_int_apart():
    c = Options(0, 1, 2)
    assert c.check("k", np.int64(1)) == 1 and str(c) == "0, 1, 2"
    with pytest.raises(ValueError, match="k=True is not allowed; choose one of 0, 1, 2"):
        c.check("k", True)
    with pytest.raises(ValueError, match="choose one of 'a'"):
        Options("a").check("k", 0)
    with pytest.raises(ValueError, match="at least one"):
        Options()


def test_did_you_mean_and_unknown_names():
    assert schema.did_you_mean("epsilom", ["epsilon", "n_users"]) == "; did you mean 'epsilon'?"
    assert schema.did_you_mean("zzz", ["epsilon"]) == ""
    with pytest.raises(TypeError, match=r"unknown parameter 'n_user' for Params; did you mean"):
        Params(n_user=3)
    with pytest.raises(TypeError, match="for Strategy; did you mean 'community_share'"):
        Strategy(comunity_share=0.1)
    with pytest.raises(TypeError, match="unknown parameter 'x' for Params"):
        schema.validate(Params, "x", 1)


def test_a_schema_of_its_own_checks_defaults_and_labels():
    s = Schema("f", {"p": Field(0.5, Interval(float, 0, 1), doc="A probability.")})
    assert schema.validate(s, "p", 1) == 1.0
    with pytest.raises(ValueError, match=r"^q=2.0 is out of range; allowed \[0, 1\]$"):
        schema.validate(s, "p", 2, label="q")
    with pytest.raises(ValueError, match="is out of range"):
        Schema("bad", {"p": Field(2.0, Interval(float, 0, 1), doc="Wrong default.")})
    assert schema.help(s).split()[:3] == ["p", "0.5", "[0,"]
    assert schema.spec(s)["p"]["allowed"] == "a number in [0, 1]"


def test_strategy_accepts_numpy_scalars_preset_and_replace():
    s = Strategy(reply_share=np.float64(0.25), follow_up=np.bool_(True))
    assert type(s.reply_share) is float and s.follow_up is True
    assert Strategy.preset("interactive").replace(reply_share=np.float64(0.3)).reply_share == 0.3
    with pytest.raises(ValueError, match=r"Strategy.reply_share=-1.0 is out of range"):
        Strategy.preset("interactive").replace(reply_share=-1)
    assert math.isclose(Strategy(share_prompt=0).share_prompt, 0.0)


# ---------------------------------------------------------------------------------- basis
def test_basis_defaults_to_assumption_and_is_kept_with_its_note_and_sweep():
    f = schema.field(0.5, Interval(float, 0, 1), doc="A chosen value.").metadata["schema"]
    assert (f.basis, f.basis_note, f.sweep) == ("assumption", "", None)
    g = schema.field(
        0.2, Interval(float, 0, 1), doc="d", basis="data", basis_note="Coe 2014", sweep=(0.1, 1)
    ).metadata["schema"]
    assert (g.basis, g.basis_note, g.sweep) == ("data", "Coe 2014", (0.1, 1.0))
    assert type(g.sweep[1]) is float


@pytest.mark.parametrize("bad", ["guess", "Data", "", None, 1])
def test_a_bad_basis_names_the_field_and_the_allowed_values(bad):
    with pytest.raises(ValueError) as err:
        schema.field(0.5, Interval(float, 0, 1), doc="Comment probability.", basis=bad)
    msg = str(err.value)
    assert "Comment probability." in msg and f"basis={bad!r}" in msg, msg
    assert "'data', 'calibrated', 'assumption'" in msg, msg
    # once the field has its name (a Schema gives it one), the message uses the name
    with pytest.raises(ValueError, match=r"^base_comment: basis='guess' is not allowed"):
        Field(0.5, Interval(float, 0, 1), "d", basis="guess", name="base_comment")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"basis": "data"}, "basis='data' needs a basis_note giving its source"),
        ({"basis": "calibrated", "basis_note": "x"}, "needs sweep=\\(q05, q95\\)"),
        ({"basis": "calibrated", "sweep": (0, 1)}, "needs a basis_note"),
        ({"sweep": (1, 0)}, "low <= high"),
        ({"sweep": (0, math.inf)}, "two finite numbers"),
        ({"sweep": (0, 0.5, 1)}, "two finite numbers"),
    ],
)
def test_basis_declaration_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        schema.field(0.5, Interval(float, 0, 1), doc="d", **kwargs)


def test_posterior_gives_the_calibrated_keywords():
    kw = schema.posterior(0.00126, 0.00166, 0.00547, targets="weekly_commenters")
    f = schema.field(0.003, Interval(float, 0, 1), doc="d", **kw).metadata["schema"]
    assert f.basis == "calibrated" and f.sweep == (0.00126, 0.00547)
    assert "weekly_commenters" in f.basis_note
    assert "median 0.00166, 90% interval 0.00126-0.00547" in f.basis_note
    assert "jointly" in f.basis_note
