"""Differentiable augmentation and its adaptive strength."""

from __future__ import annotations

import pytest
import torch

from ganstudio.core.training.augment import AUGMENTS, AdaptiveAugment, augment, parse_augments


def images(n: int = 8) -> torch.Tensor:
    return torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1


@pytest.mark.parametrize("name", AUGMENTS)
def test_each_transform_changes_images_and_passes_gradients(name):
    x = images().requires_grad_(True)
    y = augment(x, (name,), 1.0, torch.Generator().manual_seed(1))
    assert y.shape == x.shape
    assert (y - x).abs().mean() > 1e-3
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_p_zero_is_identity_and_seed_is_reproducible():
    x = images()
    assert augment(x, AUGMENTS, 0.0) is x
    a = augment(x, AUGMENTS, 0.5, torch.Generator().manual_seed(3))
    b = augment(x, AUGMENTS, 0.5, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


def test_probability_applies_per_sample():
    x = images(256)
    y = augment(x, ("cutout",), 0.5, torch.Generator().manual_seed(0))
    changed = ((y - x).abs().flatten(1).amax(1) > 0).float().mean()
    assert 0.35 < changed < 0.65


def test_translation_shifts_content_with_zero_fill():
    x = torch.ones(64, 3, 32, 32)
    y = augment(x, ("translation",), 1.0, torch.Generator().manual_seed(0))
    zero_rows = (y == 0).all(dim=(1, 3)).sum(1)  # per image, rows that became fill
    assert zero_rows.max() <= 4 and (zero_rows > 0).any()


def test_parse_augments():
    assert parse_augments("color, cutout") == ("color", "cutout")
    assert parse_augments("none") == ()
    with pytest.raises(ValueError, match="unknown augmentation blur"):
        parse_augments("color,blur")


def test_adaptive_p_rises_when_d_overfits_and_falls_when_not():
    ada = AdaptiveAugment(target=0.6, speed_kimg=1.0)
    for _ in range(10):
        ada.accumulate(torch.full((32,), 5.0))  # D sure every real is real: overfitting
        ada.update(100)
    assert ada.p == pytest.approx(1.0)
    for _ in range(4):
        ada.accumulate(torch.tensor([1.0, -1.0]))  # r_t = 0 < target
        ada.update(100)
    assert ada.p == pytest.approx(0.6)


def test_fixed_p_stays_put_and_state_round_trips():
    ada = AdaptiveAugment(0.6, 1.0, p=0.3, fixed=True)
    ada.accumulate(torch.full((4,), 5.0))
    ada.update(1000)
    assert ada.p == 0.3
    ada.accumulate(torch.tensor([1.0, 1.0, -1.0]))
    other = AdaptiveAugment(0.6, 1.0)
    other.load_state(ada.state())
    assert other.state() == ada.state() == {"p": 0.3, "sign_sum": 1.0, "count": 3}
