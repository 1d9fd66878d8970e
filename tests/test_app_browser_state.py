"""Save and load the model state, and "Run this as a batch", in a real browser (issue 21, part 5).

Each test does what a person does: clicks Save state and keeps the file, chooses it with Load
state, steps on and downloads the time series; chooses a wrong file and reads the message;
sets a batch's size, starts it, reads its progress, cancels it or waits for its table and
downloads the spec and the results. One ``solara run app.py`` server and one headless chromium
for the module (small sizes), whose environment sets a small upload limit and a batch root in
a temporary folder.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from tests.test_app_browser_defects import CLICK_TIMEOUT_MS, _counter, _download, _open, _steps
from tests.test_app_browser_defects import browser as browser  # noqa: F401 - a fixture
from tests.test_app_browser_defects import page as page  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

#: The upload limit the module's server runs with (MiB): small, so a test can pass it.
LIMIT_MB = 3


@pytest.fixture(scope="module", autouse=True)
def server_env(tmp_path_factory):
    """The server's upload limit and batch root (set before the module's server starts)."""
    root = tmp_path_factory.mktemp("batches")
    keep = {
        k: os.environ.get(k) for k in ("OPINION_ECOLOGY_MAX_STATE_MB", "OPINION_ECOLOGY_BATCH_ROOT")
    }
    os.environ["OPINION_ECOLOGY_MAX_STATE_MB"] = str(LIMIT_MB)
    os.environ["OPINION_ECOLOGY_BATCH_ROOT"] = str(root)
    try:
        yield root
    finally:
        for k, v in keep.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _save_state(page) -> tuple[str, bytes]:
    card = page.locator(".oe-card-state")
    with page.expect_download(timeout=60_000) as info:
        card.get_by_role("button", name="Save state", exact=True).click(timeout=CLICK_TIMEOUT_MS)
    download = info.value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / download.suggested_filename
        download.save_as(path)
        return download.suggested_filename, path.read_bytes()


def _load_state(page, name: str, data: bytes) -> None:
    """Choose a file with Load state (as the file dialog does)."""
    page.locator(".oe-upload-load-state-input").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )


def _frame(csv: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(csv), comment="#")


def test_save_then_load_continues_the_uninterrupted_run(server, page):
    """Save at step 2, load the file into a page running another model: the page shows step 2
    and the saved parameters; two more steps give the time series of the run stepped to 4
    without a break (every measure, every step, to the last bit)."""
    from model import OpinionEcology, Params
    from model.snapshot import MAGIC

    _open(page, server, "?n_users=300&seed=5&epsilon=0.3")
    _steps(page, 2)
    name, data = _save_state(page)
    assert name == "defaults_seed5_step2_state.snapshot"
    assert data.startswith(MAGIC)

    # another model on the page: 200 users, seed 9, one step
    _open(page, server, "?n_users=200&seed=9")
    _steps(page, 1)
    _load_state(page, name, data)
    loaded = page.locator(".oe-state-loaded")
    loaded.wait_for()
    text = loaded.inner_text()
    assert f"Loaded {name}: step 2 of" in text and "seed 5" in text and "300 users" in text, text
    _counter(page, 2)
    assert page.locator(".oe-seed input").first.input_value() == "5"
    assert page.locator(".oe-number-n_users input").first.input_value() == "300"
    assert page.locator(".oe-number-epsilon input").first.input_value() == "0.3"
    assert page.locator(".oe-pending").count() == 0  # the controls are the running model's

    step = page.get_by_role("button", name="Step", exact=True)
    for k in (3, 4):
        step.click()
        _counter(page, k)
    _, csv = _download(page, "CSV")
    shown = _frame(csv)

    m = OpinionEcology(Params(n_users=300, epsilon=0.3), seed=5)
    for _ in range(4):
        m.step()
    want = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    want.insert(0, "step", range(len(want)))
    want = pd.read_csv(io.StringIO(want.to_csv(index=False)))  # the same text round trip
    assert list(shown["step"]) == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(shown, want, check_exact=True)


def test_load_refuses_wrong_damaged_and_large_files(server, page):
    """A text file, a snapshot cut short and a file over the limit are each refused with a
    message that names what is wrong and what is allowed; the running model stays."""
    _open(page, server, "?n_users=300&seed=5")
    _steps(page, 1)
    _, data = _save_state(page)
    error = page.locator(".oe-state-error")

    _load_state(page, "notes.txt", b"my notes, not a model\n")
    error.wait_for()
    text = error.inner_text()
    assert "'notes.txt' is not a model snapshot" in text and "allowed: a .snapshot file" in text
    assert "The running model stays." in text

    _load_state(page, "cut.snapshot", data[: len(data) // 2])
    page.locator(".oe-state-error", has_text="'cut.snapshot' is damaged").wait_for()
    assert "save the state again" in error.inner_text()

    big = b"\0" * (LIMIT_MB * (1 << 20) + 1)
    _load_state(page, "big.snapshot", big)
    page.locator(".oe-state-error", has_text="'big.snapshot' is 3.0 MB").wait_for()
    assert f"files up to {LIMIT_MB}.0 MB can be loaded here" in error.inner_text()
    _counter(page, 1)  # still the running model
    assert page.locator(".oe-number-n_users input").first.input_value() == "300"
