"""The start page: a new run from a folder (chosen or dropped), the demo data, and past runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QStyle,
    QVBoxLayout, QWidget,
)

from ganstudio.app.errors import AppError
from ganstudio.app.folder_scan import THUMB_SIZE, FolderSummary, summarise_folder
from ganstudio.app.grid_view import grid_to_qimage
from ganstudio.app.past_runs import PastRunsList
from ganstudio.app.presets import PRESETS_BY_KEY, estimated_speed, preset_resolution
from ganstudio.app.resources import app_icon
from ganstudio.app.runs import read_run
from ganstudio.app.tasks import BackgroundTask


def card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("card", True)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 14, 18, 14)
    layout.setSpacing(8)
    return frame, layout


def label(text: str, role: str | None = None, wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    return widget


class DropCard(QFrame):
    """A card that takes a folder dropped from the file manager."""

    folder_dropped = Signal(Path)

    def __init__(self) -> None:
        super().__init__()
        self.setProperty("card", True)
        self.setAcceptDrops(True)

    def _folder(self, event: QDragEnterEvent | QDropEvent) -> Path | None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            return None
        path = Path(urls[0].toLocalFile())
        return path if path.is_dir() else path.parent

    def _set_highlight(self, on: bool) -> None:
        self.setProperty("drop", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._folder(event) is not None:
            self._set_highlight(True)
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001
        self._set_highlight(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_highlight(False)
        folder = self._folder(event)
        if folder is not None:
            event.acceptProposedAction()
            self.folder_dropped.emit(folder)


class StartPage(QWidget):
    new_run = Signal(object)  # FolderSummary
    demo_requested = Signal()
    open_run = Signal(Path)
    resume_run = Signal(Path)  # Past runs' Resume / Train longer
    continue_interrupted = Signal(Path)  # the banner's Resume: the session the app was closed in
    scan_failed = Signal(object)  # AppError
    change_runs_dir = Signal()
    explore_requested = Signal()  # the artist's way in: a trained model, no training
    upscale_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: FolderSummary | None = None
        self._scan_task: BackgroundTask | None = None
        self._interrupted: Path | None = None
        self.last_folder = ""

        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(56, 56))
        header.addWidget(icon)
        titles = QVBoxLayout()
        titles.addWidget(label("GAN Studio", "title", wrap=False))
        titles.addWidget(label("Point it at a folder of pictures; it learns to make new ones.", "muted"))
        header.addLayout(titles, 1)

        self.banner, banner_layout = self._build_banner()
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addLayout(header)
        left.addWidget(self.banner)
        left.addWidget(self._build_new_run(), 1)
        left.addWidget(self._build_demo())
        left.addWidget(self._build_use_a_model())

        right = QVBoxLayout()
        right.addWidget(label("Past runs", "heading"))
        runs_row = QHBoxLayout()
        self.runs_dir_label = label("", "muted")
        runs_row.addWidget(self.runs_dir_label, 1)
        change = QPushButton("Change…")
        change.setToolTip("Choose the folder where new runs are saved and past runs are listed from.")
        change.clicked.connect(self.change_runs_dir)
        runs_row.addWidget(change)
        right.addLayout(runs_row)
        self.past_runs = PastRunsList()
        self.past_runs.setToolTip("Runs in the runs folder and runs you opened, newest first.")
        self.past_runs.open_run.connect(self.open_run)
        self.past_runs.resume_run.connect(self.resume_run)
        right.addWidget(self.past_runs, 1)
        self.no_runs = label("No runs yet. Start one on the left: the demo takes a few minutes.", "muted")
        self.no_runs.setAlignment(Qt.AlignmentFlag.AlignTop)
        right.addWidget(self.no_runs, 1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(24)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    # ---- building ---------------------------------------------------------------------

    def _build_banner(self) -> tuple[QFrame, QHBoxLayout]:
        frame = QFrame()
        frame.setProperty("banner", True)
        layout = QHBoxLayout(frame)
        self.banner_text = label("")
        layout.addWidget(self.banner_text, 1)
        self.banner_resume = QPushButton("Resume")
        self.banner_resume.setProperty("primary", True)
        self.banner_resume.setToolTip("Continue this run from its latest checkpoint.")
        self.banner_resume.clicked.connect(self._resume_interrupted)
        dismiss = QPushButton("Not now")
        dismiss.setToolTip("Hide this; the run stays in the list of past runs.")
        dismiss.clicked.connect(lambda: self.offer_resume(None))
        layout.addWidget(self.banner_resume)
        layout.addWidget(dismiss)
        frame.hide()
        return frame, layout

    def _build_new_run(self) -> QFrame:
        frame = DropCard()
        frame.folder_dropped.connect(self.scan)
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(label("New run", "heading"))
        row = QHBoxLayout()
        row.addWidget(label("Choose a folder of pictures, or drop one here. Subfolders are searched too.", "muted"), 1)
        self.choose_button = QPushButton("Choose folder…")
        self.choose_button.setProperty("primary", True)
        self.choose_button.setToolTip("Pick the folder that holds your images (Ctrl+N).")
        self.choose_button.clicked.connect(self.choose_folder)
        row.addWidget(self.choose_button)
        layout.addLayout(row)
        self.drop_hint = label("Drop a folder of pictures here\n\nJPEG, PNG, WebP, BMP, GIF or TIFF; a few hundred or more is best", "drop-hint")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setMinimumHeight(120)
        layout.addWidget(self.drop_hint, 1)
        self.scan_status = label("", "muted")
        self.scan_progress = QProgressBar()
        self.scan_progress.hide()
        layout.addWidget(self.scan_status)
        layout.addWidget(self.scan_progress)
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListWidget.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.thumbs.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.thumbs.setMovement(QListWidget.Movement.Static)
        self.thumbs.setSpacing(4)
        self.thumbs.setGridSize(QSize(THUMB_SIZE + 8, THUMB_SIZE + 8))
        self.thumbs.setUniformItemSizes(True)
        self.thumbs.setToolTip("A sample of your pictures, cropped square as training will see them.")
        self.skipped = QListWidget()
        self.skipped.setToolTip("Files that cannot be used, and why. Training goes on without them.")
        self.skipped.setMaximumHeight(110)
        self.skipped_title = label("", "muted")
        layout.addWidget(self.thumbs, 1)
        layout.addWidget(self.skipped_title)
        layout.addWidget(self.skipped)
        bottom = QHBoxLayout()
        self.suggestion = label("", "muted")
        bottom.addWidget(self.suggestion, 1)
        self.continue_button = QPushButton("Set up training →")
        self.continue_button.setProperty("primary", True)
        self.continue_button.setToolTip("Choose a preset and start training on this folder.")
        self.continue_button.clicked.connect(lambda: self.summary and self.new_run.emit(self.summary))
        bottom.addWidget(self.continue_button)
        layout.addLayout(bottom)
        self._show_summary_widgets(False)
        return frame

    def _build_demo(self) -> QFrame:
        frame, layout = card()
        row = QHBoxLayout()
        text = QVBoxLayout()
        text.addWidget(label("Try the demo data", "heading"))
        text.addWidget(label("Coloured shapes drawn by code: watch a GAN learn in a few minutes, nothing to download.", "muted"))
        row.addLayout(text, 1)
        self.demo_button = QPushButton("Try the demo")
        self.demo_button.setToolTip("Start a Quick look run on the built-in demo shapes (Ctrl+Shift+D).")
        self.demo_button.clicked.connect(self.demo_requested)
        row.addWidget(self.demo_button)
        layout.addLayout(row)
        return frame

    def _build_use_a_model(self) -> QFrame:
        frame, layout = card()
        row = QHBoxLayout()
        text = QVBoxLayout()
        text.addWidget(label("Use a trained model", "heading"))
        text.addWidget(label("Explore what an exported model makes, or enlarge pictures with an upscaler.", "muted"))
        row.addLayout(text, 1)
        self.explore_button = QPushButton("Explore a model…")
        self.explore_button.setToolTip("Open an exported generator (.onnx) on the Explore page (Ctrl+Shift+O).")
        self.explore_button.clicked.connect(self.explore_requested)
        self.upscale_button = QPushButton("Upscale pictures…")
        self.upscale_button.setToolTip("Enlarge pictures with the built-in upscaler or one you trained (Ctrl+Shift+U).")
        self.upscale_button.clicked.connect(self.upscale_requested)
        row.addWidget(self.explore_button)
        row.addWidget(self.upscale_button)
        layout.addLayout(row)
        return frame

    def _show_summary_widgets(self, shown: bool) -> None:
        for w in (self.thumbs, self.suggestion, self.continue_button):
            w.setVisible(shown)
        self.drop_hint.setVisible(not shown)
        has_skipped = shown and self.skipped.count() > 0
        self.skipped.setVisible(has_skipped)
        self.skipped_title.setVisible(has_skipped)

    # ---- folder -----------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures", self.last_folder or str(Path.home()))
        if folder:
            self.scan(Path(folder))

    def scan(self, folder: Path) -> BackgroundTask:
        """Look through `folder` in the background; ends in show_summary or scan_failed."""
        self.last_folder = str(folder)
        self.summary = None
        self.thumbs.clear()
        self.skipped.clear()
        self._show_summary_widgets(False)
        self.scan_status.setText(f"Looking through {folder}…")
        self.scan_progress.setRange(0, 0)
        self.scan_progress.show()
        self.choose_button.setEnabled(False)
        task = BackgroundTask(lambda report: summarise_folder(folder, report), doing="scanning")
        task.progressed.connect(self._scan_progressed)
        task.succeeded.connect(self.show_summary)
        task.failed.connect(self._scan_failed)
        self._scan_task = task.start()
        return task

    def _scan_progressed(self, done_total: tuple[int, int]) -> None:
        done, total = done_total
        self.scan_progress.setRange(0, total)
        self.scan_progress.setValue(done)

    def _scan_failed(self, error: AppError) -> None:
        self.choose_button.setEnabled(True)
        self.scan_progress.hide()
        self.scan_status.setText("That folder cannot be used. Choose another one.")
        self.scan_failed.emit(error)

    def show_summary(self, summary: FolderSummary) -> None:
        self.summary = summary
        self.choose_button.setEnabled(True)
        self.scan_progress.hide()
        skipped = f"; {len(summary.skipped)} skipped" if summary.skipped else ""
        classes = f" in {len(summary.class_names)} subfolders" if summary.class_names else ""
        self.scan_status.setText(f"<b>{summary.count} pictures</b> found in {summary.root}{classes}{skipped}.")
        for thumb in summary.thumbnails:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(grid_to_qimage(thumb.pixels))), "")
            item.setToolTip(str(thumb.path.relative_to(summary.root)))
            self.thumbs.addItem(item)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for path, reason in summary.skipped:
            shown = path.relative_to(summary.root) if path.is_relative_to(summary.root) else path
            self.skipped.addItem(QListWidgetItem(warning, f"{shown}: {reason}"))
        self.skipped_title.setText(f"Skipped {len(summary.skipped)}, and why:")
        if summary.count == 0:  # nothing to suggest and nothing to set up
            self.summary = None
            self.scan_status.setText(f"<b>Nothing to train on</b>: none of the {len(summary.skipped)} files in {summary.root} "
                                     "is a picture that can be read (why below). Choose another folder.")
            self._show_summary_widgets(True)
            for w in (self.thumbs, self.suggestion, self.continue_button):
                w.hide()
            return
        preset = PRESETS_BY_KEY["balanced"]
        resolution = preset_resolution(preset, summary.suggested_resolution, summary.device_type)
        kimg = preset.minutes * 60 * estimated_speed(resolution, summary.device_type) / 1000
        where = "your GPU" if summary.device_type == "cuda" else "this computer's CPU"
        few = " Under 100 pictures is few: expect the GAN to learn their look, not much variety." if summary.count < 100 else ""
        self.suggestion.setText(
            f"Suggested: <b>{resolution} px</b>, Balanced, about <b>{preset.minutes:.0f} minutes</b> on {where} "
            f"(≈{kimg:.0f} kimg). Your pictures suggest up to {summary.suggested_resolution} px.{few}"
        )
        self._show_summary_widgets(True)
        self.continue_button.setFocus()

    # ---- runs -------------------------------------------------------------------------

    def refresh_runs(self, roots: list[Path], runs_dir: Path) -> None:
        self.runs_dir_label.setText(f"Saved in {runs_dir}")
        runs = self.past_runs.refresh(roots)
        self.past_runs.setVisible(bool(runs))
        self.no_runs.setVisible(not runs)

    def offer_resume(self, run_dir: Path | None) -> None:
        """Show (or hide, with None) the banner offering to resume a run the app closed on."""
        self._interrupted = run_dir
        if run_dir is None:
            self.banner.hide()
            return
        try:
            info = read_run(run_dir)
        except (OSError, ValueError, TypeError, AttributeError):
            self.banner.hide()
            return
        self.banner_text.setText(f"<b>{info.name}</b> was still training when GAN Studio closed ({info.status_text()}). "
                                 "Resume it from its last checkpoint?")
        self.banner.show()

    def _resume_interrupted(self) -> None:
        if self._interrupted is not None:
            path = self._interrupted
            self.offer_resume(None)
            self.continue_interrupted.emit(path)
