"""Interpolations and walks as frames, written as GIF (Pillow) or MP4 (PyAV's bundled FFmpeg, so no
system ffmpeg is needed)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.infer import latent
from ganstudio.infer.atomic import atomic_path
from ganstudio.infer.errors import OutputError
from ganstudio.infer.generator import GeneratorModel

FORMATS = (".gif", ".mp4")


def interpolation_frames(
    model: GeneratorModel,
    keys_z: np.ndarray,
    frames: int,
    *,
    space: str = "z",
    loop: bool = False,
    psi: float = 1.0,
    class_index: int | None = None,
    w_offset: np.ndarray | None = None,
    batch_size: int = 16,
) -> Iterator[np.ndarray]:
    """Frames (uint8 [H, W, 3]) along a path through key latents: slerp in z, or lerp in w.

    w is not an input of the graph, but w_offset is: a frame between keys a and b is key a's z
    with the offset (w_b - w_a) * t, which is exactly lerp(w_a, w_b, t) after truncation.

    w_offset is one offset [w_dim] for every frame, or one per key [K, w_dim] (each key as it was
    edited, with direction sliders or as a variation): then the offsets are lerped along the path too."""
    if space not in ("z", "w"):
        raise ValueError("space must be 'z' or 'w'")
    w_dim = model.info.w_dim
    base_offset = np.zeros(w_dim, np.float32) if w_offset is None else np.asarray(w_offset, np.float32)
    per_key = base_offset.ndim == 2
    if per_key and base_offset.shape != (len(keys_z), w_dim):
        raise ValueError(f"w_offset holds {len(base_offset)} offsets for {len(keys_z)} keys")
    if space == "z":
        zs = latent.path(keys_z, frames, loop=loop, spherical=True)
        if per_key:
            offsets = latent.path(base_offset, frames, loop=loop, spherical=False)
        else:
            offsets = np.broadcast_to(base_offset, (frames, w_dim))
    else:
        keys_w = model.w(keys_z, psi=psi, class_index=class_index)
        ws = latent.path(keys_w + base_offset if per_key else keys_w, frames, loop=loop, spherical=False)
        # Anchor each frame on the nearest key before it, so every frame is that key's z plus a shift.
        anchors = _anchor_indices(len(keys_z), frames, loop)
        zs = np.asarray(keys_z, np.float32)[anchors]
        offsets = ws - keys_w[anchors] + (0 if per_key else base_offset)
    for start in range(0, frames, batch_size):
        batch = model.images(
            zs[start : start + batch_size], psi=psi, class_index=class_index, w_offset=offsets[start : start + batch_size]
        )
        yield from batch


def _anchor_indices(keys: int, frames: int, loop: bool) -> np.ndarray:
    positions = np.arange(frames) * keys / frames if loop else np.linspace(0, keys - 1, frames)
    return np.minimum(positions.astype(int), keys - 1)


def write_animation(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    *,
    fps: float = 24,
    count: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    scale: int = 1,
) -> Path:
    """Write uint8 [H, W, 3] frames as .gif or .mp4, enlarged `scale` times (nearest) if asked.
    Frames are streamed: an MP4 of any length needs one frame of memory."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(f"{path}: can write {' or '.join(FORMATS)} animations, not '{suffix or 'no extension'}'")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: the folder {path.parent} does not exist")
    frames = (_enlarge(f, scale) for f in frames)
    try:
        with atomic_path(path) as tmp:  # a stopped or failed export leaves no half animation
            (_write_gif if suffix == ".gif" else _write_mp4)(tmp, frames, fps, count, progress)
    except OSError as e:
        raise OutputError(f"could not write {path}: {e.strerror or e}") from None
    return path


def _enlarge(frame: np.ndarray, scale: int) -> np.ndarray:
    return frame if scale == 1 else frame.repeat(scale, axis=0).repeat(scale, axis=1)


def _counted(frames: Iterable[np.ndarray], count: int | None, progress) -> Iterator[np.ndarray]:
    for i, frame in enumerate(frames, 1):
        yield frame
        if progress is not None:
            progress(i, count or i)


def _write_gif(path: Path, frames, fps: float, count, progress) -> None:
    # GIF needs all frames for its palette pass; GIFs are short, so that is fine.
    images = [Image.fromarray(f) for f in _counted(frames, count, progress)]
    if not images:
        raise OutputError(f"{path}: no frames to write")
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)


def mp4_available() -> bool:
    """Whether MP4 can be written here: PyAV (FFmpeg, ~100 MB) is left out of the Player."""
    import importlib.util

    return importlib.util.find_spec("av") is not None


def _write_mp4(path: Path, frames, fps: float, count, progress) -> None:
    try:
        import av  # lazily: it loads FFmpeg's libraries
    except ImportError:
        raise OutputError(
            f"{path}: this build writes GIF only (MP4 needs FFmpeg, which the Player leaves out to stay small); "
            "save as .gif, or use GAN Studio for MP4"
        ) from None

    with av.open(str(path), mode="w", format="mp4") as container:
        stream = None
        for frame in _counted(frames, count, progress):
            if stream is None:
                h, w = frame.shape[:2]
                stream = container.add_stream("libx264", rate=round(fps))
                # yuv420p (what every player reads) needs even sides: pad by a pixel if odd.
                stream.width, stream.height = w + w % 2, h + h % 2
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": "18", "preset": "medium"}
            if frame.shape[0] % 2 or frame.shape[1] % 2:
                frame = np.pad(frame, ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise OutputError(f"{path}: no frames to write")
        for packet in stream.encode():
            container.mux(packet)
