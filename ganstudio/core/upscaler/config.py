"""How an upscaler is built and trained: one frozen dataclass, saved in run.json like TrainConfig."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any, Mapping

TASK = "upscaler"  # run.json's config["task"]; GAN runs have none
SCALES = (2, 4)


@dataclass(frozen=True)
class UpscalerConfig:
    """A compact residual SR net (conv + PReLU body, pixel shuffle, bicubic skip) and its recipe.

    The defaults fit a CPU: 32 channels x 8 body convs is ~90k multiply-adds per input pixel, about
    half a second for 256 px -> 1024 px with onnxruntime on 2 cores, and ~130 k parameters (0.5 MB)."""

    scale: int = 2
    channels: int = 32
    body_convs: int = 8
    resolution: int = 256  # images are decoded (and cached) as squares this big; patches are cut from them
    patch: int = 32  # low-resolution patch side; the target is patch * scale
    batch: int = 16
    lr: float = 1e-3
    lr_final: float = 0.1  # the learning rate decays (cosine) to lr * lr_final over a kimg budget
    degrade: float = 1.0  # how often the degradations (blur, noise, JPEG) apply: 0 = plain bicubic pairs
    seed: int = 0
    kimg: float | None = None
    minutes: float | None = None
    device: str = "auto"
    snapshot_kimg: float = 4.0
    checkpoint_kimg: float = 16.0  # validation PSNR is measured at each checkpoint
    metric_images: int = 64  # fixed validation pairs
    keep_checkpoints: int = 3
    grid_size: int = 4  # previews: grid_size pairs of (bicubic | model | original)
    log_interval: int = 10
    task: str = TASK

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, not {self.scale}")
        if self.patch * self.scale > self.resolution:
            raise ValueError(f"patches of {self.patch} px x{self.scale} do not fit in {self.resolution} px images")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "UpscalerConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def replace(self, **changes: Any) -> "UpscalerConfig":
        return dataclasses.replace(self, **changes)
