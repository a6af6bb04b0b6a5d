"""Events a training run emits to its listener: small frozen dataclasses holding plain Python
values and numpy arrays (never tensors), so they can cross a thread boundary safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Preparing:
    """Work before the first step (decoding the image folder), with a count to show progress."""

    done: int
    total: int
    message: str


@dataclass(frozen=True)
class Started:
    config: dict[str, Any]
    dataset_summary: str
    run_dir: Path
    device: str
    resumed_from_kimg: float  # 0.0 for a fresh run
    num_images: int


@dataclass(frozen=True)
class Progress:
    step: int
    kimg: float
    images_per_second: float
    eta_seconds: float | None  # None when the run has no kimg/minutes limit
    fraction_done: float | None
    losses: dict[str, float]  # "g", "d", and "r1" when it ran
    d_real: float  # mean sigmoid(D(real)) over the interval
    d_fake: float
    augment_p: float


@dataclass(frozen=True)
class Snapshot:
    step: int
    kimg: float
    grid: np.ndarray = field(repr=False)  # uint8 [H, W, 3]
    path: Path | None


@dataclass(frozen=True)
class Metric:
    step: int
    kimg: float
    name: str
    value: float
    is_best: bool


@dataclass(frozen=True)
class TrainingWarning:
    step: int
    kimg: float
    what: str  # short machine-friendly tag, e.g. "nan", "mode_collapse", "d_overpowering", "no_progress"
    why: str  # plain words for a person
    action: str  # what was done, or what the user can do


@dataclass(frozen=True)
class CheckpointSaved:
    step: int
    kimg: float
    path: Path


@dataclass(frozen=True)
class Finished:
    step: int
    kimg: float
    reason: str  # "completed", "stopped", "error"
    message: str = ""


Event = Preparing | Started | Progress | Snapshot | Metric | TrainingWarning | CheckpointSaved | Finished


class Listener(Protocol):
    def __call__(self, event: Event) -> None: ...
