"""Does the demo make shapes a person would name? A small CNN trained on the labelled demo data
(circle, square, triangle, star) judges a run's samples.

    python benchmarks/recognisable.py RUN [RUN ...] [--samples 1024] [--threshold 0.9]

Prints, for held-out real demo images (the classifier's ceiling) and for each run's EMA samples
(best checkpoint by the run's metric, as export takes it): the share of confident predictions
(softmax >= threshold) and how those spread over the four classes (the share of the rarest class
relative to an even spread: 1 = even, 0 = one class missing). The classifier is trained from
scratch, seeded, in about a minute on 2 CPU cores, on the demo's own images and on a fifth class,
"none", of what early GAN samples look like (demo images blurred into blobs, speckled with noise
or blended two by two, and smooth random colour fields): without it a classifier has to call
every blob and every saturated mess one of the four shapes, often confidently. Half the shapes it
learns from are softened (a Gaussian blur of up to 1.2 px): a person names a soft square at 32 px
as readily as a sharp one, and a classifier that never saw one called 98% of them "none" at
1 px (before 2026-12-08; `--sharp-only` trains that one again, to compare).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ganstudio.core.data.demo import DEMO_CLASSES, make_demo_dataset  # noqa: E402
from ganstudio.core.training.runfolder import RunFolder  # noqa: E402
from quality import sample_ours  # noqa: E402 - the checkpoint export takes, as the quality benchmark samples it


NONE = len(DEMO_CLASSES)  # the classifier's fifth class: not one of the shapes


def classifier() -> nn.Module:
    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))

    return nn.Sequential(block(3, 32), block(32, 64), block(64, 128), block(128, 128), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(128, len(DEMO_CLASSES) + 1))  # fmt: skip


def to_float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(127.5).sub(1.0)


def not_a_shape(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Images in [-1, 1] like `x` that show none of the shapes: a quarter each of blobs (x blurred
    well past its edges), speckles (x under heavy noise), ghosts (x blended with a shuffled x) and
    smooth random colour fields."""
    n, _, r, _ = x.shape
    blob = F.interpolate(F.interpolate(x, size=max(2, r // 8), mode="area"), size=r, mode="bicubic", align_corners=False)
    speckle = x + torch.randn(x.shape, generator=gen) * 0.6
    ghost = 0.5 * (x + x[torch.randperm(n, generator=gen)])
    field = F.interpolate(torch.rand(n, 3, 4, 4, generator=gen) * 2 - 1, size=r, mode="bicubic", align_corners=False)
    kind = torch.randint(0, 4, (n, 1, 1, 1), generator=gen)
    out = torch.where(kind == 0, blob, torch.where(kind == 1, speckle, torch.where(kind == 2, ghost, field * 1.5)))
    return out.clamp(-1, 1)


MAX_SOFTENING = 1.2  # px: the widest Gaussian blur a training shape gets (a person still names it)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Each image of x [N, C, R, R] blurred by its own sigma [N] (in px; 0 leaves it as it is)."""
    taps = torch.arange(-3, 4, dtype=x.dtype)
    kernel = torch.exp(-taps.square() / (2 * sigma.clamp(min=1e-3)[:, None].square()))  # [N, 7]
    kernel = kernel / kernel.sum(1, keepdim=True)
    n, c, r, _ = x.shape
    # Separable: rows, then columns, one kernel per image (as groups of a grouped conv).
    y = F.pad(x.reshape(1, n * c, r, r), (3, 3, 3, 3), mode="replicate")
    k = kernel.repeat_interleave(c, 0)
    y = F.conv2d(y, k[:, None, None, :], groups=n * c)
    y = F.conv2d(y, k[:, None, :, None], groups=n * c)
    return y.reshape(n, c, r, r)


def soften_half(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """x with a random half of its images blurred by up to MAX_SOFTENING px."""
    sigma = torch.rand(len(x), generator=gen) * MAX_SOFTENING
    sigma = torch.where(torch.rand(len(x), generator=gen) < 0.5, sigma, torch.zeros_like(sigma))
    out = x.clone()
    for i in range(0, len(x), 512):
        out[i : i + 512] = gaussian_blur(x[i : i + 512], sigma[i : i + 512])
    return out


def train_classifier(resolution: int, count: int = 8000, epochs: int = 4, seed: int = 0, soften: bool = True) -> nn.Module:
    torch.manual_seed(seed)
    data = make_demo_dataset(resolution, count, seed=1000 + seed)  # not the seed a demo run trains on
    gen = torch.Generator().manual_seed(seed)
    shapes = to_float(data.images)
    if soften:
        shapes = soften_half(shapes, gen)
    none = not_a_shape(to_float(make_demo_dataset(resolution, count // 4, seed=3000 + seed).images), gen)
    x = torch.cat([shapes, none])
    y = torch.cat([data.labels, torch.full((len(none),), NONE)])
    net = classifier()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            loss = F.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def judge(net: nn.Module, images: torch.Tensor, threshold: float) -> tuple[float, float, list[int]]:
    """(confident share, evenness of the confident classes, count per class): confident means a
    shape (not "none") with softmax >= threshold."""
    probs = torch.cat([F.softmax(net(to_float(images[i : i + 256])), 1) for i in range(0, len(images), 256)])
    conf, cls = probs.max(1)
    confident = cls[(conf >= threshold) & (cls != NONE)]
    counts = torch.bincount(confident, minlength=len(DEMO_CLASSES)).tolist()
    share = len(confident) / len(images)
    evenness = min(counts) / (len(confident) / len(DEMO_CLASSES)) if len(confident) else 0.0
    return share, evenness, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", type=Path, help="run folders trained on the demo data")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--sharp-only", action="store_true", help="the classifier of before 2026-12-08: no soft shapes in training")
    args = parser.parse_args()

    resolutions = {RunFolder(r).config().model.resolution for r in args.runs} or {32}
    if len(resolutions) > 1:
        parser.error(f"the runs have different resolutions ({sorted(resolutions)}): judge them separately")
    (resolution,) = resolutions
    t = time.perf_counter()
    net = train_classifier(resolution, soften=not args.sharp_only)
    print(f"classifier trained in {time.perf_counter() - t:.0f} s")
    held_out = make_demo_dataset(resolution, args.samples, seed=2000).images
    junk = not_a_shape(to_float(held_out), torch.Generator().manual_seed(1)).add(1).mul(127.5).round().to(torch.uint8)
    soft = gaussian_blur(held_out.float(), torch.full((len(held_out),), 1.0)).round().to(torch.uint8)
    rows = [("real demo images (held out): the ceiling", held_out), ("the same, blurred by 1 px", soft), ("blobs, speckles, ghosts (held out): the floor", junk)]
    rows += [(str(r), sample_ours(r, args.samples)) for r in args.runs]
    print(f"\n{'images':<48} {'confident':>9} {'evenness':>8}   " + " ".join(f"{c:>8}" for c in DEMO_CLASSES))
    for name, images in rows:
        share, even, counts = judge(net, images, args.threshold)
        print(f"{name[-48:]:<48} {share:9.1%} {even:8.2f}   " + " ".join(f"{c:8d}" for c in counts))
    print(f"(confident: softmax >= {args.threshold}; goal for the demo's samples: >= 60%)")


if __name__ == "__main__":
    main()
