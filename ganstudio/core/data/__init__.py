"""Image data: scan a folder, decode to one uint8 tensor (cached on disk), or make the demo set."""

from ganstudio.core.data.dataset import (
    ImageDataset,
    compute_fingerprint,
    default_cache_dir,
    load_image_folder,
    suggest_resolution,
)
from ganstudio.infer.decode import MAX_PIXELS, MIN_SIDE, ImageDecodeError, decode_image
from ganstudio.core.data.demo import DEMO_CLASSES, make_demo_dataset
from ganstudio.core.data.scan import IMAGE_EXTENSIONS, ScanResult, SkippedFile, scan_folder

__all__ = [
    "DEMO_CLASSES",
    "IMAGE_EXTENSIONS",
    "MAX_PIXELS",
    "MIN_SIDE",
    "ImageDataset",
    "ImageDecodeError",
    "ScanResult",
    "SkippedFile",
    "compute_fingerprint",
    "decode_image",
    "default_cache_dir",
    "load_image_folder",
    "make_demo_dataset",
    "scan_folder",
    "suggest_resolution",
]
