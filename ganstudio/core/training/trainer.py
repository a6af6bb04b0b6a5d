"""One GAN training step at a time: non-saturating (hinge, or relativistic) loss, DiffAugment
with adaptive p, lazy R1 (and R2), EMA of G. Holds the networks, optimisers and the run's RNG;
the driver (run.py) decides when to log, snapshot, checkpoint, roll back and stop.

All randomness of training comes from one torch.Generator on the device, saved in checkpoints,
so that a resumed run repeats an uninterrupted one step for step on the CPU.

In a distributed run (distributed.py) every rank draws the random numbers of the whole global
batch and keeps its own slice, and DistributedDataParallel averages the gradients, so N
processes take the same steps as one process with the same global batch, and a run can resume
on a different number of processes.
"""

from __future__ import annotations

import copy
import warnings
from contextlib import nullcontext
from typing import Any

import torch
import torch.nn.functional as F

from ganstudio.core.config import TrainConfig
from ganstudio.core.device import seeded_init
from ganstudio.core.models import Generator, build_discriminator
from ganstudio.core.models.discriminator import MBSTD_GROUP
from ganstudio.core.training.augment import AdaptiveAugment, BatchRandom, augment, parse_augments
from ganstudio.core.training.distributed import World

ADA_INTERVAL = 4  # steps between updates of the augmentation strength


class Trainer:
    def __init__(
        self, cfg: TrainConfig, images: torch.Tensor, labels: torch.Tensor | None, device: torch.device, world: World | None = None
    ) -> None:
        self.cfg = cfg
        self.device = device
        self.world = world or World()
        if cfg.batch % self.world.size:
            raise ValueError(f"the batch of {cfg.batch} does not split evenly over {self.world.size} processes")
        self.share = self.world.share(cfg.batch)  # this rank's slice of every global batch
        self.images = images  # uint8 [N, 3, R, R], on `device` when it fits, else CPU
        self.labels = labels
        if labels is not None:  # each class's image indices, for batches drawn a class per group
            self._cpu_labels = labels.cpu()
            self._by_class = self._cpu_labels.argsort(stable=True)
            self._class_sizes = torch.bincount(self._cpu_labels)
            self._class_starts = self._class_sizes.cumsum(0) - self._class_sizes
        # Channels-last on a CPU: oneDNN's convolutions run 1.2-1.3x faster on it here (245 vs
        # 188-204 img/s at 64 px, 2 cores): the same computation, rounded differently (weights
        # within 6e-5 after 6 steps). Checkpoints are saved contiguous, so they load anywhere.
        self.memory_format = torch.channels_last if device.type == "cpu" else torch.contiguous_format
        with seeded_init(cfg.seed):  # weight init only; training draws from self.rng
            self.G = Generator(cfg.model).to(device, memory_format=self.memory_format)
            self.D = build_discriminator(cfg.model).to(device, memory_format=self.memory_format)
        if cfg.freeze_d:
            self.D.freeze(cfg.freeze_d)
        self.d_trainable = [p for p in self.D.parameters() if p.requires_grad]  # all but FreezeD's layers
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        # The training passes go through these: DDP wrappers that average gradients across ranks,
        # or the networks themselves in a single process. Sampling and EMA use G and D directly.
        self.G_train, self.D_train = self._parallel(self.G), self._parallel(self.D)
        self.rng = torch.Generator(device=device).manual_seed(cfg.seed)
        self.data_rng = torch.Generator().manual_seed(cfg.seed + 1)
        self.g_lr, self.d_lr = cfg.g_lr, cfg.d_lr
        self.opt_g = self._adam(self.G, self.g_lr)
        self.opt_d = self._adam(self.D, self.d_lr)
        self.augments = parse_augments(cfg.augment)
        self.ada = AdaptiveAugment(
            cfg.augment_target, cfg.augment_speed_kimg, p=cfg.augment_p or 0.0, fixed=cfg.augment_p is not None
        )
        self.step = 0
        self.images_seen = 0
        self.accumulation = 1  # passes per step; doubled when the GPU runs out of memory
        # bf16 autocast on CUDA speeds up the convs; R1 stays in fp32 for a stable gradient norm.
        use_amp = device.type == "cuda" and cfg.mixed_precision and torch.cuda.is_bf16_supported()
        self._autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_amp else nullcontext
        self._stats = self._zero_stats()

    def _parallel(self, net: torch.nn.Module) -> torch.nn.Module:
        if not self.world.distributed:
            return net
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        # Buffers (G's running w_avg) are averaged after each step instead of copied from rank 0.
        with warnings.catch_warnings():  # torch 2.13 renames the option; the old name works on every version we accept
            warnings.simplefilter("ignore", FutureWarning)
            return DistributedDataParallel(net, device_ids=ids, broadcast_buffers=False, gradient_as_bucket_view=True)

    def _adam(self, net: torch.nn.Module, lr: float) -> torch.optim.Adam:
        return torch.optim.Adam(net.parameters(), lr=lr, betas=tuple(self.cfg.betas), eps=1e-8)

    def _zero_stats(self) -> dict[str, torch.Tensor]:
        keys = ("g", "d", "r1", "d_real", "d_fake", "n", "n_r1")
        return {k: torch.zeros((), device=self.device) for k in keys}

    # ---- one step -------------------------------------------------------------------------

    def _batch_indices(self) -> torch.Tensor:
        """Image indices of the whole global batch, from a CPU generator wherever the data sits.

        A class-conditional batch comes in runs of MBSTD_GROUP images of one class (the class drawn
        as often as the data holds it), and its fakes take the same labels in the same order. D's
        minibatch-std then measures the variety within a class: over mixed classes it saw the
        differences between classes instead, and G drew one image per class whatever z
        (docs/DESIGN.md)."""
        n, batch = self.images.shape[0], self.cfg.batch
        if self.labels is None:
            return torch.randint(0, n, (batch,), generator=self.data_rng)
        groups = -(-batch // MBSTD_GROUP)
        classes = self._cpu_labels[torch.randint(0, n, (groups,), generator=self.data_rng)]
        within = torch.rand(groups, MBSTD_GROUP, generator=self.data_rng) * self._class_sizes[classes, None]
        positions = self._class_starts[classes, None] + within.long()
        return self._by_class[positions.flatten()[:batch]]

    def _sample_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """This rank's reals, and their labels (None when unconditional)."""
        idx = self._batch_indices()[self.share]
        real = self.images[idx.to(self.images.device)].to(self.device, non_blocking=True).float().div_(127.5).sub_(1.0)
        real = real.contiguous(memory_format=self.memory_format)
        if self.labels is None:
            return real, None
        return real, self.labels[idx.to(self.labels.device)].to(self.device)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        n, size = x.shape[0], self.world.size
        if size == 1:
            return augment(x, self.augments, self.ada.p, self.rng)
        # x is this rank's slice of a batch of n * size: the draws of the whole batch, our part kept.
        r = BatchRandom(self.rng, n * size, slice(self.world.rank * n, (self.world.rank + 1) * n))
        return augment(x, self.augments, self.ada.p, random=r)

    def train_step(self) -> None:
        """One D update and one G update on a batch; G's fakes are made once and reused."""
        cfg = self.cfg
        real, labels = self._sample_batch()
        z = torch.randn(cfg.batch, cfg.model.latent_dim, device=self.device, generator=self.rng)[self.share]
        d_loss, g_loss, real_logits, fake_logits = self._step(real, labels, z)

        if self.world.distributed:
            self.world.mean_(self.G.mapping.w_avg)  # each rank moved it towards its own slice's mean
        self._update_ema()
        self.ada.accumulate(real_logits)
        self.step += 1
        self.images_seen += cfg.batch
        if self.step % ADA_INTERVAL == 0:
            if self.world.distributed:
                self.ada.combine(self.world.sum_, self.device)
            self.ada.update(cfg.batch * ADA_INTERVAL)

        s = self._stats
        s["g"] += g_loss.detach()
        s["d"] += d_loss.detach()
        s["d_real"] += torch.sigmoid(real_logits.detach()).mean()
        s["d_fake"] += torch.sigmoid(fake_logits.detach()).mean()
        s["n"] += 1

    def _step(self, real, labels, z):  # noqa: ANN001, ANN202 - tensors
        """A D update, then a G update against the updated D, in `accumulation` passes whose
        gradients add up. G's fakes take the reals' labels, in their groups (_batch_indices) (more than one only after the GPU ran out of memory). In one pass G's
        fakes are made once and reused for the G step (as the DCGAN example does); over several,
        holding every pass's fakes would defeat the point, so G makes them again there."""
        n = self.accumulation
        reuse = n == 1
        passes = self._passes

        # D step: push D(real) up and D(fake) down.
        for p in self.d_trainable:
            p.requires_grad_(True)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss, real_logits, fake_logits, kept = 0.0, [], [], []
        for r, lab, zz in zip(passes(real), passes(labels), passes(z)):
            with self._autocast():
                with nullcontext() if reuse else torch.no_grad():
                    fake = (self.G_train if reuse else self.G)(zz, lab, update_w_avg=True)
                rl = self.D_train(self._augment(r), lab).float()
                fl = self.D_train(self._augment(fake.detach()), lab).float()
                loss = self._d_loss(rl, fl) / n
            loss.backward()
            d_loss = d_loss + loss.detach()
            real_logits.append(rl.detach())
            fake_logits.append(fl.detach())
            kept.append(fake if reuse else None)
        self.opt_d.step()

        if (self.cfg.r1_gamma > 0 or self.cfg.r2_gamma > 0) and self.step % self.cfg.r1_interval == 0:
            self._penalty_step(real, labels, z, kept)

        # G step. D is frozen here, so it is called directly: only G's gradients are averaged across ranks.
        self.D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss = 0.0
        for zz, lab, fake, rl in zip(passes(z), passes(labels), kept, real_logits):
            with self._autocast():
                fake = fake if fake is not None else self.G_train(zz, lab)
                loss = self._g_loss(self.D(self._augment(fake), lab).float(), rl) / n
            loss.backward()
            g_loss = g_loss + loss.detach()
        self.opt_g.step()
        return d_loss, g_loss, torch.cat(real_logits), torch.cat(fake_logits)

    def _passes(self, t: torch.Tensor | None) -> list[torch.Tensor | None]:
        """`t` in the step's `accumulation` passes (None in each when there is no `t`)."""
        n = self.accumulation
        return list(t.chunk(n)) if t is not None else [None] * n

    def _d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        if self.cfg.loss == "hinge":
            return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
        if self.cfg.loss == "relativistic":  # each fake paired with a real of the same batch
            return F.softplus(fake_logits - real_logits).mean()
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()

    def _g_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
        """`real_logits`: the D step's, detached (G cannot move them; the pairing needs them)."""
        if self.cfg.loss == "hinge":
            return -fake_logits.mean()
        if self.cfg.loss == "relativistic":
            return F.softplus(real_logits - fake_logits).mean()
        return F.softplus(-fake_logits).mean()

    def _penalty_step(self, real, labels, z, kept):  # noqa: ANN001 - tensors
        """Lazy R1 (StyleGAN2) and R2: penalise |grad D(x)|^2 at the reals (and the fakes) every
        r1_interval steps, scaled up to match."""
        cfg, n = self.cfg, self.accumulation
        self.opt_d.zero_grad(set_to_none=True)
        total = 0.0
        passes = self._passes
        for r, lab, zz, fake in zip(passes(real), passes(labels), passes(z), kept):
            loss = 0.0
            if cfg.r1_gamma > 0:
                penalty = self._gradient_penalty(r, lab)
                loss = penalty * cfg.r1_gamma
                total = total + penalty.detach() / n
            if cfg.r2_gamma > 0:
                if fake is None:  # not kept (several passes): made again, the same images
                    with torch.no_grad():
                        fake = self.G(zz, lab)
                loss = loss + self._gradient_penalty(fake, lab) * cfg.r2_gamma
            (loss * (cfg.r1_interval / 2) / n).backward()
        self.opt_d.step()
        self._stats["r1"] += total
        self._stats["n_r1"] += 1

    def _gradient_penalty(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        logits = self.D_train(self._augment(x), labels)
        (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
        # D's last bias has no say in the gradient w.r.t. the input; the zero term gives it a
        # (zero) gradient, which DDP needs from every parameter to finish its reduction.
        return grad.square().sum(dim=(1, 2, 3)).mean() + 0.0 * logits.sum()

    @torch.no_grad()
    def _update_ema(self) -> None:
        cfg = self.cfg
        ema_nimg = cfg.ema_kimg * 1000
        if cfg.ema_rampup:
            ema_nimg = min(ema_nimg, self.images_seen * cfg.ema_rampup)
        beta = 0.5 ** (cfg.batch / max(ema_nimg, 1e-8))
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
            p_ema.lerp_(p, 1 - beta)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    def read_stats(self) -> dict[str, float]:
        """Means since the last call. Reads tensors back to the host: a sync point, call sparingly."""
        keys = list(self._stats)
        # Summed over ranks, counts included, so the means are the global batch's.
        totals = self.world.sum_(torch.stack([self._stats[k] for k in keys]))
        s = dict(zip(keys, totals.tolist()))
        self._stats = self._zero_stats()
        n = max(s["n"], 1.0)
        out = {"g": s["g"] / n, "d": s["d"] / n, "d_real": s["d_real"] / n, "d_fake": s["d_fake"] / n}
        if s["n_r1"]:
            out["r1"] = s["r1"] / s["n_r1"]
        return out

    # ---- sampling -------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None, batch: int = 256) -> torch.Tensor:
        """EMA-G images as uint8 [N, 3, R, R] on the CPU."""
        out = []
        for i in range(0, z.shape[0], batch):
            lab = labels[i : i + batch] if labels is not None else None
            img = self.G_ema(z[i : i + batch].to(self.device), lab.to(self.device) if lab is not None else None)
            out.append(img.float().mul(127.5).add(128).clamp(0, 255).to(torch.uint8).cpu())
        return torch.cat(out)

    # ---- state for checkpoints ------------------------------------------------------------

    def state_tensors(self) -> dict[str, torch.Tensor]:
        t: dict[str, torch.Tensor] = {}
        for prefix, net in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            t.update({f"{prefix}.{k}": v for k, v in net.state_dict().items()})
        for prefix, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            for i, state in opt.state_dict()["state"].items():
                t.update({f"{prefix}.{i}.{k}": torch.as_tensor(v) for k, v in state.items()})
        t["rng"] = self.rng.get_state()
        t["data_rng"] = self.data_rng.get_state()
        return t

    def state_meta(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "images_seen": self.images_seen,
            "kimg": self.images_seen / 1000,
            "g_lr": self.g_lr,
            "d_lr": self.d_lr,
            "augment_p": self.ada.p,
            "ada": self.ada.state(),
            "accumulation": self.accumulation,
        }

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any], *, reset_optimizers: bool = False) -> None:
        """Restore from a checkpoint. Raises KeyError/RuntimeError on a mismatch (caller words it)."""
        for prefix, net in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            sd = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
            net.load_state_dict(sd, strict=True)
        self.step = int(meta["step"])
        self.images_seen = int(meta["images_seen"])
        self.g_lr, self.d_lr = float(meta["g_lr"]), float(meta["d_lr"])
        self.ada.load_state(meta["ada"])
        self.accumulation = int(meta.get("accumulation", 1))
        self.opt_g, self.opt_d = self._adam(self.G, self.g_lr), self._adam(self.D, self.d_lr)
        if not reset_optimizers:
            for prefix, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
                sd = opt.state_dict()
                for i in range(len(sd["param_groups"][0]["params"])):
                    keys = [k for k in tensors if k.startswith(f"{prefix}.{i}.")]
                    if keys:
                        state = {k.rsplit(".", 1)[1]: tensors[k].to(self.device) for k in keys}
                        shape = opt.param_groups[0]["params"][i].shape
                        for name in ("exp_avg", "exp_avg_sq"):
                            if state[name].shape != shape:  # Adam would only fail later, mid-step
                                raise ValueError(f"{prefix}.{i}.{name} has shape {tuple(state[name].shape)}, expected {tuple(shape)}")
                        state["step"] = state["step"].cpu()
                        sd["state"][i] = state
                opt.load_state_dict(sd)
        self.rng.set_state(tensors["rng"])
        self.data_rng.set_state(tensors["data_rng"])
        self._stats = self._zero_stats()

    def set_learning_rates(self, g_lr: float, d_lr: float) -> None:
        """New learning rates with fresh optimiser moments (used after a NaN rollback)."""
        self.g_lr, self.d_lr = g_lr, d_lr
        self.opt_g, self.opt_d = self._adam(self.G, self.g_lr), self._adam(self.D, self.d_lr)
