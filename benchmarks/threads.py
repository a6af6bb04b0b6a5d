"""How fast training runs on this CPU with one thread and with every core, under the OpenMP wait
setting ganstudio.core makes (a short spin: GOMP_SPINCOUNT / KMP_BLOCKTIME) and under the one it
made before (OMP_WAIT_POLICY=PASSIVE: threads sleep at once between ops).

    python benchmarks/threads.py [--seconds 20] [--resolution 32 64]

Each case trains the default CPU model on the demo data in a fresh process (the wait setting is
read once, when torch loads OpenMP), untimed warm-up first, and prints img/s and the ratio to one
thread under the same setting.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = r"""
import sys, time
import ganstudio.core  # makes the package's OpenMP settings, as every entry point does
import torch
from ganstudio.core.config import default_config
from ganstudio.core.data.demo import make_demo_dataset
from ganstudio.core.training.trainer import Trainer
resolution, threads, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
trainer = Trainer(default_config(resolution, "cpu"), make_demo_dataset(resolution, 300).images, None, torch.device("cpu"))
for _ in range(15):
    trainer.train_step()
start, seen = time.perf_counter(), trainer.images_seen
while time.perf_counter() - start < seconds:
    trainer.train_step()
print((trainer.images_seen - seen) / (time.perf_counter() - start))
"""

SETTINGS = {
    "short spin (ganstudio's)": {},
    "PASSIVE (sleep at once)": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0", "KMP_BLOCKTIME": "0"},
}


def images_per_second(resolution: int, threads: int, seconds: float, env: dict[str, str]) -> float:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(resolution), str(threads), str(seconds)],
                         env={**base, **env}, capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--resolution", type=int, nargs="+", default=[32, 64])
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"training img/s, default CPU model, demo data, {args.seconds:.0f} s per case, {cores} cores")
    for resolution in args.resolution:
        for name, env in SETTINGS.items():
            one = images_per_second(resolution, 1, args.seconds, env)
            cells = [f"1 thread {one:6.1f}"]
            if cores > 1:
                every = images_per_second(resolution, cores, args.seconds, env)
                cells.append(f"{cores} threads {every:6.1f} ({every / one:.2f}x)")
            print(f"{resolution:>4} px  {name:<26} " + "   ".join(cells), flush=True)


if __name__ == "__main__":
    main()
