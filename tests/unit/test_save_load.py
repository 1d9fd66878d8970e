"""Snapshots (model.snapshot): a loaded model continues bit for bit; branches share their start.

The reference is always the run that was never interrupted: same seed, same steps. State is
compared with the golden files' digest (tests/golden/cases.py: every array, counter and random
stream the model carries) and the DataCollector's frames exactly.
"""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest

from model import OpinionEcology, Params, Strategy, presets
from model import snapshot as snap
from model.snapshot import BranchError, SnapshotError
from tests.golden.cases import state_digest

SMALL = 200


def same_digest(da: dict, db: dict) -> bool:
    """Whether two state digests agree.

    The digest keys a value by the first path that reaches it (by identity), so a scalar
    shared by two attributes in one model and not in the other (pickle does not keep the
    identity of floats) is listed under one more path; such extra entries must be scalars
    (arrays and generators are keyed by a 64-digit hash, scalars by their repr).
    """
    common = set(da) & set(db)
    extra = [(da.get(k) or db[k])[1] for k in set(da) ^ set(db)]
    return {k: da[k] for k in common} == {k: db[k] for k in common} and all(
        len(v) != 64 for v in extra
    )


def same_state(a: OpinionEcology, b: OpinionEcology) -> None:
    """Assert equal digests, frames, step counters and Mesa's ``random``."""
    assert same_digest(state_digest(a), state_digest(b))
    pd.testing.assert_frame_equal(
        a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    )
    assert (a.steps, a.time, a.running) == (b.steps, b.time, b.running)
    assert a.random.getstate() == b.random.getstate()
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


def _preset_params() -> dict[str, Params]:
    """Every preset at a small size and a short horizon (between them, every rule kind)."""
    out = {}
    for name, make in presets.PRESETS.items():
        kwargs = {"n_users": SMALL} if "n_users" in inspect.signature(make).parameters else {}
        out[name] = make(**kwargs).replace(steps=8)
    return out


CASES = {
    "default-interactive": Params(n_users=SMALL, steps=8, strategy="interactive"),
    "default-scenario": Params(n_users=SMALL, steps=8, strategy="scenario"),
    **{
        f"feed_ranking-{r}": Params(n_users=SMALL, steps=8, strategy="interactive", feed_ranking=r)
        for r in ("engagement", "personalised")
    },
    # topics, the trending list by topics, derivative posts and creator appeal (docs/ODD.md 7.18)
    "topics-creators": Params(
        n_users=SMALL,
        steps=8,
        strategy="interactive",
        n_topics=6,
        trending_by="topics",
        trending_size=3,
        derivative_share=0.5,
        creator_sigma=1.0,
        creator=3,
        creator_appeal=20.0,
    ),  # fmt: skip
    # outlets that ride users' trends, the focal one and two background ones (docs/ODD.md 7.20)
    "ride": Params(
        n_users=SMALL,
        steps=8,
        strategy=Strategy(ride_trends=True, ride_delay=1, ride_share=0.8),
        n_background=4,
        background_ride_share=0.5,
        background_ride_delay=1,
        background_ride_spacing=1,
        n_topics=6,
        trending_by="topics",
        trending_size=3,
        derivative_share=0.5,
        creator=3,
        creator_appeal=20.0,
    ),  # fmt: skip
    # the dynamic user follow layer (its pool, row bounds and tallies) and the static rule
    "user_follow-on": Params(
        n_users=SMALL, steps=8, user_follow_prob=0.3, user_unfollow_prob=0.5, user_rewire="repost"
    ),
    "user_follow-static": Params(n_users=SMALL, steps=8, user_follow="static"),
    **_preset_params(),
}


def test_the_cases_choose_every_rule_of_every_registry():
    from model.rules.registry import REGISTRIES

    for field, registry in REGISTRIES.items():
        chosen = {str(getattr(p, field)) for p in CASES.values()}
        assert set(registry.names()) <= chosen, field


@pytest.mark.parametrize("at", [0, 3])
@pytest.mark.parametrize("name", list(CASES))
def test_loaded_model_continues_bit_for_bit(tmp_path, name, at):
    params = CASES[name]
    whole = OpinionEcology(params, seed=7)
    whole.run(at + 5)
    first = OpinionEcology(params, seed=7)
    first.run(at)
    path = first.save(tmp_path / "m.snapshot")
    loaded = OpinionEcology.load(path)
    assert loaded is not first and loaded.state is not first.state
    loaded.run(5)
    same_state(whole, loaded)


def test_the_saved_model_goes_on_unchanged(tmp_path):
    """Saving does not disturb the model saved: it and a never-saved twin stay equal."""
    p = CASES["default-interactive"]
    a, b = OpinionEcology(p, seed=3), OpinionEcology(p, seed=3)
    a.run(2)
    b.run(2)
    a.save(tmp_path / "a.snapshot")
    a.run(3)
    b.run(3)
    same_state(a, b)


def test_a_loaded_model_keeps_collecting_frames(tmp_path):
    m = OpinionEcology(CASES["default-interactive"], seed=1)
    m.run(2)
    loaded = OpinionEcology.load(m.save(tmp_path / "m.snapshot"))
    loaded.run(2)
    frames = loaded.datacollector.get_model_vars_dataframe()
    assert len(frames) == 5  # step 0 and four steps, two before the save and two after
    assert callable(loaded.datacollector.model_reporters["reach"])


def test_a_model_whose_cascade_index_was_built_saves_and_loads(tmp_path):
    """``cascade_sizes`` keeps an index of users reached per item with a thread lock (the
    viewer's cascade chart calls it every frame); the save used to fail on that lock
    ("cannot pickle '_thread.lock'"). The loaded index has its own lock and goes on counting
    as the uninterrupted one does."""
    from model.measures.cascades import cascade_sizes

    a, b = (OpinionEcology(CASES["default-interactive"], seed=2) for _ in range(2))
    for m in (a, b):
        m.run(2)
        cascade_sizes(m)
    loaded = OpinionEcology.load(a.save(tmp_path / "a.snapshot"))
    assert loaded.caches.reach is not None and loaded.caches.reach.lock is not a.caches.reach.lock
    loaded.run(2)
    b.run(2)
    pd.testing.assert_series_equal(cascade_sizes(loaded), cascade_sizes(b))


def test_save_replaces_a_file_whole_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.snapshot"
    path.write_bytes(b"an older file")
    m = OpinionEcology(CASES["default-interactive"], seed=1)

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(snap.os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        m.save(path)
    assert path.read_bytes() == b"an older file"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.snapshot"]
    monkeypatch.undo()
    m.save(path)
    assert OpinionEcology.load(path).steps == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.snapshot"]


def test_a_failed_save_gives_the_model_its_datacollector_back(tmp_path):
    """The DataCollector is swapped for its data during a dump and restored whatever happens."""
    m = OpinionEcology(CASES["default-interactive"], seed=1)
    collector = m.datacollector
    m.unpicklable = lambda: None  # a local function: pickle refuses it
    with pytest.raises((AttributeError, pickle.PicklingError)):
        m.save(tmp_path / "m.snapshot")
    assert m.datacollector is collector
    assert not list(tmp_path.iterdir())  # no file, no temporary left
    del m.unpicklable
    m.run(1)
    assert len(m.datacollector.get_model_vars_dataframe()) == 2


def test_load_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(SnapshotError, match="does not exist"):
        OpinionEcology.load(tmp_path / "missing.snapshot")
    other = tmp_path / "other.txt"
    other.write_text("hello")
    with pytest.raises(SnapshotError, match="not a model snapshot"):
        OpinionEcology.load(other)
    old = tmp_path / "old.snapshot"
    old.write_bytes(snap.MAGIC + pickle.dumps({"format": snap.FORMAT + 1}))
    with pytest.raises(
        SnapshotError, match=f"format version {snap.FORMAT + 1}.*version {snap.FORMAT}"
    ):
        OpinionEcology.load(old)
    with pytest.raises(SnapshotError, match="is a folder"):
        OpinionEcology.load(tmp_path)


def test_load_refuses_another_class(tmp_path):
    class Other(OpinionEcology):
        pass

    m = OpinionEcology(CASES["default-interactive"], seed=1)
    path = m.save(tmp_path / "m.snapshot")
    with pytest.raises(SnapshotError, match="not a Other"):
        Other.load(path)


def test_a_snapshot_of_other_model_code_loads_with_a_warning(tmp_path, monkeypatch):
    """The header keeps the digest of the model's sources: a file written by other code loads
    (same layout) but warns that continuing it is not the saved run; this code's own files load
    silently."""
    import warnings

    m = OpinionEcology(CASES["default-interactive"], seed=1)
    path = m.save(tmp_path / "m.snapshot")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OpinionEcology.load(path)
    monkeypatch.setattr(snap, "_code_digest", lambda: "0123456789abcdef")
    with pytest.warns(snap.SnapshotCodeWarning, match="other model code.*0123456789abcdef"):
        loaded = OpinionEcology.load(path)
    same_state(m, loaded)


def test_new_attributes_are_kept_without_being_listed(tmp_path):
    """The whole ``__dict__`` is pickled: an attribute another change adds survives."""
    m = OpinionEcology(CASES["default-interactive"], seed=1)
    m.some_new_cache = {"sums": np.arange(3.0)}
    loaded = OpinionEcology.load(m.save(tmp_path / "m.snapshot"))
    np.testing.assert_array_equal(loaded.some_new_cache["sums"], np.arange(3.0))


# ----------------------------------------------------------------------------------- branches
@pytest.mark.parametrize("strategy", ["one_way", "interactive", "scenario"])
def test_a_branch_at_step_zero_is_the_model_built_with_its_parameters(strategy):
    """Everything the constructor derives from a field a branch may change is re-derived."""
    changes = {"strategy": strategy, "outlet_rate": 3.0, "stance_mean": 0.2, "item_hours": 2.0}
    base = Params(n_users=SMALL, strategy="one_way", n_background=3)
    fresh = OpinionEcology(base.replace(**changes), seed=5)
    branched = OpinionEcology(base, seed=5).branch(**changes)
    assert branched.params == fresh.params
    for a, b in zip(branched.outlets, fresh.outlets, strict=True):
        assert {k: v for k, v in vars(a).items() if k != "model"} == {
            k: v for k, v in vars(b).items() if k != "model"
        }
    branched.run(6)
    fresh.run(6)
    assert same_digest(state_digest(branched), state_digest(fresh))
    frames = [m.datacollector.get_model_vars_dataframe().iloc[1:] for m in (branched, fresh)]
    pd.testing.assert_frame_equal(*frames)  # step 0 was measured under the old parameters


def test_arms_branched_from_one_model_start_equal_and_then_differ():
    burn = OpinionEcology(Params(n_users=SMALL, strategy="one_way"), seed=11)
    burn.run(6)
    arms = {s: burn.branch(strategy=s) for s in ("one_way", "interactive")}

    def world(m: OpinionEcology) -> dict:
        # the outlet table is the strategy itself; everything else is the world at the branch
        return {k: v for k, v in state_digest(m).items() if not k.startswith("model.outlet[")}

    assert same_digest(world(arms["one_way"]), world(arms["interactive"]))
    assert same_digest(world(arms["one_way"]), world(burn))
    assert same_digest(state_digest(arms["one_way"]), state_digest(burn))
    assert all(m.steps == 6 for m in arms.values())
    for m in arms.values():
        m.run(6)
    assert not same_digest(state_digest(arms["one_way"]), state_digest(arms["interactive"]))
    # the baseline arm is the burn-in continued, and the burn-in model itself is untouched
    burn.run(6)
    same_state(burn, arms["one_way"])


def test_branch_refuses_fields_fixed_at_build():
    m = OpinionEcology(Params(n_users=SMALL), seed=1)
    with pytest.raises(BranchError, match=r"cannot change acq_degree, n_users at a branch"):
        m.branch(n_users=300, acq_degree=4, strategy="interactive")
    with pytest.raises(BranchError, match="forwarding"):
        m.branch(forwarding="threshold")
    with pytest.raises(ValueError, match="quality"):
        m.branch(quality=7.0)  # Params's own check


def test_fixed_fields_are_read_at_build_and_free_ones_are_not():
    fixed = snap.branch_fixed(OpinionEcology, Params(n_users=SMALL))
    assert {"n_users", "acq_degree", "screen_size", "n_background", "forwarding"} <= fixed
    assert not {"strategy", "outlet_rate", "share_friction", "incivility", "steps"} & fixed
