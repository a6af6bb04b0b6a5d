"""Line charts that stay readable over long runs, painted with QPainter (no chart library).

A run logs a point every few steps, tens of thousands over a long run. Each series is reduced to
one bucket per horizontal pixel: the bucket's mean is the line and its min..max a faint band, so
spikes stay visible and painting costs the same at any length. The y range ignores the first and
last percent of values, so one early spike does not flatten the rest of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF, QResizeEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from ganstudio.app.runs import History
from ganstudio.app.theme import colors
from ganstudio.core.training import events as ev

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 46, 10, 26, 22
RIGHT_AXIS_WIDTH = 40  # room for the tick labels of a second, right-hand y axis
LEGEND_ROW = 18  # a legend row of its own, under the title, when it does not fit beside it
MIN_CHART_WIDTH, MIN_CHART_HEIGHT = 140, 120
CHART_SPACING = 8


class _Growable:
    """A float array that grows by doubling, so appending a point is amortised O(1)."""

    def __init__(self) -> None:
        self._data = np.empty(256)
        self.size = 0

    def append(self, value: float) -> None:
        if self.size == len(self._data):
            self._data = np.resize(self._data, 2 * len(self._data))
        self._data[self.size] = value
        self.size += 1

    def set(self, values: np.ndarray) -> None:
        self._data = np.array(values, dtype=float, copy=True)
        if len(self._data) == 0:
            self._data = np.empty(256)
        self.size = len(values)

    @property
    def values(self) -> np.ndarray:
        return self._data[: self.size]


@dataclass
class Series:
    label: str
    color: QColor
    right_axis: bool = False  # on its own scale, labelled on the right (a score of another size)
    x: _Growable = field(default_factory=_Growable)
    y: _Growable = field(default_factory=_Growable)


def downsample(x: np.ndarray, y: np.ndarray, x0: float, x1: float, buckets: int) -> tuple[np.ndarray, ...]:
    """(x, mean, min, max) per bucket of equal x width; x must be sorted."""
    ids = np.clip(((x - x0) / max(x1 - x0, 1e-12) * buckets).astype(np.int64), 0, buckets - 1)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    counts = np.diff(np.r_[starts, len(x)])
    mean = np.add.reduceat(y, starts) / counts
    return np.add.reduceat(x, starts) / counts, mean, np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    span = max(hi - lo, 1e-12)
    raw = span / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(first, hi + step * 0.001, step)]


def tick_label(value: float, ticks: list[float]) -> str:
    """As many decimals as the tick spacing needs: 139.2 / 139.4, not 139 / 139."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = next((d for d in range(7) if abs(round(step, d) - step) <= step * 1e-6), 6)
    if abs(value) < step * 1e-6:
        value = 0.0  # a tick at zero that arithmetic left at -1e-17 would read "-0"
    return f"{value:.{decimals}f}" if abs(value) < 1e5 else f"{value:.3g}"


class LineChart(QWidget):
    def __init__(self, title: str, *, y_range: tuple[float, float] | None = None, tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.fixed_range = y_range
        self.series: dict[str, Series] = {}
        self.markers: list[tuple[float, float, str]] = []  # (x, y, series it sits on): e.g. the best metric so far
        self.setMouseTracking(True)
        self.setToolTip(tooltip)
        self._plot = QRectF()
        self._x_range = (0.0, 1.0)
        self.x_span: tuple[float, float] | None = None  # shared by the charts of one run, so they line up

    def add_series(self, key: str, label: str, color: str, *, right_axis: bool = False) -> None:
        self.series[key] = Series(label, QColor(color), right_axis)

    def append(self, key: str, x: float, y: float) -> None:
        if np.isfinite(y):
            s = self.series[key]
            s.x.append(x)
            s.y.append(y)
            self.update()  # coalesced by Qt into one paint per frame at most

    def set_data(self, key: str, xs: np.ndarray, ys: np.ndarray) -> None:
        keep = np.isfinite(ys)
        self.series[key].x.set(np.asarray(xs, float)[keep])
        self.series[key].y.set(np.asarray(ys, float)[keep])
        self.update()

    def clear(self) -> None:
        for s in self.series.values():
            s.x.set(np.empty(0))
            s.y.set(np.empty(0))
        self.markers.clear()
        self.update()

    def point_count(self) -> int:
        return sum(s.x.size for s in self.series.values())

    # ---- painting ---------------------------------------------------------------------

    def _filled(self, right_axis: bool | None = None) -> list[Series]:
        return [s for s in self.series.values() if s.x.size and right_axis in (None, s.right_axis)]

    def _ranges(self) -> tuple[float, float, float, float] | None:
        filled = self._filled()
        if not filled:
            return None
        x0 = min(float(s.x.values[0]) for s in filled)
        x1 = max(float(s.x.values[-1]) for s in filled)
        if self.x_span is not None:
            x0, x1 = min(x0, self.x_span[0]), max(x1, self.x_span[1])
        if x1 - x0 < 1e-2:
            x0, x1 = x0 - 0.5, x1 + 0.5  # one point: centre it instead of stretching a hair's width
        left = self._filled(right_axis=False)
        if self.fixed_range:
            return x0, x1, *self.fixed_range
        if not left:
            return x0, x1, 0.0, 1.0
        return x0, x1, *self._y_range(left)

    @staticmethod
    def _y_range(filled: list[Series]) -> tuple[float, float]:
        ys = np.concatenate([s.y.values for s in filled])
        lo, hi = (np.percentile(ys, [1, 99]) if len(ys) > 50 else (ys.min(), ys.max()))
        # A flat or single-point series still gets a readable range around its value.
        pad = max((hi - lo) * 0.08, abs(hi + lo) * 0.025, 1e-3)
        return float(lo - pad), float(hi + pad)

    def paintEvent(self, event: QPaintEvent) -> None:
        c = colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        outer = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(QColor(c["border"])))
        p.setBrush(QColor(c["card"]))
        p.drawRoundedRect(outer, 8, 8)
        p.setPen(QColor(c["text"]))
        p.setFont(self.title_font())
        title = p.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideRight, max(0, self.width() - 20))
        p.drawText(QRectF(10, 4, self.width() - 20, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        p.setFont(self.font())
        rows, beside = self.legend_rows()
        self._draw_legend(p, c, rows, 18.0 if beside else 18.0 + LEGEND_ROW)
        top = MARGIN_TOP + (0 if beside else LEGEND_ROW * len(rows))
        right = self._filled(right_axis=True)
        margin_right = MARGIN_RIGHT + (RIGHT_AXIS_WIDTH if right else 0)
        plot = QRectF(MARGIN_LEFT, top, self.width() - MARGIN_LEFT - margin_right, self.height() - top - MARGIN_BOTTOM)
        self._plot = plot
        ranges = self._ranges()
        if ranges is None or plot.width() < 20 or plot.height() < 20:
            p.setPen(QColor(c["muted"]))
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No data yet")
            return
        x0, x1, y0, y1 = ranges
        self._x_range = (x0, x1)
        r0, r1 = self._y_range(right) if right else (y0, y1)

        def to_px(xs: np.ndarray, ys: np.ndarray, right_axis: bool = False) -> tuple[np.ndarray, np.ndarray]:
            lo, hi = (r0, r1) if right_axis else (y0, y1)
            px = plot.left() + (xs - x0) / (x1 - x0) * plot.width()
            py = plot.bottom() - (ys - lo) / (hi - lo) * plot.height()
            return px, py

        self._draw_axes(p, c, plot, x0, x1, y0, y1)
        if right:
            self._draw_right_axis(p, c, plot, r0, r1)
        p.save()
        p.setClipRect(plot.adjusted(-6, -6, 6, 6))  # room for the best marker at an edge
        buckets = max(10, int(plot.width()))
        for s in self.series.values():
            if not s.x.size:
                continue
            xs, ys = s.x.values, s.y.values
            if len(xs) > buckets:
                xs, mean, lo, hi = downsample(xs, ys, x0, x1, buckets)
                band = QColor(s.color)
                band.setAlpha(55)
                px, plo = to_px(xs, lo, s.right_axis)
                _, phi = to_px(xs, hi, s.right_axis)
                path = QPainterPath()
                path.addPolygon(QPolygonF([QPointF(a, b) for a, b in zip(px, phi)] + [QPointF(a, b) for a, b in zip(px[::-1], plo[::-1])]))
                p.fillPath(path, band)
                ys = mean
            px, py = to_px(xs, ys, s.right_axis)
            p.setPen(QPen(s.color, 1.6, Qt.PenStyle.DashLine if s.right_axis else Qt.PenStyle.SolidLine))
            p.drawPolyline(QPolygonF([QPointF(a, b) for a, b in zip(px, py)]))
        for mx, my, key in self.markers:
            (px,), (py,) = to_px(np.array([mx]), np.array([my]), self.series[key].right_axis)
            p.setPen(QPen(QColor(c["good"]), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(QPointF(px, py), 4.5, 4.5)
        p.restore()

    def _legend_items(self) -> list[tuple[Series, str]]:
        # A right-axis series is optional (KID is off in some runs): named only once it has a value.
        return [(s, f"{s.label} {s.y.values[-1]:.3g}" if s.y.size else s.label) for s in self.series.values()
                if s.y.size or not s.right_axis]

    def title_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def legend_rows(self) -> tuple[list[list[tuple[Series, str, int]]], bool]:
        """The legend's rows of (series, text, width), and whether its one row sits beside the
        title. Beside the title when both fit; else rows of their own under it, as many as the
        width needs, so neither the title nor the legend is ever cut."""
        fm = QFontMetrics(self.font())
        room = self.width() - 20
        items = [(s, fm.elidedText(text, Qt.TextElideMode.ElideRight, max(0, room - 24))) for s, text in self._legend_items()]
        items = [(s, text, fm.horizontalAdvance(text) + 24) for s, text in items]
        title = QFontMetrics(self.title_font()).horizontalAdvance(self.title)
        if title + 16 + sum(w for *_, w in items) <= room:
            return [items], True
        rows: list[list[tuple[Series, str, int]]] = [[]]
        used = 0
        for item in items:
            if rows[-1] and used + item[2] > room:
                rows.append([])
                used = 0
            rows[-1].append(item)
            used += item[2]
        return rows, False

    def minimumSizeHint(self) -> QSize:
        """Wide enough for the title and for each legend entry with its value."""
        fm = QFontMetrics(self.font())
        widest = max((fm.horizontalAdvance(f"{s.label} -0.000e+00") + 24 for s in self.series.values()), default=0)
        title = QFontMetrics(self.title_font()).horizontalAdvance(self.title)
        return QSize(max(MIN_CHART_WIDTH, title + 20, widest + 20), MIN_CHART_HEIGHT)

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint().expandedTo(QSize(240, 200))

    def _draw_legend(self, p: QPainter, c: dict[str, str], rows: list[list[tuple[Series, str, int]]], baseline: float) -> None:
        for row in rows:
            x = self.width() - 10.0
            for s, text, width in reversed(row):
                x -= width - 24
                p.setPen(QColor(c["muted"]))
                p.drawText(QPointF(x, baseline), text)
                x -= 14
                p.fillRect(QRectF(x, baseline - 9, 9, 9), s.color)
                x -= 10
            baseline += LEGEND_ROW

    def _draw_axes(self, p: QPainter, c: dict[str, str], plot: QRectF, x0: float, x1: float, y0: float, y1: float) -> None:
        grid = QColor(c["border"])
        p.setPen(QPen(grid, 1))
        small = p.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.5))
        p.setFont(small)
        ticks = nice_ticks(y0, y1)
        for v in ticks:
            py = plot.bottom() - (v - y0) / (y1 - y0) * plot.height()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py))
            p.setPen(QColor(c["muted"]))
            p.drawText(QRectF(0, py - 8, MARGIN_LEFT - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tick_label(v, ticks))
        ticks = nice_ticks(x0, x1, 5)
        for v in ticks:
            px = plot.left() + (v - x0) / (x1 - x0) * plot.width()
            if px > plot.right() - 40:  # leave room for the unit
                continue
            p.setPen(QColor(c["muted"]))
            p.drawText(QRectF(px - 30, plot.bottom() + 3, 60, 16), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, tick_label(v, ticks))
        p.drawText(QRectF(plot.right() - 40, plot.bottom() + 3, 40, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "kimg")

    def _draw_right_axis(self, p: QPainter, c: dict[str, str], plot: QRectF, y0: float, y1: float) -> None:
        """Tick labels only (the grid lines are the left axis's), in the colour of the series."""
        (series, *_) = self._filled(right_axis=True)
        ticks = nice_ticks(y0, y1)
        p.setPen(series.color)
        for v in ticks:
            py = plot.bottom() - (v - y0) / (y1 - y0) * plot.height()
            p.drawText(QRectF(plot.right() + 5, py - 8, RIGHT_AXIS_WIDTH - 5, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, tick_label(v, ticks))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if not self._plot.contains(pos) or not any(s.x.size for s in self.series.values()):
            return
        x0, x1 = self._x_range
        x = x0 + (pos.x() - self._plot.left()) / self._plot.width() * (x1 - x0)
        lines = [f"{x:.2f} kimg"]
        for s in self.series.values():
            if s.x.size:
                i = min(int(np.searchsorted(s.x.values, x)), s.x.size - 1)
                lines.append(f"{s.label}: {s.y.values[i]:.4g}")
        QToolTip.showText(event.globalPosition().toPoint(), "\n".join(lines), self)


class ChartsPanel(QWidget):
    """The four charts of a run: losses, D outputs, quality metric, augmentation strength."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.losses = LineChart("Losses", tooltip="Generator (G) and discriminator (D) losses. They wobble; what matters is\n"
                                "that neither runs away for good.")
        self.losses.add_series("g", "G", "#e4572e")
        self.losses.add_series("d", "D", "#4c9be8")
        self.d_outputs = LineChart("D(real) / D(fake)", y_range=(0.0, 1.0), tooltip="How sure the discriminator is that real images are real\n"
                                   "and that fakes are real. Healthy runs hover in between;\nD(real) near 1 with D(fake) near 0 means D is winning.")
        self.d_outputs.add_series("real", "real", "#29a36a")
        self.d_outputs.add_series("fake", "fake", "#d9534f")
        self.quality = LineChart("Quality, lower is best", tooltip="Measured at each checkpoint; lower is better for both.\n"
                                 "SWD (solid, left axis): how closely small patches of samples match your images;\n"
                                 "KID (dashed, right axis): how alike whole pictures look to a pretrained network.\n"
                                 "The circle marks the best checkpoint, the one export takes: by KID where it is measured,\n"
                                 "with SWD deciding between checkpoints whose KID is within 6% of the lowest.")
        self.quality.add_series("swd", "SWD", "#8b72ff")
        self.quality.add_series("kid", "KID", "#2bb3a8", right_axis=True)
        self.augment = LineChart("Augmentation strength", y_range=(0.0, 1.0), tooltip="Probability p of the adaptive augmentation. It rises\n"
                                 "when the discriminator starts to memorise a small dataset.")
        self.augment.add_series("p", "p", "#e0a526")
        for chart in self.charts:
            chart.setParent(self)

    # A 2x2 grid when two charts side by side fit, else one column of four: never a chart too
    # narrow for its title (placed by hand, as a layout's minimum would forbid the one column).

    def _chart_minimum(self) -> QSize:
        size = QSize(0, 0)
        for chart in self.charts:
            size = size.expandedTo(chart.minimumSizeHint())
        return size

    def columns_for(self, width: int) -> int:
        return 2 if width >= 2 * self._chart_minimum().width() + CHART_SPACING else 1

    def minimumSizeHint(self) -> QSize:
        m = self._chart_minimum()
        return QSize(m.width(), 4 * m.height() + 3 * CHART_SPACING)

    def sizeHint(self) -> QSize:
        return QSize(2 * 240 + CHART_SPACING, 2 * 260 + CHART_SPACING)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        columns = self.columns_for(self.width())
        rows = len(self.charts) // columns
        width = (self.width() - (columns - 1) * CHART_SPACING) / columns
        height = (self.height() - (rows - 1) * CHART_SPACING) / rows
        for i, chart in enumerate(self.charts):
            row, column = divmod(i, columns)
            x, y = round(column * (width + CHART_SPACING)), round(row * (height + CHART_SPACING))
            chart.setGeometry(x, y, round((column + 1) * (width + CHART_SPACING) - CHART_SPACING) - x,
                              round((row + 1) * (height + CHART_SPACING) - CHART_SPACING) - y)

    @property
    def charts(self) -> tuple[LineChart, ...]:
        return (self.losses, self.d_outputs, self.quality, self.augment)

    def clear(self) -> None:
        for chart in self.charts:
            chart.clear()
            chart.x_span = None

    def _share_x(self) -> None:
        spans = [(float(s.x.values[0]), float(s.x.values[-1])) for c in self.charts for s in c.series.values() if s.x.size]
        span = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None
        for chart in self.charts:
            chart.x_span = span

    def add_progress(self, p: ev.Progress) -> None:
        for chart, name, stat in self._progress_series():
            chart.append(name, p.kimg, p.stat(stat))
        for chart in self.charts:
            chart.x_span = (chart.x_span[0] if chart.x_span else p.kimg, p.kimg)

    def add_metric(self, m: ev.Metric) -> None:
        nan = float("nan")
        self.quality.append("swd", m.kimg, m.values.get("swd", nan))
        self.quality.append("kid", m.kimg, m.values.get("kid", nan))  # on its own axis: its own scale
        if m.is_best:
            self.quality.markers[:] = [(m.kimg, m.value, m.name)]

    def load_history(self, history: History) -> None:
        """Fill the charts from a run's logged events (an opened or resumed run)."""
        self.clear()
        kimg = np.array([p.kimg for p in history.progress], float)
        for chart, name, stat in self._progress_series():
            chart.set_data(name, kimg, np.array([p.stat(stat) for p in history.progress], float))
        metrics = history.metrics
        if metrics:
            nan = float("nan")
            xs = np.array([m.kimg for m in metrics], float)
            self.quality.set_data("swd", xs, np.array([m.values.get("swd", nan) for m in metrics], float))
            self.quality.set_data("kid", xs, np.array([m.values.get("kid", nan) for m in metrics], float))
            best = self._best_of(metrics)
            if best is not None:
                self.quality.markers[:] = [(best.kimg, best.value, best.name)]
        self._share_x()

    def _progress_series(self) -> tuple[tuple[LineChart, str, str], ...]:
        """(chart, series, the Progress statistic it draws)."""
        return ((self.losses, "g", "g"), (self.losses, "d", "d"), (self.d_outputs, "real", "d_real"),
                (self.d_outputs, "fake", "d_fake"), (self.augment, "p", "augment_p"))  # fmt: skip

    @staticmethod
    def _best_of(metrics: list[ev.Metric]) -> ev.Metric | None:
        """The checkpoint the run marked best; in a log too old to mark it, the lowest score."""
        marked = [m for m in metrics if m.is_best]
        if marked:
            return marked[-1]
        finite = [m for m in metrics if np.isfinite(m.value)]
        return min(finite, key=lambda m: m.value) if finite else None
