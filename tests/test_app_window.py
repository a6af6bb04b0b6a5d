"""The main window end to end, offscreen: scan a folder, train, watch, pause, stop, close while
training, reopen and resume, past runs, errors in dialogs, settings that persist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from ganstudio.app.main_window import MainWindow
from ganstudio.app.worker import TrainingJob
from ganstudio.core.training import events as ev

TIMEOUT_MS = 60_000


pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


def train_tiny(qtbot, window: MainWindow, run_dir: Path, config, data: Path | None) -> None:
    with qtbot.waitSignal(window.train_page.training_ended, timeout=TIMEOUT_MS):
        window.train_page.start_job(TrainingJob.new(run_dir, config, data))


@pytest.mark.slow
def test_first_window_opens_without_torch(tmp_path):
    code = (
        "import sys, os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from ganstudio.app import create_application\n"
        "from ganstudio.app.main_window import MainWindow\n"
        "app = create_application([])\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "assert w.isVisible()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_scanning_a_folder_shows_found_and_skipped_files(qtbot, make_window, image_folder):
    (image_folder / "empty.png").write_bytes(b"")
    (image_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    window = make_window()
    page = window.start_page
    with qtbot.waitSignal(page.scan(image_folder).succeeded, timeout=TIMEOUT_MS):
        pass
    assert page.summary.count == 24
    assert page.thumbs.count() == 24
    skipped = [page.skipped.item(i).text() for i in range(page.skipped.count())]
    assert any("empty.png: zero bytes" in s for s in skipped)
    assert any(s.startswith("broken.jpg:") for s in skipped)
    assert "24 pictures" in page.scan_status.text() and "2 skipped" in page.scan_status.text()
    assert "Suggested" in page.suggestion.text() and "32 px" in page.suggestion.text()
    assert page.continue_button.isVisible()

    page.continue_button.click()
    assert window.pages.currentWidget() is window.train_page
    assert window.train_page.state == "setup" and window.train_page.start_button.isEnabled()
    assert window.train_page.options.chosen_run_dir() == window.settings.runs_dir / "images"


@pytest.mark.parametrize("make_bad", [lambda tmp: tmp / "missing", lambda tmp: (tmp / "empty").mkdir() or tmp / "empty"])
def test_an_unusable_folder_shows_what_happened_and_what_to_do(qtbot, make_window, dialogs, tmp_path, make_bad):
    window = make_window()
    with qtbot.waitSignal(window.start_page.scan_failed, timeout=TIMEOUT_MS):
        window.start_page.scan(make_bad(tmp_path))
    (what, todo), = dialogs.errors()
    assert ("does not exist" in what) or ("No images found" in what)
    assert "Choose a folder" in todo
    assert window.start_page.choose_button.isEnabled()


@pytest.mark.slow
def test_training_fills_grid_timeline_charts_and_progress(qtbot, make_window, image_folder, tiny_config):
    window = make_window()
    page = window.train_page
    run = window.settings.runs_dir / "tiny"
    with qtbot.waitSignal(page.timeline.frame_selected, timeout=TIMEOUT_MS):
        page.start_job(TrainingJob.new(run, tiny_config(kimg=0.096), image_folder))
    assert page.grid.has_image()
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        pass

    assert page.state == "idle" and page.start_button.text() == "Train longer"  # it completed: more, not "resume"
    assert len(page.timeline.steps) >= 3 and page.timeline.following_live
    assert page.charts.losses.point_count() > 0 and page.charts.quality.point_count() > 0
    assert "Finished" in page.progress.bar.format()
    assert page.export_button.isEnabled() and page.save_timeline_button.isEnabled()
    assert window.settings.interrupted_run is None  # it ended on its own: nothing to offer
    assert page.grid.image().width() == 128


def test_pause_resume_and_stop_from_the_page(qtbot, make_window, image_folder, tiny_config, wait_event):
    window = make_window()
    page = window.train_page
    session = page.start_job(TrainingJob.new(window.settings.runs_dir / "r", tiny_config(), image_folder))
    with wait_event(session, ev.Progress):
        pass
    page.pause_button.click()
    assert page.state == "paused" and session.paused and page.pause_button.text() == "Resume"
    assert window.pause_action.isEnabled() and not window.start_action.isEnabled()  # the menu follows the buttons
    page.pause_button.click()
    assert page.state == "running" and not session.paused
    with wait_event(session, ev.Progress):
        pass
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
        page.stop_button.click()
        assert page.state == "stopping" and not page.start_button.isEnabled()
    finished = ended.args[0]
    assert finished.reason == "stopped"
    assert (window.settings.runs_dir / "r" / "checkpoints" / f"{finished.step:07d}.safetensors").is_file()


@pytest.mark.slow
def test_closing_while_training_saves_joins_and_offers_to_resume(qtbot, make_window, dialogs, image_folder, tiny_config, settings, wait_event):
    window = make_window()
    page = window.train_page
    run = settings.runs_dir / "closing"
    session = page.start_job(TrainingJob.new(run, tiny_config(), image_folder))
    with wait_event(session, ev.Progress):
        pass

    dialogs.answer = QMessageBox.StandardButton.Cancel  # "Keep training"
    window.close()
    assert window.isVisible() and page.state == "running"

    dialogs.answer = QMessageBox.StandardButton.Yes  # "Save and close"
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT_MS):
        window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT_MS)
    assert not session.thread.isRunning()
    assert session.last_event.reason == "stopped"
    assert (run / "checkpoints" / f"{session.last_event.step:07d}.safetensors").is_file()
    assert settings.interrupted_run == run

    reopened = make_window()
    start = reopened.start_page
    assert start.banner.isVisible() and "closing" in start.banner_text.text()
    with qtbot.waitSignal(reopened.train_page.training_started):
        start.banner_resume.click()
    resumed = reopened.train_page.session
    with wait_event(resumed, ev.Started) as started:
        pass
    assert started.args[0].resumed_from_kimg > 0
    with qtbot.waitSignal(reopened.train_page.training_ended, timeout=TIMEOUT_MS):
        reopened.train_page.stop()
    assert settings.interrupted_run is None


@pytest.mark.slow
def test_past_runs_open_and_resume(qtbot, make_window, image_folder, tiny_config, settings):
    window = make_window()
    run = settings.runs_dir / "earlier"
    train_tiny(qtbot, window, run, tiny_config(kimg=0.064), image_folder)
    window.show_start()
    row = window.start_page.past_runs.rows[run]
    assert "completed" in row.run.status_text() and row.resume_button.isEnabled()
    assert row.resume_button.text() == "Train longer"  # a finished run is not waiting to be resumed

    row.open_button.click()
    page = window.train_page
    assert page.state == "idle" and page.run_dir == run
    assert page.charts.losses.point_count() > 0 and len(page.timeline.steps) >= 2
    assert page.options.length_unit.currentData() == "minutes"  # completed: train for more time

    page.options.length_unit.setCurrentIndex(page.options.length_unit.findData("kimg"))
    page.options.length.setValue(0.096)
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
        page.start_button.click()
    assert ended.args[0].reason == "completed" and ended.args[0].kimg >= 0.096


@pytest.mark.slow
def test_a_run_made_with_the_cli_appears_in_past_runs(qtbot, make_window, tmp_path, image_folder, tiny_config, settings):
    """The CLI writes to ./runs (or --out), not the app's runs folder; Past runs used to miss it."""
    import json

    from ganstudio.cli import main

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(tiny_config().to_dict()))
    run = tmp_path / "terminal" / "runs" / "icons"
    assert main(["train", str(image_folder), "--out", str(run), "--config", str(config), "--kimg", "0.016", "--no-export"]) == 0
    window = make_window()
    assert run.parent != settings.runs_dir
    row = window.start_page.past_runs.rows[run]
    assert row.isVisibleTo(window.start_page) and not window.start_page.no_runs.isVisibleTo(window.start_page)
    qtbot.mouseClick(row.open_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.train_page and window.train_page.run_dir == run

    # One list of runs: a run only opened (from a copy here) and one an earlier version kept in the
    # app's settings are listed beside those trained, and the settings' own list is gone.
    import shutil

    opened, legacy = tmp_path / "usb" / "icons-copy", tmp_path / "old" / "icons-old"
    shutil.copytree(run, opened)
    shutil.copytree(run, legacy)
    assert window.open_run(opened)
    settings._set_json("recent_runs", [str(legacy)])
    again = make_window()
    assert {run, opened, legacy} <= set(again.start_page.past_runs.rows)
    assert not settings.store.contains("recent_runs")


@pytest.mark.slow
def test_train_longer_from_past_runs_asks_how_long_before_training(qtbot, make_window, image_folder, tiny_config, settings):
    """It used to start 30 more minutes at once; a run stopped short of its kimg goes on to it."""
    window = make_window()
    run = settings.runs_dir / "finished"
    train_tiny(qtbot, window, run, tiny_config(kimg=0.064), image_folder)
    window.show_start()
    qtbot.mouseClick(window.start_page.past_runs.rows[run].resume_button, Qt.MouseButton.LeftButton)
    page = window.train_page
    qtbot.wait(200)
    assert window.pages.currentWidget() is page and page.run_dir == run
    assert page.state == "idle"  # nothing trains until the user says how long
    assert QApplication.focusWidget() is page.options.length
    assert "How long" in window.statusBar().currentMessage() and "Train longer" in window.statusBar().currentMessage()
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
        page.options.length_unit.setCurrentIndex(page.options.length_unit.findData("kimg"))
        page.options.length.setValue(0.096)
        qtbot.keyClick(page.options.length, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert ended.args[0].reason == "completed" and ended.args[0].kimg >= 0.096


@pytest.mark.slow
def test_timeline_scrubs_back_and_saves_gif_and_mp4(qtbot, make_window, image_folder, tiny_config, tmp_path):
    window = make_window()
    page = window.train_page
    train_tiny(qtbot, window, window.settings.runs_dir / "t", tiny_config(kimg=0.096), image_folder)
    timeline = page.timeline
    last = page.grid.image()
    timeline.slider.setValue(0)
    assert not timeline.following_live and not timeline.live_button.isChecked()
    assert page.grid.image() != last
    assert "1 of" in timeline.label.text()
    timeline.go_live()
    assert timeline.following_live and page.grid.image() == last

    for name in ("t.gif", "t.mp4"):
        task = page.save_timeline(tmp_path / name)
        with qtbot.waitSignal(task.succeeded, timeout=TIMEOUT_MS) as saved:
            pass
        assert saved.args[0].stat().st_size > 0
    from PIL import Image

    with Image.open(tmp_path / "t.gif") as gif:
        assert gif.n_frames == len(timeline.steps) and gif.size[0] >= 512


@pytest.mark.slow
def test_health_warnings_appear_in_plain_words(qtbot, make_window, image_folder, tiny_config, monkeypatch, wait_event):
    from ganstudio.core.training.health import HealthIssue, HealthMonitor

    issue = HealthIssue("d_overpowering", "the discriminator tells real from fake almost perfectly", "more augmentation")
    monkeypatch.setattr(HealthMonitor, "check_progress", lambda self, kimg, r, f: [issue])
    window = make_window()
    page = window.train_page
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        session = page.start_job(TrainingJob.new(window.settings.runs_dir / "w", tiny_config(kimg=0.032), image_folder))
        with wait_event(session, ev.TrainingWarning):
            pass
    card = page.warnings.cards[0]
    texts = [label.text() for label in card.findChildren(QLabel)]
    assert any("The discriminator is winning too easily" in t for t in texts)
    assert any("What to do:" in t and "More augmentation." in t for t in texts)
    assert page.health_title.text().startswith("Health (")


@pytest.mark.slow
def test_start_button_builds_the_config_from_the_preset(qtbot, make_window, image_folder, wait_event):
    window = make_window()
    with qtbot.waitSignal(window.start_page.scan(image_folder).succeeded, timeout=TIMEOUT_MS):
        pass
    window.start_page.continue_button.click()
    page = window.train_page
    page.options.preset_buttons["quick"].click()
    with qtbot.waitSignal(page.training_started, timeout=TIMEOUT_MS):
        page.start_button.click()
    session = page.session
    assert session.job.config.model.resolution == 32 and session.job.config.minutes == 5
    with wait_event(session, ev.Started):
        pass
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.stop()
    assert window.settings.choices.preset == "quick"  # remembered for next time


@pytest.mark.slow
def test_export_button_writes_a_checked_onnx_model(qtbot, make_window, dialogs, image_folder, tiny_config):
    window = make_window()
    run = window.settings.runs_dir / "e"
    train_tiny(qtbot, window, run, tiny_config(kimg=0.032), image_folder)
    page = window.train_page
    with qtbot.waitSignal(window.statusBar().messageChanged, timeout=TIMEOUT_MS, check_params_cb=lambda m: m.startswith("Exported")):
        qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        # While it works: a busy bar in the window, and Export cannot be pressed twice.
        assert window.export_progress.isVisibleTo(window)
        assert not page.export_button.isEnabled() and page.export_button.text() == "Exporting…"
        assert not window.export_action.isEnabled()
    (icon, text, info), = dialogs.shown
    assert not window.export_progress.isVisibleTo(window)
    qtbot.waitUntil(lambda: page.export_button.isEnabled() and window.export_action.isEnabled())
    assert page.export_button.text() == "Export to ONNX…"
    assert icon == QMessageBox.Icon.Information and text.startswith("Exported") and "onnxruntime matches" in info
    assert window.last_export.path.is_file() and window.last_export.path.parent == run / "export"


@pytest.mark.slow
def test_exporting_a_run_with_a_damaged_checkpoint_says_why_and_writes_nothing(qtbot, make_window, dialogs, image_folder, tiny_config):
    """The export runs in a child process: its own words for what went wrong reach the dialog,
    with no traceback, and the window is free again."""
    window = make_window()
    run = window.settings.runs_dir / "damaged"
    train_tiny(qtbot, window, run, tiny_config(kimg=0.032), image_folder)
    for weights in (run / "checkpoints").glob("*.safetensors"):
        weights.write_bytes(b"not a safetensors file")
    stages = []
    window.export_action.trigger()
    window._export_task.progressed.connect(stages.append)
    qtbot.waitUntil(lambda: window._export_task is None, timeout=TIMEOUT_MS)
    (icon, text, info), = dialogs.shown
    assert icon == QMessageBox.Icon.Critical and "checkpoint" in text.lower() and "Traceback" not in text + info
    assert stages  # the child's stages reached the status bar before it failed
    assert not (run / "export").exists() or not any((run / "export").iterdir())
    assert window.export_action.isEnabled() and not window.export_progress.isVisibleTo(window)


@pytest.mark.slow
def test_window_geometry_theme_and_choices_persist(qtbot, make_window, settings):
    window = make_window()
    window.resize(window.width(), 650)  # the offscreen screen is 800 px wide: only heights fit freely
    window.set_theme("dark")
    window.train_page.options.set_choices(window.settings.choices.with_preset("best"))
    settings.choices = window.train_page.options.choices()
    window.close()

    again = make_window()
    assert again.height() == 650 and settings.geometry("main") is not None
    assert again.theme_actions["dark"].isChecked() and settings.theme == "dark"
    assert settings.choices.preset == "best" and settings.choices.length == 120
    again.set_theme("light")


def test_dropping_a_folder_scans_it(qtbot, make_window, image_folder):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window()
    card = window.start_page.drop_hint.parentWidget()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image_folder / "img_000.png"))])  # a file: its folder is meant
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(card.folder_dropped) as dropped:
        card.dropEvent(event)
    assert dropped.args[0] == image_folder
    qtbot.waitUntil(lambda: window.start_page.summary is not None, timeout=TIMEOUT_MS)
    assert window.start_page.summary.root == image_folder


@pytest.mark.slow
def test_try_the_demo_starts_training_on_built_in_shapes(qtbot, make_window):
    window = make_window()
    with qtbot.waitSignal(window.train_page.training_started, timeout=TIMEOUT_MS) as started:
        window.start_page.demo_button.click()
    page = window.train_page
    assert window.pages.currentWidget() is page and page.data is None
    assert started.args[0] == window.settings.runs_dir / "demo"
    assert page.session.job.config.model.resolution in (32, 64) and page.session.job.config.minutes == 5
    config = page.session.job.config
    assert config.model.g_blur and config.r1_gamma == 0.1 and not config.kid  # the demo's recipe
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.stop()


def test_every_setting_has_a_tooltip_and_every_command_a_shortcut(make_window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QSlider

    window = make_window()
    page = window.train_page
    for kind in (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QSlider):
        for widget in page.findChildren(kind) + window.start_page.findChildren(kind):
            if widget.isVisibleTo(window) or widget.parentWidget() is page.options.advanced:
                assert widget.toolTip(), f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} has no tooltip"
    for action in (window.start_action, window.pause_action, window.stop_action, window.snapshot_action,
                   window.export_action, window.save_timeline_action):
        assert action.shortcuts(), action.text()


def test_a_run_that_cannot_begin_shows_the_error_and_keeps_the_settings(qtbot, make_window, dialogs, tmp_path, tiny_config):
    window = make_window()
    page = window.train_page
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.start_job(TrainingJob.new(window.settings.runs_dir / "gone", tiny_config(kimg=0.032), tmp_path / "deleted-since"))
    (what, todo), = dialogs.errors()
    assert "does not exist" in what and "Choose a folder" in todo
    assert page.state == "setup" and page.start_button.isEnabled() and page.options.batch.isEnabled()
    assert not (window.settings.runs_dir / "gone" / "run.json").exists()


def test_menu_items_follow_the_page_and_a_checkpoint_mid_export_does_not_offer_export_again(make_window, tmp_path):
    window = make_window()
    page = window.train_page
    page.run_dir = tmp_path / "run"
    page._set_state("idle")
    assert not window.export_action.isEnabled() and not window.start_action.isEnabled()  # nothing trained yet
    page._on_checkpoint(ev.CheckpointSaved(10, 0.16, tmp_path / "run" / "checkpoints" / "0000010.safetensors"))
    assert page.export_button.isEnabled() and window.export_action.isEnabled() and window.start_action.isEnabled()
    page.set_exporting(True)
    page._on_checkpoint(ev.CheckpointSaved(20, 0.32, tmp_path / "run" / "checkpoints" / "0000020.safetensors"))
    assert not page.export_button.isEnabled() and not window.export_action.isEnabled()  # one export at a time
    page.set_exporting(False)
    assert page.export_button.isEnabled() and window.export_action.isEnabled()
    for button, action in ((page.start_button, window.start_action), (page.pause_button, window.pause_action),
                           (page.stop_button, window.stop_action), (page.snapshot_button, window.snapshot_action),
                           (page.save_timeline_button, window.save_timeline_action)):
        assert button.isEnabled() == action.isEnabled(), action.text()


@pytest.mark.slow
def test_a_new_run_can_start_from_a_past_run(qtbot, make_window, image_folder, tiny_config, settings, wait_event):
    from ganstudio.core.training.run import TrainingRun
    from ganstudio.core.training.runfolder import RunFolder

    parent = settings.runs_dir / "parent"
    TrainingRun.new(parent, tiny_config(kimg=0.032), image_folder).run()
    window = make_window()
    window.refresh_runs()
    with qtbot.waitSignal(window.start_page.scan(image_folder).succeeded, timeout=TIMEOUT_MS):
        pass
    window.start_page.continue_button.click()
    page, options = window.train_page, window.train_page.options
    assert options.resolution.isEnabled() and not options.freeze_d.isEnabled() and options.parent_run() is None
    keys = [options.start_from.itemData(i) for i in range(options.start_from.count())]
    assert keys[0] is None  # from scratch comes first, and is the default
    index = next(i for i, key in enumerate(keys) if key and Path(key).resolve() == parent.resolve())
    options.start_from.setCurrentIndex(index)
    assert options.parent_run().path.resolve() == parent.resolve()
    assert not options.resolution.isEnabled() and not options.model_size.isEnabled() and options.freeze_d.isEnabled()
    assert options.resolution.currentData() == 32 and "parent" in options.start_from_note.text()
    qtbot.waitUntil(lambda: not options.start_from.itemIcon(index).isNull(), timeout=TIMEOUT_MS)  # its latest grid
    options.freeze_d.setValue(1)
    options.length_unit.setCurrentIndex(options.length_unit.findData("kimg"))
    options.length.setValue(0.1)
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS) as ended:
        page.start_button.click()
        assert page.session.job.start_from.resolve() == parent.resolve()
    assert ended.args[0].reason == "completed"
    info = RunFolder(page.run_dir).read()
    assert info["started_from"]["run"] == str(parent.resolve()) and info["config"]["freeze_d"] == 1
    assert info["config"]["model"] == RunFolder(parent).read()["config"]["model"]
    page.open_run(page.run_dir)  # as reopened later: it says where it started
    assert "started from parent" in page.subtitle.text()

    # Back to nothing: the resolution is the user's again, and no D is frozen.
    options.set_mode("new")
    options.start_from.setCurrentIndex(0)
    assert options.resolution.isEnabled() and options.freeze_d_levels() == 0
