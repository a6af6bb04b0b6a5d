"""The DCGAN of pytorch/examples (dcgan/main.py), as a user would run it: the yardstick.

The benchmark scripts train this and our trainer in the same run and report ratios. Kept
faithful to the example: nz=100, ngf=ndf=64, 64 px, BatchNorm, its weights_init, BCELoss, Adam
2e-4 (0.5, 0.999), batch 64, label 1 real / 0 fake, D then G each step, the per-step `.item()`
reads and the fixed-noise forward every 100 steps. The data side stands in for torchvision
(not installable here): ImageFolder-style files decoded with PIL on every item, Resize(64),
CenterCrop(64), ToTensor(), Normalize((0.5,)*3, (0.5,)*3), and a DataLoader with 2 workers,
shuffled, re-iterated (workers restarted) every epoch. Left out: printing each step, saving
image grids and per-epoch checkpoints. drop_last=True keeps every step a full batch of 64.

Run standalone: python benchmarks/reference_dcgan.py FOLDER --seconds 30
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from PIL import Image
from torch.utils.data import DataLoader, Dataset

NZ, NGF, NDF, NC = 100, 64, 64, 3
IMAGE_SIZE, BATCH_SIZE, WORKERS = 64, 64, 2
LR, BETA1 = 2e-4, 0.5
REAL_LABEL, FAKE_LABEL = 1.0, 0.0
# torchvision's IMG_EXTENSIONS
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


@dataclass
class ReferenceResult:
    """What a timed reference run did."""

    steps: int  # timed D+G steps (warm-up excluded)
    images_seen: int  # real images fed to D in the timed steps
    seconds: float  # wall time of the timed steps: first batch fetch in; model build, on_step out


def weights_init(m: nn.Module) -> None:
    """The example's custom initialisation, applied with ``module.apply``."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """z [N,100,1,1] -> image [N,3,64,64] in [-1,1]."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 8),
            nn.ReLU(True),  # 4x4
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),  # 8x8
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),  # 16x16
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),  # 32x32
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
            nn.Tanh(),  # 64x64
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class Discriminator(nn.Module):
    """image [N,3,64,64] -> probability of real [N]."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),  # 32x32
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),  # 16x16
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),  # 8x8
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 8),
            nn.LeakyReLU(0.2, inplace=True),  # 4x4
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.main(image).view(-1, 1).squeeze(1)


class ImageFiles(Dataset):
    """torchvision ImageFolder + the example's transforms, without torchvision.

    Lists image files recursively (ImageFolder wants class subfolders; a flat folder works
    here too) and decodes each item with PIL on every access, as the example does.
    """

    def __init__(self, folder: str | Path, size: int = IMAGE_SIZE) -> None:
        self.size = size
        found = Path(folder).rglob("*")
        self.files = sorted(
            f for f in found if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()
        )
        if not self.files:
            kinds = ", ".join(IMAGE_EXTENSIONS)
            raise FileNotFoundError(f"no image files ({kinds}) under {folder}")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        with open(self.files[index], "rb") as f:  # torchvision's pil_loader
            image = Image.open(f).convert("RGB")
        image = _resize_short_side(image, self.size)
        image = _center_crop(image, self.size)
        array = np.array(image, dtype=np.uint8, copy=True)  # ToTensor: HWC uint8 -> CHW [0,1]
        tensor = torch.from_numpy(array).permute(2, 0, 1).contiguous().float().div(255)
        return tensor.sub_(0.5).div_(0.5), 0  # Normalize((0.5,)*3, (0.5,)*3); class 0


def _resize_short_side(image: Image.Image, size: int) -> Image.Image:
    """transforms.Resize(size) on a PIL image: short side to ``size``, bilinear."""
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) == (w, h):
        return image
    return image.resize((new_w, new_h), Image.BILINEAR)


def _center_crop(image: Image.Image, size: int) -> Image.Image:
    """transforms.CenterCrop(size) for an image at least ``size`` on each side."""
    w, h = image.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def make_loader(folder: str | Path) -> DataLoader:
    """The example's DataLoader (batch 64, shuffled, 2 workers), dropping the last partial batch."""
    dataset = ImageFiles(folder)
    if len(dataset) < BATCH_SIZE:
        raise ValueError(
            f"{folder} holds {len(dataset)} images; the reference needs at least {BATCH_SIZE}"
        )
    return DataLoader(
        dataset, batch_size=BATCH_SIZE, shuffle=True, num_workers=WORKERS, drop_last=True
    )


def build_reference(device: str = "cpu", seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """netG and netD built and initialised as the example does, on ``device``.

    Seeds torch's global RNG with ``seed`` first, as the example's --manualSeed does.
    """
    torch.manual_seed(seed)
    net_g = Generator().to(device)
    net_g.apply(weights_init)
    net_d = Discriminator().to(device)
    net_d.apply(weights_init)
    return net_g, net_d


def _epochs(loader: DataLoader) -> Iterator[torch.Tensor]:
    """Batches forever; every epoch iterates the loader afresh, restarting its workers
    (not persistent, as in the example)."""
    while True:
        for data in loader:
            yield data[0]


@contextlib.contextmanager
def _cudnn_benchmark(device: torch.device) -> Iterator[None]:
    """The example sets cudnn.benchmark = True; restore it after so the other run is unaffected."""
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = device.type == "cuda" or previous
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def train_reference(
    folder: str | Path,
    *,
    seconds: float | None = None,
    steps: int | None = None,
    device: str = "cpu",
    seed: int = 0,
    warmup_steps: int = 0,
    on_step: Callable[[int], None] | None = None,
) -> tuple[nn.Module, ReferenceResult]:
    """Train the reference until ``seconds`` or ``steps`` run out, whichever comes first.

    ``warmup_steps`` run first, untimed and uncounted. ``on_step(step)`` is called after each
    timed step with the count so far; its own time is not counted. Seeds torch's global RNG
    with ``seed``, as the example does. Returns netG in eval mode and the result.
    """
    if seconds is None and steps is None:
        raise ValueError("give seconds, steps or both")
    torch_device = torch.device(device)
    loader = make_loader(folder)
    net_g, net_d = build_reference(device, seed)
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(BATCH_SIZE, NZ, 1, 1, device=torch_device)
    optimizer_d = optim.Adam(net_d.parameters(), lr=LR, betas=(BETA1, 0.999))
    optimizer_g = optim.Adam(net_g.parameters(), lr=LR, betas=(BETA1, 0.999))
    iteration = 0

    def train_step(real_cpu: torch.Tensor) -> None:
        nonlocal iteration
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        net_d.zero_grad()
        real = real_cpu.to(torch_device)
        batch_size = real.size(0)
        label = torch.full((batch_size,), REAL_LABEL, dtype=real.dtype, device=torch_device)
        output = net_d(real)
        err_d_real = criterion(output, label)
        err_d_real.backward()
        output.mean().item()  # D(x): the example reads it every step (a device sync)
        noise = torch.randn(batch_size, NZ, 1, 1, device=torch_device)
        fake = net_g(noise)
        label.fill_(FAKE_LABEL)
        output = net_d(fake.detach())
        err_d_fake = criterion(output, label)
        err_d_fake.backward()
        output.mean().item()  # D(G(z)) before the D step
        err_d = err_d_real + err_d_fake
        optimizer_d.step()
        # (2) Update G: maximize log(D(G(z)))
        net_g.zero_grad()
        label.fill_(REAL_LABEL)  # fake labels are real for generator cost
        output = net_d(fake)
        err_g = criterion(output, label)
        err_g.backward()
        output.mean().item()  # D(G(z)) after
        optimizer_g.step()
        err_d.item()  # the example prints both losses every step
        err_g.item()
        if iteration % 100 == 0:
            net_g(fixed_noise)  # the example's snapshot forward (saving the grid is left out)
        iteration = (iteration + 1) % len(loader)  # the example's i restarts every epoch

    batches = _epochs(loader)
    done, callback_time = 0, 0.0
    try:
        with _cudnn_benchmark(torch_device):
            net_g.train()
            net_d.train()
            for _ in range(warmup_steps):
                train_step(next(batches))
            _sync(torch_device)
            start = time.perf_counter()
            while steps is None or done < steps:
                if seconds is not None and time.perf_counter() - start - callback_time >= seconds:
                    break
                train_step(next(batches))
                done += 1
                if on_step is not None:
                    _sync(torch_device)
                    paused = time.perf_counter()
                    on_step(done)
                    callback_time += time.perf_counter() - paused
            _sync(torch_device)
            elapsed = time.perf_counter() - start - callback_time
    finally:
        batches.close()  # shuts the loader's workers down if we stopped mid-epoch
    net_g.eval()
    return net_g, ReferenceResult(steps=done, images_seen=done * BATCH_SIZE, seconds=elapsed)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def sample_reference(net_g: nn.Module, n: int, *, seed: int = 1, batch: int = 256) -> torch.Tensor:
    """``n`` uint8 images [n,3,64,64] (on the CPU) from latents drawn with ``seed``.

    Uses netG as it is (train_reference returns it in eval mode); [-1,1] maps to 0..255 the
    same way the SWD metric reads uint8.
    """
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(n, NZ, 1, 1, generator=generator)
    device = next(net_g.parameters()).device
    images = [net_g(part.to(device)).cpu() for part in z.split(batch)]
    return ((torch.cat(images) + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="image folder (searched recursively)")
    parser.add_argument("--seconds", type=float, default=None, help="timed training budget")
    parser.add_argument("--steps", type=int, default=None, help="timed training steps")
    parser.add_argument("--warmup-steps", type=int, default=0, help="untimed steps first")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.seconds is None and args.steps is None:
        args.seconds = 30.0
    _, result = train_reference(
        args.folder,
        seconds=args.seconds,
        steps=args.steps,
        device=args.device,
        seed=args.seed,
        warmup_steps=args.warmup_steps,
    )
    rate = result.images_seen / result.seconds if result.seconds > 0 else float("nan")
    print(
        f"reference DCGAN: {result.steps} steps, {result.images_seen} images in "
        f"{result.seconds:.1f} s = {rate:.1f} img/s (device {args.device}, "
        f"{torch.get_num_threads()} threads, {WORKERS} loader workers)"
    )


if __name__ == "__main__":  # the guard lets DataLoader workers start with spawn too
    main()
