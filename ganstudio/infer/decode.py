"""Decode one image file to a square uint8 RGB array at a resolution: training pictures (core/data)
and pictures brought into a model (projection) go through the same steps. No torch."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MIN_SIDE = 16  # smaller images are skipped as tiny
MAX_PIXELS = 8192 * 8192  # bigger is treated as a decompression bomb and skipped

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_EXIF_ORIENTATION = 0x0112

Progress = Callable[[int, int], None]  # progress(done, total)


class ImageDecodeError(Exception):
    """A file cannot be used as a training image; `reason` is short plain words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_image(
    path: Path, resolution: int, *, background: tuple[int, int, int] = (255, 255, 255)
) -> np.ndarray:
    """Decode `path` to a uint8 array [resolution, resolution, 3].

    The first frame of animations is used, EXIF orientation applied, any colour mode converted
    to RGB (alpha composited onto `background`), the shorter side resized to `resolution` and
    the centre cropped square. Raises ImageDecodeError with a short reason on any failure.
    """
    try:
        with Image.open(path) as im:  # lazy, and positioned on frame 0 of an animation
            _check_size(im.size)
            if im.format in ("JPEG", "MPO"):
                # DCT-domain downscaling: decodes big photos several times faster. 2x headroom
                # leaves the final antialiased resize to LANCZOS.
                im.draft(None, (2 * resolution, 2 * resolution))
            _load(im)
            oriented = _apply_orientation(im)
            rgb = _to_rgb(oriented, background)
    except ImageDecodeError:
        raise
    except FileNotFoundError:
        raise ImageDecodeError("unreadable (file not found)") from None
    except PermissionError:
        raise ImageDecodeError("unreadable (permission denied)") from None
    except UnidentifiedImageError:
        raise ImageDecodeError("not an image (cannot identify)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard; its warning is raised as an error inside decode_many.
        raise ImageDecodeError("too large (possible decompression bomb)") from None
    except OSError as exc:
        if exc.errno is not None:  # the OS refused (I/O error, is a directory, ...)
            raise ImageDecodeError(f"unreadable ({exc.strerror})") from None
        # Pillow found a known header but could not go on, e.g. a cut-off WebP.
        raise ImageDecodeError(_broken_reason(exc)) from None
    except MemoryError:
        raise ImageDecodeError("too large (out of memory)") from None
    except Exception as exc:  # noqa: BLE001 - broken files raise anything; one must not stop a run
        raise ImageDecodeError(f"corrupt ({type(exc).__name__})") from None
    return np.array(_resize_crop(rgb, resolution), dtype=np.uint8)


def _check_size(size: tuple[int, int]) -> None:
    # Image.open only reads the header, so this runs before any pixel is decoded.
    w, h = size
    if min(w, h) < MIN_SIDE:
        raise ImageDecodeError(f"too small ({w}x{h} px, need {MIN_SIDE})")
    if w * h > MAX_PIXELS:
        raise ImageDecodeError(f"too large ({w}x{h} px)")


def _load(im: Image.Image) -> None:
    """Decode the pixels; a file cut short raises "truncated" rather than a half-grey image."""
    try:
        im.load()
    except (OSError, EOFError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(_broken_reason(exc)) from None


def _broken_reason(exc: BaseException) -> str:
    # Pillow's plugins report a premature end as "image file is truncated", "broken data
    # stream", EOFError or SyntaxError("broken PNG file").
    message = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in message or "broken" in message:
        return "truncated"
    return f"corrupt ({exc})" if message else f"corrupt ({type(exc).__name__})"


def _apply_orientation(im: Image.Image) -> Image.Image:
    try:
        orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - malformed EXIF should not cost the user the image
        return im
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(im)
    return im


def _to_rgb(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Any Pillow mode to RGB; transparency composited onto `background`."""
    mode = im.mode
    if mode in _SIXTEEN_BIT_MODES or mode in ("I", "F"):
        return _high_depth_to_rgb(im)
    if mode in _ALPHA_MODES or "transparency" in im.info:
        # P/L/RGB with a tRNS chunk carry their transparency in info, RGBA conversion uses it.
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", im.size, background)
        canvas.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        return canvas
    try:
        # L, 1, P, YCbCr, CMYK (the JPEG plugin already undoes Adobe's inverted CMYK).
        return im.convert("RGB")
    except ValueError:
        raise ImageDecodeError(f"unsupported colour mode {mode}") from None


def _high_depth_to_rgb(im: Image.Image) -> Image.Image:
    """16-bit / 32-bit / float grey to 8-bit by scaling the value range (clipping blows out)."""
    values = np.asarray(im).astype(np.float64)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = _value_range(im.mode, values)
    scaled = (values - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(values)
    gray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(gray).convert("RGB")


def _value_range(mode: str, values: np.ndarray) -> tuple[float, float]:
    """The nominal range of the data: keeps dark images dark instead of stretching them."""
    if mode in _SIXTEEN_BIT_MODES:
        return 0.0, 65535.0
    vmin, vmax = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if vmin >= 0.0:
        limits = (1.0, 255.0) if mode == "F" else (255.0, 65535.0)
        for limit in limits:
            if vmax <= limit:
                return 0.0, limit
    return vmin, vmax  # out of any nominal range: stretch what is there


def _resize_crop(im: Image.Image, resolution: int) -> Image.Image:
    """Shorter side to `resolution`, centre crop, in one resampling pass."""
    w, h = im.size
    side = min(w, h)
    left, top = (w - side) / 2, (h - side) / 2
    box = (left, top, left + side, top + side)
    if side == resolution and w == h:
        return im
    if side < resolution:
        return im.resize((resolution, resolution), Image.Resampling.BICUBIC, box=box)
    # reducing_gap: Image.reduce by the integer part of big factors first (fast box filter),
    # then LANCZOS over the rest; 3.0 is indistinguishable from plain LANCZOS.
    size = (resolution, resolution)
    return im.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def decode_many(
    paths: Sequence[Path],
    resolution: int,
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    progress: Progress | None = None,
) -> tuple[np.ndarray, dict[int, str]]:
    """Decode `paths` with a small thread pool into uint8 [N, 3, R, R].

    Returns the pixels and {index: reason} for the files that failed (their rows are garbage).
    `progress(done, total)` is called from the calling thread.
    """
    total = len(paths)
    pixels = np.empty((total, 3, resolution, resolution), dtype=np.uint8)
    failures: dict[int, str] = {}

    def decode_into(index: int) -> None:
        try:
            image = decode_image(paths[index], resolution, background=background)
            pixels[index] = image.transpose(2, 0, 1)  # each worker writes its own row: no lock
        except ImageDecodeError as exc:
            failures[index] = exc.reason

    # Pillow releases the GIL while decoding and resampling, so threads scale across cores.
    workers = max(2, min(4, os.cpu_count() or 1))
    with warnings.catch_warnings():
        # Pillow's bomb warning becomes an error decode_image reports as "too large". Set once
        # here: catch_warnings inside the worker threads would race on the global filters.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ganstudio-decode")
        try:
            futures = [pool.submit(decode_into, i) for i in range(total)]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if progress is not None:
                    progress(done, total)
        finally:
            # If progress raised (e.g. the user cancelled), do not decode the rest.
            pool.shutdown(wait=True, cancel_futures=True)
    return pixels, failures
