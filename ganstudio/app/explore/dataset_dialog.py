""""Make a dataset": how many images, from which seed, into which folder. The images are made by
the page's job bar (progress, Cancel) with the truncation and class chosen on the page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from ganstudio.app.explore.seed_grid import MAX_SEED


@dataclass(frozen=True)
class DatasetRequest:
    folder: Path
    count: int
    first_seed: int

    @property
    def seeds(self) -> list[int]:
        return list(range(self.first_seed, min(MAX_SEED, self.first_seed + self.count - 1) + 1))


class DatasetDialog(QDialog):
    def __init__(self, model_name: str, settings_text: str, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make a dataset")
        intro = QLabel(f"Generate images with {model_name} into a folder, for example to enlarge a training set. "
                       f"Each PNG remembers its seed, so it can be made again.\n{settings_text}")
        intro.setWordWrap(True)
        self.count_box = QSpinBox()
        self.count_box.setRange(1, 1_000_000)
        self.count_box.setValue(1000)
        self.count_box.setGroupSeparatorShown(True)
        self.count_box.setToolTip("How many images to write (about a millisecond each at 64 px).")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, MAX_SEED)
        self.seed_box.setToolTip("Seeds run from this one upwards: seed000123.png is seed 123.")
        self.folder_edit = QLineEdit(str(folder))
        self.folder_edit.setToolTip("The folder to write into; it is created if needed. Existing images of the same\n"
                                    "seeds are not overwritten.")
        self.folder_edit.setMinimumWidth(320)
        browse = QPushButton("Choose…")
        browse.setToolTip("Choose the folder.")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Images", self.count_box)
        form.addRow("First seed", self.seed_box)
        form.addRow("Folder", folder_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Generate")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.folder_edit.textChanged.connect(
            lambda text: buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Write the images into", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def request(self) -> DatasetRequest:
        return DatasetRequest(Path(self.folder_edit.text().strip()).expanduser(), self.count_box.value(), self.seed_box.value())
