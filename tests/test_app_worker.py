"""The app's training worker: core events arrive as Qt signals on the GUI thread; pause, resume and
stop work; failures become errors in plain words and leave the run folder valid."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from ganstudio.app.errors import AppError, DeviceError, DiskFullError, FolderError, RunError, describe
from ganstudio.app.worker import TrainingJob, TrainingSession
from ganstudio.core.errors import CheckpointError, DataError, TrainingError
from ganstudio.core.training import events as ev

TIMEOUT_MS = 60_000


pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


class Recorder:
    """Collects a session's events and failures, noting the thread each arrives on."""

    def __init__(self, session: TrainingSession) -> None:
        self.events: list[object] = []
        self.threads: set[object] = set()
        session.event.connect(self._record)
        session.failed.connect(self._record)

    def _record(self, event: object) -> None:
        self.events.append(event)
        self.threads.add(QThread.currentThread())

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def session_for(qtbot):
    sessions: list[TrainingSession] = []

    def make(job: TrainingJob) -> tuple[TrainingSession, Recorder]:
        session = TrainingSession(job)
        sessions.append(session)
        return session, Recorder(session)

    yield make
    for session in sessions:  # a failing test must not leave a thread training
        session.stop()
        session.wait(TIMEOUT_MS)


@pytest.mark.slow
def test_events_arrive_as_signals_on_the_gui_thread(qtbot, tmp_path, image_folder, tiny_config, session_for):
    session, rec = session_for(TrainingJob.new(tmp_path / "run", tiny_config(kimg=0.064), image_folder))
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        session.start()

    assert rec.threads == {QApplication.instance().thread()}
    started = rec.of(ev.Started)[0]
    assert started.num_images == 24 and started.resumed_from_kimg == 0
    assert rec.of(ev.Progress) and rec.of(ev.Snapshot) and rec.of(ev.CheckpointSaved)
    grid = rec.of(ev.Snapshot)[-1].grid
    assert grid.dtype == np.uint8 and grid.shape == (128, 128, 3)
    finished = rec.of(ev.Finished)[-1]
    assert finished.reason == "completed" and session.last_event == finished
    assert not rec.of(AppError) and not session.is_running()
    assert (tmp_path / "run" / "checkpoints" / f"{finished.step:07d}.safetensors").is_file()


def test_pause_resume_and_stop_save_a_checkpoint(qtbot, tmp_path, image_folder, tiny_config, session_for, wait_event):
    session, rec = session_for(TrainingJob.new(tmp_path / "run", tiny_config(), image_folder))  # no budget: runs until stopped
    with wait_event(session, ev.Progress):
        session.start()

    session.pause()
    assert session.paused and session.worker._run.paused
    session.resume()
    assert not session.paused and not session.worker._run.paused
    with wait_event(session, ev.Progress):
        pass  # training goes on after resuming

    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        session.stop()
    finished = rec.of(ev.Finished)[-1]
    assert finished.reason == "stopped" and finished.step > 0
    saved = rec.of(ev.CheckpointSaved)[-1]
    assert saved.step == finished.step and saved.path.is_file()


def test_stop_while_paused_still_saves(qtbot, tmp_path, image_folder, tiny_config, session_for, wait_event):
    session, rec = session_for(TrainingJob.new(tmp_path / "run", tiny_config(), image_folder))
    with wait_event(session, ev.Progress):
        session.start()
    session.pause()
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        session.stop()
    assert rec.of(ev.Finished)[-1].reason == "stopped"
    assert rec.of(ev.CheckpointSaved)[-1].step == rec.of(ev.Finished)[-1].step


@pytest.mark.slow
def test_resume_job_continues_the_run(qtbot, tmp_path, image_folder, tiny_config, session_for):
    first, _ = session_for(TrainingJob.new(tmp_path / "run", tiny_config(kimg=0.032), image_folder))
    with qtbot.waitSignal(first.ended, timeout=TIMEOUT_MS):
        first.start()
    second, rec = session_for(TrainingJob.resume(tmp_path / "run", ("kimg", 0.064)))
    with qtbot.waitSignal(second.ended, timeout=TIMEOUT_MS):
        second.start()
    assert rec.of(ev.Started)[0].resumed_from_kimg == pytest.approx(0.032)
    assert rec.of(ev.Finished)[-1].reason == "completed" and rec.of(ev.Finished)[-1].kimg >= 0.064


def test_failure_mid_run_is_described_and_the_run_folder_stays_valid(qtbot, tmp_path, image_folder, tiny_config, session_for, monkeypatch):
    from ganstudio.core.training.trainer import Trainer

    real_step = Trainer.train_step

    def failing_step(self):  # noqa: ANN001, ANN202
        if self.step >= 3:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return real_step(self)

    monkeypatch.setattr(Trainer, "train_step", failing_step)
    session, rec = session_for(TrainingJob.new(tmp_path / "run", tiny_config(kimg=1.0), image_folder))
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        session.start()

    assert rec.of(ev.Finished)[-1].reason == "error"
    error = rec.of(AppError)[-1]
    assert isinstance(error, DeviceError)
    assert "GPU failed" in error.what and "CPU" in error.todo and "checkpoint" in error.todo
    run = tmp_path / "run"
    assert json.loads((run / "run.json").read_text())["config"]["kimg"] == 1.0
    assert list((run / "checkpoints").glob("*.safetensors"))  # resumable from here


def test_full_disk_is_described(qtbot, tmp_path, image_folder, tiny_config, session_for, monkeypatch):
    from ganstudio.core.training.runfolder import RunFolder

    real_write = RunFolder.write_sample_grid
    calls = []

    def write(self, step, grid):  # noqa: ANN001, ANN202
        calls.append(step)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.samples / f"{step:07d}.png"))
        return real_write(self, step, grid)

    monkeypatch.setattr(RunFolder, "write_sample_grid", write)
    session, rec = session_for(TrainingJob.new(tmp_path / "run", tiny_config(kimg=1.0), image_folder))
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        session.start()
    error = rec.of(AppError)[-1]
    assert isinstance(error, DiskFullError) and "No space left on device" in error.what and "Free some space" in error.todo
    assert list((tmp_path / "run" / "checkpoints").glob("*.safetensors"))  # the last good checkpoint is kept


def test_unusable_folder_fails_before_any_run_folder_exists(qtbot, tmp_path, tiny_config, session_for):
    session, rec = session_for(TrainingJob.new(tmp_path / "run", tiny_config(kimg=0.032), tmp_path / "missing"))
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        session.start()
    error = rec.of(AppError)[-1]
    assert isinstance(error, FolderError) and "does not exist" in error.what
    assert not (tmp_path / "run" / "run.json").exists()


def _worded_by_core(original: OSError) -> CheckpointError:
    try:
        try:
            raise original
        except OSError:
            raise CheckpointError("could not save checkpoint 0000040 in /runs/x/checkpoints: disk full") from None
    except CheckpointError as e:
        return e


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/runs/x/checkpoints/0000040.json"), DiskFullError, "ran out of space"),
        (_worded_by_core(OSError(errno.ENOSPC, "No space left on device")), DiskFullError, "Could not save"),
        (CheckpointError("/runs/x is busy: another GAN Studio (process 12) is training this run"), RunError, "is busy"),
        (PermissionError(errno.EACCES, "Permission denied", "/runs"), FolderError, "not allowed"),
        (DataError("No images found in /x."), FolderError, "No images found"),
        (TrainingError("losses became NaN 4 times"), RunError, "Losses became NaN"),
        (type("OutOfMemoryError", (RuntimeError,), {})("CUDA out of memory. Tried to allocate 2 GiB"), DeviceError, "GPU failed"),
        (ValueError("boom"), RunError, "unexpected error"),
    ],
)
def test_describe_words_every_failure(exc, kind, words):
    error = describe(exc)
    assert isinstance(error, kind) and words in error.what and error.todo
    assert error.cause is exc  # code acts on the kind of failure, never on the words
