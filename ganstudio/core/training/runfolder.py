"""The run folder (DESIGN.md): run.json, log.jsonl, checkpoints/, samples/, export/.

Needs no torch, so the app can read run folders before torch loads."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import ganstudio
from ganstudio.core.config import TrainConfig
from ganstudio.core.errors import CheckpointError
from ganstudio.core.training import events as ev
from ganstudio.core.training.files import (
    SCHEMA_VERSION,
    atomic_write_json,
    checkpoint_name,
    list_checkpoints,
    read_json,
)
from ganstudio.infer.atomic import atomic_write


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def run_json(self) -> Path:
        return self.path / "run.json"

    @property
    def log(self) -> Path:
        return self.path / "log.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def samples(self) -> Path:
        return self.path / "samples"

    @property
    def best_json(self) -> Path:
        return self.checkpoints / "best.json"

    def exists(self) -> bool:
        return self.run_json.is_file()

    def create(self, config: TrainConfig, dataset: dict[str, Any], started_from: dict[str, Any] | None = None) -> None:
        """Make the folder and write run.json; `started_from` is the parent of a fine-tuned run (start_from.py)."""
        for d in (self.path, self.checkpoints, self.samples, self.path / "export"):
            d.mkdir(parents=True, exist_ok=True)
        info = {
            "schema_version": SCHEMA_VERSION,
            "ganstudio_version": ganstudio.__version__,
            "config": config.to_dict(),
            "dataset": dataset,
        }
        if started_from is not None:
            info["started_from"] = started_from
        atomic_write_json(self.run_json, info)

    def read(self) -> dict[str, Any]:
        data = read_json(self.run_json)
        if not isinstance(data, dict) or "config" not in data:
            raise CheckpointError(f"{self.run_json} is not a GAN Studio run description (no 'config')")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise CheckpointError(
                f"{self.run_json} has schema version {data.get('schema_version')!r}; this GAN Studio "
                f"({ganstudio.__version__}) reads version {SCHEMA_VERSION}. Start a new run, or open this one "
                f"with the version that made it ({data.get('ganstudio_version', 'unknown')})."
            )
        return data

    def config(self) -> TrainConfig:
        data = self.read()["config"]
        if isinstance(data, dict) and data.get("task") == "upscaler":
            raise CheckpointError(f"{self.path} is an upscaler training run, not a GAN's: continue it with `ganstudio train-upscaler --resume`")
        try:
            return TrainConfig.from_dict(data)
        except (TypeError, ValueError) as e:
            raise CheckpointError(f"{self.run_json} holds an invalid configuration: {e}") from None

    def append_log(self, record: dict[str, Any]) -> None:
        with self.log.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def log_event(self, event: ev.Event) -> None:
        """The log writer, a listener like any other: appends each event the log keeps."""
        if isinstance(event, ev.LoggedEvent) and self.exists():
            self.append_log(event.to_record())

    def read_log(self, offset: int = 0) -> tuple[list[ev.LoggedEvent], int]:
        """The events logged from byte `offset` on, and the offset after the last whole line (a
        line being written, or cut short by a crash, is left for the next read)."""
        if not self.log.is_file():
            return [], offset
        with self.log.open("rb") as f:
            f.seek(offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        events = []
        for line in complete.decode("utf-8", "replace").splitlines():
            try:
                event = ev.event_from_record(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError, StopIteration):
                continue  # a damaged line: the rest of the log still reads
            if event is not None:
                events.append(event)
        return events, offset + len(complete)

    def write_sample_grid(self, step: int, grid: np.ndarray) -> Path:
        path = self.samples / f"{checkpoint_name(step)}.png"
        atomic_write(path, lambda f: Image.fromarray(grid).save(f, format="PNG"))
        return path

    def latest_checkpoint(self) -> int | None:
        steps = list_checkpoints(self.checkpoints)
        return steps[-1] if steps else None

    def select_checkpoint(self, which: str | int = "best") -> int:
        """"best" (the latest while no metric has run yet), "latest", or a step number."""
        steps = list_checkpoints(self.checkpoints)
        if not steps:
            raise CheckpointError(f"{self.path} has no checkpoint yet: train it a little longer first")
        if which == "best":
            best = self.best_checkpoint()
            return steps[-1] if best is None else best
        if which == "latest":
            return steps[-1]
        try:
            step = int(which)
        except ValueError:
            raise CheckpointError(f"unknown checkpoint {which!r}: use best, latest or a step number") from None
        if step not in steps:
            raise CheckpointError(f"{self.path} has no checkpoint at step {step}; it has {', '.join(map(str, steps))}")
        return step

    def best_checkpoint(self) -> int | None:
        if not self.best_json.is_file():
            return None
        try:
            step = int(read_json(self.best_json)["step"])
        except (CheckpointError, KeyError, TypeError, ValueError):
            return None
        return step if step in list_checkpoints(self.checkpoints) else None


def unique_run_dir(root: Path, name: str) -> Path:
    """root/name, or root/name-2, -3, ... if taken; the name made safe for a folder."""
    safe = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "run"
    path, n = root / safe, 2
    while path.exists():
        path, n = root / f"{safe}-{n}", n + 1
    return path
