"""The metadata of an exported model (DESIGN.md, "ONNX interface"): keys, parsing and checks.

The exporter in the core writes these keys and this module reads them: one owner for both sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.infer.errors import ModelError
from ganstudio.infer.training_index import REPORT_KEY, CopyReport

FORMAT_VERSION = 1
FORMAT_KEY = "ganstudio.format"
KIND_KEY = "ganstudio.kind"
GENERATOR_KEYS = ("latent_dim", "w_dim", "resolution", "classes", "directions")
SUMMARY_KEYS = ("name", "images_seen", "dataset_name", "dataset_size", "date", "ganstudio_version", "checkpoint_step", "precision")
GENERATOR_INPUTS = ("z", "psi", "w_offset")
GENERATOR_OUTPUTS = ("image", "w")


@dataclass(frozen=True)
class Directions:
    """Principal directions of w (GANSpace): unit vectors [K, w_dim], best first, and the standard
    deviation of w along each, so that a slider of +-2 spans the usual range; `effects` says in
    words what + does to the pictures ("brighter"; "" where no word fits, () for models exported
    before it was measured)."""

    vectors: np.ndarray
    std: np.ndarray
    effects: tuple[str, ...] = ()

    def effect(self, k: int) -> str:
        return self.effects[k] if k < len(self.effects) else ""

    def __len__(self) -> int:
        return len(self.vectors)

    def offset(self, amounts: dict[int, float] | np.ndarray) -> np.ndarray:
        """w offset for `amounts` in standard deviations, per direction index."""
        coeffs = np.zeros(len(self), np.float32)
        items = amounts.items() if isinstance(amounts, dict) else enumerate(amounts)
        for k, amount in items:
            coeffs[k] = amount
        return (coeffs * self.std) @ self.vectors

    def to_json(self) -> str:
        return json.dumps(
            {"vectors": np.round(self.vectors, 6).tolist(), "std": np.round(self.std, 6).tolist(), "effects": list(self.effects)},
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class GeneratorInfo:
    latent_dim: int
    w_dim: int
    resolution: int
    classes: tuple[str, ...]
    directions: Directions
    summary: dict[str, str] = field(default_factory=dict)
    copies: CopyReport | None = None  # measured at export (training_index.py); None for older models

    @property
    def name(self) -> str:
        return self.summary.get("name", "generator")

    @property
    def conditional(self) -> bool:
        return bool(self.classes)


def generator_metadata(
    latent_dim: int, w_dim: int, resolution: int, classes: list[str], directions: Directions, summary: dict[str, Any]
) -> dict[str, str]:
    """The metadata_props of an exported generator, all strings as ONNX wants them."""
    props = {
        FORMAT_KEY: str(FORMAT_VERSION),
        KIND_KEY: "generator",
        "latent_dim": str(latent_dim),
        "w_dim": str(w_dim),
        "resolution": str(resolution),
        "classes": json.dumps(list(classes)),
        "directions": directions.to_json(),
    }
    props.update({k: str(v) for k, v in summary.items()})
    return props


def parse_generator_metadata(path: Path, props: dict[str, str], inputs: dict[str, list], outputs: list[str]) -> GeneratorInfo:
    """Check that the model at `path` is a GAN Studio generator this version can run."""
    kind = props.get(KIND_KEY)
    if kind is None:
        raise ModelError(
            f"{path} is not a GAN Studio generator: it has no '{KIND_KEY}' metadata. Export one from a training "
            "run with `ganstudio export RUN`."
        )
    if kind != "generator":
        raise ModelError(f"{path} is a GAN Studio {kind}, not a generator")
    try:
        version = int(props.get(FORMAT_KEY, ""))
    except ValueError:
        raise ModelError(f"{path} has an unreadable '{FORMAT_KEY}' ({props.get(FORMAT_KEY)!r})") from None
    if version > FORMAT_VERSION:
        raise ModelError(f"{path} uses model format {version}; this GAN Studio reads up to {FORMAT_VERSION}: update GAN Studio")
    missing = [k for k in GENERATOR_KEYS if k not in props]
    if missing:
        raise ModelError(f"{path} lacks the metadata {', '.join(missing)}; re-export it with `ganstudio export`")
    try:
        latent_dim, w_dim, resolution = int(props["latent_dim"]), int(props["w_dim"]), int(props["resolution"])
        classes = tuple(str(c) for c in json.loads(props["classes"]))
        raw = json.loads(props["directions"])
        directions = Directions(
            np.asarray(raw["vectors"], np.float32).reshape(-1, w_dim),
            np.asarray(raw["std"], np.float32).reshape(-1),
            tuple(str(e) for e in raw.get("effects", ())),
        )
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{path} has malformed metadata ({e}); re-export it with `ganstudio export`") from None
    if len(directions.vectors) != len(directions.std):
        raise ModelError(f"{path} has malformed metadata (directions and their spreads differ in number)")
    expected_inputs = GENERATOR_INPUTS + (("class_index",) if classes else ())
    lacking = [n for n in expected_inputs if n not in inputs] + [n for n in GENERATOR_OUTPUTS if n not in outputs]
    if lacking:
        raise ModelError(f"{path} says it is a generator but lacks the inputs/outputs {', '.join(lacking)}")
    if inputs["z"][-1] != latent_dim:
        raise ModelError(f"{path}: input z has size {inputs['z'][-1]} but the metadata says latent_dim {latent_dim}")
    summary = {k: props[k] for k in SUMMARY_KEYS if k in props}
    try:
        copies = CopyReport.from_json(props[REPORT_KEY]) if REPORT_KEY in props else None
    except (ValueError, KeyError, TypeError):
        copies = None  # an unreadable report only loses the report, not the model
    return GeneratorInfo(latent_dim, w_dim, resolution, classes, directions, summary, copies)


# Upscalers ------------------------------------------------------------------------------------

UPSCALER_KEYS = ("scale",)
UPSCALER_SCALES = (2, 4)  # what train-upscaler and the built-in models make; foreign models may differ


def upscaler_metadata(scale: int, summary: dict[str, Any]) -> dict[str, str]:
    """The metadata_props of an exported upscaler (input `image` [N, 3, h, w], output [N, 3, s*h, s*w])."""
    props = {FORMAT_KEY: str(FORMAT_VERSION), KIND_KEY: "upscaler", "scale": str(int(scale))}
    props.update({k: str(v) for k, v in summary.items()})
    return props


def declared_scale(path: Path, props: dict[str, str]) -> int | None:
    """The scale a GAN Studio upscaler declares, None for a model made elsewhere (to be probed)."""
    kind = props.get(KIND_KEY)
    if kind is None:
        return None
    if kind != "upscaler":
        raise ModelError(f"{path} is a GAN Studio {kind}, not an upscaler: open it on the Explore page or with `ganstudio generate`")
    try:
        version, scale = int(props.get(FORMAT_KEY, "")), int(props.get("scale", ""))
    except ValueError:
        raise ModelError(f"{path} has unreadable upscaler metadata (format {props.get(FORMAT_KEY)!r}, scale {props.get('scale')!r})") from None
    if version > FORMAT_VERSION:
        raise ModelError(f"{path} uses model format {version}; this GAN Studio reads up to {FORMAT_VERSION}: update GAN Studio")
    if not 1 <= scale <= 16:
        raise ModelError(f"{path} declares an impossible scale {scale}")
    return scale


# Encoders ------------------------------------------------------------------------------------

ENCODER_KEYS = ("resolution", "w_dim", "generator_sha256")


def encoder_metadata(resolution: int, w_dim: int, generator_sha256: str, summary: dict[str, Any]) -> dict[str, str]:
    """The metadata_props of an encoder (input `image` [N, 3, R, R] in [0, 1], output `w` [N, w_dim])
    made for the generator whose .onnx file has the sha256 `generator_sha256`."""
    props = {FORMAT_KEY: str(FORMAT_VERSION), KIND_KEY: "encoder", "resolution": str(resolution), "w_dim": str(w_dim),
             "generator_sha256": generator_sha256}
    props.update({k: str(v) for k, v in summary.items()})
    return props


def check_encoder_metadata(path: Path, props: dict[str, str], generator: Path, info: GeneratorInfo, generator_sha256: str) -> None:
    """Raise ModelError unless the encoder at `path` is one for the generator at `generator`."""
    kind = props.get(KIND_KEY)
    if kind != "encoder":
        raise ModelError(f"{path} is not a GAN Studio encoder" + (f" (it is a {kind})" if kind else ""))
    try:
        version = int(props.get(FORMAT_KEY, ""))
        resolution, w_dim = int(props["resolution"]), int(props["w_dim"])
    except (ValueError, KeyError):
        raise ModelError(f"{path} has unreadable encoder metadata; export the run again with --with-encoder") from None
    if version > FORMAT_VERSION:
        raise ModelError(f"{path} uses model format {version}; this GAN Studio reads up to {FORMAT_VERSION}: update GAN Studio")
    if props.get("generator_sha256") != generator_sha256:
        raise ModelError(f"{path.name} is the encoder of another model, not of {generator.name}: export the run again "
                         f"with `ganstudio export RUN --with-encoder` to make a matching one")
    if (resolution, w_dim) != (info.resolution, info.w_dim):
        raise ModelError(f"{path} encodes {resolution} px pictures into w of size {w_dim}; {generator.name} has "
                         f"{info.resolution} px and {info.w_dim}")
