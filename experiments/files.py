"""Result files written whole or not at all: a temporary name, then a rename."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.errors import StoreWriteError


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` for a temporary name in the same folder, then rename it to ``path``.

    The temporary name starts with ``.`` (Parquet dataset readers skip it) and keeps the
    suffix (matplotlib picks the format from it). ``path`` is therefore whole or absent.

    Raises:
        StoreWriteError: Writing failed (e.g. no space left on device); the temporary file is
            removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name("." + path.name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise StoreWriteError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    return path


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    text = json.dumps(data, indent=2, default=str)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
