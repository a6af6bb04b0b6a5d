"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) with an adaptive strength (ADA's
heuristic, Karras et al. 2020).

Every image D sees, real or fake, goes through the same random transforms, so D cannot tell them
apart by the augmentation and G gets gradients through it. Each transform is applied to a sample
with probability p; p rises when D starts to overfit (its outputs on reals get too confident) and
falls when it does not.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

AUGMENTS = ("color", "translation", "cutout")


class BatchRandom:
    """Per-sample random numbers for a slice of a bigger batch: draws for the whole batch from one
    generator and keeps the slice. Every rank of a distributed run holds the same generator, so
    each sample's transform is the same whichever rank (or single process) handles it, and a run
    on N processes repeats a single-process run with the same global batch."""

    def __init__(self, generator: torch.Generator | None, total: int, part: slice) -> None:
        self.generator, self.total, self.part = generator, total, part

    @classmethod
    def whole(cls, n: int, generator: torch.Generator | None) -> "BatchRandom":
        return cls(generator, n, slice(0, n))

    def rand(self, *shape: int, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.rand(self.total, *shape, device=device, generator=self.generator, dtype=dtype)[self.part]

    def randint(self, low: int, high: int, *shape: int, device: torch.device) -> torch.Tensor:
        return torch.randint(low, high, (self.total, *shape), device=device, generator=self.generator)[self.part]


def _brightness(x: torch.Tensor, r: BatchRandom) -> torch.Tensor:
    return x + (r.rand(1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)


def _saturation(x: torch.Tensor, r: BatchRandom) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (r.rand(1, 1, 1, device=x.device, dtype=x.dtype) * 2) + mean


def _contrast(x: torch.Tensor, r: BatchRandom) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (r.rand(1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean


def _color(x: torch.Tensor, r: BatchRandom) -> torch.Tensor:
    return _contrast(_saturation(_brightness(x, r), r), r)


def _translation(x: torch.Tensor, r: BatchRandom, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros (a gather, no resampling)."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = r.randint(-sh, sh + 1, 1, 1, device=x.device)
    ty = r.randint(-sw, sw + 1, 1, 1, device=x.device)
    gb, gx, gy = torch.meshgrid(
        torch.arange(n, device=x.device), torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij"
    )
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor, r: BatchRandom, ratio: float = 0.5) -> torch.Tensor:
    """Zero a square of `ratio` times the image size, centred anywhere, in each image."""
    n, _, h, w = x.shape
    cy = r.randint(0, h, 1, 1, device=x.device)
    cx = r.randint(0, w, 1, 1, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = ((rows - cy).abs() * 2 < h * ratio) & ((cols - cx).abs() * 2 < w * ratio)
    return x * (~inside).unsqueeze(1).to(x.dtype)


_TRANSFORMS: dict[str, Callable[[torch.Tensor, BatchRandom], torch.Tensor]] = {
    "color": _color,
    "translation": _translation,
    "cutout": _cutout,
}


def parse_augments(spec: str) -> tuple[str, ...]:
    """'color,translation' -> ('color', 'translation'); '' or 'none' -> ()."""
    names = tuple(s.strip() for s in spec.split(",") if s.strip() and s.strip() != "none")
    unknown = [n for n in names if n not in _TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(AUGMENTS)}")
    return names


def augment(
    x: torch.Tensor, names: tuple[str, ...], p: float, generator: torch.Generator | None = None, *, random: BatchRandom | None = None
) -> torch.Tensor:
    """Apply each named transform to each sample with probability p. `random` (a slice of a bigger
    batch's draws) replaces `generator` on a rank of a distributed run."""
    if p <= 0 or not names:
        return x
    r = random or BatchRandom.whole(x.shape[0], generator)
    for name in names:
        y = _TRANSFORMS[name](x, r)
        if p < 1:
            keep = r.rand(1, 1, 1, device=x.device) >= p
            y = torch.where(keep, x, y)
        x = y
    return x


class AdaptiveAugment:
    """Tunes p so that E[sign(D(real))] stays near `target` (ADA's r_t overfitting heuristic)."""

    def __init__(self, target: float, speed_kimg: float, *, p: float = 0.0, fixed: bool = False) -> None:
        self.target = target
        self.speed_kimg = speed_kimg
        self.p = p
        self.fixed = fixed
        self._sign_sum = 0.0
        self._count = 0

    def state(self) -> dict[str, float]:
        return {"p": self.p, "sign_sum": float(self._sign_sum), "count": self._count}

    def load_state(self, state: dict[str, float]) -> None:
        self.p = float(state["p"])
        self._sign_sum = float(state["sign_sum"])
        self._count = int(state["count"])

    def accumulate(self, real_logits: torch.Tensor) -> None:
        # Summed on the device; read back (a sync point) only in update().
        self._sign_sum = self._sign_sum + real_logits.detach().sign().sum()
        self._count += real_logits.numel()

    def combine(self, sum_: Callable[[torch.Tensor], torch.Tensor], device: torch.device) -> None:
        """Add up the evidence of every rank of a distributed run (sum_ is an all-reduce), so
        that all ranks move p the same way."""
        sign_sum = torch.as_tensor(self._sign_sum, dtype=torch.float64, device=device).reshape(())
        totals = sum_(torch.stack([sign_sum, torch.tensor(float(self._count), dtype=torch.float64, device=device)]))
        self._sign_sum, self._count = float(totals[0]), int(totals[1])

    def update(self, images_since_last: int) -> float:
        """Move p by at most images/(speed_kimg*1000) towards the target; returns r_t."""
        if self._count == 0:
            return 0.0
        rt = float(self._sign_sum) / self._count
        self._sign_sum, self._count = 0.0, 0
        if not self.fixed:
            step = images_since_last / (self.speed_kimg * 1000)
            self.p = min(1.0, max(0.0, self.p + (step if rt > self.target else -step)))
        return rt
