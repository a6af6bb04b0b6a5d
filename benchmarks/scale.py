"""Training speed on 1 vs N processes (`ganstudio train --nproc N`), the same global batch.

    python benchmarks/scale.py                      # CPU: 1 vs 2 processes on the demo data
    python benchmarks/scale.py --device cuda --nproc 1 2 4 --resolution 64 --batch 64

Each configuration trains a fresh run for --kimg thousand images; speed is read from the run's own
log (images per second of training time, after the first progress report so that start-up, data
loading and the first slow steps do not count). Ratios are against the first --nproc value.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ganstudio.core.training import events as ev
from ganstudio.core.training.runfolder import RunFolder


def measured_speed(run: Path) -> float:
    events, _ = RunFolder(run).read_log()
    progress = [e for e in events if isinstance(e, ev.Progress)]
    if len(progress) < 2:
        raise SystemExit(f"{run}: too few progress reports to measure; raise --kimg")
    first, last = progress[0], progress[-1]
    return (last.kimg - first.kimg) * 1000 / max(last.train_seconds - first.train_seconds, 1e-9)


def train(nproc: int, args: argparse.Namespace, root: Path) -> tuple[float, float]:
    run = root / f"nproc{nproc}"
    command = [sys.executable, "-m", "ganstudio", "train", "--out", str(run), "--kimg", str(args.kimg),
               "--resolution", str(args.resolution), "--batch", str(args.batch), "--device", args.device,
               "--no-export", "--nproc", str(nproc)] + ([args.folder] if args.folder else [])
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"nproc {nproc} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return measured_speed(run), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", help="image folder (default: the built-in demo data)")
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--kimg", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each is kept")
    args = parser.parse_args()

    best: dict[int, tuple[float, float]] = {}
    for round_ in range(args.rounds):
        for n in args.nproc:
            with tempfile.TemporaryDirectory() as tmp:
                speed, wall = train(n, args, Path(tmp))
            print(f"round {round_ + 1}: {n} process(es): {speed:7.1f} img/s (whole command {wall:.1f} s)", flush=True)
            if n not in best or speed > best[n][0]:
                best[n] = (speed, wall)
    base = best[args.nproc[0]][0]
    print(f"\n{args.device}, {args.resolution} px, global batch {args.batch}, {args.kimg} kimg per run, best of {args.rounds}:")
    for n in args.nproc:
        speed, wall = best[n]
        print(f"  {n} process(es): {speed:7.1f} img/s  scaling {speed / base:.2f}x")
    if args.device == "cpu":
        print("On one CPU the processes share its cores (one process already uses all of them), so ~1x is the"
              " expectation: this shows what the distributed machinery costs. On N GPUs the ideal is Nx.")


if __name__ == "__main__":
    main()
