"""Several processes, one run, on torch.distributed: who this process is, and the few collectives
the training loop needs.

torchrun (or `ganstudio train --nproc N`, which uses its launcher) starts one process per GPU, or
per share of the CPU, and tells each its rank through environment variables. Every rank holds
the same networks and the same random streams; each takes its own slice of every global batch,
DistributedDataParallel averages the gradients, and rank 0 alone writes the run folder.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from ganstudio.core.device import resolve_device
from ganstudio.core.errors import TrainingError

# Rank 0 decodes the folder (and fills the decode cache) while the others wait at a barrier:
# a big folder on a slow disk takes minutes, so the default 10-30 minute timeouts are too tight.
STARTUP_TIMEOUT = timedelta(hours=2)


def in_launched_worker() -> bool:
    """True inside a process started by torchrun / the elastic launcher."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def restart_count() -> int:
    """How many times the launcher has restarted the workers after a failure (0 at first)."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> "World":
        if not in_launched_worker():
            return cls()
        return cls(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", "0")))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def start(self, device_choice: str) -> torch.device:
        """Join the process group (nccl between GPUs, gloo on CPUs); the device of this rank."""
        device = resolve_device(device_choice)
        if not self.distributed:
            return device
        # DDP copies the gradient of a [1, C] weight whose strides differ only on its size-1 axis:
        # harmless, and said at every step.
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        if device.type == "cuda":
            if self.local_rank >= torch.cuda.device_count():
                raise TrainingError(
                    f"worker {self.rank} wants GPU {self.local_rank}, but this machine has {torch.cuda.device_count()}: "
                    "start at most one process per GPU (--nproc)"
                )
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            backend = "nccl" if device.type == "cuda" else "gloo"
            dist.init_process_group(backend, store=_store(self.size), rank=self.rank, world_size=self.size, timeout=STARTUP_TIMEOUT)
        return device

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()

    # ---- collectives (no-ops in a single process) -------------------------------------------

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def sum_(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.distributed:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def mean_(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.distributed:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
            tensor.div_(self.size)
        return tensor

    def broadcast_ints(self, *values: int, device: torch.device) -> tuple[int, ...]:
        """Rank 0's values, on every rank: decisions that must be taken together (stop, which
        checkpoint to load)."""
        if not self.distributed:
            return values
        t = torch.tensor(values, dtype=torch.int64, device=device)
        dist.broadcast(t, src=0)
        return tuple(int(v) for v in t.tolist())

    def share(self, global_batch: int) -> slice:
        """This rank's slice of a global batch (the batch is checked to divide evenly)."""
        per_rank = global_batch // self.size
        return slice(self.rank * per_rank, (self.rank + 1) * per_rank)


def _store(world_size: int) -> dist.Store:
    """The key-value store the ranks meet in, with keys of their own for each restart.

    torchrun's agent shares its rendezvous store with the workers and keeps it across restarts;
    without a prefix per attempt, restarted workers read the addresses of the dead ones and gloo
    fails with "connection refused"."""
    host, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    # Under torchrun the agent hosts the store; otherwise rank 0 does.
    hosts = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True" and os.environ.get("RANK") == "0"
    store = dist.TCPStore(host, port, world_size, is_master=hosts, timeout=STARTUP_TIMEOUT)
    return dist.PrefixStore(f"ganstudio/attempt_{restart_count()}", store)
