"""Run-folder file helpers that need no torch: atomic writes, JSON, checkpoint names and listing.

Kept apart from checkpoint.py (which loads tensors) so that the app can read run folders
before torch is imported.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ganstudio.core.errors import CheckpointError

SCHEMA_VERSION = 1


def _file_mode() -> int:
    """What open() gives a new file (0666 less the umask). Read once, at import: reading the umask
    means setting it, which must not race with other threads creating files."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


# mkstemp makes files 0600; an exported model or a sample grid must be readable like any file the
# user saves.
FILE_MODE = _file_mode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # POSIX; Windows files have no such modes
            os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode())


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path} cannot be read as JSON ({e})") from None


def checkpoint_name(step: int) -> str:
    return f"{step:07d}"


def list_checkpoints(folder: Path) -> list[int]:
    """Steps of complete checkpoints (both halves present), oldest first."""
    if not folder.is_dir():
        return []
    steps = []
    for p in folder.glob("[0-9]" * 7 + ".json"):
        if p.with_suffix(".safetensors").exists():
            steps.append(int(p.stem))
    return sorted(steps)
