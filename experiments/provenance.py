"""What a result folder records about the machine and the install beyond package versions.

- ``simd()``: the SIMD levels numpy was built for and found on this CPU (its runtime report).
  The model's state does not depend on them (docs/ODD.md, "Reproducibility"); they are recorded
  so that a reader can tell which kernels computed the reported reductions.
- ``lock()``: the SHA-256 of ``requirements.lock``, the fully pinned constraints every install
  (``make setup``, CI) uses, so that two result folders can be matched to one environment.
- ``inputs(plan)``: the SHA-256 of every file the runs read (the edge lists of
  ``acquaintance_edges`` and ``follow_edges``, model/edgelists.py), so that a resume refuses a
  file that changed since the first runs instead of mixing runs on two networks.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
#: Params fields that name a file the runs read.
INPUT_FIELDS = ("acquaintance_edges", "follow_edges")


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


def inputs(plan: Any) -> dict[str, str | None]:
    """Each file a run of ``plan`` reads (resolved path) -> its SHA-256 (None if missing: the
    runs will report it); ``plan.params`` holds each run's Params as keywords."""
    from model.edgelists import file_hash

    paths = {
        str(Path(value).resolve())
        for params in plan.params.values()
        for name in INPUT_FIELDS
        if (value := params.get(name, ""))
    }
    return {p: file_hash(p) if Path(p).is_file() else None for p in sorted(paths)}


def changed_inputs(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The files whose hash differs between a result folder's record and now, described."""
    out = []
    for path, before in recorded.items():
        after = now.get(path)
        if after != before:
            out.append(f"{path} (SHA-256 {str(before)[:12]} then, {str(after)[:12]} now)")
    return out
