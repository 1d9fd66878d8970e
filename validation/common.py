"""Small helpers every check's summary and figure shares: grouping runs, and the verdict word."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

Rows = list[dict[str, Any]]


def group(rows: Rows, key: str) -> dict[Any, Rows]:
    """The runs grouped by the value of ``key``, in run order within each group."""
    by: dict[Any, Rows] = defaultdict(list)
    for r in rows:
        by[r[key]].append(r)
    return by


def passed(ok: bool) -> str:
    """``PASS`` or ``FAIL``: the last word of every verdict."""
    return "PASS" if ok else "FAIL"
