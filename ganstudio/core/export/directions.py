"""Principal directions of w (GANSpace, Härkönen et al. 2020): PCA of the mapping network's output,
and a plain-words name for what each one does to the pictures ("brighter", "subject to the left")."""

from __future__ import annotations

from collections.abc import Callable

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
    directions = Directions(vectors.float().numpy(), std.float().numpy())
    seeds = EFFECT_SEEDS if G.cfg.resolution <= 64 else EFFECT_SEEDS // 3  # GPU-sized models export on a CPU too
    effects = describe_directions(G.synthesis, w[:seeds].float(), directions)
    return Directions(directions.vectors, directions.std, effects)


EFFECT_SEEDS = 48  # pictures each direction is tried on: about 2 s at export at 64 px, steady names
EFFECT_AMOUNT = 2.0  # in standard deviations either side: the slider's usual span
# A direction is named after the property it moves most, in units of how much that property
# varies between seeds; below this it changes nothing a word fits, and keeps its number only.
EFFECT_THRESHOLD = 0.35
# (what + does, what - does) for each property measured by _properties, in its order.
EFFECT_WORDS = (
    ("brighter", "darker"),
    ("more contrast", "less contrast"),
    ("more colourful", "greyer"),
    ("warmer", "cooler"),
    ("larger subject", "smaller subject"),
    ("subject to the right", "subject to the left"),
    ("subject lower", "subject higher"),
    ("more detail", "smoother"),
)


@torch.no_grad()
def describe_directions(
    render: Callable[[torch.Tensor], torch.Tensor], w: torch.Tensor, directions: Directions
) -> tuple[str, ...]:
    """What moving each slider to + does, in words ("" where nothing stands out): the simple
    picture property (brightness, colour, the subject's size and place, detail) that changes most
    between -EFFECT_AMOUNT and +EFFECT_AMOUNT on the pictures of `w`, relative to how much that
    property varies between pictures anyway. `render` maps styles [N, w_dim] to images in [-1, 1]."""
    spread = _properties(render(w)).std(0).clamp_min(1e-6)
    effects = []
    for k in range(len(directions)):
        step = torch.from_numpy(directions.offset({k: EFFECT_AMOUNT})).to(w)
        change = (_properties(render(w + step)) - _properties(render(w - step))).mean(0) / spread
        best = int(change.abs().argmax())
        plus, minus = EFFECT_WORDS[best]
        effects.append((plus if change[best] > 0 else minus) if change[best].abs() >= EFFECT_THRESHOLD else "")
    return tuple(effects)


def _properties(images: torch.Tensor) -> torch.Tensor:
    """[N, len(EFFECT_WORDS)] simple properties of images [N, 3, H, W] in [-1, 1]. The subject is
    what differs from the colour along the border (the background, for most pictures)."""
    x = images.float().add(1).div(2).clamp(0, 1)
    r, g, b = x.unbind(1)
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    saturation = x.amax(1) - x.amin(1)
    border = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], dim=-1).mean(-1)  # [N, 3]
    subject = (x - border[..., None, None]).abs().sum(1)  # [N, H, W]
    mass = subject.sum((1, 2)).clamp_min(1e-6)
    h, w = luma.shape[-2:]
    ys = torch.linspace(-0.5, 0.5, h, device=x.device)[:, None]
    xs = torch.linspace(-0.5, 0.5, w, device=x.device)[None, :]
    detail = (luma[:, 1:, :] - luma[:, :-1, :]).abs().mean((1, 2)) + (luma[:, :, 1:] - luma[:, :, :-1]).abs().mean((1, 2))
    return torch.stack([
        luma.mean((1, 2)),
        luma.flatten(1).std(1),
        saturation.mean((1, 2)),
        (r - b).mean((1, 2)),
        (subject > 0.3).float().mean((1, 2)),
        (subject * xs).sum((1, 2)) / mass,
        (subject * ys).sum((1, 2)) / mass,
        detail,
    ], dim=1)  # fmt: skip
