"""Generator: a mapping network z -> w and a style-modulated synthesis network w -> image.

Each resolution step is one modulated 4x4 transposed conv (upsample and convolve in one op,
optionally low-passed after: g_blur; or, with g_upsample "resize", a bilinear x2 and a 3x3 conv,
which leaves no checkerboard), with
one extra 3x3 conv at 4 px where it is cheap, plus `g_convs` further 3x3 convs per resolution (the
GPU sizes use one); toRGB outputs of every resolution are upsampled and summed (StyleGAN2's skip
generator). The CPU size ("small") has none: each doubles the cost of the fine layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganstudio.core.config import ModelConfig
from ganstudio.core.models.layers import EqualLinear, ModulatedConv2d, normalize_2nd_moment, upsample2x


class MappingNetwork(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.num_classes = cfg.num_classes
        in_dim = cfg.latent_dim
        if cfg.num_classes:
            self.embed = EqualLinear(cfg.num_classes, cfg.latent_dim)
            in_dim += cfg.latent_dim
        dims = [in_dim] + [cfg.w_dim] * cfg.mapping_layers
        self.layers = nn.Sequential(
            *[EqualLinear(a, b, lr_mul=0.01, activate=True) for a, b in zip(dims[:-1], dims[1:])]
        )
        # Running mean of w: the centre that truncation (psi) pulls towards.
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))

    def forward(self, z: torch.Tensor, class_index: torch.Tensor | None = None) -> torch.Tensor:
        x = normalize_2nd_moment(z)
        if self.num_classes:
            if class_index is None:
                raise ValueError("this generator is class-conditional: pass class_index")
            onehot = nn.functional.one_hot(class_index, self.num_classes).to(z.dtype)
            x = torch.cat([x, normalize_2nd_moment(self.embed(onehot))], dim=1)
        return self.layers(x)


class SynthesisNetwork(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.resolution = cfg.resolution
        self.tanh = cfg.g_tanh
        self.resize = cfg.g_upsample == "resize"
        c4 = cfg.channels(4)
        self.const = nn.Parameter(torch.randn(c4, 4, 4))
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.extra = nn.ModuleList()  # the model size's further 3x3 convs at each resolution
        self.conv4 = ModulatedConv2d(c4, c4, 3, cfg.w_dim)
        in_ch = c4
        for i in range(int(math.log2(cfg.resolution)) - 1):
            res = 4 * 2**i
            out_ch = cfg.channels(res)
            self.convs.append(ModulatedConv2d(in_ch, out_ch, 3, cfg.w_dim, up=res > 4 and not self.resize, blur=cfg.g_blur))
            extra = cfg.g_convs if res > 4 else 0
            self.extra.append(nn.ModuleList(ModulatedConv2d(out_ch, out_ch, 3, cfg.w_dim) for _ in range(extra)))
            self.to_rgbs.append(ModulatedConv2d(out_ch, 3, 1, cfg.w_dim, demodulate=False, activate=False))
            in_ch = out_ch

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        x = self.const.unsqueeze(0).expand(w.shape[0], -1, -1, -1)
        img = None
        for i, (conv, extra, to_rgb) in enumerate(zip(self.convs, self.extra, self.to_rgbs)):
            # The style scales each channel, so upsampling before the modulated conv is exact.
            x = conv(upsample2x(x) if self.resize and i > 0 else x, w)
            if i == 0:
                x = self.conv4(x, w)
            for layer in extra:
                x = layer(x, w)
            rgb = to_rgb(x, w)
            img = rgb if img is None else upsample2x(img) + rgb
        return torch.tanh(img) if self.tanh else img


class Generator(nn.Module):
    """z [N, latent_dim] (+ class_index [N]) -> image [N, 3, R, R], roughly in [-1, 1]."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)

    def forward(
        self,
        z: torch.Tensor,
        class_index: torch.Tensor | None = None,
        *,
        psi: float | torch.Tensor = 1.0,
        w_offset: torch.Tensor | None = None,
        update_w_avg: bool = False,
    ) -> torch.Tensor:
        w = self.mapping(z, class_index)
        if update_w_avg:
            with torch.no_grad():
                self.mapping.w_avg.lerp_(w.detach().float().mean(0), 0.005)
        if not (isinstance(psi, float) and psi == 1.0):
            psi_t = torch.as_tensor(psi, dtype=w.dtype, device=w.device).reshape(-1, 1)
            w = self.mapping.w_avg + psi_t * (w - self.mapping.w_avg)
        if w_offset is not None:
            w = w + w_offset
        return self.synthesis(w)
