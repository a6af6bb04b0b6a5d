"""The Explore page: open an exported generator and explore its latent space. Seed grid on the
left, the enlarged image in the middle, truncation/class/directions, variations and interpolation
on the right, favourites below.

It wires the parts together and owns the recipe of the enlarged image; all generation happens on
the render thread (render.py) or in jobs (jobs.py). Imports only PySide6, ganstudio.infer and
torch-free app helpers: the torch-free Player ships this page."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QStackedWidget, QTabWidget, QToolButton, QVBoxLayout,
    QWidget,
)

from ganstudio.app import dialogs
from ganstudio.app.errors import AppError
from ganstudio.app.explore.controls import Controls
from ganstudio.app.explore.dataset_dialog import DatasetDialog
from ganstudio.app.explore.favourites import FavouritesStrip, save_favourites
from ganstudio.app.explore.history import FAVOURITES, History
from ganstudio.app.explore.image_view import ImageView
from ganstudio.app.explore.interpolation import PREVIEW, InterpolationPanel, PathSpec, animation_scale, between, walk
from ganstudio.app.explore.jobs import JobBar
from ganstudio.app.explore.nearest import COUNT as NEAREST, NearestPanel
from ganstudio.app.explore.picture import PicturePanel
from ganstudio.app.explore.render import FOCUS, Rendered, RenderWorker
from ganstudio.app.explore.seed_grid import SeedGrid
from ganstudio.app.explore.variations import COUNT as VARIATIONS
from ganstudio.app.explore.variations import VariationsPanel
from ganstudio.errors import Cancelled, GanStudioError
from ganstudio.infer.animation import mp4_available
from ganstudio.infer.recipe import Recipe, draw, projected_recipe, variation_offsets

PICTURES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")  # what can be brought into a model


class Refiner(Protocol):
    """Refines a projected picture with torch (the Studio's app/refine.py; the Player has none)."""

    steps: int

    def problem(self, model: Path) -> str: ...

    def __call__(self, model: Path, checkpoint_step: int, target: np.ndarray, w: np.ndarray,
                 progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> np.ndarray: ...


class ExploreSettings(Protocol):
    """What the page remembers (ganstudio.app.settings.Settings has these). A protocol, not an
    import: Settings' module also serves the training pages, which the Player does not ship."""

    last_model: Path | None
    explore_psi: float

    def favourites(self, model: Path) -> list[dict]: ...

    def set_favourites(self, model: Path, recipes: list[dict]) -> None: ...


class ImageFileError(AppError):
    title = "This image cannot be used"


class WriteError(AppError):
    title = "Could not save"


class PictureError(AppError):
    title = "This picture cannot be brought in"


def _has_image_info(path: Path) -> bool:
    """Whether a PNG was saved by GAN Studio (it is then reopened, not brought in)."""
    from ganstudio.infer import read_image_info
    from ganstudio.infer.errors import ModelError

    try:
        return read_image_info(path) is not None
    except ModelError:
        return True  # damaged information: reopening says what is wrong with it


def dropped_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The .onnx model or the picture being dragged in, if that is what it is."""
    urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
    if len(urls) == 1 and Path(urls[0].toLocalFile()).suffix.lower() in (".onnx", *PICTURES):
        return Path(urls[0].toLocalFile())
    return None


class ExplorePage(QWidget):
    back_requested = Signal()
    error = Signal(object)  # AppError for the main window's dialog
    status_message = Signal(str)
    model_opened = Signal(Path)
    upscale_requested = Signal(object)  # list[SourceImage]: images to enlarge on the Upscale page
    encoder_requested = Signal(Path)  # the open model: export it again with an encoder (the Studio)

    def __init__(self, settings: ExploreSettings | None = None, parent: QWidget | None = None, device: str = "auto",
                 refiner: Refiner | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.refiner = refiner
        self.projection = None  # (file name, Projection, Recipe) of the picture brought in last
        self._waiting_picture: Path | None = None  # dropped on a model without an encoder
        self.worker = RenderWorker(device)
        self.worker.opened.connect(self._opened)
        self.worker.open_failed.connect(self._open_failed)
        self.worker.rendered.connect(self._rendered)
        self.worker.render_failed.connect(self.error)
        self.model = None  # GeneratorModel, opened on the render thread
        self.serial = 0
        self.recipe: Recipe | None = None  # the enlarged image's
        self.shown: tuple[Recipe, np.ndarray] | None = None  # what the enlarged view shows now
        self.focus_seq = 0  # the newest focus request
        self._focus_shown = 0  # the newest focus result shown
        self._variation_offsets: np.ndarray | None = None
        self._path_source: tuple[str, object] | None = None
        self.opening: Path | None = None
        self.setAcceptDrops(True)
        self._build()
        self._shortcuts()
        self._show_empty()

    # ---- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.back_button = QToolButton()
        self.back_button.setText("← Back")
        self.back_button.setToolTip("Back to the page you came from (Alt+Home for the start page).")
        self.back_button.clicked.connect(self.back_requested)
        self.title = QLabel("Explore")
        self.title.setProperty("role", "heading")
        self.subtitle = QLabel("")
        self.subtitle.setProperty("role", "muted")
        self.open_button = QPushButton("Open model…")
        self.open_button.setToolTip("Open an exported generator (.onnx) to explore (Ctrl+Shift+O). You can also drop one here.")
        self.open_button.clicked.connect(self.choose_model)
        self.dataset_button = QPushButton("Make a dataset…")
        self.dataset_button.setToolTip("Generate many images into a folder, e.g. to enlarge a training set (Ctrl+Shift+M).")
        self.dataset_button.clicked.connect(lambda: self.make_dataset())  # not clicked(bool) as the request
        self.history = History()
        self.undo_button = QToolButton()
        self.undo_button.setText("↶ Undo")
        self.undo_button.setToolTip("Undo the last change: a slider, a seed, a variation, or favourites removed (Ctrl+Z).")
        self.undo_button.clicked.connect(self.undo)
        self.redo_button = QToolButton()
        self.redo_button.setText("↷ Redo")
        self.redo_button.setToolTip("Redo what Undo took back (Ctrl+Shift+Z).")
        self.redo_button.clicked.connect(self.redo)
        header = QHBoxLayout()
        header.addWidget(self.back_button)
        header.addWidget(self.title)
        header.addWidget(self.subtitle, 1)
        header.addWidget(self.undo_button)
        header.addWidget(self.redo_button)
        header.addWidget(self.dataset_button)
        header.addWidget(self.open_button)

        self.grid = SeedGrid()
        self.grid.page_needed.connect(self._render_page)
        self.grid.seed_chosen.connect(self.choose_seed)

        self.focus = ImageView("", 128)
        self.focus.setToolTip("The enlarged image. Move the sliders on the right to change it.")
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.keep_button = QPushButton("Keep")
        self.keep_button.setProperty("primary", True)
        self.keep_button.setToolTip("Add this image to the favourites below (Ctrl+K).")
        self.keep_button.clicked.connect(self.keep)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save this image as a PNG that remembers its seed, truncation, class, offsets and\n"
                                    "model, so it can be reopened and made again (Ctrl+S).")
        self.save_button.clicked.connect(self.save_focus)
        self.upscale_button = QPushButton("Upscale and save…")
        self.upscale_button.setToolTip("Enlarge this image 2 or 4 times on the Upscale page, compare with bicubic and save it\n"
                                       "with its seed information.")
        self.upscale_button.clicked.connect(self.upscale_focus)
        self.plain_button = QPushButton("Plain seed")
        self.plain_button.setToolTip("Drop the direction and variation offsets: back to the seed as in the grid\n"
                                     "(or to your picture as the model found it).")
        self.plain_button.clicked.connect(self.plain)
        actions = QHBoxLayout()
        actions.addStretch(1)
        for b in (self.plain_button, self.upscale_button, self.save_button, self.keep_button):
            actions.addWidget(b)
        actions.addStretch(1)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(6, 0, 6, 0)
        centre_layout.addWidget(self.focus, 1)
        centre_layout.addWidget(self.caption)
        centre_layout.addLayout(actions)

        self.controls = Controls()
        self.controls.psi_changed.connect(self._psi_changed)
        self.controls.class_changed.connect(self._class_changed)
        self.controls.amounts_changed.connect(self._amounts_changed)
        self.variations = VariationsPanel()
        self.variations.changed.connect(self._render_variations)
        self.variations.chosen.connect(self.choose_variation)
        self.interpolation = InterpolationPanel()
        self.interpolation.between_requested.connect(self.interpolate_favourites)
        self.interpolation.walk_requested.connect(self.random_walk)
        self.interpolation.changed.connect(self._path_options_changed)
        self.interpolation.export_requested.connect(self.export_animation)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.controls, "Adjust")
        self.tabs.addTab(self.variations, "Variations")
        self.tabs.addTab(self.interpolation, "Interpolate")
        self.nearest = NearestPanel()
        self.tabs.addTab(self.nearest, "Is it new?")
        self.picture = PicturePanel()
        self.picture.bring_requested.connect(self.choose_picture)
        self.picture.refine_requested.connect(self.refine_picture)
        self.picture.edit_requested.connect(self.edit_picture)
        self.picture.encoder_requested.connect(self.add_encoder)
        self.tabs.addTab(self.picture, "Your picture")
        self.tabs.setTabToolTip(0, "Truncation, class and direction sliders.")
        self.tabs.setTabToolTip(1, "A ring of nearby images around the enlarged one.")
        self.tabs.setTabToolTip(2, "The images between favourites, or a random walk; save as GIF/MP4.")
        self.tabs.setTabToolTip(3, "The training pictures nearest to the enlarged image: does the model copy them?")
        self.tabs.setTabToolTip(4, "Bring a picture of your own into the model, then edit it here.")
        self.tabs.currentChanged.connect(self._tab_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.grid)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([450, 480, 440])  # four thumbnails a row (a page is a 4x4 grid); every tab's name shown
        self.splitter.setChildrenCollapsible(False)

        self.favourites = FavouritesStrip()
        self.favourites.chosen.connect(self.show_recipe)
        self.favourites.save_one_requested.connect(self.save_favourite)
        self.favourites.save_all_requested.connect(self.save_all_favourites)
        self.favourites.open_png_requested.connect(self.choose_png)
        self.favourites.upscale_requested.connect(self.upscale_favourites)
        self.favourites.changed.connect(self._remember_favourites)
        self.favourites.removed.connect(lambda: (self.history.record(FAVOURITES, None), self._update_undo()))
        self.favourites.undo_pressed.connect(self._undo_favourites_removal)
        self.jobs = JobBar()
        self.jobs.error.connect(self.error)
        self.jobs.cancelled.connect(lambda: self.status_message.emit("Cancelled."))

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.splitter, 1)
        content_layout.addWidget(self.favourites)

        self.empty_label = QLabel("")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_open = QPushButton("Open a model…")
        self.empty_open.setProperty("primary", True)
        self.empty_open.setToolTip("Choose an exported generator (.onnx): a run's export/ folder holds them.")
        self.empty_open.clicked.connect(self.choose_model)
        self.reopen_button = QPushButton("")
        self.reopen_button.setToolTip("Open the model explored last time.")
        self.reopen_button.clicked.connect(lambda: self.settings and self.settings.last_model and self.open_model(self.settings.last_model))
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        for b in (self.empty_open, self.reopen_button):
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(b)
            row.addStretch(1)
            empty_layout.addLayout(row)
        empty_layout.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(content)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.jobs)

    def _shortcuts(self) -> None:
        for keys, slot, tip in (
            ("Ctrl+K", self.keep, "Keep the enlarged image"),
            ("Ctrl+S", self.save_focus, "Save the enlarged image as PNG"),
            ("Ctrl+R", self.controls.reset_amounts, "Reset the direction sliders"),
            ("Ctrl+M", self.grid.add_page, "More seeds"),
            ("Ctrl+Shift+I", self.choose_png, "Reopen a saved PNG"),
            ("Ctrl+Shift+P", self.choose_picture, "Bring in a picture"),
            ("Ctrl+Shift+E", self.export_animation, "Export the interpolation"),
            ("Ctrl+Shift+M", self.make_dataset, "Make a dataset"),
            ("Ctrl+Z", self.undo, "Undo the last change"),
            ("Ctrl+Shift+Z", self.redo, "Redo"),
            ("N", self.variations.new_ring, "New ring of variations"),
            ("Escape", self.jobs.cancel, "Cancel the running job"),
        ):
            action = QAction(tip, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())  # triggered(bool) is no argument
            self.addAction(action)
        remove = QAction("Remove favourites", self.favourites.list)
        remove.setShortcut(QKeySequence.StandardKey.Delete)
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(self.favourites.remove_selected)
        self.favourites.list.addAction(remove)

    def _show_empty(self) -> None:
        last = self.settings.last_model if self.settings else None
        self.empty_label.setText("Open an exported generator (.onnx) to explore what it has learned:\n"
                                 "a grid of seeds, direction sliders, variations, interpolations and favourites.\n\n"
                                 "Choose one, or drop an .onnx file anywhere on this window.")
        self.reopen_button.setVisible(bool(last and last.is_file()))
        if last:
            self.reopen_button.setText(f"Reopen {last.name}")
        self.stack.setCurrentIndex(0)
        self.dataset_button.setEnabled(False)

    # ---- the model ---------------------------------------------------------------------------

    def choose_model(self) -> None:
        start = str(self.settings.last_model.parent) if self.settings and self.settings.last_model else ""
        path, _ = QFileDialog.getOpenFileName(self, "Explore a model", start, "Exported generators (*.onnx)")
        if path:
            self.open_model(Path(path))

    def may_discard_favourites(self) -> bool:
        """True when no favourite would be lost, or the user agrees to lose them. With settings they
        are kept there for each model and come back when it is opened again: nothing is lost."""
        if self.settings is not None or not (self.favourites.items and self.favourites.unsaved):
            return True
        n = len(self.favourites.items)
        if not dialogs.confirm(self, "Unsaved favourites", f"Discard {n} unsaved favourite{'s' if n != 1 else ''}?",
                               "Favourites are kept only while this model is open. Save them first with Save all….",
                               yes="Discard", no="Keep them"):
            return False
        self.favourites.unsaved = False  # asked once: closing after this does not ask again
        return True

    def open_model(self, path: Path) -> None:
        """Open `path` on the render thread; `model_opened` or `error` follows. Asks first when
        that would discard unsaved favourites."""
        if not self.may_discard_favourites():
            return
        self.opening = Path(path)
        self.status_message.emit(f"Opening {Path(path).name}…")
        self.worker.open_model(Path(path))

    def _opened(self, model, serial: int) -> None:  # noqa: ANN001 - GeneratorModel
        self.model, self.serial, self.opening = model, serial, None
        self.recipe = self.shown = None  # nothing below may re-render the previous model's seed
        info = model.info
        self.title.setText(info.name)
        classes = f", {len(info.classes)} classes" if info.classes else ""
        self.subtitle.setText(f"{model.path.name} · {info.resolution} px{classes} · {len(info.directions)} directions · "
                              f"{model.device.upper()}")
        self.subtitle.setToolTip(str(model.path))
        psi = self.settings.explore_psi if self.settings else 1.0
        self.controls.set_model(info, psi)
        self.favourites.clear()
        self._restore_favourites(model)
        self.history.clear()  # the steps were the previous model's
        self._update_undo()
        self.variations.clear()
        self.nearest.set_model(info.copies, self.worker.index_problem)
        refine_problem = None if self.refiner is None else self.refiner.problem(model.path)
        self.picture.set_model(self.worker.encoder_problem, refine_problem == "", refine_problem)
        self.projection = None
        waiting, self._waiting_picture = self._waiting_picture, None
        if waiting is not None and self.worker.encoder is not None:
            self.bring_in(waiting)  # the picture that waited for this model's encoder
        self.interpolation.set_spec(None)
        self._path_source = None
        self.recipe = Recipe(0, psi, 0 if info.conditional else None)
        self.shown = None
        self.focus.set_image(None)
        self.grid.reset(0)
        self.grid.select_seed(0)
        self.stack.setCurrentIndex(1)
        self.dataset_button.setEnabled(True)
        self._render_focus()
        if self.settings:
            self.settings.last_model = model.path
        self.status_message.emit(f"Exploring {model.path.name}" + (f" ({model.device_note})" if model.device_note else ""))
        self.model_opened.emit(model.path)

    def _open_failed(self, path: Path, error: AppError) -> None:
        self.opening = None
        self.status_message.emit(f"{path.name} could not be opened.")
        self.error.emit(error)

    def shutdown(self) -> None:
        """Stop the render thread and any job (the window is closing)."""
        self.jobs.cancel()
        if self.jobs.task is not None:
            self.jobs.task.wait(30000)
        self.worker.stop()

    # ---- rendering -------------------------------------------------------------------------

    def _render_focus(self) -> None:
        if self.model is None or self.recipe is None:
            return
        r, info = self.recipe, self.model.info
        self.focus_seq = self.worker.submit(FOCUS, r.z(info.latent_dim)[None], psi=r.graph_psi, class_index=r.class_index,
                                            w_offset=r.graph_offset(info)[None], tag=r, then=self._show_focus)
        if self.tabs.currentWidget() is self.variations:
            self._render_variations()

    def _render_page(self, page: int, seeds: list[int]) -> None:
        if self.model is None:
            return
        key = (self.controls.psi, self.controls.class_index)
        self.worker.submit(f"grid:{page}", self.model.z_for_seeds(seeds), psi=key[0], class_index=key[1], tag=(page, seeds, key),
                           then=self._show_grid_page)

    def _render_variations(self) -> None:
        if self.model is None or self.recipe is None:
            return
        r, info = self.recipe, self.model.info
        offsets = r.w_offset(info) + variation_offsets(info.directions, VARIATIONS, self.variations.spread,
                                                       key=self.variations.key, w_dim=info.w_dim)
        z = np.repeat(r.z(info.latent_dim)[None], VARIATIONS, axis=0)
        self.worker.submit("variations", z, psi=r.graph_psi, class_index=r.class_index, w_offset=r.graph_offset(info, offsets),
                           tag=(r, offsets), then=self._show_variations)

    def _render_strip(self) -> None:
        spec = self.interpolation.spec
        if self.model is None or spec is None:
            return
        self.worker.submit_fn("strip", lambda model: np.stack(list(spec.frames(model, PREVIEW))), tag=spec, then=self._show_strip)

    def _rendered(self, r: Rendered) -> None:
        if r.model_serial == self.serial:  # else for a model no longer open
            r.deliver()

    def _show_focus(self, r: Rendered) -> None:
        if r.seq < self._focus_shown:
            return  # an older request that finished late
        self._focus_shown = r.seq
        self.shown = (r.tag, r.images[0])
        self.grid.select_seed(None if r.tag.projected is not None else r.tag.seed)  # the highlight is always the seed enlarged
        self.focus.set_image(r.images[0], r.seq)
        self.variations.set_centre(r.images[0])
        self._update_caption()
        if self.tabs.currentWidget() is self.nearest:
            self._find_nearest()

    def _find_nearest(self) -> None:
        index, shown = self.worker.training_index, self.shown
        if index is None or shown is None:
            return
        image = shown[1]

        def find(model) -> tuple[np.ndarray, list]:  # noqa: ANN001 - on the render thread
            neighbours = index.nearest(image, NEAREST)
            return np.zeros((0, 1, 1, 3), np.uint8), neighbours

        self.worker.submit_fn("nearest", find, tag=shown[0], then=self._show_nearest)

    def _show_nearest(self, r: Rendered) -> None:
        if self.shown is not None and r.tag is self.shown[0]:
            self.nearest.set_neighbours(r.extra)

    def _show_grid_page(self, r: Rendered) -> None:
        page, seeds, key = r.tag
        if key == (self.controls.psi, self.controls.class_index) and page < self.grid.pages:
            self.grid.set_page(page, seeds, r.images)

    def _show_variations(self, r: Rendered) -> None:
        recipe, offsets = r.tag
        if recipe == self.recipe:
            self._variation_offsets = offsets
            self.variations.set_images(r.images)

    def _show_strip(self, r: Rendered) -> None:
        if r.tag is self.interpolation.spec:
            self.interpolation.set_strip(r.images)

    def _show_favourites(self, r: Rendered) -> None:
        # They came from the settings: adding them must not rewrite the settings once per image.
        self.favourites.blockSignals(True)
        for recipe, image in zip(r.tag, r.images):
            self.favourites.add(recipe, image, self.model.info)
        self.favourites.blockSignals(False)
        self.favourites.unsaved = False

    # ---- favourites kept between sessions ---------------------------------------------------

    def _remember_favourites(self) -> None:
        if self.settings is not None and self.model is not None:
            self.settings.set_favourites(self.model.path, [f.recipe.to_dict() for f in self.favourites.items])

    def _restore_favourites(self, model) -> None:  # noqa: ANN001 - GeneratorModel
        """Render the recipes kept for this model on the render thread; they join the strip then."""
        if self.settings is None:
            return
        recipes = []
        for data in self.settings.favourites(model.path):
            try:
                recipe = Recipe.from_dict(data)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # a damaged entry: the others still come back
            if recipe.fits(model.info):
                recipes.append(recipe)
        if not recipes:
            return
        self.worker.submit_fn("favourites", lambda m: draw(m, recipes), tag=recipes, then=self._show_favourites)

    def _update_caption(self) -> None:
        if self.shown is None or self.model is None:
            self.caption.setText("")
            return
        r, info = self.shown[0], self.model.info
        self.plain_button.setText("As found" if r.projected is not None else "Plain seed")
        parts = [f"<b>{r.name[:1].upper()}{r.name[1:]}</b>", f"psi {r.psi:.2f}"]
        if r.class_index is not None and info.classes:
            parts.append(f"class {info.classes[r.class_index]}")
        moved = [f"{k + 1}: {a:+.2f}" for k, a in enumerate(r.amounts) if a]
        if moved:
            parts.append("directions " + ", ".join(moved))
        if r.base is not None and r.note:
            parts.append(r.note)
        self.caption.setText(" · ".join(parts))

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.variations:
            self._render_variations()
        elif self.tabs.currentWidget() is self.interpolation and self.interpolation.spec is not None:
            self._render_strip()
        elif self.tabs.currentWidget() is self.nearest:
            self._find_nearest()

    # ---- what the user changes --------------------------------------------------------------

    def _set_recipe(self, recipe: Recipe, change: str | None = None) -> None:
        """Show `recipe`; `change` names what the user changed, for Undo (None: Undo itself, a new model)."""
        if change is not None and recipe != self.recipe:
            self.history.record(change, self.recipe)
        self.recipe = recipe
        self._update_undo()
        self._render_focus()

    def undo(self) -> None:
        entry = self.history.undo(self.recipe)
        if entry is None:
            return
        if entry.kind == FAVOURITES:
            self.favourites.undo_remove()
        elif entry.recipe is not None:
            self.show_recipe(entry.recipe, change=None)
        self._update_undo()

    def redo(self) -> None:
        recipe = self.history.redo(self.recipe)
        if recipe is not None:
            self.show_recipe(recipe, change=None)
        self._update_undo()

    def _undo_favourites_removal(self) -> None:
        self.favourites.undo_remove()
        self.history.drop_last(FAVOURITES)
        self._update_undo()

    def _update_undo(self) -> None:
        self.undo_button.setEnabled(self.history.can_undo())
        self.redo_button.setEnabled(self.history.can_redo())

    def plain(self) -> None:
        """Back to the seed as the grid shows it, or to the projected picture without its edits."""
        if self.recipe is not None and self.recipe.projected is not None:
            self.show_recipe(self.recipe.plain(), "plain")
        elif self.recipe is not None:
            self.choose_seed(self.recipe.seed)

    def choose_seed(self, seed: int) -> None:
        """Enlarge `seed` as the grid shows it: sliders back to 0, no offsets."""
        if self.recipe is None:
            return
        self.controls.set_amounts(())
        self.grid.select_seed(seed)
        self._set_recipe(Recipe(seed, self.controls.psi, self.controls.class_index), "seed")

    def show_recipe(self, recipe: Recipe, change: str | None = "recipe") -> Recipe:
        """Enlarge an image from its recipe (a favourite, a reopened PNG): controls follow it. Returns
        the recipe as shown: with an exact stored offset, its sliders are re-anchored where they
        could go (±3), so that moving one later moves from there, without a jump."""
        psi_or_class_changed = (recipe.psi, recipe.class_index) != (self.controls.psi, self.controls.class_index)
        self.controls.set_psi(recipe.psi)
        self.controls.set_class(recipe.class_index)
        self.controls.set_amounts(recipe.amounts)
        if recipe.base is not None:
            recipe = dataclasses.replace(recipe, amounts=self.controls.amounts(), anchor=self.controls.amounts())
        self.grid.select_seed(recipe.seed)
        self._set_recipe(recipe, change)
        if psi_or_class_changed:
            self.grid.refresh()
        return recipe

    def _psi_changed(self, psi: float) -> None:
        if self.recipe is not None:
            self._set_recipe(dataclasses.replace(self.recipe, psi=psi), "psi")
            self.grid.refresh()
        if self.settings:
            self.settings.explore_psi = psi

    def _class_changed(self, index: int) -> None:
        if self.recipe is not None:
            self._set_recipe(dataclasses.replace(self.recipe, class_index=index), "class")
            self.grid.refresh()

    def _amounts_changed(self, amounts: tuple) -> None:
        if self.recipe is not None:
            self._set_recipe(self.recipe.with_amounts(amounts), "amounts")

    def choose_variation(self, index: int) -> None:
        if self.recipe is None or self.model is None or self._variation_offsets is None or self.variations.images is None:
            return
        self._set_recipe(self.recipe.with_offset(self.model.info, self._variation_offsets[index], note="variation"), "variation")

    # ---- favourites and files ----------------------------------------------------------------

    def keep(self) -> None:
        if self.shown is None or self.model is None:
            return
        recipe, image = self.shown
        self.favourites.add(recipe, image, self.model.info)
        self.status_message.emit(f"Kept {recipe.label()} ({len(self.favourites.items)} favourites).")

    def _save_png(self, recipe: Recipe, image: np.ndarray, suggested: str) -> None:
        start = str(self._start_dir() / suggested)
        path, _ = QFileDialog.getSaveFileName(self, "Save image", start, "PNG images (*.png)")
        if not path:
            return
        path = Path(path) if path.lower().endswith(".png") else Path(path + ".png")
        try:
            from ganstudio.infer import save_png

            save_png(path, image, recipe.image_info(self.model.info))
        except GanStudioError as e:
            self.error.emit(WriteError(str(e), "Choose a folder you can write to, with free space."))
            return
        self.status_message.emit(f"Saved {path}")

    def _source(self, recipe: Recipe, image: np.ndarray, name: str):  # noqa: ANN202 - SourceImage
        from ganstudio.infer.upscale_files import KEPT_CHUNKS, SourceImage

        text = {k: v for k, v in recipe.image_info(self.model.info).to_text().items() if k in KEPT_CHUNKS}
        return SourceImage(Path(name), image, text)

    def upscale_focus(self) -> None:
        if self.shown is not None and self.model is not None:
            recipe, image = self.shown
            self.upscale_requested.emit([self._source(recipe, image, f"{recipe.file_stem()}.png")])

    def upscale_favourites(self) -> None:
        if self.model is None or not self.favourites.items:
            return
        chosen = self.favourites.selected() or list(self.favourites.items)
        self.upscale_requested.emit(
            [self._source(f.recipe, f.image, f.file_name(self.favourites.items.index(f))) for f in chosen]
        )

    def save_focus(self) -> None:
        if self.shown is not None and self.model is not None:
            self._save_png(self.shown[0], self.shown[1], f"{self.shown[0].file_stem()}.png")

    def save_favourite(self) -> None:
        fav = self.favourites.current()
        if fav is not None and self.model is not None:
            self._save_png(fav.recipe, fav.image, fav.file_name(self.favourites.items.index(fav)))

    def save_all_favourites(self, folder: Path | None = None) -> bool:
        if not self.favourites.items or self.model is None:
            return False
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Save all favourites into", str(self._start_dir()))
            if not chosen:
                return False
            folder = Path(chosen)
        items, info = list(self.favourites.items), self.model.info
        return self._run_job(lambda progress, cancelled: save_favourites(items, folder, info, progress, cancelled),
                             "saving favourites", f"Saving {len(items)} favourites",
                             lambda paths: self._favourites_saved(paths, folder))

    def _favourites_saved(self, paths: list[Path], folder: Path) -> None:
        self.favourites.unsaved = False
        self.status_message.emit(f"Saved {len(paths)} images in {folder}")

    def choose_png(self) -> None:
        if self.model is None:
            self.status_message.emit("Open a model first: a saved image is remade with the model that made it.")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Reopen a saved image", str(self._start_dir()),
                                              "PNG images (*.png)")
        if path:
            self.open_png(Path(path))

    def open_png(self, path: Path) -> Recipe | None:
        """Restore the exact latent saved in a PNG made by GAN Studio; a message otherwise."""
        from ganstudio.infer import read_image_info

        if self.model is None:
            return None
        todo = "Choose a PNG saved by GAN Studio's Explore page or `ganstudio generate`, with the model that made it open."
        try:
            stored = read_image_info(path)
            if stored is None:
                raise ImageFileError(f"{path} holds no GAN Studio information (seed, psi, model): it was not saved by "
                                     "GAN Studio, or its text chunks were removed.", todo)
            recipe = Recipe.from_image_info(stored, self.model.info, str(path))
        except AppError as e:
            self.error.emit(e)
            return None
        except GanStudioError as e:
            self.error.emit(ImageFileError(str(e)[:1].upper() + str(e)[1:], todo))
            return None
        recipe = self.show_recipe(recipe)
        other = f" (it was made with {stored.model})" if stored.model != self.model.info.name else ""
        self.status_message.emit(f"Reopened {path.name}: {recipe.name}{other}")
        return recipe

    # ---- your picture --------------------------------------------------------------------------

    def choose_picture(self) -> None:
        if self.model is None:
            self.status_message.emit("Open a model first: a picture is found in the model that is open.")
            return
        patterns = " ".join(f"*{suffix}" for suffix in PICTURES)
        path, _ = QFileDialog.getOpenFileName(self, "Bring a picture into the model", str(self._start_dir()), f"Pictures ({patterns})")
        if path:
            self.bring_in(Path(path))

    def bring_in(self, path: Path) -> None:
        """Find `path` in the open model with its encoder; the match is enlarged and shown beside the
        picture on the Your picture tab."""
        if self.model is None:
            return
        encoder = self.worker.encoder
        if encoder is None:
            self._waiting_picture = path  # brought in once an encoder is added
            self.tabs.setCurrentWidget(self.picture)
            self.error.emit(PictureError(self.worker.encoder_problem or f"{self.model.path.name} has no encoder.",
                                         "Add an encoder on the Your picture tab (GAN Studio), or export the run again with "
                                         "`ganstudio export RUN --with-encoder`."))
            return
        self.status_message.emit(f"Looking for {path.name} in the model…")

        def find(model):  # noqa: ANN001, ANN202 - on the render thread
            from ganstudio.infer.project import PictureError as BadPicture, load_picture, project

            try:
                target = load_picture(path, model.info.resolution)
            except BadPicture as e:
                return np.zeros((0, 1, 1, 3), np.uint8), e
            found = project(encoder, target)
            return found.image[None], found

        self.worker.submit_fn("picture", find, tag=path.name, then=self._found)

    def _found(self, r: Rendered) -> None:
        if isinstance(r.extra, Exception):
            text = str(r.extra)
            self.error.emit(PictureError(text[:1].upper() + text[1:], "Choose a picture file (PNG, JPEG, WebP, BMP, GIF or TIFF)."))
            return
        name, found = r.tag, r.extra
        recipe = projected_recipe(found.w, self.worker.w_average, self.model.info, note=name)
        self.projection = (name, found, recipe)
        took = f"{found.seconds * 1000:.0f} ms" if found.seconds < 1 else f"{found.seconds:.1f} s"
        self.picture.show_match(found.target, found.image, name, f"{found.similarity} · found in {took}")
        self.tabs.setCurrentWidget(self.picture)
        self.show_recipe(recipe, "picture")
        self.status_message.emit(f"Found {name} in the model: {found.similarity}.")

    def add_encoder(self) -> None:
        """Ask the Studio to export the open model again with an encoder; it reopens here when done."""
        if self.model is not None:
            self.picture.adding_encoder()
            self.encoder_requested.emit(self.model.path)

    def edit_picture(self) -> None:
        """Enlarge the picture brought in last, as the model found it."""
        if self.projection is not None:
            self.show_recipe(self.projection[2], "picture")

    def refine_picture(self) -> bool:
        """Look for a closer match with the run's torch generator (a job: progress bar, Cancel)."""
        if self.projection is None or self.model is None or self.refiner is None:
            return False
        name, found, _ = self.projection
        model, refiner = self.model, self.refiner
        step = int(model.info.summary.get("checkpoint_step", -1))

        def work(progress, cancelled):  # noqa: ANN001, ANN202
            start = time.perf_counter()
            return refiner(model.path, step, found.target, found.w, progress, cancelled), time.perf_counter() - start

        def refined(result: tuple[np.ndarray, float]) -> None:
            if self.model is not model:
                return  # another model was opened meanwhile
            w, seconds = result

            def score(m):  # noqa: ANN001, ANN202 - on the render thread
                from ganstudio.infer.project import projection_of

                better = projection_of(m, found.target, w, found.seconds + seconds)
                return better.image[None], better

            self.worker.submit_fn("picture", score, tag=name, then=self._found)

        return self._run_job(work, "refining the picture", f"Refining {name} ({refiner.steps} steps)", refined)

    # ---- interpolation -------------------------------------------------------------------------

    def interpolate_favourites(self) -> None:
        chosen = self.favourites.selected()
        if len(chosen) < 2:
            chosen = list(self.favourites.items)
        if len(chosen) < 2:
            self.status_message.emit("Keep at least two favourites to interpolate between them.")
            return
        self._path_source = ("between", [f.recipe for f in chosen])
        self._path_options_changed()

    def random_walk(self) -> None:
        if self.recipe is not None:
            self._path_source = ("walk", self.recipe)
            self._path_options_changed()

    def _path_options_changed(self) -> None:
        if self._path_source is None or self.model is None:
            return
        kind, source = self._path_source
        p = self.interpolation
        spec = between(source, self.model.info, p.space, p.loop) if kind == "between" else walk(source, self.model.info, p.space)
        p.set_spec(spec)
        p.loop_box.setEnabled(kind == "between")  # a random walk always loops
        self.tabs.setCurrentWidget(p)
        self._render_strip()

    def export_animation(self, path: Path | None = None) -> bool:
        spec: PathSpec | None = self.interpolation.spec
        if spec is None or self.model is None:
            self.status_message.emit("Choose a path first: between favourites, or a random walk.")
            return False
        if path is None:
            start = str(self._start_dir() / "interpolation.gif")
            chosen, _ = QFileDialog.getSaveFileName(self, "Export the animation", start, "Animated GIF (*.gif);;MP4 video (*.mp4)" if mp4_available() else "Animated GIF (*.gif)")
            if not chosen:
                return False
            path = Path(chosen)
            if path.suffix.lower() not in (".gif", ".mp4"):
                path = path.with_suffix(".gif")
        frames, fps, model = self.interpolation.frames_box.value(), self.interpolation.fps_box.value(), self.model
        scale = animation_scale(model.info.resolution)

        def work(progress, cancelled):  # noqa: ANN001, ANN202
            from ganstudio.infer.animation import write_animation

            def report(done: int, total: int) -> None:
                if cancelled():
                    raise Cancelled
                progress(done, total)

            return write_animation(path, spec.frames(model, frames), fps=fps, count=frames, progress=report, scale=scale)

        return self._run_job(work, "writing the animation", f"Writing {path.name}",
                             lambda written: self.status_message.emit(f"Saved {written} ({frames} frames at {fps} fps)"))

    # ---- dataset ---------------------------------------------------------------------------------

    def make_dataset(self, request=None) -> bool:  # noqa: ANN001 - DatasetRequest, or None to ask
        if self.model is None:
            return False
        psi, class_index, info = self.controls.psi, self.controls.class_index, self.model.info
        if request is None:
            settings_text = f"Truncation {psi:.2f}" + (f", class {info.classes[class_index]}" if class_index is not None else "") + \
                " (as chosen on the page)."
            dialog = DatasetDialog(info.name, settings_text, self._start_dir() / f"{info.name}-images", self)
            if dialog.exec() != DatasetDialog.DialogCode.Accepted:
                return False
            request = dialog.request()
        model, seeds = self.model, request.seeds

        def work(progress, cancelled):  # noqa: ANN001, ANN202
            from ganstudio.infer.folder import generate_to_folder

            return generate_to_folder(model, seeds, request.folder, psi=psi, class_index=class_index,
                                      progress=progress, cancelled=cancelled)

        def done(result) -> None:  # noqa: ANN001
            stopped = "" if result.count == len(seeds) else f" (stopped after {result.count} of {len(seeds)})"
            self.status_message.emit(f"Wrote {result.count} images to {result.folder}{stopped}")

        return self._run_job(work, "making a dataset", f"Making {len(seeds)} images", done)

    def _start_dir(self) -> Path:
        """Where file dialogs start: beside the open model."""
        return self.model.path.parent if self.model is not None else Path.home()

    def _run_job(self, work, doing: str, title: str, on_done) -> bool:  # noqa: ANN001
        if not self.jobs.run(work, doing=doing, title=title, on_done=on_done):
            self.status_message.emit("Another job is running: wait for it or cancel it (Esc).")
            return False
        return True

    # ---- drag and drop -----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_path(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_path(event)
        if path is None:
            return
        event.acceptProposedAction()
        self.open_dropped(path)

    def open_dropped(self, path: Path) -> None:
        """A model opens; a PNG saved by GAN Studio reopens; any other picture is brought into the model."""
        if path.suffix.lower() == ".onnx":
            self.open_model(path)
        elif self.model is None:
            self.status_message.emit("Open a model first: a picture is found in, or remade by, the model that is open.")
        elif path.suffix.lower() == ".png" and _has_image_info(path):
            self.open_png(path)
        else:
            self.bring_in(path)
