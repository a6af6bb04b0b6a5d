"""An upscaler training run: TrainingRun's driver (run folder, lock, events, checkpoints, resume,
NaN rollback, pause and stop) with the upscaler's task in place of the GAN's.

    run = UpscalerRun.new("runs/flowers-x2", UpscalerConfig(scale=2, kimg=50), data="~/flowers")
    run.run()
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.data import ImageDataset, load_image_folder, make_demo_dataset
from ganstudio.core.errors import CheckpointError, GanStudioError
from ganstudio.core.training.best import BestRule
from ganstudio.core.training.distributed import World
from ganstudio.core.training.health import HealthIssue
from ganstudio.core.training.run import TrainingRun
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.core.training.task import DecodeProgress, Task
from ganstudio.core.upscaler.config import TASK, UpscalerConfig
from ganstudio.core.upscaler.trainer import UpscalerTrainer

METRIC = "psnr_gain"  # validation PSNR of the model minus bicubic's, dB: higher is better


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean PSNR (dB) over a batch of images in [0, 1]."""
    mse = (a - b).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return float((10 * torch.log10(1 / mse)).mean())


def bicubic(lr: torch.Tensor, scale: int) -> torch.Tensor:
    return F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)


class UpscalerTask:
    """Upscaler training: validation pairs, their PSNR over bicubic, and a side-by-side preview."""

    best_rule = BestRule(METRIC, lower_is_better=False)

    def __init__(self, config: UpscalerConfig) -> None:
        self.config = config
        self.trainer: UpscalerTrainer = None  # type: ignore[assignment] - built by setup()
        self.val_lr = self.val_hr = torch.empty(0)
        self.bicubic_psnr = 0.0

    def load_data(self, source: str | None, progress: DecodeProgress) -> ImageDataset:
        res = self.config.resolution
        if source is None:
            return make_demo_dataset(res, count=256, seed=0)
        return load_image_folder(source, res, classes=False, progress=progress)

    def dataset_summary(self, dataset: ImageDataset) -> str:
        return dataset.summary(with_classes=False)

    def setup(self, dataset: ImageDataset, device: torch.device, world: World) -> tuple[dict[str, Any], list[HealthIssue]]:
        cfg = self.config
        if world.distributed:
            raise GanStudioError("upscaler training runs in one process; leave out --nproc")
        if len(dataset) == 0:
            raise GanStudioError(f"{dataset.source} holds no usable images")
        self.trainer = UpscalerTrainer(cfg, dataset.images, device)
        # Fixed validation pairs (plain bicubic downscale, no degradation): comparable across the run.
        g = torch.Generator().manual_seed(cfg.seed + 2)
        self.val_lr, self.val_hr = self.trainer.sample_pairs(cfg.metric_images, g, degrade=0.0)
        self.bicubic_psnr = psnr(bicubic(self.val_lr, cfg.scale), self.val_hr)
        return {"name": dataset.name, "source": dataset.source, "fingerprint": dataset.fingerprint,
                "images": len(dataset), "skipped": len(dataset.skipped), "classes": []}, []  # fmt: skip

    def stats(self, raw: dict[str, float]) -> dict[str, float]:
        return {**raw, "lr": self.trainer.learning_rate()}

    def check_progress(self, kimg: float, stats: dict[str, float]) -> list[HealthIssue]:
        return []

    def preview(self) -> tuple[np.ndarray, list[HealthIssue]]:
        """Rows of (bicubic | model | original) for the first grid_size validation pairs."""
        n, s = self.config.grid_size, self.config.scale
        lr, hr = self.val_lr[:n], self.val_hr[:n]
        rows = torch.cat([bicubic(lr, s), self.trainer.upscale(lr), hr], dim=3)  # side by side
        grid = torch.cat(list(rows), dim=1)  # rows stacked: [3, n*H, 3*W]
        return grid.mul(255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous().numpy(), []

    def metric_job(self) -> Callable[[], dict[str, float]]:
        out = self.trainer.upscale(self.val_lr)
        hr, base = self.val_hr, self.bicubic_psnr

        def measure() -> dict[str, float]:
            value = psnr(out, hr)
            return {METRIC: round(value - base, 4), "psnr": round(value, 3), "psnr_bicubic": round(base, 3)}

        return measure

    def check_metric(self, kimg: float, value: float) -> list[HealthIssue]:
        return []

    def on_nan(self) -> str:
        self.trainer.halve_learning_rate()
        return f"halved the learning rate (now {self.trainer.learning_rate():.2g})"

    def networks(self) -> tuple[torch.nn.Module, ...]:
        return (self.trainer.net,)


class UpscalerRun(TrainingRun):
    """TrainingRun for an upscaler: its config read and checked as one, the upscaler's task."""

    config: UpscalerConfig  # type: ignore[assignment]

    @staticmethod
    def _read_config(folder: RunFolder) -> UpscalerConfig:  # type: ignore[override]
        data = folder.read()["config"]
        if data.get("task") != TASK:
            raise CheckpointError(f"{folder.path} is a GAN training run, not an upscaler's: resume it with `ganstudio train --resume`")
        try:
            return UpscalerConfig.from_dict(data)
        except (TypeError, ValueError) as e:
            raise CheckpointError(f"{folder.run_json} holds an invalid configuration: {e}") from None

    @staticmethod
    def _make_task(config: UpscalerConfig) -> Task:  # type: ignore[override]
        return UpscalerTask(config)
