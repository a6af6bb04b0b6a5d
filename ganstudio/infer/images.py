"""Images out: grids, and PNGs that carry how they were made (seed, psi, class, offsets, model)
in text chunks, so that any saved image can be remade exactly."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

import ganstudio
from ganstudio.infer.atomic import atomic_write
from ganstudio.infer.errors import ModelError, OutputError

INFO_KEY = "ganstudio"  # the PNG text chunk holding ImageInfo as JSON


def make_grid(images: np.ndarray, cols: int | None = None, gap: int = 0) -> np.ndarray:
    """uint8 [N, H, W, C] -> one uint8 [rows*H, cols*W, C] image (black where the grid runs out)."""
    n, h, w, c = images.shape
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    grid = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap, c), np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, cols)
        grid[r * (h + gap) : r * (h + gap) + h, col * (w + gap) : col * (w + gap) + w] = image
    return grid


@dataclass(frozen=True)
class ImageInfo:
    """How a generated image was made. seed is None for latents that came from elsewhere (a walk)."""

    model: str
    seed: int | None = None
    psi: float = 1.0
    class_name: str | None = None
    w_offset: list[float] | None = None
    # A picture brought into the model (Recipe.projected): {"w": w - w_avg, "psi", "edits"}. seed,
    # psi and w_offset above still remake it exactly without this; Explore uses it to edit it again.
    projection: dict | None = None

    def to_text(self) -> dict[str, str]:
        data = {k: v for k, v in asdict(self).items() if k != "projection" or v is not None}  # older readers' format
        text = {INFO_KEY: json.dumps(data), "Software": f"GAN Studio {ganstudio.__version__}", "model": self.model}
        text["psi"] = f"{self.psi:g}"
        if self.seed is not None:
            text["seed"] = str(self.seed)
        if self.class_name is not None:
            text["class"] = self.class_name
        return text

    @classmethod
    def from_json(cls, source: str, raw: str) -> ImageInfo:
        """Parse and check the chunk: a forged or damaged one gets a message, never an exception trace."""
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            seed, offset = data.get("seed"), data.get("w_offset")
            info = cls(
                model=str(data["model"]),
                seed=None if seed is None else int(seed),
                psi=float(data.get("psi", 1.0)),
                class_name=None if data.get("class_name") is None else str(data["class_name"]),
                w_offset=None if offset is None else [float(v) for v in offset],
                projection=_projection(data.get("projection")),
            )
        except (ValueError, TypeError, KeyError) as e:
            raise ModelError(f"{source}: its GAN Studio information is damaged ({e})") from None
        numbers = [info.psi, *(info.w_offset or ())]
        if info.projection is not None:
            numbers += [info.projection["psi"], *info.projection["w"], *info.projection["edits"]]
        if not all(map(math.isfinite, numbers)):
            raise ModelError(f"{source}: its GAN Studio information holds non-finite numbers")
        return info


def _projection(data: object) -> dict | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("projection is not an object")
    return {"w": [float(v) for v in data["w"]], "psi": float(data["psi"]), "edits": [float(v) for v in data["edits"]]}


def save_png(path: str | os.PathLike, image: np.ndarray, info: ImageInfo | None = None) -> Path:
    """Write uint8 [H, W, 3] as PNG with `info` in its text chunks, atomically: an interrupted
    `generate` leaves whole PNGs only."""
    path = Path(path)
    chunks = PngImagePlugin.PngInfo()
    for key, value in (info.to_text() if info else {}).items():
        chunks.add_itxt(key, value)
    try:
        atomic_write(path, lambda f: Image.fromarray(image).save(f, format="PNG", pnginfo=chunks, compress_level=1))
    except OSError as e:
        raise OutputError(f"could not write {path}: {e.strerror or e}") from None
    return path


def read_image_info(path: str | os.PathLike) -> ImageInfo | None:
    """The ImageInfo saved in a PNG, or None when it has none (not made by GAN Studio)."""
    try:
        with Image.open(path) as image:
            raw = getattr(image, "text", {}).get(INFO_KEY)
    except OSError as e:
        raise ModelError(f"{path} could not be read as an image: {e}") from None
    return None if raw is None else ImageInfo.from_json(str(path), raw)
