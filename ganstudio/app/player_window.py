"""The Player's window: explore, generate from and upscale with exported models, without torch.

The Player bundle ships no torch, so this window holds only pages built on `ganstudio.infer`
(Explore and Upscale); the Studio's MainWindow is never imported here."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget

from ganstudio import __version__
from ganstudio.app import dialogs
from ganstudio.app.errors import AppError
from ganstudio.app.explore import ExplorePage
from ganstudio.app.resources import app_icon
from ganstudio.app.settings import Settings
from ganstudio.app.upscale import UpscalePage

DEFAULT_SIZE = (1280, 820)


class PlayerWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        self.setWindowTitle("GAN Studio Player")
        self.setWindowIcon(app_icon())
        self.explore_page = ExplorePage(self.settings)
        self.explore_page.back_button.hide()  # the first page: nowhere to go back to
        self.upscale_page = UpscalePage(self.settings)
        self.pages = QStackedWidget()
        for page in (self.explore_page, self.upscale_page):
            self.pages.addWidget(page)
            page.error.connect(lambda e: dialogs.show_error(self, e))
            page.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.explore_page.model_opened.connect(lambda path: self.setWindowTitle(f"GAN Studio Player — {path.name}"))
        self.explore_page.upscale_requested.connect(self.upscale_images)
        self.upscale_page.back_requested.connect(self.show_explore)
        self.setCentralWidget(self.pages)
        self._build_menus()
        self.statusBar().showMessage("Open an exported generator (.onnx) to explore it, or drop one here.")
        geometry = self.settings.geometry("player")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)

    def _build_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&Open a model…", self.open_model_dialog, QKeySequence.StandardKey.Open)
        self._action(file, "&Upscale images…", self.upscale_dialog, QKeySequence("Ctrl+Shift+U"))
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view = self.menuBar().addMenu("&View")
        self._action(view, "E&xplore", self.show_explore, QKeySequence("Alt+X"))
        self._action(view, "&Upscale", self.show_upscale, QKeySequence("Alt+U"))
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About GAN Studio Player", self.show_about, None)

    def _action(self, menu, text: str, slot, shortcut) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def show_explore(self) -> None:
        self.pages.setCurrentWidget(self.explore_page)

    def show_upscale(self) -> None:
        self.upscale_page.refresh_models()
        self.pages.setCurrentWidget(self.upscale_page)

    def open_model(self, path: Path) -> None:
        self.show_explore()
        self.explore_page.open_model(Path(path))

    def open_model_dialog(self) -> None:
        self.show_explore()
        self.explore_page.choose_model()

    def upscale_dialog(self) -> None:
        self.show_upscale()
        self.upscale_page.choose_images()

    def upscale_images(self, images) -> None:  # noqa: ANN001 - SourceImages from Explore
        self.show_upscale()
        added = self.upscale_page.add_images(list(images))
        self.statusBar().showMessage(f"{added} image(s) from Explore: pick a model and scale, then Save all (Ctrl+S).", 8000)

    def show_about(self) -> None:
        dialogs.show_info(self, "About GAN Studio Player", f"GAN Studio Player {__version__}",
                          "Explore, generate from and upscale with GAN Studio models, without PyTorch. MIT licence.")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.set_geometry("player", self.saveGeometry())
        self.settings.sync()
        self.explore_page.shutdown()
        self.upscale_page.shutdown()
        event.accept()


def run_player(argv: list[str] | None = None, model: str | None = None) -> int:
    """Open the Player (optionally on a model) and run its event loop."""
    from ganstudio.app import create_application, tasks
    from ganstudio.app.explore.render import stop_all
    from ganstudio.app.theme import apply_theme

    app = create_application(argv)
    QApplication.setApplicationName("GAN Studio Player")
    settings = Settings()
    apply_theme(app, settings.theme)
    window = PlayerWindow(settings)
    app.aboutToQuit.connect(tasks.wait_for_all)
    app.aboutToQuit.connect(stop_all)
    window.show()
    if model:
        if Path(model).is_file():
            window.open_model(Path(model))
        else:
            dialogs.show_error(window, AppError(f"{model} does not exist.", "Open an exported generator (.onnx) from File, Open."))
    return app.exec()
