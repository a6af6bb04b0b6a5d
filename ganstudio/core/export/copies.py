"""At export: does the generator copy its training pictures? Its samples against the training
set (infer/training_index.py owns the comparison, the numbers and the index format), and the
training index the Explore page reads beside the model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.data.dataset import ImageDataset
from ganstudio.core.errors import GanStudioError
from ganstudio.core.models import Generator
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.infer.atomic import atomic_path
from ganstudio.infer.training_index import CopyReport, copy_report, features, write_index

SAMPLES = 1024  # generated pictures in the report
MAX_TRAINING = 5000  # training pictures kept in the index (a random subset above this: 60 MB at most)
THUMBNAIL = 64  # the largest side a thumbnail in the index keeps

Stage = Callable[[str], None]


def thumbnails(images: torch.Tensor) -> np.ndarray:
    """uint8 [N, 3, R, R] -> uint8 [N, t, t, 3], t = min(R, THUMBNAIL), area-averaged."""
    size = min(images.shape[-1], THUMBNAIL)
    if images.shape[-1] != size:
        images = F.interpolate(images.float(), size=size, mode="area").round().clamp(0, 255).to(torch.uint8)
    return images.permute(0, 2, 3, 1).contiguous().numpy()


class CopyCheck:
    """The training pictures of a run, ready to compare a generator's samples with."""

    def __init__(self, dataset: ImageDataset, seed: int = 0) -> None:
        keep = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:MAX_TRAINING].sort().values
        self.thumbnails = thumbnails(dataset.images[keep])
        self.training = features(self.thumbnails)

    def report(self, G: Generator, samples: int = SAMPLES) -> CopyReport:
        """The report for the EMA generator G: its samples at psi 1, classes taken in turn."""
        z = torch.randn(samples, G.cfg.latent_dim, generator=torch.Generator().manual_seed(12345))
        labels = torch.arange(samples) % G.cfg.num_classes if G.cfg.num_classes else None
        found = []
        with torch.no_grad():
            for i in range(0, samples, 128):
                image = G(z[i : i + 128], labels[i : i + 128] if labels is not None else None)
                found.append(self._features(image.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)))
        return copy_report(np.concatenate(found), self.training)

    def report_for(self, pixels: torch.Tensor) -> CopyReport:
        """The report for given "generated" pictures, uint8 [N, 3, R, R]."""
        return copy_report(self._features(pixels), self.training)

    def _features(self, pixels: torch.Tensor) -> np.ndarray:
        # Through a thumbnail, as the training pictures went: the same averages at any resolution.
        return features(thumbnails(pixels))

    def write_index(self, path: Path, model: Path, report: CopyReport) -> None:
        """Write the index of the model file `model` (already in place) atomically at `path`."""
        with atomic_path(path) as temporary:
            write_index(temporary, model=model, thumbnails=self.thumbnails, report=report)


def copy_check(folder: RunFolder, G: Generator, stage: Stage) -> tuple[CopyCheck | None, CopyReport | None, str]:
    """The copy report of G and the check that writes the training index, or why there are none:
    the training pictures must still be where the run found them (the export goes on without)."""
    from ganstudio.core.training.run import DEMO_SOURCE
    from ganstudio.core.training.task import GanTask

    source = folder.read().get("dataset", {}).get("source", DEMO_SOURCE)
    stage("loading the training pictures, to check whether the model copies them")
    try:
        dataset = GanTask(folder.config()).load_data(None if source == DEMO_SOURCE else source, lambda done, total: None)
    except GanStudioError as e:
        return None, None, f"its training pictures could not be loaded ({e})"
    stage(f"comparing {SAMPLES} generated pictures with {min(len(dataset), MAX_TRAINING)} training pictures")
    check = CopyCheck(dataset)
    try:
        return check, check.report(G), ""
    except ValueError as e:  # fewer than two different training pictures: nothing to measure against
        return None, None, str(e)
