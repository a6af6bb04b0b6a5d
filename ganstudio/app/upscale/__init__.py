"""The Upscale page: images in, a model and a scale, a before/after split view, save all.
Imports neither torch nor the core (the torch-free Player ships it too)."""

from ganstudio.app.upscale.page import UpscalePage

__all__ = ["UpscalePage"]
