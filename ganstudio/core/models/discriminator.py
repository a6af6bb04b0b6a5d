"""Discriminator: 4x4 stride-2 convs halving the resolution down to 4 px, minibatch-std, and a
projection head for class-conditional models."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.config import ModelConfig
from ganstudio.core.models.layers import EqualConv2d, EqualLinear

MBSTD_GROUP = 4  # samples whose spread the minibatch-std feature measures together


class Discriminator(nn.Module):
    """image [N, 3, R, R] in [-1, 1] (+ class_index [N]) -> logit [N]."""

    def __init__(self, cfg: ModelConfig, *, mbstd_group: int = MBSTD_GROUP) -> None:
        super().__init__()
        self.cfg = cfg
        self.mbstd_group = mbstd_group
        res = cfg.resolution
        self.from_rgb = EqualConv2d(3, cfg.channels(res, True), 1)
        blocks = []
        while res > 4:
            blocks += [EqualConv2d(cfg.channels(res, True), cfg.channels(res, True), 3) for _ in range(cfg.d_convs)]
            blocks.append(EqualConv2d(cfg.channels(res, True), cfg.channels(res // 2, True), 4, down=True))
            res //= 2
        self.blocks = nn.Sequential(*blocks)
        c4 = cfg.channels(4, discriminator=True)
        self.conv = EqualConv2d(c4 + 1, c4, 3)
        self.fc = EqualLinear(c4 * 16, c4, activate=True)
        self.out = EqualLinear(c4, 1)
        # Projection discriminator (Miyato & Koyama 2018): class embedding dotted with features.
        self.embed = EqualLinear(cfg.num_classes, c4) if cfg.num_classes else None

    def freeze(self, levels: int) -> None:
        """Keep the `levels` finest resolutions (fromRGB and their convs) as they are (FreezeD, Mo
        et al. 2020): fine-tuned on few pictures, D then adapts only its coarser layers."""
        if levels <= 0:
            return
        self.from_rgb.requires_grad_(False)
        for block in list(self.blocks)[: levels * (self.cfg.d_convs + 1)]:
            block.requires_grad_(False)

    def minibatch_std(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.mbstd_group, n)
        if n % g:
            g = 1
        # Groups of consecutive samples: a slice of a batch (a rank of a distributed run, a pass of
        # gradient accumulation) then forms the same groups as the whole batch would.
        y = x.reshape(-1, g, c, h, w)
        y = (y - y.mean(1, keepdim=True)).square().mean(1).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # [n/g]
        y = y.repeat_interleave(g).reshape(n, 1, 1, 1).expand(n, 1, h, w)
        return torch.cat([x, y], dim=1)

    def forward(self, img: torch.Tensor, class_index: torch.Tensor | None = None) -> torch.Tensor:
        x = self.blocks(self.from_rgb(img))
        x = self.conv(self.minibatch_std(x))
        h = self.fc(x.flatten(1))
        out = self.out(h).squeeze(1)
        if self.embed is not None:
            if class_index is None:
                raise ValueError("this discriminator is class-conditional: pass class_index")
            onehot = F.one_hot(class_index, self.cfg.num_classes).to(h.dtype)
            out = out + (self.embed(onehot) * h).sum(1) / math.sqrt(h.shape[1])
        return out
