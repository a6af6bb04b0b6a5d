"""An encoder for a trained generator: picture -> w, so that a user's own picture can be brought into
the model's latent space and edited there (GAN inversion). Trained on the generator's own samples,
whose w is known, with a loss on w and on the picture G makes from the guess; exported as ONNX
beside the generator (export_encoder) so that the torch-free Player can project too; refine()
then moves a guess by gradient descent where torch and the run are at hand.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

import ganstudio
from ganstudio.core.device import seeded_init
from ganstudio.core.models import Generator
from ganstudio.core.models.layers import EqualConv2d, EqualLinear
from ganstudio.infer.fingerprint import file_sha256
from ganstudio.infer.generator import GeneratorModel
from ganstudio.infer.metadata import encoder_metadata
from ganstudio.infer.project import EncoderModel
from ganstudio.infer.session import open_session

Progress = Callable[[float, float], None]  # (fraction done, current reconstruction PSNR in dB)
Stage = Callable[[str], None]
TOLERANCE = 1e-3  # largest |onnxruntime - torch| on w, whose entries are of order 1


class Encoder(nn.Module):
    """image [N, 3, R, R] in [-1, 1] -> w [N, w_dim]: stride-2 convs down to 4 px (twice the
    discriminator's channels), then two dense layers, whose output is added to G's w_avg: the
    encoder learns where a picture lies relative to the average one."""

    def __init__(self, G: Generator, width: int = 2) -> None:
        super().__init__()
        cfg = G.cfg
        res = cfg.resolution
        layers: list[nn.Module] = [EqualConv2d(3, width * cfg.channels(res, True), 1)]
        while res > 4:
            layers.append(EqualConv2d(width * cfg.channels(res, True), width * cfg.channels(res, True), 3))
            layers.append(EqualConv2d(width * cfg.channels(res, True), width * cfg.channels(res // 2, True), 4, down=True))
            res //= 2
        self.convs = nn.Sequential(*layers)
        c4 = width * cfg.channels(4, True)
        self.fc = EqualLinear(c4 * 16, c4, activate=True)
        self.out = EqualLinear(c4, cfg.w_dim)
        self.register_buffer("w_avg", G.mapping.w_avg.detach().clone())

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.w_avg + self.out(self.fc(self.convs(image).flatten(1)))


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per image, for pictures in [-1, 1] (peak-to-peak 2)."""
    mse = (a - b).square().flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(4 / mse)


def sample(G: Generator, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(pictures, their w) from G, classes at random for a conditional G."""
    z = torch.randn(n, G.cfg.latent_dim, generator=gen)
    labels = torch.randint(0, G.cfg.num_classes, (n,), generator=gen) if G.cfg.num_classes else None
    with torch.no_grad():
        w = G.mapping(z, labels)
        return G.synthesis(w).clamp(-1, 1), w


def train_encoder(
    G: Generator,
    seconds: float,
    *,
    batch: int = 16,
    lr: float = 2e-3,
    image_weight: float = 1.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> Encoder:
    """An encoder for G after `seconds` of training (at least one step) on G's own samples."""
    gen = torch.Generator().manual_seed(seed)
    G = G.eval().requires_grad_(False)
    with seeded_init(seed):  # the encoder's first weights, without moving the process's RNG
        E = Encoder(G)
    opt = torch.optim.Adam(E.parameters(), lr=lr, betas=(0.9, 0.99))
    with torch.no_grad():  # w's spread around its mean: the latent loss in units of it
        _, w = sample(G, 256, gen)
        w_scale = (w - w.mean(0)).square().mean().clamp_min(1e-8)
    start = time.perf_counter()
    step, last = 0, 0.0
    while step == 0 or time.perf_counter() - start < seconds:
        x, w = sample(G, batch, gen)
        # Half-way through, the learning rate falls away along a cosine: a steadier end.
        t = min((time.perf_counter() - start) / max(seconds, 1e-9), 1.0)
        for group in opt.param_groups:
            group["lr"] = lr * (1.0 if t < 0.5 else 0.5 * (1 + math.cos(math.pi * (t - 0.5) / 0.5)))
        guess = E(x)
        loss = (guess - w).square().mean() / w_scale
        if image_weight:
            loss = loss + image_weight * (G.synthesis(guess) - x).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if progress is not None and time.perf_counter() - last > 0.5:
            last = time.perf_counter()
            with torch.no_grad():
                progress(t, float(psnr(G.synthesis(guess.detach()), x).mean()))
    return E.eval().requires_grad_(False)


def refine(G: Generator, image: torch.Tensor, w: torch.Tensor, steps: int = 200, lr: float = 0.02,
           progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """w optimised for `steps` of Adam so that G's picture matches `image` (pixels, [-1, 1]).
    `progress(done, steps)` is called every few steps (it may raise to stop)."""
    G = G.eval().requires_grad_(False)
    w = w.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999))
    for step in range(steps):
        loss = F.mse_loss(G.synthesis(w), image)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if progress is not None and ((step + 1) % 10 == 0 or step + 1 == steps):
            progress(step + 1, steps)
    return w.detach()


def refine_picture(G: Generator, target: np.ndarray, w: np.ndarray, steps: int,
                   progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """refine() for numpy callers: target uint8 [R, R, 3], w float32 [w_dim] -> the refined w."""
    image = torch.from_numpy(np.ascontiguousarray(target)).permute(2, 0, 1)[None].float().div(127.5).sub(1)
    return refine(G, image, torch.from_numpy(np.asarray(w, np.float32)[None]), steps, progress=progress)[0].numpy()


def generator_of(model: Path, checkpoint_step: int) -> Generator:
    """The torch generator behind an exported model, from the run it was exported from (the model
    in RUN/export/, the checkpoint its metadata names). Raises GanStudioError when it is not there."""
    from ganstudio.core.errors import GanStudioError
    from ganstudio.core.export.generator import load_ema_generator
    from ganstudio.core.training.runfolder import RunFolder

    folder = RunFolder(model.resolve().parent.parent)
    if not folder.exists():
        raise GanStudioError(f"refining needs the run {model.name} was exported from, and {folder.path} is not a "
                             "training run (export into the run's export/ folder, the default)")
    try:
        return load_ema_generator(folder, checkpoint_step)[0]
    except (GanStudioError, OSError, KeyError, ValueError) as e:
        raise GanStudioError(f"checkpoint {checkpoint_step} of {folder.path}, which {model.name} was exported from, could "
                             f"not be loaded ({e}): a run keeps its last few checkpoints, so export it again") from None


class EncoderGraph(nn.Module):
    """What is exported: image [N, 3, R, R] in [0, 1] -> w [N, w_dim]."""

    def __init__(self, E: Encoder) -> None:
        super().__init__()
        self.E = E

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.E(image * 2 - 1)


def encoder_onnx(E: Encoder, resolution: int):  # noqa: ANN201 - onnx.ModelProto
    from ganstudio.core.export.generator import OPSET, quiet_exporter  # the exporter's own settings

    with quiet_exporter():
        program = torch.onnx.export(
            EncoderGraph(E).eval(),
            (torch.rand(2, 3, resolution, resolution),),
            dynamo=True,
            input_names=["image"],
            output_names=["w"],
            dynamic_shapes=({0: torch.export.Dim("N", min=1)},),
            opset_version=OPSET,
            external_data=False,
            verbose=False,
        )
    return program.model_proto


def export_encoder(G: Generator, generator: Path, path: Path, seconds: float, name: str, stage: Stage) -> None:
    """Train an encoder for G and write it, checked like the generator, at `path`: the encoder of
    the generator file `generator`, named `name` in its metadata."""
    from ganstudio.core.export.generator import write_verified

    shown = [-1]

    def progress(done: float, psnr: float) -> None:
        if int(done * 10) > shown[0]:  # a line per tenth, not per step
            shown[0] = int(done * 10)
            stage(f"training an encoder to find pictures in the model: {done:.0%}, its pictures back at {psnr:.1f} dB")

    start = time.perf_counter()
    E = train_encoder(G, seconds, progress=progress)
    stage("converting the encoder to ONNX")
    model = encoder_onnx(E, G.cfg.resolution)
    summary = {"name": name, "train_seconds": round(time.perf_counter() - start, 1), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "ganstudio_version": ganstudio.__version__}
    onnx.helper.set_model_props(model, encoder_metadata(G.cfg.resolution, G.cfg.w_dim, file_sha256(generator), summary))

    @torch.no_grad()
    def verify(unverified: Path) -> float:
        EncoderModel(GeneratorModel(generator, device="cpu"), unverified, device="cpu")  # reads back as the Player reads it
        x = torch.rand(3, 3, G.cfg.resolution, G.cfg.resolution, generator=torch.Generator().manual_seed(7))
        got = open_session(unverified, "cpu").ort.run(["w"], {"image": x.numpy()})[0]
        return float(np.abs(got - EncoderGraph(E)(x).numpy()).max())

    write_verified(path, model.SerializeToString(), verify, TOLERANCE, f"the encoder of {generator.name}", stage)
