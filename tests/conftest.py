"""Shared fixtures: tiny models and generated image folders, so the suite stays fast."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never touch the user's decode cache.
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "decode-cache"))
    # ...nor its list of known runs (each test starts with none).
    monkeypatch.setenv("GANSTUDIO_STATE_DIR", str(tmp_path_factory.mktemp("state")))


def make_image_folder(folder: Path, count: int = 24, size: int = 48, classes: tuple[str, ...] = ()) -> Path:
    """Coloured ellipses and boxes on plain backgrounds, deterministic."""
    rng = np.random.default_rng(0)
    for i in range(count):
        sub = folder / classes[i % len(classes)] if classes else folder
        sub.mkdir(parents=True, exist_ok=True)
        bg = tuple(int(v) for v in rng.integers(0, 256, 3))
        fg = tuple(int(v) for v in rng.integers(0, 256, 3))
        im = Image.new("RGB", (size, size), bg)
        x0, y0 = rng.integers(0, size // 2, 2)
        x1, y1 = np.array([x0, y0]) + rng.integers(size // 4, size // 2, 2)
        draw = ImageDraw.Draw(im)
        (draw.ellipse if i % 2 else draw.rectangle)([int(x0), int(y0), int(x1), int(y1)], fill=fg)
        im.save(sub / f"img_{i:03d}.png")
    return folder


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / "images")


def tiny_train_config(**changes):
    """A TrainConfig of a tiny 32 px GAN that trains in seconds; `changes` as TrainConfig takes them
    (and num_classes for the model)."""
    from ganstudio.core.config import TrainConfig

    defaults = dict(
        model=tiny_model_config(num_classes=changes.pop("num_classes", 0)), batch=8, snapshot_kimg=0.032,
        checkpoint_kimg=0.064, metric_images=64, grid_size=4, log_interval=2, r1_interval=2,
        kid=False,  # the pretrained scoring network costs seconds; tests/test_model_sizes.py covers it
    )
    defaults.update(changes)
    return TrainConfig(**defaults)


@pytest.fixture
def tiny_config():
    return tiny_train_config


def tiny_model_config(resolution: int = 32, num_classes: int = 0):
    from ganstudio.core.config import ModelConfig

    return ModelConfig(
        resolution=resolution, latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256,
        max_channels=32, min_channels=8, num_classes=num_classes,
    )


def make_run_folder(path: Path, model, classes: tuple[str, ...] = (), seed: int = 0, source: Path | None = None) -> Path:
    """A run folder with one checkpoint of an untrained (seeded) generator: what export needs,
    without the cost of training at every resolution. Its training pictures are in `source`, or
    nowhere (export then skips the copy check)."""
    import torch

    from ganstudio.core.config import TrainConfig
    from ganstudio.core.models import Generator
    from ganstudio.core.training.checkpoint import save_checkpoint
    from ganstudio.core.training.runfolder import RunFolder

    folder = RunFolder(path)
    dataset = {"name": "shapes", "source": str(source) if source else "generated", "fingerprint": "0", "images": 24, "skipped": 0, "classes": list(classes)}
    folder.create(TrainConfig(model=model), dataset)
    torch.manual_seed(seed)
    G = Generator(model)
    with torch.no_grad():  # a w_avg away from zero, as after training, so truncation does something
        G.mapping.w_avg.copy_(torch.randn(model.w_dim) * 0.1)
    tensors = {f"G_ema.{k}": v for k, v in G.state_dict().items()}
    save_checkpoint(folder.checkpoints, 40, tensors, {"step": 40, "images_seen": 320})
    return path


@pytest.fixture(scope="session")
def exported_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported unconditional 32 px generator, shared by the inference tests, with the training
    index its training pictures give it."""
    from ganstudio.core.export import export_generator

    base = tmp_path_factory.mktemp("export")
    pictures = make_image_folder(base / "pictures", size=32)
    return export_generator(make_run_folder(base / "run", tiny_model_config(), source=pictures)).path


@pytest.fixture(scope="session")
def with_encoder(tmp_path_factory: pytest.TempPathFactory):
    """A tiny generator exported with an encoder trained for a few seconds (ExportResult), and its run."""
    from ganstudio.core.export import export_generator

    base = tmp_path_factory.mktemp("project")
    run = make_run_folder(base / "run", tiny_model_config(), source=make_image_folder(base / "pictures", size=32))
    return export_generator(run, encoder_seconds=4.0), run


@pytest.fixture(scope="session")
def exported_conditional_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ganstudio.core.export import export_generator

    run = make_run_folder(tmp_path_factory.mktemp("export") / "cond", tiny_model_config(num_classes=3), ("cat", "dog", "owl"))
    return export_generator(run).path


@pytest.fixture(scope="module")
def gc_on_the_gui_thread(qapp):
    """As the app does (ganstudio.app.gc_guard): a Qt object freed by a collection that happens to
    run on a worker thread would be destroyed on the wrong thread. For the app's test modules."""
    from ganstudio.app.gc_guard import GuiGarbageCollector

    guard = GuiGarbageCollector().start()
    yield
    guard.stop()


@pytest.fixture
def wait_event(qtbot):
    """`with wait_event(session, ev.Progress):` waits for a training session's next event of that
    kind (a session sends every event through its one `event` signal)."""

    def wait(session, kind: type, timeout: int = 60_000):
        return qtbot.waitSignal(session.event, timeout=timeout, check_params_cb=lambda event: isinstance(event, kind))

    return wait


# ---- the app's main window, offscreen ----------------------------------------------------------

WINDOW_TIMEOUT_MS = 60_000


class Dialogs:
    """Stands in for QMessageBox.exec: records each dialog and gives a chosen answer."""

    def __init__(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.shown: list[tuple[QMessageBox.Icon, str, str]] = []
        self.titles: list[str] = []  # each dialog's window title, in order
        self.details: list[str] = []  # each dialog's Show Details text ("" for none), in order
        self.buttons: list[list[str]] = []  # each dialog's button texts, in order
        self.answer = QMessageBox.StandardButton.Yes  # for questions, and for any dialog that offers this button

    def exec(self, box):  # noqa: ANN001, ANN201
        from PySide6.QtWidgets import QMessageBox

        self.shown.append((box.icon(), box.text(), box.informativeText()))
        self.titles.append(box.windowTitle())
        self.details.append(box.detailedText())
        self.buttons.append([b.text() for b in box.buttons()])
        if box.icon() == QMessageBox.Icon.Question or box.button(self.answer) is not None:
            return self.answer
        return QMessageBox.StandardButton.Ok

    def errors(self) -> list[tuple[str, str]]:
        from PySide6.QtWidgets import QMessageBox

        return [(text, info) for icon, text, info in self.shown if icon == QMessageBox.Icon.Critical]


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    from PySide6.QtWidgets import QMessageBox

    d = Dialogs()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: d.exec(box))
    return d


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from ganstudio.app.settings import Settings

    s = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    s.runs_dir = tmp_path / "runs"
    return s


@pytest.fixture
def make_window(qtbot, settings, dialogs):
    """Main windows on a private settings file, their training threads stopped and joined after."""
    from ganstudio.app.main_window import MainWindow

    windows = []

    def make():  # noqa: ANN202
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:  # never leave a training thread behind a failed test
        session = window.train_page.session
        if session is not None:
            session.stop()
            session.wait(WINDOW_TIMEOUT_MS)
        if window._export_task is not None:  # a completed run exports itself, in a child process
            window._export_task.cancel()
            window._export_task.wait(WINDOW_TIMEOUT_MS)
    from ganstudio.app.tasks import wait_for_all

    wait_for_all(WINDOW_TIMEOUT_MS)  # nor a background task: pytest-qt has closed the windows
