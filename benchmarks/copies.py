"""Which comparison tells a near-copy of a training picture from a new picture of the same kind?
The evidence behind the copy check's feature space (infer/training_index.py).

    python benchmarks/copies.py FOLDER [FOLDER ...] [--demo] [--network]

Each set (exact duplicates dropped) is split 70/30. Queries: near-copies of training pictures
(what a memorising generator hands back) at three strengths, and the held-out pictures (new, of the
same kind). Strength 0: noise of 4 grey levels and a [1, 2, 1] blur; 1: also moved by up to a
pixel and brightness and contrast changed by up to 5%; 2: up to 2 pixels and 10%. Each query's
score is its nearest-training distance over the median training-to-training nearest distance, as
the report computes it. Printed: the median score of near-copies and of new pictures, and the
AUC (the chance that a near-copy scores below a new picture; 1 = always told apart).

Candidates: the 16x16 area averages the copy check uses, 8x8 and 32x32 ones, and with --network
EfficientNet-Lite1 (the KID network) features at 128 px: its stride-16 stage pooled, and its final
pooled embedding.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganstudio.core.data import make_demo_dataset  # noqa: E402
from ganstudio.core.data.dataset import load_image_folder  # noqa: E402
from ganstudio.infer.training_index import features as area16  # noqa: E402
from ganstudio.infer.training_index import nearest_distances, typical_distance  # noqa: E402


def perturb(x: torch.Tensor, strength: int, g: torch.Generator) -> torch.Tensor:
    """uint8 [N, 3, R, R] -> near-copies, uint8."""
    y = x.float()
    if strength:
        dx, dy = torch.randint(-strength, strength + 1, (2,), generator=g).tolist()
        y = torch.roll(y, (dy, dx), (2, 3))
        n = len(y)
        gain = 1 + (torch.rand(n, 1, 1, 1, generator=g) - 0.5) * 0.1 * strength
        y = (y - 127.5) * gain + 127.5 + (torch.rand(n, 1, 1, 1, generator=g) - 0.5) * 7.6 * strength
    k = torch.tensor([1.0, 2.0, 1.0])
    k = (k[:, None] * k[None]) / 16
    y = F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), k.expand(3, 1, 3, 3), groups=3)
    return (y + torch.randn(y.shape, generator=g) * 4).round().clamp(0, 255).to(torch.uint8)


def area(size: int):  # noqa: ANN201
    def f(x: torch.Tensor) -> np.ndarray:
        return F.interpolate(x.float() / 127.5 - 1, size=size, mode="area").flatten(1).numpy()

    return f


def network(kind: str):  # noqa: ANN201
    from ganstudio.core.models.efficientnet_lite import feature_network

    net = feature_network("lite1")

    @torch.no_grad()
    def f(x: torch.Tensor) -> np.ndarray:
        out = []
        for i in range(0, len(x), 64):
            xb = F.interpolate(x[i : i + 64].float() / 127.5 - 1, size=128, mode="bilinear", antialias=True, align_corners=False)
            v = net.embed(xb) if kind == "embed" else net(xb, levels=3)[-1].mean(dim=(2, 3))
            out.append(F.normalize(v, dim=1))
        return torch.cat(out).numpy()

    return f


def dedupe(x: torch.Tensor) -> torch.Tensor:
    flat = x.flatten(1).numpy()
    _, first = np.unique(flat, axis=0, return_index=True)
    return x[np.sort(first)]


def auc(copies: np.ndarray, new: np.ndarray) -> float:
    return float((copies[:, None] < new[None, :]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--demo", action="store_true", help="also the built-in demo shapes (1500)")
    parser.add_argument("--network", action="store_true", help="also EfficientNet-Lite1 features (minutes on a CPU)")
    parser.add_argument("--resolution", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(2)
    # Icon themes keep their pictures in size folders: name a set after the theme.
    sets = [(next(p for p in reversed(f.resolve().parts) if p not in ("base", "64x64", "256x256")), f) for f in args.folders]
    sets += [("demo", None)] if args.demo else []
    candidates = {"area 16 (ours)": lambda x: area16(x.permute(0, 2, 3, 1).numpy()), "area 8": area(8), "area 32": area(32)}
    if args.network:
        candidates.update({"Lite1 stride 16": network("stage"), "Lite1 embedding": network("embed")})
    print(f"{'set':<10} {'comparison':<18} " + "  ".join(f"{'strength ' + str(s):>26}" for s in range(3)))
    print(f"{'':<10} {'':<18} " + "  ".join(f"{'copies':>8}{'new':>8}{'AUC':>10}" for _ in range(3)))
    for name, folder in sets:
        data = make_demo_dataset(args.resolution, 1500, seed=0) if folder is None else load_image_folder(folder, args.resolution)
        x = dedupe(data.images)
        g = torch.Generator().manual_seed(0)
        order = torch.randperm(len(x), generator=g)
        cut = int(len(x) * 0.7)
        train, held = x[order[:cut]], x[order[cut:]]
        queries = [perturb(train[: len(held)], s, g) for s in range(3)]
        for label, fn in candidates.items():
            ft = fn(train)
            typical = typical_distance(ft)
            new = nearest_distances(fn(held), ft)[1] / typical
            cells = []
            for q in queries:
                copies = nearest_distances(fn(q), ft)[1] / typical
                cells.append(f"{np.median(copies):8.2f}{np.median(new):8.2f}{auc(copies, new):10.3f}")
            print(f"{name[:10]:<10} {label:<18} " + "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
