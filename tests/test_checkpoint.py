"""Checkpoint files: atomic, complete pairs only, pruning, clear errors."""

from __future__ import annotations

import pytest
import torch

from ganstudio.core.errors import CheckpointError
from ganstudio.core.training.checkpoint import (
    atomic_write_json,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    read_json,
    save_checkpoint,
)


def test_save_load_round_trip(tmp_path):
    tensors = {"a": torch.arange(6.0).reshape(2, 3), "rng": torch.randint(0, 255, (10,), dtype=torch.uint8)}
    save_checkpoint(tmp_path, 42, tensors, {"kimg": 1.5})
    loaded, meta = load_checkpoint(tmp_path, 42)
    torch.testing.assert_close(loaded["a"], tensors["a"])
    assert meta["kimg"] == 1.5 and meta["step"] == 42
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_half_written_checkpoint_does_not_count(tmp_path):
    save_checkpoint(tmp_path, 1, {"a": torch.zeros(1)}, {})
    (tmp_path / "0000002.safetensors").write_bytes(b"partial")  # crash before the JSON half
    assert list_checkpoints(tmp_path) == [1]


def test_prune_keeps_newest_and_protected(tmp_path):
    for step in (10, 20, 30, 40, 50):
        save_checkpoint(tmp_path, step, {"a": torch.zeros(1)}, {})
    prune_checkpoints(tmp_path, keep=2, protect={20})
    assert list_checkpoints(tmp_path) == [20, 40, 50]


def test_damaged_and_foreign_checkpoints_get_clear_errors(tmp_path):
    save_checkpoint(tmp_path, 5, {"a": torch.zeros(4)}, {})
    (tmp_path / "0000005.safetensors").write_bytes(b"\x00" * 7)
    with pytest.raises(CheckpointError, match="0000005.safetensors cannot be read"):
        load_checkpoint(tmp_path, 5)
    atomic_write_json(tmp_path / "0000006.json", {"schema_version": 7, "step": 6})
    (tmp_path / "0000006.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="schema version 7"):
        load_checkpoint(tmp_path, 6)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="bad.json cannot be read as JSON"):
        read_json(tmp_path / "bad.json")
