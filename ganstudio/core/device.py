"""Choosing where training runs, and the process-wide torch settings it runs with."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator

import torch

from ganstudio.core.errors import GanStudioError


def resolve_device(choice: str = "auto") -> torch.device:
    """'auto' -> CUDA when it really works, else CPU. 'cuda' without a usable GPU is a clear error."""
    if choice not in ("auto", "cpu", "cuda") and not choice.startswith("cuda:"):
        raise GanStudioError(f"unknown device {choice!r}: use auto, cpu or cuda")
    if choice == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda" if choice == "auto" else choice)
    if choice == "auto":
        return torch.device("cpu")
    raise GanStudioError(
        "--device cuda was asked for, but PyTorch sees no usable CUDA GPU "
        f"(torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}). "
        "Install a CUDA build of PyTorch, or use --device cpu."
    )


def fits_on_device(nbytes: int, device: torch.device, fraction: float = 0.25) -> bool:
    """Whether a dataset of nbytes may live on the device, leaving most memory for training."""
    if device.type != "cuda":
        return True
    free, _total = torch.cuda.mem_get_info(device)
    return nbytes <= free * fraction


def training_threads() -> int:
    """Threads for torch's CPU ops: every core. With OpenMP's short spin (ganstudio/core/__init__.py)
    two threads train 1.35x as fast as one on a 2-core CPU in a real run, metric and snapshots
    included (108 vs 80 img/s at 32 px), while the window stays smooth (benchmarks/
    ui_responsiveness.py). OMP_NUM_THREADS, where set (by the user, or per worker by launch.py), wins."""
    if os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(torch.get_num_threads(), cores))


@functools.cache  # once per process; the settings are the same on every call anyway
def configure_torch() -> None:
    """Process-wide torch settings, made once per process before the first training step."""
    torch.set_num_threads(training_threads())
    # Tiny gradients drift into denormal floats over a long run, and CPUs handle those on a
    # slow path; flushing them to zero costs nothing in quality.
    torch.set_flush_denormal(True)


def one_thread_for_torch() -> None:
    """For a thread beside training (the metric's): its torch ops on one thread. Left at every core,
    its first op makes OpenMP start a second team of threads, more threads than cores, and from
    then on OpenMP's idle threads sleep at once for the rest of the process: training fell from
    about 480 to 265 img/s (32 px, 2 cores) after the first checkpoint's metric, for good. The
    setting is per thread (OpenMP's nthreads): the training thread keeps every core."""
    torch.set_num_threads(1)


@contextlib.contextmanager
def seeded_init(seed: int) -> Iterator[None]:
    """Build networks from `seed` without moving the process's global RNG, which other threads
    (the app's, a metric) may be drawing from: the CPU generator is restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
