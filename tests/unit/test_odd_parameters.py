"""docs/ODD.md against the schema: every parameter it documents exists with its documented default.

Three places in the ODD give defaults, and each is read here as a table:

* Appendix A, one row per ``Params`` field (generated from ``Params.spec()``): the set of names
  must equal the schema's, and each row's default must equal the field's default;
* section 2.4, the strategy presets: each switch's column must equal the preset's value, and
  the ``one_way`` column the ``Strategy`` field's default (``Strategy()`` is ``one_way``);
* the Calibration notes' table of the costs of interactivity: each named parameter's default;

and, in the prose, every parameter set to a value (``peer_mixing = "complete"``) must exist and
the value must be one it allows.

Names go through one helper, :func:`schema_meta`, so that when parameters move (a flat name
becoming ``opinion.epsilon``, say) only that helper changes, and a renamed parameter that the
ODD still names under its old name fails here instead of drifting.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from model import Params, Strategy
from model.strategies import STRATEGY_PRESETS

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


def schema_meta(name: str) -> dict[str, Any]:
    """The schema's metadata of a parameter name written in docs/ODD.md (``x`` or ``strategy.x``).

    The one place that maps a documented name onto the schema: a ``Params`` field, or a
    ``Strategy`` switch addressed as ``strategy.x``. Raises KeyError for a name the schema does
    not know.
    """
    if name.startswith("strategy."):
        return Strategy.spec()[name.removeprefix("strategy.")]
    return Params.spec()[name]


def schema_default(name: str) -> Any:
    """The schema's default of a documented parameter name."""
    return schema_meta(name)["default"]


def schema_names() -> set[str]:
    """Every ``Params`` field name, as Appendix A lists them."""
    return set(Params.spec())


def _section(text: str, heading: str) -> str:
    """The text of the Markdown section that starts with ``heading`` (up to the next heading of
    the same or a higher level)."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading)
    nxt = re.compile(r"^#{1," + str(level) + r"} ", re.M)
    m = nxt.search(text, start + len(heading))
    return text[start : m.start() if m else len(text)]


def _rows(section: str) -> list[list[str]]:
    """The body rows of every Markdown table in ``section``, as lists of stripped cells."""
    out = []
    for line in section.splitlines():
        if not line.startswith("|") or re.match(r"^\|\s*-", line):
            continue
        out.append([c.strip() for c in line.strip().strip("|").split("|")])
    return out


def _value(cell: str) -> Any:
    """A documented default as a Python value: `'text'`, True/False, or the leading number."""
    cell = cell.strip()
    if m := re.fullmatch(r"`'(.*)'`", cell):
        return m.group(1)
    if cell in ("True", "False"):
        return cell == "True"
    if m := re.match(r"^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", cell.replace(",", "")):
        return float(m.group(0))
    return cell.split()[0] if cell else cell


def _same(documented: Any, actual: Any) -> bool:
    """Equal defaults: numbers within float round-off, everything else exactly."""
    if isinstance(actual, bool) or isinstance(documented, bool):
        return documented == actual
    if isinstance(actual, int | float) and isinstance(documented, float):
        return math.isclose(documented, float(actual), rel_tol=1e-9, abs_tol=1e-12)
    return documented == actual


def appendix() -> dict[str, str]:
    """Appendix A: name -> the default cell of its row."""
    text = ODD.read_text(encoding="utf-8")
    rows = _rows(_section(text, "## Appendix A. Parameters"))
    header = rows[0]
    assert header[:4] == ["group", "name", "symbol", "default"], header
    out: dict[str, str] = {}
    for cells in rows[1:]:
        name = cells[1].strip("`")
        assert name not in out, f"Appendix A lists {name} twice"
        out[name] = cells[3]
    return out


def strategy_table() -> dict[str, dict[str, str]]:
    """Section 2.4: switch -> {preset name: documented value}."""
    text = ODD.read_text(encoding="utf-8")
    rows = _rows(_section(text, "### 2.4 Strategies"))
    presets = [c.strip("`") for c in rows[0][1:4]]
    return {
        re.match(r"`([^`]+)`", cells[0]).group(1): dict(zip(presets, cells[1:4], strict=True))
        for cells in rows[1:]
    }


def costs_table() -> list[tuple[str, str]]:
    """The Calibration notes' costs table: (name, documented default) for every named parameter.

    A row may name several parameters and give their defaults in the same order, separated by
    commas (``fatigue_half_life``, ``fatigue_saturation`` | 6 h, 10 views).
    """
    text = ODD.read_text(encoding="utf-8")
    rows = _rows(_section(text, "### The costs of interactivity: data and assumptions"))
    assert rows[0][:3] == ["mechanism", "parameter", "default"], rows[0]
    out = []
    for cells in rows[1:]:
        names = re.findall(r"`([^`]+)`", cells[1])
        values = [v.strip() for v in re.split(r",\s+", cells[2])]
        assert len(names) == len(values), f"{names} against {values}: one default per name"
        out += list(zip(names, values, strict=True))
    return out


def test_appendix_lists_every_field_and_no_other():
    documented, fields = set(appendix()), schema_names()
    assert documented == fields, (
        f"Appendix A is out of date: missing {sorted(fields - documented)}, "
        f"not in the schema {sorted(documented - fields)}; regenerate its rows with the snippet "
        "at the top of the appendix"
    )


@pytest.mark.parametrize("name", sorted(appendix()))
def test_appendix_default_is_the_schema_default(name):
    cell = appendix()[name]
    actual = schema_default(name)
    assert _same(_value(cell), actual), (
        f"docs/ODD.md Appendix A: {name} = {cell}, schema {actual!r}"
    )


@pytest.mark.parametrize("switch", sorted(strategy_table()))
def test_strategy_table_matches_the_presets_and_the_defaults(switch):
    row = strategy_table()[switch]
    assert set(row) == set(STRATEGY_PRESETS), row
    for preset, cell in row.items():
        actual = getattr(STRATEGY_PRESETS[preset], switch)
        assert _same(_value(cell), actual), f"ODD 2.4: {preset}.{switch} = {cell}, code {actual!r}"
    # Strategy() with every default is one_way (ODD 2.4)
    default = schema_default(f"strategy.{switch}")
    assert _same(_value(row["one_way"]), default), f"ODD 2.4: strategy.{switch} default {default!r}"


@pytest.mark.parametrize(("name", "cell"), costs_table())
def test_costs_table_default_is_the_schema_default(name, cell):
    actual = schema_default(name)
    assert _same(_value(cell), actual), f"ODD Calibration notes: {name} = {cell}, schema {actual!r}"


def test_a_changed_default_is_caught(monkeypatch):
    """The check can fail: a default that differs from the ODD's is reported by name."""
    real = Params.spec

    def edited():
        spec = real()
        spec["trust_forgetting"] = {**spec["trust_forgetting"], "default": 0.99}
        return spec

    monkeypatch.setattr(Params, "spec", edited)
    with pytest.raises(AssertionError, match="trust_forgetting = 0.9"):
        test_appendix_default_is_the_schema_default("trust_forgetting")
    with pytest.raises(AssertionError, match="trust_forgetting = 0.9 per day"):
        test_costs_table_default_is_the_schema_default("trust_forgetting", "0.9 per day")


#: Backticked ``name = value`` settings in the prose that are not parameters: loop indices and
#: symbols (``a``, ``k``, ``t``, ``w``, ``from``, ``rank``, ``reached_i``) and keyword arguments
#: of functions the ODD quotes (``by``, ``min_share``, ``bias``, ``when``).
NOT_PARAMETERS = frozenset(
    {"a", "k", "t", "w", "from", "rank", "reached_i", "by", "min_share", "bias", "when"}
)


def prose_settings() -> list[tuple[str, str]]:
    """Every backticked ``name = literal`` in docs/ODD.md outside Appendix A (literal: a number,
    a quoted string, True or False), as (name, literal), without repeats."""
    text = ODD.read_text(encoding="utf-8")
    text = text[: text.index("## Appendix A. Parameters")]
    pattern = r'`([a-z][a-z0-9_.]*)\s*=\s*(-?\d[\d.e+-]*|"[^"`]*"|True|False)`'
    found = {(n, v) for n, v in re.findall(pattern, text) if n not in NOT_PARAMETERS}
    return sorted(found)


@pytest.mark.parametrize(("name", "literal"), prose_settings())
def test_prose_settings_name_parameters_and_allowed_values(name, literal):
    try:
        meta = schema_meta(name)
    except KeyError:
        pytest.fail(f"docs/ODD.md sets `{name} = {literal}`, but the schema has no {name}")
    if meta["choices"] is not None:
        assert literal.strip('"') in meta["choices"], f"{name}: {literal} not in {meta['choices']}"
    elif meta["kind"] is bool:
        assert literal in ("True", "False"), f"{name} = {literal}: not a bool"
    elif meta["lo"] is not None:
        assert meta["lo"] <= float(literal) <= meta["hi"], f"{name} = {literal} outside the range"


def test_prose_settings_are_found():
    """The pattern finds the settings the ODD is known to make (so the check above is not empty)."""
    found = dict(prose_settings())
    assert found.get("trending_prob") in ("0", "1", "1.0")
    assert ("peer_mixing", '"complete"') in prose_settings()
