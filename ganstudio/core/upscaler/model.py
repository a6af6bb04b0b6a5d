"""The upscaler network: in the spirit of realesr-general-x4v3 (SRVGGNetCompact) and ESPCN: a few
3x3 convolutions with PReLU at the input's resolution, a pixel shuffle to the output's, and a
bicubic copy of the input added, so that the convolutions learn only what bicubic misses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.upscaler.config import UpscalerConfig


class UpscalerNet(nn.Module):
    """image [N, 3, h, w] in [0, 1] -> [N, 3, s*h, s*w] (not clamped: the export clamps)."""

    def __init__(self, cfg: UpscalerConfig) -> None:
        super().__init__()
        self.scale = cfg.scale
        c = cfg.channels
        layers: list[nn.Module] = [nn.Conv2d(3, c, 3, padding=1), nn.PReLU(c)]
        for _ in range(cfg.body_convs):
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.PReLU(c)]
        layers += [nn.Conv2d(c, 3 * cfg.scale**2, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(cfg.scale)
        nn.init.zeros_(layers[-1].weight)  # starts as plain bicubic: training only ever improves on it
        nn.init.zeros_(layers[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + self.shuffle(self.body(x))
