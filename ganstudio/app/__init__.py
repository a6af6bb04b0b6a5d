"""The GAN Studio desktop app (PySide6): `run_app()` opens it.

Importing this package does not import torch: the first window paints first, and the core is
loaded by the worker thread (or a background task) when it is needed."""

from __future__ import annotations

import os
import sys
from typing import Sequence

from ganstudio.app import immortal

immortal.pin()  # before any Qt call: PySide6 6.12 drops references to None/True/False on Python 3.11

__all__ = ["create_application", "install_excepthook", "run_app"]


def create_application(argv: Sequence[str] | None = None):  # noqa: ANN201 - QApplication, imported lazily
    """The QApplication with GAN Studio's names, icon and theme (reused if one exists). Raises
    MissingQtLibraries (a GanStudioError naming the packages) where Qt would abort without them."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        from ganstudio.app.qt_libs import check_qt_libraries

        check_qt_libraries()

    from ganstudio.app.resources import app_icon
    from ganstudio.app.settings import APPLICATION, ORGANIZATION

    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationDisplayName("GAN Studio")
    app.setDesktopFileName("ganstudio")
    app.setWindowIcon(app_icon())
    if not hasattr(app, "gc_guard"):  # collect garbage on the GUI thread only (see gc_guard)
        from ganstudio.app.gc_guard import GuiGarbageCollector

        app.gc_guard = GuiGarbageCollector(app).start()
    return app


def install_excepthook(window) -> None:  # noqa: ANN001 - the window that owns the dialogs
    """A bug in a slot must not vanish into a terminal nobody watches: print it, show it, keep running.
    It is not a training failure (training errors come through the worker), so it is not worded as one."""
    from ganstudio.app import dialogs
    from ganstudio.app.errors import describe

    def excepthook(kind, value, tb) -> None:  # noqa: ANN001
        sys.__excepthook__(kind, value, tb)
        dialogs.show_error(window, describe(value.with_traceback(tb), doing="doing what you asked"))

    sys.excepthook = excepthook


def run_app(argv: Sequence[str] | None = None, explore: str | os.PathLike | None = None) -> int:
    """Open the app and run its event loop; returns the exit code. With `explore`, it opens on the
    Explore page with that exported generator (.onnx)."""
    from PySide6.QtGui import QGuiApplication

    from ganstudio.app import tasks
    from ganstudio.app.explore.render import stop_all
    from ganstudio.app.main_window import MainWindow
    from ganstudio.app.settings import Settings
    from ganstudio.app.theme import apply_theme

    app = create_application(argv)
    settings = Settings()
    apply_theme(app, settings.theme)
    window = MainWindow(settings)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: window.follow_system_theme())
    install_excepthook(window)
    app.aboutToQuit.connect(tasks.wait_for_all)
    app.aboutToQuit.connect(stop_all)
    window.show()
    if explore is not None:
        from pathlib import Path

        window.explore_model(Path(explore))
    code = app.exec()
    if window.train_page.session is not None:  # last resort: never leave a training thread running
        window.train_page.session.stop()
        window.train_page.session.wait()
    return code
