"""The main window: the start and train pages, menus with shortcuts, and the rules around them
(one run trains at a time; closing while training asks, saves a checkpoint and joins the thread;
geometry and choices persist)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QProgressBar, QStackedWidget

from ganstudio import __version__
from ganstudio.app import dialogs
from ganstudio.app.errors import AppError, FolderError, describe
from ganstudio.app.explore import ExplorePage
from ganstudio.app.explore.page import dropped_path
from ganstudio.app.export import ExportProcess, describe_result, start_export
from ganstudio.app.folder_scan import FolderSummary
from ganstudio.app.heavy import load_core
from ganstudio.app.presets import TrainingChoices
from ganstudio.app.refine import TorchRefiner
from ganstudio.app.resources import app_icon
from ganstudio.app.runs import is_run_folder, is_upscaler_run, starting_points, unique_run_dir
from ganstudio.app.settings import Settings
from ganstudio.app.start_page import StartPage
from ganstudio.app.tasks import BackgroundTask
from ganstudio.app.theme import apply_theme
from ganstudio.app.train_page import Controls, TrainPage
from ganstudio.app.upscale import UpscalePage
from ganstudio.app.upscale.page import dropped_paths
from ganstudio.core.training.known_runs import known_runs, remember

DEFAULT_SIZE = (1360, 860)
SHORTCUTS_HELP = """<table>
<tr><td>Ctrl+N</td><td>New run from a folder</td></tr><tr><td>Ctrl+O</td><td>Open a run folder</td></tr>
<tr><td>Ctrl+Shift+D</td><td>Try the demo data</td></tr><tr><td>Ctrl+Return</td><td>Start or resume training</td></tr>
<tr><td>Ctrl+P</td><td>Pause / go on</td></tr><tr><td>Ctrl+.</td><td>Stop (saves a checkpoint)</td></tr>
<tr><td>Ctrl+Shift+N</td><td>Snapshot now</td></tr><tr><td>Ctrl+E</td><td>Export to ONNX</td></tr>
<tr><td>Ctrl+Shift+S</td><td>Save the timeline as GIF/MP4</td></tr><tr><td>Ctrl+= / Ctrl+- / Ctrl+0 / Ctrl+1</td><td>Zoom in / out / fit / 1:1</td></tr>
<tr><td>Ctrl+L</td><td>Follow the live grid</td></tr><tr><td>Alt+Home</td><td>Start page</td></tr><tr><td>F11</td><td>Full screen</td></tr>
<tr><td colspan="2"><b>Explore</b></td></tr>
<tr><td>Ctrl+Shift+O</td><td>Explore a model (.onnx); or drop one on the window</td></tr><tr><td>Alt+X</td><td>Explore page</td></tr>
<tr><td>Ctrl+K</td><td>Keep the enlarged image</td></tr><tr><td>Ctrl+S</td><td>Save it as PNG</td></tr>
<tr><td>Ctrl+Z / Ctrl+Shift+Z</td><td>Undo / redo a slider, seed or variation change, or favourites removed</td></tr>
<tr><td>Delete</td><td>Remove the selected favourites</td></tr>
<tr><td>Ctrl+Shift+I</td><td>Reopen a saved PNG</td></tr><tr><td>Ctrl+R</td><td>Reset the direction sliders</td></tr>
<tr><td>Ctrl+M</td><td>More seeds</td></tr><tr><td>N</td><td>New ring of variations</td></tr>
<tr><td>Ctrl+Shift+E</td><td>Export the interpolation as GIF/MP4</td></tr><tr><td>Ctrl+Shift+M</td><td>Make a dataset</td></tr>
<tr><td>Esc</td><td>Cancel the running job</td></tr>
<tr><td colspan="2"><b>Upscale</b></td></tr>
<tr><td>Ctrl+Shift+U</td><td>Upscale images; or drop images/folders on the Upscale page</td></tr><tr><td>Alt+U</td><td>Upscale page</td></tr>
<tr><td>Ctrl+S</td><td>Save all upscaled images</td></tr><tr><td>Ctrl+0 / Ctrl+1</td><td>Fit / 1:1 in the split view</td></tr>
</table>"""


def _device_type(report) -> str:  # noqa: ANN001
    load_core()  # torch, in a background task
    from ganstudio.core.device import resolve_device

    return resolve_device("auto").type


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        for run_dir in reversed(self.settings.take_recent_runs()):  # one list of runs now, the core's
            remember(run_dir)
        self._closing = False
        self._export_task: ExportProcess | None = None
        self._explore_after_export = False  # "Export and explore": open the model instead of asking
        self._demo_task: BackgroundTask | None = None
        self.setWindowTitle("GAN Studio")
        self.setWindowIcon(app_icon())
        self.start_page = StartPage()
        self.train_page = TrainPage()
        self.explore_page = ExplorePage(self.settings, refiner=TorchRefiner())
        self.upscale_page = UpscalePage(self.settings, other_runs=known_runs)
        self._before_explore = self.start_page
        self._before_upscale = self.start_page
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.pages.addWidget(self.train_page)
        self.pages.addWidget(self.explore_page)
        self.pages.addWidget(self.upscale_page)
        self.setAcceptDrops(True)
        self.setCentralWidget(self.pages)
        self._connect_pages()
        self._build_actions()
        self.statusBar().showMessage("Ready")
        # An export takes seconds (torch loads, ONNX converts, onnxruntime checks): a busy bar says it is working.
        self.export_progress = QProgressBar()
        self.export_progress.setRange(0, 0)
        self.export_progress.setMaximumWidth(160)
        self.export_progress.setTextVisible(False)
        self.export_progress.setToolTip("Exporting to ONNX")
        self.statusBar().addPermanentWidget(self.export_progress)
        self.export_progress.hide()
        self.start_page.last_folder = self.settings.last_folder
        self.refresh_runs()
        interrupted = self.settings.interrupted_run
        self.start_page.offer_resume(interrupted if interrupted and is_run_folder(interrupted) else None)
        self._restore_geometry()

    # ---- wiring -----------------------------------------------------------------------

    def _connect_pages(self) -> None:
        s, t = self.start_page, self.train_page
        s.new_run.connect(self.setup_new_run)
        s.demo_requested.connect(self.start_demo)
        s.open_run.connect(self.open_run)
        s.resume_run.connect(self.resume_run)
        s.continue_interrupted.connect(self.continue_run)
        s.scan_failed.connect(self.show_error)
        s.change_runs_dir.connect(self.choose_runs_dir)
        s.explore_requested.connect(self.explore_model_dialog)
        s.upscale_requested.connect(self.upscale_dialog)
        t.back_requested.connect(self.show_start)
        t.training_started.connect(self._on_training_started)
        t.training_ended.connect(self._on_training_ended)
        t.error.connect(self.show_error)
        t.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        t.export_requested.connect(self.export_run)
        t.controls_changed.connect(self._update_actions)
        t.explore_requested.connect(self.explore_model)
        e = self.explore_page
        e.back_requested.connect(lambda: self.pages.setCurrentWidget(self._before_explore))
        e.error.connect(self.show_error)
        e.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        e.model_opened.connect(lambda path: self.setWindowTitle(f"GAN Studio — {path.name}"))
        e.upscale_requested.connect(self.upscale_images)
        e.encoder_requested.connect(self.add_encoder)
        u = self.upscale_page
        u.back_requested.connect(lambda: self.pages.setCurrentWidget(self._before_upscale))
        u.error.connect(self.show_error)
        u.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
        action.setStatusTip(tip)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        t = self.train_page
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New run from a folder…", self.new_run, QKeySequence.StandardKey.New, "Choose a folder of pictures to train on")
        self._action(file, "&Open run folder…", self.open_run_dialog, QKeySequence.StandardKey.Open, "Open a run folder made by GAN Studio")
        self._action(file, "Try the &demo data", self.start_demo, QKeySequence("Ctrl+Shift+D"), "Train on the built-in shapes")
        self._action(file, "E&xplore a model…", self.explore_model_dialog, QKeySequence("Ctrl+Shift+O"),
                     "Open an exported generator (.onnx) on the Explore page")
        self._action(file, "&Upscale images…", self.upscale_dialog, QKeySequence("Ctrl+Shift+U"),
                     "Enlarge images with the built-in upscaler or any ONNX upscaler")
        file.addSeparator()
        self.export_action = self._action(file, "&Export to ONNX…", lambda: t.run_dir and self.export_run(t.run_dir), QKeySequence("Ctrl+E"),
                                          "Write the best generator as an ONNX model")
        self.save_timeline_action = self._action(file, "Save &timeline as GIF/MP4…", lambda: t.save_timeline(), QKeySequence("Ctrl+Shift+S"),
                                                 "Save the run's grids as an animation")
        self._action(file, "Change runs &folder…", self.choose_runs_dir, None, "Where new runs are saved")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Close GAN Studio (a running training saves a checkpoint first)")

        train = bar.addMenu("&Training")
        self.start_action = self._action(train, "&Start or resume", self.start_training, [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")], "Start training")
        self.pause_action = self._action(train, "&Pause / go on", t.toggle_pause, QKeySequence("Ctrl+P"), "Pause training, or go on")
        self.stop_action = self._action(train, "S&top", t.stop, QKeySequence("Ctrl+."), "Save a checkpoint and stop")
        self.snapshot_action = self._action(train, "Snapshot &now", t.snapshot_now, QKeySequence("Ctrl+Shift+N"), "Make a sample grid now")

        view = bar.addMenu("&View")
        self._action(view, "&Start page", self.show_start, QKeySequence("Alt+Home"), "Back to the start page")
        self._action(view, "&Train page", self.show_train, QKeySequence("Alt+End"), "The current run")
        self._action(view, "E&xplore page", self.show_explore, QKeySequence("Alt+X"), "Explore an exported generator")
        self._action(view, "&Upscale page", self.show_upscale, QKeySequence("Alt+U"), "Upscale images")
        view.addSeparator()
        g = t.grid
        self._action(view, "Zoom &in", g.zoom_in, [QKeySequence.StandardKey.ZoomIn, QKeySequence("Ctrl+=")], "Enlarge the grid")
        self._action(view, "Zoom &out", g.zoom_out, QKeySequence.StandardKey.ZoomOut, "Shrink the grid")
        self._action(view, "&Fit", g.fit, QKeySequence("Ctrl+0"), "Fit the grid in the view")
        self._action(view, "&Actual size", g.actual_size, QKeySequence("Ctrl+1"), "One screen pixel per image pixel")
        self._action(view, "Follow &live grid", t.timeline.go_live, QKeySequence("Ctrl+L"), "Jump to the newest grid")
        view.addSeparator()
        themes = view.addMenu("T&heme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for key, text in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            action = self._action(themes, text, lambda _=False, k=key: self.set_theme(k), None, f"{text} colours")
            action.setCheckable(True)
            action.setChecked(self.settings.theme == key)
            group.addAction(action)
            self.theme_actions[key] = action
        self._action(view, "F&ull screen", self.toggle_full_screen, QKeySequence("F11"), "Use the whole screen")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents, "List the shortcuts")
        self._action(help_menu, "&About GAN Studio", self.show_about, None, "Version and licence")
        self._update_actions(t.controls())

    def _update_actions(self, c: Controls) -> None:
        self.start_action.setEnabled(c.start)
        self.pause_action.setEnabled(c.pause)
        self.stop_action.setEnabled(c.stop)
        self.snapshot_action.setEnabled(c.snapshot)
        self.export_action.setEnabled(c.export)
        self.save_timeline_action.setEnabled(c.save_timeline)

    # ---- pages ------------------------------------------------------------------------

    def show_start(self) -> None:
        self.refresh_runs()
        self.pages.setCurrentWidget(self.start_page)

    def show_train(self) -> None:
        self.pages.setCurrentWidget(self.train_page)

    def show_explore(self) -> None:
        if self.pages.currentWidget() is not self.explore_page:
            self._before_explore = self.pages.currentWidget()
        self.pages.setCurrentWidget(self.explore_page)

    def show_upscale(self) -> None:
        if self.pages.currentWidget() is not self.upscale_page:
            self._before_upscale = self.pages.currentWidget()
            self.upscale_page.refresh_models()  # runs trained since are listed
        self.pages.setCurrentWidget(self.upscale_page)

    def upscale_dialog(self) -> None:
        self.show_upscale()
        self.upscale_page.choose_images()

    def upscale_images(self, images) -> None:  # noqa: ANN001 - list[SourceImage] from Explore
        self.show_upscale()
        added = self.upscale_page.add_images(list(images))
        self.statusBar().showMessage(f"{added} image(s) from Explore: pick a model and scale, then Save all (Ctrl+S).", 8000)

    def explore_model(self, path: Path) -> None:
        """Show the Explore page and open `path` there (a message if it is not a generator)."""
        self.show_explore()
        self.explore_page.open_model(Path(path))

    def explore_model_dialog(self) -> None:
        self.show_explore()
        self.explore_page.choose_model()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.pages.currentWidget() is self.upscale_page and dropped_paths(event):
            event.acceptProposedAction()
            return
        path = dropped_path(event)
        if path is not None and (path.suffix.lower() == ".onnx" or self.pages.currentWidget() is self.explore_page):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.pages.currentWidget() is self.upscale_page:
            event.acceptProposedAction()
            self.upscale_page.open_dropped(dropped_paths(event))
            return
        path = dropped_path(event)
        if path is None:
            return
        event.acceptProposedAction()
        if path.suffix.lower() == ".onnx":
            self.explore_model(path)
        else:
            self.explore_page.open_dropped(path)

    def refresh_runs(self) -> None:
        # Runs made by the CLI (./runs, any --out) are in the core's list of known runs.
        self.start_page.refresh_runs(self._run_roots(), self.settings.runs_dir)

    def _run_roots(self) -> list[Path]:
        """Where runs are listed from: the runs folder, and every run trained or opened elsewhere."""
        return [self.settings.runs_dir, *known_runs()]

    def start_training(self) -> None:
        """Training > Start: the run set up on the train page, shown while it starts."""
        if self.train_page.controls().start:
            self.show_train()
            self.train_page.start()

    def _busy(self) -> bool:
        """One run trains at a time: say so and show it."""
        if not self.train_page.is_training():
            return False
        self.show_train()
        self.statusBar().showMessage("A run is training: stop it (Ctrl+.) before starting another.", 8000)
        return True

    def new_run(self) -> None:
        self.show_start()
        self.start_page.choose_folder()

    def setup_new_run(self, summary: FolderSummary) -> None:
        if self._busy():
            return
        self.settings.last_folder = str(summary.root)
        run_dir = unique_run_dir(self.settings.runs_dir, summary.name)
        self.train_page.setup_new(summary, self.settings.choices, run_dir, parents=starting_points(self._run_roots()))
        self.setWindowTitle(f"GAN Studio — {summary.name}")
        self.show_train()

    def start_demo(self) -> None:
        if self._busy() or self._demo_task is not None:
            return
        self.statusBar().showMessage("Getting the demo ready…")
        task = BackgroundTask(_device_type, doing="starting the demo")
        task.succeeded.connect(self._demo_ready)
        task.failed.connect(self.show_error)
        task.finished.connect(lambda: setattr(self, "_demo_task", None))
        self._demo_task = task.start()

    def _demo_ready(self, device_type: str) -> None:
        if self._busy():
            return
        run_dir = unique_run_dir(self.settings.runs_dir, "demo")
        self.train_page.setup_new(None, TrainingChoices().with_preset("quick"), run_dir, device_type)
        self.setWindowTitle("GAN Studio — demo")
        self.show_train()
        self.train_page.start()

    def open_run(self, run_dir: Path) -> bool:
        if self._busy():
            return False
        if is_upscaler_run(run_dir):
            self.show_upscale()
            self.show_error(FolderError(f"{run_dir} is an upscaler's training run, not a GAN's.",
                                        "Its exported models are listed on the Upscale page; continue its training with "
                                        f"`ganstudio train-upscaler --resume --out {run_dir}`."))
            return False
        try:
            self.train_page.open_run(run_dir)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            self.show_error(AppError(f"{run_dir} cannot be opened as a run: {e}",
                                     "Choose a folder made by GAN Studio: it holds run.json, checkpoints/ and samples/."))
            return False
        remember(run_dir)  # opened from anywhere, Past runs lists it from now on
        self.setWindowTitle(f"GAN Studio — {run_dir.name}")
        self.show_train()
        return True

    def resume_run(self, run_dir: Path) -> None:
        """Past runs' Resume: a run stopped short of its length in kimg goes on to it at once; any
        other (a finished run, one bounded by minutes) asks how long first, on the train page."""
        if not self.open_run(run_dir):
            return
        if self.train_page.resumes_to_its_length:
            self.train_page.start()
        else:
            self.train_page.ask_for_length()

    def continue_run(self, run_dir: Path) -> None:
        """The start page's banner: go on with the session the app was closed in, at once."""
        if self.open_run(run_dir):
            self.train_page.start()

    def open_run_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder", str(self.settings.runs_dir))
        if not folder:
            return
        if not is_run_folder(Path(folder)):
            self.show_error(FolderError(f"{folder} is not a GAN Studio run (it has no run.json).",
                                        "Choose a run folder: it holds run.json, checkpoints/ and samples/."))
            return
        self.open_run(Path(folder))

    def choose_runs_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save runs in", str(self.settings.runs_dir))
        if folder:
            self.settings.runs_dir = Path(folder)
            self.refresh_runs()

    # ---- training lifecycle --------------------------------------------------------------

    def _on_training_started(self, run_dir: Path) -> None:
        self.settings.choices = self.train_page.options.choices() if self.train_page.summary else self.settings.choices
        self.settings.interrupted_run = run_dir  # cleared when it ends, unless the app is closing
        self.settings.sync()

    def _on_training_ended(self, finished) -> None:  # noqa: ANN001
        if self._closing:
            QTimer.singleShot(0, self.close)  # the checkpoint is saved and the thread joined: close now
            return
        self.settings.interrupted_run = None
        self.refresh_runs()

    def add_encoder(self, model: Path) -> None:
        """Export `model` again from its run's same checkpoint, with an encoder, and reopen it in Explore."""
        page = self.explore_page
        if self._export_task is not None:
            page.picture.encoder_not_added(page.worker.encoder_problem)
            self.statusBar().showMessage("Another export is running: add the encoder when it is done.", 8000)
            return
        step = page.model.info.summary.get("checkpoint_step") if page.model is not None else None
        task = self.export_run(Path(model).resolve().parent.parent, explore=True, with_encoder=True,
                               checkpoint="best" if step is None else str(step), out=Path(model))
        if task is not None:
            task.failed.connect(lambda _error: page.picture.encoder_not_added(page.worker.encoder_problem))

    def export_run(self, run_dir: Path, explore: bool = False, *, with_encoder: bool = False, checkpoint: str = "best",
                   out: Path | None = None) -> ExportProcess | None:
        """Export the run's best generator (Export, or a run that completed); `explore`: open it in
        Explore when done, without the "Export finished" question. None when none started."""
        if self._closing:
            return None
        if self._export_task is not None:
            self._explore_after_export = self._explore_after_export or explore
            self.statusBar().showMessage("Exporting: the model opens in Explore when it is done." if explore
                                         else "An export is already running.", 5000)
            return None
        self._explore_after_export = explore
        self.statusBar().showMessage("Exporting to ONNX…")
        task = start_export(run_dir, checkpoint=checkpoint, out=out, with_encoder=with_encoder, parent=self)
        task.progressed.connect(lambda stage: self.statusBar().showMessage(f"Exporting to ONNX: {stage}…"))
        # The bar goes before the result's dialog opens, not after it is answered.
        task.succeeded.connect(lambda result: (self._show_exporting(False), self._export_done(result)))
        task.failed.connect(lambda error: (self._show_exporting(False), self.show_error(error)))
        task.finished.connect(self._export_ended)
        self._export_task = task.start()
        self._show_exporting(True)
        return task

    def _show_exporting(self, exporting: bool) -> None:
        self.export_progress.setVisible(exporting)
        self.train_page.set_exporting(exporting)  # its state change updates the menu's Export too

    def _export_ended(self) -> None:
        self._export_task = None
        self._explore_after_export = False
        self._show_exporting(False)
        if self._closing:
            QTimer.singleShot(0, self.close)

    def _export_done(self, result) -> None:  # noqa: ANN001
        self.last_export = result
        self.train_page.refresh_explore()
        headline, details = describe_result(result)
        self.statusBar().showMessage(headline, 10000)
        if self._explore_after_export or dialogs.offer(self, "Export finished", headline, details, action="Open in Explore"):
            self.explore_model(result.path)

    def show_error(self, error: AppError | BaseException) -> None:
        dialogs.show_error(self, error if isinstance(error, AppError) else describe(error))

    # ---- view -------------------------------------------------------------------------

    def set_theme(self, choice: str) -> None:
        self.settings.theme = choice
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, choice)
        self.train_page.charts.update()

    def follow_system_theme(self) -> None:
        """Called when the desktop switches between light and dark."""
        if self.settings.theme == "system":
            self.set_theme("system")

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def show_shortcuts(self) -> None:
        dialogs.show_info(self, "Keyboard shortcuts", "Keyboard shortcuts", SHORTCUTS_HELP)

    def show_about(self) -> None:
        dialogs.show_info(self, "About GAN Studio", f"GAN Studio {__version__}",
                          "Train small GANs on your own pictures, on a GPU or a plain laptop CPU. MIT licence.")

    # ---- geometry and closing --------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.settings.geometry("main")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = QGuiApplication.primaryScreen()
            w, h = DEFAULT_SIZE
            if screen is not None:
                available = screen.availableGeometry()
                w, h = min(w, int(available.width() * 0.92)), min(h, int(available.height() * 0.92))
            self.resize(w, h)
        panes = self.settings.geometry("train_panes")  # what the user dragged (not "train_splitter": the old sizes)
        if panes is not None:
            self.train_page.splitter.restore_choices(panes)

    def save_window_state(self) -> None:
        self.settings.set_geometry("main", self.saveGeometry())
        self.settings.set_geometry("train_panes", self.train_page.splitter.save_choices())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Training saves a checkpoint and an export is cancelled (writing nothing) before the
        window closes; the window stays until their threads have ended, so none outlives it."""
        if not self._closing and not self.explore_page.may_discard_favourites():
            event.ignore()
            return
        training, export = self.train_page.is_training(), self._export_task
        if training or export is not None:
            event.ignore()
            if self._closing:
                return  # already winding down; the window closes when the threads have ended
            if training:
                question, info = "Stop training and close GAN Studio?", "A checkpoint is saved first, so you can resume where it stopped next time."
                if export is not None:
                    info += " The export that is running is cancelled."
                asked = dialogs.confirm(self, "Training is running", question, info, yes="Save and close", no="Keep training")
            else:
                asked = dialogs.confirm(self, "Exporting", "Cancel the export and close GAN Studio?",
                                        "Nothing is written; export again from the run any time.",
                                        yes="Cancel export and close", no="Keep exporting")
            if not asked:
                return
            self._closing = True
            if export is not None:
                export.cancel()
            if training:
                self.train_page.stop()
            self.statusBar().showMessage("Saving a checkpoint before closing…" if training else "Cancelling the export…")
            return
        self.save_window_state()
        self.explore_page.shutdown()
        self.upscale_page.shutdown()
        event.accept()
