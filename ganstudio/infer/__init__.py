"""Inference without torch or Qt: onnxruntime + numpy + Pillow. Opens exported generators,
generates from seeds, interpolates, writes images and animations, and upscales with any ONNX
super-resolution model (ganstudio.infer.upscale, upscale_files).

Nothing here imports torch (the Player build has none) and onnxruntime is loaded on first use.
"""

from ganstudio.infer.errors import ModelError, OutputError
from ganstudio.infer.generator import Generated, GeneratorModel, z_for_seed
from ganstudio.infer.images import ImageInfo, make_grid, read_image_info, save_png
from ganstudio.infer.upscale import Upscaler

__all__ = [
    "Generated",
    "GeneratorModel",
    "ImageInfo",
    "ModelError",
    "OutputError",
    "make_grid",
    "read_image_info",
    "save_png",
    "Upscaler",
    "z_for_seed",
]
