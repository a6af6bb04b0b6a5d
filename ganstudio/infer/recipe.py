"""How one explored image is made (seed, truncation, class, direction amounts, extra offset), as
plain data: the Explore page edits it, the PNG text chunks store it, and reopening a PNG gives it
back exactly. Also the variations ring around an image. No torch, no Qt."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ganstudio.infer.errors import ModelError
from ganstudio.infer.generator import GeneratorModel, z_for_seed
from ganstudio.infer.images import ImageInfo
from ganstudio.infer.metadata import Directions, GeneratorInfo


@dataclass(frozen=True)
class Recipe:
    """One image: `seed`'s z, truncation `psi`, `class_index` (conditional models), and a w offset.

    The offset is `base + directions.offset(amounts - anchor)`. `amounts` are the direction sliders
    (standard deviations per principal direction). `base` is an offset that came from elsewhere (a
    variation, a reopened PNG) and `anchor` the slider amounts it already holds, so that sliders
    left where they were give back exactly the stored offset, bit for bit.

    A picture brought into the model (infer/project.py) has no seed: `projected` holds its
    w - w_avg. The graph draws it at psi 0 (w_avg for any seed) with the offset psi x projected plus
    the edits, so that truncation pulls it towards the average as it does a seed's image."""

    seed: int
    psi: float = 1.0
    class_index: int | None = None
    amounts: tuple[float, ...] = ()
    base: tuple[float, ...] | None = None
    anchor: tuple[float, ...] = ()
    note: str = field(default="", compare=False)  # e.g. "variation 3": for labels only
    projected: tuple[float, ...] | None = None

    def z(self, latent_dim: int) -> np.ndarray:
        return z_for_seed(self.seed, latent_dim)

    @property
    def graph_psi(self) -> float:
        """The psi the graph takes (a projected picture's truncation is in its offset)."""
        return 0.0 if self.projected is not None else self.psi

    def graph_offset(self, info: GeneratorInfo, edits: np.ndarray | None = None) -> np.ndarray:
        """The w offset the graph takes: the edits (w_offset(), or `edits` [..., w_dim] in its place)
        and, for a projected picture, its truncated distance from w_avg."""
        offset = self.w_offset(info) if edits is None else np.asarray(edits, np.float32)
        if self.projected is None:
            return offset
        return (offset + np.float32(self.psi) * np.asarray(self.projected, np.float32)).astype(np.float32)

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
        """The seed (or the projected picture) alone: same psi and class, no offsets."""
        return dataclasses.replace(self, amounts=(), base=None, anchor=(), note="")

    def to_dict(self) -> dict:
        """Plain JSON-able data (the favourites kept between sessions)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Recipe:
        """Back from to_dict(); raises KeyError, TypeError or ValueError on data that is not a recipe."""
        base, projected = data.get("base"), data.get("projected")
        class_index = data.get("class_index")
        return cls(
            int(data["seed"]), float(data.get("psi", 1.0)), None if class_index is None else int(class_index),
            tuple(float(a) for a in data.get("amounts", ())), None if base is None else tuple(float(v) for v in base),
            tuple(float(a) for a in data.get("anchor", ())), str(data.get("note", "")),
            None if projected is None else tuple(float(v) for v in projected),
        )

    def fits(self, info: GeneratorInfo) -> bool:
        """Whether this model can make the image (its class and offset sizes match)."""
        if (self.class_index is None) == bool(info.classes):
            return False
        if self.class_index is not None and not 0 <= self.class_index < len(info.classes):
            return False
        return all(v is None or len(v) == info.w_dim for v in (self.base, self.projected))

    @property
    def name(self) -> str:
        return "your picture" if self.projected is not None else f"seed {self.seed}"

    def label(self) -> str:
        return self.name + (f" · {self.note}" if self.note else "")

    def file_stem(self) -> str:
        return "picture" if self.projected is not None else f"seed{self.seed:06d}"

    def image_info(self, info: GeneratorInfo) -> ImageInfo:
        """What goes into the PNG: the offset only when there is one. A projected picture's seed,
        psi and offset are what the graph takes (any reader remakes it), and `projection` what
        Explore needs to edit it again: its w - w_avg, truncation and edits."""
        class_name = info.classes[self.class_index] if self.class_index is not None and info.classes else None
        if self.projected is not None:
            edits = self.w_offset(info)
            projection = {"w": list(map(float, self.projected)), "psi": float(self.psi), "edits": list(map(float, edits))}
            return ImageInfo(info.name, self.seed, 0.0, class_name, [float(v) for v in self.graph_offset(info)], projection)
        offset = self.w_offset(info)
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
        if image.projection is not None:
            w, edits = image.projection["w"], image.projection["edits"]
            if len(w) != info.w_dim or len(edits) != info.w_dim:
                raise ModelError(f"{source} holds a projected picture of size {len(w)}, but this model's w has size {info.w_dim}")
            amounts = tuple(float(a) for a in project(info.directions, np.asarray(edits, np.float32)))
            base = tuple(float(v) for v in edits) if any(edits) else None
            return cls(image.seed, float(image.projection["psi"]), class_index, amounts if base else (), base,
                       amounts if base else (), projected=tuple(float(v) for v in w))
        if image.w_offset is None:
            return cls(image.seed, image.psi, class_index)
        if len(image.w_offset) != info.w_dim:
            raise ModelError(f"{source} holds an offset of size {len(image.w_offset)}, but this model's w has size {info.w_dim}")
        offset = np.asarray(image.w_offset, np.float32)
        amounts = tuple(float(a) for a in project(info.directions, offset))
        return cls(image.seed, image.psi, class_index, amounts, tuple(float(v) for v in offset), amounts)


def projected_recipe(w: np.ndarray, average: np.ndarray, info: GeneratorInfo, psi: float = 1.0, note: str = "") -> Recipe:
    """The recipe of a picture the encoder found at `w` (average: the model's w_avg)."""
    offset = np.asarray(w, np.float32) - np.asarray(average, np.float32)
    return Recipe(0, psi, 0 if info.conditional else None, note=note, projected=tuple(float(v) for v in offset))


def draw(model: GeneratorModel, recipes: Sequence[Recipe]) -> np.ndarray:
    """uint8 [N, R, R, 3]: the images of `recipes`, in one batch."""
    info = model.info
    return model.images(
        np.stack([r.z(info.latent_dim) for r in recipes]),
        psi=np.array([r.graph_psi for r in recipes], np.float32),
        class_index=np.array([r.class_index for r in recipes], np.int64) if info.conditional else None,
        w_offset=np.stack([r.graph_offset(info) for r in recipes]),
    )


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
