"""Many generated images to a folder (synthetic training data): streamed in batches, PNG writing
overlapped with generation on a second thread, memory bounded by two batches."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganstudio.infer.errors import OutputError
from ganstudio.infer.generator import GeneratorModel
from ganstudio.infer.images import ImageInfo, make_grid, save_png

GRID_LIMIT = 256  # a grid of more than this many images is too big to look at


def image_name(seed: int) -> str:
    return f"seed{seed:06d}.png"


@dataclass(frozen=True)
class FolderResult:
    folder: Path
    count: int
    seconds: float  # wall clock, generation and writing together
    encode_seconds: float  # time the writer thread spent encoding and writing PNGs
    grid: Path | None


def generate_to_folder(
    model: GeneratorModel,
    seeds: Sequence[int],
    out: str | os.PathLike,
    *,
    psi: float = 1.0,
    class_index: int | None = None,
    batch_size: int = 32,
    grid: bool = False,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> FolderResult:
    out = Path(out)
    _prepare(out, seeds, overwrite)
    class_name = model.info.classes[class_index] if class_index is not None else None
    start = time.perf_counter()
    encode = [0.0]
    kept: list[np.ndarray] = []
    count = 0

    def write(chunk: Sequence[int], images: np.ndarray) -> None:
        t = time.perf_counter()
        for seed, image in zip(chunk, images):
            save_png(out / image_name(seed), image, ImageInfo(model.name, int(seed), psi, class_name))
        encode[0] += time.perf_counter() - t

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="png-writer") as writer:
        pending: Future | None = None
        for chunk, images in model.batches_for_seeds(
            seeds, batch_size=batch_size, progress=progress, cancelled=cancelled, psi=psi, class_index=class_index
        ):
            if pending is not None:
                pending.result()  # at most one batch waits to be written
            pending = writer.submit(write, chunk, images)
            count += len(chunk)
            if grid and sum(map(len, kept)) < GRID_LIMIT:
                kept.append(images[: GRID_LIMIT - sum(map(len, kept))])
        if pending is not None:
            pending.result()
    grid_path = None
    if grid and kept:
        grid_path = save_png(out / "grid.png", make_grid(np.concatenate(kept)))
    return FolderResult(out, count, time.perf_counter() - start, encode[0], grid_path)


def _prepare(out: Path, seeds: Sequence[int], overwrite: bool) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"could not create the folder {out}: {e.strerror or e}") from None
    if not overwrite:
        taken = [image_name(s) for s in seeds if (out / image_name(s)).exists()]
        if taken:
            more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
            raise OutputError(
                f"{out} already holds {', '.join(taken[:3])}{more}: choose another folder, other seeds, or --overwrite"
            )
