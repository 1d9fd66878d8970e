"""docs/ODD.md against the schema: every parameter it documents exists with its documented default.

Three places in the ODD give defaults, and each is read here as a table:

* Appendix A, one row per ``Params`` field (generated from ``Params.spec()``): the set of names
  must equal the schema's, and each row's default, unit, basis (with its note) and range must
  equal the field's; the generator the appendix shows, run, prints those same cells;
* section 2.4, the strategy presets: each switch's column must equal the preset's value, and
  the ``one_way`` column the ``Strategy`` field's default (``Strategy()`` is ``one_way``);
* the Calibration notes' table of the costs of interactivity: each named parameter's default;

the Calibration notes' count of parameters by basis must equal the schema's, and they name
every calibrated parameter (``model.params.CALIBRATED``, exactly the fields declared
``basis="calibrated"``);

and, in the prose, every parameter set to a value (``peer_mixing = "complete"``) must exist and
the value must be one it allows.

Names go through one helper, :func:`schema_meta`, so that when parameters move (a flat name
becoming ``opinion.epsilon``, say) only that helper changes, and a renamed parameter that the
ODD still names under its old name fails here instead of drifting.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from model import Params, Strategy
from model.params import CALIBRATED
from model.schema import BASES
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
        # a cell's own "|" is written "\\|" (Markdown's escape), e.g. |opinion - stance|
        out.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))])
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


def _table(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """A parameter table's body as name -> {column: cell}, the name from the ``name`` column."""
    header = rows[0]
    out: dict[str, dict[str, str]] = {}
    for cells in rows[1:]:
        assert len(cells) == len(header), f"{cells[:2]}: {len(cells)} cells, {len(header)} columns"
        row = dict(zip(header, cells, strict=True))
        name = row["name"].strip("`")
        assert name not in out, f"Appendix A lists {name} twice"
        out[name] = row
    return out


def appendix_rows() -> dict[str, dict[str, str]]:
    """Appendix A: name -> {column: cell}."""
    text = ODD.read_text(encoding="utf-8")
    rows = _rows(_section(text, "## Appendix A. Parameters"))
    assert rows[0][:4] == ["group", "name", "symbol", "default"], rows[0]
    return _table(rows)


def appendix() -> dict[str, str]:
    """Appendix A: name -> the default cell of its row."""
    return {name: row["default"] for name, row in appendix_rows().items()}


def basis_cell(meta: dict[str, Any]) -> str:
    """The basis cell of a field's row: ``data: <source>``, ``calibrated: <note>``,
    ``assumption`` (with its note when it has one)."""
    return meta["basis"] + (f": {meta['basis_note']}" if meta["basis_note"] else "")


def _range(cell: str) -> tuple[float, float] | None:
    """A range cell (``0.1 to 0.35``, ``-0.3 to 0.3``; ``-`` for none) as numbers."""
    if cell == "-":
        return None
    m = re.fullmatch(r"(-?[\d.e+-]+) to (-?[\d.e+-]+)", cell)
    assert m, f"range cell {cell!r} is not 'low to high' or '-'"
    return float(m.group(1)), float(m.group(2))


def _same_range(documented: tuple[float, float] | None, actual: Any) -> bool:
    """Equal ranges, to the six significant digits a cell shows."""
    if documented is None or actual is None:
        return documented is None and actual is None
    return all(math.isclose(d, a, rel_tol=1e-5) for d, a in zip(documented, actual, strict=True))


def generator_output() -> dict[str, dict[str, str]]:
    """The table Appendix A's own generator prints now (its code block, run)."""
    section = _section(ODD.read_text(encoding="utf-8"), "## Appendix A. Parameters")
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/ODD.md Appendix A", "exec"), {})  # noqa: S102 - our own doc
    return _table(_rows(out.getvalue()))


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


@pytest.mark.parametrize("name", sorted(appendix()))
def test_appendix_basis_and_range_are_the_schema_s(name):
    row, meta = appendix_rows()[name], schema_meta(name)
    assert row["basis"] == basis_cell(meta), (
        f"docs/ODD.md Appendix A: {name} basis {row['basis']!r}, schema {basis_cell(meta)!r}"
    )
    assert _same_range(_range(row["range"]), meta["sweep"]), (
        f"docs/ODD.md Appendix A: {name} range {row['range']!r}, schema {meta['sweep']!r}"
    )


@pytest.mark.parametrize("name", sorted(appendix()))
def test_appendix_unit_is_the_schema_s(name):
    """The unit column (blank for a pure number) is the unit declared with the field."""
    row, meta = appendix_rows()[name], schema_meta(name)
    assert row["unit"] == meta["unit"], (
        f"docs/ODD.md Appendix A: {name} unit {row['unit']!r}, schema {meta['unit']!r}"
    )


def test_appendix_generator_prints_the_appendix_s_columns():
    """The code block the appendix shows is what made its table: run now, it prints the same
    header, the same names and the same basis and range cells."""
    printed, documented = generator_output(), appendix_rows()
    assert list(printed) == list(documented)
    assert list(next(iter(printed.values()))) == list(next(iter(documented.values())))
    for name, row in printed.items():
        for column in ("default", "unit", "allowed", "basis", "range"):
            assert row[column] == documented[name][column], (name, column)


def test_a_changed_basis_or_range_is_caught(monkeypatch):
    """The check can fail: a basis or a sweep that differs from the appendix is named."""
    real = Params.spec

    def edited():
        spec = real()
        spec["incivility"] = {**spec["incivility"], "basis": "assumption", "basis_note": ""}
        spec["trust_prior"] = {**spec["trust_prior"], "sweep": (5.0, 50.0)}
        return spec

    monkeypatch.setattr(Params, "spec", edited)
    with pytest.raises(AssertionError, match="incivility basis .data: Coe.*schema 'assumption'"):
        test_appendix_basis_and_range_are_the_schema_s("incivility")
    with pytest.raises(AssertionError, match="trust_prior range '5 to 100'"):
        test_appendix_basis_and_range_are_the_schema_s("trust_prior")


def test_calibrated_fields_are_exactly_the_calibrated_list():
    spec = Params.spec()
    assert {m["basis"] for m in spec.values()} <= set(BASES)
    calibrated = {name for name, m in spec.items() if m["basis"] == "calibrated"}
    assert len(CALIBRATED) == 12 and len(set(CALIBRATED)) == 12
    assert calibrated == set(CALIBRATED), (
        f"declared calibrated but not in model.params.CALIBRATED: "
        f"{sorted(calibrated - set(CALIBRATED))}; listed but not declared calibrated: "
        f"{sorted(set(CALIBRATED) - calibrated)}"
    )
    for name in CALIBRATED:
        # each names its targets and carries its posterior 90% interval as its range
        assert "direct target" in spec[name]["basis_note"] and spec[name]["sweep"], name


def basis_section() -> str:
    """The Calibration notes' subsection on the basis of every parameter."""
    return _section(ODD.read_text(encoding="utf-8"), "### Basis of every parameter")


def test_calibration_notes_name_every_calibrated_parameter():
    text = basis_section()
    missing = [name for name in CALIBRATED if f"`{name}`" not in text]
    assert not missing, f"docs/ODD.md, Basis of every parameter, does not name {missing}"


def test_calibration_notes_count_parameters_by_basis_as_the_schema():
    rows = _rows(basis_section())
    assert rows[0] == ["basis", "parameters", "with a range"], rows[0]
    documented = {cells[0]: (int(cells[1]), int(cells[2])) for cells in rows[1:]}
    spec = Params.spec().values()
    count = Counter(m["basis"] for m in spec)
    ranged = Counter(m["basis"] for m in spec if m["sweep"] is not None)
    expected = {b: (count[b], ranged[b]) for b in BASES}
    expected["all"] = (sum(count.values()), sum(ranged.values()))
    assert documented == expected


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
