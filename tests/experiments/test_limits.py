"""Designs beyond experiments.limits are refused with a message, before anything is built."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


@pytest.mark.slow  # 3-4.5 s: keeps make test-fast under 3 minutes; make test runs it
def test_a_billion_point_design_is_refused_with_a_message(write_spec, tmp_path):
    spec = write_spec(
        """
        name = "huge"
        [design]
        kind = "lhs"
        n = 1_000_000_000
        [design.ranges]
        trust_shift = [-0.3, 0.3]
        [arms]
        one_way = "one_way"
        interactive = "interactive"
        """
    )
    for command in (
        ["plan", str(spec), "--pilot-steps", "0"],
        ["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"],
    ):
        # a bounded address space: building the points would fail with MemoryError instead
        proc = subprocess.run(
            [sys.executable, "-m", "experiments", *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_limit_memory,
        )
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert "1000000000 design points" in proc.stderr and "at most" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
