"""Screenshots of every page at a laptop's and a desktop's window size, light and dark (issue 15).

Not compared pixel by pixel: they are for a person to look at before a release and to refresh the
README's pictures. Set GANSTUDIO_SCREENSHOTS to a folder to make them, e.g.

    GANSTUDIO_SCREENSHOTS=/tmp/shots xvfb-run -s '-screen 0 1400x900x24' python -m pytest tests/test_app_screenshots.py

(offscreen works too: QWidget.grab() paints the window without a screen)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

TIMEOUT_MS = 60_000
SIZES = ((1024, 768), (1400, 900))
THEMES = ("light", "dark")

pytestmark = [
    pytest.mark.usefixtures("gc_on_the_gui_thread"),
    pytest.mark.skipif(not os.environ.get("GANSTUDIO_SCREENSHOTS"), reason="set GANSTUDIO_SCREENSHOTS to a folder to make screenshots"),
]


def shoot(qtbot, window, name: str) -> list[Path]:  # noqa: ANN001
    """`name`-WxH-theme.png for each size and theme, in GANSTUDIO_SCREENSHOTS."""
    folder = Path(os.environ["GANSTUDIO_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for theme in THEMES:
        window.set_theme(theme)
        for w, h in SIZES:
            window.resize(w, h)
            qtbot.waitUntil(lambda w=w, h=h: (window.width(), window.height()) == (w, h), timeout=5000)
            QApplication.processEvents()
            qtbot.wait(50)  # layouts settle, charts repaint
            path = folder / f"{name}-{w}x{h}-{theme}.png"
            assert window.grab().save(str(path))
            saved.append(path)
    return saved


def test_screenshots_of_every_page(qtbot, make_window, image_folder, tiny_config, exported_model, tmp_path):
    from ganstudio.app.worker import TrainingJob

    window = make_window()
    shoot(qtbot, window, "1-start")

    page = window.train_page
    window.show_train()
    run = window.settings.runs_dir / "shapes"
    with qtbot.waitSignal(page.training_ended, timeout=4 * TIMEOUT_MS):
        page.start_job(TrainingJob.new(run, tiny_config(kimg=0.32, snapshot_kimg=0.032, checkpoint_kimg=0.064), image_folder))
        qtbot.waitUntil(lambda: len(page.timeline.steps) >= 3 and page.charts.quality.point_count() >= 2, timeout=4 * TIMEOUT_MS)
        page.toggle_pause()  # still: the same picture at every size
        shoot(qtbot, window, "2-train-during")
        page.toggle_pause()
    shoot(qtbot, window, "3-train-after")

    try:
        with qtbot.waitSignal(window.explore_page.model_opened, timeout=TIMEOUT_MS):
            window.explore_model(exported_model)
        explore = window.explore_page
        qtbot.waitUntil(lambda: explore.shown is not None and explore.grid.is_complete(), timeout=TIMEOUT_MS)
        explore.keep()
        shoot(qtbot, window, "4-explore")
    finally:
        window.explore_page.shutdown()

    window.show_upscale()
    with qtbot.waitSignal(window.upscale_page.preview_ready, timeout=TIMEOUT_MS):
        window.upscale_page.add_paths([image_folder])
    shoot(qtbot, window, "5-upscale")
    window.show_start()
    shoot(qtbot, window, "6-start-with-runs")
