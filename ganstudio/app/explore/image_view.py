"""One generated image, drawn as large as its space allows: whole-number enlargement with
nearest-neighbour pixels (a 64 px image blown up smoothly looks blurrier than it is)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.app.grid_view import grid_to_qimage


def to_pixmap(image: np.ndarray) -> QPixmap:
    """uint8 [H, W, 3|4] -> QPixmap (on the GUI thread only)."""
    return QPixmap.fromImage(grid_to_qimage(image))


def target_rect(area: QRect, width: int, height: int, whole: bool = True) -> QRect:
    """The largest rectangle of the image's shape in `area`, a whole multiple of its size when it
    is enlarged (so every pixel becomes a square of the same size), centred."""
    scale = min(area.width() / max(1, width), area.height() / max(1, height))
    if scale >= 1 and whole:
        scale = int(scale)
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    return QRect(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2, w, h)


class ImageView(QWidget):
    """Shows a pixmap; `painted(seq, seconds)` after each repaint of a new image (for the latency
    benchmark), `clicked()` on a left click."""

    painted = Signal(int, float)
    clicked = Signal()

    def __init__(self, placeholder: str = "", minimum: int = 64, parent: QWidget | None = None, whole: bool = True) -> None:
        super().__init__(parent)
        self._whole = whole  # enlarge by whole numbers only (square pixels); False for strips
        self._pixmap = QPixmap()
        self._seq = 0
        self._shown_seq = -1
        self.painted_at = 0.0
        self._placeholder = placeholder
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def sizeHint(self) -> QSize:
        return QSize(256, 256)

    def set_image(self, image: np.ndarray | None, seq: int = 0) -> None:
        self._pixmap = QPixmap() if image is None else to_pixmap(image)
        self._seq = seq
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def has_image(self) -> bool:
        return not self._pixmap.isNull()

    def pixmap(self) -> QPixmap:
        return self._pixmap

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self._pixmap.isNull():
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._placeholder)
            return
        rect = target_rect(self.rect(), self._pixmap.width(), self._pixmap.height(), self._whole)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, rect.width() < self._pixmap.width())
        painter.drawPixmap(rect, self._pixmap)
        painter.end()
        if self._shown_seq != self._seq:
            self._shown_seq = self._seq
            self.painted_at = time.perf_counter()
            self.painted.emit(self._seq, self.painted_at)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)
