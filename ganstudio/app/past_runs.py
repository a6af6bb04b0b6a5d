"""The start page's list of past runs: latest grid, status, and Open / Resume buttons.

Run folders are read without torch (app/runs.py); their grids are loaded and shrunk in a
background task, so a long list never delays the first window."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ganstudio.app.runs import RunInfo, age_text, list_runs
from ganstudio.app.tasks import BackgroundTask

THUMB = 72


def load_thumbnails(runs: list[RunInfo], size: int, then: Callable[[dict[Path, QImage]], None]) -> BackgroundTask | None:
    """Load the runs' latest grids, shrunk to `size`, off the GUI thread; `then({run path: image})`."""
    runs = [r for r in runs if r.latest_sample is not None]
    if not runs:
        return None

    def work(report) -> dict[Path, QImage]:  # noqa: ANN001
        # QImage (unlike QPixmap) may be used off the GUI thread.
        out = {}
        for run in runs:
            image = QImage(str(run.latest_sample))
            if not image.isNull():
                out[run.path] = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        return out

    task = BackgroundTask(work, doing="loading run previews")
    task.succeeded.connect(then)
    return task.start()


class RunRow(QFrame):
    open_clicked = Signal(Path)
    resume_clicked = Signal(Path)

    def __init__(self, run: RunInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setProperty("role", "muted")
        self.thumb.setText("no grid" if run.latest_sample is None else "…")
        name = QLabel(f"<b>{run.name}</b>")
        data = "demo data" if run.is_demo else f"{run.images} images from {run.dataset_name}"
        details = QLabel(f"{data} · {run.resolution} px<br>{run.status_text()} · {age_text(run.modified)}")
        details.setProperty("role", "muted")
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(name)
        text.addWidget(details)
        text.addStretch(1)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip(f"Look at this run's timeline and charts, export it, or train it further.\n{run.path}")
        self.open_button.clicked.connect(lambda: self.open_clicked.emit(run.path))
        # A run that reached its length is not waiting to be resumed: it can be trained further.
        self.resume_button = QPushButton("Train longer" if run.completed else "Resume")
        self.resume_button.setToolTip(("Train this finished run further" if run.completed else "Continue training") +
                                      " from the latest checkpoint: weights, optimiser, augmentation\n"
                                      "and random state are all restored.")
        self.resume_button.setEnabled(run.step > 0)
        self.resume_button.clicked.connect(lambda: self.resume_clicked.emit(run.path))
        buttons = QVBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.resume_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.thumb)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)

    def set_thumbnail(self, image: QImage) -> None:
        self.thumb.setPixmap(QPixmap.fromImage(image))


class PastRunsList(QListWidget):
    open_run = Signal(Path)
    resume_run = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.rows: dict[Path, RunRow] = {}
        self._task: BackgroundTask | None = None

    def refresh(self, roots: list[Path]) -> list[RunInfo]:
        runs = list_runs(roots)
        self.clear()
        self.rows.clear()
        for run in runs:
            row = RunRow(run)
            row.open_clicked.connect(self.open_run)
            row.resume_clicked.connect(self.resume_run)
            item = QListWidgetItem(self)
            item.setSizeHint(QSize(200, THUMB + 14))
            self.setItemWidget(item, row)
            self.rows[run.path] = row
        self._task = load_thumbnails(runs, THUMB, self._show_thumbnails)
        return runs

    def _show_thumbnails(self, images: dict[Path, QImage]) -> None:
        for path, image in images.items():
            row = self.rows.get(path)
            if row is not None:
                row.set_thumbnail(image)
