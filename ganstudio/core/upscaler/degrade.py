"""Training pairs for an upscaler: a high-resolution patch and the low-resolution image a user might
feed in for it -- downscaled, and (randomly, as Real-ESRGAN's recipe does, but milder) blurred,
noisy and JPEG-compressed, then quantised to 8 bits. All randomness from the generator passed in,
so that a resumed run draws the same pairs as an uninterrupted one."""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

BLUR_SIGMA = (0.2, 1.2)  # in low-resolution pixels, before downscaling (scaled by the factor)
NOISE_SIGMA = (1.0, 8.0)  # grey levels
JPEG_QUALITY = (50, 95)
CHANCES = {"blur": 0.5, "noise": 0.3, "jpeg": 0.3}  # times `degrade` (0..1)


def _uniform(rng: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=rng)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Per-image Gaussian blur of [N, C, H, W] (sigma [N], in pixels; 0 leaves an image alone)."""
    n, c, h, w = x.shape
    radius = max(1, int(math.ceil(3 * float(sigma.max()))))
    d = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    s = sigma.to(x).clamp_min(1e-3)[:, None]
    k1 = torch.exp(-0.5 * (d[None] / s) ** 2)
    k1 = k1 / k1.sum(dim=1, keepdim=True)  # [N, K]
    k1 = torch.where((sigma.to(x) > 0)[:, None], k1, (d == 0).to(x)[None].expand_as(k1))
    kernels = (k1[:, :, None] * k1[:, None, :]).repeat_interleave(c, dim=0)[:, None]  # [N*C, 1, K, K]
    padded = F.pad(x.reshape(1, n * c, h, w), (radius,) * 4, mode="reflect")
    return F.conv2d(padded, kernels, groups=n * c).reshape(n, c, h, w)


def downscale(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """Antialiased bicubic, like Pillow's: the "clean" low-resolution image."""
    return F.interpolate(hr, scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False)


def quantise(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(0, 1).mul(255).round().div(255)


def degrade_batch(hr: torch.Tensor, scale: int, amount: float, rng: torch.Generator) -> torch.Tensor:
    """hr float [N, 3, s*p, s*p] in [0, 1] (CPU) -> lr float [N, 3, p, p] in [0, 1], 8-bit levels."""
    n = hr.shape[0]
    # Every draw is made for every image whether used or not, so the stream never depends on luck.
    use = {k: torch.rand(n, generator=rng) < amount * p for k, p in CHANCES.items()}
    sigma = _uniform(rng, n, *BLUR_SIGMA) * scale * use["blur"]
    noise_sigma = _uniform(rng, n, *NOISE_SIGMA) / 255 * use["noise"]
    grey_noise = torch.rand(n, generator=rng) < 0.5
    noise = torch.randn(hr.shape[0], 3, hr.shape[2] // scale, hr.shape[3] // scale, generator=rng)
    noise = torch.where(grey_noise[:, None, None, None], noise[:, :1].expand_as(noise), noise)
    quality = _uniform(rng, n, *JPEG_QUALITY).round().int()
    x = gaussian_blur(hr, sigma) if bool(use["blur"].any()) else hr
    lr = quantise(downscale(x, scale) + noise * noise_sigma[:, None, None, None])
    for i in torch.nonzero(use["jpeg"]).flatten().tolist():
        lr[i] = jpeg(lr[i], int(quality[i]))
    return lr


def jpeg(image: torch.Tensor, quality: int) -> torch.Tensor:
    """[3, H, W] in [0, 1] through a JPEG encode/decode at `quality` (Pillow, 4:2:0 as cameras do)."""
    pixels = image.mul(255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        back = np.asarray(im.convert("RGB"))
    return torch.from_numpy(back.copy()).permute(2, 0, 1).float().div(255)
