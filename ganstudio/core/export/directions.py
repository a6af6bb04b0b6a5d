"""Principal directions of w (GANSpace, Härkönen et al. 2020): PCA of the mapping network's output."""

from __future__ import annotations

import torch

from ganstudio.core.models import Generator
from ganstudio.infer.metadata import Directions

SAMPLES = 4096
COUNT = 16  # enough sliders for an artist; later components are mostly noise on small models


@torch.no_grad()
def principal_directions(G: Generator, samples: int = SAMPLES, count: int = COUNT, seed: int = 0) -> Directions:
    """Unit vectors along which w varies most, with the standard deviation of w along each.
    Seeded, and each vector's sign fixed (largest component positive), so a re-export gives the
    same sliders."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, G.cfg.latent_dim, generator=g)
    classes = None
    if G.cfg.num_classes:
        classes = torch.randint(0, G.cfg.num_classes, (samples,), generator=g)
    w = G.mapping(z, classes).double()
    centred = w - w.mean(0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    count = min(count, vh.shape[0])
    vectors = vh[:count]
    signs = torch.sign(vectors.gather(1, vectors.abs().argmax(1, keepdim=True)))
    vectors = vectors * signs
    std = s[:count] / (samples - 1) ** 0.5
    return Directions(vectors.float().numpy(), std.float().numpy())
