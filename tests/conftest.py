"""Shared fixtures: small, seeded models, and a Solara server with a loopback-only browser.

The browser fixtures (``server``, ``browser_page``) start ``solara run app.py`` on a free
loopback port and a headless Debian chromium whose every request to an address other than
the loopback is aborted and recorded. They are used by tests/test_app_browser.py and by the
in-browser benchmark; they skip when chromium is missing outside CI and fail under CI.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from model import OpinionEcology


@pytest.fixture
def small_model():
    """A 400-user interactive model (fast; every mechanism on)."""
    return OpinionEcology(seed=7, n_users=400, strategy="interactive")


#: The behavioural rates before the calibration (issue 19 moved the defaults to a posterior
#: particle, docs/ODD.md, Calibration notes): round numbers that the hand-computed cases are
#: written in, and rates busy enough that every path of a mechanism (replies, moderation, a
#: community, churn) runs within a few steps at a few hundred users. At the calibrated rates a
#: user comments about once in three weeks, so a 14-step test would exercise nothing. Tests of
#: a mechanism pass these explicitly; tests of the defaults themselves do not.
BUSY_RATES: dict[str, float] = dict(
    base_comment=0.05,
    base_like=0.15,
    user_post_prob=0.02,
    activity_scale=1.0,
    attention_scale=1.0,
    w_emotion=1.0,
    w_value=1.0,
    belonging_decay=0.01,
    belonging_gain=0.02,
    community_gain=0.02,
    churn_prob=0.05,
    churn_belonging=0.15,
)


def quiet_params(**kw):
    """Params with publishing, peers, trending and networks off: a blank slate for rule tests,
    at the round :data:`BUSY_RATES` that the hand-computed cases use."""
    from model import Params

    base: dict = {**BUSY_RATES}
    base.update(
        n_users=4,
        n_background=0,
        outlet_rate=0.0,
        user_post_prob=0.0,
        trending_prob=0.0,
        peer_prob=0.0,
        acq_degree=0,
        follow_model="none",
        epsilon_sd=0.0,
        record_cascades="all",
    )
    base.update(kw)
    return Params(**base)


# ---------------------------------------------------------------- browser fixtures
ROOT = Path(__file__).resolve().parents[1]
#: Where browser tests put the server log and screenshots.
OUT = ROOT / "test-output"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: The environment of the test server beyond the caller's (the Makefile's app target sets it too).
SERVER_ENV = {"MPLBACKEND": "Agg", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(request):
    """``solara run app.py`` on a free loopback port; yields its URL, stops it afterwards.

    The server's output goes to ``test-output/solara-<test module>.log``.
    """
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    OUT.mkdir(exist_ok=True)
    port = _free_port()
    solara_bin = Path(sys.executable).with_name("solara")
    cmd = [str(solara_bin), "run", "app.py", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--production", "--no-open", "--no-check-version"]
    log_path = OUT / f"solara-{request.module.__name__.rsplit('.', 1)[-1]}.log"
    log = log_path.open("w")
    # as `make app`: no telemetry (mixpanel) and, above, no version check (pypi.org)
    env = {**os.environ, **SERVER_ENV}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"solara exited with {proc.returncode}; see {log_path}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"solara did not answer on {url} within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def browser_page(server):
    """A fresh headless chromium page that may only reach the loopback; yields (page, blocked)."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1750},
        )
        try:
            ctx.route("**/*", guard)
            page = ctx.new_page()
            page.set_default_timeout(120_000)
            yield page, blocked
        finally:
            ctx.close()
