"""Save and load the running model's state in the viewer: the file, its checks and the card.

"Save state" downloads the running model as the snapshot ``OpinionEcology.save`` writes
(:mod:`model.snapshot`: every array, network, log, random stream and the DataCollector's
frames), so a loaded model stepped k times gives the frames of the run that was never
interrupted. A comparison is saved as a zip of its two arms' snapshots and a small
``comparison.json`` (its seed and strategies). "Load state" uploads such a file and the page
continues it.

The browser sends an upload in chunks of :data:`CHUNK_BYTES` over the page's websocket (the
server refuses larger messages); files over :func:`max_state_bytes` (256 MiB unless the
environment variable ``OPINION_ECOLOGY_MAX_STATE_MB`` says otherwise) are refused before any
byte is sent, since the server holds the file in memory while it loads it. Solara's
``FileDrop`` is not used: it accepts only a dropped file (no button to choose one) and reads
it through a blocking reader on the kernel's queue; :class:`UploadWidget` draws its own button
and drop zone (Vuetify's ``v-btn``, as :mod:`viewer.download` does for downloads).

Loading unpickles the file with the snapshot's restricted unpickler (:mod:`model.snapshot`),
which makes only what a snapshot holds and refuses any other name before calling it, so a file
from elsewhere cannot run code through pickle. The card still says to load files one trusts. The
viewer is served on the loopback (``make app``); do not serve it to others.

The file is over 400 lines because the state file (its writing, reading and every refusal),
the upload widget that carries it and the card that uses both are one feature, read together.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import ipyvuetify as vy
import mesa
import solara
import traitlets

from model import OpinionEcology
from model import snapshot as snapshot_file
from viewer.arms import StrategyComparison, arms_of
from viewer.download import DownloadButton
from viewer.exports import export_name
from viewer.settings import DEFAULTS_PRESET

#: Bytes per message of an upload (the server's websocket refuses messages over 16 MiB).
CHUNK_BYTES = 1 << 20
#: The largest state file "Load state" takes, in MiB, unless the environment says otherwise.
DEFAULT_MAX_STATE_MB = 256
#: The member of a comparison's zip that says what it holds.
COMPARISON_MANIFEST = "comparison.json"
#: What a state file may be (for the error messages).
ALLOWED = (
    "a .snapshot file saved by Save state (or OpinionEcology.save) for one model, or the .zip "
    "Save state writes for a comparison"
)


class StateFileError(ValueError):
    """A file "Load state" cannot load: the message says what is wrong and what is allowed."""


def max_state_bytes() -> int:
    """The largest upload "Load state" takes: ``OPINION_ECOLOGY_MAX_STATE_MB`` MiB (default
    :data:`DEFAULT_MAX_STATE_MB`).

    Raises:
        ValueError: The variable is set to anything but a positive number.
    """
    text = os.environ.get("OPINION_ECOLOGY_MAX_STATE_MB", str(DEFAULT_MAX_STATE_MB))
    try:
        mb = float(text)
    except ValueError:
        mb = float("nan")
    if not mb > 0 or mb == float("inf"):
        raise ValueError(f"OPINION_ECOLOGY_MAX_STATE_MB={text!r} is not allowed; use a number > 0")
    return int(mb * (1 << 20))


def size_text(n: int) -> str:
    """``412 KB``, ``3.1 MB``: a size as a person reads it (1 MB = 2^20 bytes)."""
    if n < 1 << 20:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1 << 20):.1f} MB"


def too_large(name: str, size: int, limit: int) -> str:
    """The refusal of a file over the upload limit (sizes in MB or KB, and in bytes)."""
    return (
        f"{name!r} is {size_text(size)} ({size:,} bytes); files up to {size_text(limit)} "
        f"({limit:,} bytes) can be loaded here (load a larger one in Python with "
        "OpinionEcology.load)"
    )


def state_name(model: mesa.Model, preset: str = DEFAULTS_PRESET) -> str:
    """The saved file's name: ``<preset>_seed<seed>_step<step>_state.snapshot`` (``.zip`` and
    ``_compare`` for a comparison)."""
    ext = "zip" if isinstance(model, StrategyComparison) else "snapshot"
    return export_name(model, "state", ext, preset)


def _snapshot(model: OpinionEcology) -> bytes:
    return snapshot_file.to_bytes(model)


def state_bytes(model: mesa.Model) -> bytes:
    """The running model's state file: its snapshot, or a comparison's zip of both arms.

    Call it while the model is not stepping (the page offers Save only while paused).
    """
    if not isinstance(model, StrategyComparison):
        return _snapshot(model)
    buf = io.BytesIO()
    # snapshots are mostly packed numbers: storing them uncompressed keeps Save fast
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        labels = list(model.arms)
        manifest = {"kind": "comparison", "seed": int(model.seed), "arms": labels}
        z.writestr(COMPARISON_MANIFEST, json.dumps(manifest))
        for i, arm in enumerate(model.arms.values()):
            z.writestr(f"arm_{'ab'[i]}.snapshot", _snapshot(arm))
    return buf.getvalue()


@dataclass(frozen=True)
class Loaded:
    """A model loaded from a state file.

    Attributes:
        model: The model (one, or a comparison).
        note: A warning to show beside it (written by other model code), or None.
    """

    model: mesa.Model
    note: str | None = None


def _one(data: bytes, name: str) -> tuple[OpinionEcology, str | None]:
    """The model of one snapshot's bytes, and the warning it gave, if any."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", snapshot_file.SnapshotCodeWarning)
            model = snapshot_file.from_bytes(data, repr(name))
    except snapshot_file.SnapshotError as e:
        raise StateFileError(f"{e}; allowed: {ALLOWED}") from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as e:
        # the header was read, the model's data was not: cut short (a partial download) or
        # changed bytes
        raise StateFileError(
            f"{name!r} is damaged: the model's data after its header cannot be read "
            f"({type(e).__name__}: {str(e)[:80]}); save the state again (allowed: {ALLOWED})"
        ) from None
    if not isinstance(model, OpinionEcology):
        raise StateFileError(
            f"{name!r} holds a {type(model).__name__}, not an Opinion Ecology model; "
            f"allowed: {ALLOWED}"
        )
    notes = [str(w.message) for w in caught if issubclass(w.category, Warning)]
    return model, ("; ".join(notes) or None)


def _comparison(data: bytes, name: str) -> tuple[StrategyComparison, str | None]:
    """The comparison in a zip that :func:`state_bytes` wrote."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = set(z.namelist())
            wanted = {COMPARISON_MANIFEST, "arm_a.snapshot", "arm_b.snapshot"}
            if not wanted <= members:
                raise StateFileError(
                    f"{name!r} is a zip without {', '.join(sorted(wanted - members))}; "
                    f"allowed: {ALLOWED}"
                )
            manifest = json.loads(z.read(COMPARISON_MANIFEST))
            arms = [_one(z.read(f"arm_{k}.snapshot"), f"{name}:arm_{k}") for k in "ab"]
    except (zipfile.BadZipFile, json.JSONDecodeError, KeyError) as e:
        raise StateFileError(f"{name!r} is a damaged zip ({e}); allowed: {ALLOWED}") from None
    (a, note_a), (b, note_b) = arms
    if a.steps != b.steps or a.seed != b.seed:
        raise StateFileError(
            f"{name!r} holds two arms at different steps or seeds ({a.steps} and {b.steps}, "
            f"seeds {a.seed} and {b.seed}); a comparison's arms step in lockstep from one seed"
        )
    labels = manifest.get("arms") if isinstance(manifest, dict) else None
    return comparison_of(a, b, labels), note_a or note_b


def comparison_of(
    a: OpinionEcology, b: OpinionEcology, labels: list[str] | None = None
) -> StrategyComparison:
    """A :class:`StrategyComparison` holding two models already built (and stepped).

    Built without ``StrategyComparison.__init__``, which would build two new models: Mesa's
    own setup (its clock starts at 0 and keeps no schedule here: the comparison's step only
    steps its arms), then the attributes ``__init__`` sets, with the arms' step count.
    """
    cmp = StrategyComparison.__new__(StrategyComparison)
    mesa.Model.__init__(cmp, rng=a.seed)
    cmp.params = a.params
    cmp.seed = a.seed
    cmp.strategies = (a.params.strategy, b.params.strategy)
    if not labels or len(labels) != 2:
        labels = [f"{k}: {m.strategy.label()}" for k, m in zip("AB", (a, b), strict=True)]
    cmp.arms = dict(zip(labels, (a, b), strict=True))
    cmp.steps = a.steps
    cmp.running = a.running or b.running
    return cmp


def load_state(data: bytes, name: str, limit: int | None = None) -> Loaded:
    """The model a state file holds (through :mod:`model.snapshot`'s restricted unpickler).

    Args:
        data: The file's bytes.
        name: Its name (for the messages).
        limit: The largest size allowed (default :func:`max_state_bytes`).

    Raises:
        StateFileError: Empty, too large, not a state file, damaged, or holding something
            else than a model; the message names what is wrong and what is allowed.
    """
    limit = max_state_bytes() if limit is None else limit
    if not data:
        raise StateFileError(f"{name!r} is empty (0 bytes); allowed: {ALLOWED}")
    if len(data) > limit:
        raise StateFileError(too_large(name, len(data), limit))
    if data[:4] == b"PK\x03\x04":
        cmp, note = _comparison(data, name)
        return Loaded(cmp, note)
    model, note = _one(data, name)
    return Loaded(model, note)


def describe(model: mesa.Model, name: str) -> str:
    """What the page says after a load: the file, the step, the seed, the strategies and the
    population."""
    arms = arms_of(model)
    first = next(iter(arms.values()))
    strategies = " vs ".join(arms)
    return (
        f"Loaded {name}: step {int(model.steps)} of {int(first.params.steps)}, seed "
        f"{int(first.seed)}, {strategies}, {first.params.n_users:,} users. The controls show its "
        "parameters; Step and Play continue it, Reset starts it again from step 0."
    )


# ------------------------------------------------------------------------------- the upload
#: The button, the drop zone and the upload's progress; the file goes to the server in
#: chunks, or not at all when it is over ``max_bytes`` (the server then says so).
TEMPLATE = """
<template>
  <div :class="['oe-upload', css_class]" @dragover.prevent @drop.prevent="drop">
    <v-btn size="small" variant="tonal" color="primary" prepend-icon="mdi-upload"
           :loading="busy" :class="css_class + '-button'" @click="$refs.input.click()">
      {{ label }}
    </v-btn>
    <input ref="input" type="file" :accept="accept" style="display: none"
           :class="css_class + '-input'" @change="picked" />
    <span style="font-size: 0.8em; color: #555; margin-left: 6px">or drop the file here</span>
    <v-progress-linear v-if="busy" :model-value="progress" color="primary"></v-progress-linear>
  </div>
</template>
<script>
module.exports = {
  methods: {
    picked(event) {
      const files = event.target.files;
      if (files && files.length) this.send_file(files[0]);
      event.target.value = '';
    },
    drop(event) {
      const files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) this.send_file(files[0]);
    },
    async send_file(file) {
      this.busy = true;
      this.progress = 0;
      this.upload_begin({name: file.name, size: file.size});
      if (file.size <= this.max_bytes) {
        for (let offset = 0; offset < file.size; offset += this.chunk_bytes) {
          const buffer = await file.slice(offset, offset + this.chunk_bytes).arrayBuffer();
          this.upload_chunk({offset: offset}, [buffer]);
          this.progress = Math.round(100 * Math.min(offset + this.chunk_bytes, file.size)
                                     / file.size);
        }
      }
      this.upload_end({name: file.name, size: file.size});
    }
  }
}
</script>
"""


class UploadWidget(vy.VuetifyTemplate):  # type: ignore[misc]
    """The browser side of :func:`UploadButton`; the server side assembles the chunks.

    When a file has arrived (or was refused for its size), ``received`` counts up and
    ``name``, ``size`` and ``payload`` (None when refused) hold it.
    """

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    label = traitlets.Unicode().tag(sync=True)
    css_class = traitlets.Unicode().tag(sync=True)
    accept = traitlets.Unicode().tag(sync=True)
    max_bytes = traitlets.Int(0).tag(sync=True)
    chunk_bytes = traitlets.Int(CHUNK_BYTES).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    progress = traitlets.Int(0).tag(sync=True)
    received = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        self.name, self.size = "", 0
        self.payload: bytes | None = None
        self._buffer = bytearray()
        super().__init__(**kwargs)

    def vue_upload_begin(self, data: dict[str, Any], buffers: Any = None) -> None:
        """A new file: forget the last one."""
        self.name, self.size = str(data.get("name", "")), int(data.get("size", 0))
        self._buffer = bytearray()

    def vue_upload_chunk(self, data: dict[str, Any], buffers: Any = None) -> None:
        """One chunk, in order (the websocket keeps it); nothing past the limit is kept."""
        if buffers and len(self._buffer) <= self.max_bytes:
            self._buffer += bytes(buffers[0])

    def vue_upload_end(self, data: dict[str, Any], buffers: Any = None) -> None:
        """The whole file (None if over the limit or short): tell the page, then stop the
        spinner."""
        whole = len(self._buffer) == self.size <= self.max_bytes
        self.payload = bytes(self._buffer) if whole else None
        self._buffer = bytearray()
        try:
            self.received += 1
        finally:
            self.busy = False


@solara.component
def UploadButton(
    label: str, on_file: Callable[[str, int, bytes | None], None], accept: str = ""
) -> None:
    """A button (and drop zone) that uploads one file and calls ``on_file(name, size, data)``
    (``data`` None when the file is over :func:`max_state_bytes`)."""
    limit = max_state_bytes()
    widget: dict[str, UploadWidget] = solara.use_memo(dict, [])
    element = UploadWidget.element(
        label=label,
        css_class="oe-upload-" + label.lower().replace(" ", "-"),
        accept=accept,
        max_bytes=limit,
        on_received=lambda _: arrived(),
    )

    def keep_widget() -> None:
        # the callback runs outside a render, where solara.get_widget cannot find it
        widget["w"] = cast(UploadWidget, solara.get_widget(element))

    solara.use_effect(keep_widget, [])

    def arrived() -> None:
        w = widget["w"]
        on_file(w.name, w.size, w.payload)


@solara.component
def StatePanel(
    model: mesa.Model,
    preset: str,
    on_loaded: Callable[[mesa.Model], None],
    playing: bool = False,
) -> None:
    """The "Save and load state" card's content: a download of the running model's state and
    an upload that replaces the running model by the one in the file.

    Save is offered while the model is paused only: a save during Play would read a model
    that the play loop is changing.
    """
    message, set_message = solara.use_state(cast(tuple[str, str] | None, None))
    limit = max_state_bytes()

    def on_file(name: str, size: int, data: bytes | None) -> None:
        if data is None:
            why = (
                too_large(name, size, limit)
                if size > limit
                else f"{name!r} did not arrive whole; try again"
            )
            set_message(("error", f"{why}. The running model stays."))
            return
        try:
            loaded = load_state(data, name, limit)
        except StateFileError as e:
            set_message(("error", f"{e}. The running model stays."))
            return
        on_loaded(loaded.model)
        text = describe(loaded.model, name)
        if loaded.note:
            text += f" Note: {loaded.note}"
        set_message(("success", text))

    solara.Text(
        "Save the running model (every array, network, log and random stream) and load it "
        "later: a loaded model continues exactly as the uninterrupted run.",
        style={"font-size": "0.85em"},
    )
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        DownloadButton(lambda: state_bytes(model), lambda: state_name(model, preset), "Save state")
        UploadButton("Load state", on_file, accept=".snapshot,.zip")
    solara.Text(
        f"Up to {size_text(limit)}. A file that holds anything but a model's state is refused "
        "unread; load files you trust.",
        style={"font-size": "0.8em", "color": "#555"},
    )
    if message is not None:
        kind, text = message
        solara.v.Alert(
            type=kind,
            variant="tonal",
            density="compact",
            children=[text],
            class_=f"oe-state-{'error' if kind == 'error' else 'loaded'}",
        )
