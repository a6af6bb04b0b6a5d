"""The train page: settings, Start / Pause / Stop, progress, the live grid and its timeline,
charts and health warnings for one run. It shows what the worker's signals say; the training
itself happens in the core, in the worker's thread."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolButton, QVBoxLayout, QWidget,
)

from ganstudio.app.charts import ChartsPanel
from ganstudio.app.folder_scan import FolderSummary
from ganstudio.app.grid_view import GridView, grid_to_qimage
from ganstudio.app.options_panel import OptionsPanel
from ganstudio.app.presets import TrainingChoices, build_config
from ganstudio.app.priority_splitter import PrioritySplitter
from ganstudio.app.process_session import ProcessTrainingSession
from ganstudio.app.progress_strip import ProgressStrip
from ganstudio.app.runs import RunInfo, read_history, read_run
from ganstudio.app.tasks import BackgroundTask
from ganstudio.app.timeline import Timeline, save_animation
from ganstudio.app.warnings_panel import WarningsPanel
from ganstudio.app.worker import TrainingJob, TrainingSession
from ganstudio.core.config import TrainConfig
from ganstudio.core.training import events as ev

STATES = ("setup", "idle", "starting", "running", "paused", "stopping")
GRID_SHARE, CHARTS_SHARE = 0.4, 0.3  # of the page's width, at least / preferred
SETTINGS_SHARE = 0.28  # of the page's width, at most, that the settings take to show their words whole


def _button(text: str, tip: str, primary: bool = False) -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    if primary:
        b.setProperty("primary", True)
    return b


def _accent(button: QPushButton, primary: bool) -> None:
    """Move the accent colour (the style sheet's [primary="true"]) onto or off a button."""
    if bool(button.property("primary")) != primary:
        button.setProperty("primary", primary)
        button.style().unpolish(button)
        button.style().polish(button)


@dataclasses.dataclass(frozen=True)
class Controls:
    """What the train page offers now; its buttons and the window's menu items show the same."""

    start: bool
    pause: bool
    stop: bool
    snapshot: bool
    export: bool
    save_timeline: bool


class TrainPage(QWidget):
    back_requested = Signal()
    training_started = Signal(Path)
    training_ended = Signal(object)  # the last ev.Finished, or None when the run never began
    error = Signal(object)  # AppError for the main window to show
    status_message = Signal(str)
    export_requested = Signal(Path, bool)  # the run folder; True: open the model in Explore once exported
    explore_requested = Signal(Path)  # the run's newest exported model
    controls_changed = Signal(object)  # Controls: what the page offers now (the window's menu follows)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "setup"
        self.run_dir: Path | None = None
        self.data: Path | None = None  # image folder of a new run; None = demo
        self.summary: FolderSummary | None = None
        self.session: TrainingSession | None = None
        self.target_kimg: float | None = None
        self.has_checkpoint = False
        self.completed = False  # the run reached its length: what comes next is exploring, or training longer
        self.exporting = False  # the main window is exporting this page's run: Export waits for it
        self.saving_timeline = False
        self.resumes_to_its_length = False  # an opened run stopped short of its length in kimg
        self._save_task: BackgroundTask | None = None
        self._build()
        self._event_handlers = {  # what each kind of training event updates
            ev.Preparing: self.progress.preparing,
            ev.Started: self._on_started,
            ev.Progress: self._on_progress,
            ev.Snapshot: self._on_snapshot,
            ev.Metric: self._on_metric,
            ev.TrainingWarning: lambda e: self.warnings.add(e.what, e.why, e.action, e.kimg),
            ev.CheckpointSaved: self._on_checkpoint,
            ev.Finished: self._on_finished,
        }
        self._set_state("setup")

    # ---- layout -----------------------------------------------------------------------

    def _build(self) -> None:
        self.back_button = QToolButton()
        self.back_button.setText("← Start")
        self.back_button.setToolTip("Back to the start page (Alt+Home). Training goes on in the background.")
        self.back_button.clicked.connect(self.back_requested)
        self.title = QLabel("New run")
        self.title.setProperty("role", "heading")
        self.subtitle = QLabel("")
        self.subtitle.setProperty("role", "muted")
        self.state_label = QLabel("")
        self.state_label.setProperty("role", "muted")
        header = QHBoxLayout()
        header.addWidget(self.back_button)
        header.addWidget(self.title)
        header.addWidget(self.subtitle, 1)
        header.addWidget(self.state_label)
        self.progress = ProgressStrip()

        # Left: settings, controls, health.
        self.options = OptionsPanel()
        self.start_button = _button("Start training", "Start training with these settings (Ctrl+Return).", primary=True)
        self.pause_button = _button("Pause", "Pause training; nothing is lost (Ctrl+P). Press again to go on.")
        self.stop_button = _button("Stop", "Save a checkpoint and stop (Ctrl+.). You can resume later.")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        controls = QHBoxLayout()
        controls.addWidget(self.start_button, 2)
        controls.addWidget(self.pause_button, 1)
        controls.addWidget(self.stop_button, 1)
        self.export_button = _button("Export to ONNX…", "Write the best generator as an .onnx file, checked against the\n"
                                     "torch model, for generating without PyTorch (Ctrl+E).")
        self.snapshot_button = _button("Snapshot now", "Make a sample grid from the current weights now (Ctrl+Shift+N).")
        self.snapshot_button.clicked.connect(self.snapshot_now)
        self.export_button.clicked.connect(lambda: self.run_dir and self.export_requested.emit(self.run_dir, False))
        self.explore_button = _button("Explore", "")
        self.explore_button.clicked.connect(self.explore)
        self.warnings = WarningsPanel()
        self.warnings.count_changed.connect(lambda n: self.health_title.setText(f"Health ({n})" if n else "Health"))
        self.health_title = QLabel("Health")
        self.health_title.setProperty("role", "heading")
        left_inner = QWidget()
        left = QVBoxLayout(left_inner)
        left.setContentsMargins(4, 4, 10, 4)
        left.addWidget(self.options)
        left.addLayout(controls)
        left.addWidget(self.explore_button)  # a row of its own: once the run has finished, it is the next step
        extra = QHBoxLayout()
        extra.addWidget(self.snapshot_button)
        extra.addWidget(self.export_button)
        left.addLayout(extra)
        left.addSpacing(6)
        left.addWidget(self.health_title)
        left.addWidget(self.warnings, 1)
        left_scroll = QScrollArea()
        left_scroll.setWidget(left_inner)
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll_bar = left_scroll.verticalScrollBar().sizeHint().width()
        with self.options.at_its_widest():  # so that it never needs a horizontal scroll bar
            self.options.updateGeometry()  # the page's layout would learn of the rows just shown
            left_inner.layout().invalidate()  # only from an event posted for later
            left_scroll.setMinimumWidth(left_inner.minimumSizeHint().width() + scroll_bar)

        # Centre: the grid, its zoom and the timeline.
        self.grid = GridView()
        self.timeline = Timeline()
        self.timeline.frame_selected.connect(self._show_frame)
        self.save_timeline_button = _button("Save timeline…", "Save the grids of the whole run as an animated GIF or an MP4 video (Ctrl+Shift+S).")
        self.save_timeline_button.clicked.connect(lambda: self.save_timeline())
        zoom = QHBoxLayout()
        for text, tip, slot in (("−", "Zoom out (Ctrl+-)", self.grid.zoom_out), ("Fit", "Fit the grid in the view (Ctrl+0)", self.grid.fit),
                                ("1:1", "One screen pixel per image pixel (Ctrl+1)", self.grid.actual_size), ("+", "Zoom in (Ctrl+=)", self.grid.zoom_in)):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            zoom.addWidget(b)
        zoom.addStretch(1)
        zoom.addWidget(self.save_timeline_button)
        centre_widget = QWidget()
        centre = QVBoxLayout(centre_widget)
        centre.setContentsMargins(4, 4, 4, 4)
        centre.addWidget(self.grid, 1)
        centre.addWidget(self.timeline)
        centre.addLayout(zoom)

        self.charts = ChartsPanel()
        # The grid is what the user came to watch: it keeps at least GRID_SHARE of the width, the
        # settings take the width their words need (a run's name in Start from, "Best quality")
        # up to SETTINGS_SHARE and give way down to their minimum on a laptop, and the charts take
        # CHARTS_SHARE (one column of four on a laptop window, 2x2 on a wider one) until the user
        # drags them wider or narrower.
        self.splitter = PrioritySplitter(main=1, main_share=GRID_SHARE)
        self.splitter.addWidget(left_scroll)
        self.splitter.addWidget(centre_widget)
        self.splitter.addWidget(self.charts)
        self.splitter.set_preferred(0, lambda total: min(int(total * SETTINGS_SHARE),
                                                         left_inner.sizeHint().width() + scroll_bar + self.options.start_from_overflow()))
        self.splitter.set_preferred(2, lambda total: int(total * CHARTS_SHARE))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(header)
        layout.addWidget(self.progress)
        layout.addWidget(self.splitter, 1)

    # ---- setting up ---------------------------------------------------------------------

    def _reset_views(self) -> None:
        self.charts.clear()
        self.warnings.clear()
        self.grid.set_image(None)
        self.timeline.set_run(None)
        self.progress.reset()

    def setup_new(self, summary: FolderSummary | None, choices: TrainingChoices, run_dir: Path, device_type: str = "cpu",
                  parents: list[RunInfo] = ()) -> None:
        """A new run on summary's folder (None: the demo data), not started yet; `parents` are the
        runs it may start from."""
        self.summary, self.data, self.run_dir, self.has_checkpoint = summary, summary.root if summary else None, run_dir, False
        self.completed = False
        self._reset_views()
        self.title.setText(run_dir.name)
        if summary:
            self.subtitle.setText(f"{summary.count} pictures from {summary.root}")
            self.options.set_context(summary.suggested_resolution, summary.device_type, len(summary.class_names), summary.gpu_count)
        else:
            self.subtitle.setText("Built-in demo shapes")
            self.options.set_context(64, device_type, 0)
        self.options.set_choices(choices)
        self.options.set_parents(list(parents))
        self.options.set_run_dir(run_dir)
        self.options.set_done_kimg(0.0)
        self.options.set_mode("new")
        self._set_state("setup")
        self.splitter.fit()  # the Start from list's names may ask for a wider settings column

    def ask_for_length(self) -> None:
        """Put the cursor in the length box, so that the user says how long before training."""
        self.options.length.setFocus()
        self.options.length.selectAll()
        action = "Train longer" if self.completed else "Resume training"
        self.status_message.emit(f"How long should {self.title.text()} train? Set the length, then press {action} (Ctrl+Return).")

    def open_run(self, run_dir: Path) -> None:
        """An existing run: its timeline, charts and warnings so far, ready to resume."""
        info = read_run(run_dir)  # raises for an unreadable run.json; the caller words it
        described = json.loads((run_dir / "run.json").read_text())
        config = TrainConfig.from_dict(described.get("config", {}))
        self.summary, self.data, self.run_dir = None, None, run_dir
        self.has_checkpoint = info.step > 0
        self.completed = info.completed
        self._reset_views()
        self.title.setText(info.name)
        data = "built-in demo shapes" if info.is_demo else f"{info.images} pictures from {info.source}"
        parent = described.get("started_from") or {}
        origin = f" · started from {Path(str(parent.get('run', '?'))).name}" if parent else ""
        self.subtitle.setText(f"{data} · {info.resolution} px · {info.status_text()}{origin}")
        self.options.set_context(info.resolution, "cpu", 0)
        self.resumes_to_its_length = bool(info.target_kimg) and not info.completed
        length = ("kimg", info.target_kimg) if self.resumes_to_its_length else ("minutes", 30.0)
        self.options.set_choices(TrainingChoices(
            preset="custom", resolution=info.resolution, batch=config.batch, g_lr=config.g_lr, d_lr=config.d_lr,
            augment=tuple(a for a in config.augment.split(",") if a in ("color", "translation", "cutout")),
            augment_target=config.augment_target, seed=config.seed, device=config.device,
            length_unit=length[0], length=float(length[1]),
        ))
        self.options.set_run_dir(run_dir)
        self.options.set_done_kimg(info.kimg)
        self.options.set_mode("resume")
        self.timeline.set_run(run_dir, config.batch)
        history = read_history(run_dir)  # ~3 µs a line: a day of CPU training reads in well under 0.1 s
        self.charts.load_history(history)
        for w in history.warnings[-20:]:
            self.warnings.add(w.what, w.why, w.action, w.kimg)
        self.progress.reset(f"{info.kimg:.2f} kimg trained so far (at the latest checkpoint)" if info.step else "Not started")
        self._set_state("idle")

    # ---- control ----------------------------------------------------------------------

    def start(self) -> None:
        """Start (setup) or resume (idle) with the panel's settings."""
        if self.state == "setup" and self.run_dir is not None:  # None: no folder or demo chosen yet
            choices = self.options.choices()
            parent = self.options.parent_run()
            if parent is not None:  # fine-tuning: the parent's model, its resolution included
                choices = dataclasses.replace(choices, resolution=parent.resolution, model_size=None)
            suggested = self.summary.suggested_resolution if self.summary else 64
            device_type = self.summary.device_type if self.summary else self.options.device_type
            classes = len(self.summary.class_names) if self.summary else 0
            config = build_config(choices, suggested_resolution=suggested, device_type=device_type, num_classes=classes,
                                  demo=self.summary is None)
            config = config.replace(freeze_d=self.options.freeze_d_levels())
            nproc = self.options.gpu_count if choices.device == "gpus" else 1
            if config.batch % nproc:  # each GPU takes an equal share of the batch
                config = config.replace(batch=-(-config.batch // nproc) * nproc)
            self.start_job(TrainingJob.new(self.options.chosen_run_dir(), config, self.data, nproc, export=True,
                                           start_from=parent.path if parent else None))
        elif self.state == "idle" and self.run_dir is not None:
            choices = self.options.choices()
            self.start_job(TrainingJob.resume(self.run_dir, (choices.length_unit, choices.length), choices.device, export=True))

    def start_job(self, job: TrainingJob) -> TrainingSession:
        """Run `job` in a new training thread (tests pass tiny configs here)."""
        if self.session is not None:
            raise RuntimeError("a training session is already running on this page")
        self.run_dir = job.run_dir
        self.completed = False
        self.title.setText(job.run_dir.name)
        self.options.set_run_dir(job.run_dir)
        self.target_kimg = job.config.kimg if job.config else (job.length[1] if job.length and job.length[0] == "kimg" else None)
        if not job.resuming:
            self._reset_views()
        session = ProcessTrainingSession(job) if job.nproc > 1 else TrainingSession(job)
        session.event.connect(self._on_event)  # the session's signals arrive on the GUI thread
        session.failed.connect(self.error)
        session.ended.connect(self._on_session_ended)
        self.session = session
        self.progress.busy("Loading the training engine…")
        self._set_state("starting")
        session.start()
        self.training_started.emit(job.run_dir)
        return session

    def toggle_pause(self) -> None:
        if self.session is None or not self.session.supports_pause:
            return
        if self.state == "paused":
            self.session.resume()
            self._set_state("running")
            self.progress.paused(False)
        elif self.state in ("running", "starting"):
            self.session.pause()
            self._set_state("paused")
            self.progress.paused(True)

    def stop(self) -> None:
        if self.session is not None and self.state in ("running", "paused", "starting"):
            self.session.stop()
            self.progress.busy("Saving a checkpoint…")
            self._set_state("stopping")

    def snapshot_now(self) -> None:
        if self.session is not None and self.state == "running":
            self.session.snapshot_now()

    def is_training(self) -> bool:
        return self.session is not None

    # ---- the session's events -----------------------------------------------------------

    def _on_event(self, event: ev.Event) -> None:
        self._event_handlers[type(event)](event)

    def _on_started(self, e: ev.Started) -> None:
        if self.state == "starting":
            self._set_state("running")
        resumed = f" · resumed at {e.resumed_from_kimg:.2f} kimg" if e.resumed_from_kimg else ""
        self.subtitle.setText(f"{e.dataset_summary} · on {e.device}{resumed}")
        self.progress.busy("Training: the first figures come after a few steps…")
        if not self.timeline.steps:
            self.timeline.set_run(e.run_dir, int(e.config.get("batch", 16)))

    def _on_progress(self, p: ev.Progress) -> None:
        if self.state != "paused":
            self.progress.progress(p, self.target_kimg)
        self.charts.add_progress(p)

    def _on_snapshot(self, s: ev.Snapshot) -> None:
        self.timeline.add_snapshot(s.step, grid_to_qimage(s.grid))  # numpy -> QImage on the GUI thread
        self._refresh_controls()

    def _on_metric(self, m: ev.Metric) -> None:
        self.charts.add_metric(m)
        if m.is_best:
            self.status_message.emit(f"Best quality so far at {m.kimg:.2f} kimg ({m.name.upper()} {m.value:.1f})")

    def _on_checkpoint(self, c: ev.CheckpointSaved) -> None:
        self.has_checkpoint = True
        self._refresh_controls()
        self.status_message.emit(f"Checkpoint saved at {c.kimg:.2f} kimg")

    def _on_finished(self, f: ev.Finished) -> None:
        self.progress.finished(f)
        if f.reason == "completed":
            self.status_message.emit(f"Training finished at {f.kimg:.2f} kimg.")

    def _on_session_ended(self) -> None:
        session, self.session = self.session, None
        finished = session.last_event if session else None
        job = session.job if session else None
        if job is not None and not job.resuming and (finished is None or not (job.run_dir / "run.json").is_file()):
            self._set_state("setup")  # a new run that never began: the settings stay editable for another try
            self.options.set_mode("new")
            if finished is None or finished.reason == "error":
                self.state_label.setText("Did not start: see the message")
        else:
            if self.run_dir is not None:
                self.has_checkpoint = self.has_checkpoint or (self.run_dir / "checkpoints").is_dir() and any((self.run_dir / "checkpoints").glob("*.safetensors"))
            self.completed = finished is not None and finished.reason == "completed"
            if self.completed:
                self._offer_more_length(finished.kimg)
            self._set_state("idle")
            self.options.set_mode("resume")
        if session is not None:
            session.deleteLater()
        self.training_ended.emit(finished)
        if self.completed and job is not None and job.export and self.has_checkpoint:
            # As `ganstudio train` does at its end. Only a completed run: Stop means "resume later".
            self.export_requested.emit(job.run_dir, False)

    def _offer_more_length(self, kimg: float) -> None:
        """A length already reached would end "Train longer" at once: offer more time instead, as
        opening a completed run does."""
        choices = self.options.choices()
        if choices.length_unit == "kimg" and choices.length <= kimg + 1e-9:
            self.options.set_choices(dataclasses.replace(choices, length_unit="minutes", length=30.0))
        self.options.set_done_kimg(kimg)

    def _show_frame(self, image: QImage, step: int) -> None:
        self.grid.set_image(image)

    # ---- timeline -----------------------------------------------------------------------

    def save_timeline(self, path: Path | None = None) -> BackgroundTask | None:
        frames = self.timeline.frame_paths()
        if len(frames) < 2:
            return None
        if path is None:
            suggested = str((self.run_dir or Path.home()) / f"{self.run_dir.name if self.run_dir else 'timeline'}-timeline.gif")
            name, _ = QFileDialog.getSaveFileName(self, "Save the timeline", suggested, "Animated GIF (*.gif);;MP4 video (*.mp4)")
            if not name:
                return None
            path = Path(name)
            if path.suffix.lower() not in (".gif", ".mp4"):
                path = path.with_suffix(".gif")
        task = save_animation(frames, path)
        task.progressed.connect(lambda dt: self.status_message.emit(f"Saving the timeline: frame {dt[0]} of {dt[1]}"))
        task.succeeded.connect(lambda p: self.status_message.emit(f"Saved the timeline as {p}"))
        task.failed.connect(self.error)
        task.finished.connect(lambda: self._set_saving_timeline(False))
        self._set_saving_timeline(True)
        self._save_task = task.start()
        return task

    # ---- state ------------------------------------------------------------------------

    def exported_model(self) -> Path | None:
        """The newest .onnx generator in the run's export/ folder, if any."""
        if self.run_dir is None:
            return None
        models = sorted((self.run_dir / "export").glob("*.onnx"), key=lambda p: p.stat().st_mtime)
        return models[-1] if models else None

    def explore(self) -> None:
        """Open the newest exported model in Explore, exporting the best checkpoint first if none is."""
        model = self.exported_model()
        if model is not None:
            self.explore_requested.emit(model)
        elif self.run_dir is not None and self.has_checkpoint:
            self.export_requested.emit(self.run_dir, True)

    def refresh_explore(self) -> None:
        exported = self.exported_model() is not None
        export_first = not exported and self.has_checkpoint
        self.explore_button.setText("Export and explore" if export_first else "Explore")
        self.explore_button.setToolTip(
            "Export the best generator to ONNX, then open it on the Explore page: seeds, direction\n"
            "sliders, variations, interpolations." if export_first else
            "Open this run's newest exported model on the Explore page: seeds, direction sliders,\n"
            "variations, interpolations.")
        self.explore_button.setEnabled(exported or (export_first and self.state != "stopping"))

    def set_exporting(self, exporting: bool) -> None:
        self.exporting = exporting
        self._set_state(self.state)

    def _set_saving_timeline(self, saving: bool) -> None:
        self.saving_timeline = saving
        self._refresh_controls()

    def controls(self) -> Controls:
        """What the page offers now, worked out from its state, never read back from its widgets."""
        state, active = self.state, self.state in ("starting", "running", "paused")
        can_pause = self.session is None or self.session.supports_pause
        return Controls(
            # A folder or the demo set up; else Start would train into the working directory.
            start=(state == "setup" and self.run_dir is not None) or (state == "idle" and self.has_checkpoint),
            pause=active and can_pause,
            stop=active,
            snapshot=state == "running",
            export=self.has_checkpoint and state != "stopping" and not self.exporting,
            save_timeline=len(self.timeline.steps) > 1 and state != "stopping" and not self.saving_timeline,
        )

    def _refresh_controls(self) -> None:
        c = self.controls()
        for button, enabled in ((self.start_button, c.start), (self.pause_button, c.pause), (self.stop_button, c.stop),
                                (self.snapshot_button, c.snapshot), (self.export_button, c.export),
                                (self.save_timeline_button, c.save_timeline)):  # fmt: skip
            button.setEnabled(enabled)
        self.controls_changed.emit(c)

    def _set_state(self, state: str) -> None:
        assert state in STATES, state
        self.state = state
        training = state in ("starting", "running", "paused", "stopping")
        finished = state == "idle" and self.completed
        self.start_button.setText("Train longer" if finished else "Resume training" if state == "idle" else "Start training")
        self.start_button.setToolTip("Go on training from where the run finished, for the length set above (Ctrl+Return)."
                                     if finished else "Start or resume training with these settings (Ctrl+Return).")
        _accent(self.start_button, not finished)  # a finished run's next step is exploring what it made
        _accent(self.explore_button, finished)
        chosen = self.run_dir is not None
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.export_button.setText("Exporting…" if self.exporting else "Export to ONNX…")
        self.refresh_explore()
        if training:
            self.options.set_mode("locked")
        self.state_label.setText({
            "setup": "Ready to start" if chosen else "Choose a folder or the demo on the start page", "idle": "Not training", "starting": "Starting…", "running": "Training",
            "paused": "Paused", "stopping": "Saving a checkpoint…",
        }[state])
        self._refresh_controls()
