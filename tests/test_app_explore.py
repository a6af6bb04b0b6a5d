"""The Explore page, offscreen, on the tiny exported generators: same seed same pixels everywhere,
directions, classes, favourites, interpolation, stale requests, datasets, and errors as messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ganstudio.app.explore import ExplorePage
from ganstudio.app.explore.dataset_dialog import DatasetRequest
from ganstudio.app.explore.interpolation import PREVIEW
from ganstudio.app.settings import Settings
from ganstudio.infer import read_image_info

TIMEOUT_MS = 30_000

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    s.runs_dir = tmp_path / "runs"
    return s


@pytest.fixture
def errors(monkeypatch) -> list[tuple[str, str]]:
    """Every error dialog shown, as (text, informative text), instead of a modal box."""
    shown: list[tuple[str, str]] = []

    def fake_exec(box: QMessageBox) -> QMessageBox.StandardButton:
        if box.icon() == QMessageBox.Icon.Critical:
            shown.append((box.text(), box.informativeText()))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return shown


@pytest.fixture
def make_page(qtbot, settings):
    pages: list[ExplorePage] = []

    def make(model: Path | None = None) -> ExplorePage:
        page = ExplorePage(settings, device="cpu")
        qtbot.addWidget(page)
        page.resize(1200, 800)
        page.show()
        pages.append(page)
        if model is not None:
            open_model(qtbot, page, model)
        return page

    yield make
    for page in pages:
        page.shutdown()


def open_model(qtbot, page: ExplorePage, model: Path) -> None:
    with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
        page.open_model(model)
    qtbot.waitUntil(lambda: page.shown is not None and page.grid.is_complete(), timeout=TIMEOUT_MS)


def shown_when(qtbot, page: ExplorePage, check) -> np.ndarray:  # noqa: ANN001
    """Wait until the enlarged image is the one whose recipe passes `check`; its pixels."""
    qtbot.waitUntil(lambda: page.shown is not None and check(page.shown[0]), timeout=TIMEOUT_MS)
    return page.shown[1]


@pytest.mark.slow
def test_explore_imports_neither_torch_nor_the_core(exported_model):
    """The torch-free Player ships this page: it must open a model and draw with both blocked."""
    script = textwrap.dedent(
        f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch" or name.startswith("ganstudio.core"):
                    raise ImportError(f"{{name}} is blocked in this test")
        sys.meta_path.insert(0, Blocker())
        from pathlib import Path
        from ganstudio.app import create_application
        from ganstudio.app.explore import ExplorePage
        app = create_application([])
        page = ExplorePage(device="cpu"); page.show()
        page.open_model(Path({str(exported_model)!r}))
        end = time.time() + 60
        while (page.shown is None or not page.grid.is_complete()) and time.time() < end:
            app.processEvents(); time.sleep(0.01)
        assert page.shown is not None and page.grid.images, "nothing was drawn"
        page.shutdown()
        print(sorted(m for m in sys.modules if m.split(".")[0] == "torch" or m.startswith("ganstudio.core")))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_same_seed_same_pixels_in_grid_cli_and_reopened_png(qtbot, make_page, exported_model, tmp_path, monkeypatch):
    from ganstudio.cli import main

    page = make_page(exported_model)
    page.controls.psi_slider.setValue(70)
    qtbot.waitUntil(lambda: page.grid.is_complete() and page.shown[0].psi == 0.7, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: page.grid.is_complete(), timeout=TIMEOUT_MS)
    in_grid = page.grid.images[3].copy()

    assert main(["generate", str(exported_model), "--seeds", "3", "--psi", "0.7", "--out", str(tmp_path / "cli")]) == 0
    from_cli = np.asarray(Image.open(tmp_path / "cli" / "seed000003.png").convert("RGB"))
    assert np.array_equal(in_grid, from_cli)

    page.choose_seed(3)
    enlarged = shown_when(qtbot, page, lambda r: r.seed == 3)
    assert np.array_equal(enlarged, in_grid)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "kept"), ""))
    page.save_focus()
    saved = tmp_path / "kept.png"
    assert np.array_equal(np.asarray(Image.open(saved).convert("RGB")), in_grid)

    page.choose_seed(8)
    shown_when(qtbot, page, lambda r: r.seed == 8)
    page.open_png(saved)
    assert np.array_equal(shown_when(qtbot, page, lambda r: r.seed == 3), in_grid)
    assert page.controls.psi == 0.7
    page.open_png(tmp_path / "cli" / "seed000003.png")  # the CLI's PNGs reopen too
    assert np.array_equal(shown_when(qtbot, page, lambda r: r.seed == 3), from_cli)


def click_seed(qtbot, page: ExplorePage, seed: int) -> None:
    """Click the grid's cell of `seed`, as a user does."""
    grid = page.grid.list
    row = next(i for i in range(grid.count()) if grid.item(i).data(Qt.ItemDataRole.UserRole) == seed)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualItemRect(grid.item(row)).center())


@pytest.mark.slow
def test_opening_another_model_enlarges_the_seed_it_highlights(qtbot, make_page, exported_model,
                                                              exported_conditional_model, tmp_path):
    """Emptying the grid for the next model once moved its current row onto the next seed, which
    read as a click: the page enlarged (and Keep stored) a seed the user never picked."""
    from ganstudio.cli import main

    page = make_page(exported_model)
    for model in (exported_conditional_model, exported_model):
        click_seed(qtbot, page, 2)
        shown_when(qtbot, page, lambda r: r.seed == 2)
        open_model(qtbot, page, model)
        qtbot.wait(200)  # anything late would land now
        highlighted = page.grid.list.currentItem().data(Qt.ItemDataRole.UserRole)
        assert (highlighted, page.recipe.seed, page.shown[0].seed) == (0, 0, 0)
        assert page.caption.text().startswith("<b>Seed 0</b>")
        assert np.array_equal(page.shown[1], page.grid.images[0])
    assert main(["generate", str(exported_model), "--seeds", "0", "--out", str(tmp_path / "cli")]) == 0
    from_cli = np.asarray(Image.open(tmp_path / "cli" / "seed000000.png").convert("RGB"))
    assert np.array_equal(page.shown[1], from_cli)


def test_directions_at_zero_give_the_plain_image_and_add_up(qtbot, make_page, exported_model):
    page = make_page(exported_model)
    page.choose_seed(4)
    plain = shown_when(qtbot, page, lambda r: r.seed == 4).copy()
    assert np.array_equal(plain, page.grid.images[4])
    first, third = page.controls.sliders[0], page.controls.sliders[2]
    first.setValue(200)
    third.setValue(-150)
    moved = shown_when(qtbot, page, lambda r: r.amounts[:3] == (2.0, 0.0, -1.5))
    assert not np.array_equal(moved, plain)
    assert "directions 1: +2.00, 3: -1.50" in page.caption.text()
    first.setValue(0)
    third.setValue(0)
    assert np.array_equal(shown_when(qtbot, page, lambda r: not any(r.amounts)), plain)
    first.setValue(100)
    shown_when(qtbot, page, lambda r: r.amounts[:1] == (1.0,))
    page.controls.reset_amounts()
    assert np.array_equal(shown_when(qtbot, page, lambda r: not any(r.amounts)), plain)


@pytest.mark.slow
def test_class_switch_changes_the_output(qtbot, make_page, exported_conditional_model):
    page = make_page(exported_conditional_model)
    assert page.controls.class_box.count() == 3 and page.controls.class_box.isVisibleTo(page)
    cat = shown_when(qtbot, page, lambda r: r.class_index == 0).copy()
    grid_cat = page.grid.images[1].copy()
    page.controls.class_box.setCurrentIndex(2)
    owl = shown_when(qtbot, page, lambda r: r.class_index == 2)
    assert not np.array_equal(owl, cat)
    qtbot.waitUntil(lambda: page.grid.is_complete() and not np.array_equal(page.grid.images[1], grid_cat), timeout=TIMEOUT_MS)
    assert "class owl" in page.caption.text()


@pytest.mark.slow
def test_is_it_new_shows_the_nearest_training_pictures(qtbot, make_page, exported_model, exported_conditional_model):
    page = make_page(exported_model)
    bar = page.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(page.tabs.indexOf(page.nearest)).center())
    assert page.tabs.currentWidget() is page.nearest
    qtbot.waitUntil(lambda: all(view.has_image() for view in page.nearest.views), timeout=TIMEOUT_MS)
    distances = [float(caption.text().split(" ")[0]) for caption in page.nearest.captions]
    assert distances == sorted(distances) and distances[0] >= 0
    assert "Whole model:" in page.nearest.report_label.text() and "training picture" in page.nearest.report_label.text()
    assert not page.nearest.problem_label.isVisibleTo(page)

    enlarged = page.shown[0]
    click_seed(qtbot, page, 5)  # another image: other neighbours, or the same ones at other distances
    qtbot.waitUntil(lambda: page.shown[0] is not enlarged, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: [float(c.text().split(" ")[0]) for c in page.nearest.captions] != distances, timeout=TIMEOUT_MS)

    open_model(qtbot, page, exported_conditional_model)  # exported with no training pictures at hand
    assert page.nearest.problem_label.isVisibleTo(page) and "has no training index" in page.nearest.problem_label.text()
    assert not any(view.has_image() for view in page.nearest.views)
    assert "no copy report" in page.nearest.report_label.text()


def _non_generator_onnx(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    onnx.save(helper.make_model(graph, ir_version=9, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def _drop(window, path: Path) -> None:  # noqa: ANN001
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_dropping_a_non_generator_onnx_gives_a_message_not_a_crash(qtbot, settings, errors, exported_model, tmp_path):
    from ganstudio.app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    try:
        _drop(window, _non_generator_onnx(tmp_path / "identity.onnx"))
        qtbot.waitUntil(lambda: len(errors) == 1, timeout=TIMEOUT_MS)
        text, todo = errors[0]
        assert "identity.onnx is not a GAN Studio generator" in text and "exported by GAN Studio" in todo
        garbage = tmp_path / "garbage.onnx"
        garbage.write_bytes(b"this is not onnx at all")
        _drop(window, garbage)
        qtbot.waitUntil(lambda: len(errors) == 2, timeout=TIMEOUT_MS)
        assert "garbage.onnx could not be opened as an ONNX model" in errors[1][0]
        assert window.pages.currentWidget() is window.explore_page and window.explore_page.model is None

        _drop(window, exported_model)  # a real one opens, from anywhere on the window
        qtbot.waitUntil(lambda: window.explore_page.model is not None, timeout=TIMEOUT_MS)
        assert exported_model.name in window.windowTitle()
    finally:
        window.explore_page.shutdown()


def test_favourites_save_all_and_reopen_exactly(qtbot, make_page, exported_model, tmp_path):
    page = make_page(exported_model)
    page.choose_seed(2)
    page.controls.sliders[1].setValue(130)
    first = shown_when(qtbot, page, lambda r: r.seed == 2 and r.amounts[1] == 1.3).copy()
    page.keep()
    page.tabs.setCurrentWidget(page.variations)
    qtbot.waitUntil(lambda: page.variations.images is not None and page._variation_offsets is not None, timeout=TIMEOUT_MS)
    variation = page.variations.images[5].copy()
    page.choose_variation(5)
    assert np.array_equal(shown_when(qtbot, page, lambda r: r.note == "variation"), variation)
    page.keep()
    page.keep()  # the same image twice is kept once
    assert len(page.favourites.items) == 2

    folder = tmp_path / "favs"
    folder.mkdir()
    assert page.save_all_favourites(folder)
    qtbot.waitUntil(lambda: not page.jobs.busy(), timeout=TIMEOUT_MS)
    files = sorted(folder.glob("*.png"))
    assert [f.name for f in files] == ["01-seed000002.png", "02-seed000002.png"]
    info = read_image_info(files[1])
    assert info.seed == 2 and info.w_offset is not None and len(info.w_offset) == page.model.info.w_dim

    page.favourites.clear()
    page.choose_seed(0)
    shown_when(qtbot, page, lambda r: r.seed == 0)
    for path, expected in zip(files, (first, variation)):
        recipe = page.open_png(path)
        pixels = shown_when(qtbot, page, lambda r, recipe=recipe: r == recipe)
        assert np.array_equal(pixels, expected)
        assert np.array_equal(pixels, np.asarray(Image.open(path).convert("RGB")))
        if path == files[0]:
            assert page.controls.amounts()[1] == pytest.approx(1.3, abs=0.01)  # the sliders show the stored offset
    page.controls.sliders[0].setValue(page.controls.sliders[0].value() + 50)  # moving on from a reopened image
    moved = shown_when(qtbot, page, lambda r: r.amounts != recipe.amounts)
    assert 0 < np.abs(moved.astype(int) - variation).mean() < 60


def test_unreadable_forged_or_foreign_pngs_give_messages(qtbot, make_page, exported_model, tmp_path):
    page = make_page(exported_model)
    shown: list = []
    page.error.connect(shown.append)
    plain = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(plain)
    forged = tmp_path / "forged.png"
    chunks = PngImagePlugin.PngInfo()
    chunks.add_itxt("ganstudio", json.dumps({"model": "m", "seed": 1, "psi": "NaN"}))
    Image.new("RGB", (8, 8)).save(forged, pnginfo=chunks)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    for path in (plain, forged, broken):
        assert page.open_png(path) is None
    assert [type(e).__name__ for e in shown] == ["ImageFileError"] * 3
    assert "photo.png holds no GAN Studio information" in shown[0].what
    assert "forged.png" in shown[1].what and "non-finite" in shown[1].what
    assert "broken.png could not be read" in shown[2].what


def test_interpolation_strip_and_animation_start_and_end_on_the_favourites(qtbot, make_page, exported_model, tmp_path):
    page = make_page(exported_model)
    kept = []
    for seed in (1, 6, 11):
        page.choose_seed(seed)
        kept.append(shown_when(qtbot, page, lambda r, seed=seed: r.seed == seed).copy())
        page.keep()
    page.favourites.select([0, 2])
    page.interpolate_favourites()
    assert page.tabs.currentWidget() is page.interpolation
    qtbot.waitUntil(lambda: page.interpolation.strip_images is not None, timeout=TIMEOUT_MS)
    strip = page.interpolation.strip_images
    assert len(strip) == PREVIEW
    assert np.abs(strip[0].astype(int) - kept[0]).max() <= 1 and np.abs(strip[-1].astype(int) - kept[2]).max() <= 1

    page.interpolation.frames_box.setValue(12)
    page.interpolation.fps_box.setValue(10)
    out = tmp_path / "between.gif"
    assert page.export_animation(out)
    qtbot.waitUntil(lambda: not page.jobs.busy(), timeout=TIMEOUT_MS)
    with Image.open(out) as gif:
        assert gif.n_frames == 12 and gif.info["duration"] == 100
        scale = gif.size[0] // kept[0].shape[1]
        assert scale >= 2  # small models are enlarged to be watchable
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"))[::scale, ::scale]
    assert np.abs(first.astype(int) - kept[0]).mean() < 12  # GIF's palette is lossy

    page.choose_seed(6)
    shown_when(qtbot, page, lambda r: r.seed == 6)
    page.random_walk()
    qtbot.waitUntil(lambda: page.interpolation.strip_images is not None, timeout=TIMEOUT_MS)
    assert page.interpolation.spec.loop and "random walk from seed 6" in page.interpolation.source.text()
    assert np.abs(page.interpolation.strip_images[0].astype(int) - kept[1]).max() <= 1


def test_a_slider_drag_renders_only_the_newest_value(qtbot, make_page, exported_model):
    page = make_page(exported_model)
    page.choose_seed(5)
    shown_when(qtbot, page, lambda r: r.seed == 5)
    focus_renders: list[tuple] = []
    page.worker.rendered.connect(lambda r: r.slot == "focus" and focus_renders.append(r.tag.amounts[:1]))
    dropped = page.worker.dropped
    slider = page.controls.sliders[0]
    with page.worker._cond:  # hold the render thread while the "drag" happens, as a slow render would
        for value in range(10, 310, 10):
            slider.setValue(value)
        page.grid.add_page()  # a grid page in between is not dropped by the drag
    final = shown_when(qtbot, page, lambda r: r.amounts[:1] == (3.0,))
    qtbot.waitUntil(lambda: page.grid.is_complete(), timeout=TIMEOUT_MS)
    assert focus_renders == [(3.0,)]  # 29 stale values were never rendered
    assert page.worker.dropped - dropped == 29
    assert page.grid.pages == 2 and 16 in page.grid.images
    assert page.focus_seq == page._focus_shown and final is page.shown[1]


def test_make_a_dataset_writes_n_images_with_progress_and_can_be_cancelled(qtbot, make_page, exported_model, tmp_path):
    page = make_page(exported_model)
    progress: list[int] = []
    page.jobs.bar.valueChanged.connect(progress.append)
    messages: list[str] = []
    page.status_message.connect(messages.append)
    assert page.make_dataset(DatasetRequest(tmp_path / "data", 40, 100))
    qtbot.waitUntil(lambda: not page.jobs.busy(), timeout=TIMEOUT_MS)
    files = sorted((tmp_path / "data").glob("seed*.png"))
    assert len(files) == 40 and files[0].name == "seed000100.png" and files[-1].name == "seed000139.png"
    assert progress[-1] == 40 and len(set(progress)) >= 2
    assert messages[-1] == f"Wrote 40 images to {tmp_path / 'data'}"
    assert read_image_info(files[0]).seed == 100

    assert page.make_dataset(DatasetRequest(tmp_path / "big", 20000, 0))
    assert not page.make_dataset(DatasetRequest(tmp_path / "other", 5, 0))  # one job at a time
    with qtbot.waitSignal(page.jobs.task.progressed, timeout=TIMEOUT_MS):
        pass
    page.jobs.cancel()
    qtbot.waitUntil(lambda: not page.jobs.busy(), timeout=TIMEOUT_MS)
    written = len(list((tmp_path / "big").glob("seed*.png")))
    assert 0 < written < 20000 and "stopped after" in messages[-1]
    assert not page.jobs.isVisible()


def test_explore_from_the_window_and_back_with_settings_kept(qtbot, settings, errors, exported_model):
    from ganstudio.app.main_window import SHORTCUTS_HELP, MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    page = window.explore_page
    try:
        window.show_train()
        window.explore_model(exported_model)
        qtbot.waitUntil(lambda: page.shown is not None, timeout=TIMEOUT_MS)
        assert window.pages.currentWidget() is page
        page.controls.psi_slider.setValue(80)
        page.back_button.click()
        assert window.pages.currentWidget() is window.train_page
        assert settings.last_model == exported_model and settings.explore_psi == pytest.approx(0.8)
        assert "Ctrl+Shift+O" in SHORTCUTS_HELP and "Explore" in SHORTCUTS_HELP
    finally:
        page.shutdown()

    again = ExplorePage(settings)  # next time: offers the last model, starts at the last psi
    qtbot.addWidget(again)
    assert again.reopen_button.isVisibleTo(again) and exported_model.name in again.reopen_button.text()
    with qtbot.waitSignal(again.model_opened, timeout=TIMEOUT_MS):
        again.reopen_button.click()
    assert again.controls.psi == pytest.approx(0.8)
    again.shutdown()
    assert not errors


def test_the_train_page_explores_its_exported_model(qtbot, settings, exported_model):
    from ganstudio.app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    page = window.train_page
    page.run_dir = exported_model.parent.parent  # the fixture's run folder, with export/*.onnx
    page.refresh_explore()
    assert page.explore_button.isEnabled()
    try:
        with qtbot.waitSignal(window.explore_page.model_opened, timeout=TIMEOUT_MS) as opened:
            page.explore_button.click()
        assert opened.args[0] == exported_model and window.pages.currentWidget() is window.explore_page
    finally:
        window.explore_page.shutdown()


def test_every_control_has_a_tooltip(make_page, exported_conditional_model):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QSlider, QTabBar

    page = make_page(exported_conditional_model)
    for kind in (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QSlider):
        for widget in page.findChildren(kind):
            inner = isinstance(widget.parentWidget(), (QTabBar, QAbstractSpinBox, QComboBox))  # Qt's own parts
            if widget.isVisibleTo(page) and not inner:
                assert widget.toolTip(), f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} has no tooltip"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None, True and False are immortal from Python 3.12")
def test_thousands_of_slider_moves_do_not_run_none_out_of_references():
    """PySide6 6.12 on Python 3.11 drops a reference to None per void Qt call and to True per emit
    (ganstudio.app.immortal): without the pin, this aborts with 'deallocating None'."""
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from ganstudio.app import create_application
        from PySide6.QtWidgets import QSlider
        app = create_application([])
        slider = QSlider()
        moves = []
        slider.valueChanged.connect(moves.append)
        for i in range(30000):
            slider.setValue(i % 90)
            slider.update()
            slider.valueChanged.emit(1)
        print(len(moves))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-500:]
    assert int(result.stdout.strip().splitlines()[-1]) >= 30000


@pytest.mark.slow
def test_opening_a_model_again_and_again_does_not_crash(exported_model, tmp_path):
    """Reopening a model rebuilt the direction sliders with deleteLater() from the slot of the render
    thread's queued `opened` signal; with PySide6 6.12 that corrupted the heap, and the process died
    (segfault, or glibc's "unaligned fastbin chunk") within a few reopens, mostly in the seed grid's
    clear(). In a process of its own, so that a crash fails this test instead of ending the suite."""
    script = textwrap.dedent(
        """
        import os, sys, time
        from pathlib import Path
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QSettings
        from ganstudio.app import create_application
        from ganstudio.app.explore import ExplorePage
        from ganstudio.app.settings import Settings
        app = create_application([])
        model, folder = Path(sys.argv[1]), Path(sys.argv[2])
        page = ExplorePage(Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)), device="cpu")
        page.resize(1200, 800)
        page.show()
        opened = []
        page.model_opened.connect(opened.append)

        def wait(ready):
            end = time.monotonic() + 30
            while not ready():
                assert time.monotonic() < end, "timed out"
                app.processEvents()
                time.sleep(0.002)

        for n in range(1, 13):
            page.open_model(model)
            wait(lambda: len(opened) == n)
            wait(lambda: page.shown is not None and page.grid.is_complete())
        page.shutdown()
        print(len(opened), len(page.controls.sliders))
        """
    )
    result = subprocess.run([sys.executable, "-X", "faulthandler", "-c", script, str(exported_model), str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    opened, sliders = result.stdout.split()[-2:]
    assert opened == "12" and int(sliders) > 0  # every reopen came through, with its direction sliders


def test_ganstudio_explore_names_a_missing_model(tmp_path, capsys):
    from ganstudio.cli import main

    assert main(["explore", str(tmp_path / "nothing.onnx")]) == 1
    assert "nothing.onnx: no such model file" in capsys.readouterr().err


def test_favourites_delete_key_removes_and_ctrl_z_puts_them_back_in_place(qtbot, make_page, exported_model):
    page = make_page(exported_model)
    for seed in (0, 1, 2, 3):
        page.choose_seed(seed)
        shown_when(qtbot, page, lambda r, seed=seed: r.seed == seed)
        page.keep()
    strip = page.favourites
    assert not strip.undo_button.isVisible()
    strip.select([1, 3])
    strip.list.setFocus()
    qtbot.keyClick(strip.list, Qt.Key.Key_Delete)  # as the strip's tooltip promises
    assert [f.recipe.seed for f in strip.items] == [0, 2] and strip.list.count() == 2
    assert strip.undo_button.isVisible()
    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [f.recipe.seed for f in strip.items] == [0, 1, 2, 3]
    assert [strip.list.item(i).text() for i in range(4)] == [f"seed {s}" for s in range(4)]
    assert [f.recipe.seed for f in strip.selected()] == [1, 3]  # what came back is selected
    assert not strip.undo_button.isVisible()
    strip.undo_remove()  # nothing left to undo: nothing changes
    assert len(strip.items) == 4


def test_ctrl_z_takes_back_slider_moves_and_seed_choices_and_ctrl_shift_z_redoes(qtbot, make_page, exported_model):
    page = make_page(exported_model)
    assert not page.undo_button.isEnabled() and not page.redo_button.isEnabled()
    click_seed(qtbot, page, 5)
    plain = shown_when(qtbot, page, lambda r: r.seed == 5 and not any(r.amounts)).copy()
    slider = page.controls.sliders[0]
    slider.setFocus()
    for _ in range(4):  # held PageUp: one gesture, one step
        qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    moved = shown_when(qtbot, page, lambda r: r.amounts[:1] == (1.0,)).copy()
    assert page.undo_button.isEnabled()

    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(shown_when(qtbot, page, lambda r: r.seed == 5 and not any(r.amounts)), plain)
    assert slider.value() == 0 and page.controls._values[0].text() == "+0.00"  # the slider went back too
    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert np.array_equal(shown_when(qtbot, page, lambda r: r.amounts[:1] == (1.0,)), moved)
    assert slider.value() == 100

    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)  # before the click on seed 5
    shown_when(qtbot, page, lambda r: r.seed == 0)
    assert page.grid.list.currentItem().data(Qt.ItemDataRole.UserRole) == 0 and not page.undo_button.isEnabled()
    assert page.redo_button.isEnabled()
    page.controls.psi_slider.setValue(70)  # something new: nothing left to redo
    assert not page.redo_button.isEnabled()


def test_direction_sliders_are_named_after_their_effect_where_the_model_says(qtbot):
    from ganstudio.app.explore.controls import Controls
    from ganstudio.infer.metadata import Directions, GeneratorInfo

    controls = Controls()
    qtbot.addWidget(controls)
    vectors, std = np.eye(3, 8, dtype=np.float32), np.ones(3, np.float32)
    controls.set_model(GeneratorInfo(8, 8, 32, (), Directions(vectors, std, ("brighter", "", "subject to the left"))))
    names = [row[0] for row in controls._rows[:3]]
    assert [n.text() for n in names] == ["1 brighter", "2", "3 subject to the left"]
    assert "To the right: brighter" in names[0].toolTip() and "To the right" not in names[1].toolTip()
    controls.set_model(GeneratorInfo(8, 8, 32, (), Directions(vectors, std)))  # exported before effects
    assert [n.text() for n in names] == ["1", "2", "3"]
