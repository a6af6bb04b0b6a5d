"""Turn whatever went wrong into words for the user: what happened, and what to do about it.

Every error the app shows is a GanStudioError (an AppError); exceptions that are not ours (a full
disk, a CUDA failure, a bug) are described here so the dialog never shows a bare traceback.
"""

from __future__ import annotations

import errno
import sys
import traceback

from ganstudio.errors import GanStudioError

KEEPS_RUN = "The run folder keeps its last good checkpoint, so nothing learned before it is lost."


class AppError(GanStudioError):
    """A user-facing error: `what` happened, `todo` is what the user can do, `details` for reports."""

    title = "Something went wrong"

    def __init__(self, what: str, todo: str, details: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo
        self.details = details
        self.cause: BaseException | None = None  # the exception it describes, for code that acts on its kind


class FolderError(AppError):
    title = "This folder cannot be used"


class DiskFullError(AppError):
    title = "The disk is full"


class DeviceError(AppError):
    title = "The GPU failed"


class RunError(AppError):
    title = "Training stopped with an error"


def _capitalised(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _is_device_failure(exc: BaseException) -> bool:
    # torch is not imported here (the GUI thread must not load it): recognise by name and text.
    text = f"{type(exc).__name__} {exc}"
    return "OutOfMemoryError" in text or "CUDA" in text or "cuDNN" in text or "cublas" in text.lower()


def _disk_full(exc: BaseException) -> OSError | None:
    """The out-of-space OSError behind exc, if any. The core words file errors as its own
    (raise ... from None), which still keeps the original as __context__."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return current
        current = current.__cause__ or current.__context__
    return None


class _Never(Exception):
    """Stands for the core's error classes when the core is not loaded: nothing is an instance."""


FREE_SPACE = "Free some space (old runs in the runs folder are a good place to start), then "


def describe(exc: BaseException, *, doing: str = "training") -> AppError:
    """The AppError to show for `exc`, raised while `doing` something ("training", "exporting"),
    with `exc` as its cause. Only training talks about the run and resuming it; our own errors
    (GanStudioError) are expected and already say what is wrong, so only the others carry a
    traceback for a bug report."""
    if isinstance(exc, AppError):
        return exc
    error = _describe(exc, doing)
    error.cause = exc
    return error


def _describe(exc: BaseException, doing: str) -> AppError:
    training = doing == "training"
    kept = f" {KEEPS_RUN}" if training else ""
    again = "resume." if training else "try again."
    ours = isinstance(exc, GanStudioError)
    details = "" if ours else "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    full = _disk_full(exc)
    if full is not None:
        if ours:  # the core's words name the file and what was kept
            return DiskFullError(_capitalised(str(exc)), FREE_SPACE + again + kept, details)
        where = f" while writing {full.filename}" if full.filename else ""
        return DiskFullError(f"The disk ran out of space{where} during {doing}.", FREE_SPACE + again + kept, details)
    if isinstance(exc, PermissionError):
        return FolderError(
            f"GAN Studio is not allowed to {'read' if doing == 'scanning' else 'write'} {exc.filename or 'a file it needs'}.",
            "Choose a folder you own (Advanced, Runs folder), or change the folder's permissions.",
            details,
        )
    # The core's errors, looked up only if the core is loaded (an instance cannot exist otherwise):
    # the Explore page and the torch-free Player use this module without ganstudio.core.
    core = sys.modules.get("ganstudio.core.errors")
    DataError, CheckpointError, TrainingError, ExportError = (  # noqa: N806
        (core.DataError, core.CheckpointError, core.TrainingError, core.ExportError) if core else (_Never,) * 4
    )
    if isinstance(exc, DataError):
        return FolderError(
            _capitalised(str(exc)),
            "Choose a folder that holds JPEG, PNG, WebP, BMP, GIF or TIFF pictures (subfolders are searched too).",
            details,
        )
    if isinstance(exc, CheckpointError):
        return RunError(
            _capitalised(str(exc)),
            "Nothing else in the run folder was changed. Fix what the message names and resume from the start "
            "page, or start a new run.",
            details,
        )
    if isinstance(exc, TrainingError):
        return RunError(_capitalised(str(exc)), KEEPS_RUN + " Resume with a lower learning rate (Advanced).", details)
    if isinstance(exc, ExportError):
        return AppError(_capitalised(str(exc)), "Train a little longer and export again, or export the latest checkpoint.", details)
    if isinstance(exc, GanStudioError):
        return AppError(_capitalised(str(exc)), "Check the setting it names and try again.", details)
    if _is_device_failure(exc):
        return DeviceError(
            f"The GPU failed during {doing}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}.",
            f"{KEEPS_RUN} Resume it with a smaller batch, or on the CPU (Advanced, Device: CPU)." if training else
            "Try again; if it fails again, close other programs that use the GPU.",
            details,
        )
    if isinstance(exc, OSError):
        return AppError(
            f"A file could not be read or written during {doing}: {exc.strerror or exc} ({exc.filename or 'no file name'}).",
            f"Check that the disk is connected and writable, then {again}{kept}",
            details,
        )
    if training:
        return RunError(
            f"An unexpected error stopped training: {type(exc).__name__}: {exc}",
            f"{KEEPS_RUN} Resume the run; if this happens again, please report it with the details below.",
            details,
        )
    return AppError(
        f"An unexpected error happened while {doing}: {type(exc).__name__}: {exc}",
        "GAN Studio goes on working. Try again; if this happens again, please report it with the details below.",
        details,
    )
