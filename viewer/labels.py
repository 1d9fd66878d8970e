"""What a control says: the label and unit declared with the field, and its tooltip.

Labels and units live with the declaration (``field(label=..., unit=...)`` in model/params.py,
model/strategies.py and each rule's ``Settings``; the vocabulary of units is
:data:`model.schema.UNITS`), so this module only reads them from the metadata of
``Params.spec()`` and ``Strategy.spec()``: a control shows "label (unit)" (:func:`label_of`);
hovering shows the field's name, as the page address and experiment specs write it, with its
doc string and range (:func:`tooltip_of`).
"""

from __future__ import annotations

from typing import Any

#: The no-break space that holds a unit of several words together on one line.
NBSP = "\u00a0"


def label_of(name: str, meta: dict[str, Any]) -> str:
    """A control's text: the field's declared label, then its unit in brackets unless the label
    already says it ("Recency time scale (steps)", but "Focal items per step"); the unit's own
    spaces are no-break spaces (:data:`NBSP`).

    Args:
        name: The field's address (``"feed_choice.recency_tau"``), the label of last resort.
        meta: The field's metadata (``Params.spec()[name]``).
    """
    label, unit = meta.get("label") or name, meta.get("unit") or ""
    if not unit or unit.lower() in label.lower():
        return label
    # no-break spaces: a unit that wraps goes below the words whole, never "(share" / "0-1)"
    return f"{label} ({unit.replace(' ', NBSP)})"


def tooltip_of(name: str, meta: dict[str, Any]) -> str:
    """A field's tooltip: its name (as in the address and in experiment specs) and doc string."""
    allowed = f" Allowed: [{meta['lo']}, {meta['hi']}]." if meta.get("lo") is not None else ""
    return f"{name}: {meta.get('doc') or ''}{allowed}"
