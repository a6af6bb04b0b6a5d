"""Health warnings: mode collapse, D overpowering G, no progress; each reported once per cooldown."""

from __future__ import annotations

import torch

from ganstudio.core.training.health import HealthMonitor, diversity


def varied(n: int = 64) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_collapsed_samples_warn_once_per_cooldown():
    data = varied()
    monitor = HealthMonitor(diversity(data), cooldown_kimg=10)
    collapsed = data[:1].repeat(64, 1, 1, 1)
    assert monitor.check_samples(1.0, data) == []
    issues = monitor.check_samples(2.0, collapsed)
    assert [i.what for i in issues] == ["mode_collapse"] and "augmentation" in issues[0].action
    assert monitor.check_samples(5.0, collapsed) == []  # within the cooldown
    assert monitor.check_samples(12.5, collapsed) != []


def test_overconfident_discriminator_needs_several_intervals():
    monitor = HealthMonitor(0.2)
    results = [monitor.check_progress(k, d_real=0.99, d_fake=0.01) for k in range(5)]
    assert [bool(r) for r in results] == [False, False, False, False, True]
    assert results[-1][0].what == "d_overpowering"
    monitor = HealthMonitor(0.2)
    for k in range(10):  # a healthy interval in between resets the count
        assert monitor.check_progress(k, d_real=0.99 if k % 4 else 0.6, d_fake=0.01) == []


def test_metric_that_stops_improving_is_reported():
    monitor = HealthMonitor(0.2)
    assert monitor.check_metric(10, 100.0) == []
    assert monitor.check_metric(50, 80.0) == []  # improving
    assert monitor.check_metric(100, 81.0) == []
    issues = monitor.check_metric(150, 80.5, patience_kimg=100)
    assert [i.what for i in issues] == ["no_progress"]
