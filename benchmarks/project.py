"""Find a picture in a model: how well, and how fast. Encoder alone (what the Player does) against
the encoder's guess refined by optimising w with torch (what the Studio can add).

    python benchmarks/project.py RUN [--held-out FOLDER] [--encoder-minutes 2] [--refine 100,300]

RUN is a finished training run. It is exported with an encoder (`export --with-encoder`, the
encoder trained for --encoder-minutes) into a temporary folder. Pictures: the generator's own
samples (the ceiling: they are in the model by construction), RUN's training pictures, and with
--held-out pictures of the same kind that the run never saw. Printed per set: PSNR and SSIM of
the model's picture against the picture, for the encoder alone and after each number of
refinement steps (Adam on w, lr 0.02, pixel MSE), and the seconds per 64 px picture on this CPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganstudio.core.data.dataset import load_image_folder  # noqa: E402
from ganstudio.core.export import export_generator  # noqa: E402
from ganstudio.core.export.encoder import refine  # noqa: E402
from ganstudio.core.export.generator import load_ema_generator  # noqa: E402
from ganstudio.core.training.runfolder import RunFolder  # noqa: E402
from ganstudio.infer import GeneratorModel  # noqa: E402
from ganstudio.infer.project import EncoderModel, project, psnr, ssim  # noqa: E402

PICTURES = 32  # per set for the encoder alone
REFINED = 8  # per set for each refinement (each takes seconds)


def to_torch(pictures: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(pictures).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    return images.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--held-out", type=Path, help="pictures of the same kind the run did not train on")
    parser.add_argument("--encoder-minutes", type=float, default=2.0)
    parser.add_argument("--refine", default="100,300", help="refinement steps to measure, comma-separated")
    args = parser.parse_args()
    torch.set_num_threads(2)
    folder = RunFolder(args.run)
    out = Path(tempfile.mkdtemp(prefix="ganstudio-project-")) / "model.onnx"
    start = time.perf_counter()
    result = export_generator(args.run, out=out, encoder_seconds=args.encoder_minutes * 60, copies=False)
    print(f"exported with an encoder trained {args.encoder_minutes:g} min ({time.perf_counter() - start:.0f} s in all)")
    model = GeneratorModel(result.path, device="cpu", threads=2)
    encoder = EncoderModel(model, device="cpu", threads=2)
    G, _ = load_ema_generator(folder, result.step)
    resolution = model.info.resolution
    rng = np.random.default_rng(0)
    sets = {"the model's own samples (ceiling)": model.images_for_seeds(range(10_000, 10_000 + PICTURES))}
    source = folder.read().get("dataset", {}).get("source")
    if source and Path(source).is_dir():
        images = load_image_folder(source, resolution).images
        pick = rng.choice(len(images), min(PICTURES, len(images)), replace=False)
        sets["its training pictures"] = images[pick].permute(0, 2, 3, 1).numpy()
    if args.held_out:
        images = load_image_folder(args.held_out, resolution).images
        pick = rng.choice(len(images), min(PICTURES, len(images)), replace=False)
        sets[f"held out ({args.held_out.name})"] = images[pick].permute(0, 2, 3, 1).numpy()
    steps = [int(s) for s in args.refine.split(",") if s]
    print(f"\n{'pictures':<38} {'method':<18} {'PSNR dB':>8} {'SSIM':>6} {'s/picture':>10}")
    for name, pictures in sets.items():
        found = [project(encoder, p) for p in pictures]
        seconds = [f.seconds for f in found]
        print(f"{name:<38} {'encoder':<18} {np.mean([f.psnr for f in found]):8.2f} {np.mean([f.ssim for f in found]):6.3f} "
              f"{np.median(seconds):10.3f}")
        sub = pictures[:REFINED]
        base = found[:REFINED]
        print(f"{'':<38} {f'encoder, first {REFINED}':<18} {np.mean([f.psnr for f in base]):8.2f} "
              f"{np.mean([f.ssim for f in base]):6.3f}")
        for n in steps:
            t = time.perf_counter()
            w = torch.cat([refine(G, to_torch(p[None]), torch.from_numpy(f.w[None]), n) for p, f in zip(sub, base)])
            per = (time.perf_counter() - t) / len(sub)
            with torch.no_grad():
                made = to_uint8(G.synthesis(w))
            print(f"{'':<38} {f'refined {n} steps':<18} {np.mean([psnr(a, b) for a, b in zip(made, sub)]):8.2f} "
                  f"{np.mean([ssim(a, b) for a, b in zip(made, sub)]):6.3f} {per:10.2f}", flush=True)


if __name__ == "__main__":
    main()
