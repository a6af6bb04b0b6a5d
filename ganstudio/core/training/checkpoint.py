"""Checkpoints: every tensor in one safetensors file, everything else in a JSON twin.

Writes are atomic (ganstudio.infer.atomic), tensors first and JSON last, so a checkpoint exists
only once both halves are whole; a crash mid-write leaves the previous one untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganstudio.core.errors import CheckpointError
from ganstudio.core.training.files import (  # noqa: F401 - re-exported: the checkpoint API in one place
    SCHEMA_VERSION,
    atomic_write_json,
    checkpoint_name,
    list_checkpoints,
    read_json,
)
from ganstudio.infer.atomic import atomic_path


def save_checkpoint(folder: Path, step: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> Path:
    """Write NNNNNNN.safetensors then NNNNNNN.json; returns the JSON path."""
    name = checkpoint_name(step)
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with atomic_path(folder / f"{name}.safetensors") as tmp:
        save_file(tensors, tmp)
    json_path = folder / f"{name}.json"
    atomic_write_json(json_path, {"schema_version": SCHEMA_VERSION, "step": step, **meta})
    return json_path


def load_checkpoint(folder: Path, step: int) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    name = checkpoint_name(step)
    meta = read_json(folder / f"{name}.json")
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if version != SCHEMA_VERSION:
        raise CheckpointError(
            f"{folder / (name + '.json')} has checkpoint schema version {version!r}; this GAN Studio reads "
            f"version {SCHEMA_VERSION}. Open it with the GAN Studio version that wrote it, or start a new run."
        )
    path = folder / f"{name}.safetensors"
    try:
        tensors = load_file(path)
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} cannot be read ({e}); it may be truncated or damaged") from None
    return tensors, meta


def prune_checkpoints(folder: Path, keep: int, protect: set[int]) -> None:
    """Delete all but the newest `keep` checkpoints, never one in `protect` (the best)."""
    steps = list_checkpoints(folder)
    for step in steps[: max(0, len(steps) - keep)]:
        if step in protect:
            continue
        name = checkpoint_name(step)
        # JSON first: without it the pair no longer counts as a checkpoint.
        (folder / f"{name}.json").unlink(missing_ok=True)
        (folder / f"{name}.safetensors").unlink(missing_ok=True)
