"""Every benchmark records how loaded the shared machine was while it ran.

The machine has 2 cores shared with other work, so an absolute time means little without the
load beside it: ``extra_info["load_avg"]`` holds the 1-minute load average at the start and at
the end of each benchmark (``os.getloadavg``), and summary.py prints it. Ratios measured inside
one benchmark (old against new, sparse against busy) hold under any load; times do not.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _record_load(request: pytest.FixtureRequest):
    if "benchmark" not in request.fixturenames:
        yield
        return
    bench = request.getfixturevalue("benchmark")  # set up first, so torn down after this
    start = os.getloadavg()[0]
    yield
    bench.extra_info["load_avg"] = [round(start, 2), round(os.getloadavg()[0], 2)]
