"""Presets (Quick look / Balanced / Best quality) and the Advanced panel, editing TrainingChoices."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QHBoxLayout, QLabel,
    QLineEdit, QPushButton, QSpinBox, QStyle, QStyleOptionComboBox, QToolButton, QVBoxLayout, QWidget,
)

from ganstudio.app.past_runs import load_thumbnails
from ganstudio.app.presets import (
    AUGMENTATIONS, DEVICES, PRESETS, PRESETS_BY_KEY, TrainingChoices, estimated_speed, expected_kimg, resolve_resolution,
)
from ganstudio.app.runs import RunInfo
from ganstudio.core.config import MODEL_SIZES, RESOLUTIONS, model_size_for

PARENT_THUMB = 40  # px, the grid shown beside each run to start from
DEVICE_NAMES = {"auto": "Automatic", "cpu": "CPU", "cuda": "GPU (CUDA)", "gpus": "All {n} GPUs"}


class OptionsPanel(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._suggested, self._device_type, self._class_count, self._gpu_count = 64, "cpu", 0, 0
        self._done_kimg = 0.0  # already trained (a resumed run): "kimg in total" estimates the rest
        self._updating = False
        self._base = "balanced"  # the preset the settings came from (TrainingChoices.base)
        self._mode = "new"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        presets = QHBoxLayout()
        presets.setSpacing(0)
        self.preset_group = QButtonGroup(self)
        self.preset_buttons: dict[str, QPushButton] = {}
        for preset in PRESETS:
            button = QPushButton(preset.title)
            button.setCheckable(True)
            button.setProperty("segment", True)
            button.setToolTip(preset.summary)
            self.preset_group.addButton(button)
            self.preset_buttons[preset.key] = button
            presets.addWidget(button)
            button.clicked.connect(lambda _=False, key=preset.key: self._pick_preset(key))
        layout.addLayout(presets)
        self.preset_summary = QLabel()
        self.preset_summary.setWordWrap(True)
        self.preset_summary.setProperty("role", "muted")
        layout.addWidget(self.preset_summary)

        start_row = QHBoxLayout()
        self.start_from_label = QLabel("Start from")
        start_row.addWidget(self.start_from_label)
        self.start_from = QComboBox()
        self.start_from.setIconSize(QSize(PARENT_THUMB, PARENT_THUMB))
        # Never wider than this by itself, so a long run name cannot push the panel past a laptop
        # window; start_from_overflow() is the room the page gives it where it can.
        self.start_from.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.start_from.setMinimumContentsLength(16)
        self.start_from.setToolTip("Fine-tuning: start from a model you already trained instead of from nothing.\n"
                                   "Its generator and discriminator carry over (its best checkpoint), so a few\n"
                                   "dozen pictures of something new can look right far sooner. The new run\n"
                                   "takes that run's resolution and model size.")
        start_row.addWidget(self.start_from, 1)
        layout.addLayout(start_row)
        self.start_from_note = QLabel()
        self.start_from_note.setProperty("role", "muted")
        self.start_from_note.setWordWrap(True)
        self.start_from_note.hide()
        layout.addWidget(self.start_from_note)
        self._parents: dict[str, RunInfo] = {}
        self._thumbnail_task = None

        length_row = QHBoxLayout()
        length_row.addWidget(QLabel("Train for"))
        self.length = QDoubleSpinBox()
        self.length.setRange(0.1, 100000)
        self.length.setDecimals(1)
        self.length.setToolTip("How long to train. Minutes count training time only (pauses do not count);\n"
                               "kimg is thousands of images shown to the discriminator, in total.")
        self.length_unit = QComboBox()
        self.length_unit.addItem("minutes", "minutes")
        self.length_unit.addItem("kimg in total", "kimg")
        self.length_unit.setToolTip(self.length.toolTip())
        length_row.addWidget(self.length, 1)
        length_row.addWidget(self.length_unit)
        layout.addLayout(length_row)
        self.estimate = QLabel()
        self.estimate.setProperty("role", "muted")
        self.estimate.setWordWrap(True)
        layout.addWidget(self.estimate)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setToolTip("Resolution, batch, learning rates, augmentation, seed, device and run folder.")
        self.advanced_toggle.toggled.connect(self.show_advanced)
        layout.addWidget(self.advanced_toggle)
        self.advanced = QWidget()
        self._build_advanced(QFormLayout(self.advanced))
        self.advanced.hide()
        layout.addWidget(self.advanced)

        for widget in (self.length, self.batch, self.g_lr, self.d_lr, self.augment_target, self.seed):
            widget.valueChanged.connect(self._edited)
        for combo in (self.length_unit, self.resolution, self.model_size, self.device):
            combo.currentIndexChanged.connect(self._edited)
        self.start_from.currentIndexChanged.connect(self._parent_chosen)
        self.set_parents([])
        for box in (*self.augment_boxes.values(), self.classes):
            box.toggled.connect(self._edited)

    def _build_advanced(self, form: QFormLayout) -> None:
        form.setContentsMargins(14, 0, 0, 0)
        self.resolution = QComboBox()
        self.resolution.addItem("Automatic", None)
        for r in RESOLUTIONS:
            self.resolution.addItem(f"{r} × {r} px", r)
        self.resolution.setToolTip("Size of the images the GAN learns to make. Larger is slower: each step up costs\n"
                                   "about four times the compute. Automatic follows your images and the device.")
        self.model_size = QComboBox()
        self.model_size.addItem("Automatic", None)
        for size in MODEL_SIZES:
            if size != "tiny":  # for tests
                self.model_size.addItem(size.capitalize(), size)
        self.model_size.setToolTip("How big the networks are. Small is sized for a CPU; Medium and Large (hundreds of\n"
                                   "channels) need a GPU. Automatic: Small on a CPU, Medium up to 128 px and Large above on a GPU.")
        self.batch = QSpinBox()
        self.batch.setRange(2, 256)
        self.batch.setSingleStep(2)
        self.batch.setToolTip("Images per training step. 16 learns fastest on small datasets; larger batches\n"
                              "need a GPU and sometimes a lower learning rate.")
        self.g_lr = self._lr_box("Generator learning rate: how big its steps are. Lower it if training turns unstable.")
        self.d_lr = self._lr_box("Discriminator learning rate. Lower it if the discriminator wins too easily.")
        augment_row = QGridLayout()
        augment_row.setContentsMargins(0, 0, 0, 0)
        self.augment_boxes: dict[str, QCheckBox] = {}
        tips = {"color": "Random brightness, saturation and contrast.", "translation": "Random shifts by up to 1/8 of the image.",
                "cutout": "Random blanked-out squares."}
        for i, name in enumerate(AUGMENTATIONS):
            box = QCheckBox(name)
            box.setToolTip(f"{tips[name]} Applied to everything the discriminator sees, so\n"
                           "it cannot memorise a small dataset; the samples are not affected.")
            self.augment_boxes[name] = box
            augment_row.addWidget(box, i // 2, i % 2)
        self.augment_target = QDoubleSpinBox()
        self.augment_target.setRange(0.05, 0.95)
        self.augment_target.setSingleStep(0.05)
        self.augment_target.setToolTip("How confident the discriminator may get on real images before augmentation\n"
                                       "strength rises (0.6 is the tried value). Lower means more augmentation.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed, settings and images train the same way on a CPU.")
        self.device = QComboBox()
        for d in DEVICES:
            if d != "gpus":  # offered only where there are several (set_context)
                self.device.addItem(DEVICE_NAMES[d], d)
        self.device.setToolTip("Where training runs. Automatic uses an NVIDIA GPU when PyTorch can use one,\n"
                               "otherwise the CPU. With several GPUs, 'All GPUs' trains on every one of them\n"
                               "(one process each, the batch split between them). A run can be resumed on another device.")
        self.freeze_d = QSpinBox()
        self.freeze_d.setRange(0, 3)
        self.freeze_d.setSpecialValueText("None")
        self.freeze_d.setToolTip("When starting from another run: keep that run's discriminator at its N finest\n"
                                 "resolutions as it is (FreezeD). It can help with very few pictures.")
        self.classes = QCheckBox("Subfolders are classes")
        self.classes.setToolTip("Learn each subfolder as its own class, so you can ask the model for a class later.\n"
                                "Needs at least two subfolders of images.")
        run_row = QHBoxLayout()
        self.run_dir = QLineEdit()
        self.run_dir.setToolTip("The run folder: checkpoints, sample grids and the log are saved here.")
        browse = QPushButton("…")
        browse.setToolTip("Choose where to save the run.")
        browse.clicked.connect(self._browse_run_dir)
        self.run_dir_browse = browse
        run_row.addWidget(self.run_dir, 1)
        run_row.addWidget(browse)
        form.addRow("Resolution", self.resolution)
        form.addRow("Model size", self.model_size)
        form.addRow("Batch size", self.batch)
        form.addRow("G learning rate", self.g_lr)
        form.addRow("D learning rate", self.d_lr)
        form.addRow("Augmentation", augment_row)
        form.addRow("Augment target", self.augment_target)
        form.addRow("Seed", self.seed)
        form.addRow("Freeze D", self.freeze_d)
        form.addRow("Device", self.device)
        form.addRow("", self.classes)
        form.addRow("Run folder", run_row)
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and label.widget() is not None and field is not None and field.widget() is not None:
                label.widget().setToolTip(field.widget().toolTip())

    @staticmethod
    def _lr_box(tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setDecimals(5)
        box.setRange(1e-5, 1e-1)
        box.setSingleStep(0.0005)
        box.setToolTip(tip + " Default 0.002.")
        return box

    def start_from_overflow(self) -> int:
        """The pixels the longest name in Start from needs beyond the list's own width."""
        combo = self.start_from
        longest = max((combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count())), default=0)
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        content = QSize(longest + combo.iconSize().width() + 4, combo.sizeHint().height())  # 4: Qt's gap after the icon
        needed = combo.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, content, combo).width()
        return max(0, needed - combo.sizeHint().width())

    # ---- state ------------------------------------------------------------------------

    @contextmanager
    def at_its_widest(self) -> Iterator[None]:
        """Every row that can appear shown (Advanced, Start from), so that a width taken meanwhile
        fits whatever the panel shows later."""
        advanced = self.advanced_toggle.isChecked()
        self.show_advanced(True)
        self.start_from_label.setVisible(True)
        self.start_from.setVisible(True)
        try:
            yield
        finally:
            self.show_advanced(advanced)
            self._apply_mode()

    def show_advanced(self, shown: bool) -> None:
        self.advanced_toggle.setChecked(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.advanced.setVisible(shown)

    @property
    def device_type(self) -> str:
        return self._device_type

    def set_context(self, suggested_resolution: int, device_type: str, class_count: int = 0, gpu_count: int | None = None) -> None:
        """What the data and machine suggest: used by Automatic resolution and the estimate. With
        several GPUs (and an OS where they can train together) "All N GPUs" is offered."""
        self._suggested, self._device_type, self._class_count = suggested_resolution, device_type, class_count
        if gpu_count is not None:
            self._gpu_count = gpu_count
            index = self.device.findData("gpus")
            if gpu_count > 1 and index < 0:
                self.device.addItem(DEVICE_NAMES["gpus"].format(n=gpu_count), "gpus")
            elif gpu_count <= 1 and index >= 0:
                self.device.removeItem(index)
        self._apply_mode()
        self._refresh()

    def set_done_kimg(self, kimg: float) -> None:
        self._done_kimg = kimg
        self._refresh()

    def set_choices(self, choices: TrainingChoices) -> None:
        self._updating = True
        self._base = choices.base
        try:
            self.preset_group.setExclusive(False)  # an exclusive group cannot uncheck its last button ("custom")
            for key, button in self.preset_buttons.items():
                button.setChecked(key == choices.preset)
            self.preset_group.setExclusive(True)
            self.length_unit.setCurrentIndex(self.length_unit.findData(choices.length_unit))
            self.length.setValue(choices.length)
            self.resolution.setCurrentIndex(max(0, self.resolution.findData(choices.resolution)))
            self.model_size.setCurrentIndex(max(0, self.model_size.findData(choices.model_size)))
            self.batch.setValue(choices.batch)
            self.g_lr.setValue(choices.g_lr)
            self.d_lr.setValue(choices.d_lr)
            for name, box in self.augment_boxes.items():
                box.setChecked(name in choices.augment)
            self.augment_target.setValue(choices.augment_target)
            self.seed.setValue(choices.seed)
            self.device.setCurrentIndex(max(0, self.device.findData(choices.device)))
            self.classes.setChecked(choices.classes and self._class_count >= 2)
        finally:
            self._updating = False
        self.set_context(self._suggested, self._device_type, self._class_count)

    @property
    def gpu_count(self) -> int:
        return self._gpu_count

    def choices(self) -> TrainingChoices:
        checked = [k for k, b in self.preset_buttons.items() if b.isChecked()]
        return TrainingChoices(
            preset=checked[0] if checked else "custom",
            base=self._base,
            resolution=self.resolution.currentData(),
            model_size=self.model_size.currentData(),
            batch=self.batch.value(),
            g_lr=self.g_lr.value(),
            d_lr=self.d_lr.value(),
            augment=tuple(n for n, b in self.augment_boxes.items() if b.isChecked()),
            augment_target=self.augment_target.value(),
            seed=self.seed.value(),
            device=self.device.currentData(),
            length_unit=self.length_unit.currentData(),
            length=self.length.value(),
            classes=self.classes.isChecked() and self.classes.isEnabled(),
        )

    def set_mode(self, mode: str) -> None:
        """"new": everything editable; "resume": only length and device; "locked": nothing (training)."""
        self._mode = mode
        self._apply_mode()

    def _apply_mode(self) -> None:
        new, locked = self._mode == "new", self._mode == "locked"
        for widget in (*self.preset_buttons.values(), self.batch, self.g_lr, self.d_lr, *self.augment_boxes.values(),
                       self.augment_target, self.seed, self.run_dir, self.run_dir_browse, self.start_from):
            widget.setEnabled(new)
        parent = self.parent_run() is not None
        for widget in (self.resolution, self.model_size):  # a run started from another takes its model
            widget.setEnabled(new and not parent)
        self.freeze_d.setEnabled(new and parent)
        offered = new and bool(self._parents)  # nothing to start from (no general model, no past run): no row
        self.start_from_label.setVisible(offered)
        self.start_from.setVisible(offered)
        self.start_from_note.setVisible(offered and parent)
        self.classes.setEnabled(new and self._class_count >= 2)
        for widget in (self.length, self.length_unit, self.device):
            widget.setEnabled(not locked)

    def _pick_preset(self, key: str) -> None:
        self.set_choices(self.choices().with_preset(key))
        self.changed.emit()

    def _edited(self) -> None:
        if self._updating:
            return
        choices = self.choices()
        preset = PRESETS_BY_KEY.get(choices.preset)
        if preset and (choices.resolution is not None or choices.model_size is not None or choices.length_unit != "minutes" or choices.length != preset.minutes):
            self.preset_group.setExclusive(False)  # "custom": no preset button stays lit
            for button in self.preset_buttons.values():
                button.setChecked(False)
            self.preset_group.setExclusive(True)
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        choices = self.choices()
        preset = PRESETS_BY_KEY.get(choices.preset)
        self.preset_summary.setText(preset.summary if preset else f"Custom settings, from {choices.preset_or_base.title}.")
        resolution = resolve_resolution(choices, self._suggested, self._device_type)
        automatic = resolve_resolution(dataclasses.replace(choices, resolution=None), self._suggested, self._device_type)
        self.resolution.setItemText(0, f"Automatic ({automatic} px)")  # here, so it never lags an edit
        self.model_size.setItemText(0, f"Automatic ({model_size_for(self._device_type, resolution).capitalize()})")
        speed = estimated_speed(resolution, self._device_type)
        kimg = expected_kimg(choices, resolution, self._device_type)
        where = "a GPU" if self._device_type == "cuda" else "this CPU"
        if choices.device == "gpus" and self._gpu_count > 1:  # at best N times one GPU
            speed, kimg, where = speed * self._gpu_count, kimg * self._gpu_count, f"{self._gpu_count} GPUs"
        if choices.length_unit == "minutes":
            self.estimate.setText(f"{resolution} px · about {kimg:.0f} kimg at ~{speed:.0f} img/s on {where}")
        else:
            minutes = max(0.0, choices.length - self._done_kimg) * 1000 / speed / 60
            self.estimate.setText(f"{resolution} px · about {minutes:.0f} minute{'s' if round(minutes) != 1 else ''} at ~{speed:.0f} img/s on {where}")

    # ---- fine-tuning ------------------------------------------------------------------

    def set_parents(self, runs: list[RunInfo]) -> None:
        """The runs a new one can start from (those with a checkpoint), newest first."""
        self._parents = {str(r.path): r for r in runs if r.step > 0}
        self.start_from.blockSignals(True)
        self.start_from.clear()
        self.start_from.addItem("Nothing: train from scratch", None)
        for key, run in self._parents.items():
            if run.is_general_model:
                self.start_from.addItem(f"GAN Studio's general model · {run.resolution} px", key)
                tip = (f"Trained by GAN Studio on {run.images} {run.source}: a head start for a small folder\n"
                       "(fine-tuning needs far fewer minutes than starting from nothing).")
            else:
                self.start_from.addItem(f"{run.name} · {run.resolution} px · {run.kimg:.0f} kimg", key)
                data = "the built-in demo shapes" if run.is_demo else f"{run.images} pictures from {run.source}"
                tip = f"{run.path}\nTrained on {data}"
            self.start_from.setItemData(self.start_from.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.start_from.blockSignals(False)
        # The list that drops down shows every name whole, however narrow the box above it.
        self.start_from.view().setMinimumWidth(self.start_from.sizeHint().width() + self.start_from_overflow())
        self._thumbnail_task = load_thumbnails(list(self._parents.values()), PARENT_THUMB, self._show_parent_thumbnails)
        self._parent_chosen()

    def _show_parent_thumbnails(self, images: dict[Path, QImage]) -> None:
        for path, image in images.items():
            index = self.start_from.findData(str(path))
            if index >= 0:
                self.start_from.setItemIcon(index, QIcon(QPixmap.fromImage(image)))

    def parent_run(self) -> RunInfo | None:
        """The run the new one starts from, or None for random weights."""
        return self._parents.get(self.start_from.currentData() or "")

    def freeze_d_levels(self) -> int:
        return self.freeze_d.value() if self.parent_run() is not None else 0

    def _parent_chosen(self) -> None:
        run = self.parent_run()
        if run is not None:
            self._updating = True  # the parent's resolution is no edit of the user's
            self.resolution.setCurrentIndex(max(0, self.resolution.findData(run.resolution)))
            self._updating = False
            self.freeze_d.setMaximum(run.resolution.bit_length() - 3)
            name = "GAN Studio's general model" if run.is_general_model else run.name
            self.start_from_note.setText(f"Starts from {name}'s best checkpoint, at its {run.resolution} px and model size.")
        self._apply_mode()
        self._refresh()
        self.changed.emit()

    # ---- run folder -------------------------------------------------------------------

    def set_run_dir(self, path: Path) -> None:
        self.run_dir.setText(str(path))

    def chosen_run_dir(self) -> Path:
        return Path(self.run_dir.text()).expanduser()

    def _browse_run_dir(self) -> None:
        current = self.chosen_run_dir()
        parent = QFileDialog.getExistingDirectory(self, "Save the run in", str(current.parent))
        if parent:
            self.set_run_dir(Path(parent) / current.name)
