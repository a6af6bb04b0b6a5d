"""The run's timeline: a slider over its sample grids (samples/NNNNNNN.png), following the live
grid until the user scrubs back, and saving the frames as a GIF or an MP4."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from ganstudio.app.runs import sample_path, sample_steps
from ganstudio.app.tasks import BackgroundTask

CACHE_FRAMES = 48  # decoded grids kept around, so scrubbing back and forth does not re-read PNGs
MAX_GIF_FRAMES = 240  # GIF keeps every frame in memory for its palette pass; thin longer runs
MIN_ANIMATION_SIDE = 512  # small grids are enlarged (nearest) so the animation is watchable


class Timeline(QWidget):
    frame_selected = Signal(QImage, int)  # the grid and its step, for the grid view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.batch = 16
        self.steps: list[int] = []
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Scrub back through the grids saved during training (Left/Right, Home/End).")
        self.slider.valueChanged.connect(self._show_index)
        self.label = QLabel("No snapshots yet")
        self.label.setProperty("role", "muted")
        self.label.setMinimumWidth(120)
        self.live_button = QPushButton("Live")
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip("Follow the newest grid as training makes it (Ctrl+L).")
        self.live_button.clicked.connect(self.go_live)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.live_button)

    # ---- content ----------------------------------------------------------------------

    def set_run(self, run_dir: Path | None, batch: int = 16) -> None:
        """Show an existing run's grids (or none), positioned on the newest."""
        self.run_dir, self.batch = run_dir, batch
        self._cache.clear()
        self.steps = sample_steps(run_dir) if run_dir else []
        self._sync_slider(follow=True)

    def add_snapshot(self, step: int, image: QImage) -> None:
        """A new grid from training; the view follows it unless the user scrubbed back."""
        follow = self.following_live
        if step in self.steps:  # a resumed run rewrites grids past its checkpoint
            self.steps = [s for s in self.steps if s < step]
        self.steps.append(step)
        self._remember(step, image)
        self._sync_slider(follow)

    @property
    def following_live(self) -> bool:
        return not self.steps or self.slider.value() >= len(self.steps) - 1

    def go_live(self) -> None:
        if self.steps:
            self.slider.setValue(len(self.steps) - 1)
        self.live_button.setChecked(True)

    def frame_paths(self) -> list[Path]:
        return [sample_path(self.run_dir, s) for s in self.steps] if self.run_dir else []

    # ---- internals --------------------------------------------------------------------

    def _sync_slider(self, follow: bool) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.steps) - 1))
        self.slider.setEnabled(len(self.steps) > 1)
        if follow:
            self.slider.setValue(len(self.steps) - 1)
        self.slider.blockSignals(False)
        if follow or len(self.steps) <= 1:
            self._show_index(self.slider.value())
        else:
            self._update_label(self.slider.value())

    def _remember(self, step: int, image: QImage) -> None:
        self._cache[step] = image
        self._cache.move_to_end(step)
        while len(self._cache) > CACHE_FRAMES:
            self._cache.popitem(last=False)

    def _image(self, step: int) -> QImage:
        image = self._cache.get(step)
        if image is None and self.run_dir is not None:
            image = QImage(str(sample_path(self.run_dir, step)))
            if not image.isNull():
                self._remember(step, image)
        return image if image is not None else QImage()

    def _update_label(self, index: int) -> None:
        if not self.steps:
            self.label.setText("No snapshots yet")
            return
        step = self.steps[index]
        live = index == len(self.steps) - 1
        self.live_button.setChecked(live)
        self.label.setText(f"{step * self.batch / 1000:.2f} kimg · step {step:,} · {index + 1} of {len(self.steps)}")

    def _show_index(self, index: int) -> None:
        self._update_label(index)
        if self.steps:
            step = self.steps[index]
            self.frame_selected.emit(self._image(step), step)


def save_animation(frames: list[Path], out: Path) -> BackgroundTask:
    """Write the grids as out (.gif or .mp4) in a background task; reports (done, total)."""

    def work(report) -> Path:  # noqa: ANN001
        import numpy as np
        from PIL import Image

        from ganstudio.infer.animation import write_animation  # PyAV loads only for MP4

        chosen = frames
        if out.suffix.lower() == ".gif" and len(frames) > MAX_GIF_FRAMES:
            picks = np.linspace(0, len(frames) - 1, MAX_GIF_FRAMES).round().astype(int)
            chosen = [frames[i] for i in picks]
        with Image.open(chosen[0]) as first:
            scale = max(1, MIN_ANIMATION_SIDE // max(first.size))
        images = (np.asarray(Image.open(p).convert("RGB")) for p in chosen)
        fps = 10 if len(chosen) >= 30 else 4  # a handful of frames at 10 fps would flash by
        return write_animation(out, images, fps=fps, count=len(chosen), progress=lambda d, t: report((d, t)), scale=scale)

    return BackgroundTask(work, doing="saving the timeline")
