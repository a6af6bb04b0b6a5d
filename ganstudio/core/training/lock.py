"""One writer per run folder: an OS file lock on RUN/.lock, held while a run trains.

A second window or command pointed at the same run is told it is busy instead of both writing
checkpoints. The operating system drops the lock when its process ends, however it ends (kill -9
included), so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from ganstudio.core.errors import CheckpointError

LOCK_NAME = ".lock"
# Windows locks byte ranges, and a locked range cannot be read by anyone else: the lock sits on a
# byte far past the holder's pid, so that a second process can still read whom it is waiting for.
WINDOWS_LOCK_OFFSET = 1 << 20


class RunLock:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK_NAME
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            f = open(self.path, "a+")  # never truncate here: the holder's pid is in there
        except OSError as e:
            raise CheckpointError(f"could not open the run folder {self.path.parent}: {e.strerror or e}") from None
        if not _try_lock(f):
            holder = _holder(f)
            f.close()
            raise CheckpointError(
                f"{self.path.parent} is busy: another GAN Studio (process {holder}) is training this run. "
                "Stop that one first, or choose another run folder."
            )
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the lock
            self._file = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(f: IO[str]) -> str:
    try:
        f.seek(0)
        return f.read(64).strip() or "unknown"
    except OSError:  # unreadable: still busy, whoever holds it
        return "unknown"


def _try_lock(f: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            f.seek(WINDOWS_LOCK_OFFSET)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
