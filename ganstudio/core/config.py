"""Run configuration: frozen dataclasses built the same way by the CLI and the app, saved in run.json."""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from ganstudio.core.errors import ConfigError

RESOLUTIONS = (32, 64, 128, 256)
UPSAMPLES = ("transposed", "resize")
LOSSES = ("nonsaturating", "hinge", "relativistic")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of G and D. Everything needed to rebuild the networks from run.json.

    `size` names the capacity preset the fields below came from (MODEL_SIZES); the fields, not
    the name, are what rebuilds the networks, so a run trained with an older table still loads.
    """

    size: str = "small"
    resolution: int = 64
    latent_dim: int = 128
    w_dim: int = 128
    mapping_layers: int = 2
    # Channels of the block at `res` px: channel_base // res, clamped (StyleGAN's rule). Sized for a
    # CPU: 128 channels at 4 px down to 16 at 32 and 64 px, 16M multiply-adds per 64 px image for G
    # and 13M for D (DCGAN: 420M for G).
    g_channel_base: int = 512
    d_channel_base: int = 512
    max_channels: int = 256
    min_channels: int = 16
    # How G doubles its resolution: "transposed" (a 4x4 stride-2 transposed conv, the cheapest) or
    # "resize" (bilinear upsample, then a 3x3 conv: every output pixel sees the same taps).
    g_upsample: str = "transposed"
    # A [1, 2, 1] low-pass after each transposed upsampling (layers.Blur): no 2x2 speckle. New runs
    # take it (default_config); False here is what a run.json written before it means.
    g_blur: bool = False
    g_convs: int = 0  # extra modulated 3x3 convs per resolution after the upsampling one (0 or more)
    d_convs: int = 0  # 3x3 convs per resolution before each downsampling one (pixel D)
    num_classes: int = 0
    # "projected": D on frozen pretrained EfficientNet-Lite0 features (models/projected.py);
    # "conv": D trained from pixels (models/discriminator.py), the recipe of runs before 0.4.
    discriminator: str = "conv"
    # tanh on G's output: a D on pretrained features otherwise pushes pixels far out of range.
    g_tanh: bool = False
    d_projection_width: int = 64  # channels of the finest random projection (x2 per coarser level)
    d_head_width: int = 64  # channels of the projected D's trainable heads

    def __post_init__(self) -> None:
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"resolution must be one of {RESOLUTIONS}, not {self.resolution}")
        if self.g_upsample not in UPSAMPLES:
            raise ValueError(f"g_upsample must be one of {', '.join(UPSAMPLES)}, not {self.g_upsample!r}")

    @classmethod
    def sized(cls, size: str, **fields: Any) -> "ModelConfig":
        """The named capacity preset, with any other field given."""
        if size not in MODEL_SIZES:
            raise ValueError(f"model size must be one of {', '.join(MODEL_SIZES)}, not {size!r}")
        return cls(size=size, **{**MODEL_SIZES[size], **fields})

    def resized(self, size: str) -> "ModelConfig":
        """This architecture with the capacity of the named preset instead."""
        if size not in MODEL_SIZES:
            raise ValueError(f"model size must be one of {', '.join(MODEL_SIZES)}, not {size!r}")
        return dataclasses.replace(self, size=size, **MODEL_SIZES[size])

    def channels(self, res: int, discriminator: bool = False) -> int:
        """Channel count of the block working at `res` px."""
        base = self.d_channel_base if discriminator else self.g_channel_base
        return max(self.min_channels, min(self.max_channels, base // res))


# Capacity presets. "small" is sized for a 2-core CPU, where a run is bound by images per second:
# measured 10 minutes at 64 px, halving both networks' channels (base 1024 -> 512: a third of the
# multiply-adds, 1.4-1.8x the img/s) gave a better KID on the oxygen and the gnome icons and a
# better SWD on the oxygen ones (docs/DESIGN.md). The GPU sizes follow StyleGAN2's widths (hundreds
# of channels, two convs per resolution); "tiny" is for tests.
MODEL_SIZES: dict[str, dict[str, Any]] = {
    "tiny": dict(latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256, max_channels=32, min_channels=8,
                 g_convs=0, d_convs=0, d_projection_width=8, d_head_width=8),
    "small": dict(latent_dim=128, w_dim=128, g_channel_base=512, d_channel_base=512, max_channels=256,
                  min_channels=16, g_convs=0, d_convs=0, d_projection_width=64, d_head_width=64),
    "medium": dict(latent_dim=256, w_dim=256, g_channel_base=4096, d_channel_base=4096, max_channels=256,
                   min_channels=32, g_convs=1, d_convs=1, d_projection_width=64, d_head_width=128),
    "large": dict(latent_dim=512, w_dim=512, g_channel_base=16384, d_channel_base=16384, max_channels=512,
                  min_channels=64, g_convs=1, d_convs=1, d_projection_width=64, d_head_width=256),
}  # fmt: skip


def model_size_for(device_type: str, resolution: int) -> str:
    """The size a preset picks: small on a CPU; on a GPU, medium up to 128 px and large above."""
    if device_type != "cuda":
        return "small"
    return "medium" if resolution <= 128 else "large"


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
    # "nonsaturating" (StyleGAN2's logistic loss), "hinge" (what Projected GAN trains with) or
    # "relativistic" (R3GAN's pairing loss: D judges each fake against a real, not alone). Its D
    # outputs float as a whole, so what reads them as they stand (the adaptive augmentation, the
    # D outputs chart and its warning) is blind under it: ADA held p at 0 (docs/DESIGN.md).
    loss: str = "nonsaturating"
    # 1.0, not StyleGAN2's 0.05-0.1 for 64 px: a smoother D keeps G from collapsing on sharp,
    # easily memorised pictures (glyphs: one grey "B" in every cell at 0.1; 8, 6, B, 2 and i in
    # solid black at 1.0, SWD 111 -> 65 in 4 minutes); on two icon sets it moved SWD and KID by 7% at most.
    r1_gamma: float = 1.0
    r1_interval: int = 16
    # R2: the same penalty on fakes (R3GAN pairs it with R1 and the relativistic loss), as lazily.
    r2_gamma: float = 0.0
    ema_kimg: float = 2.0
    ema_rampup: float = 0.05
    augment: str = "color,translation,cutout"
    augment_target: float = 0.6  # sign(D(real)) the adaptive augmentation aims for
    augment_speed_kimg: float = 20.0  # kimg for p to go 0 -> 1 at full push
    augment_p: float | None = None  # fixed p instead of adaptive
    # Fine-tuning (start_from.py): D's finest resolutions kept as the parent's (FreezeD, Mo et al.
    # 2020), counted from the image: 0 trains all of D.
    freeze_d: int = 0
    seed: int = 0
    kimg: float | None = None
    minutes: float | None = None
    device: str = "auto"
    mixed_precision: bool = True  # only used on CUDA
    snapshot_kimg: float = 2.0
    checkpoint_kimg: float = 10.0  # the quality metric is computed at each checkpoint
    metric_images: int = 1024
    kid: bool = True  # also the global score (KID on pretrained features) at each checkpoint
    keep_checkpoints: int = 3
    grid_size: int = 8  # the fixed-latent preview grid is grid_size x grid_size
    log_interval: int = 10  # steps between progress events (`.item()` syncs only there)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {self.loss!r}")
        levels = self.model.resolution.bit_length() - 3  # D's stride-2 steps down to 4 px
        if not 0 <= self.freeze_d <= levels:
            raise ValueError(f"freeze_d must be 0 to {levels} (the resolutions of D at {self.model.resolution} px), not {self.freeze_d}")
        if self.freeze_d and self.model.discriminator != "conv":
            raise ValueError("freeze_d needs the pixel discriminator (model.discriminator \"conv\")")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], strict: bool = False) -> "TrainConfig":
        """Rebuild from a dict shaped as run.json's "config"; settings left out keep their defaults.

        Tolerant by default, for run.json written by another version: keys this version does not
        know are ignored. strict=True is for a file the user wrote (`train --config`), where an
        unknown key is a typo and a wrong type would fail later, far from its cause: both raise a
        ConfigError naming the key."""
        if strict:
            try:
                return _strict(cls, data, "")
            except ValueError as e:  # a value of the right type out of range (__post_init__)
                raise ConfigError(str(e)) from None
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


def _strict(cls: type, data: Any, prefix: str) -> Any:
    """Build dataclass `cls` from `data`, every key known and every value of its field's type."""
    if not isinstance(data, Mapping):
        what = _quote(prefix[:-1]) if prefix else "the configuration"
        raise ConfigError(f"{what} must be a JSON object, not {_shown(data)}")
    hints = typing.get_type_hints(cls)  # the annotations are strings (from __future__ import annotations)
    names = [f.name for f in fields(cls)]
    values = {}
    for key, value in data.items():
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {_quote(prefix + close[0])}?)" if close else f"; the settings are {', '.join(names)}"
            raise ConfigError(f"{_quote(prefix + str(key))} is not a setting{hint}")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            values[key] = _strict(kind, value, f"{prefix}{key}.")
            continue
        converted = _convert(kind, value)
        if converted is _WRONG:
            raise ConfigError(f"{_quote(prefix + key)} must be {_describe(kind)}, not {_shown(value)}")
        values[key] = converted
    return cls(**values)


_WRONG = object()  # _convert's "does not fit" (None is a valid value)
_NONE = type(None)
_ONE = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
_MANY = {int: "integers", float: "numbers", bool: "booleans", str: "strings"}


def _convert(kind: Any, value: Any) -> Any:
    """`value` as a field of type `kind` holds it (JSON lists become tuples, ints floats), or _WRONG."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # Optional[X], X | None
        if value is None and _NONE in args:
            return None
        (kind,) = [a for a in args if a is not _NONE]
        return _convert(kind, value)
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, (list, tuple)):
            return _WRONG
        kinds = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
        items = tuple(_convert(k, v) for k, v in zip(kinds, value))
        return items if len(kinds) == len(value) and _WRONG not in items else _WRONG
    if kind is bool:
        return value if isinstance(value, bool) else _WRONG
    if isinstance(value, bool):  # JSON true is no number (bool subclasses int in Python)
        return _WRONG
    if kind is float:
        return float(value) if isinstance(value, (int, float)) else _WRONG
    if kind in (int, str):
        return value if isinstance(value, kind) else _WRONG
    raise TypeError(f"no check for settings of type {kind}")  # a new kind of field: teach _convert


def _describe(kind: Any) -> str:
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not _NONE) + " or null"
    if typing.get_origin(kind) is tuple:
        if args[-1] is Ellipsis:
            return f"a list of {_MANY[args[0]]}"
        return f"a list of {len(args)} {_MANY[args[0]]}"
    return _ONE[kind]


def _quote(key: str) -> str:
    return json.dumps(key)


def _shown(value: Any) -> str:
    """The value as the file spells it ("16", not 16), cut short if long."""
    text = json.dumps(value, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def default_config(resolution: int, device_type: str, **changes: Any) -> TrainConfig:
    """The recipe a new run starts from on this kind of device, before the user's choices: the one
    place the CLI, the app and the benchmarks take training defaults from.

    G's low-pass (g_blur) measured, 10 minutes at 64 px on 2 CPU cores, the checkpoint KID marks
    (benchmarks/quality.py): KID 134 -> 78 (oxygen icons), 148 -> 80 (gnome icons), 211 -> 138
    (glyphs); SWD 59 -> 52, 64 -> 86, 33 -> 17; docs/DESIGN.md has the grids."""
    model = ModelConfig.sized(model_size_for(device_type, resolution), resolution=resolution, g_blur=True)
    return TrainConfig(model=model).replace(**changes)


def demo_config(resolution: int, device_type: str, **changes: Any) -> TrainConfig:
    """The recipe of the built-in demo (`ganstudio demo`, the app's Try the demo): the default with
    R1 gamma 0.1. Measured on the demo shapes at 32 px, 3 minutes on 2 CPU cores
    (benchmarks/recognisable.py), with G's low-pass: recognised 46% and 53% (two seeds) against 33%
    at gamma 1; docs/DESIGN.md has the rest. No live KID: its first pass alone (the reals' features
    at 240 px) takes 25 s of a CPU core, and slows training to a third meanwhile."""
    return default_config(resolution, device_type).replace(r1_gamma=0.1, kid=False).replace(**changes)
