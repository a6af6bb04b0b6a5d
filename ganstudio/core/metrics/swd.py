"""Multi-scale sliced Wasserstein distance (SWD), the live quality metric.

Follows Karras et al. 2018 ("Progressive Growing of GANs", metrics/sliced_wasserstein.py): a
Laplacian pyramid of every image down to 16 px (5x5 Gaussian, stride 2, mirrored edges), 7x7
neighbourhoods at random positions (128 per image per level), each level's descriptor set
normalised per channel by its own mean/std, then the sliced Wasserstein distance between the
real and fake sets over 512 random unit directions, reported x1e3 per level and averaged.

Two departures, both measured in tests/test_swd.py:

* The reference gets each direction's Wasserstein-1 distance by sorting both projected sets and
  averaging |difference|. Sorting 3 x 512 x 131072 values per evaluation (1024 images at 64 px)
  takes 10-20 s on two CPU cores, so we compute the same quantity in its CDF form,
  W1 = integral |F_real - F_fake|, over a grid of 2048 bins per direction spanning the real
  projections, from per-bin counts and sums of offsets. That is exact outside the grid and in
  every bin where the two CDFs do not cross; in crossing bins it can only come out low. Measured
  against sorting: 0.01-0.1% low per level, up to 0.6% on a level whose distance is tiny. It
  takes O(n) work, compares sets of different sizes and keeps only a histogram of the real set.
* Real and fake neighbourhoods are taken at the same random positions (the reference draws new
  ones per set), so identical sets score exactly 0 and comparisons between fakes are less noisy.

Like the reference, each set is normalised per channel, so a global per-channel offset or gain
(a plain colour cast) does not change the score; colour shifts that mix channels do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["SlicedWasserstein", "laplacian_pyramid", "sliced_wasserstein"]

_BINS = 2048  # grid bins per direction: halving the width halves the (small) error, costs time
_BLOCK = 256  # descriptors projected at once on a CPU: the working set stays in the L2 cache
_BLOCK_GPU = 8192  # on a GPU, fewer and larger kernels
_CHUNK_PIXELS = 32 * 64 * 64  # image pixels per pyramid chunk: the working set stays in cache


def _pyr_down_axis(x: torch.Tensor, dim: int) -> torch.Tensor:
    """5-tap binomial blur along ``dim`` with whole-sample mirrored edges, keeping even samples."""
    n = x.shape[dim]
    padded = torch.cat([x.narrow(dim, 1, 2).flip(dim), x, x.narrow(dim, n - 3, 2).flip(dim)], dim)

    def tap(offset: int) -> torch.Tensor:
        return padded.narrow(dim, offset, n).unflatten(dim, (n // 2, 2)).select(dim + 1, 0)

    return (tap(0) + tap(4) + 4.0 * (tap(1) + tap(3)) + 6.0 * tap(2)) / 16.0


def _pyr_up_axis(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Zero-stuff to twice the size along ``dim`` and blur with gain 2, mirrored edges.

    Written per output phase, the zero-stuffed 5-tap filter is 3 taps on even samples and 2 on
    odd ones; mirroring the zero-stuffed signal mirrors x at the start and repeats it at the end.
    """
    n = x.shape[dim]
    padded = torch.cat([x.narrow(dim, 1, 1), x, x.narrow(dim, n - 1, 1)], dim)
    left, mid, right = (padded.narrow(dim, i, n) for i in range(3))
    even = (left + 6.0 * mid + right) / 8.0
    odd = (mid + right) / 2.0
    return torch.stack([even, odd], dim + 1).flatten(dim, dim + 1)


def laplacian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Laplacian pyramid of float images [N,C,H,W], finest first; the last level is low-pass.

    Matches the reference's pyr_down/pyr_up (cv2.pyrDown/pyrUp with scipy's 'mirror' edges).
    """
    pyramid = [images]
    for _ in range(1, levels):
        smaller = _pyr_down_axis(_pyr_down_axis(pyramid[-1], 2), 3)
        pyramid[-1] = pyramid[-1] - _pyr_up_axis(_pyr_up_axis(smaller, 2), 3)
        pyramid.append(smaller)
    return pyramid


def _check_images(images: torch.Tensor, name: str) -> int:
    """Validate [N,3,H,W] uint8 or float images; return the side length."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(images).__name__}")
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must have shape [N, 3, H, W], got {list(images.shape)}")
    n, _, h, w = images.shape
    if n < 1:
        raise ValueError(f"{name} is empty: at least one image is needed")
    if h != w or h < 16 or h & (h - 1):
        raise ValueError(f"{name} must be square with a power-of-two side >= 16, got {h}x{w}")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise ValueError(f"{name} must be uint8 or floating point in [-1, 1], got {images.dtype}")
    if images.is_floating_point() and not bool(torch.isfinite(images).all()):
        raise ValueError(f"{name} contain NaN or infinite values")
    return h


def _to_centred(images: torch.Tensor) -> torch.Tensor:
    """uint8 0..255 or float -1..1 to float32 -127.5..127.5: the reference's scale, centred.

    The offset disappears in the per-channel normalisation; centring keeps the folded
    projection (see _Level.projection) free of cancellation in float32.
    """
    if images.dtype == torch.uint8:
        return images.float().sub_(127.5)  # float() of uint8 is a new tensor
    # Out of place: float() may return the caller's tensor. x / 127.5 - 1 of a uint8 image
    # lands on the same value as the uint8 branch, so both conventions agree.
    return images.float() * 127.5


@dataclass(frozen=True)
class _Descriptors:
    """Raw neighbourhood descriptors of one level and their per-channel statistics."""

    values: torch.Tensor  # [m, 3*p*p] float32, not normalised
    mean: torch.Tensor  # [3] float64
    std: torch.Tensor  # [3] float64


def _descriptors(
    images: torch.Tensor, resolutions: list[int], per_image: int, patch: int, seed: int
) -> list[_Descriptors]:
    """Neighbourhoods at random positions of every pyramid level, with per-channel statistics."""
    n, device = images.shape[0], images.device
    half, dims = patch // 2, 3 * patch * patch
    generator = torch.Generator().manual_seed(seed)  # CPU stream: same positions on any device
    # Top-left corners; centres keep the neighbourhood inside the level (the reference's range).
    corners = [
        (torch.randint(half, res - half, (2, n * per_image), generator=generator) - half)
        .int()
        .to(device)
        for res in resolutions
    ]
    # Flat offsets of a neighbourhood's elements from its corner, channel-major like the reference.
    offsets = [
        (
            torch.arange(3).view(3, 1, 1) * res * res
            + torch.arange(patch).view(1, patch, 1) * res
            + torch.arange(patch).view(1, 1, patch)
        )
        .flatten()
        .int()
        .to(device)
        for res in resolutions
    ]
    values = [torch.empty(n * per_image, dims, device=device) for _ in resolutions]
    sums = [torch.zeros(2, dims, dtype=torch.float64, device=device) for _ in resolutions]
    chunk_size = max(1, _CHUNK_PIXELS // (images.shape[-1] ** 2))
    for start in range(0, n, chunk_size):
        chunk = _to_centred(images[start : start + chunk_size].to(device))
        pick = slice(start * per_image, (start + chunk.shape[0]) * per_image)
        owner = torch.arange(chunk.shape[0], dtype=torch.int32, device=device)
        owner = owner.repeat_interleave(per_image)
        pyramid = laplacian_pyramid(chunk, len(resolutions))
        for lod, (level, res) in enumerate(zip(pyramid, resolutions)):
            y, x = corners[lod][0, pick], corners[lod][1, pick]
            corner = (owner * 3 * res + y) * res + x  # int32: a chunk stays far below 2**31
            index = (corner[:, None] + offsets[lod]).view(-1)
            out = values[lod][pick]  # a contiguous block of rows: gather straight into it
            torch.index_select(level.contiguous().view(-1), 0, index, out=out.view(-1))
            sums[lod][0] += out.sum(dim=0)
            sums[lod][1] += out.square().sum(dim=0)
    count = float(n * per_image * patch * patch)
    result = []
    for desc, per_component in zip(values, sums):
        total, squares = per_component.view(2, 3, -1).sum(dim=2)
        mean = total / count
        std = (squares / count - mean.square()).clamp_min(0.0).sqrt().clamp_min(1e-8)
        result.append(_Descriptors(desc, mean, std))
    return result


@dataclass(frozen=True)
class _Histogram:
    """Per-direction bin counts and within-bin offsets of one projected set.

    Bin 0 holds values below the grid, bins 1..K the grid, bin K+1 values at or above its end.
    ``offsets`` sums each value's distance (in bins) from its bin's lower edge; in the outer
    bins, from one bin below the grid's start and from the grid's end.
    """

    counts: torch.Tensor  # [D, K+2] float32, whole numbers: exact below 2**24 per bin
    offsets: torch.Tensor  # [D, K+2] float32
    size: int  # values per direction


def _blocks(
    desc: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> Iterator[torch.Tensor]:
    """``weight @ desc.T + bias`` a block of descriptors at a time, into a reused buffer.

    Small reused buffers keep the work in cache and out of the allocator: fresh large
    tensors per block cost more in page faults than the arithmetic.
    """
    size = _BLOCK if desc.device.type == "cpu" else _BLOCK_GPU
    buffer = desc.new_empty(weight.shape[0], size)
    for start in range(0, desc.shape[0], size):
        block = desc[start : start + size]
        out = buffer if block.shape[0] == size else buffer.new_empty(len(buffer), len(block))
        yield torch.addmm(bias, weight, block.T, out=out)


def _histogram(
    desc: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, *, flat: bool | None = None
) -> _Histogram:
    """Histogram of the projections ``weight @ desc.T + bias``, in bin units (+1).

    On a CPU the bins are filled by a 2-D scatter, parallel over directions. Elsewhere (and
    with ``flat=True``) by a 1-D scatter, which CUDA also runs in deterministic mode.
    """
    dirs, top = weight.shape[0], float(_BINS + 1)
    flat = desc.device.type != "cpu" if flat is None else flat
    counts = desc.new_zeros(dirs, _BINS + 2)
    offsets = desc.new_zeros(dirs, _BINS + 2)
    lanes = torch.arange(dirs, device=desc.device)[:, None] * (_BINS + 2)
    bins = index = ones = None
    for t in _blocks(desc, weight, bias):
        if bins is None or bins.shape != t.shape:
            bins = torch.empty_like(t)
            index = torch.empty(t.shape, dtype=torch.long, device=t.device)
            ones = torch.ones_like(t)  # materialised: a scatter from an expanded one runs serially
        torch.clamp(t, 0.0, top, out=bins).floor_()
        t -= bins  # offset within the bin (in the outer bins: from their fixed edge)
        index.copy_(bins)
        if flat:
            index += lanes
            counts.view(-1).scatter_add_(0, index.view(-1), ones.view(-1))
            offsets.view(-1).scatter_add_(0, index.view(-1), t.view(-1))
        else:
            counts.scatter_add_(1, index, ones)
            offsets.scatter_add_(1, index, t)
    return _Histogram(counts, offsets, desc.shape[0])


def _wasserstein_in_bins(real: _Histogram, fake: _Histogram) -> torch.Tensor:
    """Per-direction integral of |F_real - F_fake| in bin units: the W1 distance per direction."""
    dc = real.counts.double() / real.size - fake.counts.double() / fake.size
    do = real.offsets.double() / real.size - fake.offsets.double() / fake.size
    below = torch.cumsum(dc, dim=1) - dc  # CDF difference at each bin's lower edge
    inside = below[:, 1:-1] + dc[:, 1:-1] - do[:, 1:-1]  # integral of F_r - F_f over the bin
    # Outside the grid one CDF is 0 (or 1) throughout: the offset sums give the integral.
    under = (do[:, 0] - dc[:, 0]).abs()
    return inside.abs().sum(dim=1) + under + do[:, -1].abs()


def _projection(
    dirs: torch.Tensor, low: torch.Tensor, width: torch.Tensor, desc: _Descriptors
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias taking raw descriptors to grid positions (+1) of their projections.

    The per-channel normalisation is affine, so it folds into the projection instead of
    costing a pass over the descriptors.
    """
    channels = dirs.shape[1] // 3
    scaled = dirs / desc.std.repeat_interleave(channels)  # d / sigma per component
    shift = scaled @ desc.mean.repeat_interleave(channels)
    weight = scaled / width[:, None]
    bias = 1.0 - (low + shift) / width
    return weight.float(), bias.float()[:, None]


@dataclass(frozen=True)
class _Level:
    """What one pyramid level keeps of the real set: directions, grid and histogram."""

    dirs: torch.Tensor  # [D, 3*p*p] unit directions, float64
    low: torch.Tensor  # [D] start of the grid (the smallest real projection), float64
    width: torch.Tensor  # [D] bin width, float64
    real: _Histogram

    def histogram(self, desc: _Descriptors) -> _Histogram:
        return _histogram(desc.values, *_projection(self.dirs, self.low, self.width, desc))


class SlicedWasserstein:
    """Holds the descriptors of a fixed real set so each evaluation only processes the fakes.

    Images are uint8 [N,3,H,W] or float [N,3,H,W] in [-1,1], square with a power-of-two side
    of at least ``min_resolution``. The work runs on the real images' device; fakes are moved
    there. Patch positions and directions come from CPU generators seeded with ``seed``, so a
    given set of fakes always gets the same score.
    """

    def __init__(
        self,
        real_images: torch.Tensor,
        *,
        patches_per_image: int = 128,
        projections: int = 512,
        patch_size: int = 7,
        min_resolution: int = 16,
        seed: int = 0,
    ) -> None:
        resolution = _check_images(real_images, "real_images")
        if patch_size < 1 or patch_size % 2 == 0 or patch_size > min_resolution:
            raise ValueError(
                f"patch_size must be odd and at most {min_resolution}, got {patch_size}"
            )
        if min_resolution > resolution:
            raise ValueError(
                f"min_resolution {min_resolution} is above the images' {resolution} px"
            )
        if patches_per_image < 1 or projections < 1:
            raise ValueError("patches_per_image and projections must be positive")
        self.resolution = resolution
        self.resolutions: list[int] = []
        while resolution >= min_resolution:
            self.resolutions.append(resolution)
            resolution //= 2
        self.device = real_images.device
        self._per_image = patches_per_image
        self._patch = patch_size
        self._seed = seed
        self._levels = self._fit(real_images, projections)

    def _descriptors(self, images: torch.Tensor) -> list[_Descriptors]:
        return _descriptors(images, self.resolutions, self._per_image, self._patch, self._seed)

    @torch.no_grad()
    def _fit(self, real_images: torch.Tensor, projections: int) -> list[_Level]:
        # Directions use a stream of their own, apart from the patch positions'.
        generator = torch.Generator().manual_seed(self._seed + 0x5D)
        dims = 3 * self._patch * self._patch
        levels = []
        for desc in self._descriptors(real_images):
            dirs = torch.randn(projections, dims, generator=generator, dtype=torch.float64)
            dirs = (dirs / dirs.norm(dim=1, keepdim=True)).to(desc.values.device)
            # First pass: the range of the real projections. The grid spans it, so outside
            # the grid the real CDF is 0 or 1 and the outer bins are exact.
            unit = torch.ones(projections, dtype=torch.float64, device=dirs.device)
            weight, bias = _projection(dirs, unit - 1.0, unit, desc)
            low = torch.full_like(bias[:, 0], torch.inf)
            high = -low
            for proj in _blocks(desc.values, weight, bias):
                low = torch.minimum(low, proj.amin(dim=1))
                high = torch.maximum(high, proj.amax(dim=1))
            low = low.double() - 1.0
            width = ((high.double() - 1.0 - low) / _BINS).clamp_min(1e-12)
            real = _histogram(desc.values, *_projection(dirs, low, width, desc))
            levels.append(_Level(dirs, low, width, real))
        return levels

    @torch.no_grad()
    def __call__(self, fake_images: torch.Tensor) -> dict[str, float]:
        """SWD x1e3 between the real set and ``fake_images``: ``swd<res>`` per level + ``swd``."""
        resolution = _check_images(fake_images, "fake_images")
        if resolution != self.resolution:
            raise ValueError(
                f"fake_images are {resolution} px but the real set is {self.resolution} px;"
                " give both sets the same resolution"
            )
        result: dict[str, float] = {}
        fakes = self._descriptors(fake_images.to(self.device))
        for res, level, desc in zip(self.resolutions, self._levels, fakes):
            bins = _wasserstein_in_bins(level.real, level.histogram(desc))
            # The reference's units: normalised descriptors, x1e3.
            result[f"swd{res}"] = float((bins * level.width).mean()) * 1e3
        result["swd"] = sum(result.values()) / len(self.resolutions)
        return result


def sliced_wasserstein(
    real_images: torch.Tensor, fake_images: torch.Tensor, **kwargs: Any
) -> dict[str, float]:
    """One-off SWD x1e3 between two image sets; ``kwargs`` go to :class:`SlicedWasserstein`."""
    return SlicedWasserstein(real_images, **kwargs)(fake_images)
