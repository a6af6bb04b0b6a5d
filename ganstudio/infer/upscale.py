"""Single-image super-resolution with any ONNX upscaler, tiled so that big images fit in memory.

GAN Studio's own upscalers say their scale in the metadata; one made elsewhere (an ESRGAN-family
export, say) is probed: its layout from the input's shape (NCHW if dim 1 <= 4, NHWC if dim 3 <= 4),
its precision from the input's type, and its scale by running 16/32/64 px inputs and dividing the
output's size by the input's -- never from the file name (chaiNNer #918 took an x8 for an x4).

Tiles overlap and are blended with feathered weights (linear ramps on the sides that have a
neighbour, normalised by their sum), so that seams vanish and a model without receptive-field
effects gives the same pixels tiled as untiled. No torch here.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.errors import Cancelled, GanStudioError
from ganstudio.infer.errors import ModelError, NotAnUpscalerError
from ganstudio.infer.metadata import declared_scale
from ganstudio.infer.session import Device, open_session

Progress = Callable[[int, int], None]  # (done, total)
PROBE_SIZES = (16, 32, 64)
MIN_TILE = 32
MAX_TILE = 1024
DEFAULT_OVERLAP = 32  # input pixels shared by neighbouring tiles; a compact net sees ~10 px around
_ALLOCATION_FAILURE = re.compile(r"alloc|out of memory|bad_alloc|cannot allocate", re.IGNORECASE)


@dataclass(frozen=True)
class UpscalerInfo:
    scale: int
    layout: str  # "NCHW" or "NHWC"
    channels: int  # 1, 3 or 4: what the model takes per pixel
    dtype: str  # "float32" or "float16"
    fixed_size: tuple[int, int] | None  # (h, w) when the model takes only one spatial size
    name: str
    ganstudio: bool  # made by GAN Studio (metadata) rather than probed


class Upscaler:
    """An ONNX super-resolution model: uint8 images in, uint8 images `scale` times larger out."""

    def __init__(self, path: str | os.PathLike, device: Device = "auto", threads: int | None = None, *, name: str | None = None) -> None:
        self.path = Path(path)
        session = open_session(self.path, device, threads)
        self._session = session.ort
        self.device, self.device_note = session.device, session.note
        props = dict(self._session.get_modelmeta().custom_metadata_map)
        scale = declared_scale(self.path, props)
        layout, channels, dtype, fixed = self._inspect()
        self._input = self._session.get_inputs()[0].name
        self._np_dtype = np.float16 if dtype == "float16" else np.float32
        self.info = UpscalerInfo(
            scale=scale or 0, layout=layout, channels=channels, dtype=dtype, fixed_size=fixed,
            name=name or props.get("name") or self.path.stem, ganstudio=scale is not None,
        )
        if scale is None:  # made elsewhere: find out by running it
            self.info = dataclasses.replace(self.info, scale=self._probe_scale())

    @property
    def scale(self) -> int:
        return self.info.scale

    @property
    def name(self) -> str:
        return self.info.name

    def __repr__(self) -> str:
        return f"Upscaler({self.path.name!r}, x{self.scale}, {self.info.layout} {self.info.dtype}, on {self.device})"

    # ---- what kind of model is this -----------------------------------------------------------

    def _not_upscaler(self, why: str) -> NotAnUpscalerError:
        return NotAnUpscalerError(
            f"{self.path} is not an image upscaler ({why}). An upscaler takes one image [N, 3, h, w] and "
            "returns one image [N, 3, s*h, s*w]; GAN generators open on the Explore page instead."
        )

    def _inspect(self) -> tuple[str, int, str, tuple[int, int] | None]:
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1:
            raise self._not_upscaler(f"it has {len(inputs)} inputs: {', '.join(i.name for i in inputs)}")
        if len(outputs) != 1:
            raise self._not_upscaler(f"it has {len(outputs)} outputs: {', '.join(o.name for o in outputs)}")
        shape, kind = inputs[0].shape, inputs[0].type
        dtype = {"tensor(float)": "float32", "tensor(float16)": "float16"}.get(kind)
        if dtype is None:
            raise self._not_upscaler(f"its input is {kind}, not a float image")
        if len(shape) != 4 or len(outputs[0].shape) != 4:
            raise self._not_upscaler(f"its input has shape {shape} and its output {outputs[0].shape}, not images")
        small = lambda d: isinstance(d, int) and 1 <= d <= 4  # noqa: E731
        if small(shape[1]):
            layout, channels, spatial = "NCHW", shape[1], (shape[2], shape[3])
        elif small(shape[3]):
            layout, channels, spatial = "NHWC", shape[3], (shape[1], shape[2])
        elif not isinstance(shape[1], int):  # fully dynamic: the usual NCHW
            layout, channels, spatial = "NCHW", 3, (shape[2], shape[3])
        else:
            raise self._not_upscaler(f"its input shape {shape} has no colour axis of 1-4 channels")
        if channels == 2:
            raise self._not_upscaler("its input has 2 channels")
        fixed = tuple(spatial) if all(isinstance(d, int) and d > 0 for d in spatial) else None
        return layout, channels, dtype, fixed

    def _probe_scale(self) -> int:
        """Run small inputs and divide: every probe must agree on one whole scale, the same in x and y."""
        sizes = [self.info.fixed_size] if self.info.fixed_size else [(s, s) for s in PROBE_SIZES]
        scales = set()
        for h, w in sizes:
            try:
                out = self._forward(np.full((h, w, self.info.channels), 0.5, np.float32))
            except Exception as e:  # noqa: BLE001 - onnxruntime's errors are untyped
                raise self._not_upscaler(f"it fails on a {w}x{h} image: {_first_line(e)}") from None
            oh, ow = out.shape[:2]
            if oh % h or ow % w or oh // h != ow // w or oh < h:
                raise self._not_upscaler(f"a {w}x{h} image came out {ow}x{oh}, not a whole multiple")
            if out.shape[2] not in (1, 3, 4):
                raise self._not_upscaler(f"its output has {out.shape[2]} channels")
            scales.add(oh // h)
        if len(scales) != 1:
            raise self._not_upscaler(f"its scale changes with the input size ({sorted(scales)})")
        return scales.pop()

    # ---- running ------------------------------------------------------------------------------

    def _forward(self, tile: np.ndarray) -> np.ndarray:
        """float32 [h, w, C] in [0, 1] -> float32 [s*h, s*w, C'] through the model, as it is."""
        x = tile[None].astype(self._np_dtype)
        if self.info.layout == "NCHW":
            x = x.transpose(0, 3, 1, 2)
        y = self._session.run(None, {self._input: np.ascontiguousarray(x)})[0]
        y = np.asarray(y, np.float32)
        if y.ndim != 4:
            raise self._not_upscaler(f"its output has shape {y.shape}")
        return y[0].transpose(1, 2, 0) if self.info.layout == "NCHW" else y[0]

    def _run_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """float32 [h, w, 3] -> float32 [s*h, s*w, 3], fitting the model's channels and fixed size."""
        c = self.info.channels
        if c == 3:
            x = rgb
        elif c == 4:
            x = np.concatenate([rgb, np.ones_like(rgb[..., :1])], axis=2)
        else:  # one channel at a time
            return np.concatenate([self._run_rgb_fixed(rgb[..., i : i + 1]) for i in range(3)], axis=2)
        return self._run_rgb_fixed(x)[..., :3]

    def _run_rgb_fixed(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[:2]
        fixed = self.info.fixed_size
        if fixed and (h, w) != fixed:  # a tile smaller than the model's one size: pad by reflection
            ph, pw = fixed[0] - h, fixed[1] - w
            x = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="reflect" if min(h, w) > max(ph, pw) else "edge")
        y = self._forward(x)
        if y.shape[2] == 1 and x.shape[2] > 1:
            y = np.repeat(y, x.shape[2], axis=2)
        s = self.scale
        return y[: h * s, : w * s]

    def upscale(
        self,
        image: np.ndarray,
        *,
        tile: int | None = None,
        overlap: int = DEFAULT_OVERLAP,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        """uint8 [H, W, 3|4] (or [H, W]) -> uint8 [s*H, s*W, same channels]. `tile` is the tile side in
        input pixels (0: the whole image at once; None: chosen from free memory). Alpha is resized
        (bicubic), not run through the model. Out of memory on a tile retries with tiles half as big."""
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[..., None].repeat(3, axis=2)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"expected uint8 [H, W, 3|4], got {image.dtype} {image.shape}")
        rgb = image[..., :3].astype(np.float32) / 255.0
        if self.info.fixed_size:
            size = min(self.info.fixed_size)
        elif tile == 0:
            size = max(rgb.shape[:2])
        else:
            size = tile or auto_tile_size(self.scale)
        size = max(MIN_TILE, size) if not self.info.fixed_size else size
        while True:
            try:
                out = tiled(self._run_rgb, rgb, self.scale, size, overlap, progress, cancelled)
                break
            except Exception as e:  # noqa: BLE001 - onnxruntime reports allocation failures untyped
                if not _from_onnxruntime(e):
                    raise  # Cancelled, or a caller's progress callback stopping the work
                if not (isinstance(e, MemoryError) or _ALLOCATION_FAILURE.search(str(e))):
                    raise ModelError(f"{self.path.name} failed on a {size}px tile: {_first_line(e)}") from None
                if self.info.fixed_size or size // 2 < MIN_TILE:
                    raise ModelError(f"{self.path.name} ran out of memory even on {size}px tiles") from None
                size //= 2
        out *= 255.0
        out += 0.5
        np.clip(out, 0, 255, out=out)
        result = out.astype(np.uint8)
        del out
        if image.shape[2] == 4:
            h, w = result.shape[:2]
            alpha = Image.fromarray(image[..., 3]).resize((w, h), Image.Resampling.BICUBIC)
            result = np.concatenate([result, np.asarray(alpha)[..., None]], axis=2)
        return result


def auto_tile_size(scale: int, available: int | None = None) -> int:
    """The tile side (input px) whose working memory fits a quarter of the free memory: a compact
    net keeps ~3 feature maps of 64 float channels per input pixel, plus the output and blend buffers."""
    available = available if available is not None else _available_memory()
    per_pixel = 3 * 64 * 4 + scale * scale * 3 * 4 * 4
    side = int((available / 4 / per_pixel) ** 0.5)
    return int(max(MIN_TILE, min(MAX_TILE, side // 32 * 32)))


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2 << 30


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Where tiles begin along one axis: as few as cover `length` with at least `overlap` shared, spread evenly."""
    if length <= tile:
        return [0]
    overlap = min(overlap, tile // 2)
    n = -(-(length - overlap) // (tile - overlap))
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def _ramp(length: int, start: int, end: int, total: int, feather: int) -> np.ndarray:
    """Weights along one axis of a tile: 1 inside; on a side with a neighbour, 0 for the outer quarter
    of the overlap (where the tile's edge shows in a model's receptive field) and a linear rise over
    the middle half, which with the neighbour's mirror-image ramp adds up to 1."""
    w = np.ones(length, np.float32)
    f = min(feather, length // 2)
    if f > 0:
        d = np.arange(f, dtype=np.float32) + 0.5
        ramp = np.clip((d - f / 4) / (f / 2), 0.0, 1.0)
        if start > 0:
            w[:f] = np.minimum(w[:f], ramp)
        if end < total:
            w[length - f :] = np.minimum(w[length - f :], ramp[::-1])
    return w


def tiled(
    run: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    scale: int,
    tile: int,
    overlap: int = DEFAULT_OVERLAP,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Apply `run` (float [h, w, C] -> [s*h, s*w, C]) tile by tile and blend: float32 [s*H, s*W, C]."""
    h, w, c = image.shape
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    total = len(ys) * len(xs)
    if total == 1:
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        out = run(image)
        if progress is not None:
            progress(1, 1)
        return out
    out = np.zeros((h * scale, w * scale, c), np.float32)
    weight = np.zeros((h * scale, w * scale, 1), np.float32)
    feather = min(overlap, tile // 2) * scale
    done = 0
    for y in ys:
        for x in xs:
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled")
            y1, x1 = min(y + tile, h), min(x + tile, w)
            part = run(image[y:y1, x:x1])
            oy, ox, oh, ow = y * scale, x * scale, (y1 - y) * scale, (x1 - x) * scale
            wy = _ramp(oh, oy, oy + oh, h * scale, feather)
            wx = _ramp(ow, ox, ox + ow, w * scale, feather)
            mask = (wy[:, None] * wx[None, :])[..., None]
            out[oy : oy + oh, ox : ox + ow] += part[:oh, :ow] * mask
            weight[oy : oy + oh, ox : ox + ow] += mask
            done += 1
            if progress is not None:
                progress(done, total)
    np.maximum(weight, 1e-8, out=weight)
    out /= weight  # in place: at 4096 px the output buffers are what big images spend memory on
    return out


def _from_onnxruntime(error: Exception) -> bool:
    return isinstance(error, (MemoryError, RuntimeError)) or type(error).__module__.startswith("onnxruntime")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text.splitlines()[0] if text else type(error).__name__)
    return text[:300]
