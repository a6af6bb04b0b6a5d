"""Kill -9 at random moments, including mid-checkpoint-write, then resume: does the run survive?

    python benchmarks/kill_resume.py [--kills 20] [--seed 0]

A child process trains a tiny model that checkpoints every 2 steps (so that many kills land while
a checkpoint is being written) and prints each step it finishes. It is killed with SIGKILL after
a random delay; then the run folder must read back, its newest checkpoint must load whole, and the
next child resumes from it. Prints kill points survived and the steps lost per kill (steps the
child finished minus the step of the checkpoint the next one resumed from).
"""

from __future__ import annotations

import argparse
import random
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

CHILD = """
import sys
from pathlib import Path
from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.training import events as ev
from ganstudio.core.training.run import TrainingRun

run_dir, images = Path(sys.argv[1]), sys.argv[2]
def listener(event):
    if isinstance(event, ev.Progress):
        print("step", event.step, flush=True)
    elif isinstance(event, ev.Started):
        print("started", flush=True)
if (run_dir / "run.json").exists():
    run = TrainingRun.resume(run_dir, listener=listener)
else:
    model = ModelConfig(resolution=32, latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256,
                        max_channels=32, min_channels=8)
    config = TrainConfig(model=model, batch=8, kimg=1000, checkpoint_kimg=0.016, snapshot_kimg=0.064,
                         metric_images=64, grid_size=4, log_interval=1, keep_checkpoints=2)
    run = TrainingRun.new(run_dir, config, images, listener)
run.run()
"""


def make_images(folder: Path, count: int = 32) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def check_folder(run_dir: Path) -> int:
    """The step a resume would start from; raises if the folder is not readable."""
    from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
    from ganstudio.core.training.runfolder import RunFolder

    folder = RunFolder(run_dir)
    folder.config()  # run.json reads back
    steps = list_checkpoints(folder.checkpoints)
    for step in reversed(steps):  # what resume does: the newest one that loads whole
        try:
            load_checkpoint(folder.checkpoints, step)
            return step
        except Exception:  # noqa: BLE001 - a damaged newest checkpoint is allowed, a lost run is not
            continue
    raise RuntimeError(f"no loadable checkpoint in {folder.checkpoints} (have {steps})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="ganstudio-kill-"))
    images, run_dir = make_images(tmp / "images"), tmp / "run"
    lost: list[int] = []
    survived = 0
    for i in range(args.kills):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(run_dir), str(images)], stdout=subprocess.PIPE, text=True)
        last_step = None
        assert child.stdout is not None
        for line in child.stdout:  # wait until it trains, then give it a random time to live
            if line.startswith("started"):
                break
        deadline = time.monotonic() + rng.uniform(0.05, 2.0)
        sel = selectors.DefaultSelector()
        sel.register(child.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                line = child.stdout.readline()
                if line.startswith("step"):
                    last_step = int(line.split()[1])
        child.send_signal(signal.SIGKILL)
        child.wait()
        resume_step = check_folder(run_dir)
        survived += 1
        if last_step is not None:
            lost.append(max(0, last_step - resume_step))
        print(f"kill {i + 1:2d}: child had finished step {last_step}, resume starts at step {resume_step}")
    from ganstudio.core.training.run import TrainingRun

    final = TrainingRun.resume(run_dir, kimg=(check_folder(run_dir) + 4) * 8 / 1000).run()
    print(f"after the last kill, a resume trained on to step {final.step} ({final.reason})")
    print(f"\nkill points survived: {survived} of {args.kills} (run folder readable, newest good checkpoint loads)")
    if lost:
        print(f"steps lost per kill: mean {np.mean(lost):.1f}, max {max(lost)} (checkpoints every 2 steps)")


if __name__ == "__main__":
    main()
