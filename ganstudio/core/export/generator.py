"""Write the EMA generator of a run as ONNX, with its metadata, and check it before calling it done.

Truncation (psi), the style offset and the class are graph inputs, so that a consumer needs no
knowledge of the architecture: z, psi, w_offset (+ class_index) in; image in [0, 1] and the
truncated w out (DESIGN.md). The check runs onnxruntime and the torch model on the same inputs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

import ganstudio
from ganstudio.core.errors import CheckpointError, ExportError
from ganstudio.core.export.copies import copy_check
from ganstudio.core.export.directions import principal_directions
from ganstudio.core.export.encoder import export_encoder
from ganstudio.core.models import Generator
from ganstudio.core.training.checkpoint import load_checkpoint
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.infer.atomic import atomic_path
from ganstudio.infer.export_result import ExportResult
from ganstudio.infer.generator import GeneratorModel
from ganstudio.infer.metadata import Directions, generator_metadata
from ganstudio.infer.project import encoder_path
from ganstudio.infer.session import open_session
from ganstudio.infer.training_index import REPORT_KEY, index_path

OPSET = 18
# Largest |onnxruntime - torch| accepted over images in [0, 1]. fp16 keeps ~3 significant digits;
# measured 2e-3..4e-3 on 64 px models, so 1e-2 leaves room and is still a tenth of a grey level
# away from visible (1/255 = 4e-3 per level: at most ~3 levels on the worst pixel).
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2}

Stage = Callable[[str], None]


class ExportGraph(nn.Module):
    """The graph that is exported: G's mapping, truncation, offset and synthesis, images in [0, 1]."""

    def __init__(self, G: Generator) -> None:
        super().__init__()
        self.G = G

    def forward(
        self, z: torch.Tensor, psi: torch.Tensor, w_offset: torch.Tensor, class_index: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dtype = self.G.synthesis.const.dtype  # fp16 exports compute in half, with fp32 inputs/outputs
        mapping = self.G.mapping
        w = mapping(z.to(dtype), class_index)
        w = mapping.w_avg + psi.to(dtype)[:, None] * (w - mapping.w_avg)
        image = self.G.synthesis(w + w_offset.to(dtype))
        return ((image.clamp(-1, 1) + 1) * 0.5).float(), w.float()


def load_ema_generator(folder: RunFolder, step: int) -> tuple[Generator, dict]:
    config = folder.config()
    tensors, meta = load_checkpoint(folder.checkpoints, step)
    G = Generator(config.model)
    state = {k.removeprefix("G_ema."): v for k, v in tensors.items() if k.startswith("G_ema.")}
    try:
        G.load_state_dict(state)
    except RuntimeError as e:
        raise CheckpointError(f"checkpoint {step} in {folder.checkpoints} does not fit the run's model: {e}") from None
    return G.eval().requires_grad_(False), meta


def training_summary(name: str, meta: dict, step: int, dataset: dict, precision: str) -> dict[str, object]:
    """The training summary every exported model carries in its metadata (DESIGN.md)."""
    return {
        "name": name,
        "images_seen": meta.get("images_seen", 0),
        "checkpoint_step": step,
        "dataset_name": dataset.get("name", ""),
        "dataset_size": dataset.get("images", ""),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "ganstudio_version": ganstudio.__version__,
        "precision": precision,
    }


def export_generator(
    run: str | os.PathLike,
    *,
    checkpoint: str | int = "best",
    fp16: bool = False,
    out: str | os.PathLike | None = None,
    stage: Stage | None = None,
    copies: bool = True,
    encoder_seconds: float = 0.0,
) -> ExportResult:
    """Export, verify and write atomically; an export that fails its check is not left behind.
    With `copies`, also measure whether the generator copies its training pictures (in the model's
    metadata) and write the training index beside the model (copies.py). With `encoder_seconds`,
    also train an encoder for that long and write it beside the model (encoder.py)."""
    stage = stage or (lambda message: None)
    start = time.perf_counter()
    folder = RunFolder(Path(run))
    info = folder.read()
    step = folder.select_checkpoint(checkpoint)
    stage(f"loading checkpoint {step}")
    G, meta = load_ema_generator(folder, step)
    precision = "fp16" if fp16 else "fp32"
    kimg = meta.get("images_seen", 0) / 1000
    name = folder.path.resolve().name
    path = Path(out) if out else folder.path / "export" / f"{name}-{kimg:.0f}kimg{'-fp16' if fp16 else ''}.onnx"
    if path.suffix.lower() != ".onnx":
        raise ExportError(f"{path}: the exported model's file name must end in .onnx")

    stage("finding principal directions of w and what each changes")
    directions = principal_directions(G)
    check, report, copies_note = copy_check(folder, G, stage) if copies else (None, None, "it was not asked for")
    stage("converting to ONNX")
    model = _to_onnx(G, fp16)
    dataset = info.get("dataset", {})
    summary = training_summary(name, meta, step, dataset, precision)
    classes = list(dataset.get("classes", [])) if G.cfg.num_classes else []
    props = generator_metadata(G.cfg.latent_dim, G.cfg.w_dim, G.cfg.resolution, classes, directions, summary)
    if report is not None:
        props[REPORT_KEY] = report.to_json()
    onnx.helper.set_model_props(model, props)
    model.doc_string = f"GAN Studio generator from {name}, {kimg:.1f} kimg"
    data = model.SerializeToString()

    def verify(unverified: Path) -> float:
        diff = _verify(G, unverified, directions)
        GeneratorModel(unverified, device="cpu")  # the metadata reads back as the inference side expects
        return diff

    diff = write_verified(path, data, verify, TOLERANCE[precision], f"the ONNX export of {folder.path}", stage)
    index = index_path(path)
    try:
        if check is not None and report is not None:
            stage("writing the training index (for the nearest training pictures in Explore)")
            check.write_index(index, path, report)
        else:
            index.unlink(missing_ok=True)  # an older export's index: it belongs to the file just replaced
            index = None
    except OSError as e:
        index, copies_note = None, f"the training index could not be written: {e.strerror or e}"
    encoder = encoder_path(path)
    if encoder_seconds > 0:
        export_encoder(G, path, encoder, encoder_seconds, name, stage)
    else:
        try:
            encoder.unlink(missing_ok=True)  # an older export's encoder: it belongs to the file just replaced
        except OSError as e:
            raise ExportError(f"{encoder} belongs to the model just replaced and could not be removed: {e.strerror or e}") from None
    return ExportResult(path, step, precision, diff, TOLERANCE[precision], time.perf_counter() - start,
                        report.to_json() if report else "", index, copies_note, encoder if encoder_seconds > 0 else None)


def write_verified(path: Path, data: bytes, check: Callable[[Path], float], tolerance: float, what: str, stage: Stage) -> float:
    """Write the model beside `path` under a temporary name, `check` it there (returns the largest
    |onnxruntime - torch|), and only when it is within `tolerance` move it onto `path`: an export
    that fails its check leaves nothing behind. Shared by every exporter."""
    stage("checking onnxruntime against torch")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"could not create {path.parent}: {e.strerror or e}") from None
    try:
        with atomic_path(path) as unverified:  # the checked bytes are the ones that land, no second write
            unverified.write_bytes(data)
            diff = check(unverified)
            if diff > tolerance:
                raise ExportError(
                    f"{what} differs from the torch model by {diff:.2e} (tolerance {tolerance:.0e}); nothing was written"
                )
            stage(f"saving {path.name}")
    except OSError as e:
        raise ExportError(f"could not write {path}: {e.strerror or e}") from None
    return diff


def _to_onnx(G: Generator, fp16: bool) -> onnx.ModelProto:
    import copy

    graph = ExportGraph(copy.deepcopy(G).half() if fp16 else G).eval()
    n = 2
    args: tuple[torch.Tensor, ...] = (torch.randn(n, G.cfg.latent_dim), torch.ones(n), torch.zeros(n, G.cfg.w_dim))
    names = ["z", "psi", "w_offset"]
    if G.cfg.num_classes:
        args += (torch.zeros(n, dtype=torch.int64),)
        names.append("class_index")
    batch = torch.export.Dim("N", min=1)
    # The exporter reports each of its passes on stdout and through logging and warnings; a user
    # needs none of it, and its real failures still raise.
    with quiet_exporter():
        try:
            program = torch.onnx.export(
                graph,
                args,
                dynamo=True,
                input_names=names,
                output_names=["image", "w"],
                dynamic_shapes=tuple({0: batch} for _ in args),
                opset_version=OPSET,
                external_data=False,
                verbose=False,
            )
        except Exception as e:  # the exporter raises many types; none of them is the user's to fix
            raise ExportError(f"the ONNX exporter failed on this model: {type(e).__name__}: {e}") from None
    return program.model_proto


@contextlib.contextmanager
def quiet_exporter():
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@torch.no_grad()
def _verify(G: Generator, path: Path, directions: Directions) -> float:
    """Largest |onnxruntime - torch(fp32)| over images for a batch of 5 (psi, offsets and classes
    varied) and a batch of 1 (the batch axis really is dynamic)."""
    g = torch.Generator().manual_seed(123)
    n = 5
    z = torch.randn(n, G.cfg.latent_dim, generator=g)
    psi = torch.tensor([1.0, 0.7, 0.5, 1.0, 0.0])
    offset = torch.zeros(n, G.cfg.w_dim)
    offset[1] = torch.from_numpy(directions.offset({0: 2.0}))
    offset[3] = torch.randn(G.cfg.w_dim, generator=g) * 0.5
    feeds = {"z": z, "psi": psi, "w_offset": offset}
    if G.cfg.num_classes:
        feeds["class_index"] = torch.arange(n) % G.cfg.num_classes
    reference = ExportGraph(G)(*feeds.values())[0].numpy()
    session = open_session(path, "cpu").ort
    diff = 0.0
    for rows in (slice(0, n), slice(2, 3)):
        image = session.run(["image"], {k: v[rows].numpy() for k, v in feeds.items()})[0]
        diff = max(diff, float(np.abs(image - reference[rows]).max()))
    return diff
