"""The fixed runs whose DataCollector frames and final measures the golden file holds.

Every preset at a small size, the default model under each strategy preset, three seeds. A
change that must not alter behaviour is checked against these runs: the discrete state they end
in (every integer and boolean array, every generator's state; ``golden_state.json``) exactly,
and the frames (``golden.parquet``) to a relative 1e-12 (tests/golden/test_golden.py says why).
``python tests/golden/cases.py`` rewrites both files; do that only in a commit that says why
the numbers had to change.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).with_name("golden.parquet")
STATE = Path(__file__).with_name("golden_state.json")
SEEDS = (1, 2, 3)


def cases() -> dict[str, object]:
    """Name -> Params of every golden run (small sizes, short horizons)."""
    from model import Params, presets

    out: dict[str, object] = {}
    for strategy in ("one_way", "interactive", "scenario"):
        out[f"default-{strategy}"] = Params(n_users=400, steps=30, strategy=strategy)
    out["deffuant"] = presets.deffuant(epsilon=0.2, n_users=300).replace(steps=15)
    out["independent_cascade"] = presets.independent_cascade(n_users=600).replace(steps=30)
    out["limited_attention"] = presets.limited_attention(n_users=400).replace(steps=30)
    out["broadcast"] = presets.broadcast(n_users=400).replace(steps=20)
    for strategy in ("one_way", "interactive"):
        out[f"viral_moment-{strategy}"] = presets.viral_moment(
            n_users=400, strategy=strategy
        ).replace(steps=30)
        out[f"music_community-{strategy}"] = presets.music_community(
            n_users=400, strategy=strategy
        ).replace(steps=30)
    return out


# Reporting objects and Mesa's own bookkeeping: not the state a run carries forward.
SKIP = {
    "datacollector",
    "last_snapshot",
    "_agents",
    "_agents_by_type",
    "_all_agents",
    "users",
    "outlets",
    "params",
    "strategy",
    "prof",
    "_agent_ids",
    "agent_id_counter",
    "_steps",
    "time",
    "_time",
    "_event_list",
    "_simulator",
    "_default_schedule",
    "_observers",
    "_signals",
    "_subscribers",
    "data_registry",
    "_opinion_cache",
    "_scenario",
    "scenario",
}


def _walk(obj: Any, path: str, out: dict[str, tuple[str, str]], seen: set[int]) -> None:
    """(kind, hash) of every array, number and generator state reachable from ``obj``.

    kind: "discrete" for integer and boolean arrays, whole numbers and generator states (what
    the random draws decided), "float" for floating-point arrays and numbers.
    """
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj).tobytes() + str((obj.dtype, obj.shape)).encode()
        kind = "float" if obj.dtype.kind in "fc" else "discrete"
        out[path] = (kind, hashlib.sha256(data).hexdigest())
    elif isinstance(obj, np.random.Generator):
        state = repr(obj.bit_generator.state).encode()
        out[path] = ("discrete", hashlib.sha256(state).hexdigest())
    elif isinstance(obj, bool | int | float | str | np.generic) or obj is None:
        out[path] = ("float" if isinstance(obj, float | np.floating) else "discrete", repr(obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, f"{path}[{k!r}]", out, seen)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _walk(v, f"{path}[{i}]", out, seen)
    elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
        names = list(getattr(obj, "__dict__", {}))
        names += [n for n in getattr(type(obj), "__slots__", ()) if hasattr(obj, n)]
        for name in names:
            if name not in SKIP and not name.startswith("__"):
                _walk(getattr(obj, name), f"{path}.{name}", out, seen)


def state_digest(model: Any) -> dict[str, tuple[str, str]]:
    """Attribute path -> (kind, hash) of everything a run carries from step to step.

    Arrays (user state, networks, screens, content store, logs, rule state), counters and every
    generator's state; the DataCollector and Mesa's agent bookkeeping are left out.
    """
    out: dict[str, tuple[str, str]] = {}
    _walk(model, "model", out, set())
    return out


def run_all(names: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Frames (as :func:`frames`) and the state digest of every (case, seed) after its run."""
    from model import OpinionEcology, measures

    rows, digests = [], {}
    for name, params in cases().items():
        if names is not None and name not in names:
            continue
        for seed in SEEDS:
            m = OpinionEcology(params, seed=seed)
            m.run()
            digests[f"{name}/{seed}"] = state_digest(m)
            df = m.datacollector.get_model_vars_dataframe()
            long = df.reset_index(names="step").melt(id_vars="step", var_name="measure")
            long.insert(0, "kind", "step")
            final = measures.final_measures(m)
            fin = pd.DataFrame(
                {"kind": "final", "step": -1, "measure": list(final), "value": list(final.values())}
            )
            part = pd.concat([long, fin], ignore_index=True)
            part.insert(0, "seed", seed)
            part.insert(0, "case", name)
            rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["value"] = out["value"].astype(np.float64)
    out["step"] = out["step"].astype(np.int64)
    out = out.sort_values(["case", "seed", "kind", "measure", "step"], ignore_index=True)
    return out, digests


def frames() -> pd.DataFrame:
    """One long table: (case, seed, kind, step, measure, value) for every golden run."""
    return run_all()[0]


def discrete(digests: dict[str, dict]) -> dict[str, dict[str, str]]:
    """Only the discrete entries of each run's digest (what the golden file pins exactly)."""
    return {
        run: {path: h for path, (kind, h) in d.items() if kind == "discrete"}
        for run, d in digests.items()
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    table, digests = run_all()
    table.to_parquet(GOLDEN, index=False)
    STATE.write_text(json.dumps(discrete(digests), indent=0, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}: {len(table)} rows, {table['case'].nunique()} cases; and {STATE}")
