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
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

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


def _card_shot(page, card: str, name: str) -> Path:
    """A screenshot of one card in test-output/; with ``UPDATE_DOCS_SCREENSHOTS=1`` also in
    docs/figures/ for docs/viewer.md."""
    from tests.conftest import OUT, ROOT

    OUT.mkdir(exist_ok=True)
    path = OUT / f"viewer_{name}.png"
    # the page scrolls in a box shorter than the window: a taller card would be cut off, so
    # the window grows to hold it for the shot (the width, and so the layout, stay)
    size = page.viewport_size
    tall = page.locator(card).evaluate("e => e.getBoundingClientRect().height")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(tall) + 200)})
    page.locator(card).screenshot(path=str(path))
    page.set_viewport_size(size)
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        (ROOT / "docs" / "figures").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, ROOT / "docs" / "figures" / path.name)
    return path


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
    _card_shot(page, ".oe-card-state", "state")
    # each control is its own widget and may reach the page a moment after the message
    expect(page.locator(".oe-seed input").first).to_have_value("5")
    expect(page.locator(".oe-number-n_users input").first).to_have_value("300")
    expect(page.locator(".oe-number-epsilon input").first).to_have_value("0.3")
    # immediate: the controls are the running model's (the load sets the model and the
    # controls before it writes the message waited for above)
    assert page.locator(".oe-pending").count() == 0

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
    limit = LIMIT_MB * (1 << 20)
    assert f"files up to {LIMIT_MB}.0 MB ({limit:,} bytes) can be loaded here" in error.inner_text()
    _counter(page, 1)  # still the running model
    # immediate: the refused files changed nothing, so the field holds 300 now as before
    assert page.locator(".oe-number-n_users input").first.input_value() == "300"


def _batch(page, replicates: int, users: int, steps: int) -> None:
    """Type the batch's size and press Run this as a batch."""
    card = page.locator(".oe-card-batch")
    for key, value in (("replicates", replicates), ("users", users), ("steps", steps)):
        field = card.locator(f".oe-batch-{key} input")
        field.fill(str(value))
        field.press("Enter")
    card.get_by_role("button", name="Run this as a batch").click(timeout=CLICK_TIMEOUT_MS)


def _only_folder(root: Path, before: set[Path]) -> Path:
    new = [p for p in root.iterdir() if p not in before]
    assert len(new) == 1, new
    return new[0]


def test_run_this_as_a_batch_shows_progress_and_the_paired_table(server, page, server_env):
    """The page's interactive strategy against one_way, 2 paired seeds of 100 users for 12
    steps: the card counts the 4 runs, then shows the report's paired table (Δ and its 95% CI
    per headline measure) and downloads the spec it ran and that table."""
    from experiments import load_spec

    before = set(server_env.iterdir())
    _open(page, server, "?n_users=300&strategy=interactive&seed=3")
    card = page.locator(".oe-card-batch")
    # the card is a widget apart from the step counter _open waited for
    expect(card).to_contain_text("interactive against one_way, paired by seed", use_inner_text=True)
    _batch(page, 2, 100, 12)
    card.locator(".oe-batch-progress", has_text="of 4 runs").wait_for(timeout=60_000)
    table = card.locator(".oe-batch-table")
    table.wait_for(timeout=300_000)
    out = _only_folder(server_env, before)
    # the progress line is a widget apart from the table, and may reach the page after it
    expect(card.locator(".oe-batch-progress")).to_contain_text(
        "finished, 4 runs", use_inner_text=True, timeout=CLICK_TIMEOUT_MS
    )
    _card_shot(page, ".oe-card-batch", "batch")

    from viewer.batch_view import paired_table

    want = paired_table(out)
    rows = [r.split("\t") for r in table.locator("tr").all_inner_texts()]
    assert rows[0][:4] == ["measure", "one_way", "arm", "Δ"] and rows[1] == [
        "interactive − one_way"
    ]
    assert len(rows) == 2 + len(want) == 8, rows
    for cells, r in zip(rows[2:], want.itertuples(), strict=True):
        assert cells[0] == r.measure and cells[5] == "2", cells
        lo, hi = (float(x) for x in cells[4].strip("[]").split(","))
        for shown, value in ((cells[3], r.diff), (lo, r.ci_lo), (hi, r.ci_hi)):
            assert float(shown) == pytest.approx(value, rel=5e-3, abs=1e-12), (cells, r)
        assert r.ci_lo <= r.diff <= r.ci_hi

    name, spec_bytes = _download_in(page, ".oe-card-batch", "batch spec TOML")
    assert name == f"{out.name}_spec.toml" and spec_bytes == (out / "spec.toml").read_bytes()
    spec = load_spec(out / "spec.toml")
    assert spec.arm_names == ("one_way", "interactive") and spec.replicates == 2
    assert spec.steps == 12 and spec.root_seed == 3 and spec.fixed["n_users"] == 100
    assert spec.analysis.baseline == "one_way"
    name, csv = _download_in(page, ".oe-card-batch", "paired table CSV")
    assert csv == (out / "comparison.csv").read_bytes()


def _download_in(page, card: str, label: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=60_000) as info:
        page.locator(card).get_by_role("button", name=label, exact=True).click(
            timeout=CLICK_TIMEOUT_MS
        )
    d = info.value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / d.suggested_filename
        d.save_as(path)
        return d.suggested_filename, path.read_bytes()


def test_batch_cancel_leaves_a_consistent_folder_and_one_runs_at_a_time(
    server, page, browser, server_env
):
    """A comparison of one-way against a custom strategy, 25 paired seeds of 5,000 users for
    two weeks (50 runs; about 1-2 s each with the browser and the server on the same two
    cores): Cancel, pressed as soon as the first run is recorded, stops it with the finished
    runs recorded, the folder released and readable (as ``experiments status`` reads it);
    Resume runs the rest, each run once, and while it runs a second page's start is refused;
    then the card shows the table.

    The order matters for the test's margin. Stop 30's CI ran 50 runs of 2,000 users (about
    0.5 s each) and checked the refusal first: opening the second page took long enough that
    all 50 runs had finished before Cancel. Now Cancel comes right after the first recorded
    run, and the refusal is checked while the resumed batch has most of its runs to do (here
    it was refused with 5 of 50 done)."""
    import re
    import subprocess
    import sys

    from experiments.lock import lock_holder
    from experiments.parts import read_table

    before = set(server_env.iterdir())
    _open(page, server, "?n_users=300&compare=1&strategy.reply_share=0.3&seed=4")
    card = page.locator(".oe-card-batch")
    expect(card).to_contain_text("custom against one_way", use_inner_text=True)
    _batch(page, 25, 5000, 336)
    progress = card.locator(".oe-batch-progress")
    # the card shows the server's last batch (the previous test's) until this one starts
    progress.filter(has_text=re.compile(r"[1-9]\d* of 50 runs done")).wait_for(timeout=180_000)
    card.get_by_role("button", name="Cancel").click()
    progress.filter(has_text="cancelled with").wait_for(timeout=120_000)
    out = _only_folder(server_env, before)
    k = int(re.search(r"cancelled with (\d+) of 50", progress.inner_text()).group(1))
    assert 1 <= k < 50
    assert lock_holder(out) is None
    runs = read_table(out, "runs", columns=["run_id", "status"])
    assert len(runs) == k and runs["run_id"].is_unique and set(runs["status"]) == {"ok"}
    status = subprocess.run(
        [sys.executable, "-m", "experiments", "status", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    assert f"{k} ok, 0 failed, {50 - k} to do" in status.stdout and "corrupt" not in status.stdout

    card.get_by_role("button", name="Resume").click()
    progress.filter(has_text=re.compile(r"\d+ of 50 runs done")).wait_for(timeout=60_000)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        other = ctx.new_page()
        other.set_default_timeout(120_000)
        _open(other, server, "?n_users=300&strategy=interactive")
        other.locator(".oe-card-batch").get_by_role("button", name="Run this as a batch").click()
        refusal = other.locator(".oe-batch-error")
        refusal.wait_for()
        text = refusal.inner_text()
        assert "a batch is already running on this server" in text, text
        assert out.name in text and "one batch runs at a time" in text, text
    finally:
        ctx.close()
    assert len(list(server_env.iterdir())) == len(before) + 1  # the refused start wrote nothing

    card.locator(".oe-batch-table").wait_for(timeout=600_000)
    runs = read_table(out, "runs", columns=["run_id", "status"])
    assert len(runs) == 50 and runs["run_id"].is_unique and set(runs["status"]) == {"ok"}
    expect(progress).to_contain_text(
        "finished, 50 runs", use_inner_text=True, timeout=CLICK_TIMEOUT_MS
    )
