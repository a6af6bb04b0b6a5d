"""An exported generator, opened with onnxruntime: seeds in, uint8 images out. No torch."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganstudio.infer.errors import ModelError
from ganstudio.infer.metadata import GeneratorInfo, parse_generator_metadata
from ganstudio.infer.session import Device, open_session

Progress = Callable[[int, int], None]  # (done, total)


def z_for_seed(seed: int, latent_dim: int) -> np.ndarray:
    """The latent of a seed: its own PCG64 stream, so an image depends on its seed alone, never on
    the batch it was made in or on the seeds made before it."""
    return np.random.default_rng(seed).standard_normal(latent_dim, dtype=np.float32)


@dataclass(frozen=True)
class Generated:
    images: np.ndarray  # uint8 [N, H, W, 3]
    w: np.ndarray  # float32 [N, w_dim]: the style vector after truncation, before any offset


class GeneratorModel:
    """A GAN Studio generator .onnx. Truncation, offsets and classes are inputs of the graph itself."""

    def __init__(self, path: str | os.PathLike, device: Device = "auto", threads: int | None = None) -> None:
        self.path = Path(path)
        session = open_session(self.path, device, threads)
        self._session = session.ort
        self.device = session.device
        self.device_note = session.note
        meta = self._session.get_modelmeta()
        inputs = {i.name: i.shape for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        self.info: GeneratorInfo = parse_generator_metadata(self.path, dict(meta.custom_metadata_map), inputs, outputs)

    @property
    def name(self) -> str:
        return self.info.name

    def __repr__(self) -> str:
        i = self.info
        return f"GeneratorModel({self.path.name!r}, {i.resolution}px, {len(i.classes)} classes, on {self.device})"

    # Latents ---------------------------------------------------------------------------------

    def z_for_seeds(self, seeds: Sequence[int]) -> np.ndarray:
        z = np.zeros((len(seeds), self.info.latent_dim), np.float32)
        for i, seed in enumerate(seeds):
            z[i] = z_for_seed(int(seed), self.info.latent_dim)
        return z

    def class_index(self, name_or_index: str | int) -> int:
        """A class by name or number; a clear message listing the classes otherwise."""
        classes = self.info.classes
        if not classes:
            raise ModelError(f"{self.path.name} is not class-conditional; it takes no class")
        if isinstance(name_or_index, str) and name_or_index in classes:
            return classes.index(name_or_index)
        try:
            index = int(name_or_index)
        except ValueError:
            index = -1
        if 0 <= index < len(classes):
            return index
        raise ModelError(f"{self.path.name} has no class {name_or_index!r}; its classes are: {', '.join(classes)}")

    # Generation ------------------------------------------------------------------------------

    def run(
        self,
        z: np.ndarray,
        *,
        psi: float | np.ndarray = 1.0,
        class_index: int | np.ndarray | None = None,
        w_offset: np.ndarray | None = None,
    ) -> Generated:
        """One batch through the graph. psi, class_index and w_offset broadcast over the batch."""
        z = np.ascontiguousarray(z, np.float32).reshape(-1, self.info.latent_dim)
        n = len(z)
        offset = np.zeros((n, self.info.w_dim), np.float32) if w_offset is None else w_offset
        feeds = {
            "z": z,
            "psi": np.broadcast_to(np.asarray(psi, np.float32), (n,)).copy(),
            "w_offset": np.broadcast_to(np.asarray(offset, np.float32), (n, self.info.w_dim)).copy(),
        }
        if self.info.conditional:
            if class_index is None:
                raise ModelError(f"{self.path.name} is class-conditional: choose one of {', '.join(self.info.classes)}")
            feeds["class_index"] = np.broadcast_to(np.asarray(class_index, np.int64), (n,)).copy()
        image, w = self._session.run(["image", "w"], feeds)
        pixels = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
        return Generated(np.ascontiguousarray(pixels), w)

    def images(self, z: np.ndarray, **kwargs) -> np.ndarray:
        """uint8 [N, H, W, 3] for latents z (see run() for the options)."""
        return self.run(z, **kwargs).images

    def images_for_seeds(self, seeds: Sequence[int], **kwargs) -> np.ndarray:
        return self.run(self.z_for_seeds(seeds), **kwargs).images

    def w(self, z: np.ndarray, *, psi: float | np.ndarray = 1.0, class_index: int | np.ndarray | None = None) -> np.ndarray:
        return self.run(z, psi=psi, class_index=class_index).w

    def batches_for_seeds(
        self,
        seeds: Sequence[int],
        *,
        batch_size: int = 32,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        **kwargs,
    ) -> Iterator[tuple[Sequence[int], np.ndarray]]:
        """(seeds, images) a batch at a time, so thousands of images need one batch of memory."""
        for start in range(0, len(seeds), batch_size):
            if cancelled is not None and cancelled():
                return
            chunk = seeds[start : start + batch_size]
            yield chunk, self.images_for_seeds(chunk, **kwargs)
            if progress is not None:
                progress(min(start + batch_size, len(seeds)), len(seeds))
