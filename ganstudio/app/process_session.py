"""A run on all the GPUs of this machine: `ganstudio train --nproc N` in a child process (torch's
elastic launcher starts one worker per GPU), followed through the run folder it writes.

It offers the same signals as TrainingSession, so the train page shows it the same way. A child
process cannot be paused from here, so it offers no pause and no snapshot-now; Stop sends the
launcher Ctrl-C, which stops every worker after one checkpoint.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QProcess, QTimer

from ganstudio.app.child import ChildProcess
from ganstudio.app.errors import RunError
from ganstudio.app.worker import SessionSignals, TrainingJob
from ganstudio.core.training import events as ev
from ganstudio.core.training.follow import RunFollower

POLL_MS = 500  # the run folder changes a few times a second at most


def multi_gpu_supported() -> bool:
    """Whether the app offers "All GPUs": NCCL, which the GPUs talk through, is Linux-only."""
    return sys.platform.startswith("linux")


class ProcessTrainingSession(SessionSignals):
    supports_pause = False

    def __init__(self, job: TrainingJob) -> None:
        super().__init__()
        self.job = job
        self.last_event: ev.Finished | None = None
        self._stop_requested = False
        self._config_file: Path | None = None
        target = job.config.kimg if job.config else (job.length[1] if job.length and job.length[0] == "kimg" else None)
        self.follower = RunFollower(job.run_dir, target)
        if job.resuming:
            self.follower.skip_existing()
        self.process = ChildProcess(self)
        self.process.readyReadStandardOutput.connect(self.process.read_lines)  # kept for the error message
        self.process.finished.connect(self._on_exit)
        self.process.errorOccurred.connect(self._on_process_error)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)

    def arguments(self) -> list[str]:
        job = self.job
        # --no-export: the app exports a completed run itself (job.export), with its progress and dialog.
        args = ["train", "--out", str(job.run_dir), "--nproc", str(job.nproc), "--no-export"]
        if job.resuming:
            args.append("--resume")
            if job.length is not None:
                args += [f"--{job.length[0]}", str(job.length[1])]
            return args + (["--device", job.device] if job.device else [])
        # The page's exact configuration (snapshot cadence, metric size...) travels as a file.
        fd, name = tempfile.mkstemp(prefix="ganstudio-config-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(job.config.to_dict(), f)
        self._config_file = Path(name)
        args += ["--config", name, "--device", job.config.device]
        args += ["--from", str(job.start_from)] if job.start_from else []
        return args + ([str(job.data)] if job.data else [])

    def start(self) -> None:
        self.process.start_ganstudio(self.arguments())
        self.timer.start()

    def _poll(self) -> None:
        try:
            events = self.follower.poll()
        except Exception:  # noqa: BLE001 - a file half-way through being replaced: try again next time
            return
        for event in events:
            self.event.emit(event)

    def _on_process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._on_exit(-1, QProcess.ExitStatus.CrashExit)

    def _on_exit(self, code: int, status: QProcess.ExitStatus) -> None:
        if self.last_event is not None:
            return  # errorOccurred and finished both came
        self.timer.stop()
        self._poll()
        if self._config_file is not None:
            self._config_file.unlink(missing_ok=True)
        finished = self.follower.finished(code if status == QProcess.ExitStatus.NormalExit else -1, self._stop_requested)
        self.last_event = finished
        if finished.reason == "error":
            self.process.read_rest()
            said = self.process.said() or self.process.last_line() or "no output"
            self.failed.emit(RunError(
                f"Training on several GPUs stopped: {said}",
                "The run keeps its last checkpoint; resume it from the start page, or train on one device.",
                self.process.output,
            ))
        self.event.emit(finished)
        self.ended.emit()

    # ---- control ----------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def stop(self) -> None:
        """Ctrl-C for the launcher: it passes it on, and the workers stop after saving."""
        self._stop_requested = True
        pid = self.process.processId()
        if pid and self.is_running():
            os.kill(pid, signal.SIGINT)

    def pause(self) -> None:  # not offered: the page disables Pause for these sessions
        pass

    def resume(self) -> None:
        pass

    def snapshot_now(self) -> None:
        pass

    @property
    def paused(self) -> bool:
        return False

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    def wait(self, timeout_ms: int = -1) -> bool:
        return self.process.waitForFinished(timeout_ms)
