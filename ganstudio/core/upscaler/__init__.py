"""Training single-image upscalers on a folder of pictures, driven by the same TrainingRun machinery
as GAN training (run folder, events, checkpoints, resume, lock), and their ONNX export."""

from ganstudio.core.upscaler.config import UpscalerConfig

__all__ = ["UpscalerConfig"]
