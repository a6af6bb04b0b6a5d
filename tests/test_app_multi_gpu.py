"""Training on all GPUs from the app: the option appears only with several GPUs, and the run goes
to `ganstudio train --nproc N` in a child process that the page follows through the run folder.
Exercised here with 2 CPU processes (gloo), the same path as 2 GPUs (nccl) apart from the device."""

from __future__ import annotations

import pytest

from ganstudio.app.options_panel import OptionsPanel
from ganstudio.app.process_session import ProcessTrainingSession
from ganstudio.app.worker import TrainingJob
from ganstudio.core.training import events as ev
from ganstudio.core.training.checkpoint import list_checkpoints

TIMEOUT_MS = 120_000

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


def test_all_gpus_is_offered_only_with_several(qtbot):
    panel = OptionsPanel()
    qtbot.addWidget(panel)
    devices = lambda: [panel.device.itemData(i) for i in range(panel.device.count())]  # noqa: E731
    assert "gpus" not in devices()
    panel.set_context(64, "cuda", 0, gpu_count=4)
    assert "gpus" in devices() and panel.device.itemText(panel.device.findData("gpus")) == "All 4 GPUs"
    panel.set_context(64, "cuda", 0, gpu_count=1)
    assert "gpus" not in devices()


@pytest.mark.slow
def test_a_run_on_two_processes_shows_like_any_other(qtbot, make_window, image_folder, tiny_config, settings):
    window = make_window()
    page = window.train_page
    run = settings.runs_dir / "two"
    events: dict[type, list] = {ev.Progress: [], ev.Snapshot: [], ev.CheckpointSaved: [], ev.Started: []}
    session = page.start_job(TrainingJob.new(run, tiny_config(kimg=0.128, device="cpu"), image_folder, nproc=2))
    assert isinstance(session, ProcessTrainingSession)
    assert not page.pause_button.isEnabled() and page.stop_button.isEnabled()  # a child process is not paused
    session.event.connect(lambda event: events.setdefault(type(event), []).append(event))
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
        pass
    finished = ended.args[0]
    assert finished.reason == "completed" and finished.step == 16, session.process.output
    assert events[ev.Started] and events[ev.Progress] and events[ev.Snapshot] and events[ev.CheckpointSaved]
    assert [p.step for p in events[ev.Progress]] == sorted({p.step for p in events[ev.Progress]})
    assert events[ev.Progress][-1].kimg == pytest.approx(0.128)
    assert page.state == "idle" and page.grid.image() is not None and len(page.timeline.steps) >= 2
    assert list_checkpoints(run / "checkpoints")[-1] == 16


@pytest.mark.slow
def test_stop_saves_and_ends_every_process(qtbot, make_window, image_folder, tiny_config, settings, wait_event):
    window = make_window()
    page = window.train_page
    run = settings.runs_dir / "stopped"
    session = page.start_job(TrainingJob.new(run, tiny_config(kimg=100.0, device="cpu"), image_folder, nproc=2))
    with wait_event(session, ev.Progress) as first:
        pass
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
        page.stop_button.click()
    finished = ended.args[0]
    assert finished.reason == "stopped", session.process.output
    assert list_checkpoints(run / "checkpoints")[-1] >= first.args[0].step  # saved at the stop
    assert not session.is_running()
