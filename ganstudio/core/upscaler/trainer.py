"""One upscaler training step at a time: random patches of the folder's images, degraded into
low-resolution inputs, L1 loss against the originals, Adam with a cosine decay. The same driver as
GAN training (TrainingRun, via UpscalerRun) decides when to log, snapshot, checkpoint and stop.

All randomness comes from CPU generators saved in checkpoints, so a resumed run repeats an
uninterrupted one step for step."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from ganstudio.core.device import seeded_init
from ganstudio.core.upscaler.config import UpscalerConfig
from ganstudio.core.upscaler.degrade import degrade_batch
from ganstudio.core.upscaler.model import UpscalerNet


class UpscalerTrainer:
    def __init__(self, cfg: UpscalerConfig, images: torch.Tensor, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        self.images = images  # uint8 [N, 3, R, R], CPU
        with seeded_init(cfg.seed):  # weight init only
            self.net = UpscalerNet(cfg).to(device)
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.lr_scale = 1.0  # halved after a NaN rollback
        self.step = 0
        self.images_seen = 0
        self.opt = self._adam()
        self.accumulation = 1
        self._loss_sum, self._loss_n = torch.zeros((), device=device), 0

    def _adam(self) -> torch.optim.Adam:
        return torch.optim.Adam(self.net.parameters(), lr=self.learning_rate(), betas=(0.9, 0.99))

    def halve_learning_rate(self) -> None:
        """After a NaN rollback: half the rate from now on, with fresh optimiser moments."""
        self.lr_scale *= 0.5
        self.opt = self._adam()

    def learning_rate(self) -> float:
        """Cosine decay from lr to lr * lr_final over the kimg budget; constant without one."""
        cfg = self.cfg
        lr = cfg.lr * self.lr_scale
        if not cfg.kimg:
            return lr
        t = min(1.0, self.images_seen / (cfg.kimg * 1000))
        return lr * (cfg.lr_final + (1 - cfg.lr_final) * 0.5 * (1 + math.cos(math.pi * t)))

    def sample_pairs(self, n: int, rng: torch.Generator, degrade: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """n random (low-resolution, original) patch pairs, float in [0, 1] on the CPU."""
        cfg = self.cfg
        side = cfg.patch * cfg.scale
        count, _, h, w = self.images.shape
        idx = torch.randint(0, count, (n,), generator=rng)
        ys = torch.randint(0, h - side + 1, (n,), generator=rng)
        xs = torch.randint(0, w - side + 1, (n,), generator=rng)
        flips = torch.randint(0, 8, (n,), generator=rng)  # the 8 symmetries of the square
        hr = torch.empty(n, 3, side, side)
        for i in range(n):
            patch = self.images[idx[i], :, ys[i] : ys[i] + side, xs[i] : xs[i] + side].float().div(255)
            f = int(flips[i])
            patch = torch.rot90(patch, f % 4, dims=(1, 2))
            hr[i] = patch.flip(2) if f >= 4 else patch
        lr = degrade_batch(hr, cfg.scale, cfg.degrade if degrade is None else degrade, rng)
        return lr, hr

    def train_step(self) -> None:
        cfg = self.cfg
        lr_img, hr = self.sample_pairs(cfg.batch, self.rng)
        for group in self.opt.param_groups:
            group["lr"] = self.learning_rate()
        self.opt.zero_grad(set_to_none=True)
        per_pass = math.ceil(cfg.batch / self.accumulation)
        for start in range(0, cfg.batch, per_pass):
            x = lr_img[start : start + per_pass].to(self.device)
            y = hr[start : start + per_pass].to(self.device)
            loss = F.l1_loss(self.net(x), y) * (x.shape[0] / cfg.batch)
            loss.backward()
            self._loss_sum += loss.detach()
        self.opt.step()
        self._loss_n += 1
        self.step += 1
        self.images_seen += cfg.batch

    def read_stats(self) -> dict[str, float]:
        l1 = float(self._loss_sum) / max(self._loss_n, 1)
        self._loss_sum, self._loss_n = torch.zeros((), device=self.device), 0
        return {"l1": l1}

    @torch.no_grad()
    def upscale(self, lr_img: torch.Tensor, batch: int = 16) -> torch.Tensor:
        self.net.eval()
        out = torch.cat([self.net(lr_img[i : i + batch].to(self.device)).clamp(0, 1).cpu() for i in range(0, len(lr_img), batch)])
        self.net.train()
        return out

    # ---- state for checkpoints ------------------------------------------------------------

    def state_tensors(self) -> dict[str, torch.Tensor]:
        t = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        for i, state in self.opt.state_dict()["state"].items():
            t.update({f"opt.{i}.{k}": torch.as_tensor(v) for k, v in state.items()})
        t["rng"] = self.rng.get_state()
        return t

    def state_meta(self) -> dict[str, Any]:
        return {"step": self.step, "images_seen": self.images_seen, "kimg": self.images_seen / 1000,
                "lr_scale": self.lr_scale, "accumulation": self.accumulation, "scale": self.cfg.scale}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], *, reset_optimizers: bool = False) -> None:
        self.net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")}, strict=True)
        self.step, self.images_seen = int(meta["step"]), int(meta["images_seen"])
        self.lr_scale = float(meta.get("lr_scale", 1.0))
        self.accumulation = int(meta.get("accumulation", 1))
        self.opt = self._adam()
        if not reset_optimizers:
            sd = self.opt.state_dict()
            for i in range(len(sd["param_groups"][0]["params"])):
                keys = [k for k in tensors if k.startswith(f"opt.{i}.")]
                if keys:
                    state = {k.rsplit(".", 1)[1]: tensors[k].to(self.device) for k in keys}
                    state["step"] = state["step"].cpu()
                    sd["state"][i] = state
            self.opt.load_state_dict(sd)
        self.rng.set_state(tensors["rng"])
        self._loss_sum, self._loss_n = torch.zeros((), device=self.device), 0
