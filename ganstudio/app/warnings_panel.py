"""Health warnings in plain words: a headline, why it matters, and what was done or can be done."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

MAX_SHOWN = 20  # the newest; the log file keeps them all

HEADLINES = {
    "nan": "Training became unstable",
    "mode_collapse": "The samples look too much alike",
    "d_overpowering": "The discriminator is winning too easily",
    "no_progress": "Quality has stopped improving",
    "data_changed": "Your images changed since this run started",
    "damaged_checkpoint": "A checkpoint was damaged",
    "out_of_memory": "The GPU ran out of memory",
    "classes_reinitialised": "The classes differ from the run this one started from",
}


def headline(what: str) -> str:
    return HEADLINES.get(what, what.replace("_", " ").capitalize())


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


class WarningCard(QFrame):
    def __init__(self, what: str, why: str, action: str, kimg: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what = what
        self.setProperty("warning", True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(3)
        title = QLabel(f"⚠ {headline(what)}  ·  {kimg:.1f} kimg")
        title.setProperty("role", "warning-title")
        body = QLabel(sentence(why))
        suggestion = QLabel(f"<b>What to do:</b> {sentence(action)}")
        for label in (title, body, suggestion):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)


class WarningsPanel(QScrollArea):
    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setToolTip("Problems the run noticed, in plain words, with a suggestion for each.")
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._empty = QLabel("No problems so far. Warnings about the run's health appear here.")
        self._empty.setWordWrap(True)
        self._empty.setProperty("role", "muted")
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(inner)
        self.cards: list[WarningCard] = []

    def add(self, what: str, why: str, action: str, kimg: float) -> None:
        card = WarningCard(what, why, action, kimg)
        self._layout.insertWidget(0, card)  # newest first
        self.cards.insert(0, card)
        while len(self.cards) > MAX_SHOWN:
            self.cards.pop().deleteLater()
        self._empty.hide()
        self.count_changed.emit(len(self.cards))

    def clear(self) -> None:
        for card in self.cards:
            card.deleteLater()
        self.cards.clear()
        self._empty.show()
        self.count_changed.emit(0)
