"""Sample quality for the same wall-clock budget: our default recipe vs the PyTorch DCGAN example,
on one or more folders of real pictures.

    python benchmarks/quality.py FOLDER [FOLDER ...] [--minutes 10] [--out DIR] [--set KEY=VALUE ...]
                                 [--no-reference]

For each folder, both train at 64 px on the same pictures for the same minutes, one after the
other. Each then draws 2048 samples (ours from the EMA generator of the checkpoint that export
takes: the best by the run's metric) and both are scored against the same 2048 real images with
two distances, lower is better:

* SWD: the project's multi-scale sliced Wasserstein distance on 7x7 patches (x1e3);
* KID: the kernel distance on pooled features of a frozen EfficientNet-Lite1 at its own 240 px
  input (x1e3): whole-object structure, which SWD misses.

Ours uses the recipe `ganstudio train` picks for this machine; `--set model.g_channel_base=2048`
or `--set g_lr=0.001` changes one setting of it (to compare recipes), `--no-reference` skips the
DCGAN runs. Real pictures, e.g. /usr/share/icons/oxygen/base/64x64 (Debian's oxygen-icon-theme).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from ganstudio.core.config import TrainConfig  # noqa: E402
from ganstudio.core.data import load_image_folder  # noqa: E402
from ganstudio.core.metrics.kid import KernelDistance  # noqa: E402
from ganstudio.core.metrics.swd import SlicedWasserstein  # noqa: E402
from ganstudio.core.models import Generator  # noqa: E402
from ganstudio.core.config import default_config  # noqa: E402
from ganstudio.core.training import events as ev  # noqa: E402
from ganstudio.core.training.checkpoint import load_checkpoint  # noqa: E402
from ganstudio.core.training.run import TrainingRun  # noqa: E402
from ganstudio.core.training.task import make_grid  # noqa: E402
from ganstudio.core.training.runfolder import RunFolder  # noqa: E402

SAMPLES = 2048
# Each side trains with the threads it is fastest with here: ours with the app's own choice
# (core.device.training_threads), the example with torch's default, as it would run.
TORCH_DEFAULT_THREADS = torch.get_num_threads()


def sample_ours(run_dir: Path, n: int) -> torch.Tensor:
    """n EMA-G samples of the checkpoint export would take (the best by the metric, else the latest)."""
    folder = RunFolder(run_dir)
    config = folder.config()
    step = folder.best_checkpoint() or folder.latest_checkpoint()
    tensors, _ = load_checkpoint(folder.checkpoints, step)
    G = Generator(config.model)
    G.load_state_dict({k[len("G_ema.") :]: v for k, v in tensors.items() if k.startswith("G_ema.")})
    G.eval()
    z = torch.randn(n, config.model.latent_dim, generator=torch.Generator().manual_seed(1))
    # A class-conditional run draws every class in turn, as its preview grid does.
    labels = torch.arange(n) % config.model.num_classes if config.model.num_classes else None
    out = []
    with torch.no_grad():
        for i in range(0, n, 256):
            img = G(z[i : i + 256], labels[i : i + 256] if labels is not None else None)
            out.append(img.mul(127.5).add(128).clamp(0, 255).to(torch.uint8))
    return torch.cat(out)


def images_per_second(run_dir: Path) -> float:
    events, _ = RunFolder(run_dir).read_log()
    progress = [e for e in events if isinstance(e, ev.Progress)]
    return progress[-1].kimg * 1000 / progress[-1].train_seconds if progress else float("nan")


def with_settings(config: TrainConfig, settings: list[str]) -> TrainConfig:
    data = config.to_dict()
    for item in settings:
        key, _, value = item.partition("=")
        target = data
        *parents, leaf = key.split(".")
        for p in parents:
            target = target[p]
        if leaf not in target:
            raise SystemExit(f"--set {item}: no setting named {key}")
        try:
            target[leaf] = json.loads(value)  # numbers, true/false, lists
        except ValueError:
            target[leaf] = value  # a word: augment=translation,cutout
    return TrainConfig.from_dict(data)


def benchmark(folder: Path, out: Path, minutes: float, settings: list[str], reference: bool) -> dict:
    from reference_dcgan import sample_reference, train_reference

    out.mkdir(parents=True, exist_ok=True)
    reals = load_image_folder(folder, 64).images
    reals = reals[torch.randperm(len(reals), generator=torch.Generator().manual_seed(0))[:SAMPLES]]
    print(f"\n== {folder} ({len(reals)} images scored); {minutes} min each; output {out}", flush=True)
    swd, kid = SlicedWasserstein(reals), KernelDistance(reals)

    config = with_settings(default_config(64, "cpu").replace(minutes=minutes), settings)
    TrainingRun.new(out / "ours", config, folder).run()
    runs = {"ours": (sample_ours(out / "ours", SAMPLES), images_per_second(out / "ours"))}

    if reference:
        # The reference reads the very pictures ours trains on (decoded, alpha on white, 64 px) as
        # RGB PNGs: the example's own loader would drop alpha to black, and only training should differ.
        ref_folder = out / "reference_data"
        ref_folder.mkdir(exist_ok=True)
        for i, img in enumerate(load_image_folder(folder, 64).images.permute(0, 2, 3, 1).numpy()):
            Image.fromarray(img).save(ref_folder / f"{i:05d}.png")
        ours_threads = torch.get_num_threads()
        torch.set_num_threads(TORCH_DEFAULT_THREADS)
        netG, result = train_reference(ref_folder, seconds=minutes * 60)
        torch.set_num_threads(ours_threads)
        runs["reference"] = (sample_reference(netG, SAMPLES), result.images_seen / result.seconds)

    scores = {}
    for name, (images, speed) in runs.items():
        Image.fromarray(make_grid(images[:64], 8)).save(out / f"{name}_samples.png")
        scores[name] = {"swd": swd(images)["swd"], "kid": kid(images)["kid"], "img_s": speed}
        print(f"  {name:>9}: SWD {scores[name]['swd']:6.1f}  KID {scores[name]['kid']:6.1f}  {speed:5.1f} img/s", flush=True)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, help="keep the runs and sample grids here")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change one setting of our recipe")
    parser.add_argument("--no-reference", action="store_true", help="train only ours")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="ganstudio-quality-"))
    t = time.perf_counter()
    table = {f: benchmark(f, out / (f.name or "images"), args.minutes, args.set, not args.no_reference) for f in args.folders}
    print(f"\n{'folder':<28} {'SWD ours':>8} {'ref':>7} {'ratio':>6}   {'KID ours':>8} {'ref':>7} {'ratio':>6}   {'img/s ours':>10} {'ref':>6}")
    for folder, s in table.items():
        o, r = s["ours"], s.get("reference")
        if r:
            print(f"{str(folder)[-28:]:<28} {o['swd']:8.1f} {r['swd']:7.1f} {o['swd'] / r['swd']:6.2f}   "
                  f"{o['kid']:8.1f} {r['kid']:7.1f} {o['kid'] / r['kid']:6.2f}   {o['img_s']:10.1f} {r['img_s']:6.1f}")
        else:
            print(f"{str(folder)[-28:]:<28} {o['swd']:8.1f} {'':>7} {'':>6}   {o['kid']:8.1f} {'':>7} {'':>6}   {o['img_s']:10.1f}")
    print("(goal: ratio <= 0.3 on both scores for every folder)")
    print(f"took {(time.perf_counter() - t) / 60:.0f} min; grids and runs in {out}")
    (out / "quality.json").write_text(json.dumps({str(k): v for k, v in table.items()}, indent=1))


if __name__ == "__main__":
    main()
