"""Upscaling files: reading any image safely, collecting inputs from files and folders, and writing
PNGs that say where they came from (source, upscaler, scale) and keep the source's GAN Studio
seed information. PNG writing overlaps the next image's upscale on a second thread."""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

import ganstudio
from ganstudio.infer.atomic import atomic_write
from ganstudio.infer.errors import OutputError
from ganstudio.errors import GanStudioError
from ganstudio.infer.upscale import Cancelled, Upscaler

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
MAX_INPUT_PIXELS = 8192 * 8192  # bigger is refused as a decompression bomb
MAX_OUTPUT_PIXELS = 32768 * 32768  # what a PNG writer can still hold in memory (4 GB of RGBA)
KEPT_CHUNKS = ("ganstudio", "seed", "psi", "class", "model")  # the source's provenance, carried over
UPSCALE_KEY = "ganstudio.upscale"  # JSON {source, upscaler, scale}


class ImageReadError(GanStudioError):
    """An input cannot be upscaled: the message names the file and why."""


@dataclass(frozen=True)
class SourceImage:
    path: Path
    pixels: np.ndarray  # uint8 [H, W, 3] or [H, W, 4]
    text: dict[str, str] = field(default_factory=dict)  # provenance chunks of the source worth keeping


def read_image(path: str | os.PathLike, scale: int = 1) -> SourceImage:
    """Decode `path` to RGB or RGBA (EXIF orientation applied; grayscale, palette, CMYK and 16-bit
    converted). A clear ImageReadError for anything that is not a whole, reasonably sized image."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_INPUT_PIXELS or w * h * scale * scale > MAX_OUTPUT_PIXELS:
                    raise ImageReadError(f"{path}: {w}x{h} px is too big to upscale x{scale} (the limit is {MAX_INPUT_PIXELS // 1_000_000} megapixels in)")
                text = {k: v for k, v in getattr(im, "text", {}).items() if k in KEPT_CHUNKS}
                im.load()
                im = ImageOps.exif_transpose(im)
                pixels = _to_rgb_or_rgba(im)
    except ImageReadError:
        raise
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path} is a folder, not an image") from None
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{path} is not an image (or a format GAN Studio cannot read)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError(f"{path} is too big to upscale (over {MAX_INPUT_PIXELS // 1_000_000} megapixels)") from None
    except (OSError, SyntaxError, ValueError) as e:  # truncated or damaged data
        raise ImageReadError(f"{path} is damaged or truncated ({e})") from None
    if min(pixels.shape[:2]) < 1:
        raise ImageReadError(f"{path} is empty")
    return SourceImage(path, pixels, text)


def _to_rgb_or_rgba(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        im = Image.fromarray((np.asarray(im, np.float32) / 257.0).clip(0, 255).astype(np.uint8))
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info)
    return np.asarray(im.convert("RGBA" if has_alpha else "RGB"))


def collect_inputs(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, Path]]:
    """(file, name relative to the output folder) for each image file, and each image found
    (recursively) in each folder, in a stable order. Files are taken as given, even with odd suffixes."""
    found: list[tuple[Path, Path]] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    found.append((f, f.relative_to(p)))
        else:
            found.append((p, Path(p.name)))
    return found


def output_name(relative: Path, scale: int) -> Path:
    return relative.with_name(f"{relative.stem}-x{scale}.png")


def upscale_image(model: Upscaler, image: np.ndarray, scale: int | None = None, **kwargs) -> np.ndarray:
    """The model's upscale, then a Lanczos resize when `scale` differs from the model's own."""
    out = model.upscale(image, **kwargs)
    if scale and scale != model.scale:
        h, w = image.shape[:2]
        out = np.asarray(Image.fromarray(out).resize((w * scale, h * scale), Image.Resampling.LANCZOS))
    return out


def save_upscaled(path: Path, pixels: np.ndarray, source: SourceImage, upscaler: str, scale: int) -> Path:
    """PNG with the source's provenance chunks kept and the upscale's added."""
    chunks = PngImagePlugin.PngInfo()
    text = dict(source.text)
    text["Software"] = f"GAN Studio {ganstudio.__version__}"
    text[UPSCALE_KEY] = json.dumps({"source": source.path.name, "upscaler": upscaler, "scale": scale})
    for key, value in text.items():
        chunks.add_itxt(key, value)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A cancelled or failed write never leaves half a PNG under the real name.
        atomic_write(path, lambda f: Image.fromarray(pixels).save(f, format="PNG", pnginfo=chunks, compress_level=1))
    except OSError as e:
        raise OutputError(f"could not write {path}: {e.strerror or e}") from None
    return path


def source_path(item: Path | SourceImage) -> Path:
    return item.path if isinstance(item, SourceImage) else Path(item)


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (input, why)
    cancelled: bool = False
    seconds: float = 0.0


def upscale_files(
    model: Upscaler,
    inputs: Sequence[tuple[Path | SourceImage, Path]],
    out: str | os.PathLike,
    *,
    scale: int | None = None,
    tile: int | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    tile_progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BatchResult:
    """Upscale each input (a file, or an image already in memory) to out/NAME-xS.png. An unreadable
    input is reported in `failed` and the batch goes on; cancelling keeps every image already
    written. progress(done, total) per image."""
    out = Path(out)
    scale = scale or model.scale
    targets = [(src, out / output_name(rel, scale)) for src, rel in inputs]
    created = not out.exists()  # removed again if nothing could be written into it
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"could not create the folder {out}: {e.strerror or e}") from None
    if not overwrite:
        taken = [t.name for _, t in targets if t.exists()]
        if taken:
            more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
            raise OutputError(f"{out} already holds {', '.join(taken[:3])}{more}: choose another folder, or --overwrite")
    result = BatchResult()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="png-writer") as writer:
        pending: Future | None = None
        for i, (src, target) in enumerate(targets):
            if cancelled is not None and cancelled():
                result.cancelled = True
                break
            try:
                source = src if isinstance(src, SourceImage) else read_image(src, scale)
                pixels = upscale_image(model, source.pixels, scale, tile=tile, progress=tile_progress, cancelled=cancelled)
            except Cancelled:
                result.cancelled = True
                break
            except ImageReadError as e:
                result.failed.append((source_path(src), str(e)))
            else:
                if pending is not None:
                    result.written.append(pending.result())
                pending = writer.submit(save_upscaled, target, pixels, source, model.name, scale)
            if progress is not None:
                progress(i + 1, len(targets))
        if pending is not None:
            result.written.append(pending.result())
    result.seconds = time.perf_counter() - start
    if created and not result.written:
        with contextlib.suppress(OSError):  # subfolders made for files that then failed go too
            for folder in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
                folder.rmdir()
            out.rmdir()
    return result
