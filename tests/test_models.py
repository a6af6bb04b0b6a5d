"""Generator and discriminator shapes, conditioning and truncation, at every resolution."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganstudio.core.config import RESOLUTIONS, ModelConfig, TrainConfig
from ganstudio.core.models import Discriminator, Generator


def tiny(resolution: int, num_classes: int = 0) -> ModelConfig:
    return ModelConfig(
        resolution=resolution, latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256,
        max_channels=32, min_channels=4, num_classes=num_classes,
    )


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("num_classes", [0, 3])
def test_shapes_at_every_resolution(resolution, num_classes):
    cfg = tiny(resolution, num_classes)
    G, D = Generator(cfg), Discriminator(cfg)
    z = torch.randn(4, cfg.latent_dim)
    c = torch.tensor([0, 1, 2, 0]) if num_classes else None
    img = G(z, c)
    assert img.shape == (4, 3, resolution, resolution)
    assert torch.isfinite(img).all() and 0.05 < img.std() < 10
    assert D(img, c).shape == (4,)


def _phase_pattern(img: torch.Tensor) -> float:
    """Share of the images' variance in a fixed 2x2-periodic pattern (the same in every image):
    the checkerboard a stride-2 transposed conv stamps, which shows as speckle in samples."""
    x = img - img.mean((2, 3), keepdim=True)
    phases = torch.stack([x[..., i::2, j::2] for i in (0, 1) for j in (0, 1)])
    pattern = phases.mean((1, 3, 4)) - phases.mean((0, 1, 3, 4))
    return float(pattern.square().mean() / x.square().mean())


def test_resize_upsampling_or_the_low_pass_leaves_no_checkerboard():
    cfgs = {up: dataclasses.replace(tiny(32), g_upsample=up) for up in ("transposed", "resize")}
    cfgs["low-passed"] = dataclasses.replace(tiny(32), g_blur=True)
    z = torch.randn(64, 16, generator=torch.Generator().manual_seed(0))
    pattern = {}
    for up, cfg in cfgs.items():
        torch.manual_seed(0)
        with torch.no_grad():
            pattern[up] = _phase_pattern(Generator(cfg)(z))
    assert pattern["resize"] * 10 < pattern["transposed"] and pattern["low-passed"] * 10 < pattern["transposed"]
    with pytest.raises(ValueError, match="g_upsample"):
        ModelConfig(g_upsample="nearest")


def test_conditional_model_needs_a_class():
    G = Generator(tiny(32, 3))
    with pytest.raises(ValueError, match="class"):
        G(torch.randn(2, 16))


def test_class_changes_the_image():
    G = Generator(tiny(32, 3))
    z = torch.randn(1, 16).repeat(2, 1)
    img = G(z, torch.tensor([0, 1]))
    assert (img[0] - img[1]).abs().mean() > 1e-3


def test_truncation_pulls_towards_the_average_and_offset_moves():
    G = Generator(tiny(32))
    G.mapping.w_avg.normal_()
    z = torch.randn(3, 16)
    full, none, avg = G(z), G(z, psi=1.0), G(z, psi=0.0)
    torch.testing.assert_close(full, none)
    # psi = 0 maps every z to w_avg: all images the same.
    torch.testing.assert_close(avg[0], avg[1])
    moved = G(z, w_offset=torch.ones(3, 16))
    assert (moved - full).abs().mean() > 1e-3


def test_default_config_is_cpu_sized():
    cfg = ModelConfig()
    params = sum(p.numel() for p in Generator(cfg).parameters())
    assert 0.5e6 < params < 5e6, params


def test_config_round_trips_through_json_dict():
    cfg = TrainConfig(model=ModelConfig(resolution=128, num_classes=4), batch=16, kimg=3.0)
    data = cfg.to_dict()
    data["unknown_future_key"] = 1  # newer run.json keys are ignored, not a crash
    assert TrainConfig.from_dict(data) == cfg


def test_unsupported_resolution_is_refused():
    with pytest.raises(ValueError, match="resolution"):
        ModelConfig(resolution=48)
