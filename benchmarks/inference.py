"""Inference speed: onnxruntime vs torch eager on the same generator, then `generate` end to end.

    python benchmarks/inference.py [MODEL_RUN] [--resolution 64] [--count 1000]

Without MODEL_RUN, a run folder holding the default 64 px architecture (untrained weights: speed
does not depend on them) is made in a temporary folder and exported. Both engines run on the CPU
in this process, one after the other, with their default thread settings; each figure is the
median of repeated timed calls after warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.export import export_generator
from ganstudio.core.export.generator import ExportGraph, load_ema_generator
from ganstudio.core.models import Generator
from ganstudio.core.training.checkpoint import save_checkpoint
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.infer import GeneratorModel
from ganstudio.infer.folder import generate_to_folder


def make_run(path: Path, resolution: int) -> Path:
    model = ModelConfig(resolution=resolution)
    folder = RunFolder(path)
    folder.create(TrainConfig(model=model), {"name": "benchmark", "images": 0, "classes": []})
    G = Generator(model)
    save_checkpoint(folder.checkpoints, 1, {f"G_ema.{k}": v for k, v in G.state_dict().items()}, {"images_seen": 0})
    return path


def median_seconds(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", type=Path, help="a training run folder (default: a fresh 64 px one)")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--count", type=int, default=1000, help="images for the end-to-end generate figure")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ganstudio-inference-"))
    run = args.run or make_run(tmp / "run", args.resolution)
    exported = export_generator(run, out=tmp / "model.onnx")
    folder = RunFolder(run)
    G, _ = load_ema_generator(folder, exported.step)
    graph = ExportGraph(G).eval()
    model = GeneratorModel(exported.path, device="cpu")
    latent, w_dim = G.cfg.latent_dim, G.cfg.w_dim
    print(f"generator: {G.cfg.resolution} px, {sum(p.numel() for p in G.parameters()) / 1e6:.2f} M parameters; "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), onnxruntime on {model.device}")

    print(f"{'batch':>5}  {'torch eager':>14}  {'onnxruntime':>14}  speed-up")
    for batch, repeats in ((1, 100), (64, 10)):
        z = np.random.default_rng(0).standard_normal((batch, latent), dtype=np.float32)
        feeds = {"z": z, "psi": np.ones(batch, np.float32), "w_offset": np.zeros((batch, w_dim), np.float32)}
        tensors = [torch.from_numpy(v) for v in feeds.values()]

        def run_torch() -> None:
            with torch.inference_mode():
                graph(*tensors)

        def run_ort() -> None:
            model._session.run(["image", "w"], feeds)

        t_torch = median_seconds(run_torch, repeats)
        t_ort = median_seconds(run_ort, repeats)
        print(f"{batch:>5}  {batch / t_torch:9.1f} img/s  {batch / t_ort:9.1f} img/s  {t_torch / t_ort:5.2f}x")

    seeds = list(range(args.count))
    start = time.perf_counter()
    for _ in model.batches_for_seeds(seeds, batch_size=32):
        pass
    generate_only = time.perf_counter() - start
    result = generate_to_folder(model, seeds, tmp / "images", batch_size=32)
    print(f"generate --count {args.count} (batch 32, PNG files included): {result.count / result.seconds:.0f} img/s, "
          f"{result.seconds:.2f} s in all")
    print(f"  generation alone: {generate_only:.2f} s; PNG encoding and writing: {result.encode_seconds:.2f} s on the writer "
          f"thread ({result.encode_seconds / result.seconds:.0%} of the wall clock, overlapped with generation)")


if __name__ == "__main__":
    main()
