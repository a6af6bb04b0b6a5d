"""`ganstudio train --nproc N`: N worker processes on this machine through torch.distributed's
elastic launcher, the machinery behind torchrun (rendezvous, restarts, tearing down the others
when one fails). Each worker runs `python -m ganstudio train ...` with the rank in its environment.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Sequence

from ganstudio.core.errors import TrainingError


def ganstudio_command() -> list[str]:
    """How to start `ganstudio` in a new process: this Python with -m, or the frozen app itself
    (a PyInstaller build runs its command line when given one)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-u", "-m", "ganstudio"]


def launch_local(train_args: Sequence[str], nproc: int, *, max_restarts: int = 3, cuda: bool = False) -> int:
    """Run `ganstudio <train_args>` in nproc workers; 0 when all finished, else the error printed."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    if not cuda:
        # Workers on one CPU share its cores: without this each would start a thread per core.
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    logging.getLogger("torch.distributed.elastic").setLevel(logging.ERROR)  # its INFO chatter is not for users
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=f"ganstudio-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",  # a free port, as torchrun --standalone picks
        max_restarts=max_restarts,
        monitor_interval=0.5,
    )
    try:
        program, *prefix = ganstudio_command()
        elastic_launch(config, program)(*prefix, *train_args)
    except SignalException:
        # Ctrl-C (or the app's Stop): the agent has passed it on to the workers, which stopped after
        # saving a checkpoint, and waited for them (up to 30 s) before returning here.
        return 0
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        raise TrainingError(
            f"worker {rank} of {nproc} failed (exit code {failure.exitcode}) after {max_restarts} restarts; "
            "its message is above. The run folder keeps its last checkpoint: resume with --resume."
        ) from None
    return 0
