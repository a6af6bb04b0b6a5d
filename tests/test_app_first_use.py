"""The app driven as a first-time user drives it (issue 15): real clicks on the real buttons and
real key presses for the shortcuts, never the slot alone, since a slot called directly never
meets the clicked(bool) or triggered(bool) argument that a real click passes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QPushButton, QWidget

from conftest import make_image_folder
from ganstudio.app.explore import ExplorePage
from ganstudio.app.explore.dataset_dialog import DatasetDialog

TIMEOUT_MS = 60_000

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


def click(qtbot, button) -> None:  # noqa: ANN001
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def press(qtbot, widget: QWidget, keys: str) -> None:
    """Press a shortcut such as "Ctrl+Shift+M" with the keyboard focus in `widget`'s window."""
    widget.window().activateWindow()
    qtbot.waitUntil(widget.window().isActiveWindow, timeout=5000)
    widget.setFocus()
    *mods, key = keys.split("+")
    modifiers = Qt.KeyboardModifier.NoModifier
    for m in mods:
        modifiers |= {"Ctrl": Qt.KeyboardModifier.ControlModifier, "Shift": Qt.KeyboardModifier.ShiftModifier,
                      "Alt": Qt.KeyboardModifier.AltModifier}[m]
    qt_key = {"Return": Qt.Key.Key_Return}.get(key) or getattr(Qt.Key, f"Key_{key}")
    qtbot.keyClick(widget, qt_key, modifiers)


def answer_when_open(kind: type, answer) -> None:  # noqa: ANN001
    """When a `kind` dialog opens (modal, so from a timer), `answer(dialog)` fills it in as a user would."""
    tries = [0]

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, kind) and widget.isVisible():
                answer(widget)
                return
        tries[0] += 1
        if tries[0] < 500:
            QTimer.singleShot(10, look)

    QTimer.singleShot(0, look)


# ---- Explore -------------------------------------------------------------------------------------


@pytest.fixture
def explore(qtbot, settings, dialogs):
    pages: list[ExplorePage] = []

    def make(model: Path) -> ExplorePage:
        page = ExplorePage(settings, device="cpu")
        qtbot.addWidget(page)
        page.resize(1200, 800)
        page.show()
        pages.append(page)
        open_model(qtbot, page, model)
        return page

    yield make
    for page in pages:
        page.shutdown()


def open_model(qtbot, page: ExplorePage, model: Path) -> None:
    with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
        page.open_model(model)
    qtbot.waitUntil(lambda: page.shown is not None and page.grid.is_complete(), timeout=TIMEOUT_MS)


def fill_dataset_dialog(qtbot, folder: Path):  # noqa: ANN201
    def answer(dialog: DatasetDialog) -> None:
        dialog.count_box.setValue(3)
        dialog.folder_edit.setText(str(folder))
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    answer_when_open(DatasetDialog, answer)


@pytest.mark.parametrize("how", ["button", "Ctrl+Shift+M"])
def test_make_a_dataset_from_its_button_or_shortcut(qtbot, explore, dialogs, exported_model, tmp_path, how):
    page = explore(exported_model)
    fill_dataset_dialog(qtbot, tmp_path / "made")
    if how == "button":
        click(qtbot, page.dataset_button)
    else:
        press(qtbot, page.grid.list, how)
    qtbot.waitUntil(lambda: len(list((tmp_path / "made").glob("seed*.png"))) == 3 and not page.jobs.busy(), timeout=TIMEOUT_MS)
    assert not dialogs.errors()


def test_export_the_interpolation_with_ctrl_shift_e(qtbot, explore, dialogs, exported_model, tmp_path, monkeypatch):
    page = explore(exported_model)
    page.tabs.setCurrentWidget(page.interpolation)
    click(qtbot, page.interpolation.walk_button)
    qtbot.waitUntil(lambda: page.interpolation.spec is not None)
    page.interpolation.frames_box.setValue(4)
    target = tmp_path / "walk.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "Animated GIF (*.gif)"))
    press(qtbot, page.grid.list, "Ctrl+Shift+E")
    qtbot.waitUntil(lambda: target.is_file() and not page.jobs.busy(), timeout=TIMEOUT_MS)
    assert not dialogs.errors()


@pytest.mark.qt_no_exception_capture
def test_a_bug_behind_a_button_is_not_reported_as_a_training_error(qtbot, dialogs, monkeypatch):
    from ganstudio.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    window = QWidget()
    qtbot.addWidget(window)
    button = QPushButton("Broken", window)
    button.clicked.connect(lambda: None.seeds)  # the kind of slip issue 15 found
    window.show()
    install_excepthook(window)
    click(qtbot, button)
    (what, todo), = dialogs.errors()
    assert "AttributeError" in what and "training" not in what.lower()
    assert "resume" not in todo.lower() and "report it" in todo


# ---- Starting training ---------------------------------------------------------------------------


def test_start_on_a_fresh_launch_trains_nothing_into_the_working_directory(qtbot, make_window, tmp_path, monkeypatch):
    cwd = tmp_path / "launched-from"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    window = make_window()
    press(qtbot, window.start_page.choose_button, "Ctrl+Return")  # Training > Start on the start page
    press(qtbot, window.start_page.choose_button, "Alt+End")  # View > Train page
    page = window.train_page
    assert window.pages.currentWidget() is page
    assert not page.start_button.isEnabled() and not window.start_action.isEnabled()
    assert "start page" in page.state_label.text()
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    press(qtbot, page.start_button, "Ctrl+Return")
    assert page.session is None and not list(cwd.iterdir())


def set_up_training(qtbot, window, folder: Path) -> None:  # noqa: ANN001
    """Choose Folder… on the start page, then Set up training, as a user does."""
    with qtbot.waitSignal(window.start_page.scan(folder).succeeded, timeout=TIMEOUT_MS):
        pass
    click(qtbot, window.start_page.continue_button)


def type_into(qtbot, box, text: str) -> None:  # noqa: ANN001
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Tab)


@pytest.mark.slow
def test_shortening_quick_look_trains_at_the_32_px_it_shows(qtbot, make_window, tmp_path):
    window = make_window()
    set_up_training(qtbot, window, make_image_folder(tmp_path / "big", count=8, size=96))  # allows 64 px
    page = window.train_page
    click(qtbot, page.options.preset_buttons["quick"])
    type_into(qtbot, page.options.length, "2.5")
    assert page.options.choices().preset == "custom" and page.options.length.value() == 2.5
    assert page.options.resolution.currentText() == "Automatic (32 px)" and page.options.estimate.text().startswith("32 px")
    with qtbot.waitSignal(page.training_started, timeout=TIMEOUT_MS):
        click(qtbot, page.start_button)
    config = page.session.job.config
    assert config.model.resolution == 32 and config.minutes == 2.5
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.stop()


def click_seed(qtbot, page: ExplorePage, seed: int) -> None:
    grid = page.grid.list
    item = next(grid.item(r) for r in range(grid.count()) if grid.item(r).data(Qt.ItemDataRole.UserRole) == seed)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualItemRect(item).center())


def highlighted_seed(page: ExplorePage) -> int | None:
    item = page.grid.list.currentItem()
    return item.data(Qt.ItemDataRole.UserRole) if item is not None and item.isSelected() else None


@pytest.mark.parametrize("second", ["exported_model", "exported_conditional_model"])
def test_after_opening_a_second_model_the_enlarged_seed_is_the_highlighted_one(qtbot, explore, request, exported_model, second):
    page = explore(exported_model)
    click_seed(qtbot, page, 5)
    qtbot.waitUntil(lambda: page.shown is not None and page.shown[0].seed == 5, timeout=TIMEOUT_MS)
    open_model(qtbot, page, request.getfixturevalue(second))
    qtbot.wait(300)  # any late render of the old model would land now
    assert highlighted_seed(page) == page.shown[0].seed == page.recipe.seed
    assert f"Seed {page.shown[0].seed}<" in page.caption.text()
    click_seed(qtbot, page, 2)
    qtbot.waitUntil(lambda: page.shown[0].seed == 2, timeout=TIMEOUT_MS)
    assert highlighted_seed(page) == 2


# ---- A folder with nothing usable ----------------------------------------------------------------


def make_unusable_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "empty.png").write_bytes(b"")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.png").write_text("a text file with a picture's name")
    return folder


@pytest.mark.slow
def test_choosing_a_folder_of_only_broken_files_offers_nothing_to_train(qtbot, make_window, tmp_path, monkeypatch):
    folder = make_unusable_folder(tmp_path / "broken")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window = make_window()
    page = window.start_page
    with qtbot.waitSignal(page.new_run, timeout=5000, raising=False) as set_up:
        click(qtbot, page.choose_button)
        qtbot.waitUntil(lambda: page.choose_button.isEnabled(), timeout=TIMEOUT_MS)
    assert "Nothing to train on" in page.scan_status.text() and "Choose another folder" in page.scan_status.text()
    assert not page.continue_button.isVisible() and not page.suggestion.isVisible()
    assert page.skipped.count() == 3 and page.summary is None
    assert not set_up.signal_triggered and window.pages.currentWidget() is page


def test_a_start_that_fails_on_unusable_pictures_leaves_no_run_folder(qtbot, make_window, dialogs, tmp_path, tiny_config):
    from ganstudio.app.worker import TrainingJob

    folder = make_unusable_folder(tmp_path / "broken")
    window = make_window()
    page = window.train_page
    run = window.settings.runs_dir / "broken"
    with qtbot.waitSignal(page.training_ended, timeout=TIMEOUT_MS):
        page.start_job(TrainingJob.new(run, tiny_config(kimg=0.032), folder))
    (what, _todo), = dialogs.errors()
    assert "broken" in what
    assert not run.exists()
    assert page.state_label.text() != "Ready to start" and page.start_button.isEnabled()


# ---- Errors a user can expect --------------------------------------------------------------------


def test_choosing_an_empty_folder_shows_what_to_do_without_a_traceback(qtbot, make_window, dialogs, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "empty"))
    window = make_window()
    with qtbot.waitSignal(window.start_page.scan_failed, timeout=TIMEOUT_MS):
        click(qtbot, window.start_page.choose_button)
    (what, todo), = dialogs.errors()
    assert "No images found" in what and "Choose a folder" in todo
    assert dialogs.details == [""]  # nothing under Show Details: it is not a bug


def test_upscaling_a_folder_with_a_broken_file_saves_the_rest_and_says_so(qtbot, make_window, dialogs, tmp_path, monkeypatch):
    folder = make_image_folder(tmp_path / "pics", count=3, size=24)
    (folder / "z-broken.png").write_bytes(b"\x89PNG not really")
    window = make_window()
    page = window.upscale_page
    window.show_upscale()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        click(qtbot, page.empty_folder)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "out"))
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS):
        click(qtbot, page.save_button)
    assert len(list((tmp_path / "out").glob("*.png"))) == 3
    (what, todo), = dialogs.errors()
    assert dialogs.titles == ["Some images were not upscaled"]
    assert "the other 3 were saved" in what and "z-broken.png" in todo


# ---- The artist's way in -------------------------------------------------------------------------


def test_the_start_page_opens_a_model_in_explore(qtbot, make_window, exported_model, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(exported_model), ""))
    window = make_window()
    try:
        with qtbot.waitSignal(window.explore_page.model_opened, timeout=TIMEOUT_MS):
            click(qtbot, window.start_page.explore_button)
        assert window.pages.currentWidget() is window.explore_page and window.explore_page.model.path == exported_model
    finally:
        window.explore_page.shutdown()


def test_the_start_page_upscales_chosen_pictures(qtbot, make_window, tmp_path, monkeypatch):
    folder = make_image_folder(tmp_path / "pics", count=2, size=24)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(p) for p in sorted(folder.glob("*.png"))], ""))
    window = make_window()
    page = window.upscale_page
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        click(qtbot, window.start_page.upscale_button)
    assert window.pages.currentWidget() is page and page.list.count() == 2


def test_kept_favourites_come_back_when_the_model_is_opened_again_even_tomorrow(qtbot, make_window, dialogs, exported_model,
                                                                                 settings, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(exported_model), ""))
    window = make_window()
    page = window.explore_page
    with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
        click(qtbot, window.start_page.explore_button)
    qtbot.waitUntil(lambda: page.shown is not None, timeout=TIMEOUT_MS)
    click(qtbot, page.keep_button)
    kept = page.favourites.items[0]

    with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
        click(qtbot, page.open_button)  # the same model again: nothing to ask, nothing lost
    qtbot.waitUntil(lambda: len(page.favourites.items) == 1, timeout=TIMEOUT_MS)
    assert page.favourites.items[0].recipe == kept.recipe
    assert (page.favourites.items[0].image == kept.image).all()
    window.close()
    assert not window.isVisible() and dialogs.shown == []

    tomorrow = make_window()  # a new session on the same settings
    page = tomorrow.explore_page
    with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
        click(qtbot, tomorrow.start_page.explore_button)
    qtbot.waitUntil(lambda: len(page.favourites.items) == 1, timeout=TIMEOUT_MS)
    assert page.favourites.items[0].recipe == kept.recipe
    page.favourites.list.setCurrentRow(0)
    click(qtbot, page.favourites.remove_button)  # removed ones stay removed
    assert page.favourites.items == [] and settings.favourites(exported_model) == []


def test_favourites_kept_in_settings_survive_damaged_entries(settings, tmp_path):
    from ganstudio.infer.recipe import Recipe

    model = tmp_path / "m.onnx"
    good = Recipe(7, 0.7, None, (0.5,), tuple([0.25] * 16), (0.5,), note="variation 2")
    settings.set_favourites(model, [good.to_dict(), {"seed": "not a number"}, {"psi": 1.0}])
    restored = []
    for data in settings.favourites(model):
        try:
            restored.append(Recipe.from_dict(data))
        except (KeyError, TypeError, ValueError):
            pass
    assert restored == [good] and restored[0].note == "variation 2"
    settings.store.setValue("explore/favourites", "{not json")
    assert settings.favourites(model) == []


# ---- Upscale's split view ------------------------------------------------------------------------


def upscale_page(qtbot, make_window, paths: list[Path]):  # noqa: ANN201 - the window's UpscalePage, showing paths[0]
    window = make_window()
    window.show_upscale()
    page = window.upscale_page
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        page.add_paths(paths)
    return page


def click_row(qtbot, page, row: int, button=Qt.MouseButton.LeftButton) -> None:  # noqa: ANN001
    qtbot.mouseClick(page.list.viewport(), button, pos=page.list.visualItemRect(page.list.item(row)).center())


def right_click_row(qtbot, page, row: int) -> None:  # noqa: ANN001
    """A right click, and the context-menu event the window system sends with it (QTest sends none)."""
    from PySide6.QtGui import QContextMenuEvent

    click_row(qtbot, page, row, Qt.MouseButton.RightButton)
    at = page.list.visualItemRect(page.list.item(row)).center()
    viewport = page.list.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, viewport.mapToGlobal(at)))


def drag_divider(qtbot, view, x: float) -> None:  # noqa: ANN001
    y = int(view.image_rect().center().y())
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(int(view.width() / 2), y))
    qtbot.mouseMove(view, QPoint(int(x), y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(int(x), y))


def test_a_transparent_picture_shows_both_halves_over_the_same_background(qtbot, make_window, tmp_path):
    from PIL import Image

    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[:, :16] = (255, 255, 255, 0)  # transparent, white underneath: what many editors save
    rgba[:, 16:] = (200, 30, 30, 255)
    Image.fromarray(rgba).save(tmp_path / "sticker.png")
    view = upscale_page(qtbot, make_window, [tmp_path / "sticker.png"]).compare
    rect = view.image_rect()
    transparent = QPoint(int(rect.left() + rect.width() * 0.1), int(rect.center().y()))
    seen = []
    for divider_at in (rect.right() - 2, rect.left() + 2):  # bicubic over the point, then the upscaler
        drag_divider(qtbot, view, divider_at)
        seen.append(view.grab().toImage().pixelColor(transparent).getRgb()[:3])
    assert seen[0] == seen[1] and seen[0] in ((204, 204, 204), (153, 153, 153))  # the checkerboard, not black or white


def test_after_dragging_the_divider_1_to_1_keeps_it_on_the_image(qtbot, make_window, tmp_path):
    folder = make_image_folder(tmp_path / "pics", count=1, size=24)
    page = upscale_page(qtbot, make_window, [folder])
    view = page.compare
    fitted = view.image_rect()
    drag_divider(qtbot, view, fitted.left() + fitted.width() * 0.1)
    click(qtbot, page.actual_button)
    actual = view.image_rect()
    assert actual.width() == 48 and actual.width() < fitted.width() / 4
    assert actual.left() < view.divider_x() < actual.right()
    assert view.divider_x() == pytest.approx(actual.left() + 0.1 * actual.width(), abs=1.5)  # where it was dragged, on the image


def test_selecting_an_unreadable_file_again_says_why_without_a_dialog(qtbot, make_window, dialogs, tmp_path):
    folder = make_image_folder(tmp_path / "pics", count=1, size=24)
    (folder / "a-broken.png").write_bytes(b"\x89PNG not really")
    window = make_window()
    window.show_upscale()
    page = window.upscale_page
    page.add_paths([folder])  # the broken one comes first, so it is selected (and previewed) at once
    qtbot.waitUntil(lambda: "a-broken.png" in page.compare.placeholder and page.list.item(0).text().endswith("(unreadable)"),
                    timeout=TIMEOUT_MS)
    for _ in range(2):
        with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
            click_row(qtbot, page, 1)
        assert page.compare.has_images()
        click_row(qtbot, page, 0)
        qtbot.waitUntil(lambda: not page.compare.has_images(), timeout=TIMEOUT_MS)
        assert "a-broken.png" in page.compare.placeholder and "skipped when saving" in page.compare.placeholder
    qtbot.wait(200)  # a late preview of the broken file would report now
    assert dialogs.shown == []


@pytest.mark.parametrize("how", ["Remove button", "Delete key", "context menu"])
def test_removing_one_picture_from_the_upscale_list(qtbot, make_window, tmp_path, how):
    from PySide6.QtWidgets import QMenu

    page = upscale_page(qtbot, make_window, [make_image_folder(tmp_path / "pics", count=3, size=24)])
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        click_row(qtbot, page, 1)
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):  # the next one is shown
        if how == "Remove button":
            click(qtbot, page.remove_button)
        elif how == "Delete key":
            press(qtbot, page.list, "Delete")
        else:
            answer_when_open(QMenu, lambda menu: qtbot.mouseClick(menu, Qt.MouseButton.LeftButton,
                                                                  pos=menu.actionGeometry(page.remove_action).center()))
            right_click_row(qtbot, page, 1)
    names = [page.list.item(i).text() for i in range(page.list.count())]
    assert names == [str(rel) for _, rel in page.entries] == ["img_000.png", "img_002.png"]
    assert page.list.currentItem().text() == "img_002.png" and page.last_preview["name"] == "img_002.png"
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS):
        page.save_all(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img_000-x2.png", "img_002-x2.png"]


# ---- When training finishes ----------------------------------------------------------------------


def train_to_the_end(qtbot, window, run: Path, config, data: Path) -> None:  # noqa: ANN001
    """A tiny run trained to its length the way tests start jobs (so nothing is exported yet)."""
    from ganstudio.app.worker import TrainingJob

    window.show_train()
    with qtbot.waitSignal(window.train_page.training_ended, timeout=TIMEOUT_MS) as ended:
        window.train_page.start_job(TrainingJob.new(run, config, data))
    assert ended.args[0].reason == "completed" and not list((run / "export").glob("*.onnx"))


@pytest.mark.slow
def test_a_finished_run_offers_export_and_explore_then_opens_the_model(qtbot, make_window, dialogs, image_folder, tiny_config):
    window = make_window()
    page = window.train_page
    run = window.settings.runs_dir / "finished"
    train_to_the_end(qtbot, window, run, tiny_config(kimg=0.032), image_folder)
    assert page.start_button.text() == "Train longer" and page.explore_button.text() == "Export and explore"
    assert page.explore_button.property("primary") and not page.start_button.property("primary")  # the next step stands out
    try:
        with qtbot.waitSignal(window.explore_page.model_opened, timeout=TIMEOUT_MS) as opened:
            click(qtbot, page.explore_button)
        assert opened.args[0].parent == run / "export" and window.pages.currentWidget() is window.explore_page
        assert dialogs.shown == []  # asked to explore: no "Export finished" question on the way
    finally:
        window.explore_page.shutdown()


@pytest.mark.slow
def test_training_longer_to_the_end_exports_by_itself_and_opens_in_explore(qtbot, make_window, dialogs, image_folder, tiny_config):
    from PySide6.QtWidgets import QMessageBox

    window = make_window()
    page = window.train_page
    run = window.settings.runs_dir / "longer"
    train_to_the_end(qtbot, window, run, tiny_config(kimg=0.032), image_folder)
    page.options.length_unit.setCurrentIndex(page.options.length_unit.findData("kimg"))
    type_into(qtbot, page.options.length, "0.1")
    dialogs.answer = QMessageBox.StandardButton.Open  # "Open in Explore"
    try:
        with qtbot.waitSignal(window.explore_page.model_opened, timeout=2 * TIMEOUT_MS) as opened:
            click(qtbot, page.start_button)  # "Train longer": to 0.1 kimg, then the app exports as `ganstudio train` does
        assert dialogs.titles == ["Export finished"] and "Open in Explore" in dialogs.buttons[0]
        (model,) = (run / "export").glob("*.onnx")
        assert opened.args[0] == model and window.explore_page.model.path == model
        assert window.pages.currentWidget() is window.explore_page
        assert page.explore_button.text() == "Explore" and page.start_button.text() == "Train longer"
    finally:
        window.explore_page.shutdown()
