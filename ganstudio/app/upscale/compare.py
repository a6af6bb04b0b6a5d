"""Before/after: the bicubic enlargement left of a draggable divider, the upscaler's right of it,
drawn over each other at the same place and zoom, so the divider sweeps one into the other.

Drag with the left button to move the divider; the wheel zooms about the pointer; drag with the
right or middle button to pan; double-click fits. Pixels are square when zoomed in (no smoothing),
so what is seen is what is saved. Transparent images show both halves over one checkerboard (their
hidden colours differ: bicubic leaves black under alpha 0, a model whatever the file held), and the
divider is a fraction of the image's visible width, so zooming or 1:1 never leaves it off the image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.app.explore.image_view import to_pixmap

MIN_ZOOM, MAX_ZOOM = 0.05, 16.0
CHECKER = 8  # px per square of the checkerboard behind transparent images


def checkerboard() -> QBrush:
    tile = QPixmap(2 * CHECKER, 2 * CHECKER)
    tile.fill(QColor(204, 204, 204))
    painter = QPainter(tile)
    for x, y in ((0, 0), (CHECKER, CHECKER)):
        painter.fillRect(x, y, CHECKER, CHECKER, QColor(153, 153, 153))
    painter.end()
    return QBrush(tile)


class CompareView(QWidget):
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.before = QPixmap()
        self.after = QPixmap()
        self.before_label, self.after_label = "Bicubic", "Upscaled"
        self.divider = 0.5  # fraction of the image's visible width (see divider_x)
        self.zoom = 1.0
        self.fitted = True
        self.centre = QPointF(0.5, 0.5)  # the image point (as a fraction) at the widget's centre
        self.placeholder = ""
        self._checker = checkerboard()
        self._drag: tuple[str, QPointF] | None = None
        self.setMinimumSize(200, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setToolTip("Left: bicubic. Right: the upscaler. Drag to move the divider, scroll to zoom,\n"
                        "right-drag to pan, double-click to fit.")

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    # ---- content ---------------------------------------------------------------------------

    def set_images(self, before: np.ndarray | None, after: np.ndarray | None, before_label: str = "Bicubic",
                   after_label: str = "Upscaled") -> None:
        """uint8 [H, W, 3|4] arrays of the same size (GUI thread only: they become pixmaps here)."""
        new_size = None if after is None else after.shape[:2]
        old_size = None if self.after.isNull() else (self.after.height(), self.after.width())
        self.before = QPixmap() if before is None else to_pixmap(before)
        self.after = QPixmap() if after is None else to_pixmap(after)
        self.before_label, self.after_label = before_label, after_label
        if new_size != old_size:
            self.fit()
        self.update()

    def clear(self, placeholder: str = "") -> None:
        self.placeholder = placeholder
        self.set_images(None, None)

    def has_images(self) -> bool:
        return not self.after.isNull()

    # ---- view ------------------------------------------------------------------------------

    def _fit_zoom(self) -> float:
        if self.after.isNull():
            return 1.0
        zoom = min((self.width() - 8) / self.after.width(), (self.height() - 8) / self.after.height())
        return float(int(zoom)) if zoom >= 1 else zoom  # enlarged by whole numbers: square pixels

    def fit(self) -> None:
        self.fitted = True
        self.centre = QPointF(0.5, 0.5)
        self._set_zoom(self._fit_zoom())

    def actual_size(self) -> None:
        self.fitted = False
        self._set_zoom(1.0)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        if self.after.isNull():
            return
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        before = self._to_image(anchor)
        self.fitted = False
        self._set_zoom(self.zoom * factor)
        after = self._to_image(anchor)  # keep the image point under the pointer where it was
        w, h = self.after.width(), self.after.height()
        self.centre -= QPointF((after.x() - before.x()) / w, (after.y() - before.y()) / h)
        self.update()

    def _set_zoom(self, zoom: float) -> None:
        self.zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self.zoom_changed.emit(self.zoom)
        self.update()

    def image_rect(self) -> QRectF:
        """Where the (upscaled-size) image lies in widget coordinates."""
        w, h = self.after.width() * self.zoom, self.after.height() * self.zoom
        cx, cy = self.centre.x() * w, self.centre.y() * h
        return QRectF(self.width() / 2 - cx, self.height() / 2 - cy, w, h)

    def _visible_span(self) -> tuple[float, float]:
        """Left and right of the part of the image inside the widget (the whole width when none is)."""
        r = self.image_rect()
        left, right = max(0.0, r.left()), min(float(self.width()), r.right())
        return (left, right) if right > left else (0.0, float(self.width()))

    def divider_x(self) -> float:
        left, right = self._visible_span()
        return left + (right - left) * self.divider

    def _to_image(self, p: QPointF) -> QPointF:
        r = self.image_rect()
        return QPointF((p.x() - r.x()) / self.zoom, (p.y() - r.y()) / self.zoom)

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        if self.fitted:
            self._set_zoom(self._fit_zoom())
        super().resizeEvent(event)

    # ---- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.after.isNull():
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.placeholder)
            return
        rect = self.image_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1)
        x = self.divider_x()
        top, bottom = max(0.0, rect.top()), min(float(self.height()), rect.bottom())
        if self.after.hasAlphaChannel() or self.before.hasAlphaChannel():
            painter.fillRect(rect.intersected(QRectF(self.rect())), self._checker)  # one background for both halves
        if not self.before.isNull():
            painter.save()
            painter.setClipRect(QRectF(0, 0, x, self.height()))
            painter.drawPixmap(rect, self.before, QRectF(self.before.rect()))
            painter.restore()
        painter.save()
        painter.setClipRect(QRectF(x if not self.before.isNull() else 0, 0, self.width(), self.height()))
        painter.drawPixmap(rect, self.after, QRectF(self.after.rect()))
        painter.restore()
        if not self.before.isNull():
            painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
            painter.drawLine(QPointF(x + 1.5, top), QPointF(x + 1.5, bottom))
            handle = QRectF(x - 9, (top + bottom) / 2 - 18, 18, 36)
            painter.setBrush(QColor(255, 255, 255, 230))
            painter.setPen(QPen(QColor(0, 0, 0, 140), 1))
            painter.drawRoundedRect(handle, 5, 5)
            self._label(painter, self.before_label, QPointF(x - 8, top + 8), right=True)
        self._label(painter, self.after_label, QPointF(x + 8 if not self.before.isNull() else 10, top + 8), right=False)
        painter.end()

    def _label(self, painter: QPainter, text: str, at: QPointF, right: bool) -> None:
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 12, metrics.height() + 6
        box = QRectF(at.x() - w if right else at.x(), at.y(), w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # ---- mouse -------------------------------------------------------------------------------

    def set_divider(self, fraction: float) -> None:
        self.divider = max(0.0, min(1.0, fraction))
        self.update()

    def _divider_at(self, x: float) -> None:
        left, right = self._visible_span()
        self.set_divider((x - left) / max(1.0, right - left))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = ("divider", event.position())
            self._divider_at(event.position().x())
        elif event.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            self._drag = ("pan", event.position())
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            near = abs(event.position().x() - self.divider_x()) < 10
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)
            return
        kind, last = self._drag
        if kind == "divider":
            self._divider_at(event.position().x())
        elif not self.after.isNull():
            d = event.position() - last
            self.centre -= QPointF(d.x() / (self.after.width() * self.zoom), d.y() / (self.after.height() * self.zoom))
            self.fitted = False
            self._drag = (kind, event.position())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.ArrowCursor)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps, event.position())
