"""Building blocks with equalised learning rate (weights scaled at run time, as in StyleGAN2).

Plain PyTorch ops only, so the same code trains on CPU or CUDA and exports to ONNX.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)


class EqualLinear(nn.Module):
    def __init__(
        self, in_features: int, out_features: int, *, bias_init: float = 0.0, lr_mul: float = 1.0, activate: bool = False
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.lr_mul = lr_mul
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.lr_mul)
        return F.leaky_relu(x, 0.2) * LRELU_GAIN if self.activate else x


class Blur(nn.Module):
    """A fixed [1, 2, 1] low-pass per channel (StyleGAN2's FIR filter in its cheapest form). It has
    no response at the Nyquist frequency, so after a stride-2 transposed conv it removes the fixed
    2x2 pattern that conv stamps on every picture."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        k = torch.tensor([1.0, 2.0, 1.0])
        k = (k[:, None] * k[None, :]) / 16
        self.register_buffer("kernel", k.expand(channels, 1, 3, 3).contiguous(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), self.kernel.to(x.dtype), groups=x.shape[1])


class EqualConv2d(nn.Module):
    """Conv with equalised lr. `down=True` is a 4x4 stride-2 conv: downsampling and convolution
    in one dense op, the cheapest way to halve the resolution on a CPU."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, *, down: bool = False, activate: bool = True
    ) -> None:
        super().__init__()
        kernel_size = 4 if down else kernel_size
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.stride = 2 if down else 1
        self.padding = 1 if down else kernel_size // 2
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, self.bias, stride=self.stride, padding=self.padding)
        return F.leaky_relu(x, 0.2) * LRELU_GAIN if self.activate else x


class ModulatedConv2d(nn.Module):
    """StyleGAN2 modulated convolution in its unfused form: scale the input channels by the style,
    run one ordinary conv for the whole batch, then demodulate the outputs. This keeps a single
    dense conv (fast on CPU, exportable) instead of a grouped per-sample one.

    `up=True` makes it a 4x4 stride-2 transposed conv: upsampling and convolution in one op, about
    half the multiply-adds of upsample + 3x3 conv."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        w_dim: int,
        *,
        up: bool = False,
        demodulate: bool = True,
        activate: bool = True,
        blur: bool = False,
    ) -> None:
        super().__init__()
        self.up = up
        self.blur = Blur(out_channels) if blur and up else None  # after the transposed conv, before the bias
        kernel_size = 4 if up else kernel_size
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        shape = (in_channels, out_channels) if up else (out_channels, in_channels)
        self.weight = nn.Parameter(torch.randn(*shape, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        # A stride-2 transposed 4x4 kernel touches each output pixel with 2x2 taps per input channel.
        taps = 4 if up else kernel_size * kernel_size
        self.weight_gain = 1.0 / math.sqrt(in_channels * taps)
        self.padding = 1 if up else kernel_size // 2
        self.demodulate = demodulate
        self.activate = activate

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # [N, Cin]
        weight = self.weight * self.weight_gain
        x = x * styles[:, :, None, None]
        if self.up:
            x = F.conv_transpose2d(x, weight, stride=2, padding=1)
            if self.blur is not None:
                x = self.blur(x)
        else:
            x = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            # Expected output std per (sample, out channel) if the inputs had unit variance.
            w2 = weight.square().sum(dim=(2, 3))  # [Cin, Cout] for up, [Cout, Cin] otherwise
            w2 = w2 * 0.25 if self.up else w2.t()  # -> [Cin, Cout]; 4 of 16 taps reach each pixel
            dcoefs = (styles.square() @ w2 + 1e-8).rsqrt()  # [N, Cout]
            x = x * dcoefs[:, :, None, None]
        x = x + self.bias[None, :, None, None]
        return F.leaky_relu(x, 0.2) * LRELU_GAIN if self.activate else x


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()
