"""Explore's Your picture tab, offscreen: a picture dropped on the page is found in the model and
edited like a seed's image (truncation, favourites, PNG round trip, interpolation), refined with
progress and Cancel in the Studio, and a model without an encoder says how to get one."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent

from ganstudio.app.explore import ExplorePage
from ganstudio.app.refine import TorchRefiner
from ganstudio.app.settings import Settings
from ganstudio.infer import GeneratorModel
from ganstudio.infer.recipe import draw

TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("gc_on_the_gui_thread")]


@pytest.fixture
def errors() -> list[tuple[str, str]]:
    """Every error the page reports, as (what, todo): the window would show each in a dialog."""
    return []


@pytest.fixture
def make_page(qtbot, tmp_path, errors):
    pages: list[ExplorePage] = []

    def make(model: Path, refiner=None) -> ExplorePage:  # noqa: ANN001
        settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        page = ExplorePage(settings, device="cpu", refiner=refiner)
        page.error.connect(lambda e: errors.append((e.what, e.todo)))
        qtbot.addWidget(page)
        page.resize(1300, 850)
        page.show()
        pages.append(page)
        with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
            page.open_model(model)
        qtbot.waitUntil(lambda: page.shown is not None and page.grid.is_complete(), timeout=TIMEOUT_MS)
        return page

    yield make
    for page in pages:
        page.shutdown()


def drop(widget, path: Path) -> None:  # noqa: ANN001
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def psnr_shown(page: ExplorePage) -> float:
    return float(re.search(r"PSNR ([\d.]+) dB", page.picture.similarity_label.text()).group(1))


def test_a_dropped_picture_is_found_and_edited_like_a_seed(qtbot, make_page, with_encoder, errors, tmp_path):
    result, _ = with_encoder
    page = make_page(result.path)
    model = GeneratorModel(result.path, device="cpu")
    photo = tmp_path / "photo.jpg"  # not a GAN Studio PNG: brought in, not reopened
    Image.fromarray(model.images_for_seeds([5])[0]).resize((50, 40)).save(photo, quality=95)

    drop(page, photo)
    qtbot.waitUntil(lambda: page.shown is not None and page.shown[0].projected is not None, timeout=TIMEOUT_MS)
    found = page.shown[0]
    assert page.tabs.currentWidget() is page.picture
    assert page.picture.original.has_image() and page.picture.match.has_image()
    assert "photo.jpg" in page.picture.name_label.text() and "SSIM" in page.picture.similarity_label.text()
    assert "Your picture" in page.caption.text() and found.psi == 1.0 and page.controls.psi == 1.0
    assert page.grid.list.selectedItems() == []  # no seed is highlighted: this image has none
    np.testing.assert_array_equal(page.shown[1], draw(model, [found])[0])
    assert page.picture.edit_button.isVisible() and not page.picture.refine_button.isVisibleTo(page)  # the Player: no torch

    # Truncation pulls it towards the average image, as it does any seed's.
    page.controls.psi_slider.setValue(50)
    qtbot.waitUntil(lambda: page.shown[0].psi == 0.5, timeout=TIMEOUT_MS)
    np.testing.assert_array_equal(page.shown[1], draw(model, [dataclasses.replace(found, psi=0.5)])[0])
    assert not np.array_equal(page.shown[1], draw(model, [found])[0])

    # Kept and saved, it reopens as the same editable picture, pixel for pixel.
    page.keep()
    page.choose_seed(3)
    qtbot.waitUntil(lambda: page.shown[0].seed == 3 and page.shown[0].projected is None, timeout=TIMEOUT_MS)
    page.keep()
    assert [f.recipe.name for f in page.favourites.items] == ["your picture", "seed 3"]
    (tmp_path / "kept").mkdir()
    assert page.save_all_favourites(tmp_path / "kept")
    qtbot.waitUntil(lambda: not page.jobs.busy(), timeout=TIMEOUT_MS)
    saved = tmp_path / "kept" / "01-picture.png"
    restored = page.open_png(saved)
    assert restored is not None and restored.projected == found.projected and restored.psi == pytest.approx(0.5)
    qtbot.waitUntil(lambda: page.shown[0] == restored, timeout=TIMEOUT_MS)
    np.testing.assert_array_equal(page.shown[1], np.asarray(Image.open(saved).convert("RGB")))
    page.plain()  # back to the picture as found: no edits, same truncation
    qtbot.waitUntil(lambda: page.shown[0] == restored.plain(), timeout=TIMEOUT_MS)

    # Between the picture and a seed: the strip starts on one and ends on the other.
    page.interpolate_favourites()
    qtbot.waitUntil(lambda: page.interpolation.strip_images is not None, timeout=TIMEOUT_MS)
    strip, kept = page.interpolation.strip_images, [f.image for f in page.favourites.items]
    assert np.abs(strip[0].astype(int) - kept[0]).max() <= 1 and np.abs(strip[-1].astype(int) - kept[1]).max() <= 1
    assert "your picture" in page.interpolation.source.text()
    assert errors == []


def test_the_studio_refines_with_progress_and_cancel(qtbot, make_page, with_encoder, tmp_path):
    result, _ = with_encoder
    refiner = TorchRefiner()
    page = make_page(result.path, refiner)
    photo = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(photo)
    page.bring_in(photo)
    qtbot.waitUntil(lambda: page.projection is not None, timeout=TIMEOUT_MS)
    before, first = psnr_shown(page), page.projection[2]
    assert page.picture.refine_button.isVisible() and page.picture.refine_button.isEnabled()

    refiner.steps = 100
    qtbot.mouseClick(page.picture.refine_button, Qt.MouseButton.LeftButton)
    assert page.jobs.busy() and "Refining noise.png" in page.jobs.label.text()
    qtbot.waitUntil(lambda: not page.jobs.busy() and psnr_shown(page) != before, timeout=TIMEOUT_MS)
    assert psnr_shown(page) > before  # a closer match, shown beside the picture and enlarged
    qtbot.waitUntil(lambda: page.shown[0] == page.projection[2], timeout=TIMEOUT_MS)
    assert page.shown[0].projected != first.projected
    np.testing.assert_array_equal(page.picture.match_image, page.shown[1])

    refiner.steps = 1_000_000  # long enough to be cancelled midway
    shown_before = page.shown
    qtbot.mouseClick(page.picture.refine_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.jobs.bar.value() > 0, timeout=TIMEOUT_MS)
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not page.jobs.busy(), timeout=TIMEOUT_MS)
    assert page.shown is shown_before  # cancelled: nothing changed


def test_a_model_without_an_encoder_says_how_to_add_one(qtbot, make_page, exported_model, errors, tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (20, 20), (200, 40, 40)).save(photo)

    player = make_page(exported_model)  # no refiner: the torch-free Player
    player.tabs.setCurrentWidget(player.picture)
    assert "has no encoder" in player.picture.problem_label.text() and "--with-encoder" in player.picture.problem_label.text()
    assert not player.picture.bring_button.isEnabled() and not player.picture.encoder_button.isVisibleTo(player)
    drop(player, photo)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=TIMEOUT_MS)
    assert "has no encoder" in errors[0][0] and player.tabs.currentWidget() is player.picture

    studio = make_page(exported_model, TorchRefiner())
    studio.tabs.setCurrentWidget(studio.picture)
    assert studio.picture.encoder_button.isVisibleTo(studio) and studio.picture.encoder_button.isEnabled()
    with qtbot.waitSignal(studio.encoder_requested, timeout=TIMEOUT_MS) as asked:
        qtbot.mouseClick(studio.picture.encoder_button, Qt.MouseButton.LeftButton)
    assert asked.args == [exported_model] and not studio.picture.encoder_button.isEnabled()


def test_a_picture_that_cannot_be_read_gives_a_message(qtbot, make_page, with_encoder, errors, tmp_path):
    result, _ = with_encoder
    page = make_page(result.path)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture at all")
    drop(page, broken)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=TIMEOUT_MS)
    assert "broken.jpg" in errors[0][0] and "Choose a picture file" in errors[0][1]
    assert page.shown[0].projected is None  # the page goes on as it was


def test_the_window_exports_the_model_again_with_an_encoder(qtbot, tmp_path, exported_model, monkeypatch):
    from ganstudio.app import main_window

    started = []

    class FakeExport:
        def __init__(self, run_dir, **kwargs):  # noqa: ANN001, ANN003
            started.append((run_dir, kwargs))
            for name in ("progressed", "succeeded", "failed", "finished"):
                setattr(self, name, _Signal())

        def start(self):  # noqa: ANN202
            return self

    class _Signal:
        def connect(self, _slot) -> None:  # noqa: ANN001
            pass

    monkeypatch.setattr(main_window, "start_export", FakeExport)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = main_window.MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    try:
        window.explore_model(exported_model)
        qtbot.waitUntil(lambda: window.explore_page.model is not None, timeout=TIMEOUT_MS)
        page = window.explore_page
        page.tabs.setCurrentWidget(page.picture)
        assert page.picture.encoder_button.isVisible()
        qtbot.mouseClick(page.picture.encoder_button, Qt.MouseButton.LeftButton)
        run_dir, options = started[0]
        assert run_dir == exported_model.resolve().parent.parent
        assert options["with_encoder"] and options["out"] == exported_model and options["checkpoint"] == "40"
        assert "Exporting the model again with an encoder" in page.picture.problem_label.text()
    finally:
        window._export_task = None  # the scripted export never ends: closing must not wait for it
        window.explore_page.shutdown()
