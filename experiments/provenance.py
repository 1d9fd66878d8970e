"""What a result folder records about the machine and the install beyond package versions.

- ``simd()``: the SIMD levels numpy was built for and found on this CPU (its runtime report).
  The model's state does not depend on them (docs/ODD.md, "Reproducibility"); they are recorded
  so that a reader can tell which kernels computed the reported reductions.
- ``lock()``: the SHA-256 of ``requirements.lock``, the fully pinned constraints every install
  (``make setup``, CI) uses, so that two result folders can be matched to one environment.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def simd() -> dict[str, Any]:
    """numpy's SIMD report: baseline, dispatched levels found and not found, and any disabled."""
    from numpy._core._multiarray_umath import (
        __cpu_baseline__,
        __cpu_dispatch__,
        __cpu_features__,
    )

    return {
        "baseline": list(__cpu_baseline__),
        "found": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
        "not_found": [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)],
        "disabled_by_env": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
    }


def lock() -> dict[str, Any]:
    """The lock file's path and SHA-256 (None where the package runs without its repository)."""
    if not LOCK.is_file():
        return {"file": None, "sha256": None}
    return {"file": LOCK.name, "sha256": hashlib.sha256(LOCK.read_bytes()).hexdigest()}
