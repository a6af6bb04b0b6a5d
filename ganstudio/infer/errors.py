"""Errors of the inference layer."""

from ganstudio.errors import GanStudioError


class ModelError(GanStudioError):
    """An .onnx file cannot be used: unreadable, not ONNX, or not the kind of model asked for."""


class NotAnUpscalerError(ModelError):
    """An .onnx file that opens but is not an image upscaler (a GAN generator, say)."""


class OutputError(GanStudioError):
    """Generated images or animations cannot be written where the user asked."""
