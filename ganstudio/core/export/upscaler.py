"""Write a trained upscaler as ONNX (input `image` [N, 3, h, w] in [0, 1], output `image`
[N, 3, s*h, s*w], dynamic N/h/w, `scale` in the metadata) and check it against torch first."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from ganstudio.core.errors import CheckpointError, ExportError
from ganstudio.core.export.generator import (
    OPSET, TOLERANCE, ExportResult, Stage, quiet_exporter, training_summary, write_verified,
)
from ganstudio.core.training.checkpoint import load_checkpoint
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.core.upscaler.config import UpscalerConfig
from ganstudio.core.upscaler.model import UpscalerNet
from ganstudio.infer.metadata import upscaler_metadata
from ganstudio.infer.session import open_session
from ganstudio.infer.upscale import Upscaler


class ClampedUpscaler(nn.Module):
    def __init__(self, net: UpscalerNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image).clamp(0, 1)


def load_upscaler(folder: RunFolder, step: int) -> tuple[UpscalerNet, UpscalerConfig, dict]:
    from ganstudio.core.upscaler.run import UpscalerRun

    config = UpscalerRun._read_config(folder)
    tensors, meta = load_checkpoint(folder.checkpoints, step)
    net = UpscalerNet(config)
    try:
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
    except RuntimeError as e:
        raise CheckpointError(f"checkpoint {step} in {folder.checkpoints} does not fit the run's model: {e}") from None
    return net.eval().requires_grad_(False), config, meta


def export_upscaler(
    run: str | os.PathLike, *, checkpoint: str | int = "best", out: str | os.PathLike | None = None, stage: Stage | None = None,
    name: str | None = None, extra: dict[str, str] | None = None,
) -> ExportResult:
    """Export, verify and write atomically; an export that fails its check is not left behind."""
    stage = stage or (lambda message: None)
    start = time.perf_counter()
    folder = RunFolder(Path(run))
    info = folder.read()
    step = folder.select_checkpoint(checkpoint)
    stage(f"loading checkpoint {step}")
    net, config, meta = load_upscaler(folder, step)
    name = name or folder.path.resolve().name
    kimg = meta.get("images_seen", 0) / 1000
    path = Path(out) if out else folder.path / "export" / f"{name}-x{config.scale}-{kimg:.0f}kimg.onnx"
    if path.suffix.lower() != ".onnx":
        raise ExportError(f"{path}: the exported model's file name must end in .onnx")
    stage("converting to ONNX")
    graph = ClampedUpscaler(net).eval()
    dims = {0: torch.export.Dim("N", min=1), 2: torch.export.Dim("H", min=4, max=8192), 3: torch.export.Dim("W", min=4, max=8192)}
    with quiet_exporter():
        try:
            program = torch.onnx.export(
                graph, (torch.rand(1, 3, 24, 40),), dynamo=True, input_names=["image"], output_names=["image_out"],
                dynamic_shapes=(dims,), opset_version=OPSET, external_data=False, verbose=False,
            )
        except Exception as e:  # noqa: BLE001 - the exporter raises many types
            raise ExportError(f"the ONNX exporter failed on this upscaler: {type(e).__name__}: {e}") from None
    model = program.model_proto
    dataset = info.get("dataset", {})
    summary = {**training_summary(name, meta, step, dataset, "fp32"), **(extra or {})}
    onnx.helper.set_model_props(model, upscaler_metadata(config.scale, summary))
    model.doc_string = f"GAN Studio x{config.scale} upscaler from {name}, {kimg:.1f} kimg"
    data = model.SerializeToString()
    diff = write_verified(path, data, lambda unverified: _verify(graph, unverified, config.scale), TOLERANCE["fp32"],
                          f"the ONNX export of {folder.path}", stage)
    return ExportResult(path, step, "fp32", diff, TOLERANCE["fp32"], time.perf_counter() - start)


@torch.no_grad()
def _verify(graph: nn.Module, path: Path, scale: int) -> float:
    """Largest |onnxruntime - torch| on two batches of odd sizes (the axes really are dynamic), and
    the inference side must read it back as an upscaler of the right scale."""
    model = Upscaler(path, "cpu")
    if model.scale != scale or not model.info.ganstudio:
        raise ExportError(f"the exported upscaler reads back as x{model.scale}, not x{scale}")
    session = open_session(path, "cpu").ort
    g = torch.Generator().manual_seed(7)
    diff = 0.0
    for shape in ((2, 3, 17, 29), (1, 3, 48, 32)):
        x = torch.rand(*shape, generator=g)
        y = session.run(None, {"image": x.numpy()})[0]
        diff = max(diff, float(np.abs(y - graph(x).numpy()).max()))
    return diff
