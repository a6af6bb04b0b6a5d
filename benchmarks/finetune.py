"""Fine-tuning against training from scratch on small folders of a new domain.

    python benchmarks/finetune.py --parent RUN --data FOLDER [--sizes 20,50,100] [--minutes 10]
                                  [--arms scratch,finetune,freezed] [--out DIR]

RUN is a trained run on another domain, e.g. 10 minutes on the oxygen icons:
`ganstudio train /usr/share/icons/oxygen/base/64x64 --minutes 10 --out /tmp/parent`. For each size
N, N pictures drawn (seeded) from FOLDER are trained on for the same minutes by each arm, one
after the other, through the real driver (`TrainingRun`): "scratch" from random weights,
"finetune" from the parent's best checkpoint (`train --from`), "freezed" the same with D's two
finest resolutions frozen (`--freeze-d 2`). Every checkpoint's EMA generator is then scored by
SWD (1024 samples) against FOLDER's other pictures, which no arm trained on, so a model that
only memorised its N pictures does not score well.

Reported per size: each arm's SWD at the end, and the training time each fine-tuned arm took to
reach the best SWD that scratch reached in the whole budget, as a fraction of the budget (goal:
at most 1/3). Grids of each arm's last checkpoint are written beside the table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from ganstudio.core.config import default_config  # noqa: E402
from ganstudio.core.data import load_image_folder, scan_folder  # noqa: E402
from ganstudio.core.metrics.swd import SlicedWasserstein  # noqa: E402
from ganstudio.core.models import Generator  # noqa: E402
from ganstudio.core.training import events as ev  # noqa: E402
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint  # noqa: E402
from ganstudio.core.training.run import TrainingRun  # noqa: E402
from ganstudio.core.training.runfolder import RunFolder  # noqa: E402
from ganstudio.core.training.start_from import open_parent  # noqa: E402
from ganstudio.core.training.task import make_grid  # noqa: E402

SAMPLES = 1024
CHECKPOINTS = 16  # per arm over the budget: the time to reach a score is read at this grain
ARMS = {"scratch": None, "finetune": 0, "freezed": 2}  # arm -> D resolutions frozen (None: no parent)


def subset_folder(data: Path, n: int, out: Path) -> tuple[Path, set[Path]]:
    """N of the folder's pictures (seeded), copied into `out`; and the files chosen."""
    files = sorted(scan_folder(data).files)
    chosen = [files[i] for i in np.random.default_rng(n).permutation(len(files))[:n]]
    out.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(chosen):
        shutil.copy(f, out / f"{i:04d}{f.suffix.lower()}")
    return out, set(chosen)


def held_out_reals(data: Path, exclude: set[Path], resolution: int) -> torch.Tensor:
    rest = Path(tempfile.mkdtemp(prefix="ganstudio-heldout-"))
    for i, f in enumerate(sorted(set(scan_folder(data).files) - exclude)):
        (rest / f"{i:05d}{f.suffix.lower()}").symlink_to(f.resolve())
    images = load_image_folder(rest, resolution).images
    shutil.rmtree(rest)
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:2048]]


def train_arm(run_dir: Path, data: Path, parent_run: Path, freeze: int | None, minutes: float, kimg_per_minute: float) -> None:
    parent = open_parent(parent_run) if freeze is not None else None
    resolution = parent.model.resolution if parent else 64
    config = default_config(resolution, "cpu").replace(
        minutes=minutes, freeze_d=freeze or 0, kid=False, keep_checkpoints=1000,
        checkpoint_kimg=round(minutes * kimg_per_minute / CHECKPOINTS, 1),
    )
    TrainingRun.new(run_dir, config, data, start_from=parent).run()


def score_checkpoints(run_dir: Path, swd: SlicedWasserstein) -> list[dict]:
    """[{step, seconds (training time), swd}] of every checkpoint of the run, in order."""
    folder = RunFolder(run_dir)
    config = folder.config()
    events, _ = folder.read_log()
    progress = [(p.step, p.train_seconds) for p in events if isinstance(p, ev.Progress)]
    z = torch.randn(SAMPLES, config.model.latent_dim, generator=torch.Generator().manual_seed(1))
    rows = []
    for step in list_checkpoints(folder.checkpoints):
        tensors, _ = load_checkpoint(folder.checkpoints, step)
        G = Generator(config.model)
        G.load_state_dict({k[len("G_ema."):]: v for k, v in tensors.items() if k.startswith("G_ema.")})
        with torch.no_grad():
            images = G.eval()(z).mul(127.5).add(128).clamp(0, 255).to(torch.uint8)
        seconds = np.interp(step, [s for s, _ in progress] or [0], [t for _, t in progress] or [0]) if step else 0.0
        rows.append({"step": step, "seconds": float(seconds), "swd": swd(images)["swd"], "grid": make_grid(images[:64], 8)})
    return rows


def time_to_reach(rows: list[dict], target: float) -> float | None:
    """Training time of the first checkpoint after the start at or below `target`: the parent's own
    samples may already score well on patch statistics of a similar domain (oxygen's icons read
    69 on gnome's, better than 10 minutes from scratch on 20 of them), which says nothing of how
    fast it learns the new pictures."""
    return next((r["seconds"] for r in rows if r["step"] > 0 and r["swd"] <= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parent", type=Path, required=True, help="a trained run on another domain")
    parser.add_argument("--data", type=Path, required=True, help="pictures of the new domain (hundreds: most are held out)")
    parser.add_argument("--sizes", default="20,50,100")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--arms", default="scratch,finetune,freezed")
    parser.add_argument("--kimg-per-minute", type=float, default=12.0, help="this machine's speed, for the checkpoint cadence")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    arms = args.arms.split(",")
    if "scratch" not in arms or any(a not in ARMS for a in arms):
        parser.error(f"--arms: scratch and any of {', '.join(ARMS)}")
    out = args.out or Path(tempfile.mkdtemp(prefix="ganstudio-finetune-"))
    resolution = open_parent(args.parent).model.resolution
    results = {}
    for n in (int(s) for s in args.sizes.split(",")):
        folder, chosen = subset_folder(args.data, n, out / f"data{n}")
        swd = SlicedWasserstein(held_out_reals(args.data, chosen, resolution))
        results[n] = {}
        for arm in arms:
            run_dir = out / f"{arm}{n}"
            start = time.perf_counter()
            train_arm(run_dir, folder, args.parent, ARMS[arm], args.minutes, args.kimg_per_minute)
            rows = score_checkpoints(run_dir, swd)
            Image.fromarray(rows[-1]["grid"]).save(out / f"{arm}{n}.png")
            results[n][arm] = [{k: v for k, v in r.items() if k != "grid"} for r in rows]
            print(f"  {n:4d} images, {arm:>8}: SWD {rows[0]['swd']:6.1f} at the start -> {rows[-1]['swd']:6.1f} "
                  f"after {rows[-1]['seconds'] / 60:.1f} min ({(time.perf_counter() - start) / 60:.1f} min with scoring)", flush=True)
        (out / "finetune.json").write_text(json.dumps(results, indent=1))

    budget = args.minutes * 60
    print(f"\n{'images':>6} {'arm':>9} {'SWD start':>9} {'SWD end':>8} {'reaches scratch best at':>24}")
    for n, by_arm in results.items():
        target = min(r["swd"] for r in by_arm["scratch"])
        for arm, rows in by_arm.items():
            reached = time_to_reach(rows, target)
            when = "never" if reached is None else f"{reached / 60:4.1f} min = {reached / budget:4.2f}x"
            print(f"{n:>6} {arm:>9} {rows[0]['swd']:9.1f} {rows[-1]['swd']:8.1f} {when if arm != 'scratch' else f'(best {target:.1f})':>24}")
    print(f"(goal: a fine-tuned arm reaches scratch's best in at most 1/3 of the budget); runs and grids in {out}")


if __name__ == "__main__":
    main()
