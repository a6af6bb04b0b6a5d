"""Every run folder this user has trained in, wherever it lives: the CLI writes to ./runs or any
--out, the app to its runs folder, and the app's Past runs lists both from here.

A small JSON list in the user's state folder ($GANSTUDIO_STATE_DIR, else the platform's), newest
first. It only points at folders: a run that was moved or deleted is skipped when read, and a
damaged list is started afresh rather than stopping a run from starting. Needs no torch or Qt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import platformdirs

from ganstudio.infer.atomic import atomic_write_text

MAX_KNOWN = 200  # enough for years of runs; the list is read on every refresh of the start page


def state_dir() -> Path:
    env = os.environ.get("GANSTUDIO_STATE_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_state_dir("ganstudio"))


def _list_file() -> Path:
    return state_dir() / "runs.json"


def _read() -> list[str]:
    try:
        data = json.loads(_list_file().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    return [p for p in data if isinstance(p, str)] if isinstance(data, list) else []


def remember(run_dir: Path) -> None:
    """Put `run_dir` first in the list. Never raises: an unwritable state folder must not stop training."""
    path = str(Path(run_dir).expanduser().resolve())
    paths = [path] + [p for p in _read() if p != path]
    try:
        state_dir().mkdir(parents=True, exist_ok=True)
        atomic_write_text(_list_file(), json.dumps(paths[:MAX_KNOWN], indent=1) + "\n")
    except OSError:
        pass


def known_runs() -> list[Path]:
    """The remembered run folders that still exist, newest first."""
    return [path for p in _read() if (path := Path(p)).is_dir()]
