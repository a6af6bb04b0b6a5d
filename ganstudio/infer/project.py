"""Find a picture in a model ("project"): its encoder (NAME.encoder.onnx beside NAME.onnx, made by
`ganstudio export RUN --with-encoder`) guesses the w whose picture matches it. No torch.

A w is drawn by the generator graph as it is, with psi 0 (which gives w_avg) and the offset
w - w_avg: every Explore tool that works on offsets then works on a projected picture too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganstudio.infer.decode import ImageDecodeError, decode_image
from ganstudio.infer.errors import ModelError
from ganstudio.infer.fingerprint import file_sha256
from ganstudio.infer.generator import GeneratorModel
from ganstudio.infer.metadata import check_encoder_metadata
from ganstudio.infer.session import Device, open_session

ENCODER_SUFFIX = ".encoder.onnx"


def encoder_path(model: str | os.PathLike) -> Path:
    model = Path(model)
    return model.with_name(model.stem + ENCODER_SUFFIX)


class PictureError(ModelError):
    """A picture that cannot be brought into a model: the file and why."""


def load_picture(path: str | os.PathLike, resolution: int) -> np.ndarray:
    """uint8 [R, R, 3]: the file decoded, converted and resized as training pictures are."""
    try:
        return decode_image(Path(path), resolution)
    except ImageDecodeError as e:
        raise PictureError(f"{path}: {e.reason}") from None


class EncoderModel:
    """The encoder of `generator`, checked to be made for that very file."""

    def __init__(self, generator: GeneratorModel, path: str | os.PathLike | None = None, device: Device = "auto",
                 threads: int | None = None) -> None:
        self.generator = generator
        self.path = Path(path) if path is not None else encoder_path(generator.path)
        if not self.path.is_file():
            raise ModelError(f"{generator.path.name} has no encoder ({self.path.name} is not beside it): add one with "
                             f"`ganstudio export RUN --with-encoder`, or with Add an encoder on the Explore page of GAN Studio")
        self._session = open_session(self.path, device, threads).ort
        props = dict(self._session.get_modelmeta().custom_metadata_map)
        check_encoder_metadata(self.path, props, generator.path, generator.info, file_sha256(generator.path))
        self.summary = props

    def encode(self, pictures: np.ndarray) -> np.ndarray:
        """uint8 [N, R, R, 3] -> w float32 [N, w_dim]."""
        x = np.ascontiguousarray(np.asarray(pictures).transpose(0, 3, 1, 2), np.float32) / 255.0
        return self._session.run(["w"], {"image": x})[0]


def w_avg(generator: GeneratorModel) -> np.ndarray:
    """The model's average w: what psi 0 gives for any seed (seed 0 here; an all-zero z would be
    normalised by its zero length)."""
    info = generator.info
    return generator.run(generator.z_for_seeds([0]), psi=0.0, class_index=0 if info.conditional else None).w[0]


def render_w(generator: GeneratorModel, w: np.ndarray, average: np.ndarray | None = None) -> np.ndarray:
    """uint8 [N, R, R, 3] for w [N, w_dim]: seed 0 at psi 0 with the offset w - w_avg."""
    info = generator.info
    w = np.asarray(w, np.float32).reshape(-1, info.w_dim)
    average = w_avg(generator) if average is None else average
    z = np.repeat(generator.z_for_seeds([0]), len(w), axis=0)
    return generator.images(z, psi=0.0, class_index=0 if info.conditional else None, w_offset=w - average)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Of two uint8 pictures, in dB."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 100.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two uint8 [H, W, 3] pictures (Wang et al. 2004: 7x7 uniform windows,
    the usual constants, averaged over the channels and the picture)."""
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def mean7(v: np.ndarray) -> np.ndarray:
        s = np.cumsum(np.cumsum(np.pad(v, ((1, 0), (1, 0), (0, 0))), 0), 1)
        return (s[7:, 7:] - s[:-7, 7:] - s[7:, :-7] + s[:-7, :-7]) / 49.0

    mx, my = mean7(x), mean7(y)
    vx, vy, cov = mean7(x * x) - mx**2, mean7(y * y) - my**2, mean7(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


@dataclass(frozen=True)
class Projection:
    target: np.ndarray  # uint8 [R, R, 3]: the picture as the model sees it
    w: np.ndarray  # float32 [w_dim]
    image: np.ndarray  # uint8 [R, R, 3]: the model's picture for w
    psnr: float
    ssim: float
    seconds: float

    @property
    def similarity(self) -> str:
        return f"PSNR {self.psnr:.1f} dB, SSIM {self.ssim:.2f}"


def project(encoder: EncoderModel, target: np.ndarray) -> Projection:
    """The encoder's w for `target` (uint8 [R, R, 3]) and how well the model's picture matches it."""
    start = time.perf_counter()
    return projection_of(encoder.generator, target, encoder.encode(target[None])[0], start=start)


def projection_of(generator: GeneratorModel, target: np.ndarray, w: np.ndarray, seconds: float = 0.0,
                  start: float | None = None) -> Projection:
    """w's picture and how well it matches `target`; `seconds` spent finding w before, plus the time since `start`."""
    image = render_w(generator, w)[0]
    spent = seconds + (time.perf_counter() - start if start is not None else 0.0)
    return Projection(target, np.asarray(w, np.float32), image, psnr(image, target), ssim(image, target), spent)
