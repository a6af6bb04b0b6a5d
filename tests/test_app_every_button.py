"""Every button and every action, pressed on every page (issue 15): no press may end in an
uncaught exception, a bug-report dialog, or a file written outside the runs folder.

Each QPushButton and QToolButton visible and enabled on a page is clicked with the mouse, and each
QAction of the window (menus and the pages' own shortcuts) is triggered as a menu click triggers
it (with its triggered(bool) argument), on these pages in turn: the start page with a past run, the
train page of a finished run (Advanced open), the train page while training, Explore with a model
open (each tab), and Upscale with a folder of pictures. File pickers, message boxes and the Make a
dataset dialog answer from a script; any dialog the script does not know fails the test.

Left out, and why:
- File > Quit: closes the window the test drives (closing is tested in test_app_window.py).
- The buttons inside message boxes and the Make a dataset dialog: their answers are scripted here
  (the dialog's own buttons are pressed in test_app_first_use.py).
- The job bar's Cancel: only shown while a job runs, and every press here waits for its job to
  end (cancelling is tested in test_app_explore.py and test_app_upscale.py).
- Explore's Add an encoder: hidden, as the model explored here has an encoder (so that Bring in a
  picture, Refine and Edit it are pressed); adding one trains for two minutes, and its press is
  tested with a scripted export in test_app_picture.py.
- Anything that starts training is stopped as soon as the run has begun, so no run trains longer
  than the tiny fixtures; each such control is pressed once, on the first page where it is enabled
  (Try the demo is enabled on every page and would build the demo each time).
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog, QPushButton, QToolButton, QWidget

from ganstudio.app.explore.dataset_dialog import DatasetDialog

TIMEOUT_MS = 60_000
SKIPPED_ACTIONS = {"&Quit"}

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


class Presser:
    """Presses controls one at a time and waits, after each, for what it set going to end."""

    def __init__(self, qtbot, window, runs: Path) -> None:  # noqa: ANN001
        self.qtbot, self.window, self.runs = qtbot, window, runs
        self.pressed: list[str] = []
        self.uncaught: list[str] = []
        self.current = ""
        self.started_training: set[int] = set()  # controls that started a run: pressed once only

    def excepthook(self, kind, value, tb) -> None:  # noqa: ANN001
        self.uncaught.append(f"after pressing {self.current!r}:\n" + "".join(traceback.format_exception(kind, value, tb)))

    # ---- what is there to press ---------------------------------------------------------------

    @staticmethod
    def label(control: QAction | QAbstractButton) -> str:
        return (control.text() or control.toolTip().split("\n")[0]).replace("&", "")

    def buttons(self, page: QWidget) -> list[QAbstractButton]:
        found = [b for b in page.findChildren(QAbstractButton) if isinstance(b, (QPushButton, QToolButton))]
        return [b for b in found if b.text() or b.toolTip()]  # not a tab bar's unnamed scroll arrows

    def actions(self) -> list[QAction]:
        found = self.window.findChildren(QAction)
        return [a for a in found if a.text() and not a.isSeparator() and a.menu() is None
                and not a.objectName().startswith("_q_") and a.text() not in SKIPPED_ACTIONS]

    # ---- pressing -----------------------------------------------------------------------------

    def sweep(self, page: QWidget, restore=lambda: None) -> None:  # noqa: ANN001
        """Press every enabled button on `page`, then trigger every enabled action, coming back to
        `page` (and `restore()`-ing its view) after each."""
        for control in [*self.buttons(page), *self.actions()]:
            self.window.pages.setCurrentWidget(page)
            restore()
            if not shiboken6.isValid(control) or id(control) in self.started_training or not control.isEnabled():
                continue
            if isinstance(control, QAbstractButton) and not control.isVisible():
                continue
            self.press(control)

    def press(self, control: QAction | QAbstractButton) -> None:
        self.current = f"{self.label(control)} ({type(control).__name__}) on {type(self.window.pages.currentWidget()).__name__}"
        self.pressed.append(self.current)
        if isinstance(control, QAction):
            control.trigger()
        else:
            self.qtbot.mouseClick(control, Qt.MouseButton.LeftButton)
        if self.settle():
            self.started_training.add(id(control))

    def settle(self) -> bool:
        """Wait for what the press set going; a run that began is stopped at once. True if one did."""
        w, qtbot = self.window, self.qtbot
        page = w.train_page
        QApplication.processEvents()
        qtbot.waitUntil(lambda: w._demo_task is None, timeout=TIMEOUT_MS)  # the demo gets ready, then starts
        trained = page.session is not None
        if trained:
            qtbot.waitUntil(lambda: page.session is None or page.state in ("running", "paused"), timeout=TIMEOUT_MS)
            page.stop()
            qtbot.waitUntil(lambda: page.session is None, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: w._export_task is None and not w.explore_page.jobs.busy() and not w.upscale_page.jobs.busy(),
                        timeout=TIMEOUT_MS)
        if w.isFullScreen():
            w.showNormal()
        qtbot.wait(10)
        return trained


@pytest.fixture
def answers(monkeypatch, tmp_path, exported_model, with_encoder):  # noqa: ANN201
    """Scripted answers to every file picker, by its caption; a new caption fails the test."""
    runs, images = tmp_path / "runs", tmp_path / "images"
    chosen = runs / "chosen"  # what the user picks to save into: inside the runs folder, so the file check can tell
    saved_png = chosen / "image.png"
    folders = {
        "Choose a folder of pictures": images, "A folder of images to upscale": images,
        "Open a run folder": runs / "finished", "Save runs in": runs, "Save the run in": runs,
        "Save the upscaled images into": chosen / "upscaled", "Save all favourites into": chosen / "favourites",
        "Write the images into": chosen / "made",
    }
    files = {
        "Explore a model": with_encoder[0].path, "Open an ONNX upscaler": exported_model,  # a generator: says it is not an upscaler
        "Bring a picture into the model": images / "img_000.png",  # the image_folder fixture's
        "Reopen a saved image": saved_png, "Save image": saved_png,
        "Save the timeline": chosen / "timeline.gif", "Export the animation": chosen / "walk.gif",
    }

    def answer(table: dict[str, Path], caption: str) -> Path:
        assert caption in table, f"a file picker the test does not know: {caption!r}"
        return table[caption]

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, caption, *a, **k: str(answer(folders, caption)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda parent, caption, *a, **k: (str(answer(files, caption)), ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, caption, *a, **k: (str(answer(files, caption)), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        lambda parent, caption, *a, **k: ([str(p) for p in sorted(images.glob("*.png"))[:2]], ""))

    def make_a_dataset(dialog: DatasetDialog) -> int:
        dialog.count_box.setValue(3)
        dialog.folder_edit.setText(str(chosen / "made"))
        return DatasetDialog.DialogCode.Accepted

    monkeypatch.setattr(DatasetDialog, "exec", make_a_dataset)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


IN_PROCESS = "GANSTUDIO_SWEEP_IN_PROCESS"


@pytest.mark.slow
def test_every_button_and_action_on_every_page(tmp_path):
    """The sweep below in a process of its own, so that a crash fails this test instead of ending the suite."""
    env = {**os.environ, IN_PROCESS: "1", "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    test = f"{Path(__file__).resolve()}::test_every_button_and_action_on_every_page_in_this_process"
    done = subprocess.run([sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t")],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


@pytest.mark.skipif(os.environ.get(IN_PROCESS) != "1", reason="run by test_every_button_and_action_on_every_page")
@pytest.mark.qt_no_exception_capture
def test_every_button_and_action_on_every_page_in_this_process(qtbot, make_window, dialogs, answers, image_folder, tiny_config, with_encoder,
                                               tmp_path, monkeypatch):
    from ganstudio.app.worker import TrainingJob

    home, cwd = tmp_path / "home", tmp_path / "launched-from"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    window = make_window()
    runs = window.settings.runs_dir
    presser = Presser(qtbot, window, runs)
    monkeypatch.setattr(sys, "excepthook", presser.excepthook)
    before = files_under(tmp_path)

    # A finished tiny run: Past runs lists it, Open run folder opens it.
    page = window.train_page
    window.show_train()
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.start_job(TrainingJob.new(runs / "finished", tiny_config(kimg=0.032), image_folder))
    window.show_start()
    presser.sweep(window.start_page)

    window.open_run(runs / "finished")
    page.options.show_advanced(True)
    presser.sweep(page)

    # While training: the controls that only work then.
    window.show_train()
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.start_job(TrainingJob.new(runs / "running", tiny_config(kimg=2.0), image_folder))
        qtbot.waitUntil(lambda: page.state == "running" and len(page.timeline.steps) >= 1, timeout=TIMEOUT_MS)
        for control in (page.pause_button, page.pause_button, window.pause_action, window.pause_action,
                        page.snapshot_button, window.snapshot_action, page.back_button, page.stop_button):
            window.show_train()
            qtbot.waitUntil(control.isEnabled, timeout=TIMEOUT_MS)
            presser.current = presser.label(control)
            presser.pressed.append(presser.current)
            control.trigger() if isinstance(control, QAction) else qtbot.mouseClick(control, Qt.MouseButton.LeftButton)
            qtbot.wait(50)
    assert page.session is None and page.has_checkpoint

    explore = window.explore_page
    with qtbot.waitSignal(explore.model_opened, timeout=TIMEOUT_MS):
        window.explore_model(with_encoder[0].path)
    qtbot.waitUntil(lambda: explore.shown is not None and explore.grid.is_complete(), timeout=TIMEOUT_MS)
    qtbot.mouseClick(explore.keep_button, Qt.MouseButton.LeftButton)  # a favourite, so the strip's buttons are enabled
    for tab in range(explore.tabs.count()):
        presser.sweep(explore, restore=lambda tab=tab: explore.tabs.setCurrentIndex(tab))

    window.show_upscale()
    with qtbot.waitSignal(window.upscale_page.preview_ready, timeout=TIMEOUT_MS):
        window.upscale_page.add_paths([image_folder])
    presser.sweep(window.upscale_page)

    assert presser.uncaught == [], "\n".join(presser.uncaught)
    bugs = [(text, details) for (_icon, text, _info), details in zip(dialogs.shown, dialogs.details) if "Traceback" in details]
    assert bugs == [], bugs
    outside = sorted(str(p.relative_to(tmp_path)) for p in files_under(tmp_path) - before if runs not in p.parents)
    assert outside == []
    assert not list(home.iterdir()) and not list(cwd.iterdir())
    assert len(presser.pressed) > 100, presser.pressed  # the sweep found the controls
    assert (runs / "chosen" / "made").is_dir() and (runs / "chosen" / "upscaled").is_dir()  # scripted answers were used
