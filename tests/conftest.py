"""Shared fixtures: tiny models and generated image folders, so the suite stays fast."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never touch the user's decode cache.
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "decode-cache"))


def make_image_folder(folder: Path, count: int = 24, size: int = 48, classes: tuple[str, ...] = ()) -> Path:
    """Coloured ellipses and boxes on plain backgrounds, deterministic."""
    rng = np.random.default_rng(0)
    for i in range(count):
        sub = folder / classes[i % len(classes)] if classes else folder
        sub.mkdir(parents=True, exist_ok=True)
        bg = tuple(int(v) for v in rng.integers(0, 256, 3))
        fg = tuple(int(v) for v in rng.integers(0, 256, 3))
        im = Image.new("RGB", (size, size), bg)
        x0, y0 = rng.integers(0, size // 2, 2)
        x1, y1 = np.array([x0, y0]) + rng.integers(size // 4, size // 2, 2)
        draw = ImageDraw.Draw(im)
        (draw.ellipse if i % 2 else draw.rectangle)([int(x0), int(y0), int(x1), int(y1)], fill=fg)
        im.save(sub / f"img_{i:03d}.png")
    return folder


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / "images")


@pytest.fixture
def tiny_config():
    from ganstudio.core.config import ModelConfig, TrainConfig

    def build(**changes):
        model = ModelConfig(
            resolution=32, latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256,
            max_channels=32, min_channels=8, num_classes=changes.pop("num_classes", 0),
        )
        defaults = dict(
            model=model, batch=8, snapshot_kimg=0.032, checkpoint_kimg=0.064,
            metric_images=64, grid_size=4, log_interval=2, r1_interval=2,
        )
        defaults.update(changes)
        return TrainConfig(**defaults)

    return build
