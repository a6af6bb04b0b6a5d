"""The decoded training set: one uint8 tensor in memory, built from a folder or by code."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
import torch
from PIL import Image

from ganstudio.infer.decode import Progress, decode_many
from ganstudio.core.data.scan import ScanResult, SkippedFile, scan_folder, suggest_resolution
from ganstudio.core.errors import DataError, GanStudioWarning
from ganstudio.infer.atomic import atomic_write, atomic_write_text

# suggest_resolution lives with the scan it reads; re-exported here where callers look for it.
__all__ = ["ImageDataset", "compute_fingerprint", "default_cache_dir", "load_image_folder"]
__all__ += ["suggest_resolution"]

# Bump when decoding changes its output, so stale cache entries are not reused.
DECODER_VERSION = 1
_SUMMARY_NAMES = 5  # skipped files named in summary() before "and N more"


@dataclass(frozen=True)
class ImageDataset:
    """Decoded images ready for training, and where they came from."""

    images: torch.Tensor  # uint8 [N, 3, R, R], CPU, contiguous
    labels: torch.Tensor | None  # int64 [N] when conditional
    class_names: tuple[str, ...]
    name: str  # folder name, or "demo"
    source: str  # absolute folder path, or "builtin:demo"
    fingerprint: str  # sha256 of pixels + labels + class names: same content, same value
    skipped: tuple[SkippedFile, ...]
    files_found: int  # images the scan found, used + skipped

    def __post_init__(self) -> None:
        images = self.images
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            shape = list(images.shape)
            raise ValueError(f"images must be uint8 [N, 3, R, R], got {images.dtype} {shape}")
        if images.shape[2] != images.shape[3] or not images.is_contiguous():
            raise ValueError("images must be square and contiguous")
        if self.labels is not None and self.labels.shape != (images.shape[0],):
            raise ValueError("labels must be int64 [N]")

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    @property
    def num_classes(self) -> int:
        """Number of classes when conditional, else 0."""
        return len(self.class_names) if self.labels is not None else 0

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def summary(self, *, with_classes: bool = True) -> str:
        """One line for the user, e.g. "812 images from flowers (64 px); skipped 3 of 815: ...".
        with_classes=False leaves the classes out, for a run that does not use them."""
        count = f"{len(self)} image{'s' if len(self) != 1 else ''}"
        details = f"{self.resolution} px"
        if self.num_classes and with_classes:
            details += f", {self.num_classes} classes"
        text = f"{count} from {self.name} ({details})"
        if not self.skipped:
            return text
        root = Path(self.source)
        names = [f"{_relpath(s.path, root)} {s.reason}" for s in self.skipped[:_SUMMARY_NAMES]]
        more = len(self.skipped) - len(names)
        listed = ", ".join(names) + (f" and {more} more" if more else "")
        return f"{text}; skipped {len(self.skipped)} of {self.files_found}: {listed}"


def compute_fingerprint(
    images: np.ndarray, labels: np.ndarray | None, class_names: tuple[str, ...]
) -> str:
    """sha256 over decoded pixels, labels and class names: the content identity of a dataset."""
    digest = hashlib.sha256()
    digest.update(json.dumps([list(images.shape), list(class_names)]).encode())
    digest.update(np.ascontiguousarray(images, dtype=np.uint8).data)
    if labels is not None:
        digest.update(np.ascontiguousarray(labels, dtype="<i8").data)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """Where decoded datasets are cached: $GANSTUDIO_CACHE_DIR, else the user cache folder."""
    env = os.environ.get("GANSTUDIO_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("ganstudio")) / "decoded"


def load_image_folder(
    folder: str | Path,
    resolution: int,
    *,
    classes: bool = False,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
) -> ImageDataset:
    """Scan `folder`, decode every image at `resolution` and return them as one dataset.

    Files that fail to decode are listed in `skipped` with their reason. Decoded pixels are
    cached on disk, keyed by the folder's file list, sizes and mtimes, so an unchanged folder
    loads without decoding. `progress(done, total)` is called from this thread. Raises DataError
    when the folder cannot be used or no file decodes.
    """
    if resolution < 1:
        raise ValueError(f"resolution must be positive, not {resolution}")
    scan = scan_folder(folder, classes=classes)
    background = (int(background[0]), int(background[1]), int(background[2]))
    cache_root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = _cache_key(scan, resolution, classes, background)
    hit = _read_cache(cache_root, key, scan.root) if use_cache else None
    if hit is not None:
        if progress is not None:
            progress(len(scan.files), len(scan.files))
        return hit
    dataset = _decode_all(scan, resolution, background, progress)
    if use_cache:
        _write_cache(cache_root, key, dataset)
    return dataset


def _decode_all(
    scan: ScanResult, resolution: int, background: tuple[int, int, int], progress: Progress | None
) -> ImageDataset:
    total = len(scan.files)
    pixels, failures = decode_many(scan.files, resolution, background=background, progress=progress)
    skipped = list(scan.skipped)
    skipped += [SkippedFile(scan.files[i], reason) for i, reason in failures.items()]
    skipped.sort(key=lambda s: s.path.relative_to(scan.root).parts)
    keep = [i for i in range(total) if i not in failures]
    if not keep:
        reasons = "; ".join(f"{s.path.name}: {s.reason}" for s in skipped[:3])
        raise DataError(f"None of the {total} images in {scan.root} could be decoded ({reasons}).")
    if len(keep) < total:
        pixels = pixels[keep]
    labels = None if scan.labels is None else np.asarray(scan.labels, dtype=np.int64)[keep]
    return ImageDataset(
        images=torch.from_numpy(pixels),
        labels=None if labels is None else torch.from_numpy(labels),
        class_names=scan.class_names,
        name=scan.root.name,
        source=str(scan.root),
        fingerprint=compute_fingerprint(pixels, labels, scan.class_names),
        skipped=tuple(skipped),
        files_found=len(scan.files) + len(scan.skipped),
    )


def _cache_key(
    scan: ScanResult, resolution: int, classes: bool, background: tuple[int, int, int]
) -> str:
    """sha256 of everything the decoded result depends on; any touched/added file changes it."""
    digest = hashlib.sha256()
    # Pillow's version too: its resampling can change between releases.
    header = [str(scan.root), resolution, classes, background, DECODER_VERSION, Image.__version__]
    digest.update(json.dumps(header).encode())
    for path in scan.files:
        try:
            st = path.stat()
            record: list[Any] = [_relpath(path, scan.root), st.st_size, st.st_mtime_ns]
        except OSError:
            record = [_relpath(path, scan.root), None, None]
        digest.update(json.dumps(record).encode() + b"\n")
    for item in scan.skipped:  # they show in `skipped` and `files_found`
        digest.update(json.dumps(["skipped", _relpath(item.path, scan.root), item.reason]).encode())
    return digest.hexdigest()


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _read_cache(cache_dir: Path, key: str, root: Path) -> ImageDataset | None:
    """The cached dataset for `key`, or None when absent, unreadable or inconsistent."""
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        pixels = np.load(cache_dir / f"{key}.npy", allow_pickle=False)
        labels = None if meta["labels"] is None else np.asarray(meta["labels"], dtype=np.int64)
        class_names = tuple(str(name) for name in meta["class_names"])
        # Also catches a .npy and .json left by two different writers.
        if compute_fingerprint(pixels, labels, class_names) != meta["fingerprint"]:
            return None
        return ImageDataset(
            images=torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.uint8)),
            labels=None if labels is None else torch.from_numpy(labels),
            class_names=class_names,
            name=str(meta["name"]),
            source=str(root),
            fingerprint=str(meta["fingerprint"]),
            skipped=tuple(SkippedFile(root / rel, str(reason)) for rel, reason in meta["skipped"]),
            files_found=int(meta["files_found"]),
        )
    except Exception:  # noqa: BLE001 - a broken cache entry is rebuilt, never an error
        return None


def _write_cache(cache_dir: Path, key: str, dataset: ImageDataset) -> None:
    meta = {
        "labels": None if dataset.labels is None else dataset.labels.tolist(),
        "class_names": list(dataset.class_names),
        "skipped": [[_relpath(s.path, Path(dataset.source)), s.reason] for s in dataset.skipped],
        "fingerprint": dataset.fingerprint,
        "files_found": dataset.files_found,
        "name": dataset.name,
    }
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Pixels first: the .json is what makes an entry visible, and the fingerprint in it
        # must match the pixels anyway.
        pixels = dataset.images.numpy()
        atomic_write(cache_dir / f"{key}.npy", lambda f: np.save(f, pixels, allow_pickle=False))
        atomic_write_text(cache_dir / f"{key}.json", json.dumps(meta))
    except OSError as exc:
        warnings.warn(
            f"Could not write the decode cache in {cache_dir} ({exc}); "
            "the next load decodes again.",
            GanStudioWarning,
            stacklevel=3,
        )
