"""The progress line of a run: a bar with kimg, img/s and the time left."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from ganstudio.app.runs import format_duration
from ganstudio.core.training import events as ev

SCALE = 1000  # bar units per run


class ProgressStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, SCALE)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setFormat("Not started")
        self.bar.setToolTip("Progress of this training session. kimg: thousands of images shown to the discriminator.")
        self.speed = QLabel("")
        self.speed.setProperty("role", "muted")
        self.speed.setToolTip("Training speed in images per second, smoothed.")
        self.speed.setMinimumWidth(90)
        self.eta = QLabel("")
        self.eta.setProperty("role", "muted")
        self.eta.setToolTip("Time left in this session at the current speed.")
        self.eta.setMinimumWidth(90)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.speed)
        layout.addWidget(self.eta)
        self.last: ev.Progress | None = None
        self.target_kimg: float | None = None  # the session's length in kimg, when it has one

    def reset(self, text: str = "Not started") -> None:
        self.last = None
        self.bar.setRange(0, SCALE)
        self.bar.setValue(0)
        self.bar.setFormat(text)
        self.speed.setText("")
        self.eta.setText("")

    def busy(self, text: str) -> None:
        """Work of unknown length (loading the engine, saving); a busy bar shows no text, so the
        words go in its tooltip-free neighbour instead."""
        self.bar.setRange(0, 0)
        self.bar.setFormat(text)
        self.eta.setText(text)

    def preparing(self, p: ev.Preparing) -> None:
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(p.done)
        self.bar.setFormat(f"Decoding your images: {p.done} of {p.total}")

    def progress(self, p: ev.Progress, target_kimg: float | None = None) -> None:
        self.last, self.target_kimg = p, target_kimg
        self.bar.setRange(0, SCALE)
        self.bar.setValue(int(round((p.fraction_done or 0.0) * SCALE)))  # a value, or the text is hidden
        of = f" of {target_kimg:g}" if target_kimg else ""
        pct = f"  ({p.fraction_done:.0%})" if p.fraction_done is not None else ""
        self.bar.setFormat(f"{p.kimg:.2f}{of} kimg{pct}")
        self.speed.setText(f"{p.images_per_second:.1f} img/s")
        self.eta.setText(f"{format_duration(p.eta_seconds)} left" if p.eta_seconds is not None else "until stopped")

    def finished(self, f: ev.Finished) -> None:
        self.bar.setRange(0, SCALE)
        words = {"completed": "Finished", "stopped": "Stopped", "error": "Stopped by an error"}.get(f.reason, f.reason)
        # A value must be set after setRange: a reset bar (value -1) shows no text at all.
        fraction = 1.0 if f.reason == "completed" else (self.last.fraction_done or 0.0) if self.last else 0.0
        self.bar.setValue(int(round(fraction * SCALE)))
        self.bar.setFormat(f"{words} at {f.kimg:.2f} kimg")
        self.eta.setText("")

    def paused(self, on: bool) -> None:
        if on:
            self.bar.setFormat(self.bar.format() + "  (paused)")
        elif self.last is not None:
            self.progress(self.last, self.target_kimg)  # the text as it was, "of N kimg" included
