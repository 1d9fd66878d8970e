"""The lock pins every dependency inside pyproject.toml's ranges, and the install follows it.

A clone made next year installs from requirements.lock (``make setup``, CI), so what the tests
passed with is what a researcher gets. These checks fail when a dependency is added to
pyproject.toml without ``make lock``, when a pin leaves its range, or when the environment
running the tests was installed without the lock.
"""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def pins() -> dict[str, str]:
    out = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)(\s*;.*)?", line)
        assert m, f"requirements.lock: {line!r} is not a 'name==version' pin"
        out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(r) for r in reqs]


def test_every_declared_dependency_is_pinned_inside_its_range():
    locked = pins()
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is in pyproject.toml but not in the lock: make lock"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"the lock pins {req.name}=={locked[name]}, outside pyproject.toml's {req.specifier}"
        )


def test_the_installed_environment_is_the_locked_one():
    locked = pins()
    drift = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name in locked and dist.version != locked[name]:
            drift[name] = (dist.version, locked[name])
    assert not drift, f"installed != locked (name: (installed, locked)): {drift}; run make setup"


def test_result_folders_record_the_lock_and_the_simd_level():
    import hashlib

    from experiments.store import environment

    env = environment()
    assert env["lock"] == {
        "file": "requirements.lock",
        "sha256": hashlib.sha256(LOCK.read_bytes()).hexdigest(),
    }
    assert env["simd"]["baseline"], "numpy always reports its baseline"
    assert set(env["simd"]["found"]).isdisjoint(env["simd"]["not_found"])
