"""Files shipped with GAN Studio (resources/): next to the package in a checkout, beside the
executable in a PyInstaller bundle, or where GANSTUDIO_RESOURCES points. Among them the built-in
upscalers and the general model to fine-tune from, which are never downloaded."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from ganstudio.infer.errors import ModelError

BUILTIN = "builtin"  # what the CLI and the app call the shipped upscalers
BUILTIN_SCALES = (2, 4)
GENERAL = "general"  # what `train --from` calls the shipped starting point for fine-tuning


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    override = os.environ.get("GANSTUDIO_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks data files here
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def general_model_dir() -> Path:
    """GAN Studio's general model: a run folder (build/train_builtin_generator.py) that a new run
    may start from instead of random weights."""
    return resources_dir() / "models" / "general-64"


def _builtin_file(scale: int) -> Path:
    return resources_dir() / "upscalers" / f"ganstudio-general-x{scale}.onnx"


def builtin_upscaler_name(path: Path) -> str | None:
    """The name a shipped upscaler goes by ("builtin-x2"), or None for any other model."""
    return next((f"{BUILTIN}-x{s}" for s in BUILTIN_SCALES if Path(path) == _builtin_file(s)), None)


def builtin_upscaler_path(scale: int) -> Path:
    """resources/upscalers/ganstudio-general-x{scale}.onnx, with a clear message when it is missing."""
    if scale not in BUILTIN_SCALES:
        raise ModelError(f"the built-in upscaler comes in x{' and x'.join(map(str, BUILTIN_SCALES))}, not x{scale}")
    path = _builtin_file(scale)
    if not path.is_file():
        raise ModelError(f"the built-in x{scale} upscaler is missing ({path}); reinstall GAN Studio")
    return path
