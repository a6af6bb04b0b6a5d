"""Run configuration: frozen dataclasses built the same way by the CLI and the app, saved in run.json."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

RESOLUTIONS = (32, 64, 128, 256)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of G and D. Everything needed to rebuild the networks from run.json."""

    resolution: int = 64
    latent_dim: int = 128
    w_dim: int = 128
    mapping_layers: int = 2
    # Channels of the block at `res` px: channel_base // res, clamped (StyleGAN's rule). Sized for a
    # CPU: 256 channels at 4 px down to 16 at 64 px, ~50M multiply-adds per image for G (DCGAN: 420M).
    g_channel_base: int = 1024
    d_channel_base: int = 1024
    max_channels: int = 256
    min_channels: int = 16
    num_classes: int = 0

    def __post_init__(self) -> None:
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {RESOLUTIONS}, not {self.resolution}")

    def channels(self, res: int, discriminator: bool = False) -> int:
        """Channel count of the block working at `res` px."""
        base = self.d_channel_base if discriminator else self.g_channel_base
        return max(self.min_channels, min(self.max_channels, base // res))


@dataclass(frozen=True)
class TrainConfig:
    """How to train. `kimg` or `minutes` bounds the run; with neither it runs until stopped."""

    model: ModelConfig = field(default_factory=ModelConfig)
    # 16 learns faster per image than 32 on small data, at the same img/s on a CPU (measured:
    # SWD 101 vs 134 after 12.8 kimg on the demo set, 59 vs 51 img/s at 64 px).
    batch: int = 16
    g_lr: float = 2e-3
    d_lr: float = 2e-3
    betas: tuple[float, float] = (0.0, 0.99)
    r1_gamma: float = 0.1
    r1_interval: int = 16
    ema_kimg: float = 2.0
    ema_rampup: float = 0.05
    augment: str = "color,translation,cutout"
    augment_target: float = 0.6  # sign(D(real)) the adaptive augmentation aims for
    augment_speed_kimg: float = 20.0  # kimg for p to go 0 -> 1 at full push
    augment_p: float | None = None  # fixed p instead of adaptive
    seed: int = 0
    kimg: float | None = None
    minutes: float | None = None
    device: str = "auto"
    mixed_precision: bool = True  # only used on CUDA
    snapshot_kimg: float = 2.0
    checkpoint_kimg: float = 10.0  # the quality metric is computed at each checkpoint
    metric_images: int = 1024
    keep_checkpoints: int = 3
    grid_size: int = 8  # the fixed-latent preview grid is grid_size x grid_size
    log_interval: int = 10  # steps between progress events (`.item()` syncs only there)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainConfig":
        """Rebuild from run.json, ignoring keys this version does not know and keeping defaults for new ones."""
        model = _known(ModelConfig, data.get("model", {}))
        rest = _known(cls, {k: v for k, v in data.items() if k != "model"})
        if "betas" in rest:
            rest["betas"] = tuple(rest["betas"])
        return cls(model=ModelConfig(**model), **rest)

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
