"""Run-folder file helpers that need no torch: JSON (written atomically), checkpoint names and
listing.

Kept apart from checkpoint.py (which loads tensors) so that the app can read run folders
before torch is imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganstudio.core.errors import CheckpointError
from ganstudio.infer.atomic import atomic_write_text

SCHEMA_VERSION = 1


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2) + "\n")


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
