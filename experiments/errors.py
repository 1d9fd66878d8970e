"""The errors of the result store (re-exported by :mod:`experiments.store`)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The output directory cannot be used as asked (another experiment, or no --resume)."""


class StoreWriteError(StoreError):
    """A result file could not be written (e.g. the disk is full); nothing partial was left."""


class CorruptPartError(StoreError):
    """A part file cannot be read (e.g. truncated by a crash of the machine or a full disk)."""
