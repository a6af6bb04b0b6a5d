"""onnxruntime sessions: which execution providers, chosen in one place, with a CPU fallback.

onnxruntime is imported lazily (the app's window must not wait for it), and its own log lines are
kept to fatal errors only: the one thing a user may need to know, that CUDA was wanted but cannot
run, comes back as a plain note instead. Its telemetry is off: GAN Studio never goes online, and
onnxruntime would otherwise write a device id into the user's ~/.cache.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ganstudio.infer.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime

Device = Literal["auto", "cpu", "cuda"]
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
_QUIET = 4  # onnxruntime severities: 0 verbose .. 3 error, 4 fatal
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # read when onnxruntime starts; a user's own choice wins

_cuda_works: bool | None = None  # whether CUDA started in this process, once tried


@dataclass(frozen=True)
class Session:
    """An open model: the onnxruntime session, the device it runs on, and why, if not the asked one."""

    ort: "onnxruntime.InferenceSession"
    device: str  # "cuda" or "cpu"
    note: str | None = None


def _onnxruntime():
    import onnxruntime

    onnxruntime.set_default_logger_severity(_QUIET)
    return onnxruntime


def _options(ort, threads: int | None = None) -> "onnxruntime.SessionOptions":
    options = ort.SessionOptions()
    options.log_severity_level = _QUIET
    if threads is not None:  # e.g. the app's interactive session: a few threads, not one per core
        options.intra_op_num_threads = max(1, int(threads))
    # All cores, but no spinning threads: the app's GUI thread and PNG writers need the CPU too.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def open_session(path: str | os.PathLike, device: Device = "auto", threads: int | None = None) -> Session:
    """Open `path` on `device`: "cuda" when asked or, for "auto", when an NVIDIA driver is present and
    CUDA really starts; otherwise the CPU, with a note saying why when CUDA was expected. `threads`
    caps onnxruntime's CPU threads (default: one per core)."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose from {', '.join(DEVICES)}")
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    ort = _onnxruntime()
    note = None
    if device == "cuda" or (device == "auto" and _nvidia_driver_present()):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            note = "this onnxruntime has no CUDA support (install onnxruntime-gpu): running on the CPU"
        elif _cuda_works is not False:
            _preload_cuda_libraries(ort)
            session = _create(ort, path, ["CUDAExecutionProvider", "CPUExecutionProvider"], threads)
            if _remember_cuda(session.get_providers()[0] == "CUDAExecutionProvider"):
                return Session(session, "cuda")
        if note is None:
            note = "CUDA could not start (the CUDA 12/cuDNN 9 libraries are missing or the GPU is busy): running on the CPU"
    return Session(_create(ort, path, ["CPUExecutionProvider"], threads), "cpu", note)


def _nvidia_driver_present() -> bool:
    """Cheap check before asking onnxruntime to load CUDA, which costs time and fails noisily."""
    if sys.platform.startswith("linux"):
        return Path("/proc/driver/nvidia/version").exists()
    if sys.platform == "win32":
        return ctypes.util.find_library("nvcuda") is not None
    return False  # no CUDA builds of onnxruntime elsewhere


def _preload_cuda_libraries(ort) -> None:
    if _cuda_works is None and hasattr(ort, "preload_dlls"):
        try:  # CUDA and cuDNN from the nvidia-* wheels when installed (onnxruntime >= 1.21)
            ort.preload_dlls()
        except Exception:  # noqa: BLE001 - missing libraries show up as the CPU fallback
            pass


def _remember_cuda(works: bool) -> bool:
    global _cuda_works
    _cuda_works = works
    return works


def _create(ort, path: Path, providers: list[str], threads: int | None = None) -> "onnxruntime.InferenceSession":
    try:
        return ort.InferenceSession(str(path), _options(ort, threads), providers=providers)
    except Exception as e:  # onnxruntime raises its own untyped errors for every kind of bad file
        reason = _reason(e)
        if "External data path validation failed" in reason:  # onnxruntime refuses to read it; say why plainly
            raise ModelError(f"{path} refers to weight data outside its own folder, which is not allowed: {reason}") from None
        raise ModelError(f"{path} could not be opened as an ONNX model (is it truncated, or not ONNX?): {reason}") from None


def _reason(error: Exception) -> str:
    """onnxruntime's message without its '[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from ... failed:' preamble."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    return re.sub(r"^Load model from .* failed:", "", text).strip() or type(error).__name__
