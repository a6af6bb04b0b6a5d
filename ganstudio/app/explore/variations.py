"""Variations: eight images in a ring around the enlarged one (in the centre), each the same seed
moved the same distance along a different mix of the model's directions. Clicking one makes it
the enlarged image, so a user can walk towards what they like."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from ganstudio.app.explore.image_view import ImageView

COUNT = 8
SPREAD_STEPS = 100  # slider units per standard deviation
RING = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]  # clockwise around the centre


class VariationsPanel(QWidget):
    changed = Signal()  # spread or ring changed: render again
    chosen = Signal(int)  # index of the variation clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = 0
        self.images: np.ndarray | None = None
        self.spread_slider = QSlider(Qt.Orientation.Horizontal)
        self.spread_slider.setRange(5, 300)
        self.spread_slider.setValue(75)
        self.spread_slider.setToolTip("How far the variations are from the centre image, in standard deviations\n"
                                      "of the model's styles: small for near copies, large for new ideas.")
        self.spread_label = QLabel()
        self.spread_label.setMinimumWidth(36)
        self.spread_slider.valueChanged.connect(self._spread_moved)
        self.new_button = QPushButton("New ring")
        self.new_button.setToolTip("Eight other directions at the same distance (N).")
        self.new_button.clicked.connect(self.new_ring)
        row = QHBoxLayout()
        row.addWidget(QLabel("Spread"))
        row.addWidget(self.spread_slider, 1)
        row.addWidget(self.spread_label)
        row.addWidget(self.new_button)
        self.centre = ImageView("", 48)
        self.centre.setToolTip("The enlarged image, for comparison.")
        self.views: list[ImageView] = []
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, (r, c) in enumerate(RING):
            view = ImageView("…", 48)
            view.setToolTip("Click to make this variation the enlarged image; keep it with Ctrl+K.")
            view.setCursor(Qt.CursorShape.PointingHandCursor)
            view.clicked.connect(lambda i=i: self.chosen.emit(i))
            grid.addWidget(view, r, c)
            self.views.append(view)
        grid.addWidget(self.centre, 1, 1)
        hint = QLabel("Click a variation to move there.")
        hint.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(row)
        layout.addLayout(grid, 1)
        layout.addWidget(hint)
        self._spread_moved(self.spread_slider.value())

    @property
    def spread(self) -> float:
        return self.spread_slider.value() / SPREAD_STEPS

    def new_ring(self) -> None:
        self.key += 1
        self.changed.emit()

    def set_centre(self, image: np.ndarray | None) -> None:
        self.centre.set_image(image)

    def set_images(self, images: np.ndarray) -> None:
        self.images = images
        for view, image in zip(self.views, images):
            view.set_image(image)

    def clear(self) -> None:
        self.images = None
        for view in self.views + [self.centre]:
            view.set_image(None)

    def _spread_moved(self, value: int) -> None:
        self.spread_label.setText(f"{value / SPREAD_STEPS:.2f}")
        self.changed.emit()
