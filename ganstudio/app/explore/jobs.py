"""Long Explore work (save all, GIF/MP4, a dataset) off the GUI thread, one at a time, with a
progress bar and a Cancel button. The work function polls `cancelled()`; cancelling is not an error."""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ganstudio.app.tasks import BackgroundTask
from ganstudio.errors import Cancelled

Work = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]  # (progress(done, total), cancelled) -> result


class JobBar(QWidget):
    """`done(result)` when a job ends well, `cancelled()` when stopped, `error(AppError)` on failure."""

    done = Signal(object)
    cancelled = Signal()
    error = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task: BackgroundTask | None = None
        self._on_done: Callable[[Any], None] | None = None
        self._stop = threading.Event()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(200)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job; what was written so far stays (Esc).")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    def busy(self) -> bool:
        return self.task is not None

    def run(self, work: Work, *, doing: str, title: str, on_done: Callable[[Any], None] | None = None) -> bool:
        """Start `work`; `on_done(result)` on the GUI thread when it ends well. False (and nothing
        started) while another job runs."""
        if self.task is not None:
            return False
        self._on_done = on_done
        self._stop.clear()
        stop = self._stop

        def fn(report):  # noqa: ANN001, ANN202 - runs on the task's thread
            try:
                return ("done", work(lambda done, total: report((done, total)), stop.is_set))
            except Cancelled:
                return ("cancelled", None)

        self.label.setText(title)
        self.bar.setRange(0, 0)
        self.show()
        task = BackgroundTask(fn, doing=doing)
        task.progressed.connect(self._progress)
        task.succeeded.connect(self._finished)
        task.failed.connect(self._failed)
        self.task = task.start()
        return True

    def cancel(self) -> None:
        if self.task is not None:
            self._stop.set()
            self.label.setText("Cancelling…")

    def _progress(self, value: tuple[int, int]) -> None:
        done, total = value
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.bar.setFormat(f"{done} / {total}")

    def _finished(self, outcome: tuple[str, Any]) -> None:
        self._end()
        kind, result = outcome
        if kind == "cancelled":
            self.cancelled.emit()
            return
        if self._on_done is not None:
            self._on_done(result)
        self.done.emit(result)

    def _failed(self, error) -> None:  # noqa: ANN001
        self._end()
        self.error.emit(error)

    def _end(self) -> None:
        self.task = None
        self.hide()
