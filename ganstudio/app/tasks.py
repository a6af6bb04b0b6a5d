"""Run a function off the GUI thread (scanning a folder, loading thumbnails, writing a
GIF) and hear back on the GUI thread through signals."""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from ganstudio.app.errors import describe
from ganstudio.errors import Cancelled

Report = Callable[[Any], None]
_alive: set["BackgroundTask"] = set()  # referenced until done, so no running QThread is collected


class GuiThread(QObject):
    """Makes calls on the GUI thread, posted from any thread, in the order they were posted.

    PySide runs a plain callable connected to a signal (a lambda, a method of a non-Qt object) on
    the thread that emits, so a worker thread emitting public signals itself would run widget code
    off the GUI thread. Workers post the emit here instead. Make it on the GUI thread."""

    _posted = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._call, Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        self._posted.emit(fn, args)

    @Slot(object, object)
    def _call(self, fn: Callable[..., Any], args: tuple) -> None:
        fn(*args)


class BackgroundTask(QThread):
    """`fn(report)` runs in its own thread; `report(x)` emits `progressed(x)`. The result comes
    back as `succeeded(result)`, an exception as `failed(AppError)` in plain words.

    `cancel()` makes the next `report` raise Cancelled, so work stops between its steps; a
    cancelled task emits neither succeeded nor failed, only QThread's `finished`.

    The signals are emitted on the GUI thread (GuiThread), so any slot may touch widgets."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)

    def __init__(self, fn: Callable[[Report], Any], *, doing: str) -> None:
        super().__init__()  # no parent: a closing widget must not destroy a running thread
        self._fn = fn
        self._doing = doing
        self._cancel = threading.Event()
        self._gui = GuiThread(self)
        self.finished.connect(self._forget)

    def start(self) -> "BackgroundTask":  # type: ignore[override]
        _alive.add(self)
        super().start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, value: Any) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self._gui.post(self.progressed.emit, value)

    def run(self) -> None:
        try:
            result = self._fn(self._progress)
            if self._cancel.is_set():
                return  # cancelled after the last report: the caller no longer wants the result
        except Cancelled:
            return
        except Exception as e:  # noqa: BLE001 - every failure is reported to the user
            self._gui.post(self.failed.emit, describe(e, doing=self._doing))
            return
        self._gui.post(self.succeeded.emit, result)

    def _forget(self) -> None:
        _alive.discard(self)
        self.deleteLater()


def wait_for_all(timeout_ms: int = 30000) -> None:
    """Join every background task (at exit: a thread must not outlive the QApplication)."""
    for task in list(_alive):
        task.wait(timeout_ms)
