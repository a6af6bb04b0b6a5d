"""Fine-tuning: a new run that starts from another run's weights (`ganstudio train --from RUN`).

G, D and EMA G start from the parent's checkpoint; the optimisers' moments, the augmentation
strength and the step count start fresh, since they describe the parent's data, not the new one.
The new run takes the parent's architecture. A different resolution is refused: new outer blocks
would start from nothing, which is no head start. A different number of classes re-initialises
only what holds the classes (the class embeddings of G and D, and the first mapping layer, which
reads G's): the rest of what the parent learnt still applies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.errors import CheckpointError, ConfigError
from ganstudio.core.training.checkpoint import load_checkpoint
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.infer.builtin import GENERAL, general_model_dir

NETWORKS = ("G", "D", "G_ema")  # what a fine-tuned run takes from its parent's checkpoint
# Parameters that hold the classes: the only ones that may not fit when the class counts differ.
CLASS_PARAMETERS = ("mapping.embed.", "mapping.layers.0.", "embed.")


@dataclass(frozen=True)
class Parent:
    """A run's checkpoint that a new run starts from."""

    folder: RunFolder
    step: int
    model: ModelConfig
    kimg: float
    dataset: dict[str, Any]  # the parent's run.json "dataset" entry

    def record(self) -> dict[str, Any]:
        """What run.json keeps of where a run started ("started_from")."""
        return {
            "run": str(self.folder.path),
            "checkpoint": self.step,
            "kimg": self.kimg,
            "dataset": self.dataset.get("name", ""),
            "fingerprint": self.dataset.get("fingerprint", ""),
        }

    def weights(self) -> dict[str, torch.Tensor]:
        """The parent's G, D and EMA G tensors, keyed as in a checkpoint ("G.mapping...")."""
        tensors, _ = load_checkpoint(self.folder.checkpoints, self.step)
        return {k: v for k, v in tensors.items() if k.split(".", 1)[0] in NETWORKS}


def open_parent(run: str | Path, checkpoint: str | int = "best") -> Parent:
    """The run to start from ("general": GAN Studio's general model), checked whole before anything
    is written: a clear CheckpointError
    for a folder that is missing, holds no run, holds an upscaler's or another version's, or whose
    checkpoint does not read back or does not fit its own model."""
    if str(run) == GENERAL:
        run = general_model_dir()
        if not (run / "run.json").is_file():
            raise CheckpointError(f"GAN Studio's general model is missing ({run}): reinstall GAN Studio, or start from a run of yours")
    folder = RunFolder(Path(run).expanduser().resolve())
    if not folder.path.is_dir():
        raise CheckpointError(f"{folder.path} does not exist: choose a training run folder to start from")
    if not folder.exists():
        raise CheckpointError(f"{folder.path} holds no training run to start from (no run.json)")
    config = folder.config()  # refuses an upscaler run and another schema, in words
    step = folder.select_checkpoint(checkpoint)
    tensors, meta = load_checkpoint(folder.checkpoints, step)
    parent = Parent(folder, step, config.model, float(meta.get("kimg", 0.0)), folder.read().get("dataset", {}))
    _check_fits(parent, tensors)
    return parent


def _check_fits(parent: Parent, tensors: dict[str, torch.Tensor]) -> None:
    from ganstudio.core.models import Generator, build_discriminator

    for prefix, net in (("G", Generator(parent.model)), ("D", build_discriminator(parent.model))):
        state = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as e:
            raise CheckpointError(
                f"checkpoint {parent.step} in {parent.folder.checkpoints} does not fit its run's model "
                f"({' '.join(str(e).split())[:200]})"
            ) from None


def fine_tune_config(parent: Parent, config: TrainConfig) -> TrainConfig:
    """The new run's settings with the parent's architecture (its class count its own)."""
    have, want = parent.model.resolution, config.model.resolution
    if have != want:
        raise ConfigError(
            f"{parent.folder.path.name} makes {have} px images, so a run started from it trains at {have} px, not {want} px: "
            f"leave the resolution at {have} px, or start a {want} px run from nothing"
        )
    return config.replace(model=dataclasses.replace(parent.model, num_classes=config.model.num_classes))


def load_parent_weights(networks: dict[str, torch.nn.Module], tensors: dict[str, torch.Tensor]) -> list[str]:
    """Copy the parent's weights into `networks` ({"G": ..., "D": ..., "G_ema": ...}); what holds
    the classes and does not fit (another class count) keeps its fresh initialisation. Returns
    the names of those parameters."""
    fresh = []
    for prefix, net in networks.items():
        state = net.state_dict()
        for name, value in state.items():
            theirs = tensors.get(f"{prefix}.{name}")
            if theirs is not None and theirs.shape == value.shape:
                state[name] = theirs
            elif name.startswith(CLASS_PARAMETERS):
                fresh.append(f"{prefix}.{name}")
            else:
                raise CheckpointError(f"the parent's {prefix}.{name} does not fit this run's model")
        net.load_state_dict(state)
    return fresh
