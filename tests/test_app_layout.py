"""Laptop-sized windows (issue 15, item 7): the sample grid keeps the room it is opened for, no
chart's title or legend is cut, and Explore's seed grid is four columns wide at any size."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFontMetrics

from ganstudio.app.charts import LineChart

TIMEOUT_MS = 60_000
WINDOW_SIZES = [(1024, 768), (1280, 720), (1400, 900), (1920, 1080)]

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")


def sized(qtbot, window, w: int, h: int):  # noqa: ANN001, ANN201
    window.resize(w, h)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (w, h), timeout=5000)
    qtbot.wait(20)
    return window


def fill_charts(charts) -> None:  # noqa: ANN001 - ChartsPanel
    """Values as wide as real ones, so the legends are as long as in a run."""
    kimg = np.linspace(0, 1.5, 40)
    for chart in charts.charts:
        for key in chart.series:
            chart.set_data(key, kimg, np.linspace(0.3, 0.452, 40) * (1000 if key == "kid" else 1))
    charts.quality.markers[:] = [(0.5, 0.35, "swd")]


def assert_title_and_legend_fit(chart: LineChart) -> None:
    title = QFontMetrics(chart.title_font()).horizontalAdvance(chart.title)
    assert title + 20 <= chart.width(), f"{chart.title!r} is cut: {title} px of text in a {chart.width()} px chart"
    rows, beside = chart.legend_rows()
    room = chart.width() - 20 - ((title + 16) if beside else 0)
    for row in rows:
        assert sum(width for *_, width in row) <= room, (chart.title, [text for _, text, _ in row], chart.width())


@pytest.mark.parametrize("w,h", WINDOW_SIZES)
@pytest.mark.slow
def test_on_a_laptop_window_the_sample_grid_gets_the_room_and_no_chart_is_cut(qtbot, make_window, w, h):
    window = make_window()
    window.show_train()
    page = window.train_page
    fill_charts(page.charts)
    sized(qtbot, window, w, h)
    grid = page.grid
    assert grid.width() >= 0.37 * w and grid.height() >= 0.6 * h, (grid.width(), grid.height())
    panel = page.charts
    assert panel.isVisible() and panel.width() >= panel.minimumSizeHint().width()
    for chart in panel.charts:
        assert chart.isVisible() and panel.rect().contains(chart.geometry()), chart.title
        assert chart.height() >= chart.minimumSizeHint().height(), chart.title
        assert_title_and_legend_fit(chart)
    tops = sorted({c.geometry().top() for c in panel.charts})
    assert len(tops) == (4 if panel.width() < 2 * max(c.minimumSizeHint().width() for c in panel.charts) + 8 else 2)


@pytest.mark.parametrize("w,h", WINDOW_SIZES)
def test_the_settings_column_shows_every_word_and_the_start_from_name_where_there_is_room(qtbot, make_window, image_folder, w, h):
    window = make_window()
    with qtbot.waitSignal(window.start_page.scan(image_folder).succeeded, timeout=TIMEOUT_MS):
        pass
    window.start_page.continue_button.click()
    page, options = window.train_page, window.train_page.options
    assert options.start_from.itemText(1).startswith("GAN Studio's general model")  # the longest name there
    options.start_from.setCurrentIndex(1)
    options.show_advanced(True)
    sized(qtbot, window, w, h)
    column = page.splitter.widget(0)
    assert column.viewport().width() >= column.widget().minimumSizeHint().width()  # nothing cut at the right
    for button in options.preset_buttons.values():
        assert button.width() >= button.sizeHint().width(), button.text()
        assert button.visibleRegion().boundingRect().width() == button.width(), button.text()
    whole_name = options.start_from.sizeHint().width() + options.start_from_overflow()
    assert options.start_from.view().minimumWidth() >= whole_name  # the list that drops down shows it whole
    if w >= 1920:  # and so does the box, where the window has room: not "GAN Studio's gene..."
        assert options.start_from.width() >= whole_name
    assert page.grid.width() >= 0.37 * w


def test_the_charts_width_the_user_drags_to_is_kept_at_the_next_launch(qtbot, make_window):
    window = sized(qtbot, make_window(), 1400, 900)
    splitter = window.train_page.splitter
    window.show_train()
    qtbot.wait(20)
    charts = splitter.sizes()[2]
    splitter.moveSplitter(splitter.handle(2).x() - 80, 2)  # as a drag of the handle between grid and charts does
    assert splitter.sizes()[2] == charts + 80
    window.close()
    again = sized(qtbot, make_window(), 1400, 900)
    again.show_train()
    qtbot.wait(20)
    assert again.train_page.splitter.sizes()[2] == charts + 80
    sized(qtbot, again, 1024, 768)  # a narrower window: the grid still keeps its share
    assert again.train_page.grid.width() >= 0.37 * 1024


def test_a_chart_title_and_legend_fit_at_every_width(qtbot):
    chart = LineChart("Quality, lower is best")
    chart.add_series("swd", "SWD", "#8b72ff")
    chart.add_series("kid", "KID", "#2bb3a8", right_axis=True)
    qtbot.addWidget(chart)
    chart.set_data("swd", np.arange(5.0), np.array([300, 280, 275.5, 271.25, 270.125]))
    chart.set_data("kid", np.arange(5.0), np.array([1e-5, 2e-5, -3.5e-5, 1.25e-5, -1.2345e-5]))
    chart.show()
    for width in range(chart.minimumSizeHint().width(), 520, 9):
        chart.resize(width, 180)
        assert_title_and_legend_fit(chart)
        chart.grab()  # paints without error at this width


def test_a_score_on_the_right_axis_is_named_in_the_legend_only_once_it_has_values(qtbot):
    """KID can be off for a run: its legend entry must not sit there without a value all run long."""
    chart = LineChart("Quality, lower is best")
    chart.add_series("swd", "SWD", "#8b72ff")
    chart.add_series("kid", "KID", "#2bb3a8", right_axis=True)
    qtbot.addWidget(chart)
    chart.resize(400, 200)
    texts = lambda: [text for row in chart.legend_rows()[0] for _, text, _ in row]  # noqa: E731
    assert texts() == ["SWD"]
    chart.append("swd", 1.0, 120.0)
    assert texts() == ["SWD 120"]
    chart.append("kid", 1.0, 950.0)
    assert texts() == ["SWD 120", "KID 950"]


@pytest.mark.parametrize("w,h", WINDOW_SIZES)
def test_explore_shows_a_four_column_grid_at_any_window_size(qtbot, make_window, exported_model, w, h):
    window = sized(qtbot, make_window(), w, h)
    page = window.explore_page
    try:
        with qtbot.waitSignal(page.model_opened, timeout=TIMEOUT_MS):
            window.explore_model(exported_model)
        qtbot.waitUntil(lambda: page.grid.is_complete() and page.shown is not None, timeout=TIMEOUT_MS)
        qtbot.wait(20)
        grid = page.grid.list
        assert page.grid.columns() == 4
        fourth = grid.visualItemRect(grid.item(3))
        assert fourth.right() <= grid.viewport().width()  # the whole row is in view, not behind a scroll bar
        assert grid.iconSize().width() >= 40
    finally:
        page.shutdown()
