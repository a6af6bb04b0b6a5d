"""Health checks on a running GAN, each turned into a warning a person can act on."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class HealthIssue:
    what: str
    why: str
    action: str


def diversity(images: torch.Tensor) -> float:
    """Mean per-pixel standard deviation across a set of images at 16 px (uint8 in, 0..1 scale)."""
    x = images.float().div(255)
    if x.shape[-1] > 16:
        x = torch.nn.functional.adaptive_avg_pool2d(x, 16)
    return float(x.std(dim=0).mean())


class HealthMonitor:
    """Watches progress figures and sample diversity; reports each kind of issue at most once per
    `cooldown_kimg` so that a long run is not flooded."""

    def __init__(self, data_diversity: float, *, cooldown_kimg: float = 20.0) -> None:
        self.data_diversity = data_diversity
        self.cooldown_kimg = cooldown_kimg
        self._last_reported: dict[str, float] = {}
        self._confident_intervals = 0
        self._best_metric: float | None = None
        self._best_metric_kimg = 0.0

    def _report(self, kimg: float, issue: HealthIssue) -> list[HealthIssue]:
        last = self._last_reported.get(issue.what)
        if last is not None and kimg - last < self.cooldown_kimg:
            return []
        self._last_reported[issue.what] = kimg
        return [issue]

    def check_samples(self, kimg: float, samples: torch.Tensor) -> list[HealthIssue]:
        ratio = diversity(samples) / max(self.data_diversity, 1e-6)
        if ratio < 0.25:
            return self._report(
                kimg,
                HealthIssue(
                    "mode_collapse",
                    f"the samples vary far less than your images do ({ratio:.0%} of the data's diversity)",
                    "raise augmentation or lower the learning rate; if it persists, go back to an earlier checkpoint",
                ),
            )
        return []

    def check_progress(self, kimg: float, d_real: float, d_fake: float) -> list[HealthIssue]:
        # D sure of both reals and fakes for several intervals in a row: G gets no useful gradient.
        self._confident_intervals = self._confident_intervals + 1 if d_real > 0.95 and d_fake < 0.05 else 0
        if self._confident_intervals >= 5:
            return self._report(
                kimg,
                HealthIssue(
                    "d_overpowering",
                    f"the discriminator tells real from fake almost perfectly (D(real) {d_real:.2f}, D(fake) {d_fake:.2f})",
                    "more augmentation, a stronger R1 regulariser or a lower discriminator learning rate",
                ),
            )
        return []

    def check_metric(self, kimg: float, value: float, *, patience_kimg: float = 100.0) -> list[HealthIssue]:
        if self._best_metric is None or value < self._best_metric * 0.98:
            self._best_metric, self._best_metric_kimg = value, kimg
            return []
        if kimg - self._best_metric_kimg >= patience_kimg:
            return self._report(
                kimg,
                HealthIssue(
                    "no_progress",
                    f"sample quality has not improved for {kimg - self._best_metric_kimg:.0f} kimg",
                    "the run may have converged: export the best checkpoint, or try more data or augmentation",
                ),
            )
        return []
