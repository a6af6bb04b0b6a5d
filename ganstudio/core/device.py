"""Choosing where training runs."""

from __future__ import annotations

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
