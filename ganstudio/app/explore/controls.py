"""Truncation, class and the direction sliders (GANSpace: principal directions of w stored in the
model's metadata). Every change is announced at once; the page renders only the newest value."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider,
    QVBoxLayout, QWidget,
)

from ganstudio.infer.metadata import GeneratorInfo

PSI_STEPS = 100  # slider units per 1.0 of psi
AMOUNT_STEPS = 100  # slider units per standard deviation
AMOUNT_RANGE = 3.0  # sliders span +-3 standard deviations
MAX_SLIDERS = 16


def _slider(lo: int, hi: int, value: int, tip: str) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setSingleStep(5)
    s.setPageStep(25)
    s.setToolTip(tip)
    return s


def _direction_tip(k: int, effect: str) -> str:
    tip = f"Principal direction {k + 1} of the style space (GANSpace); 1 changes the most."
    if effect:
        tip += f"\nTo the right: {effect}, mostly (measured on the model's own pictures when it was exported)."
    return tip


class Controls(QWidget):
    psi_changed = Signal(float)
    class_changed = Signal(int)
    amounts_changed = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.psi_slider = _slider(0, int(1.5 * PSI_STEPS), PSI_STEPS,
                                  "Truncation psi: below 1 pulls images towards the average (fewer oddities, less\n"
                                  "variety); 1 is the model as trained. Applies to the grid and the enlarged image.")
        self.psi_label = QLabel()
        self.psi_label.setMinimumWidth(36)
        self.psi_slider.valueChanged.connect(self._psi_moved)
        self.class_box = QComboBox()
        self.class_box.setToolTip("The class to draw (class-conditional models): changes every image.")
        self.class_box.currentIndexChanged.connect(lambda i: i >= 0 and self.class_changed.emit(i))
        self.class_label = QLabel("Class")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        psi_row = QHBoxLayout()
        psi_row.addWidget(self.psi_slider, 1)
        psi_row.addWidget(self.psi_label)
        form.addRow("Truncation", psi_row)
        form.addRow(self.class_label, self.class_box)

        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Put every direction slider back to 0: the plain seed (Ctrl+R).")
        self.reset_button.clicked.connect(self.reset_amounts)
        heading = QLabel("Directions")
        heading.setProperty("role", "heading")
        head = QHBoxLayout()
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(self.reset_button)
        self.note = QLabel("")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        self._sliders: list[QSlider] = []  # the open model's: the first len(directions) rows
        self._values: list[QLabel] = []
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 6, 0)
        self._grid.setColumnStretch(1, 1)
        self._grid.setRowStretch(MAX_SLIDERS, 1)
        self._rows = [self._direction_row(k) for k in range(MAX_SLIDERS)]
        scroll = QScrollArea()
        scroll.setWidget(self._grid_host)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        self._psi_moved(self.psi_slider.value())

    # ---- model ------------------------------------------------------------------------------

    def _direction_row(self, k: int) -> tuple[QLabel, QSlider, QLabel]:
        """Row k of the direction sliders, hidden until a model has that many directions."""
        name = QLabel(f"{k + 1}")
        slider = _slider(int(-AMOUNT_RANGE * AMOUNT_STEPS), int(AMOUNT_RANGE * AMOUNT_STEPS), 0,
                         f"Move the image along direction {k + 1}, in standard deviations of the model's styles\n"
                         "(±3). Several directions add up. Double-click the number on the right to reset it.")
        slider.setProperty("bipolar", True)  # 0 is the middle: no filled part (see studio.qss)
        value = QLabel("0.00")
        value.setMinimumWidth(40)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value.setToolTip("Amount in standard deviations. Double-click to put this slider back to 0.")
        value.mouseDoubleClickEvent = lambda _e, s=slider: s.setValue(0)  # type: ignore[method-assign]
        slider.valueChanged.connect(self._amount_moved)
        for column, widget in enumerate((name, slider, value)):
            self._grid.addWidget(widget, k, column)
            widget.hide()
        return name, slider, value

    def set_model(self, info: GeneratorInfo, psi: float = 1.0) -> None:
        """Show a model: its classes, and one slider per stored direction (strongest first).

        The MAX_SLIDERS rows are built once and only shown, hidden and reset here, never deleted
        and rebuilt: with PySide6 6.12, deleteLater() on the previous model's rows, called here from
        the slot of a queued signal (the render thread's `opened`), corrupted the heap, and a few
        reopens later the app died elsewhere, mostly in the seed grid's clear() (issue 15)."""
        self.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItems(list(info.classes))
        self.class_box.setVisible(info.conditional)
        self.class_label.setVisible(info.conditional)
        self.psi_slider.setValue(round(psi * PSI_STEPS))
        count = min(MAX_SLIDERS, len(info.directions))
        for k, (name, slider, value) in enumerate(self._rows):
            slider.blockSignals(True)
            slider.setValue(0)
            slider.blockSignals(False)
            value.setText("0.00")
            effect = info.directions.effect(k)
            # The number stays: captions and saved recipes name directions by it.
            name.setText(f"{k + 1} {effect}" if effect else f"{k + 1}")
            name.setToolTip(_direction_tip(k, effect))
            for widget in (name, slider, value):
                widget.setVisible(k < count)
        self._sliders = [slider for _name, slider, _value in self._rows[:count]]
        self._values = [value for _name, _slider, value in self._rows[:count]]
        self.note.setText("" if count else "This model stores no directions; re-export it to get them.")
        self.note.setVisible(not count)
        self.reset_button.setEnabled(bool(count))
        self.blockSignals(False)

    # ---- values -------------------------------------------------------------------------------

    @property
    def psi(self) -> float:
        return self.psi_slider.value() / PSI_STEPS

    @property
    def class_index(self) -> int | None:
        return self.class_box.currentIndex() if self.class_box.count() else None

    @property
    def sliders(self) -> list[QSlider]:
        return list(self._sliders)

    def amounts(self) -> tuple[float, ...]:
        return tuple(s.value() / AMOUNT_STEPS for s in self._sliders)

    def set_amounts(self, amounts: tuple[float, ...], quiet: bool = True) -> None:
        """Show `amounts` (e.g. of a reopened image) without announcing each slider."""
        self.blockSignals(quiet)
        for k, slider in enumerate(self._sliders):
            slider.blockSignals(True)
            slider.setValue(round((amounts[k] if k < len(amounts) else 0.0) * AMOUNT_STEPS))
            slider.blockSignals(False)
            self._values[k].setText(f"{slider.value() / AMOUNT_STEPS:+.2f}")
        self.blockSignals(False)

    def set_psi(self, psi: float, quiet: bool = True) -> None:
        self.blockSignals(quiet)
        self.psi_slider.setValue(round(psi * PSI_STEPS))
        self.blockSignals(False)

    def set_class(self, index: int | None, quiet: bool = True) -> None:
        if index is None or not self.class_box.count():
            return
        self.blockSignals(quiet)
        self.class_box.setCurrentIndex(index)
        self.blockSignals(False)

    def reset_amounts(self) -> None:
        self.set_amounts((), quiet=True)
        self.amounts_changed.emit(self.amounts())

    def _psi_moved(self, value: int) -> None:
        self.psi_label.setText(f"{value / PSI_STEPS:.2f}")
        self.psi_changed.emit(value / PSI_STEPS)

    def _amount_moved(self, _value: int) -> None:
        for slider, label in zip(self._sliders, self._values):
            label.setText(f"{slider.value() / AMOUNT_STEPS:+.2f}")
        self.amounts_changed.emit(self.amounts())
