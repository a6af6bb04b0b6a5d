"""Does the demo make shapes a person would name? A small CNN trained on the labelled demo data
(circle, square, triangle, star) judges a run's samples.

    python benchmarks/recognisable.py RUN [RUN ...] [--samples 1024] [--threshold 0.9]

Prints, for held-out real demo images (the classifier's ceiling) and for each run's EMA samples
(best checkpoint by the run's metric, as export takes it): the share of confident predictions
(softmax >= threshold) and how those spread over the four classes (the share of the rarest class
relative to an even spread: 1 = even, 0 = one class missing). The classifier is trained from
scratch, seeded, in about a minute on 2 CPU cores, with the demo's own augmentation-free images.
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


def classifier() -> nn.Module:
    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))

    return nn.Sequential(block(3, 32), block(32, 64), block(64, 128), block(128, 128), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(128, len(DEMO_CLASSES)))  # fmt: skip


def to_float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(127.5).sub(1.0)


def train_classifier(resolution: int, count: int = 8000, epochs: int = 4, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    data = make_demo_dataset(resolution, count, seed=1000 + seed)  # not the seed a demo run trains on
    x, y = to_float(data.images), data.labels
    net = classifier()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            loss = F.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def judge(net: nn.Module, images: torch.Tensor, threshold: float) -> tuple[float, float, list[int]]:
    """(confident share, evenness of the confident classes, count per class)."""
    probs = torch.cat([F.softmax(net(to_float(images[i : i + 256])), 1) for i in range(0, len(images), 256)])
    conf, cls = probs.max(1)
    confident = cls[conf >= threshold]
    counts = torch.bincount(confident, minlength=len(DEMO_CLASSES)).tolist()
    share = len(confident) / len(images)
    evenness = min(counts) / (len(confident) / len(DEMO_CLASSES)) if len(confident) else 0.0
    return share, evenness, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", type=Path, help="run folders trained on the demo data")
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()

    resolutions = {RunFolder(r).config().model.resolution for r in args.runs} or {32}
    if len(resolutions) > 1:
        parser.error(f"the runs have different resolutions ({sorted(resolutions)}): judge them separately")
    (resolution,) = resolutions
    t = time.perf_counter()
    net = train_classifier(resolution)
    print(f"classifier trained in {time.perf_counter() - t:.0f} s")
    held_out = make_demo_dataset(resolution, args.samples, seed=2000).images
    rows = [("real demo images (held out)", held_out)] + [(str(r), sample_ours(r, args.samples)) for r in args.runs]
    print(f"\n{'images':<48} {'confident':>9} {'evenness':>8}   " + " ".join(f"{c:>8}" for c in DEMO_CLASSES))
    for name, images in rows:
        share, even, counts = judge(net, images, args.threshold)
        print(f"{name[-48:]:<48} {share:9.1%} {even:8.2f}   " + " ".join(f"{c:8d}" for c in counts))
    print(f"(confident: softmax >= {args.threshold}; goal for the demo's samples: >= 60%)")


if __name__ == "__main__":
    main()
