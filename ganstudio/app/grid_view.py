"""The sample grid, zoomable: fits the view by default; wheel or keys zoom, drag pans.

Enlarged grids are drawn with nearest-neighbour pixels (a 32 px sample blown up smoothly looks
blurrier than it is); shrunk ones are smoothed so they do not alias."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.1, 32.0


def grid_to_qimage(grid: np.ndarray) -> QImage:
    """uint8 [H, W, 3|4] -> a QImage that owns its pixels (the array may be reused or freed)."""
    grid = np.ascontiguousarray(grid, dtype=np.uint8)
    h, w, channels = grid.shape
    kind = QImage.Format.Format_RGBA8888 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(grid.data, w, h, channels * w, kind).copy()


class GridView(QGraphicsView):
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self.scene().addItem(self._item)
        self._fit = True
        self._zoom = 1.0
        self._placeholder = "The sample grid appears here once training starts."
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setMinimumSize(200, 200)
        self.setToolTip("Samples from the same fixed latents at every snapshot, so you can compare them.\n"
                        "Wheel or Ctrl+= / Ctrl+- to zoom, Ctrl+0 to fit, drag to move around.")

    # ---- content ----------------------------------------------------------------------

    def set_image(self, image: QImage | None) -> None:
        had_image = self.has_image()
        self._item.setPixmap(QPixmap.fromImage(image) if image is not None and not image.isNull() else QPixmap())
        self.scene().setSceneRect(QRectF(self._item.pixmap().rect()))
        if self._fit or not had_image:
            self.fit()
        else:
            self._apply_mode()

    def has_image(self) -> bool:
        return not self._item.pixmap().isNull()

    def image(self) -> QImage:
        return self._item.pixmap().toImage()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.viewport().update()

    # ---- zoom -------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self._zoom

    def fit(self) -> None:
        self._fit = True
        if self.has_image():
            rect = self._item.boundingRect()
            view = self.viewport().rect().adjusted(8, 8, -8, -8)
            self._set_zoom(max(MIN_ZOOM, min(view.width() / rect.width(), view.height() / rect.height())))
            self.centerOn(self._item)

    def zoom_in(self) -> None:
        self._fit = False
        self._set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._fit = False
        self._set_zoom(self._zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        self._fit = False
        self._set_zoom(1.0)

    def _set_zoom(self, zoom: float) -> None:
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self.resetTransform()
        self.scale(self._zoom, self._zoom)
        self._apply_mode()
        self.zoom_changed.emit(self._zoom)

    def _apply_mode(self) -> None:
        smooth = self._zoom < 1.0
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)

    # ---- events -----------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.has_image():
            return
        (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: ANN001
        (self.actual_size if self._fit else self.fit)()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self.has_image():
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(self.palette().placeholderText().color())
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
        painter.restore()
