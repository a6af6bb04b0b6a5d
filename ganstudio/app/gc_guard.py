"""Python's garbage collector, run on the GUI thread only.

Cyclic garbage is collected by whichever thread happens to allocate when a threshold is crossed:
a decode worker, the training thread. If that pass frees a Qt object (a window whose slots are
lambdas holding it, a finished QThread), its C++ destructor runs on that thread, and Qt crashes
(seen here: a segfault inside "Garbage-collecting" on an image-decoding thread). So automatic
collection is switched off and a timer on the GUI thread collects instead, generation by
generation, when the same thresholds say it is due (the pattern PyQt applications use)."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer

# Often enough that each pass over the young generation stays small (a pass costs time in
# proportion to the objects made since the last one; at 250 ms, passes took up to 70 ms while
# torch and the data loaded).
INTERVAL_MS = 50


_held = 0  # heavy imports in progress (heavy.quiet_gc): collecting during them only costs time
_held_lock = threading.Lock()


def hold() -> None:
    global _held
    with _held_lock:
        _held += 1


def release() -> None:
    global _held
    with _held_lock:
        _held -= 1


class GuiGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)
        self._was_enabled = gc.isenabled()

    def start(self) -> "GuiGarbageCollector":
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> None:
        if _held:
            return
        counts, thresholds = gc.get_count(), gc.get_threshold()
        # The oldest generation that is due, like the automatic collector would pick.
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return
