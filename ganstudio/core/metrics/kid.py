"""Kernel Inception Distance (Bińkowski et al. 2018), the global quality score, on the pooled
features of a frozen ImageNet EfficientNet-Lite1 instead of Inception (whose weights would have to
be downloaded).

SWD compares 7x7 patches and cannot see whether a sample is a whole object; a classifier's pooled
features can. Lite1, not the Lite0 under the projected discriminator, so D is not graded by its
own features. KID rather than FID: it is unbiased, so small sample sets (the live score uses a few
hundred) give the same expected value as large ones, only noisier.

Reported x1e3, lower is better, 0 for identical distributions (the unbiased estimate can dip
slightly below 0).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganstudio.core.models.efficientnet_lite import EfficientNetLite, feature_network

__all__ = ["KernelDistance", "kernel_distance"]

_BATCH = 64


def kernel_distance(real: torch.Tensor, fake: torch.Tensor, *, subsets: int = 50, subset_size: int = 1000, seed: int = 0) -> float:
    """Unbiased MMD^2 with the cubic polynomial kernel (x.y/d + 1)^3, averaged over random subsets."""
    gen = torch.Generator().manual_seed(seed)
    real, fake = real.double(), fake.double()
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise ValueError("the kernel distance needs at least 2 real and 2 generated images")
    d = real.shape[1]
    total = 0.0
    for _ in range(subsets):
        x = real[torch.randperm(len(real), generator=gen)[:m]]
        y = fake[torch.randperm(len(fake), generator=gen)[:m]]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        off = m * (m - 1)
        total += float((kxx.sum() - kxx.diagonal().sum()) / off + (kyy.sum() - kyy.diagonal().sum()) / off - 2 * kxy.mean())
    return total / subsets * 1e3


class KernelDistance:
    """KID of generated images against a fixed real set whose features are computed once.

    `input_size` is the side the images are resized to before the network: 240, Lite1's own,
    for the benchmark's full score; the live score uses a smaller side to stay cheap.
    """

    def __init__(
        self, reals: torch.Tensor, *, input_size: int = 240, device: torch.device | str = "cpu", network: EfficientNetLite | None = None
    ) -> None:
        self.input_size = input_size
        self.device = torch.device(device)
        self.net = network if network is not None else feature_network("lite1", self.device)
        self.real_features = self.features(reals)

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 [N, 3, H, W] (or float in [-1, 1]) -> [N, 1280] float32 on the CPU."""
        out = []
        for i in range(0, len(images), _BATCH):
            x = images[i : i + _BATCH].to(self.device)
            x = x.float().div(127.5).sub(1.0) if x.dtype == torch.uint8 else x.float()
            if x.shape[-1] != self.input_size:
                x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False, antialias=True)
            out.append(self.net.embed(x).float().cpu())
        return torch.cat(out)

    def __call__(self, fakes: torch.Tensor) -> dict[str, float]:
        return {"kid": kernel_distance(self.real_features, self.features(fakes))}
