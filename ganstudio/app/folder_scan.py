"""Look through an image folder for the start page: what was found, what will be skipped and why,
thumbnails, and the resolution the data and machine suggest. Qt-free; runs in a background task
because it loads torch (through the core's data package) and reads image files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

THUMBNAILS = 48  # spread over the folder, so a glance shows its variety
THUMB_SIZE = 96


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    pixels: np.ndarray  # uint8 [S, S, 3], centre-cropped exactly as training will see it


@dataclass(frozen=True)
class FolderSummary:
    root: Path
    count: int  # usable files found by the scan
    thumbnails: tuple[Thumbnail, ...]
    skipped: tuple[tuple[Path, str], ...]  # (file, plain-words reason)
    suggested_resolution: int
    device_type: str  # "cpu" or "cuda": what "auto" resolves to here
    class_names: tuple[str, ...]  # subfolders holding images (classes, if the user wants them)
    gpu_count: int = 0  # GPUs that can train together ("All GPUs" is offered from 2)

    @property
    def name(self) -> str:
        return self.root.name or "images"


def summarise_folder(folder: str | Path, report: Callable[[object], None] | None = None) -> FolderSummary:
    """Raises the core's DataError when the folder is missing, not a folder, or holds no image."""
    from ganstudio.app.heavy import load_core

    load_core()  # torch, through the core's data package: not on the GUI thread
    from ganstudio.core.data import scan_folder, suggest_resolution
    from ganstudio.infer.decode import ImageDecodeError, decode_image
    from ganstudio.core.device import resolve_device

    scan = scan_folder(folder)
    skipped = [(s.path, s.reason) for s in scan.skipped]
    picks = np.unique(np.linspace(0, len(scan.files) - 1, min(THUMBNAILS, len(scan.files))).round().astype(int))
    thumbnails: list[Thumbnail] = []
    bad: set[Path] = set()
    for n, i in enumerate(picks, 1):
        path = scan.files[int(i)]
        try:
            thumbnails.append(Thumbnail(path, decode_image(path, THUMB_SIZE)))
        except ImageDecodeError as e:
            # Found by decoding a sample; training finds and skips the rest of these the same way.
            skipped.append((path, e.reason))
            bad.add(path)
        if report is not None:
            report((n, len(picks)))
    subfolders = sorted({f.relative_to(scan.root).parts[0] for f in scan.files if len(f.relative_to(scan.root).parts) > 1})
    device = resolve_device("auto")
    return FolderSummary(
        root=scan.root,
        count=len(scan.files) - len(bad),
        thumbnails=tuple(thumbnails),
        skipped=tuple(skipped),
        suggested_resolution=suggest_resolution(scan, device_type=device.type),
        device_type=device.type,
        gpu_count=_gpus_that_can_train_together(device),
        class_names=tuple(subfolders) if len(subfolders) >= 2 else (),
    )


def _gpus_that_can_train_together(device) -> int:  # noqa: ANN001 - torch.device, imported lazily
    import torch

    from ganstudio.app.process_session import multi_gpu_supported

    return torch.cuda.device_count() if device.type == "cuda" and multi_gpu_supported() else 0
