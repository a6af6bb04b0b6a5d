"""The seed grid: pages of 16 seeds (4x4), each image with its seed number under it. Scrolling to
the end (or "More seeds") asks for the next page; clicking an image enlarges it.

The grid only shows: it asks for pages through `page_needed` and the page renders them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ganstudio.app.explore.image_view import to_pixmap

PAGE = 16
COLUMNS = 4  # a page is a 4x4 grid at any width: the cells shrink or grow instead
THUMB = 88  # the cells' side at the page's first width
THUMB_MAX = 160  # the thumbnails' pixels: sharp up to this side
CAPTION = 26  # the seed number's height under each thumbnail
MAX_SEED = 2**31 - 1
SEED_ROLE = Qt.ItemDataRole.UserRole


class SeedGrid(QWidget):
    page_needed = Signal(int, list)  # page number, its seeds
    seed_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_seed = 0
        self.pages = 0
        self.images: dict[int, np.ndarray] = {}  # seed -> the pixels shown, as generated
        self._waiting: set[int] = set()  # pages asked for and not drawn yet
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 14, THUMB + CAPTION))
        self.list.setSpacing(2)
        self.list.setMinimumWidth(COLUMNS * 48 + self.list.verticalScrollBar().sizeHint().width() + 8)
        self.list.installEventFilter(self)
        self.list.setWordWrap(False)
        self.list.setToolTip("Images from seed numbers, with the truncation and class chosen on the right.\n"
                             "Click one to enlarge it; scroll to the end for more seeds.")
        self.list.currentItemChanged.connect(lambda item, _prev: item is not None and self.seed_chosen.emit(item.data(SEED_ROLE)))
        self.list.itemClicked.connect(lambda item: self.seed_chosen.emit(item.data(SEED_ROLE)))
        self.list.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, MAX_SEED)
        self.seed_box.setPrefix("from seed ")
        self.seed_box.setToolTip("The first seed of the grid: type a seed number to jump to it.")
        self.seed_box.editingFinished.connect(lambda: self.seed_box.value() != self.start_seed and self.reset(self.seed_box.value()))
        self.more_button = QPushButton("More seeds")
        self.more_button.setToolTip("Add the next 16 seeds to the grid (Ctrl+M).")
        self.more_button.clicked.connect(self.add_page)
        title = QLabel("Seeds")
        title.setProperty("role", "heading")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.seed_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.more_button)
        self._blank = QPixmap(THUMB_MAX, THUMB_MAX)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """COLUMNS cells a row in the list's width, room kept for the scroll bar (so that it
        appearing never wraps a row)."""
        room = self.list.width() - 2 * self.list.frameWidth() - self.list.verticalScrollBar().sizeHint().width() - 2
        cell = max(40, room // COLUMNS)
        thumb = min(THUMB_MAX, cell - 14)
        if self.list.gridSize().width() != cell:
            self.list.setIconSize(QSize(thumb, thumb))
            self.list.setGridSize(QSize(cell, thumb + CAPTION))

    def columns(self) -> int:
        """How many seeds a row of the grid shows now."""
        rects = [self.list.visualItemRect(self.list.item(i)) for i in range(min(self.list.count(), PAGE))]
        return sum(1 for r in rects if rects and r.top() == rects[0].top())

    # ---- pages ----------------------------------------------------------------------------

    def reset(self, start_seed: int = 0) -> None:
        """Start again from `start_seed` with one page."""
        self.start_seed = start_seed
        self.seed_box.setValue(start_seed)
        self.clear()
        self.add_page()

    def clear(self) -> None:
        self.pages = 0
        self.images.clear()
        self._waiting.clear()
        # Removing the items one by one moves the current row onto the next seed, and that must
        # not read as the user choosing it (it enlarged a seed nobody clicked, for the next model).
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)

    def seeds_of(self, page: int) -> list[int]:
        first = self.start_seed + page * PAGE
        return [s for s in range(first, first + PAGE) if s <= MAX_SEED]

    def add_page(self) -> None:
        page = self.pages
        seeds = self.seeds_of(page)
        if not seeds:
            return
        self.pages += 1
        self._blank.fill(QColor(self.palette().alternateBase().color()))
        for seed in seeds:
            item = QListWidgetItem(QIcon(self._blank), str(seed))
            item.setData(SEED_ROLE, seed)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            item.setToolTip(f"Seed {seed}: click to enlarge")
            self.list.addItem(item)
        self._waiting.add(page)
        self.page_needed.emit(page, seeds)

    def refresh(self) -> None:
        """Ask for every page again (truncation or class changed)."""
        for page in range(self.pages):
            self._waiting.add(page)
            self.page_needed.emit(page, self.seeds_of(page))

    def set_page(self, page: int, seeds: list[int], images: np.ndarray) -> None:
        self._waiting.discard(page)
        for i, (seed, image) in enumerate(zip(seeds, images)):
            self.images[seed] = image
            item = self.list.item(page * PAGE + i)
            if item is not None and item.data(SEED_ROLE) == seed:
                item.setIcon(QIcon(to_pixmap(image).scaled(THUMB_MAX, THUMB_MAX, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.FastTransformation
                                                          if image.shape[0] <= THUMB_MAX else Qt.TransformationMode.SmoothTransformation)))

    def is_complete(self) -> bool:
        return not self._waiting

    def select_seed(self, seed: int | None) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(SEED_ROLE) == seed:
                self.list.blockSignals(True)
                self.list.setCurrentRow(row)
                self.list.blockSignals(False)
                return
        self.list.clearSelection()

    def _scrolled(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        if bar.maximum() > 0 and value >= bar.maximum() and not self._waiting:
            self.add_page()
