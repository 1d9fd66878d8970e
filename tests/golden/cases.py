"""The fixed runs whose DataCollector frames and final measures the golden file holds.

Every preset at a small size, the default model under each strategy preset, three seeds. The
refactor of the step into phase modules (and any later change that must not alter behaviour)
is checked against these frames, bit for bit. ``python tests/golden/cases.py`` rewrites the file;
do that only in a commit that says why the numbers had to change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).with_name("golden.parquet")
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


def frames() -> pd.DataFrame:
    """One long table: (case, seed, kind, step, measure, value) for every golden run."""
    from model import OpinionEcology, measures

    rows = []
    for name, params in cases().items():
        for seed in SEEDS:
            m = OpinionEcology(params, seed=seed)
            m.run()
            df = m.datacollector.get_model_vars_dataframe()
            long = df.reset_index(names="step").melt(id_vars="step", var_name="measure")
            long.insert(0, "kind", "step")
            fin = pd.DataFrame(
                {
                    "kind": "final",
                    "step": -1,
                    "measure": list(measures.final_measures(m)),
                    "value": list(measures.final_measures(m).values()),
                }
            )
            part = pd.concat([long, fin], ignore_index=True)
            part.insert(0, "seed", seed)
            part.insert(0, "case", name)
            rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["value"] = out["value"].astype(np.float64)
    out["step"] = out["step"].astype(np.int64)
    return out.sort_values(["case", "seed", "kind", "measure", "step"], ignore_index=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    table = frames()
    table.to_parquet(GOLDEN, index=False)
    print(f"wrote {GOLDEN}: {len(table)} rows, {table['case'].nunique()} cases")
