"""Snapshots: a whole model in one file, and branches that continue it under other parameters.

A snapshot keeps everything a run carries from step to step, so that a model loaded from it and
stepped k times gives the same frames and state, bit for bit, as the run that was never
interrupted: the users' arrays, the networks, screens, content store, outbox and logs, every
rule's state, the tallies, every random stream (the numpy Generators and Mesa's ``random``) and
the DataCollector's frames.

The model is pickled whole (its ``__dict__`` as it is, so an attribute added to the model later
is kept without being listed here). Only the DataCollector does not pickle: its reporters are
closures. It is written as its data (every attribute but the reporters) and rebuilt on load with
:func:`model.measures.build_datacollector`, then given its data back. A DataCollector held
anywhere but in an attribute of the model itself is not found and fails to pickle.

A file is whole or absent: it is written to a temporary file in the same folder and moved into
place with ``os.replace``. It starts with :data:`MAGIC` and a header holding the format version
(:data:`FORMAT`), read before anything else is unpickled, so a file that is not a snapshot, or
one written by another format version, fails with a message that says so. The header also holds
a digest of the ``model`` package's sources (:func:`model.jit.source_digest`): a snapshot
written by other model code still loads (its layout may well be the same), but with a
:class:`SnapshotCodeWarning`, since a continued run would then not be the run that was saved.

Loading a snapshot unpickles it with a restricted unpickler (:class:`_SnapshotUnpickler`): it
makes only what a snapshot holds (the classes of the ``model`` and ``agents`` packages and of the
parts of Mesa a model keeps, numpy's arrays, dtypes and random streams, Python's containers and
``random.Random``, and the few bound methods Mesa's schedule keeps), and refuses any other name
with a :class:`SnapshotError` that says which, before anything is called. A pickle can call
whatever its names reach, so a file from elsewhere could otherwise run any code. The classes of a
model class of one's own (``OpinionEcology.load`` on a subclass) are allowed by its module, and
so are the methods it defines itself (not those it inherits: ``save`` writes files). Load
files you trust all the same: a snapshot's data may still be wrong in ways no check sees.

Branching (:func:`branch`): a copy of the model, through a snapshot in memory, with some
parameters changed, e.g. the focal outlet's strategy at the intervention after a burn-in. Only
parameters that do not change what was built (population, networks, outlets' number and
followers, screens, the chosen rules) may change: :func:`branch_fixed` names them. Every branch
continues the random streams of the model it came from, so arms branched from one burn-in share
their state and their streams at the branch step and differ only by what the change causes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import io
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import mesa

from model.jit import source_digest
from model.measures import build_datacollector
from model.params import Params
from model.population import outlet_table
from model.rules.user_follow import branch_refusal, rebranch

#: The model (``model.engine.OpinionEcology``; not imported here: the engine imports this file).
OpinionEcology = Any

#: The first bytes of every snapshot file.
MAGIC = b"OPINION-ECOLOGY-SNAPSHOT\n"
#: The snapshot format this code writes and reads; a change of layout raises it (2: the lazy
#: emotion anchors and the per-user scratch of the sparse step; 3: the topics' record, the
#: content's topic, derived and appeal columns and the users' creator appeal; 4: the riding
#: outlets' record, ``model.ride.Ride``).
FORMAT = 4
#: The DataCollector's attributes that hold functions (rebuilt on load, not stored).
# The collector's reporter functions (closures, which pickle cannot store) and the copy of its
# own reporters that SnapshotCollector keeps to notice a replaced one: rebuilt on load.
_REPORTERS = ("model_reporters", "agent_reporters", "agenttype_reporters", "_own")


class SnapshotError(ValueError):
    """A file that cannot be loaded as a snapshot: missing, not a snapshot, or another format."""


class SnapshotCodeWarning(UserWarning):
    """A snapshot written by other model code than the code loading it."""


@functools.cache
def _code_digest() -> str:
    """The digest of this model code (its source files, read once: the code this process
    runs), kept in every snapshot's header."""
    return source_digest()


class BranchError(ValueError):
    """A branch asked to change a parameter that shaped what the model built."""


@dataclasses.dataclass
class _CollectorData:
    """A DataCollector's data while the model is being unpickled (rebuilt after)."""

    data: dict[str, Any]


@contextlib.contextmanager
def _collectors_detached(model: Any) -> Iterator[None]:
    """For the time of a dump, each DataCollector attribute of ``model`` holds only its data.

    Swapping the attribute (and restoring it after, whatever happens) lets pickle's C code walk
    the model alone; a ``persistent_id`` hook would be called back for every object pickled
    (about 1 s more per dump at 100,000 users).
    """
    kept = {k: v for k, v in vars(model).items() if isinstance(v, mesa.DataCollector)}
    try:
        for name, dc in kept.items():
            data = {k: v for k, v in vars(dc).items() if k not in _REPORTERS}
            setattr(model, name, _CollectorData(data))
        yield
    finally:
        for name, dc in kept.items():
            setattr(model, name, dc)


def _dump(model: OpinionEcology, f: BinaryIO) -> None:
    """Write the snapshot of ``model`` to the open binary file ``f``."""
    f.write(MAGIC)
    header = {
        "format": FORMAT,
        "class": f"{type(model).__module__}:{type(model).__qualname__}",
        "model_code": _code_digest(),
    }
    pickle.dump(header, f, protocol=5)
    with _collectors_detached(model):
        pickle.dump(model, f, protocol=5)


#: Names outside the ``model``, ``agents`` and Mesa packages that a snapshot may hold: numpy's
#: arrays (protocol 5 buffers and the older reconstruction), dtypes, scalars and random
#: streams, Python's containers, and ``random.Random`` (Mesa's stream).
_NAMES = frozenset(
    {
        *(
            (module, name)
            for module in ("numpy._core.numeric", "numpy.core.numeric")
            for name in ("_frombuffer",)
        ),
        *(
            (module, name)
            for module in ("numpy._core.multiarray", "numpy.core.multiarray")
            for name in ("_reconstruct", "scalar")
        ),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        *(
            ("numpy.random._pickle", name)
            for name in ("__generator_ctor", "__bit_generator_ctor", "__randomstate_ctor")
        ),
        ("numpy.random._pcg64", "PCG64"),
        ("numpy.random._pcg64", "PCG64DXSM"),
        ("numpy.random._mt19937", "MT19937"),
        ("numpy.random._philox", "Philox"),
        ("numpy.random._sfc64", "SFC64"),
        ("numpy.random._generator", "Generator"),
        ("numpy.random.bit_generator", "SeedSequence"),
        ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
        ("random", "Random"),
        *(
            ("builtins", name)
            for name in (
                "list",
                "dict",
                "set",
                "frozenset",
                "tuple",
                "bytearray",
                "complex",
                "slice",
                "range",
                "object",
            )  # fmt: skip
        ),
        *(("collections", name) for name in ("defaultdict", "OrderedDict", "deque", "Counter")),
    }
)
#: Packages whose classes (not functions) a snapshot may hold: this model's and the parts of
#: Mesa a model keeps (its agent sets, event schedule, data registry and scenario).
_PACKAGES = (
    "model",
    "agents",
    "mesa.model",
    "mesa.agent",
    "mesa.agentset",
    "mesa.time",
    "mesa.datacollection",
    "mesa.experimental.data_collection",
    "mesa.experimental.scenarios",
)
#: The bound methods a snapshot holds (Mesa's schedule keeps the model's step and its own
#: event generator's callback): ``getattr(obj, name)`` is allowed for these names only, on
#: an object of an allowed class.
_METHODS = frozenset({"step", "_do_step", "_wrapped_step", "_execute_and_reschedule"})


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


class _SnapshotUnpickler(pickle.Unpickler):
    """An unpickler that makes only what a snapshot holds (the module docstring's list), plus
    the classes of the modules in ``allow``; any other name raises :class:`SnapshotError`
    before it is imported or called."""

    def __init__(self, f: BinaryIO, source: str, allow: tuple[str, ...] = ()) -> None:
        super().__init__(f)
        self.source, self.allow = source, allow

    def _refuse(self, what: str) -> SnapshotError:
        return SnapshotError(
            f"{self.source} holds {what}, which no snapshot holds (a snapshot holds only the "
            "model's and Mesa's classes, numpy arrays and random streams, and Python's "
            "containers); it was not written by OpinionEcology.save, or it was changed, and is "
            "not loaded"
        )

    def _allowed_class(self, module: str) -> bool:
        return _in(module, _PACKAGES) or module in self.allow

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return self._getattr
        if (module, name) in _NAMES:
            return super().find_class(module, name)
        if not self._allowed_class(module) or "." in name:
            raise self._refuse(f"{module}.{name}")
        found = super().find_class(module, name)
        if not isinstance(found, type):
            raise self._refuse(f"the function {module}.{name}")
        return found

    def _getattr(self, obj: Any, name: str) -> Any:
        """``getattr`` for the bound methods of :data:`_METHODS`, and for the methods (not
        dunders) that a class of a module in ``allow`` defines itself: one's own model's
        events, never a method it inherits from the model (``save`` writes files)."""
        cls = type(obj)
        own = (
            isinstance(name, str)
            and not name.startswith("__")
            and any(c.__module__ in self.allow and name in vars(c) for c in cls.__mro__)
        )
        if not ((isinstance(name, str) and name in _METHODS) or own):
            raise self._refuse(f"a reference to the attribute {name!r} of a {cls.__name__}")
        if not self._allowed_class(cls.__module__):
            raise self._refuse(f"a reference to a method of a {cls.__module__}.{cls.__name__}")
        found = getattr(obj, name)
        if not inspect.ismethod(found):
            raise self._refuse(f"a reference to {cls.__name__}.{name}, which is not a method")
        return found


def _unpickle(f: BinaryIO, source: str, allow: tuple[str, ...]) -> Any:
    return _SnapshotUnpickler(f, source, allow).load()


def modules_of(cls: type) -> tuple[str, ...]:
    """The modules of ``cls`` and its bases outside the model, Mesa and Python's own: the
    modules of a model class of one's own whose classes its snapshot may hold (none for
    ``OpinionEcology`` itself)."""
    mods = (c.__module__ for c in cls.__mro__)
    return tuple(dict.fromkeys(m for m in mods if not _in(m, _NOT_OWN)))


#: Modules whose classes are never "one's own" (:func:`modules_of`).
_NOT_OWN = ("model", "agents", "mesa", "builtins", "typing", "abc")


def _load(f: BinaryIO, source: str, allow: tuple[str, ...] = ()) -> OpinionEcology:
    """The model in the open binary file ``f``, made only of what a snapshot holds and the
    classes of the modules in ``allow`` (:class:`_SnapshotUnpickler`)."""
    if f.read(len(MAGIC)) != MAGIC:
        raise SnapshotError(
            f"{source} is not a model snapshot (it does not start with {MAGIC!r}); "
            "snapshots are written by OpinionEcology.save"
        )
    try:
        header = _unpickle(f, source, ())
    except SnapshotError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure here means a damaged header
        raise SnapshotError(f"{source}: the snapshot's header is damaged ({e})") from None
    found = header.get("format") if isinstance(header, dict) else None
    if found != FORMAT:
        raise SnapshotError(
            f"{source} is a snapshot of format version {found!r}; this code reads version "
            f"{FORMAT} only: run the burn-in again with this code"
        )
    written_by, this_code = header.get("model_code"), _code_digest()
    if written_by != this_code:
        warnings.warn(
            f"{source} was written by other model code (source digest {written_by or 'unknown'}, "
            f"this code {this_code}): it loads, but continuing it is not the run that was saved; "
            "rerun the burn-in with this code for results that belong to it",
            SnapshotCodeWarning,
            stacklevel=3,
        )
    model = _unpickle(f, source, allow)
    _rebuild_collectors(model)
    return model


def to_bytes(model: OpinionEcology) -> bytes:
    """The model as the bytes of a snapshot file (header and pickle)."""
    buf = io.BytesIO()
    _dump(model, buf)
    return buf.getvalue()


def from_bytes(data: bytes, source: str = "<bytes>", allow: tuple[str, ...] = ()) -> OpinionEcology:
    """The model a snapshot's bytes hold.

    Args:
        data: The bytes.
        source: Where they came from, for the messages.
        allow: Modules whose classes may be in it besides the model's own (those of a model
            class of one's own).

    Raises:
        SnapshotError: The bytes are not a snapshot, come from another format version, or
            hold a name no snapshot holds.
    """
    return _load(io.BytesIO(data), source, allow)


def _rebuild_collectors(model: Any) -> None:
    """Replace each stored DataCollector's data by a rebuilt collector holding that data."""
    for name, value in list(vars(model).items()):
        if isinstance(value, _CollectorData):
            collector = build_datacollector(model)
            collector.__dict__.update(value.data)
            setattr(model, name, collector)


def save(model: OpinionEcology, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (whole or absent: a temporary file, then ``os.replace``).

    The snapshot is streamed into the temporary file, so saving takes no second copy of the
    model in memory.

    Returns:
        The path written.
    """
    path = Path(path)
    write_atomic(path, lambda f: _dump(model, f))
    return path


def write_atomic(path: str | Path, write: bytes | Callable[[BinaryIO], Any]) -> None:
    """Write ``write`` (bytes, or a function that writes to an open binary file) to ``path`` so
    that the file is either whole or absent (never half-written): a temporary file in the same
    folder, flushed to disk, then moved into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(write, bytes):
                f.write(write)
            else:
                write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | Path, allow: tuple[str, ...] = ()) -> OpinionEcology:
    """The model saved in ``path`` (``allow``: as :func:`from_bytes`).

    Raises:
        SnapshotError: The file is missing, is not a snapshot, has another format version, or
            holds a name no snapshot holds.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            return _load(f, str(path), allow)
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {path}: the file does not exist") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path} is a folder, not a snapshot file") from None


# ---------------------------------------------------------------------------------- branching
#: Fields read while the model is built that a branch re-derives (the focal outlet's own
#: attributes and the outlet table); every other field read while building is fixed.
_REDERIVED = frozenset(
    {
        # the user follow rule's parameters (not the rule): model.rules.user_follow.rebranch
        "user_follow",
        "strategy",
        "outlet_rate",
        "stance_mean",
        "stance_sd",
        "intensity",
        "quality",
        "fmt_text",
        "fmt_image",
        "fmt_short_video",
        "fmt_long_video",
        "valence_mean",
        "outrage",
        "item_hours",
    }
)


def branch_fixed(model_class: type, *params: Any) -> frozenset[str]:
    """The ``Params`` fields a branch may not change: those the model reads while it is built
    (population, networks, outlets' number and followers, screens, the rule choices and their
    parameters), except the focal outlet's own fields that :func:`branch` re-derives.

    Found by building small ``model_class`` models (the defaults, and each of ``params`` at 200
    users when it allows that) with a ``Params`` that records the fields read, so that a field a
    later change reads at build time is fixed without being listed here.
    """
    fields = [f.name for f in dataclasses.fields(Params)]
    probes = [Params(n_users=50, n_background=2)]
    for p in params:
        # a field tied to the population's size may refuse 200 users: the defaults' reads count
        with contextlib.suppress(ValueError, TypeError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probes.append(p.replace(n_users=min(p.n_users, 200)))
    read: set[str] = set()
    for p in probes:
        key = f"{model_class.__module__}.{model_class.__qualname__}:{p!r}"
        if key not in _READ_AT_BUILD:
            _READ_AT_BUILD[key] = _read_at_build(model_class, p, fields)
        read |= _READ_AT_BUILD[key]
    # the horizon and stopping rule are read by run(), never by the step
    return frozenset((read & set(fields)) - _REDERIVED - {"steps", "stop_when"})


#: repr(params) -> the fields a build from them reads (one small build per distinct params).
_READ_AT_BUILD: dict[str, frozenset[str]] = {}


def _read_at_build(model_class: type, params: Any, fields: list[str]) -> frozenset[str]:
    """The attributes of ``params`` read while a ``model_class`` is built from them."""
    read: set[str] = set()

    class _Recording(Params):
        def __getattribute__(self, name: str) -> Any:
            read.add(name)
            return object.__getattribute__(self, name)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the params were checked (and warned) when made
        probe = _Recording(**{f: getattr(params, f) for f in fields})
        read.clear()
        model_class(probe, seed=0)
    return frozenset(read)


def branch(model: OpinionEcology, *, copy: bool = True, **changes: Any) -> OpinionEcology:
    """A new, independent model: a copy of ``model`` with ``changes`` to its parameters.

    The copy goes through a snapshot in memory, so it shares nothing with ``model``
    (``copy=False`` changes ``model`` itself instead, e.g. one just loaded from a file). It keeps the
    step count, the DataCollector's frames and every random stream's position: branches of one
    model draw the same numbers where their states agree, so their differences are paired.

    Raises:
        BranchError: A change to a field in :func:`branch_fixed` (the message names them).
        ValueError, TypeError: A value ``Params`` refuses.
    """
    params = model.params.replace(**changes) if changes else model.params
    # a field the build reads under the old parameters or the new ones is fixed
    fixed = branch_fixed(type(model), model.params, params)
    changed = sorted(
        f.name
        for f in dataclasses.fields(params)
        if getattr(params, f.name) != getattr(model.params, f.name)
    )
    refused = [name for name in changed if name in fixed]
    why = branch_refusal(model.params, params)
    if why:
        raise BranchError(why)
    if refused:
        raise BranchError(
            f"cannot change {', '.join(refused)} at a branch: they shaped the population, "
            "networks, outlets or rules already built; a branch may change any field but "
            f"{', '.join(sorted(fixed))}"
        )
    out = from_bytes(to_bytes(model), "<branch>", modules_of(type(model))) if copy else model
    if changed:
        _apply(out, params)
    return out


def _apply(model: OpinionEcology, params: Any) -> None:
    """Give a model new parameters and re-derive what the constructor derives from the fields a
    branch may change: the focal outlet's attributes and the outlet table."""
    model.params = params
    model.strategy = params.strategy
    focal = model.outlets[0]
    focal.strategy = params.strategy
    focal.rate = params.outlet_rate
    focal.stance_mean = params.stance_mean
    focal.stance_sd = params.stance_sd
    focal.intensity = params.intensity
    focal.quality = params.quality
    focal.format_mix = params.format_mix
    focal.valence_mean = params.valence_mean
    focal.outrage = params.outrage
    model.outlet = outlet_table(model.outlets, params.item_hours)
    rebranch(model, params)
