"""The app under abuse: two windows on one run, start/pause/resume/stop clicked quickly many times,
closing while an export runs. No crash, no thread left behind, nothing half-written."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from ganstudio.app import tasks
from ganstudio.app.worker import TrainingJob
from ganstudio.core.training import events as ev
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
from ganstudio.core.training.lock import RunLock

TIMEOUT_MS = 60_000
STRESS_CYCLES = 50

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


def os_threads() -> int:
    """Threads of this process as the OS sees them (QThreads and native pools included)."""
    return len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else threading.active_count()


def train_to_a_checkpoint(qtbot, window, run: Path, config, data: Path) -> None:
    with qtbot.waitSignal(window.train_page.training_ended, timeout=TIMEOUT_MS):
        window.train_page.start_job(TrainingJob.new(run, config, data))
    assert list_checkpoints(run / "checkpoints")


@pytest.mark.slow
def test_a_second_window_on_a_training_run_is_told_it_is_busy(qtbot, make_window, dialogs, image_folder, tiny_config, settings, wait_event):
    first, second = make_window(), make_window()
    run = settings.runs_dir / "shared"
    session = first.train_page.start_job(TrainingJob.new(run, tiny_config(kimg=100.0), image_folder))
    with wait_event(session, ev.Progress):
        pass
    checkpoints_before = {p.name: p.stat().st_mtime_ns for p in (run / "checkpoints").glob("*")}

    with qtbot.waitSignal(second.train_page.training_ended, timeout=TIMEOUT_MS):
        second.resume_run(run)
    (what, todo), = dialogs.errors()
    assert "is busy" in what and "is training this run" in what and str(run) in what
    assert "Stop that one first" in what
    assert second.train_page.state == "idle" and second.train_page.start_button.isEnabled()
    # The second window wrote nothing: the first one's checkpoints are as they were, and it goes on.
    for name, mtime in checkpoints_before.items():
        assert (run / "checkpoints" / name).stat().st_mtime_ns == mtime
    assert first.train_page.state == "running"
    with wait_event(session, ev.Progress):
        pass

    with qtbot.waitSignal(first.train_page.training_ended, timeout=TIMEOUT_MS):
        first.train_page.stop()
    # Free again: the second window resumes it.
    with qtbot.waitSignal(second.train_page.training_started):
        second.train_page.start()
    resumed = second.train_page.session
    with wait_event(resumed, ev.Started) as started:
        pass
    assert started.args[0].resumed_from_kimg > 0
    with qtbot.waitSignal(second.train_page.training_ended, timeout=TIMEOUT_MS):
        second.train_page.stop()
    assert len(dialogs.errors()) == 1


@pytest.mark.slow
def test_start_pause_resume_stop_clicked_quickly_fifty_times(qtbot, make_window, dialogs, image_folder, tiny_config, settings):
    """Each cycle clicks Start (a new run, then resume), Pause/Resume 0-3 times and Stop, 0-300 ms
    apart, so stops land while torch loads, while the run opens, mid-step and while paused."""
    window = make_window()
    page = window.train_page
    run = settings.runs_dir / "stress"
    rng = random.Random(0)
    baseline = os_threads()
    stopped_while: set[str] = set()
    for cycle in range(STRESS_CYCLES):
        with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
            if page.state == "setup":
                page.start_job(TrainingJob.new(run, tiny_config(kimg=100.0), image_folder))
            else:
                assert page.state == "idle", f"cycle {cycle}: {page.state}"
                page.start_button.click()
            for _ in range(rng.randint(0, 3)):
                qtbot.wait(rng.choice((0, 5, 20, 50, 100, 300)))
                page.pause_button.click()
            qtbot.wait(rng.choice((0, 5, 20, 50, 100, 300)))
            stopped_while.add(page.state)
            page.stop_button.click()
            assert page.state == "stopping"
        finished = ended.args[0]
        assert finished is not None and finished.reason == "stopped", f"cycle {cycle}: {finished}"
        assert page.session is None and page.state in ("idle", "setup")
    assert stopped_while == {"starting", "running", "paused"}
    assert not dialogs.errors()
    # No thread left behind: every training thread and background task has ended (threads that
    # are winding down get a few seconds; a leaked one never goes).
    qtbot.waitUntil(lambda: not tasks._alive and os_threads() <= baseline, timeout=10_000)
    # The run is whole and went forward: its newest checkpoint loads, the folder is not locked.
    steps = list_checkpoints(run / "checkpoints")
    assert steps and steps[-1] > 0
    load_checkpoint(run / "checkpoints", steps[-1])
    with RunLock(run):
        pass


@pytest.fixture
def trained_window(qtbot, make_window, image_folder, tiny_config, settings):
    window = make_window()
    run = settings.runs_dir / "export-me"
    train_to_a_checkpoint(qtbot, window, run, tiny_config(kimg=0.032), image_folder)
    return window, run


@pytest.mark.slow
def test_closing_while_exporting_cancels_the_export_and_writes_nothing(qtbot, trained_window, dialogs):
    window, run = trained_window
    window.export_action.trigger()
    task = window._export_task
    assert task is not None
    with qtbot.waitSignal(task.progressed, timeout=TIMEOUT_MS):  # the child is exporting
        pass
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible() and window._export_task is None, timeout=2 * TIMEOUT_MS)
    (icon, text, info), = dialogs.shown  # the question only: no error, no "exported" message
    assert text == "Cancel the export and close GAN Studio?"
    assert task.cancelled and task.process.state() == task.process.ProcessState.NotRunning
    assert not any((run / "export").glob("*"))  # not even a temporary file


@pytest.mark.slow
def test_keep_exporting_leaves_the_window_open_and_the_export_finishes(qtbot, trained_window, dialogs):
    from PySide6.QtWidgets import QMessageBox

    window, run = trained_window
    dialogs.answer = QMessageBox.StandardButton.Cancel  # "Keep exporting"
    window.export_action.trigger()
    task = window._export_task
    with qtbot.waitSignal(task.succeeded, timeout=TIMEOUT_MS):
        window.close()
        assert window.isVisible()
    assert window.last_export.path.is_file() and window.last_export.path.parent == run / "export"
    qtbot.waitUntil(lambda: window._export_task is None, timeout=TIMEOUT_MS)
    window.close()  # nothing running now: closes at once
    assert not window.isVisible()
