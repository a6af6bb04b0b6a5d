"""Export a run's generator to ONNX in a child process (`ganstudio export`), so the window stays smooth.

In a thread of the app's own, torch's exporter and the modules it loads held the GIL for up to
0.4 s at a time. Measured on 2 cores (benchmarks/ui_responsiveness.py), the longest GUI gap while
exporting went from 409 ms (119 ms on a second export) to 14 ms; the child's start-up makes a
small model's export take 7-8 s instead of 4-6 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal

from ganstudio.app.child import ChildProcess
from ganstudio.app.errors import AppError
from ganstudio.infer.export_result import ExportResult

STAGE = "exporting: "  # how `ganstudio export` prints each stage when its output is not a terminal
UNCHANGED = "Nothing in the run folder was changed. Train a little longer and export again, or export the latest checkpoint."


class ExportProcess(QObject):
    """`ganstudio export RUN` in a child process: each stage's words (str) on `progressed`, then
    the ExportResult on `succeeded` or an AppError on `failed` (neither once cancelled), then
    `finished` in every case."""

    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, run_dir: Path, *, checkpoint: str = "best", fp16: bool = False, out: Path | None = None,
                 with_encoder: bool = False, parent: QObject | None = None) -> None:
        # Owned by the window that shows it: destroying the window kills the child, so no signal
        # can reach a window that is gone.
        super().__init__(parent)
        fd, name = tempfile.mkstemp(prefix="ganstudio-export-", suffix=".json")
        os.close(fd)
        self._result_file = Path(name)
        self.arguments = ["export", str(run_dir), "--checkpoint", checkpoint, "--result-json", name]
        self.arguments += ["--fp16"] if fp16 else []
        self.arguments += ["--out", str(out)] if out is not None else []
        self.arguments += ["--with-encoder"] if with_encoder else []
        self._ended = False
        self._cancelled = False
        self.process = ChildProcess(self)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._on_exit)
        self.process.errorOccurred.connect(self._on_process_error)

    def start(self) -> "ExportProcess":
        self.process.start_ganstudio(self.arguments)
        return self

    def cancel(self) -> None:
        """Stop the child: it removes the file it was writing (`ganstudio export` takes SIGTERM as
        Ctrl-C), and the export ends with neither succeeded nor failed."""
        self._cancelled = True
        if self.process.state() != QProcess.ProcessState.NotRunning:
            # Windows has no SIGTERM for a console program; a killed child leaves only its temp file.
            self.process.kill() if sys.platform == "win32" else self.process.terminate()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def wait(self, msecs: int) -> bool:
        """Block until the child has exited (tests tidying up); True when it has."""
        return self.process.state() == QProcess.ProcessState.NotRunning or self.process.waitForFinished(msecs)

    def _read_output(self, lines: list[str] | None = None) -> None:
        for line in self.process.read_lines() if lines is None else lines:
            if line.startswith(STAGE):
                self.progressed.emit(line[len(STAGE) :].rstrip(". \r"))

    def _on_process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._end(AppError("GAN Studio could not start the export.", "Try again; if it keeps failing, reinstall GAN Studio.",
                               self.process.errorString()))

    def _on_exit(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_output(self.process.read_rest())
        output = self.process.output
        if status == QProcess.ExitStatus.NormalExit and code == 0:
            try:
                self._end(ExportResult.from_json(self._result_file.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as e:
                self._end(AppError("The export finished but did not say what it wrote.", UNCHANGED, f"{e}\n\n{output}"))
            return
        what = self.process.said() or f"The export stopped unexpectedly ({self.process.last_line() or f'exit code {code}'})."
        self._end(AppError(what[:1].upper() + what[1:], UNCHANGED, output.strip()))

    def _end(self, outcome: ExportResult | AppError) -> None:
        if self._ended:  # errorOccurred and finished can both come
            return
        self._ended = True
        self._result_file.unlink(missing_ok=True)
        if not self._cancelled:
            (self.succeeded if isinstance(outcome, ExportResult) else self.failed).emit(outcome)
        self.finished.emit()


def start_export(run_dir: Path, *, checkpoint: str = "best", fp16: bool = False, out: Path | None = None,
                 with_encoder: bool = False, parent: QObject | None = None) -> ExportProcess:
    """The export of `run_dir`, not yet started: connect its signals, then call start()."""
    return ExportProcess(run_dir, checkpoint=checkpoint, fp16=fp16, out=out, with_encoder=with_encoder, parent=parent)


def describe_result(result: ExportResult) -> tuple[str, str]:
    """(headline, details) for the message shown when an export is done."""
    size = result.path.stat().st_size / 1e6 if result.path.is_file() else 0.0
    report = result.copy_report
    copies = (f"{report.describe()} The Explore page's \"Is it new?\" tab shows the nearest training pictures of any image.\n\n"
              if report is not None else f"No copy check: {result.copies_note}.\n\n" if result.copies_note else "")
    return (
        f"Exported {result.path.name} ({size:.1f} MB).",
        f"From checkpoint {result.step} ({result.precision}), in {result.seconds:.0f} s. onnxruntime matches the "
        f"torch model within {result.max_abs_diff:.1e} (allowed {result.tolerance:.0e}).\n\n{copies}"
        f"Saved in {result.path.parent}. Open it in Explore, or generate images from the command line with:\n"
        f"ganstudio generate \"{result.path}\" --count 16 --grid --out images",
    )
