"""The same seed gives the same state under every SIMD level numpy can choose on this CPU.

numpy picks the kernels of its elementary functions and sorts at run time from the CPU
(AVX-512, AVX2 or the baseline), and ``NPY_DISABLE_CPU_FEATURES`` switches the higher levels
off. Each golden run is repeated in a fresh interpreter at every level this machine offers;
the whole state (floats included) and the frames must agree bit for bit. A CPU without
AVX-512 runs the same kernels as the "no AVX-512" level here, so this test stands in for a run
on that CPU. Tolerance: zero, because the model's state uses only correctly rounded IEEE
operations (model/portable.py) and order-fixed reductions.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import inspect, json, sys
from model import OpinionEcology, presets
from tests.golden.cases import run_all, state_digest
frames, digests = run_all(tuple(sys.argv[1:]) or None)
# every preset of the catalogue (each opinion, spreading, emotion and following rule) at a
# small size, so that each rule's kernels are exercised
for name, make in sorted(presets.PRESETS.items()):
    default = inspect.signature(make).parameters["n_users"].default
    params = make(n_users=min(default, 300))
    params = params.replace(steps=min(params.steps, 24))
    model = OpinionEcology(params, seed=7)
    model.run()
    digests[f"preset {name}/7"] = state_digest(model)
print(json.dumps({"frames": frames["value"].map(float.hex).tolist(), "state": digests}))
"""

# golden cases of the full model (every preset of the catalogue is added by the probe)
CASES = (
    "default-interactive",
    "default-scenario",
    "deffuant",
    "independent_cascade",
    "music_community-interactive",
)


def simd_levels() -> dict[str, str]:
    """Name -> NPY_DISABLE_CPU_FEATURES value for each distinct level this CPU offers."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    wide = [f for f in found if "512" in f or f == "X86_V4"]
    levels = {"native": ""}
    if wide:
        levels["no AVX-512"] = " ".join(wide)
    if found and found != wide:
        levels["baseline"] = " ".join(found)
    return levels


def run_at(disable: str) -> dict:
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disable, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *CASES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.slow
def test_state_and_frames_do_not_depend_on_the_simd_level():
    levels = simd_levels()
    if len(levels) < 2:
        pytest.skip("numpy offers this CPU only its baseline kernels: nothing to compare")
    runs = {name: run_at(disable) for name, disable in levels.items()}
    ref_name, ref = next(iter(runs.items()))
    for name, got in runs.items():
        differ = {
            run: sorted(
                p for p in ref["state"][run] if got["state"][run].get(p) != ref["state"][run][p]
            )
            for run in ref["state"]
        }
        differ = {run: paths for run, paths in differ.items() if paths}
        assert not differ, f"{name} vs {ref_name}: state differs (run: arrays): {differ}"
        assert got["frames"] == ref["frames"], f"{name} vs {ref_name}: frames differ"


def test_the_probe_sees_the_disabled_kernels():
    """The switch works: with every dispatched feature off, numpy reports none of them found."""
    levels = simd_levels()
    if len(levels) < 2:
        pytest.skip("numpy offers this CPU only its baseline kernels")
    disable = list(levels.values())[-1]
    code = (
        "from numpy._core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f;"
        "print(' '.join(x for x in d if f.get(x)))"
    )
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disable}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()).isdisjoint(disable.split())
