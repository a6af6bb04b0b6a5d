"""The app's smaller pieces: presets to TrainConfig, chart downsampling, palettes, run folder reading."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from ganstudio.app.charts import LineChart, downsample, nice_ticks, tick_label
from ganstudio.app.presets import TrainingChoices, build_config, cadence, preset_resolution, PRESETS_BY_KEY
from ganstudio.app.runs import format_duration, read_history, unique_run_dir
from ganstudio.app.theme import apply_theme, style_sheet, DARK, LIGHT


@pytest.mark.parametrize(
    ("preset", "suggested", "device", "resolution", "minutes"),
    [("quick", 128, "cpu", 32, 5), ("balanced", 128, "cpu", 64, 30), ("balanced", 256, "cuda", 128, 30),
     ("best", 256, "cuda", 256, 120), ("best", 32, "cpu", 32, 120)],
)
def test_presets_pick_resolution_and_length(preset, suggested, device, resolution, minutes):
    config = build_config(TrainingChoices().with_preset(preset), suggested_resolution=suggested, device_type=device)
    assert config.model.resolution == resolution and config.minutes == minutes and config.kimg is None
    assert config.metric_images == PRESETS_BY_KEY[preset].metric_images
    assert 0 < config.snapshot_kimg < config.checkpoint_kimg


def test_advanced_choices_reach_the_config():
    choices = TrainingChoices(preset="custom", resolution=64, batch=8, g_lr=1e-3, d_lr=5e-4, augment=(), seed=7,
                              device="cpu", length_unit="kimg", length=40, classes=True)
    config = build_config(choices, suggested_resolution=32, device_type="cpu", num_classes=3)
    assert (config.model.resolution, config.batch, config.g_lr, config.d_lr, config.seed, config.device) == (64, 8, 1e-3, 5e-4, 7, "cpu")
    assert config.kimg == 40 and config.minutes is None and config.model.num_classes == 3
    assert config.augment == "none" and config.augment_p == 0.0


@pytest.mark.parametrize(("resolution", "device"), [(32, "cpu"), (64, "cpu"), (128, "cuda"), (256, "cuda")])
def test_the_panel_trains_the_cores_recipe_when_nothing_is_changed(resolution, device):
    """One set of defaults (issue 16): the app's untouched panel, the CLI and default_config agree."""
    from ganstudio.core.config import default_config

    choices = TrainingChoices(preset="custom", resolution=resolution)
    ours = build_config(choices, suggested_resolution=resolution, device_type=device)
    recipe = default_config(resolution, device)
    timing = dict(kimg=None, minutes=None, snapshot_kimg=0.0, checkpoint_kimg=0.0, metric_images=0)
    assert ours.replace(**timing) == recipe.replace(**timing)


def test_choices_round_trip_and_survive_bad_settings():
    choices = TrainingChoices().with_preset("best")
    assert TrainingChoices.from_dict(json.loads(json.dumps(choices.to_dict()))) == choices
    assert TrainingChoices.from_dict({"preset": "nonsense", "resolution": 48, "bogus": 1}) == TrainingChoices()


def test_cadence_aims_for_a_usable_timeline():
    snapshot, checkpoint = cadence(300.0)  # ~ 30 minutes at 64 px... on a fast machine
    assert 300 / snapshot <= 150 and checkpoint >= 2 * snapshot
    assert cadence(1.0)[0] == 0.25 and preset_resolution(PRESETS_BY_KEY["quick"], 256, "cuda") == 64


def test_downsampling_keeps_spikes_and_the_mean():
    x = np.linspace(0, 100, 100_000)
    y = np.sin(x)
    y[50_000] = 40.0  # one spike must survive as the band's max
    xs, mean, lo, hi = downsample(x, y, 0, 100, 500)
    assert len(xs) == 500 and hi.max() == 40.0 and lo.min() >= -1.0
    assert abs(mean.mean() - y.mean()) < 0.01
    assert nice_ticks(0, 1) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tick_label(-1e-17, [-2.0, 0.0, 2.0]) == tick_label(-0.0, [-2.0, 0.0, 2.0]) == "0"  # not "-0"


def test_a_long_chart_paints(qtbot):
    chart = LineChart("Losses")
    qtbot.addWidget(chart)
    chart.add_series("g", "G", "#e4572e")
    chart.set_data("g", np.arange(200_000) / 1000, np.random.default_rng(0).normal(size=200_000))
    chart.append("g", 200.0, float("nan"))  # ignored, not drawn
    chart.resize(400, 200)
    assert not chart.grab().isNull() and chart.point_count() == 200_000


def test_kid_is_charted_on_its_own_axis_live_and_from_the_log(qtbot):
    from ganstudio.app.charts import ChartsPanel
    from ganstudio.app.runs import History
    from ganstudio.core.training import events as ev

    panel = ChartsPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 400)
    panel.add_metric(ev.Metric(step=10, kimg=1.0, values={"swd": 60.0, "kid": 900.0}, name="swd", is_best=True))
    panel.add_metric(ev.Metric(step=20, kimg=2.0, values={"swd": 40.0, "kid": 500.0}, name="swd", is_best=True))
    chart = panel.quality
    assert chart.series["kid"].y.values.tolist() == [900.0, 500.0]
    # The left axis spans SWD alone, so KID's ~1000 does not flatten it; the best marker is SWD's.
    _, _, y0, y1 = chart._ranges()
    assert 30 < y0 < 40 and 60 < y1 < 70 and chart.markers == [(2.0, 40.0, "swd")]
    assert not chart.grab().isNull()

    history = History(metrics=[ev.Metric(10, 1.0, {"swd": 50.0, "kid": 700.0}, "swd", True),
                               ev.Metric(20, 2.0, {"swd": 45.0}, "swd", True)])  # a run without KID's weights
    panel.load_history(history)
    assert chart.series["swd"].y.values.tolist() == [50.0, 45.0] and chart.markers == [(2.0, 45.0, "swd")]
    assert chart.series["kid"].y.values.tolist() == [700.0]  # no point where there was no score

    # A run whose best is marked by KID: the circle sits on KID's curve, on the right-hand axis.
    panel.clear()
    panel.add_metric(ev.Metric(step=10, kimg=1.0, values={"swd": 60.0, "kid": 900.0}, name="kid", is_best=True))
    panel.add_metric(ev.Metric(step=20, kimg=2.0, values={"swd": 40.0, "kid": 500.0}, name="kid", is_best=True))
    panel.add_metric(ev.Metric(step=30, kimg=3.0, values={"swd": 30.0, "kid": 700.0}, name="kid", is_best=False))
    assert chart.markers == [(2.0, 500.0, "kid")] and chart.series["kid"].right_axis
    _, _, y0, y1 = chart._ranges()
    assert not y0 < 500.0 < y1  # on the left (SWD) axis it would fall off the plot
    assert not chart.grab().isNull()


@pytest.mark.parametrize(("choice", "dark"), [("dark", True), ("light", False)])
def test_palettes_and_style_sheet(qapp, choice, dark):
    assert apply_theme(qapp, choice) == choice
    window = QApplication.palette().color(QPalette.ColorRole.Window)
    assert (window.lightness() < 128) == dark
    assert "{{" not in style_sheet(DARK if dark else LIGHT)
    apply_theme(qapp, "light")


def test_run_folder_reading(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    lines = [{"step": 10, "kimg": 0.16, "losses": {"g": 1}}, {"step": 20, "kimg": 0.32, "losses": {"g": 2}},
             {"step": 10, "kimg": 0.16, "metrics": {"swd": 5.0}},
             {"step": 20, "kimg": 0.32, "warning": {"what": "nan", "why": "x", "action": "y"}},
             {"step": 15, "kimg": 0.24, "losses": {"g": 3}}]  # resumed from step 10 after a crash
    (run / "log.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n{cut sho")
    history = read_history(run)
    assert [p.step for p in history.progress] == [10, 15] and history.progress[-1].stat("g") == 3.0
    assert len(history.metrics) == 1 and history.warnings[0].what == "nan"
    (tmp_path / "cats").mkdir()
    assert unique_run_dir(tmp_path, "cats").name == "cats-2" and unique_run_dir(tmp_path, "my cats!").name == "my-cats"
    assert format_duration(3909) == "1:05:09" and format_duration(401) == "6:41"


def test_opening_custom_settings_lights_no_preset(qtbot):
    from ganstudio.app.options_panel import OptionsPanel

    panel = OptionsPanel()
    qtbot.addWidget(panel)
    panel.set_choices(TrainingChoices().with_preset("balanced"))
    assert panel.preset_buttons["balanced"].isChecked()
    panel.set_choices(TrainingChoices(preset="custom", resolution=32))
    assert not any(b.isChecked() for b in panel.preset_buttons.values()) and panel.choices().preset == "custom"
    panel.preset_buttons["quick"].click()
    assert panel.choices() == TrainingChoices(resolution=None).with_preset("quick")


def test_unpausing_brings_back_the_sessions_length_in_the_progress_text(qtbot):
    from ganstudio.app.progress_strip import ProgressStrip
    from ganstudio.core.training import events as ev

    strip = ProgressStrip()
    qtbot.addWidget(strip)
    strip.progress(ev.Progress(10, 1.5, 80.0, 60.0, 0.25, {"g": 1.0, "d": 1.0, "d_real": 0.6, "d_fake": 0.4}), target_kimg=6.0)
    assert strip.bar.format() == "1.50 of 6 kimg  (25%)"
    strip.paused(True)
    assert strip.bar.format().endswith("(paused)")
    strip.paused(False)
    assert strip.bar.format() == "1.50 of 6 kimg  (25%)"


def test_a_child_process_output_is_read_in_lines_and_its_error_picked_out(qtbot):
    from ganstudio.app.child import ChildProcess

    child = ChildProcess()
    lines = []
    child.readyReadStandardOutput.connect(lambda: lines.extend(child.read_lines()))
    script = "import sys; print('exporting: stage one'); print('error: the file is damaged', file=sys.stderr, flush=True); print('tail', end='')"
    child.start(sys.executable, ["-c", script])
    assert child.waitForFinished(30000)
    lines += child.read_rest()
    assert lines == ["exporting: stage one", "error: the file is damaged", "tail"]
    assert child.said() == "the file is damaged" and child.last_line() == "tail"
    assert child.output.splitlines() == lines


def test_the_general_model_is_offered_first_even_before_any_run(qtbot):
    from ganstudio.app.options_panel import OptionsPanel
    from ganstudio.app.runs import starting_points
    from ganstudio.core.training.start_from import open_parent
    from ganstudio.infer.builtin import general_model_dir

    general = starting_points([])  # no past run at all: a first run on forty photos
    assert [r.path for r in general] == [general_model_dir()] and general[0].is_general_model
    parent = open_parent("general")  # the shipped one reads back whole and fits its model (fp16 weights)
    assert parent.model.resolution == 64 == general[0].resolution

    panel = OptionsPanel()
    qtbot.addWidget(panel)
    panel.set_parents(general)
    panel.set_mode("new")
    assert panel.start_from.isVisibleTo(panel) and panel.start_from.itemData(0) is None  # from scratch stays the default
    assert panel.start_from.itemText(1).startswith("GAN Studio's general model")
    assert "head start" in panel.start_from.itemData(1, Qt.ItemDataRole.ToolTipRole)
    panel.start_from.setCurrentIndex(1)
    assert panel.parent_run() is general[0] and panel.resolution.currentData() == 64 and not panel.resolution.isEnabled()
    assert panel.start_from_note.text().startswith("Starts from GAN Studio's general model's best checkpoint")
