"""The one atomic write behind every file GAN Studio saves: checkpoints, run.json, sample grids, the
decode cache, exported models, PNGs and animations.

The data goes to a new, uniquely named temp file beside the target (same folder, so the rename
never crosses file systems), is flushed and fsynced, then os.replace'd onto the target: a reader
sees the old file or the new one, never half of one, and a crash, a failed write or Ctrl-C leaves
the old file as it was and no temp file behind.

Lives in infer because that is the lowest layer that writes files (core -> infer -> errors), so the
core, the app and the torch-free Player share it. Needs nothing beyond the standard library.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines


def _create_temp(target: Path) -> Path:
    """Create an empty file with a name no other writer holds (O_EXCL), beside `target`.

    Mode 0666 is handed to the OS, which takes the umask off, exactly as for open(); mkstemp's 0600
    would make an exported model or a saved image unreadable to the user's other accounts and tools.
    """
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not find a free temporary name beside {target}")


def _fsync(path: Path) -> None:
    # Reopened for writing: Windows' fsync (_commit) needs a writable handle.
    fd = os.open(path, os.O_RDWR | _BINARY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """For writers that want a path (safetensors, Pillow, PyAV): yields a temp path beside `target`
    to write; when the block ends normally the file is fsynced and replaces `target`, and when it
    raises (anything, KeyboardInterrupt too) the temp file is removed and `target` is untouched.

    The folder must exist, as for open(). The temp file exists, empty, when the block starts.
    """
    target = Path(target)
    tmp = _create_temp(target)
    try:
        mode = os.stat(tmp).st_mode
        yield tmp
        os.chmod(tmp, mode)  # a writer that recreates the file (safetensors makes it 0600) keeps open()'s mode
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(target: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """For writers that want a file object (np.save, Image.save to a stream): `write(f)` fills it."""
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        write(f)
    return Path(target)


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(target, lambda f: f.write(data))


def atomic_write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(target, text.encode(encoding))
