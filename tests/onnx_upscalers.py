"""Tiny foreign ONNX upscalers, built with onnx.helper, the way a model made elsewhere looks:
no GAN Studio metadata, various layouts, precisions, fixed or dynamic sizes and scales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, HALF = TensorProto.FLOAT, TensorProto.FLOAT16


def _save(path: Path, nodes, inputs, outputs, inits=(), props: dict[str, str] | None = None) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    if props:
        helper.set_model_props(model, props)
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def nearest(path: Path, scale: int = 2, *, size: int | None = None, dtype=FLOAT, nhwc: bool = False, channels: int = 3,
            props: dict[str, str] | None = None) -> Path:
    """Nearest-neighbour upscaling: no receptive field, so tiled and untiled results must agree exactly."""
    h = w = size if size else None
    dims = ["N", channels, h or "H", w or "W"] if not nhwc else ["N", h or "H", w or "W", channels]
    scales = [1.0, 1.0, float(scale), float(scale)] if not nhwc else [1.0, float(scale), float(scale), 1.0]
    inits = [numpy_helper.from_array(np.array(scales, np.float32), "scales")]
    nodes = [helper.make_node("Resize", ["input", "", "scales"], ["output"], mode="nearest")]
    if dtype == HALF:  # onnxruntime's CPU Resize is float32: cast around it, as fp16 exports do
        nodes = [
            helper.make_node("Cast", ["input"], ["x32"], to=FLOAT),
            helper.make_node("Resize", ["x32", "", "scales"], ["y32"], mode="nearest"),
            helper.make_node("Cast", ["y32"], ["output"], to=HALF),
        ]
    return _save(path, nodes, [helper.make_tensor_value_info("input", dtype, dims)],
                 [helper.make_tensor_value_info("output", dtype, ["N", "a", "b", "c"])], inits, props)


def blur(path: Path, scale: int = 2) -> Path:
    """A 5x5 box blur then nearest upscaling: a receptive field of 2 px each side, like a real net's."""
    k = np.zeros((3, 1, 5, 5), np.float32) + 1 / 25
    inits = [numpy_helper.from_array(k, "k"), numpy_helper.from_array(np.array([1, 1, scale, scale], np.float32), "scales")]
    nodes = [
        helper.make_node("Conv", ["image", "k"], ["b"], group=3, pads=[2, 2, 2, 2]),
        helper.make_node("Resize", ["b", "", "scales"], ["out"], mode="nearest"),
    ]
    return _save(path, nodes, [helper.make_tensor_value_info("image", FLOAT, ["N", 3, "H", "W"])],
                 [helper.make_tensor_value_info("out", FLOAT, ["N", 3, "OH", "OW"])], inits)


def two_inputs(path: Path) -> Path:
    nodes = [helper.make_node("Add", ["a", "b"], ["c"])]
    spec = ["N", 3, "H", "W"]
    return _save(path, nodes, [helper.make_tensor_value_info("a", FLOAT, spec), helper.make_tensor_value_info("b", FLOAT, spec)],
                 [helper.make_tensor_value_info("c", FLOAT, ["N", 3, "H", "W"])])


def classifier(path: Path) -> Path:
    """Image in, a vector out: an ONNX model that is not an upscaler."""
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["score"]),
    ]
    return _save(path, nodes, [helper.make_tensor_value_info("image", FLOAT, ["N", 3, "H", "W"])],
                 [helper.make_tensor_value_info("score", FLOAT, ["N", 3])])


def shrinker(path: Path) -> Path:
    """Output half the input's size: image in, image out, but not an upscaler."""
    inits = [numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "scales")]
    nodes = [helper.make_node("Resize", ["image", "", "scales"], ["out"], mode="nearest")]
    return _save(path, nodes, [helper.make_tensor_value_info("image", FLOAT, ["N", 3, "H", "W"])],
                 [helper.make_tensor_value_info("out", FLOAT, ["N", 3, "OH", "OW"])], inits)
