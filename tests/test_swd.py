"""Sliced Wasserstein distance: behaviour on generated image sets, and fidelity to the reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganstudio.core.metrics.swd import (
    SlicedWasserstein,
    _histogram,
    _projection,
    laplacian_pyramid,
    sliced_wasserstein,
)


def blobs(n: int, res: int = 32, seed: int = 0, count: int = 12) -> torch.Tensor:
    """Float [-1,1] images of soft coloured blobs on a coloured ground, from a warm palette."""
    g = torch.Generator().manual_seed(seed)
    grid = torch.linspace(0, 1, res)
    yy, xx = grid.view(1, 1, res, 1), grid.view(1, 1, 1, res)
    low = torch.tensor([0.0, -0.6, -1.0]).view(1, 3, 1, 1)
    span = torch.tensor([1.0, 1.0, 0.8]).view(1, 3, 1, 1)
    images = low + span * torch.rand(n, 3, 1, 1, generator=g)
    for _ in range(count):
        cy, cx = torch.rand(2, n, 1, 1, 1, generator=g)
        radius = 0.04 + 0.12 * torch.rand(n, 1, 1, 1, generator=g)
        colour = low + span * torch.rand(n, 3, 1, 1, generator=g)
        mask = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
        images = images * (1 - mask) + colour * mask
    return images.clamp(-1, 1)


Halves = tuple[torch.Tensor, torch.Tensor]


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    return ((images + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


@pytest.fixture(scope="module")
def halves() -> Halves:
    """Two disjoint samples of one distribution, 128 images each at 32 px."""
    images = blobs(256, seed=7)
    return images[:128], images[128:]


@pytest.fixture(scope="module")
def metric(halves: Halves) -> SlicedWasserstein:
    return SlicedWasserstein(halves[0])


@pytest.mark.slow
def test_identical_sets_score_zero(metric: SlicedWasserstein, halves: Halves) -> None:
    same, other = metric(halves[0]), metric(halves[1])
    assert all(value == pytest.approx(0.0, abs=1e-9) for value in same.values())
    assert other["swd"] > 10.0


@pytest.mark.slow
def test_colour_shift_scores_above_a_fresh_sample(
    metric: SlicedWasserstein, halves: Halves
) -> None:
    # Each set is normalised per channel (as in the reference), so a per-channel offset or gain
    # is invisible by design; a shift that mixes the channels (towards grey) is what shows.
    real = halves[0]
    grey = real.mean(dim=1, keepdim=True)
    shifted = grey + 0.4 * (real - grey)
    assert metric(shifted)["swd"] > 1.5 * metric(halves[1])["swd"]


@pytest.mark.slow
def test_plain_colour_cast_is_invisible_like_the_reference(
    metric: SlicedWasserstein, halves: Halves
) -> None:
    cast = halves[0] * torch.tensor([0.5, 0.8, 0.6]).view(1, 3, 1, 1) + 0.2
    assert metric(cast)["swd"] < 0.01 * metric(halves[1])["swd"]


@pytest.mark.slow
def test_score_grows_with_noise(metric: SlicedWasserstein, halves: Halves) -> None:
    real = halves[0]
    noise = torch.randn(real.shape, generator=torch.Generator().manual_seed(1))
    scores = [metric((real + sigma * noise).clamp(-1, 1))["swd"] for sigma in (0.05, 0.1, 0.2)]
    assert scores[0] < scores[1] < scores[2]


def test_same_seed_gives_the_same_score(halves: Halves) -> None:
    real, fake = halves
    options = {"patches_per_image": 32, "projections": 128}
    first = SlicedWasserstein(real, seed=3, **options)(fake)
    assert SlicedWasserstein(real, seed=3, **options)(fake) == first
    assert SlicedWasserstein(real, seed=4, **options)(fake) != first


def test_uint8_and_float_inputs_agree(halves: Halves) -> None:
    real8, fake8 = to_uint8(halves[0]), to_uint8(halves[1])
    options = {"patches_per_image": 32, "projections": 128}
    from_uint8 = sliced_wasserstein(real8, fake8, **options)
    real, fake = real8.float() / 127.5 - 1, fake8.float() / 127.5 - 1
    from_float = sliced_wasserstein(real, fake, **options)
    assert from_float == pytest.approx(from_uint8, rel=1e-4)


@pytest.mark.parametrize(
    ("resolution", "keys"),
    [(32, {"swd32", "swd16", "swd"}), (64, {"swd64", "swd32", "swd16", "swd"})],
)
def test_keys_name_the_pyramid_levels(resolution: int, keys: set[str]) -> None:
    real, fake = blobs(8, res=resolution, seed=1), blobs(8, res=resolution, seed=2)
    result = sliced_wasserstein(real, fake, patches_per_image=16, projections=64)
    assert set(result) == keys
    levels = [value for key, value in result.items() if key != "swd"]
    assert result["swd"] == pytest.approx(sum(levels) / len(levels))


def test_sets_of_different_sizes_compare(metric: SlicedWasserstein, halves: Halves) -> None:
    result = metric(halves[1][:40])
    assert all(np.isfinite(value) and value > 0 for value in result.values())


def test_mismatched_resolution_is_refused(metric: SlicedWasserstein) -> None:
    with pytest.raises(ValueError, match="64 px but the real set is 32 px"):
        metric(blobs(4, res=64))


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.zeros(2, 1, 32, 32), r"\[N, 3, H, W\]"),
        (torch.zeros(2, 3, 32, 16), "square"),
        (torch.zeros(2, 3, 24, 24), "power-of-two"),
        (torch.zeros(2, 3, 8, 8), ">= 16"),
        (torch.zeros(2, 3, 32, 32, dtype=torch.int32), "uint8 or floating point"),
        (torch.full((2, 3, 32, 32), float("nan")), "NaN"),
        (torch.zeros(0, 3, 32, 32), "empty"),
    ],
)
def test_unusable_images_are_refused(images: torch.Tensor, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlicedWasserstein(images)


def test_inputs_are_left_untouched(metric: SlicedWasserstein, halves: Halves) -> None:
    fake = halves[1].clone()
    metric(fake)
    SlicedWasserstein(fake, projections=16)
    assert torch.equal(fake, halves[1])


def test_matches_the_sorted_definition(halves: Halves) -> None:
    """The binned CDF form equals the reference's sort-and-average on the same data."""
    real, fake = halves
    metric = SlicedWasserstein(real, projections=64)
    expected = {}
    pairs = zip(
        metric.resolutions, metric._levels, metric._descriptors(real), metric._descriptors(fake)
    )
    for res, level, desc_real, desc_fake in pairs:
        sorted_projections = []
        for desc in (desc_real, desc_fake):
            values = desc.values.double().view(desc.values.shape[0], 3, -1)
            normalised = (values - desc.mean.view(1, 3, 1)) / desc.std.view(1, 3, 1)
            projected = normalised.flatten(1) @ level.dirs.T
            sorted_projections.append(torch.sort(projected, dim=0).values)
        distance = (sorted_projections[0] - sorted_projections[1]).abs().mean()
        expected[f"swd{res}"] = float(distance) * 1e3
    result = metric(fake)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=2e-3)


def test_gpu_scatter_fills_the_same_bins(metric: SlicedWasserstein, halves: Halves) -> None:
    """The 1-D scatter taken off the CPU (deterministic on CUDA) matches the CPU's 2-D one."""
    level, desc = metric._levels[0], metric._descriptors(halves[1])[0]
    weight, bias = _projection(level.dirs, level.low, level.width, desc)
    values = desc.values[:2048]  # the 1-D scatter is serial on a CPU: a slice is enough
    rows = _histogram(values, weight, bias, flat=False)
    flat = _histogram(values, weight, bias, flat=True)
    assert torch.equal(rows.counts, flat.counts)
    torch.testing.assert_close(rows.offsets, flat.offsets)


def _reference_pyramid(images: np.ndarray, levels: int) -> list[np.ndarray]:
    """The reference's pyr_down/pyr_up written out: 5x5 Gaussian, scipy 'mirror' edges."""
    taps = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
    kernel = np.outer(taps, taps)

    def blur(x: np.ndarray) -> np.ndarray:
        padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="reflect")
        h, w = x.shape[-2:]
        return sum(
            kernel[i, j] * padded[:, :, i : i + h, j : j + w] for i in range(5) for j in range(5)
        )

    def up(x: np.ndarray) -> np.ndarray:
        stuffed = np.zeros(x.shape[:2] + (x.shape[2] * 2, x.shape[3] * 2))
        stuffed[:, :, ::2, ::2] = x
        return 4 * blur(stuffed)

    pyramid = [images]
    for _ in range(1, levels):
        pyramid.append(blur(pyramid[-1])[:, :, ::2, ::2])
        pyramid[-2] = pyramid[-2] - up(pyramid[-1])
    return pyramid


def test_pyramid_matches_the_reference_filters() -> None:
    images = blobs(2, res=32, seed=5).double() * 127.5
    ours = laplacian_pyramid(images, 3)
    reference = _reference_pyramid(images.numpy(), 3)
    assert [level.shape[-1] for level in ours] == [32, 16, 8]
    for mine, theirs in zip(ours, reference):
        np.testing.assert_allclose(mine.numpy(), theirs, atol=1e-9)
