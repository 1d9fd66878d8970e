"""One writer per output folder: an exclusive ``fcntl.flock`` on ``OUT/.lock``.

The lock file holds its holder's pid, host and start time; the operating system releases the
lock when its holder dies, so a killed run never blocks a resume.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, one writer is the user's job
    fcntl = None

from experiments.errors import StoreError

LOCK_FILE = ".lock"


class OutputLock:
    """An exclusive ``fcntl.flock`` on ``OUT/.lock``, released by the OS when its holder dies."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def acquire(cls, out: Path) -> OutputLock:
        """Take the lock of ``out`` or raise :class:`StoreError` naming the process holding it."""
        path = out / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(
                f"cannot write into the output folder {out}: {e.strerror or e}; "
                "choose a writable --out"
            ) from None
        if fcntl is None:  # pragma: no cover - Windows
            return cls(path, fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"{out} is in use by another run ({lock_holder(out) or 'holder unknown'}); "
                "wait for it to finish or stop it, or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {_now()}\n".encode())
        return cls(path, fd)

    def release(self) -> None:
        """Release the lock (the file stays; an unlocked file holds nobody)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def lock_holder(out: str | Path) -> str | None:
    """``pid N on HOST, started T`` of the process writing ``out``, or None if none is."""
    path = Path(out) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return os.read(fd, 4096).decode(errors="replace").strip() or "holder unknown"
            fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
