"""Events a training run emits to its listener: small frozen dataclasses holding plain Python
values and numpy arrays (never tensors), so they can cross a thread boundary safely.

The events that log.jsonl keeps (Progress, Metric, TrainingWarning) are also its schema: each
writes its own record (`to_record`) and `event_from_record` reads one back, so the log writer
(RunFolder.log_event), the app's history of an opened run and the follower of a run in other
processes all see the same events the run sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol

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
    # Named by the task, means over the interval. A GAN: losses "g", "d" (and "r1" when it ran),
    # "d_real" and "d_fake" (mean sigmoid of D's outputs), "augment_p"; an upscaler: "l1", "lr".
    stats: dict[str, float]
    train_seconds: float = 0.0  # training time so far, pauses left out

    def stat(self, name: str) -> float:
        """One statistic, NaN when this task does not report it."""
        return float(self.stats.get(name, math.nan))

    def to_record(self) -> dict[str, Any]:
        return {"step": self.step, "kimg": round(self.kimg, 4), "time": round(self.train_seconds, 2),
                "img_s": round(self.images_per_second, 2),
                "eta_s": None if self.eta_seconds is None else round(self.eta_seconds, 1),
                "fraction": self.fraction_done, "stats": self.stats}  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    step: int
    kimg: float
    grid: np.ndarray = field(repr=False)  # uint8 [H, W, 3]
    path: Path | None


@dataclass(frozen=True)
class Metric:
    """The scores of one checkpoint; `name` is the one that marks the best checkpoint."""

    step: int
    kimg: float
    values: dict[str, float]  # e.g. a GAN's swd, swd64/32/16 and kid; an upscaler's psnr_gain, psnr
    name: str
    is_best: bool

    @property
    def value(self) -> float:
        return self.values[self.name]

    def to_record(self) -> dict[str, Any]:
        return {"step": self.step, "kimg": round(self.kimg, 4), "metrics": self.values, "best_by": self.name, "is_best": self.is_best}


@dataclass(frozen=True)
class TrainingWarning:
    step: int
    kimg: float
    what: str  # short machine-friendly tag, e.g. "nan", "mode_collapse", "d_overpowering", "no_progress"
    why: str  # plain words for a person
    action: str  # what was done, or what the user can do

    def to_record(self) -> dict[str, Any]:
        return {"step": self.step, "kimg": round(self.kimg, 4), "warning": {"what": self.what, "why": self.why, "action": self.action}}


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


LoggedEvent = Progress | Metric | TrainingWarning
# Logs written before the events wrote their own records kept these statistics beside "losses".
_OLD_PROGRESS_KEYS = ("d_real", "d_fake", "augment_p", "lr")


def event_from_record(r: Mapping[str, Any]) -> LoggedEvent | None:
    """The event a log.jsonl record holds, or None for a record of no kind known here.
    Raises (KeyError, TypeError, ValueError) on a record of a known kind that is damaged."""
    step, kimg = int(r.get("step", 0)), float(r.get("kimg", 0.0))
    if "stats" in r or "losses" in r:
        if "stats" in r:
            stats = {str(k): float(v) for k, v in r["stats"].items()}
        else:  # an older log: the losses apart, the other statistics beside them
            stats = {**{str(k): float(v) for k, v in r["losses"].items()}, **{k: float(r[k]) for k in _OLD_PROGRESS_KEYS if k in r}}
        eta, fraction = r.get("eta_s"), r.get("fraction")
        return Progress(step, kimg, float(r.get("img_s", 0.0)), None if eta is None else float(eta),
                        None if fraction is None else float(fraction), stats, float(r.get("time", 0.0)))  # fmt: skip
    if "metrics" in r:
        values = {str(k): float(v) for k, v in r["metrics"].items()}
        # An older log does not say which score marked the best: SWD for a GAN, else the first.
        name = str(r.get("best_by") or ("swd" if "swd" in values else next(iter(values))))
        return Metric(step, kimg, values, name, bool(r.get("is_best", False)))
    if "warning" in r:
        w = r["warning"]
        return TrainingWarning(step, kimg, str(w.get("what", "")), str(w.get("why", "")), str(w.get("action", "")))
    return None
