"""Fixtures for the experiments tests: tiny specs (200 users, a few hours) written to tmp files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.experiments.exp_specs import TINY


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write TOML text (dedented) to a file and return its path."""

    def write(text: str, name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_spec(write_spec) -> Path:
    """The path of the tiny spec."""
    return write_spec(TINY, "tiny.toml")
