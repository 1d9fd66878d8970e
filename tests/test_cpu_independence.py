"""The same seed gives the same state under every SIMD level numpy can choose on this CPU.

numpy picks the kernels of its elementary functions and sorts at run time from the CPU
(AVX-512, AVX2 or the baseline), and ``NPY_DISABLE_CPU_FEATURES`` switches the higher levels
off. The step's compiled kernels (model/jit.py) are compiled by numba for the CPU it runs on,
and ``NUMBA_CPU_NAME`` makes it compile for another: "haswell" (AVX2 and FMA, no AVX-512) and
"generic" (baseline x86-64), each into a cache of its own, with ``NUMBA_CPU_FEATURES`` empty
(otherwise numba gives the named target this CPU's features, AVX-512 included). Each golden run is repeated in a
fresh interpreter at every level this machine offers; the whole state (floats included) and
the frames must agree bit for bit. A CPU without AVX-512 runs the same numpy kernels as the
"no AVX-512" level here and gets the same machine code from numba as the "haswell" target, so
this test stands in for a run on that CPU. Tolerance: zero, because the model's state uses only
correctly rounded IEEE operations (model/portable.py, model/jit.py: no fastmath, so no fused
multiply-add and no reordered sums) and order-fixed reductions.
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
    """Name -> NPY_DISABLE_CPU_FEATURES value for each distinct level this CPU offers (numba's
    target CPU for each level is in NUMBA_TARGET)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    wide = [f for f in found if "512" in f or f == "X86_V4"]
    levels = {"native": ""}
    if wide:
        levels["no AVX-512"] = " ".join(wide)
    if found and found != wide:
        levels["baseline"] = " ".join(found)
    return levels


#: numba's target CPU at each level: "" compiles for this CPU.
NUMBA_TARGET = {"native": "", "no AVX-512": "haswell", "baseline": "generic"}


def level_env(name: str, disable: str, cache: Path) -> dict[str, str]:
    """The environment of a probe at one level: numpy's kernels and numba's target CPU."""
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disable, "PYTHONPATH": str(ROOT)}
    env.pop("NUMBA_CPU_NAME", None)
    env.pop("NUMBA_CPU_FEATURES", None)
    if NUMBA_TARGET[name]:
        env["NUMBA_CPU_NAME"] = NUMBA_TARGET[name]
        # numba adds this CPU's own features (AVX-512 included) to a named target unless it is
        # given features: empty ones leave the target's own (haswell: AVX2 and FMA, no AVX-512)
        env["NUMBA_CPU_FEATURES"] = ""
        env["NUMBA_CACHE_DIR"] = str(cache / NUMBA_TARGET[name])
    return env


def run_at(envs: dict[str, dict[str, str]]) -> dict[str, dict]:
    """Name -> the probe's output, for a probe started at once at each level (name -> env).

    The probes run side by side: the two levels with a numba target of their own compile every
    kernel afresh (about 40 s each on 2 cores; the native level finds the cache the rest of the
    suite filled), and the suite itself runs on one core at a time.
    """
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", PROBE, *CASES],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, env in envs.items()
    }
    outs = {name: proc.communicate() for name, proc in procs.items()}
    failed = {name: outs[name][1][-2000:] for name, proc in procs.items() if proc.returncode}
    assert not failed, f"the probe failed at {list(failed)}: {failed}"
    return {name: json.loads(out) for name, (out, _) in outs.items()}


@pytest.mark.slow
def test_state_and_frames_do_not_depend_on_the_simd_level(tmp_path):
    levels = simd_levels()
    if len(levels) < 2:
        pytest.skip("numpy offers this CPU only its baseline kernels: nothing to compare")
    runs = run_at({name: level_env(name, disable, tmp_path) for name, disable in levels.items()})
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


@pytest.mark.slow  # 5-8 s; make test and CI run it
@pytest.mark.parametrize("target", ["haswell", "generic"])
def test_the_probe_compiles_for_another_cpu(target, tmp_path):
    """The numba switch works: a kernel compiled under the level's environment reports that
    target, and its machine features are the target's own, without AVX-512 (numba gives a named
    target this CPU's features unless ``NUMBA_CPU_FEATURES`` is set; the "no AVX-512" level
    compiled AVX-512 code on this machine until that was set)."""
    from numpy._core._multiarray_umath import __cpu_features__

    if target == "haswell" and not (__cpu_features__.get("AVX2") and __cpu_features__.get("FMA3")):
        pytest.skip("this CPU cannot run code compiled for haswell (AVX2, FMA)")
    code = (
        "import numba; from model import jit; jit.exp(1.0);"
        "from numba.core.registry import cpu_target;"
        "cg = cpu_target.target_context.codegen();"
        "print(numba.config.CPU_NAME, 'avx512f' in cg._tm_features, jit.exp.signatures)"
    )
    env = level_env(next(k for k, v in NUMBA_TARGET.items() if v == target), "", tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    name, avx512, *_ = out.stdout.split()
    assert name == target
    # the target's own features, not this CPU's: no AVX-512 in the code compiled for it
    assert avx512 == "False", out.stdout
    assert "float64" in out.stdout  # the kernel was compiled (one float64 signature)
