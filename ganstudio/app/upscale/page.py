"""The Upscale page: drop images or a folder, pick a model (built-in, one trained with
`ganstudio train-upscaler`, or any ONNX upscaler) and a scale, compare with bicubic in a split view,
and save them all with a progress bar and Cancel.

Models run on BackgroundTask threads (onnxruntime, no torch); their numpy results become pixmaps on
the GUI thread only (see gc_guard.py and explore/render.py for why)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
from PIL import Image
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSplitter,
    QStackedWidget, QVBoxLayout, QWidget,
)

from ganstudio.app import dialogs
from ganstudio.app.errors import AppError
from ganstudio.app.explore.image_view import to_pixmap
from ganstudio.app.explore.jobs import JobBar
from ganstudio.app.tasks import BackgroundTask
from ganstudio.app.upscale.compare import CompareView
from ganstudio.infer.builtin import BUILTIN, BUILTIN_SCALES, builtin_upscaler_name, builtin_upscaler_path
from ganstudio.infer.errors import NotAnUpscalerError
from ganstudio.infer.upscale_files import (
    ImageReadError, SourceImage, collect_inputs, output_name, read_image, upscale_files, upscale_image,
)

THUMB = 40
PREVIEW_SIDE = 768  # input px: bigger images are previewed by their centre (the saved ones are whole)
OPEN_OTHER = "open"
UNREADABLE = Qt.ItemDataRole.UserRole + 1  # on a list item: why its file cannot be read (shown, never a dialog)


class UpscaleSettings(Protocol):
    runs_dir: Path
    last_folder: str


class UpscaleError(AppError):
    title = "Cannot upscale"


class PartlyUpscaledError(AppError):
    title = "Some images were not upscaled"  # the others were saved: not "Cannot upscale"


@dataclass(frozen=True)
class ModelChoice:
    kind: str  # "builtin" or "file"
    path: Path | None = None

    def resolve(self, scale: int) -> Path:
        if self.kind == BUILTIN:
            return builtin_upscaler_path(scale if scale in BUILTIN_SCALES else 2)
        assert self.path is not None
        return self.path


def upscaler_models(runs_dir: Path, other_runs: list[Path] = ()) -> list[tuple[str, Path]]:
    """(label, .onnx) for each export of each train-upscaler run in runs_dir or among other_runs
    (run folders themselves: those made with the CLI, wherever they are)."""
    found, seen = [], set()
    candidates = sorted(Path(runs_dir).glob("*/run.json")) + [Path(r) / "run.json" for r in other_runs]
    for run_json in candidates:
        if run_json.resolve() in seen or not run_json.is_file():
            continue
        seen.add(run_json.resolve())
        try:
            config = json.loads(run_json.read_text()).get("config", {})
        except (OSError, ValueError):
            continue
        if isinstance(config, dict) and config.get("task") == "upscaler":
            for onnx in sorted((run_json.parent / "export").glob("*.onnx")):
                found.append((f"{run_json.parent.name}: {onnx.stem}", onnx))
    return found


def dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    return [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]


class UpscalePage(QWidget):
    back_requested = Signal()
    error = Signal(object)  # AppError for the main window's dialog
    status_message = Signal(str)
    preview_ready = Signal()  # the split view shows the current image with the current model
    saved = Signal(object)  # BatchResult

    def __init__(self, settings: UpscaleSettings | None = None, parent: QWidget | None = None, device: str = "auto",
                 other_runs: Callable[[], list[Path]] = list) -> None:
        super().__init__(parent)
        self.settings = settings
        self.other_runs = other_runs  # run folders outside settings.runs_dir (the Studio's list of known runs)
        self.device = device
        self.entries: list[tuple[Path | SourceImage, Path]] = []
        self._models: dict[Path, object] = {}  # path -> Upscaler, opened once
        self._models_lock = threading.Lock()
        self._preview_task: BackgroundTask | None = None
        self._preview_again = False
        self.last_preview: dict | None = None
        self._list_generation = 0  # bumped by clear(): late thumbnails of a cleared list are dropped
        self.setAcceptDrops(True)
        self._build()
        self._shortcuts()
        self.refresh_models()
        self._show_empty()

    # ---- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.back_button = QPushButton("← Back")
        self.back_button.setToolTip("Back to the previous page (Alt+Home: start page).")
        self.back_button.clicked.connect(self.back_requested)
        title = QLabel("Upscale")
        title.setProperty("role", "title")
        self.subtitle = QLabel("Enlarge images with the built-in upscaler, one you trained, or any ONNX upscaler.")
        self.subtitle.setProperty("role", "muted")
        self.add_button = QPushButton("Add images…")
        self.add_button.setToolTip("Choose images to upscale (Ctrl+Shift+U). You can also drop images or folders here.")
        self.add_button.clicked.connect(self.choose_images)
        self.folder_button = QPushButton("Add folder…")
        self.folder_button.setToolTip("Add every image in a folder and its subfolders.")
        self.folder_button.clicked.connect(self.choose_folder)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove all images from the list (nothing is deleted from disk).")
        self.clear_button.clicked.connect(self.clear)
        # One action for the button, the Delete key and the list's context menu, so enabling is decided once.
        self.remove_action = QAction("Remove from the list", self)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.setToolTip("Remove the selected images from the list (Delete; nothing is deleted from disk).")
        self.remove_action.triggered.connect(self.remove_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip(self.remove_action.toolTip())
        self.remove_button.clicked.connect(self.remove_action.trigger)
        self.remove_action.enabledChanged.connect(self.remove_button.setEnabled)
        header = QHBoxLayout()
        for w in (self.back_button, title):
            header.addWidget(w)
        header.addWidget(self.subtitle, 1)
        for w in (self.folder_button, self.add_button):
            header.addWidget(w)

        self.model_box = QComboBox()
        self.model_box.setToolTip("Which upscaler: the built-in general model, one trained with\n"
                                  "`ganstudio train-upscaler` (from your runs folder), or any ONNX upscaler.")
        self.model_box.activated.connect(self._model_activated)
        self.scale_box = QComboBox()
        self.scale_box.setToolTip("How many times larger. A model made for another scale is resized to this one (Lanczos).")
        for s in BUILTIN_SCALES:
            self.scale_box.addItem(f"×{s}", s)
        self.scale_box.currentIndexChanged.connect(lambda _: self.request_preview())
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit the image in the view (Ctrl+0; or double-click it).")
        self.actual_button = QPushButton("1:1")
        self.actual_button.setToolTip("One screen pixel per upscaled pixel (Ctrl+1). Scroll to zoom, right-drag to pan.")
        self.save_button = QPushButton("Save all…")
        self.save_button.setProperty("primary", True)
        self.save_button.setToolTip("Upscale every image in the list and save them as PNGs into a folder (Ctrl+S).")
        self.save_button.clicked.connect(lambda: self.save_all())
        self.info = QLabel("")
        self.info.setProperty("role", "muted")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model"))
        bar.addWidget(self.model_box, 2)
        bar.addWidget(QLabel("Scale"))
        bar.addWidget(self.scale_box)
        bar.addSpacing(12)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        bar.addWidget(self.info, 3)
        bar.addWidget(self.remove_button)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.save_button)

        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setSpacing(2)
        self.list.setToolTip("The images to upscale. Click one to compare it with bicubic; Delete removes it from the list.")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.list.addAction(self.remove_action)  # the Delete key (list focused) and the right-click menu
        self.list.currentRowChanged.connect(lambda _: self.request_preview())
        self.list.itemSelectionChanged.connect(lambda: self.remove_action.setEnabled(bool(self.list.selectedItems())))
        self.compare = CompareView()
        self.fit_button.clicked.connect(self.compare.fit)
        self.actual_button.clicked.connect(self.compare.actual_size)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(self.compare)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 900])
        self.splitter.setChildrenCollapsible(False)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addLayout(bar)
        content_layout.addWidget(self.splitter, 1)

        self.empty_label = QLabel("Drop images or a folder here to upscale them.\n\nGenerated images are small (64–256 px): "
                                  "the upscaler makes them 2 or 4 times larger and sharper than plain resizing.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_add = QPushButton("Add images…")
        self.empty_add.setProperty("primary", True)
        self.empty_add.clicked.connect(self.choose_images)
        self.empty_folder = QPushButton("Add a folder…")
        self.empty_folder.clicked.connect(self.choose_folder)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.empty_add)
        row.addWidget(self.empty_folder)
        row.addStretch(1)
        empty_layout.addLayout(row)
        empty_layout.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(content)

        self.jobs = JobBar()
        self.jobs.error.connect(self.error)
        self.jobs.cancelled.connect(lambda: self.status_message.emit("Cancelled."))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.jobs)

    def _shortcuts(self) -> None:
        for keys, slot, tip in (
            ("Ctrl+S", lambda: self.save_all(), "Save all upscaled"),
            ("Ctrl+0", self.compare.fit, "Fit"),
            ("Ctrl+1", self.compare.actual_size, "Actual size"),
            ("Ctrl+=", lambda: self.compare.zoom_by(1.25), "Zoom in"),
            ("Ctrl+-", lambda: self.compare.zoom_by(0.8), "Zoom out"),
            ("Escape", self.jobs.cancel, "Cancel saving"),
        ):
            action = QAction(tip, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def _show_empty(self) -> None:
        self.stack.setCurrentIndex(0 if not self.entries else 1)
        self.save_button.setEnabled(bool(self.entries))
        self.clear_button.setEnabled(bool(self.entries))
        self.remove_action.setEnabled(bool(self.list.selectedItems()))
        self.remove_button.setEnabled(self.remove_action.isEnabled())

    # ---- models ------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """Built-in, the user's trained upscalers, then "Open ONNX…"; the current choice kept."""
        current = self.model_choice() if self.model_box.count() else ModelChoice(BUILTIN)
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItem("Built-in (general, ×2 / ×4)", ModelChoice(BUILTIN))
        runs = getattr(self.settings, "runs_dir", None)
        for label, path in upscaler_models(Path(runs), self.other_runs()) if runs else []:
            self.model_box.addItem(label, ModelChoice("file", path))
        if current.kind == "file" and self.model_box.findData(current) < 0:
            self.model_box.addItem(current.path.name, current)
        self.model_box.addItem("Open ONNX upscaler…", OPEN_OTHER)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(current)))
        self.model_box.blockSignals(False)

    def model_choice(self) -> ModelChoice:
        data = self.model_box.currentData()
        return data if isinstance(data, ModelChoice) else ModelChoice(BUILTIN)

    def scale(self) -> int:
        return int(self.scale_box.currentData())

    def _model_activated(self, index: int) -> None:
        if self.model_box.itemData(index) == OPEN_OTHER:
            path, _ = QFileDialog.getOpenFileName(self, "Open an ONNX upscaler", str(self._start_dir()), "ONNX models (*.onnx)")
            if not path:
                self.refresh_models()  # back to the previous choice
                return
            self.open_model_file(Path(path))
            return
        self.request_preview()

    def open_model_file(self, path: Path) -> None:
        """Use the .onnx at `path`; it is checked (probed) on the preview thread, and a model that is
        not an upscaler is reported and dropped from the list."""
        choice = ModelChoice("file", Path(path))
        index = self.model_box.findData(choice)
        if index < 0:
            index = self.model_box.count() - 1
            self.model_box.insertItem(index, Path(path).name, choice)
        self.model_box.setCurrentIndex(index)
        if not self.entries:
            self._check_model(choice)
        self.request_preview()

    def _check_model(self, choice: ModelChoice) -> None:
        scale = self.scale()
        task = BackgroundTask(lambda report: self._model(choice.resolve(scale)), doing="opening the upscaler")
        task.succeeded.connect(lambda model: self._model_ready(model))
        task.failed.connect(lambda e: self._model_failed(choice, e))
        task.start()

    def _model(self, path: Path):  # noqa: ANN202 - Upscaler; runs on a worker thread
        from ganstudio.infer.upscale import Upscaler

        with self._models_lock:
            if path not in self._models:
                self._models[path] = Upscaler(path, self.device, name=builtin_upscaler_name(path))
            return self._models[path]

    def _model_ready(self, model) -> None:  # noqa: ANN001
        if self.model_choice().kind == "file" and self.scale_box.findData(model.scale) < 0:
            self.scale_box.addItem(f"×{model.scale} (the model's own)", model.scale)
        if self.model_choice().kind == "file" and not self.entries:
            self.scale_box.setCurrentIndex(self.scale_box.findData(model.scale))
        self.status_message.emit(f"{model.path.name}: an x{model.scale} upscaler ({model.info.layout}, {model.info.dtype}).")

    def _model_failed(self, choice: ModelChoice, error: AppError) -> None:
        index = self.model_box.findData(choice)
        if index >= 0:
            self.model_box.removeItem(index)
        self.model_box.setCurrentIndex(0)
        self.error.emit(UpscaleError(error.what, "Choose an ONNX super-resolution model (one image in, a larger image out), "
                                     "or use the built-in upscaler.", error.details))

    # ---- images ------------------------------------------------------------------------------

    def _start_dir(self) -> Path:
        last = getattr(self.settings, "last_folder", "") if self.settings else ""
        return Path(last) if last and Path(last).is_dir() else Path.home()

    def choose_images(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Images to upscale", str(self._start_dir()),
                                                "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff);;All files (*)")
        if paths:
            self.add_paths([Path(p) for p in paths])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of images to upscale", str(self._start_dir()))
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path]) -> int:
        """Add image files and the images in folders; returns how many were added."""
        missing = [p for p in paths if not p.exists()]
        if missing:
            self.error.emit(UpscaleError(f"{missing[0]} does not exist.", "Choose images or folders that exist."))
        found = collect_inputs([p for p in paths if p.exists()])
        folders = [p for p in paths if p.is_dir()]
        if folders and not found:
            self.error.emit(UpscaleError(f"{folders[0]} holds no images.", "Choose a folder with PNG, JPEG, WebP, BMP, GIF or TIFF pictures."))
        if self.settings is not None and paths:
            self.settings.last_folder = str(paths[0] if paths[0].is_dir() else paths[0].parent)
        return self._add(found)

    def add_images(self, images: list[SourceImage]) -> int:
        """Images already in memory (from Explore): their provenance chunks go into the saved PNGs."""
        return self._add([(image, Path(image.path.name)) for image in images])

    def _add(self, items: list[tuple[Path | SourceImage, Path]]) -> int:
        taken = {str(rel) for _, rel in self.entries}
        new = [(src, rel) for src, rel in items if str(rel) not in taken or not isinstance(src, Path)]
        first = len(self.entries)
        for src, rel in new:
            self.entries.append((src, rel))
            self.list.addItem(str(rel))
        self._show_empty()
        if new:
            self._load_thumbnails(first, new)
            self.list.setCurrentRow(first)
            self.status_message.emit(f"{len(self.entries)} images to upscale.")
        return len(new)

    def _load_thumbnails(self, first: int, items: list[tuple[Path | SourceImage, Path]]) -> None:
        """Small pictures in the list, decoded off the GUI thread; unreadable files are marked."""
        generation = self._list_generation
        rows = [self.list.item(first + i) for i in range(len(items))]  # items, not row numbers: removals move rows

        def work(report):  # noqa: ANN001, ANN202 - on the task's thread
            for i, (src, _) in enumerate(items):
                try:
                    if isinstance(src, SourceImage):
                        im = Image.fromarray(src.pixels[..., :3])
                    else:
                        with Image.open(src) as opened:
                            opened.draft("RGB", (THUMB * 2, THUMB * 2))
                            im = opened.convert("RGB")
                    im.thumbnail((THUMB, THUMB))
                    report((first + i, np.asarray(im)))
                except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
                    report((first + i, None))

        task = BackgroundTask(work, doing="reading thumbnails")
        task.progressed.connect(lambda value: self._set_thumbnail(generation, rows[value[0] - first], value[1]))
        task.start()

    def _set_thumbnail(self, generation: int, item: QListWidgetItem, thumb: np.ndarray | None) -> None:
        if generation != self._list_generation or self.list.row(item) < 0 or item.data(UNREADABLE) is not None:
            return  # the list was cleared, or the image removed (or found unreadable by its preview) since
        if thumb is None:
            self._mark_unreadable(item, f"{item.text()} cannot be read as an image")
        else:
            item.setIcon(QIcon(to_pixmap(np.ascontiguousarray(thumb))))

    def _mark_unreadable(self, item: QListWidgetItem, why: str) -> None:
        if item.data(UNREADABLE) is None:
            item.setText(f"{item.text()}  (unreadable)")
        item.setData(UNREADABLE, why)
        item.setToolTip(f"{why}; it is skipped when saving")
        if item is self.list.currentItem():
            self._show_unreadable(item)

    def _show_unreadable(self, item: QListWidgetItem) -> None:
        """In the split view, not a dialog: selecting the file again must not interrupt again."""
        self.last_preview = None
        self.info.setText("")
        self.compare.clear(f"{item.data(UNREADABLE)}.\n\nIt is skipped when saving; Delete removes it from the list.")

    def remove_selected(self) -> None:
        """Take the selected images off the list (the files stay on disk)."""
        rows = sorted((self.list.row(item) for item in self.list.selectedItems()), reverse=True)
        if not rows:
            return
        if len(rows) >= len(self.entries):
            self.clear()
            return
        for row in rows:
            del self.entries[row]
            self.list.takeItem(row)
        self.list.setCurrentRow(min(rows[-1], self.list.count() - 1))
        self.list.currentItem().setSelected(True)
        self._show_empty()
        self.status_message.emit(f"{len(self.entries)} images to upscale.")

    def clear(self) -> None:
        self._list_generation += 1
        if self._preview_task is not None:
            self._preview_task.cancel()  # its image is no longer on the list
            self._preview_again = False
        self.entries.clear()
        self.list.clear()
        self.compare.clear()
        self.last_preview = None
        self.info.setText("")
        self._show_empty()

    # ---- preview -----------------------------------------------------------------------------

    def request_preview(self) -> None:
        """Upscale the selected image for the split view, off the GUI thread; a newer request
        cancels the running one."""
        row = self.list.currentRow()
        if not (0 <= row < len(self.entries)):
            return
        if self._preview_task is not None:
            self._preview_again = True
            self._preview_task.cancel()
            return
        if self.list.item(row).data(UNREADABLE) is not None:
            self._show_unreadable(self.list.item(row))
            return
        source, choice, scale = self.entries[row][0], self.model_choice(), self.scale()
        self.info.setText("Upscaling the preview…")

        def work(report):  # noqa: ANN001, ANN202 - on the task's thread
            try:
                image = source if isinstance(source, SourceImage) else read_image(source, scale)
            except ImageReadError as e:
                return {"unreadable": str(e).replace(str(source), source.name)}  # the list shows names
            model = self._model(choice.resolve(scale))
            pixels, cropped = _preview_crop(image.pixels)
            start = time.perf_counter()
            out = upscale_image(model, pixels, scale, progress=lambda done, total: report((done, total)))
            seconds = time.perf_counter() - start
            h, w = out.shape[:2]
            bicubic = np.asarray(Image.fromarray(pixels).resize((w, h), Image.Resampling.BICUBIC))
            return {"name": image.path.name, "input": pixels.shape[:2], "bicubic": bicubic, "upscaled": out,
                    "model": model.name, "scale": scale, "seconds": seconds, "cropped": cropped, "device": model.device}

        task = BackgroundTask(work, doing="upscaling the preview")
        task.progressed.connect(lambda p: self.info.setText(f"Upscaling the preview… tile {p[0]} of {p[1]}"))
        task.succeeded.connect(self._preview_done)
        task.failed.connect(self._preview_failed)
        task.finished.connect(self._preview_ended)
        self._preview_task = task.start()

    def _preview_done(self, result: dict) -> None:
        if "unreadable" in result:
            if not self._preview_again and self.list.currentItem() is not None:  # else it is no longer the one shown
                self._mark_unreadable(self.list.currentItem(), result["unreadable"])
            return
        self.last_preview = result
        label = result["model"] if result["model"].endswith(f"x{result['scale']}") else f"{result['model']} → ×{result['scale']}"
        self.compare.set_images(result["bicubic"], result["upscaled"], "Bicubic", label)
        h, w = result["input"]
        crop = " (preview of the centre)" if result["cropped"] else ""
        self.info.setText(f"{result['name']}: {w}×{h} → {w * result['scale']}×{h * result['scale']}{crop}, "
                          f"{result['seconds']:.2f} s on {result['device']}")
        if not self._preview_again:
            self.preview_ready.emit()

    def _preview_failed(self, error: AppError) -> None:
        self.info.setText("")
        self.compare.clear("This image could not be upscaled.")
        self.error.emit(UpscaleError(error.what, "Choose another image or another model; nothing already saved is affected.",
                                     error.details))
        if self.model_choice().kind == "file" and isinstance(error.cause, NotAnUpscalerError):
            self._model_failed(self.model_choice(), error)

    def _preview_ended(self) -> None:
        self._preview_task = None
        if self._preview_again:
            self._preview_again = False
            self.request_preview()

    # ---- saving ------------------------------------------------------------------------------

    def save_all(self, folder: Path | None = None) -> bool:
        """Upscale every image into `folder` (asked for when None) with a progress bar and Cancel."""
        if not self.entries or self.jobs.busy():
            return False
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Save the upscaled images into", str(self._start_dir()))
            if not chosen:
                return False
            folder = Path(chosen)
        entries, choice, scale = list(self.entries), self.model_choice(), self.scale()
        existing = [rel for _, rel in entries if (folder / output_name(rel, scale)).exists()]
        if existing and not dialogs.confirm(self, "Replace images?", f"{folder} already holds {len(existing)} of these upscaled images.",
                                            f"For example {output_name(existing[0], scale)}. Replace them?", yes="Replace"):
            return False

        def work(progress, cancelled):  # noqa: ANN001, ANN202 - on the job's thread
            model = self._model(choice.resolve(scale))
            return upscale_files(model, entries, folder, scale=scale, overwrite=True, progress=progress, cancelled=cancelled)

        return self.jobs.run(work, doing="saving upscaled images", title=f"Upscaling {len(entries)} images ×{scale}",
                             on_done=lambda result: self._saved(result, folder))

    def _saved(self, result, folder: Path) -> None:  # noqa: ANN001 - BatchResult
        how = "Cancelled after saving" if result.cancelled else "Saved"
        self.status_message.emit(f"{how} {len(result.written)} upscaled images in {folder}.")
        if result.failed:
            names = "\n".join(f"• {why}" for _, why in result.failed[:8])
            more = f"\n… and {len(result.failed) - 8} more" if len(result.failed) > 8 else ""
            kind = PartlyUpscaledError if result.written else UpscaleError
            self.error.emit(kind(f"{len(result.failed)} of the images could not be upscaled; "
                                 + (f"the other {len(result.written)} were saved." if result.written else "none was saved."),
                                 names + more))
        self.saved.emit(result)

    # ---- drops -------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.open_dropped(dropped_paths(event))
        event.acceptProposedAction()

    def open_dropped(self, paths: list[Path]) -> None:
        models = [p for p in paths if p.suffix.lower() == ".onnx"]
        if models:
            self.open_model_file(models[0])
        others = [p for p in paths if p.suffix.lower() != ".onnx"]
        if others:
            self.add_paths(others)

    def shutdown(self) -> None:
        if self._preview_task is not None:
            self._preview_task.cancel()
        self.jobs.cancel()


def _preview_crop(pixels: np.ndarray) -> tuple[np.ndarray, bool]:
    h, w = pixels.shape[:2]
    if max(h, w) <= PREVIEW_SIDE:
        return pixels, False
    y, x = max(0, (h - PREVIEW_SIDE) // 2), max(0, (w - PREVIEW_SIDE) // 2)
    return np.ascontiguousarray(pixels[y : y + PREVIEW_SIDE, x : x + PREVIEW_SIDE]), True
