"""Where a key of a TOML spec is written: :func:`locate` finds its line for error messages.

``tomllib`` reports no positions for values, so the text is scanned.
"""

from __future__ import annotations

import re

_KEY_PART = r'(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_KEY_RE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_HEADER_RE = re.compile(rf"^\s*(\[\[?)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\]?")


def _split_key(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(_KEY_PART, key)]


def locate(text: str, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line where the key ``path`` is set in TOML ``text``.

    ``tomllib`` reports no positions for values, so this scans the text: table headers
    (``[a.b]``, ``[[a]]`` with an index per repetition), ``key = value`` lines, dotted and quoted
    keys, and keys inside inline tables. Falls back to the line of the closest enclosing table.

    Args:
        text: The TOML source.
        path: Table names, array-of-table indices and the key, e.g. ``("design", "ranges", "n")``.

    Returns:
        The line number, or None when neither the key nor an enclosing table is found.
    """
    target = [str(p) for p in path]
    current: list[str] = []
    counts: dict[tuple[str, ...], int] = {}
    best: tuple[int, int] | None = None  # (matched depth, line)

    def consider(depth: int, line: int) -> None:
        nonlocal best
        if best is None or depth > best[0]:
            best = (depth, line)

    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.split("#", 1)[0] if '"' not in line and "'" not in line else line
        h = _HEADER_RE.match(stripped)
        if h:
            parts = _split_key(h.group(2))
            if h.group(1) == "[[":
                idx = counts.get(tuple(parts), -1) + 1
                counts[tuple(parts)] = idx
                parts = [*parts, str(idx)]
            current = parts
            depth = _common(current, target)
            if depth == len(current):
                consider(depth, lineno)
            continue
        k = _KEY_RE.match(stripped)
        if not k:
            continue
        full = current + _split_key(k.group(1))
        depth = _common(full, target)
        if depth == len(target) and len(full) == len(target):
            return lineno
        if depth == len(full) and depth < len(target):
            # an inline table or array of tables on this line may hold the rest of the path
            rest = target[depth:]
            if all(
                re.search(rf"(?<![\w.]){re.escape(r)}(?![\w])", line)
                for r in rest
                if not r.isdigit()
            ):
                consider(len(target) - 0.5, lineno)  # type: ignore[arg-type]
            else:
                consider(depth, lineno)
    return best[1] if best else None


def _common(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
