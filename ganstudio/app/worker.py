"""The training worker: a core TrainingRun in a QThread, its events re-emitted as Qt signals.

The worker holds no training logic. Events are small frozen dataclasses (numpy arrays, never
tensors), so they cross to the GUI thread as they are, through queued connections; the GUI
thread turns grids into QImages. Control (pause, resume, stop, snapshot now) calls the run's
thread-safe methods directly from the GUI thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from ganstudio.app.errors import describe
from ganstudio.app.heavy import load_core
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

    @classmethod
    def new(cls, run_dir: Path, config: TrainConfig, data: Path | None, nproc: int = 1, export: bool = False) -> "TrainingJob":
        return cls(Path(run_dir), config, Path(data) if data else None, nproc=nproc, export=export)

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
    """Lives in the training thread. `work()` blocks there until the run finishes."""

    preparing = Signal(object)  # ev.Preparing
    started = Signal(object)  # ev.Started
    progress = Signal(object)  # ev.Progress
    snapshot = Signal(object)  # ev.Snapshot
    metric = Signal(object)  # ev.Metric
    warning = Signal(object)  # ev.TrainingWarning
    checkpoint_saved = Signal(object)  # ev.CheckpointSaved
    finished = Signal(object)  # ev.Finished
    failed = Signal(object)  # AppError, after finished(reason="error") when the run had begun

    def __init__(self, job: TrainingJob) -> None:
        super().__init__()
        self.job = job
        self._lock = threading.Lock()
        self._run = None  # the core TrainingRun, once created in the worker thread
        self._stop_requested = False
        self._pause_requested = False
        self._last_preparing = 0.0
        self._route = {
            ev.Preparing: self.preparing, ev.Started: self.started, ev.Progress: self.progress,
            ev.Snapshot: self.snapshot, ev.Metric: self.metric, ev.TrainingWarning: self.warning,
            ev.CheckpointSaved: self.checkpoint_saved, ev.Finished: self.finished,
        }

    # ---- the training thread -----------------------------------------------------------

    @Slot()
    def work(self) -> None:
        try:
            self._train()
        except Exception as e:  # noqa: BLE001 - every failure becomes a dialog, never a crash
            self.failed.emit(describe(e))
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
                self.finished.emit(ev.Finished(0, 0.0, "stopped", "stopped before training began"))
                return
        if job.resuming:
            run = TrainingRun.resume(job.run_dir, device=job.device)
            if job.length is not None:
                # Set both: resume's overrides cannot clear the other bound (it skips None values).
                unit, value = job.length
                run.config = run.config.replace(kimg=value if unit == "kimg" else None, minutes=value if unit == "minutes" else None)
        else:
            run = TrainingRun.new(job.run_dir, job.config, job.data)
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
        """The core's listener, called on this thread: re-emit, nothing else."""
        if isinstance(event, ev.Preparing):
            now = time.monotonic()
            if event.done < event.total and now - self._last_preparing < PREPARING_INTERVAL_S:
                return
            self._last_preparing = now
        signal = self._route.get(type(event))
        if signal is not None:
            signal.emit(event)

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
    process (process_session.py), always on the GUI thread. `ended` comes last, once the work
    has stopped, whatever the reason."""

    preparing = Signal(object)
    started = Signal(object)
    progress = Signal(object)
    snapshot = Signal(object)
    metric = Signal(object)
    warning = Signal(object)
    checkpoint_saved = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    ended = Signal()

    supports_pause = True


class TrainingSession(SessionSignals):
    """The GUI thread's handle on one training thread. Its signals mirror the worker's and are
    emitted on the GUI thread (signal-to-signal queued connections), so any slot, a lambda
    included, may touch widgets. `ended` fires once the thread has exited, whatever the reason."""

    def __init__(self, job: TrainingJob) -> None:
        super().__init__()
        self.job = job
        self.worker = TrainingWorker(job)
        self.thread = QThread()
        self.thread.setObjectName("ganstudio-training")
        self.worker.moveToThread(self.thread)
        queued = Qt.ConnectionType.QueuedConnection
        w = self.worker
        for source, target in (
            (w.preparing, self.preparing), (w.started, self.started), (w.progress, self.progress),
            (w.snapshot, self.snapshot), (w.metric, self.metric), (w.warning, self.warning),
            (w.checkpoint_saved, self.checkpoint_saved), (w.finished, self.finished), (w.failed, self.failed),
        ):
            source.connect(target, queued)
        self.thread.started.connect(self.worker.work)
        # Queued too, so that `ended` comes after every event the worker emitted before exiting.
        self.thread.finished.connect(self.ended, queued)
        self.last_event: ev.Finished | None = None
        self.finished.connect(self._remember_finish)

    def _remember_finish(self, event: ev.Finished) -> None:
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
