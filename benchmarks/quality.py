"""Sample quality for the same wall-clock budget: our default recipe vs the PyTorch DCGAN example.

    python benchmarks/quality.py FOLDER [--minutes 10] [--out DIR]

Both train at 64 px on the same pictures for the same minutes, one after the other. Each then draws 2048
samples (ours from the EMA generator of its last checkpoint) and both are scored with the
project's multi-scale sliced Wasserstein distance against the same 2048 real images (lower is
better). Use real pictures, e.g. /usr/share/icons/oxygen/base/64x64 from Debian's
oxygen-icon-theme.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from ganstudio.core.config import ModelConfig, TrainConfig  # noqa: E402
from ganstudio.core.data import load_image_folder  # noqa: E402
from ganstudio.core.metrics.swd import SlicedWasserstein  # noqa: E402
from ganstudio.core.models import Generator  # noqa: E402
from ganstudio.core.training.checkpoint import load_checkpoint  # noqa: E402
from ganstudio.core.training.run import TrainingRun, make_grid  # noqa: E402
from ganstudio.core.training.runfolder import RunFolder  # noqa: E402

SAMPLES = 2048


def sample_ours(run_dir: Path, n: int) -> torch.Tensor:
    folder = RunFolder(run_dir)
    config = folder.config()
    tensors, _ = load_checkpoint(folder.checkpoints, folder.latest_checkpoint())
    G = Generator(config.model)
    G.load_state_dict({k[len("G_ema.") :]: v for k, v in tensors.items() if k.startswith("G_ema.")})
    G.eval()
    z = torch.randn(n, config.model.latent_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.cat([G(z[i : i + 256]).mul(127.5).add(128).clamp(0, 255).to(torch.uint8) for i in range(0, n, 256)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, help="keep the runs and sample grids here")
    args = parser.parse_args()

    from reference_dcgan import sample_reference, train_reference

    out = args.out or Path(tempfile.mkdtemp(prefix="ganstudio-quality-"))
    out.mkdir(parents=True, exist_ok=True)
    reals = load_image_folder(args.folder, 64).images
    print(f"data: {args.folder} ({len(reals)} images); budget {args.minutes} min each; output {out}")
    swd = SlicedWasserstein(reals[torch.randperm(len(reals), generator=torch.Generator().manual_seed(0))[:SAMPLES]])

    t = time.perf_counter()
    config = TrainConfig(model=ModelConfig(resolution=64), minutes=args.minutes)
    TrainingRun.new(out / "ours", config, args.folder).run()
    ours = sample_ours(out / "ours", SAMPLES)
    print(f"ours trained in {time.perf_counter() - t:.0f} s")

    # The reference reads the very pictures ours trains on (decoded, alpha on white, 64 px) as RGB
    # PNGs: the example's own loader would drop alpha to black, and only training should differ.
    ref_folder = out / "reference_data"
    ref_folder.mkdir(exist_ok=True)
    for i, img in enumerate(reals.permute(0, 2, 3, 1).numpy()):
        Image.fromarray(img).save(ref_folder / f"{i:05d}.png")
    netG, result = train_reference(ref_folder, seconds=args.minutes * 60)
    ref = sample_reference(netG, SAMPLES)
    print(f"reference trained {result.steps} steps, {result.images_seen / 1000:.1f} kimg in {result.seconds:.0f} s")

    for name, images in (("ours", ours), ("reference", ref)):
        Image.fromarray(make_grid(images[:64], 8)).save(out / f"{name}_samples.png")
    s_ours, s_ref = swd(ours), swd(ref)
    print("\nSWD x1e3 per level (lower is better):")
    for key in s_ours:
        print(f"  {key:>6}: ours {s_ours[key]:7.1f}   reference {s_ref[key]:7.1f}")
    print(f"ratio ours / reference: {s_ours['swd'] / s_ref['swd']:.2f} (goal <= 0.5)")
    print(f"sample grids: {out / 'ours_samples.png'}, {out / 'reference_samples.png'}")


if __name__ == "__main__":
    main()
