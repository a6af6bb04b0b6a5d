"""Presets and the user's training choices, turned into the core's TrainConfig. Qt-free.

A hobbyist picks Quick look / Balanced / Best quality; the Advanced panel edits the same
TrainingChoices. The CLI and the app build TrainConfig the same way: from the defaults, changing
only what the user chose.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from ganstudio.core.config import MODEL_SIZES, RESOLUTIONS, TrainConfig, default_config, demo_config

AUGMENTATIONS = ("color", "translation", "cutout")
_DEFAULTS = TrainConfig()  # the core's defaults: the panel starts from them, never from numbers of its own
DEVICES = ("auto", "cpu", "cuda", "gpus")  # "gpus": every GPU here, one process each
# Images per second of the default model, batch 16, on a 2-core CPU, for the estimates shown next
# to the settings and for a run's snapshot and checkpoint cadence. Measured 2026-12-07, after the
# metric thread stopped slowing training: the bare training loop ran 352 / 201 / 97 / 16 img/s at
# 32 / 64 / 128 / 256 px, whole 10-minute runs at 64 px (snapshots, checkpoints, live SWD and KID)
# 230-250; the same machine varies by a fifth from run to run, so these keep to the slow end. A
# GPU is assumed ten times faster.
CPU_IMAGES_PER_SECOND = {32: 300.0, 64: 180.0, 128: 85.0, 256: 14.0}
GPU_SPEEDUP = 10.0
TIMELINE_FRAMES = 150  # snapshots a run aims for: a smooth timeline, not thousands of files


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    summary: str
    minutes: float
    cpu_max_resolution: int
    gpu_max_resolution: int
    metric_images: int


PRESETS: tuple[Preset, ...] = (
    Preset("quick", "Quick look", "32 px for 5 minutes: see whether your pictures work at all.", 5, 32, 64, 256),
    Preset("balanced", "Balanced", "Up to 64 px on a CPU (128 px on a GPU) for 30 minutes.", 30, 64, 128, 512),
    Preset("best", "Best quality", "The largest size your images and machine allow, for 2 hours.", 120, 64, 256, 1024),
)
PRESETS_BY_KEY = {p.key: p for p in PRESETS}


@dataclass(frozen=True)
class TrainingChoices:
    """Everything the train page lets a user set. `resolution` None means the preset's pick.
    `base` is the preset the settings came from: once edited they are "custom", and Automatic
    resolution still follows that preset, so the size shown is the size trained."""

    preset: str = "balanced"
    base: str = "balanced"
    resolution: int | None = None
    model_size: str | None = None  # None: the size the device and resolution call for
    batch: int = _DEFAULTS.batch
    g_lr: float = _DEFAULTS.g_lr
    d_lr: float = _DEFAULTS.d_lr
    augment: tuple[str, ...] = tuple(a for a in _DEFAULTS.augment.split(",") if a in AUGMENTATIONS)
    augment_target: float = _DEFAULTS.augment_target
    seed: int = _DEFAULTS.seed
    device: str = "auto"
    length_unit: str = "minutes"  # or "kimg": train until this many kimg in total
    length: float = 30.0
    classes: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainingChoices":
        """From saved settings; unknown or invalid values fall back to the defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        if "augment" in known:
            known["augment"] = tuple(a for a in known["augment"] if a in AUGMENTATIONS)
        try:
            choices = cls(**known)
        except TypeError:
            return cls()
        if choices.preset not in PRESETS_BY_KEY and choices.preset != "custom":
            choices = dataclasses.replace(choices, preset="balanced")
        if choices.preset in PRESETS_BY_KEY or choices.base not in PRESETS_BY_KEY:
            choices = dataclasses.replace(choices, base=choices.preset if choices.preset in PRESETS_BY_KEY else "balanced")
        if choices.resolution not in (None, *RESOLUTIONS) or choices.device not in DEVICES:
            choices = dataclasses.replace(choices, resolution=None, device="auto")
        if choices.model_size not in (None, *MODEL_SIZES):
            choices = dataclasses.replace(choices, model_size=None)
        return choices

    def with_preset(self, key: str) -> "TrainingChoices":
        preset = PRESETS_BY_KEY[key]
        return dataclasses.replace(self, preset=key, base=key, resolution=None, model_size=None, length_unit="minutes",
                                   length=preset.minutes)

    @property
    def preset_or_base(self) -> Preset:
        """The preset chosen, or for custom settings the one they came from."""
        return PRESETS_BY_KEY.get(self.preset) or PRESETS_BY_KEY.get(self.base, PRESETS_BY_KEY["balanced"])


def preset_resolution(preset: Preset, suggested: int, device_type: str) -> int:
    """The preset's cap applied to what the data and device suggest (core's suggest_resolution)."""
    cap = preset.gpu_max_resolution if device_type == "cuda" else preset.cpu_max_resolution
    return max(r for r in RESOLUTIONS if r <= max(RESOLUTIONS[0], min(suggested, cap)))


def estimated_speed(resolution: int, device_type: str) -> float:
    cpu = CPU_IMAGES_PER_SECOND.get(resolution, 5.0)
    return cpu * GPU_SPEEDUP if device_type == "cuda" else cpu


def _nice(value: float) -> float:
    """Round up to 1, 2 or 5 times a power of ten (0.25 .. 50 kimg)."""
    if value <= 0.25:
        return 0.25
    exponent = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * 10**exponent >= value - 1e-12:
            return float(m * 10**exponent)
    return float(10 ** (exponent + 1))


def cadence(total_kimg: float) -> tuple[float, float]:
    """(snapshot_kimg, checkpoint_kimg) for a run of about total_kimg: ~150 timeline frames and
    ~12 checkpoints (each also runs the quality metric, which costs training time)."""
    snapshot = min(10.0, _nice(total_kimg / TIMELINE_FRAMES))
    checkpoint = min(50.0, max(2 * snapshot, _nice(total_kimg / 12)))
    return snapshot, checkpoint


def resolve_resolution(choices: TrainingChoices, suggested: int, device_type: str) -> int:
    if choices.resolution is not None:
        return choices.resolution
    return preset_resolution(choices.preset_or_base, suggested, device_type)


def expected_kimg(choices: TrainingChoices, resolution: int, device_type: str) -> float:
    if choices.length_unit == "kimg":
        return choices.length
    return choices.length * 60 * estimated_speed(resolution, device_type) / 1000


def build_config(choices: TrainingChoices, *, suggested_resolution: int, device_type: str, num_classes: int = 0,
                 demo: bool = False) -> TrainConfig:
    """The TrainConfig for a new run: the core's recipe for this device (default_config, or
    demo_config for the built-in demo data), changed only where the user chose."""
    resolution = resolve_resolution(choices, suggested_resolution, device_type)
    preset = choices.preset_or_base
    snapshot, checkpoint = cadence(expected_kimg(choices, resolution, device_type))
    by_minutes = choices.length_unit == "minutes"
    recipe = (demo_config if demo else default_config)(resolution, device_type)
    model = recipe.model.resized(choices.model_size) if choices.model_size else recipe.model
    return recipe.replace(
        model=dataclasses.replace(model, num_classes=num_classes if choices.classes else 0),
        batch=choices.batch,
        g_lr=choices.g_lr,
        d_lr=choices.d_lr,
        augment=",".join(choices.augment) or "none",
        augment_target=choices.augment_target,
        # No augmentation at all: a fixed p of 0 instead of an adaptive p with nothing to apply.
        augment_p=None if choices.augment else 0.0,
        seed=choices.seed,
        kimg=None if by_minutes else choices.length,
        minutes=choices.length if by_minutes else None,
        device="cuda" if choices.device == "gpus" else choices.device,
        snapshot_kimg=snapshot,
        checkpoint_kimg=checkpoint,
        metric_images=preset.metric_images,
    )
