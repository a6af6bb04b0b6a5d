"""Favourites: a strip of kept images, each with the recipe that makes it again. Save one or all
as PNG (seed, psi, class, offset and model in the text chunks), reopen a saved PNG to get its
exact latent back, and pick two or more as the keys of an interpolation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from ganstudio.app.explore.image_view import to_pixmap
from ganstudio.errors import Cancelled
from ganstudio.infer.metadata import GeneratorInfo
from ganstudio.infer.recipe import Recipe

THUMB = 72


@dataclass(frozen=True)
class Favourite:
    recipe: Recipe
    image: np.ndarray  # uint8 [H, W, 3], exactly as generated

    def file_name(self, index: int) -> str:
        return f"{index + 1:02d}-{self.recipe.file_stem()}.png"


class FavouritesStrip(QWidget):
    chosen = Signal(object)  # Recipe: show it enlarged
    selection_changed = Signal()
    save_one_requested = Signal()
    save_all_requested = Signal()
    open_png_requested = Signal()
    upscale_requested = Signal()
    changed = Signal()  # a favourite kept or removed (not clear(): that is the page changing models)
    removed = Signal()  # a Remove that undo_remove() can put back (the page's Undo follows these)
    undo_pressed = Signal()  # the strip's own Undo remove button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[Favourite] = []
        self.unsaved = False  # kept since the last Save all (a page without settings would lose them on close)
        # Each Remove's favourites (rows ascending), newest last: Undo puts them back one Remove at a time.
        self._removals: list[list[tuple[int, Favourite, QListWidgetItem]]] = []
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 28, THUMB + 26))
        self.list.setFixedHeight(THUMB + 46)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setToolTip("Kept images. Click one to enlarge it again; Ctrl+click or Shift+click to pick two or\n"
                             "more for an interpolation; Delete removes the selected ones.")
        self.list.itemClicked.connect(lambda item: self.chosen.emit(self.items[self.list.row(item)].recipe))
        self.list.itemSelectionChanged.connect(self.selection_changed)
        self.empty = QLabel("Keep images you like (Ctrl+K, or the Keep button under the enlarged image): they "
                            "collect here, to save, reopen and interpolate between.")
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)
        title = QLabel("Favourites")
        title.setProperty("role", "heading")
        self.save_button = self._button("Save…", "Save the selected favourite as a PNG that remembers how it was made.",
                                        self.save_one_requested)
        self.save_all_button = self._button("Save all…", "Save every favourite as a PNG into a folder.", self.save_all_requested)
        self.open_button = self._button("Open PNG…", "Reopen an image saved by GAN Studio: its seed, truncation, class and\n"
                                        "direction offsets come back exactly (Ctrl+Shift+I).", self.open_png_requested)
        self.upscale_button = self._button("Upscale and save…", "Send the selected favourites (or all of them) to the Upscale page,\n"
                                           "to enlarge them 2 or 4 times and save them with their seeds.", self.upscale_requested)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected favourites from the strip (Delete).")
        self.remove_button.clicked.connect(self.remove_selected)
        self.undo_button = QPushButton("Undo remove")
        self.undo_button.setToolTip("Put back the favourites just removed, where they were (Ctrl+Z).")
        self.undo_button.clicked.connect(self.undo_pressed)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        for b in (self.open_button, self.save_button, self.save_all_button, self.upscale_button, self.remove_button,
                  self.undo_button):
            head.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        self.selection_changed.connect(self._update)
        self._update()

    @staticmethod
    def _button(text: str, tip: str, signal) -> QPushButton:  # noqa: ANN001
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(signal)
        return b

    def add(self, recipe: Recipe, image: np.ndarray, info: GeneratorInfo) -> None:
        """Keep `image` (made by `recipe`); an identical recipe already kept is selected instead."""
        for row, fav in enumerate(self.items):
            if fav.recipe == recipe:
                self.list.setCurrentRow(row)
                return
        self.items.append(Favourite(recipe, image))
        self.unsaved = True
        edited = recipe.has_offset(info)
        item = QListWidgetItem(QIcon(to_pixmap(image)), recipe.name + (" ✎" if edited else ""))
        text = f"{recipe.name[:1].upper()}{recipe.name[1:]}, psi {recipe.psi:.2f}"
        if recipe.class_index is not None and info.classes:
            text += f", class {info.classes[recipe.class_index]}"
        if edited:
            text += ", moved along directions" if not recipe.note else f", {recipe.note}"
        item.setToolTip(text)
        self.list.addItem(item)
        self.list.scrollToItem(item)
        self._update()
        self.changed.emit()

    def clear(self) -> None:
        self.unsaved = False
        self._removals = []
        self.items.clear()
        self.list.clear()
        self._update()

    def remove_selected(self) -> None:
        rows = sorted(self.list.row(i) for i in self.list.selectedItems())
        if not rows:
            return
        # Taken from the back so the rows stay valid; kept front first, so Undo can put them back in order.
        self._removals.append([(row, self.items.pop(row), self.list.takeItem(row)) for row in reversed(rows)][::-1])
        self._update()
        self.changed.emit()
        self.removed.emit()

    def undo_remove(self) -> None:
        """Put back what the last Remove took, at the rows it had."""
        if not self._removals:
            return
        self.list.clearSelection()
        for row, favourite, item in self._removals.pop():
            self.items.insert(row, favourite)
            self.list.insertItem(row, item)
            item.setSelected(True)
        self._update()
        self.changed.emit()

    def selected(self) -> list[Favourite]:
        rows = sorted(self.list.row(i) for i in self.list.selectedItems())
        return [self.items[r] for r in rows]

    def select(self, rows: list[int]) -> None:
        self.list.clearSelection()
        for r in rows:
            self.list.item(r).setSelected(True)

    def current(self) -> Favourite | None:
        chosen = self.selected()
        return chosen[0] if len(chosen) == 1 else None

    def _update(self) -> None:
        has = bool(self.items)
        self.empty.setVisible(not has)
        self.list.setVisible(has)
        self.save_button.setEnabled(len(self.list.selectedItems()) == 1)
        self.save_all_button.setEnabled(has)
        self.upscale_button.setEnabled(has)
        self.remove_button.setEnabled(bool(self.list.selectedItems()))
        self.undo_button.setVisible(bool(self._removals))


def save_favourites(favourites: list[Favourite], folder: Path, info: GeneratorInfo, progress, cancelled) -> list[Path]:  # noqa: ANN001
    """Write each favourite as a PNG into `folder` (a job: progress(done, total), cancelled())."""
    from ganstudio.infer import save_png

    paths = []
    for i, fav in enumerate(favourites):
        if cancelled():
            raise Cancelled
        paths.append(save_png(folder / fav.file_name(i), fav.image, fav.recipe.image_info(info)))
        progress(i + 1, len(favourites))
    return paths
