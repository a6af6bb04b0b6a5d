"""Find the image files of a folder, recursively, without decoding them."""

from __future__ import annotations

import os
import stat
import statistics
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ganstudio.core.config import RESOLUTIONS
from ganstudio.core.errors import DataError

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
)
_SIZE_SAMPLE = 200  # files whose header suggest_resolution reads


@dataclass(frozen=True)
class SkippedFile:
    """A file that looked like an image but cannot be used, with a short plain-words reason."""

    path: Path
    reason: str


@dataclass(frozen=True)
class ScanResult:
    """What `scan_folder` found: image files in a deterministic order, plus what it skipped."""

    root: Path
    files: tuple[Path, ...]
    labels: tuple[int, ...] | None
    class_names: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]


def _extensions_text() -> str:
    return ", ".join(sorted(IMAGE_EXTENSIONS))


def _walk(root: Path, skipped: list[SkippedFile]) -> list[Path]:
    """Every image file under `root`, following symlinks but visiting each real folder once."""
    found: list[Path] = []
    seen_dirs: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        # A directory symlink pointing at an ancestor would otherwise loop forever.
        if real in seen_dirs:
            continue
        seen_dirs.add(real)
        try:
            with os.scandir(folder) as it:
                # Sorted, so which alias of a doubly linked folder wins does not depend on the OS.
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            skipped.append(SkippedFile(folder, "unreadable (permission denied)"))
            continue
        except OSError as exc:
            skipped.append(SkippedFile(folder, f"unreadable ({exc.strerror or exc})"))
            continue
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append(path)
                continue
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            reason = _file_problem(entry)
            if reason is None:
                found.append(path)
            else:
                skipped.append(SkippedFile(path, reason))
        stack.extend(reversed(subfolders))  # depth-first in name order
    return found


def _file_problem(entry: os.DirEntry[str]) -> str | None:
    """Why an image-named entry cannot be used, found from its metadata alone; None if fine."""
    try:
        st = entry.stat()  # follows symlinks
    except FileNotFoundError:
        return "unreadable (broken link)"
    except PermissionError:
        return "unreadable (permission denied)"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_size == 0:
        return "zero bytes"
    if not os.access(entry.path, os.R_OK):
        return "unreadable (permission denied)"
    return None


def _sort_key(root: Path, path: Path) -> tuple[str, ...]:
    # Compare path parts, not strings, so "a/b.png" and "a b.png" order the same on every OS.
    return path.relative_to(root).parts


def scan_folder(folder: str | Path, *, classes: bool = False) -> ScanResult:
    """List the images under `folder` (recursively), sorted by relative path.

    With `classes=True` the immediate subfolders holding images are the classes; images lying
    directly in `folder` are then skipped. Raises DataError when the folder is missing, is not a
    directory, holds no usable image, or (with classes) has fewer than two class subfolders.
    """
    root = Path(folder).expanduser()
    if not root.exists():
        raise DataError(f"Image folder {root} does not exist.")
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; choose the folder that holds your images.")
    root = root.resolve()

    skipped: list[SkippedFile] = []
    files = sorted(_walk(root, skipped), key=lambda p: _sort_key(root, p))

    if not files:
        skipped = list(_sorted_skips(root, skipped))
        message = (
            f"No images found in {root} (looked for {_extensions_text()} in it and its subfolders)."
        )
        if skipped:
            shown = "; ".join(f"{s.path.name}: {s.reason}" for s in skipped[:3])
            message += f" {len(skipped)} could not be used: {shown}."
        raise DataError(message)

    if not classes:
        return ScanResult(root, tuple(files), None, (), _sorted_skips(root, skipped))
    return _with_classes(root, files, skipped)


def _with_classes(root: Path, files: list[Path], skipped: list[SkippedFile]) -> ScanResult:
    """Label every file by the immediate subfolder of `root` it lies in."""
    in_class: list[Path] = []
    for path in files:
        if len(path.relative_to(root).parts) < 2:
            skipped.append(SkippedFile(path, "not in a class subfolder"))
        else:
            in_class.append(path)
    class_names = tuple(sorted({p.relative_to(root).parts[0] for p in in_class}))
    if len(class_names) < 2:
        found = f"only {class_names[0]!r}" if class_names else "none"
        raise DataError(
            f"Training with classes needs at least 2 subfolders of images in {root}, one per "
            f"class (e.g. {root / 'cats'} and {root / 'dogs'}); found {found}. "
            "Turn classes off to train on all images together."
        )
    index = {name: i for i, name in enumerate(class_names)}
    labels = tuple(index[p.relative_to(root).parts[0]] for p in in_class)
    return ScanResult(root, tuple(in_class), labels, class_names, _sorted_skips(root, skipped))


def _sorted_skips(root: Path, skipped: list[SkippedFile]) -> tuple[SkippedFile, ...]:
    return tuple(sorted(skipped, key=lambda s: _sort_key(root, s.path)))


def suggest_resolution(scan: ScanResult, *, device_type: str) -> int:
    """A training resolution that suits the images and the device.

    The largest of 32/64/128/256 not above the median shorter side of up to 200 files spread
    over the scan (sizes read from headers only), capped at 64 on "cpu", 256 on "cuda" and 128
    on any other device type.
    """
    files = scan.files
    step = max(1.0, len(files) / _SIZE_SAMPLE)
    sample = [files[int(i * step)] for i in range(min(len(files), _SIZE_SAMPLE))]
    sides: list[int] = []
    for path in sample:
        try:
            with Image.open(path) as im:  # lazy: reads the header, not the pixels
                sides.append(min(im.size))
        except Exception:  # noqa: BLE001 - an unreadable file just does not vote
            continue
    median = statistics.median(sides) if sides else RESOLUTIONS[0]
    cap = {"cpu": 64, "cuda": 256}.get(device_type, 128)
    fitting = [r for r in RESOLUTIONS if r <= min(median, cap)]
    return fitting[-1] if fitting else RESOLUTIONS[0]
