"""A built-in dataset made by code, so a newcomer can see training work with no files at hand."""

from __future__ import annotations

import colorsys
import math

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganstudio.core.data.dataset import ImageDataset, compute_fingerprint

DEMO_CLASSES = ("circle", "square", "triangle", "star")
_SUPERSAMPLE = 4  # shapes are drawn at 4x and box-downsampled: cheap antialiasing
_SECOND_SHAPE_P = 0.35


def make_demo_dataset(resolution: int = 64, count: int = 2000, *, seed: int = 0) -> ImageDataset:
    """`count` images of one coloured shape each (the class) on a two-colour gradient.

    Size, position, rotation and colours are random, sometimes with a smaller second shape
    behind the main one. The same (resolution, count, seed) always gives the same pixels.
    """
    if resolution < 1 or count < 1:
        raise ValueError(f"resolution and count must be positive, not {resolution}, {count}")
    rng = np.random.default_rng(seed)
    # Balanced classes in random order: every class shows up even in a small set.
    labels = rng.permutation(np.arange(count) % len(DEMO_CLASSES)).astype(np.int64)
    # Pixel-centre coordinates in [-0.5, 0.5], shared by every gradient.
    axis = (np.arange(resolution, dtype=np.float32) + 0.5) / resolution - 0.5
    ys, xs = np.meshgrid(axis, axis, indexing="ij")
    images = np.empty((count, 3, resolution, resolution), dtype=np.uint8)
    for i in range(count):
        images[i] = _draw_image(rng, int(labels[i]), resolution, xs, ys).transpose(2, 0, 1)
    return ImageDataset(
        images=torch.from_numpy(images),
        labels=torch.from_numpy(labels),
        class_names=DEMO_CLASSES,
        name="demo",
        source="builtin:demo",
        fingerprint=compute_fingerprint(images, labels, DEMO_CLASSES),
        skipped=(),
        files_found=count,
    )


def _draw_image(
    rng: np.random.Generator, kind: int, resolution: int, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """One uint8 [R, R, 3] image whose main shape is DEMO_CLASSES[kind]."""
    # A pale, greyish gradient behind strong, darker shapes: the shape is what the eye (and a
    # GAN) should learn first. Backgrounds of any value and saturation (up to 2026-12) made the
    # 3-minute demo learn the gradients and leave the shapes as blobs (docs/DESIGN.md).
    base_hue = rng.random()
    saturation = rng.uniform(0.05, 0.3)
    start = _hsv(base_hue, saturation, rng.uniform(0.75, 0.95))
    end = _hsv(base_hue + rng.uniform(-0.2, 0.2), saturation, rng.uniform(0.75, 0.95))
    canvas = _gradient(start, end, rng.uniform(0, 2 * math.pi), xs, ys)

    shapes: list[tuple[int, float]] = []  # (kind, radius as a fraction of the image), back first
    if rng.random() < _SECOND_SHAPE_P:
        shapes.append((int(rng.integers(len(DEMO_CLASSES))), rng.uniform(0.08, 0.15)))
    shapes.append((kind, rng.uniform(0.22, 0.4)))
    for shape_kind, radius in shapes:
        alpha = _shape_mask(rng, shape_kind, radius, resolution)
        # Opposite-ish hue to the background so the shape stands out; a soft light gradient
        # across it makes it look less flat.
        hue = base_hue + 0.5 + rng.uniform(-0.2, 0.2)
        colour = _hsv(hue, rng.uniform(0.7, 1.0), rng.uniform(0.5, 0.8))
        light = np.minimum(colour * 1.2, 1.0)
        shading = _gradient(colour * 0.75, light, rng.uniform(0, 2 * math.pi), xs, ys)
        canvas += (shading - canvas) * alpha[..., None]
    return np.clip(np.rint(canvas * 255.0), 0, 255).astype(np.uint8)


def _hsv(hue: float, saturation: float, value: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, saturation, value), dtype=np.float32)


def _gradient(
    start: np.ndarray, end: np.ndarray, angle: float, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Linear blend from `start` to `end` along `angle`: float [R, R, 3]."""
    t = np.clip(0.5 + xs * math.cos(angle) + ys * math.sin(angle), 0.0, 1.0)[..., None]
    return start + (end - start) * t


def _shape_mask(rng: np.random.Generator, kind: int, radius: float, resolution: int) -> np.ndarray:
    """Antialiased coverage in [0, 1], float [R, R], of one randomly placed and rotated shape."""
    size = resolution * _SUPERSAMPLE
    r = radius * size
    # Keep the centre far enough in that most of the shape is visible.
    cx, cy = rng.uniform(r * 0.8, size - r * 0.8, size=2)
    rotation = rng.uniform(0, 2 * math.pi)
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    name = DEMO_CLASSES[kind]
    if name == "circle":
        rc = r * 0.85  # about the area of the polygons of the same radius
        draw.ellipse((cx - rc, cy - rc, cx + rc, cy + rc), fill=255)
    else:
        if name == "square":
            radii = [r] * 4
        elif name == "triangle":
            radii = [r * 1.1] * 3
        else:  # star: five points, inner radius ~0.45 of the outer
            radii = [r * 1.1, r * 0.5] * 5
        step = 2 * math.pi / len(radii)
        points = [
            (cx + rad * math.cos(rotation + j * step), cy + rad * math.sin(rotation + j * step))
            for j, rad in enumerate(radii)
        ]
        draw.polygon(points, fill=255)
    small = mask.reduce(_SUPERSAMPLE)  # box filter: exact area coverage
    return np.asarray(small, dtype=np.float32) / 255.0
