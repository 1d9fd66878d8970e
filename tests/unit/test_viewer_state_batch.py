"""The viewer's state files and batch specs without a browser (tests/test_app_browser_state.py
clicks them): a comparison's state round trip, the refusals, the batch's arms and sizes."""

from __future__ import annotations

import io
import tomllib
import zipfile

import pandas as pd
import pytest

from model import OpinionEcology, Params, Strategy
from model.measures import cascade_sizes
from viewer.arms import StrategyComparison, build_kwargs
from viewer.batch_view import BatchError, arms_of_page, batch_spec, parse_size
from viewer.state_io import StateFileError, load_state, state_bytes, state_name


def _frames(m) -> pd.DataFrame:
    return m.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def test_a_comparison_saved_and_loaded_continues_as_the_uninterrupted_one():
    """Both arms of a comparison at step 3, saved as the zip and loaded, stepped to 6, give
    the frames of the comparison stepped to 6 without a break; the cascade-size index the
    viewer built (a lock, which pickle refuses) is left out and rebuilt alike."""
    custom = Strategy.preset("interactive").replace(reply_share=0.3)
    kw = {"params": Params(n_users=200), "seed": 7, "strategies": ("one_way", custom)}
    saved, whole = StrategyComparison(**kw), StrategyComparison(**kw)
    for _ in range(3):
        saved.step()
        whole.step()
    for arm in saved.arms.values():
        cascade_sizes(arm)  # as the page's CCDF view does
    data = state_bytes(saved)
    assert state_name(saved) == "defaults_compare_seed7_step3_state.zip"
    loaded = load_state(data, "c.zip").model
    assert isinstance(loaded, StrategyComparison) and loaded.steps == 3
    assert build_kwargs(loaded)["seed"] == 7 and list(loaded.arms) == list(whole.arms)
    for _ in range(3):
        loaded.step()
        whole.step()
    assert loaded.steps == 6
    for a, b in zip(loaded.arms.values(), whole.arms.values(), strict=True):
        pd.testing.assert_frame_equal(_frames(a), _frames(b), check_exact=True)
    # the saved model keeps its own index
    assert all(arm.caches.reach is not None for arm in saved.arms.values())


def test_load_state_refusals_name_what_is_wrong_and_what_is_allowed():
    m = OpinionEcology(Params(n_users=100), seed=1)
    m.step()
    data = state_bytes(m)
    assert load_state(data, "ok.snapshot").model.steps == 1
    cases = {
        b"": "'e' is empty (0 bytes); allowed: a .snapshot file",
        b"hello": "'e' is not a model snapshot",
        data[:-100]: "'e' is damaged",
        data + b"x": f"'e' is .* KB ({len(data) + 1:,} bytes); files up to .* KB ({len(data):,}",
    }
    for bad, message in cases.items():
        with pytest.raises(
            StateFileError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
        ):
            load_state(bad, "e", limit=len(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "hi")
    with pytest.raises(StateFileError, match="is a zip without arm_a.snapshot"):
        load_state(buf.getvalue(), "e")


def test_batch_arms_pair_the_page_strategies_against_one_way():
    p = Params(n_users=300, strategy="interactive")
    assert arms_of_page({"params": p, "seed": 1}) == {
        "one_way": {"strategy": "one_way"},
        "interactive": {"strategy": "interactive"},
    }
    custom = Strategy.preset("interactive").replace(reply_share=0.3)
    arms = arms_of_page({"params": p, "seed": 1, "strategies": ("one_way", custom)})
    assert list(arms) == ["one_way", "custom"] and arms["custom"]["reply_share"] == 0.3
    with pytest.raises(BatchError, match="compare one_way with itself"):
        arms_of_page({"params": Params(strategy="one_way"), "seed": 1})


def test_batch_spec_sets_the_sizes_and_keeps_the_page_settings(tmp_path):
    from experiments import load_spec

    kw = {"params": Params(n_users=3000, epsilon=0.3, strategy="interactive"), "seed": 9}
    text = batch_spec(kw, 3, 120, 24, "b")
    assert tomllib.loads(text)["analysis"] == {"baseline": "one_way"}
    (tmp_path / "b.toml").write_text(text)
    spec = load_spec(tmp_path / "b.toml")
    assert spec.replicates == 3 and spec.steps == 24 and spec.root_seed == 9
    assert spec.fixed == {"n_users": 120, "epsilon": 0.3}
    assert spec.arm_names == ("one_way", "interactive")


def test_batch_sizes_are_checked():
    assert parse_size("replicates", " 4 ") == 4 and parse_size("users", "1,000") == 1000
    with pytest.raises(
        BatchError, match=r"^replicates 1 is not allowed; use a whole number from 2 to 50$"
    ):
        parse_size("replicates", "1")
    with pytest.raises(BatchError, match=r"^users 'abc' is not allowed"):
        parse_size("users", "abc")


def test_the_card_names_the_batch_folder_without_the_servers_paths(monkeypatch, tmp_path):
    """Inside the repository the folder is named relative to it; under a batch root set by
    the environment, by the variable's name; elsewhere in full."""
    from viewer import batch_view as bv

    monkeypatch.delenv("OPINION_ECOLOGY_BATCH_ROOT", raising=False)
    inside = bv.ROOT / "results" / "viewer_batches" / "b1"
    assert bv.shown_folder(inside) == "results/viewer_batches/b1"
    assert bv.shown_folder(tmp_path / "b2") == str(tmp_path / "b2")
    monkeypatch.setenv("OPINION_ECOLOGY_BATCH_ROOT", str(tmp_path))
    assert bv.shown_folder(tmp_path / "b2") == "$OPINION_ECOLOGY_BATCH_ROOT/b2"
