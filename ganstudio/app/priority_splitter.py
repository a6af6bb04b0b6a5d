"""A horizontal splitter whose main pane (the train page's sample grid) gets the room the others
leave, at any window size.

QSplitter alone shares a shrinking window out by stretch factors from whatever sizes it had, so on
a laptop window the pane the user came to watch shrank as much as the side panels. Here each side
pane has a preferred width (a function of the whole width, or what the user dragged it to), never
less than its minimum; the main pane gets the rest. Side panes give way, down to their minimum,
before the main pane drops under `main_share` of the whole."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget

Preferred = Callable[[int], int]  # the splitter's width -> the pane's preferred width


class PrioritySplitter(QSplitter):
    def __init__(self, main: int, main_share: float = 0.4, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.main = main
        self.main_share = main_share
        self.preferred: dict[int, Preferred] = {}
        self.chosen: dict[int, int] = {}  # pane -> width the user dragged it to
        self.setChildrenCollapsible(False)
        self.splitterMoved.connect(self._moved)
        self._fitting = False

    def set_preferred(self, index: int, preferred: Preferred) -> None:
        self.preferred[index] = preferred
        self.fit()

    def _moved(self, _pos: int, _index: int) -> None:
        if not self._fitting:
            sizes = self.sizes()
            self.chosen = {i: w for i, w in enumerate(sizes) if i != self.main}

    def widths(self, total: int) -> list[int]:
        """Each pane's width when the panes share `total` pixels."""
        n = self.count()
        minimum = [max(self.widget(i).minimumSizeHint().width(), self.widget(i).minimumWidth()) for i in range(n)]
        want = [0] * n
        for i in range(n):
            if i != self.main:
                wish = self.chosen.get(i, self.preferred.get(i, lambda _t: minimum[i])(total))
                want[i] = max(minimum[i], wish)
        main_floor = max(minimum[self.main], int(total * self.main_share))
        excess = sum(want) + main_floor - total
        if excess > 0:  # the side panes give way in proportion to what they have above their minimum
            room = sum(want[i] - minimum[i] for i in range(n) if i != self.main)
            if room > 0:
                for i in range(n):
                    if i != self.main:
                        want[i] -= round((want[i] - minimum[i]) * min(1.0, excess / room))
        want[self.main] = max(minimum[self.main], total - sum(want))
        return want

    def fit(self) -> None:
        total = sum(self.sizes())
        if total <= 0 or self.count() <= self.main:
            return
        self._fitting = True
        try:
            self.setSizes(self.widths(total))
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self.fit()

    # ---- what the user chose, between sessions ------------------------------------------------

    def save_choices(self) -> QByteArray:
        return QByteArray(json.dumps(self.chosen).encode())

    def restore_choices(self, state: QByteArray) -> bool:
        try:
            chosen = json.loads(bytes(state.data()).decode())
            self.chosen = {int(i): int(w) for i, w in chosen.items() if int(i) != self.main}
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
            return False
        self.fit()
        return True
