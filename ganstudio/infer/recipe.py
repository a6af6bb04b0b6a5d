"""How one explored image is made (seed, truncation, class, direction amounts, extra offset), as
plain data: the Explore page edits it, the PNG text chunks store it, and reopening a PNG gives it
back exactly. Also the variations ring around an image. No torch, no Qt."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ganstudio.infer.errors import ModelError
from ganstudio.infer.generator import z_for_seed
from ganstudio.infer.images import ImageInfo
from ganstudio.infer.metadata import Directions, GeneratorInfo


@dataclass(frozen=True)
class Recipe:
    """One image: `seed`'s z, truncation `psi`, `class_index` (conditional models), and a w offset.

    The offset is `base + directions.offset(amounts - anchor)`. `amounts` are the direction sliders
    (standard deviations per principal direction). `base` is an offset that came from elsewhere (a
    variation, a reopened PNG) and `anchor` the slider amounts it already holds, so that sliders
    left where they were give back exactly the stored offset, bit for bit."""

    seed: int
    psi: float = 1.0
    class_index: int | None = None
    amounts: tuple[float, ...] = ()
    base: tuple[float, ...] | None = None
    anchor: tuple[float, ...] = ()
    note: str = field(default="", compare=False)  # e.g. "variation 3": for labels only

    def z(self, latent_dim: int) -> np.ndarray:
        return z_for_seed(self.seed, latent_dim)

    def w_offset(self, info: GeneratorInfo) -> np.ndarray:
        offset = np.zeros(info.w_dim, np.float32) if self.base is None else np.asarray(self.base, np.float32)
        delta = _padded(self.amounts, len(info.directions)) - _padded(self.anchor, len(info.directions))
        if np.any(delta):
            offset = offset + info.directions.offset(delta)
        return offset.astype(np.float32)

    def has_offset(self, info: GeneratorInfo) -> bool:
        return bool(np.any(self.w_offset(info)))

    def with_amounts(self, amounts: tuple[float, ...]) -> Recipe:
        return dataclasses.replace(self, amounts=tuple(float(a) for a in amounts))

    def with_offset(self, info: GeneratorInfo, offset: np.ndarray, note: str = "") -> Recipe:
        """The same image with this exact w offset; the sliders keep their positions."""
        return dataclasses.replace(
            self, base=tuple(float(v) for v in np.asarray(offset, np.float32)), anchor=self.amounts, note=note
        )

    def plain(self) -> Recipe:
        """The seed alone: same psi and class, no offsets."""
        return dataclasses.replace(self, amounts=(), base=None, anchor=(), note="")

    def to_dict(self) -> dict:
        """Plain JSON-able data (the favourites kept between sessions)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Recipe:
        """Back from to_dict(); raises KeyError, TypeError or ValueError on data that is not a recipe."""
        base = data.get("base")
        class_index = data.get("class_index")
        return cls(
            int(data["seed"]), float(data.get("psi", 1.0)), None if class_index is None else int(class_index),
            tuple(float(a) for a in data.get("amounts", ())), None if base is None else tuple(float(v) for v in base),
            tuple(float(a) for a in data.get("anchor", ())), str(data.get("note", "")),
        )

    def fits(self, info: GeneratorInfo) -> bool:
        """Whether this model can make the image (its class and offset sizes match)."""
        if (self.class_index is None) == bool(info.classes):
            return False
        if self.class_index is not None and not 0 <= self.class_index < len(info.classes):
            return False
        return self.base is None or len(self.base) == info.w_dim

    def label(self) -> str:
        return f"seed {self.seed}" + (f" · {self.note}" if self.note else "")

    def image_info(self, info: GeneratorInfo) -> ImageInfo:
        """What goes into the PNG: the offset only when there is one."""
        offset = self.w_offset(info)
        class_name = info.classes[self.class_index] if self.class_index is not None and info.classes else None
        return ImageInfo(
            info.name, self.seed, float(self.psi), class_name,
            [float(v) for v in offset] if np.any(offset) else None,
        )

    @classmethod
    def from_image_info(cls, image: ImageInfo, info: GeneratorInfo, source: str) -> Recipe:
        """The recipe stored in a PNG, checked against the open model; sliders show the stored offset's
        share along each direction, and the offset itself is restored exactly."""
        if image.seed is None:
            raise ModelError(f"{source} was not made from a seed (a walk or interpolation frame), so it cannot be reopened")
        class_index = None
        if info.classes:
            if image.class_name not in info.classes:
                raise ModelError(
                    f"{source} is of class {image.class_name!r}, which this model does not have "
                    f"(its classes: {', '.join(info.classes)})"
                )
            class_index = info.classes.index(image.class_name)
        if image.w_offset is None:
            return cls(image.seed, image.psi, class_index)
        if len(image.w_offset) != info.w_dim:
            raise ModelError(f"{source} holds an offset of size {len(image.w_offset)}, but this model's w has size {info.w_dim}")
        offset = np.asarray(image.w_offset, np.float32)
        amounts = tuple(float(a) for a in project(info.directions, offset))
        return cls(image.seed, image.psi, class_index, amounts, tuple(float(v) for v in offset), amounts)


def project(directions: Directions, offset: np.ndarray) -> np.ndarray:
    """How many standard deviations of each direction `offset` holds (the directions are orthonormal)."""
    if len(directions) == 0:
        return np.zeros(0, np.float32)
    std = np.where(directions.std > 0, directions.std, 1.0)
    return ((directions.vectors @ np.asarray(offset, np.float32)) / std).astype(np.float32)


def _padded(values: tuple[float, ...], size: int) -> np.ndarray:
    out = np.zeros(size, np.float32)
    out[: min(size, len(values))] = values[:size]
    return out


def variation_offsets(directions: Directions, count: int, spread: float, key: int = 0, w_dim: int | None = None) -> np.ndarray:
    """`count` w offsets [count, w_dim], all `spread` standard deviations (per direction, on average)
    away from the image: a ring around it in the subspace of the principal directions, each at its
    own random angle from a stream of its own (so the same key gives the same ring).

    Models without stored directions get isotropic offsets of the same length in w."""
    rng = np.random.default_rng([key, count, 7])
    if len(directions):
        coeffs = rng.standard_normal((count, len(directions))).astype(np.float32)
        coeffs *= np.float32(spread * np.sqrt(len(directions))) / np.maximum(np.linalg.norm(coeffs, axis=1, keepdims=True), 1e-12)
        return ((coeffs * directions.std) @ directions.vectors).astype(np.float32)
    if w_dim is None:
        raise ValueError("w_dim is needed for a model without directions")
    noise = rng.standard_normal((count, w_dim)).astype(np.float32)
    return noise * np.float32(spread) / np.maximum(np.linalg.norm(noise, axis=1, keepdims=True), 1e-12) * np.float32(np.sqrt(w_dim))
