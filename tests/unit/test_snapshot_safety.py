"""Snapshots are unpickled by a restricted unpickler (model.snapshot._SnapshotUnpickler).

A pickle can call any function its names reach, so a file that merely looks like a snapshot
could run code when loaded (the viewer's "Load state" takes uploads). Each case below is a file
with a valid header whose body names something no snapshot holds; the load must refuse it with
a SnapshotError naming it, and the payload must not have run (each payload would create a
folder: it is absent after).
"""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

import pytest

from model import OpinionEcology, Params
from model import snapshot as snap
from model.snapshot import SnapshotError
from tests.experiments.dying_model import DyingModel

SMALL = Params(n_users=60, steps=8)


def _file(body: Any, model: OpinionEcology | None = None) -> bytes:
    """A snapshot file's bytes: the real header, then ``body`` pickled (with ``model``'s
    DataCollector held as its data, as a real snapshot does, if ``body`` holds the model)."""
    header = {
        "format": snap.FORMAT,
        "class": "model.engine:OpinionEcology",
        "model_code": snap._code_digest(),
    }
    head = snap.MAGIC + pickle.dumps(header, protocol=5)
    if model is None:
        return head + pickle.dumps(body, protocol=5)
    with snap._collectors_detached(model):
        return head + pickle.dumps(body, protocol=5)


class _Attr:
    """A callable whose pickle is ``getattr(obj, name)`` (as a bound method's is)."""

    def __init__(self, obj: Any, name: str) -> None:
        self.obj, self.name = obj, name

    def __call__(self, *args: Any) -> None:
        raise AssertionError("only pickled, never called")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return getattr, (self.obj, self.name)


class _Reduce:
    """An object whose pickle calls ``fn(*args)`` when it is loaded."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.fn, self.args


def test_a_call_of_an_outside_function_is_refused_before_it_runs(tmp_path):
    """``os.mkdir(path)`` in the body: refused by name (``posix.mkdir``), the folder absent."""
    target = tmp_path / "made_by_the_payload"
    data = _file(_Reduce(os.mkdir, str(target)))
    with pytest.raises(SnapshotError, match=r"holds posix\.mkdir, which no snapshot holds"):
        snap.from_bytes(data, "evil.snapshot")
    assert not target.exists()


def test_a_function_of_the_model_package_is_refused(tmp_path):
    """Only classes of the model's packages: ``model.snapshot.save`` (a function that writes a
    file wherever it is told) is refused."""
    target = tmp_path / "written.snapshot"
    m = OpinionEcology(SMALL, seed=1)
    data = _file(_Reduce(snap.save, m, str(target)), m)
    with pytest.raises(SnapshotError, match=r"the function model\.snapshot\.save"):
        snap.from_bytes(data, "evil.snapshot")
    assert not target.exists()


def test_getattr_reaches_only_the_bound_methods_a_snapshot_holds(tmp_path):
    """``getattr(model, "save")`` (a bound method that writes files) and ``getattr(model,
    "__class__")`` are refused; ``getattr(model, "step")``, which Mesa's schedule keeps, is
    allowed (the real snapshots of tests/unit/test_save_load.py hold it)."""
    m = OpinionEcology(SMALL, seed=1)
    target = tmp_path / "written.snapshot"
    for name in ("save", "__class__"):
        data = _file(_Reduce(_Attr(m, name), str(target)), m)
        with pytest.raises(SnapshotError, match=f"the attribute '{name}' of a OpinionEcology"):
            snap.from_bytes(data, "evil.snapshot")
    assert not target.exists()
    step = snap.from_bytes(_file(_Attr(m, "step"), m), "ok.snapshot")
    assert callable(step) and isinstance(step.__self__, OpinionEcology)
    # through the class's own loader too: OpinionEcology.load allows no more than the model's
    path = tmp_path / "evil.snapshot"
    path.write_bytes(_file(_Reduce(_Attr(m, "save"), str(target)), m))
    with pytest.raises(SnapshotError, match="the attribute 'save' of a OpinionEcology"):
        OpinionEcology.load(path)
    assert not target.exists() and snap.modules_of(OpinionEcology) == ()


def test_a_class_outside_the_allowed_packages_is_refused():
    """A class is code too (``subprocess.Popen(args)`` runs a program): refused by name."""
    import subprocess

    data = _file(_Reduce(subprocess.Popen, ["true"]))
    with pytest.raises(SnapshotError, match=r"holds subprocess\.Popen"):
        snap.from_bytes(data, "evil.snapshot")


def test_a_damaged_header_naming_an_outside_function_is_refused_too(tmp_path):
    """The header is unpickled by the same unpickler."""
    target = tmp_path / "made_by_the_header"
    data = snap.MAGIC + pickle.dumps(_Reduce(os.mkdir, str(target)), protocol=5)
    with pytest.raises(SnapshotError, match=r"posix\.mkdir"):
        snap.from_bytes(data, "evil.snapshot")
    assert not target.exists()


def test_a_model_class_of_ones_own_loads_through_its_class(tmp_path):
    """``DyingModel.load`` allows the classes of DyingModel's module (tests.experiments.
    dying_model); the generic loader, which does not know that module, refuses the file."""
    m = DyingModel(SMALL, seed=1)
    m.run(2)
    path = m.save(tmp_path / "own.snapshot")
    loaded = DyingModel.load(path)
    assert type(loaded) is DyingModel and loaded.steps == 2
    with pytest.raises(SnapshotError, match=r"tests\.experiments\.dying_model\.DyingModel"):
        snap.load(path)
    branched = snap.branch(loaded, trust_shift=0.0)
    assert type(branched) is DyingModel and branched.steps == 2
    # its own module's classes, but not the methods it inherits from the model
    assert snap.modules_of(DyingModel) == ("tests.experiments.dying_model",)
    evil = tmp_path / "evil.snapshot"
    target = tmp_path / "written.snapshot"
    evil.write_bytes(_file(_Reduce(_Attr(m, "save"), str(target)), m))
    with pytest.raises(SnapshotError, match="the attribute 'save' of a DyingModel"):
        DyingModel.load(evil)
    assert not target.exists()


def test_the_viewer_names_the_refusal():
    """ "Load state" gives the refusal as its message, with what is allowed."""
    from viewer.state_io import StateFileError, load_state

    data = _file(_Reduce(os.getcwd))
    with pytest.raises(StateFileError, match=r"holds posix\.getcwd, which no snapshot holds"):
        load_state(data, "evil.snapshot")


def test_a_real_snapshot_names_only_what_the_unpickler_allows():
    """Every name a real snapshot's pickle holds (recorded while a model of 60 users that ran
    a day loads) is one the unpickler allows; so the list is not wider than a snapshot needs by
    more than the documented containers and stream classes."""
    m = OpinionEcology(SMALL.replace(steps=30), seed=1)
    m.run(24)
    data = snap.to_bytes(m)
    names: set[tuple[str, str]] = set()

    class Recording(snap._SnapshotUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            names.add((module, name))
            return super().find_class(module, name)

    f = io.BytesIO(data)
    f.read(len(snap.MAGIC))
    Recording(f, "real").load()
    Recording(f, "real").load()
    assert ("builtins", "getattr") in names and ("model.engine", "OpinionEcology") in names
    outside = {
        (mod, n)
        for mod, n in names
        if not snap._in(mod, snap._PACKAGES) and (mod, n) not in snap._NAMES
    }
    assert outside == {("builtins", "getattr")}
