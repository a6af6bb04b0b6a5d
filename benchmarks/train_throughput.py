"""Training speed: our default 64 px recipe vs the PyTorch DCGAN example, same machine, same run.

    python benchmarks/train_throughput.py [FOLDER] [--seconds 60] [--rounds 2]

Without FOLDER, the built-in demo set is written out as 2000 PNGs so that the reference has files
to load, as it would in real use. Rounds alternate (reference, ours, reference, ours, ...) so a
busy machine slows both alike. Ours is timed through the whole TrainingRun (batch sampling,
augmentation, lazy R1, EMA, progress events, sample grids), minus start-up; the reference is timed
from its first batch, its DataLoader workers included.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image  # noqa: E402

from ganstudio.core.config import ModelConfig, TrainConfig  # noqa: E402
from ganstudio.core.data import make_demo_dataset  # noqa: E402
from ganstudio.core.training import events as ev  # noqa: E402
from ganstudio.core.training.run import TrainingRun  # noqa: E402


def write_demo_folder(folder: Path, count: int = 2000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    images = make_demo_dataset(64, count).images.permute(0, 2, 3, 1).numpy()
    for i, img in enumerate(images):
        Image.fromarray(img).save(folder / f"demo_{i:05d}.png")
    return folder


def time_ours(folder: Path, seconds: float, out: Path) -> float:
    """img/s of a TrainingRun once it is running (data decoding and model set-up excluded)."""
    marks: list[tuple[float, float]] = []

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.Progress):
            marks.append((time.perf_counter(), event.kimg))

    # No checkpoint/metric inside the timed window: those are every 10 kimg in a real run.
    config = TrainConfig(model=ModelConfig(resolution=64), minutes=seconds / 60 + 0.1, checkpoint_kimg=1e9)
    TrainingRun.new(out, config, folder, listener).run()
    (t0, k0), (t1, k1) = marks[1], marks[-1]  # skip the first interval: one-off warm-up
    return (k1 - k0) * 1000 / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0, help="timed seconds per round and trainer")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from reference_dcgan import train_reference

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or write_demo_folder(Path(tmp) / "demo")
        print(f"data: {folder}")
        ours, ref = [], []
        for r in range(args.rounds):
            _, result = train_reference(folder, seconds=args.seconds, warmup_steps=3)
            ref.append(result.images_seen / result.seconds)
            ours.append(time_ours(folder, args.seconds, Path(tmp) / f"run{r}"))
            print(f"round {r + 1}: reference {ref[-1]:6.1f} img/s   ours {ours[-1]:6.1f} img/s")
    o, f = sum(ours) / len(ours), sum(ref) / len(ref)
    print(f"\nDCGAN example (batch 64, DataLoader 2 workers): {f:6.1f} img/s")
    print(f"GAN Studio default 64 px recipe (batch 16):    {o:6.1f} img/s")
    print(f"ratio ours / reference: {o / f:.2f}x (goal >= 1.2x)")


if __name__ == "__main__":
    main()
