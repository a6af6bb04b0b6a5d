"""The Upscale page, offscreen: loading images and folders, the split view, save all with progress
and cancel, models that are not upscalers, and the way in from Explore and the main window."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

import onnx_upscalers as foreign
from ganstudio.app.main_window import SHORTCUTS_HELP
from ganstudio.app.upscale import UpscalePage
from ganstudio.app.upscale.page import ModelChoice
from ganstudio.infer.images import ImageInfo, save_png
from ganstudio.infer.upscale_files import SourceImage

TIMEOUT_MS = 30_000

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


def _pictures(folder: Path, n: int = 3, size: int = 24) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pixels = np.random.default_rng(i).integers(0, 256, (size, size + 8, 3), dtype=np.uint8)
        save_png(folder / f"p{i}.png", pixels, ImageInfo("gan", seed=i))
    return folder


@pytest.fixture
def page(qtbot, settings, dialogs):
    page = UpscalePage(settings, device="cpu")
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    yield page
    page.shutdown()
    if page._preview_task is not None:
        page._preview_task.wait(TIMEOUT_MS)
    if page.jobs.task is not None:
        page.jobs.task.wait(TIMEOUT_MS)


def test_empty_then_a_folder_shows_the_split_view(qtbot, page: UpscalePage, tmp_path: Path) -> None:
    assert page.stack.currentIndex() == 0 and not page.save_button.isEnabled()
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        assert page.add_paths([_pictures(tmp_path / "in")]) == 3
    assert page.stack.currentIndex() == 1 and page.list.count() == 3
    result = page.last_preview
    assert result["upscaled"].shape == (48, 64, 3) and result["bicubic"].shape == (48, 64, 3)
    assert result["model"] == "builtin-x2"
    assert page.compare.has_images()
    # the divider follows the mouse; x4 previews again
    at = page.compare.rect().center() - page.compare.rect().center() / 2
    qtbot.mousePress(page.compare, Qt.MouseButton.LeftButton, pos=at)
    assert page.compare.divider_x() == pytest.approx(at.x(), abs=1)
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        page.scale_box.setCurrentIndex(page.scale_box.findData(4))
    assert page.last_preview["upscaled"].shape == (96, 128, 3)
    page.compare.zoom_by(2.0, QPointF(10, 10))
    assert not page.compare.fitted
    page.compare.fit()
    assert page.compare.fitted


def test_save_all_with_progress_keeps_provenance(qtbot, page: UpscalePage, tmp_path: Path) -> None:
    page.add_paths([_pictures(tmp_path / "in")])
    seen = []
    page.jobs.task = None
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS) as saved:
        assert page.save_all(tmp_path / "out")
        page.jobs.task.progressed.connect(seen.append)
    result = saved.args[0]
    assert len(result.written) == 3 and not result.failed and not result.cancelled
    with Image.open(tmp_path / "out" / "p1-x2.png") as im:
        assert im.size == (64, 48)
        assert im.text["seed"] == "1" and json.loads(im.text["ganstudio.upscale"])["upscaler"] == "builtin-x2"


@pytest.mark.slow
def test_cancel_keeps_what_was_saved(qtbot, page: UpscalePage, tmp_path: Path) -> None:
    page.add_paths([_pictures(tmp_path / "in", n=6, size=200)])
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS) as saved:
        page.save_all(tmp_path / "out")
        page.jobs.task.progressed.connect(lambda p: page.jobs.cancel())
    result = saved.args[0]
    assert result.cancelled and 1 <= len(result.written) < 6
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == sorted(p.name for p in result.written)


@pytest.mark.slow
def test_a_model_that_is_not_an_upscaler_gets_a_message(qtbot, page: UpscalePage, tmp_path: Path) -> None:
    errors = []
    page.error.connect(errors.append)
    page.add_paths([_pictures(tmp_path / "in", n=1)])
    qtbot.waitUntil(lambda: page._preview_task is None, timeout=TIMEOUT_MS)
    bad = foreign.classifier(tmp_path / "classifier.onnx")
    page.open_model_file(bad)
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT_MS)
    assert "classifier.onnx is not an image upscaler" in errors[-1].what and errors[-1].todo
    assert page.model_choice() == ModelChoice("builtin")  # back to the built-in, the bad one dropped
    assert page.model_box.findData(ModelChoice("file", bad)) < 0


@pytest.mark.slow
def test_a_foreign_model_and_bad_images(qtbot, page: UpscalePage, tmp_path: Path) -> None:
    errors = []
    page.error.connect(errors.append)
    folder = _pictures(tmp_path / "in", n=1)
    (folder / "q-broken.png").write_bytes(b"\x89PNG not really")
    page.open_model_file(foreign.nearest(tmp_path / "x3.onnx", 3))
    with qtbot.waitSignal(page.preview_ready, timeout=TIMEOUT_MS):
        page.add_paths([folder])
    assert page.scale_box.findData(3) >= 0  # the model's own scale is offered
    with qtbot.waitSignal(page.saved, timeout=TIMEOUT_MS) as saved:
        page.save_all(tmp_path / "out")
    assert len(saved.args[0].written) == 1 and len(saved.args[0].failed) == 1
    assert any("q-broken.png" in e.todo and "1 of the images" in e.what for e in errors)


@pytest.mark.slow
def test_from_explore_and_the_main_window(qtbot, make_window) -> None:
    window = make_window()
    window.show_upscale()
    assert window.pages.currentWidget() is window.upscale_page
    assert "Ctrl+Shift+U" in SHORTCUTS_HELP and "Alt+U" in SHORTCUTS_HELP
    image = SourceImage(Path("seed000007.png"), np.zeros((16, 16, 3), np.uint8), {"seed": "7"})
    with qtbot.waitSignal(window.upscale_page.preview_ready, timeout=TIMEOUT_MS):
        window.explore_page.upscale_requested.emit([image])
    assert window.upscale_page.list.item(0).text() == "seed000007.png"
    window.upscale_page.back_requested.emit()
    assert window.pages.currentWidget() is window.start_page


@pytest.mark.slow
def test_dropping_a_folder_on_the_window_while_on_the_upscale_page(qtbot, make_window, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window()
    window.show_upscale()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(_pictures(tmp_path / "in", n=2)))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.upscale_page.preview_ready, timeout=TIMEOUT_MS):
        window.dropEvent(event)
    assert [window.upscale_page.list.item(i).text() for i in range(2)] == ["p0.png", "p1.png"]


@pytest.mark.slow
def test_explore_sends_the_enlarged_image_with_its_seed(qtbot, settings, exported_model: Path) -> None:
    from ganstudio.app.explore import ExplorePage

    page = ExplorePage(settings, device="cpu")
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
        page.open_model(exported_model)
    qtbot.waitUntil(lambda: page.shown is not None, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(page.upscale_requested, timeout=TIMEOUT_MS) as sent:
        page.upscale_button.click()
    (image,) = sent.args[0]
    assert image.text["seed"] == str(page.shown[0].seed) and image.pixels.shape == page.shown[1].shape
    page.keep()
    with qtbot.waitSignal(page.upscale_requested, timeout=TIMEOUT_MS) as sent:
        page.favourites.upscale_button.click()
    assert len(sent.args[0]) == 1 and "ganstudio" in sent.args[0][0].text
    page.shutdown()


@pytest.mark.slow
def test_the_page_runs_without_torch_or_the_core(tmp_path: Path) -> None:
    """The torch-free Player ships this page: it must upscale and save with both blocked."""
    import os
    import subprocess
    import sys
    import textwrap

    folder = _pictures(tmp_path / "in", n=2)
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
        from ganstudio.app.upscale import UpscalePage
        app = create_application([])
        page = UpscalePage(device="cpu"); page.show()
        saved = []
        page.saved.connect(saved.append)
        page.add_paths([Path({str(folder)!r})])
        end = time.time() + 60
        while page.last_preview is None and time.time() < end:
            app.processEvents(); time.sleep(0.01)
        page.save_all(Path({str(tmp_path / "out")!r}))
        while not saved and time.time() < end:
            app.processEvents(); time.sleep(0.01)
        assert page.last_preview is not None and len(saved[0].written) == 2
        page.shutdown()
        print(sorted(m for m in sys.modules if m.split(".")[0] == "torch" or m.startswith("ganstudio.core")))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_upscaler_runs_are_offered_as_models_not_as_gan_runs(qtbot, make_window, dialogs, settings, tmp_path: Path) -> None:
    from ganstudio.app.runs import list_runs

    run = settings.runs_dir / "cats-x2"
    (run / "export").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "config": {"task": "upscaler", "scale": 2}}))
    foreign.nearest(run / "export" / "cats-x2-1kimg.onnx", 2)
    assert list_runs([settings.runs_dir]) == []
    window = make_window()
    assert not window.open_run(run)
    assert window.pages.currentWidget() is window.upscale_page
    assert "upscaler's training run" in dialogs.errors()[-1][0]
    labels = [window.upscale_page.model_box.itemText(i) for i in range(window.upscale_page.model_box.count())]
    assert labels == ["Built-in (general, ×2 / ×4)", "cats-x2: cats-x2-1kimg", "Open ONNX upscaler…"]


def test_upscalers_trained_with_the_cli_elsewhere_are_offered_too(qtbot, make_window, settings, tmp_path: Path) -> None:
    from ganstudio.core.training import known_runs

    run = tmp_path / "terminal" / "runs" / "dogs-x2"  # `ganstudio train-upscaler` writes to ./runs
    (run / "export").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "config": {"task": "upscaler", "scale": 2}}))
    foreign.nearest(run / "export" / "dogs-x2-1kimg.onnx", 2)
    known_runs.remember(run)  # as the run did when it started training
    known_runs.remember(settings.runs_dir)  # not a run: skipped
    window = make_window()
    box = window.upscale_page.model_box
    labels = [box.itemText(i) for i in range(box.count())]
    assert labels == ["Built-in (general, ×2 / ×4)", "dogs-x2: dogs-x2-1kimg", "Open ONNX upscaler…"]
