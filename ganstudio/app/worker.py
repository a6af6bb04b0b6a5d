"""The training worker: a core TrainingRun in a QThread, its events handed to the GUI thread.

The worker holds no training logic. Events are small frozen dataclasses (numpy arrays, never
tensors), so they cross to the GUI thread as they are; the GUI thread turns grids into QImages.
A session has one signal for all of them (`event`), and its page routes them by type. Control
(pause, resume, stop, snapshot now) calls the run's thread-safe methods from the GUI thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from ganstudio.app.errors import describe
from ganstudio.app.heavy import load_core
from ganstudio.app.tasks import GuiThread
from ganstudio.core.config import TrainConfig
from ganstudio.core.training import events as ev  # numpy-only: safe before torch loads

PREPARING_INTERVAL_S = 0.1  # decoding reports every file; ten updates a second are plenty


@dataclass(frozen=True)
class TrainingJob:
    """What to train: a new run (config + data folder, None for the demo) or a resumed one."""

    run_dir: Path
    config: TrainConfig | None = None  # None: resume run_dir
    data: Path | None = None
    length: tuple[str, float] | None = None  # resume only: ("minutes", M) more, or ("kimg", K) in total
    device: str | None = None  # resume only: None keeps the run's device
    nproc: int = 1  # > 1: one process per GPU, launched as `ganstudio train --nproc` (process_session.py)
    export: bool = False  # export the generator once the run completes, as `ganstudio train` does (the page does it)
    start_from: Path | None = None  # new only: the run whose best checkpoint it starts from (fine-tuning)

    @classmethod
    def new(cls, run_dir: Path, config: TrainConfig, data: Path | None, nproc: int = 1, export: bool = False,
            start_from: Path | None = None) -> "TrainingJob":
        return cls(Path(run_dir), config, Path(data) if data else None, nproc=nproc, export=export, start_from=start_from)

    @classmethod
    def resume(cls, run_dir: Path, length: tuple[str, float] | None = None, device: str | None = None, nproc: int = 1,
               export: bool = False) -> "TrainingJob":
        return cls(Path(run_dir), None, None, length, device, nproc, export)

    @property
    def resuming(self) -> bool:
        return self.config is None


def _remove_if_unused(run_dir: Path) -> None:
    """A new run that failed before it wrote anything leaves no folder behind (its lock file is
    released by then: the core closes it when run() returns or raises)."""
    try:
        if {p.name for p in run_dir.iterdir()} <= {".lock"}:
            (run_dir / ".lock").unlink(missing_ok=True)
            run_dir.rmdir()
    except OSError:
        pass  # not there, or in use: leaving it is harmless


class TrainingWorker(QObject):
    """Lives in the training thread. `work()` blocks there until the run finishes, handing each
    event to `on_event` and a failure (an AppError, after Finished(reason="error") when the run had
    begun) to `on_failure`, both called on the training thread."""

    def __init__(self, job: TrainingJob, on_event: Callable[[ev.Event], Any], on_failure: Callable[[Any], Any]) -> None:
        super().__init__()
        self.job = job
        self._on_event = on_event
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._run = None  # the core TrainingRun, once created in the worker thread
        self._stop_requested = False
        self._pause_requested = False
        self._last_preparing = 0.0

    # ---- the training thread -----------------------------------------------------------

    @Slot()
    def work(self) -> None:
        try:
            self._train()
        except Exception as e:  # noqa: BLE001 - every failure becomes a dialog, never a crash
            self._on_failure(describe(e))
        finally:
            thread = self.thread()
            if thread is not None:
                thread.quit()

    def _train(self) -> None:
        load_core()  # torch loads here, off the GUI thread
        job = self.job
        created = not job.resuming and not job.run_dir.exists()
        try:
            self._train_job(job)
        finally:
            if created:
                _remove_if_unused(job.run_dir)

    def _train_job(self, job: TrainingJob) -> None:
        from ganstudio.core.training.run import TrainingRun

        with self._lock:
            if self._stop_requested:  # stopped before anything was created: leave no run folder
                self._on_event(ev.Finished(0, 0.0, "stopped", "stopped before training began"))
                return
        if job.resuming:
            run = TrainingRun.resume(job.run_dir, device=job.device)
            if job.length is not None:
                # Set both: resume's overrides cannot clear the other bound (it skips None values).
                unit, value = job.length
                run.config = run.config.replace(kimg=value if unit == "kimg" else None, minutes=value if unit == "minutes" else None)
        else:
            from ganstudio.core.training.start_from import open_parent

            parent = open_parent(job.start_from) if job.start_from else None
            run = TrainingRun.new(job.run_dir, job.config, job.data, start_from=parent)
        run.listener = self._relay
        with self._lock:
            self._run = run
            if self._pause_requested:
                run.pause()
            if self._stop_requested:
                run.stop()
        try:
            run.run()
        finally:
            # run.listener -> self -> run is a cycle: break it, so the model's memory goes back
            # as soon as the session is dropped, without waiting for a garbage collection.
            with self._lock:
                self._run = None
            run.listener = None

    def _relay(self, event: ev.Event) -> None:
        """The core's listener, called on this thread: pass on, nothing else."""
        if isinstance(event, ev.Preparing):
            now = time.monotonic()
            if event.done < event.total and now - self._last_preparing < PREPARING_INTERVAL_S:
                return
            self._last_preparing = now
        self._on_event(event)

    # ---- control, from the GUI thread ----------------------------------------------------

    def pause(self) -> None:
        with self._lock:
            self._pause_requested = True
            if self._run is not None:
                self._run.pause()

    def resume(self) -> None:
        with self._lock:
            self._pause_requested = False
            if self._run is not None:
                self._run.resume_training()

    def stop(self) -> None:
        """Save a checkpoint and finish at the next step boundary."""
        with self._lock:
            self._stop_requested = True
            if self._run is not None:
                self._run.stop()

    def snapshot_now(self) -> None:
        with self._lock:
            if self._run is not None:
                self._run.snapshot_now()

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._pause_requested

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop_requested


class SessionSignals(QObject):
    """What the train page hears from a session, in-process (TrainingSession) or in a child
    process (process_session.py), always on the GUI thread: every training event (ev.Event) as
    `event`, a failure as `failed(AppError)`, and `ended` last, once the work has stopped, whatever
    the reason."""

    event = Signal(object)
    failed = Signal(object)
    ended = Signal()

    supports_pause = True


class TrainingSession(SessionSignals):
    """The GUI thread's handle on one training thread."""

    def __init__(self, job: TrainingJob) -> None:
        super().__init__()
        self.job = job
        gui = GuiThread(self)
        self.worker = TrainingWorker(job, lambda e: gui.post(self.event.emit, e), lambda e: gui.post(self.failed.emit, e))
        self.thread = QThread()
        self.thread.setObjectName("ganstudio-training")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.work)
        # Queued too, so that `ended` comes after every event the worker posted before exiting.
        self.thread.finished.connect(self.ended, Qt.ConnectionType.QueuedConnection)
        self.last_event: ev.Finished | None = None
        self.event.connect(self._remember_finish)

    def _remember_finish(self, event: ev.Event) -> None:
        if isinstance(event, ev.Finished):
            self.last_event = event

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def pause(self) -> None:
        self.worker.pause()

    def resume(self) -> None:
        self.worker.resume()

    def stop(self) -> None:
        self.worker.stop()

    def snapshot_now(self) -> None:
        self.worker.snapshot_now()

    @property
    def paused(self) -> bool:
        return self.worker.paused

    @property
    def stopping(self) -> bool:
        return self.worker.stop_requested

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread has exited (at application exit only: it freezes the GUI)."""
        return self.thread.wait(timeout_ms) if timeout_ms >= 0 else self.thread.wait()
