"""The Explore page's one generation thread: it owns the open GeneratorModel and turns requests
into uint8 arrays, so the GUI thread never runs inference.

Each request goes to a named slot ("focus", "variations", "grid:3", ...). A slot holds only its
newest request: while the thread is busy, a slider drag overwrites the focus slot many times and
only the last value is drawn (stale requests are dropped, never queued). The focus slot goes first,
so the image under the user's hand wins over grid pages and thumbnails. The slot only schedules:
each request names the handler its images go to (`then`, called on the GUI thread).

Only numpy arrays and plain dataclasses cross the thread line; they become QImages on the GUI
thread (see gc_guard: no Qt object may be freed on this thread)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QThread, Signal

from ganstudio.app.errors import AppError, describe
from ganstudio.app.tasks import GuiThread

FOCUS = "focus"
THREADS = max(1, min(4, os.cpu_count() or 1))  # one image at a time gains nothing from more
_alive: set["RenderWorker"] = set()


@dataclass(frozen=True)
class RenderRequest:
    slot: str
    z: np.ndarray  # float32 [N, latent_dim]
    psi: float | np.ndarray
    class_index: int | None
    w_offset: np.ndarray  # float32 [N, w_dim]
    seq: int
    model_serial: int
    tag: object = None  # the caller's own note (which seeds, which recipe), handed back untouched
    fn: Callable[[Any], np.ndarray] | None = None  # instead of z...: fn(model) -> images (strips, paths)
    then: Callable[["Rendered"], None] | None = None  # the caller's handler, called on the GUI thread


@dataclass(frozen=True)
class Rendered:
    slot: str
    seq: int
    model_serial: int
    images: np.ndarray  # uint8 [N, H, W, 3]
    seconds: float
    tag: object = None
    then: Callable[["Rendered"], None] | None = None
    extra: object = None  # what a submit_fn function returned beside its images

    def deliver(self) -> None:
        """Hand the images to the handler the request named (on the GUI thread)."""
        if self.then is not None:
            self.then(self)


class ModelOpenError(AppError):
    title = "This model cannot be explored"


def open_error(path: Path, exc: BaseException) -> AppError:
    """Words for a model that would not open: the file, what is wrong, what to do."""
    from ganstudio.infer.errors import ModelError

    if isinstance(exc, ModelError):
        text = str(exc)
        return ModelOpenError(text[:1].upper() + text[1:], "Open a generator exported by GAN Studio (a run's export/ "
                              "folder, or `ganstudio export RUN`). Upscalers and other ONNX models cannot be explored.")
    error = describe(exc, doing=f"opening {path.name}")
    return ModelOpenError(f"{path} could not be opened: {error.what}", error.todo, error.details)


class RenderWorker(QThread):
    """Signals arrive on the GUI thread: `opened(GeneratorModel, serial)`, `open_failed(Path, AppError)`,
    `rendered(Rendered)`, `render_failed(AppError)`."""

    opened = Signal(object, int)
    open_failed = Signal(object, object)
    rendered = Signal(object)
    render_failed = Signal(object)

    def __init__(self, device: str = "auto", threads: int = THREADS) -> None:
        super().__init__()  # no parent: the page closing must not destroy a running thread
        self.device = device
        self.threads = threads
        self.model = None  # the GeneratorModel, set on this thread; read-only for others
        self.training_index = None  # its TrainingIndex when one lies beside it; used on this thread
        self.index_problem = ""  # why there is none, in words (set before `opened` is posted)
        self.encoder = None  # its EncoderModel when one lies beside it (pictures are brought in with it)
        self.encoder_problem = ""  # why there is none, in words
        self.w_average = None  # the model's w_avg, float32 [w_dim]: a projected picture's origin
        self.model_serial = 0
        self.dropped = 0  # requests overwritten before they ran (stale)
        self._cond = threading.Condition()
        self._pending: dict[str, RenderRequest] = {}
        self._open_path: Path | None = None
        self._stopping = False
        self._seq = 0
        self._gui = GuiThread(self)

    # ---- GUI thread -----------------------------------------------------------------------

    def open_model(self, path: Path) -> None:
        """Open `path` in the thread; the current model stays until the new one has opened."""
        with self._cond:
            self._open_path = Path(path)
            self._cond.notify()
        self._ensure_running()

    def submit(self, slot: str, z: np.ndarray, *, psi: float | np.ndarray = 1.0, class_index: int | None = None,
               w_offset: np.ndarray | None = None, tag: object = None, then: Callable[[Rendered], None] | None = None) -> int:
        """Queue a render for `slot`, replacing any older one still waiting there; returns its number."""
        with self._cond:
            self._seq += 1
            if slot in self._pending:
                self.dropped += 1
            z = np.asarray(z, np.float32).reshape(len(z), -1)
            if w_offset is None:
                w_offset = np.zeros((len(z), self.model.info.w_dim if self.model else 0), np.float32)
            self._pending[slot] = RenderRequest(slot, z, psi, class_index, np.asarray(w_offset, np.float32),
                                                self._seq, self.model_serial, tag, then=then)
            self._cond.notify()
        self._ensure_running()
        return self._seq

    def submit_fn(self, slot: str, fn: Callable[[Any], np.ndarray], tag: object = None,
                  then: Callable[[Rendered], None] | None = None) -> int:
        """Queue `fn(model) -> uint8 images` (or `(images, extra)`) for `slot` (e.g. frames along a
        path), like submit()."""
        with self._cond:
            self._seq += 1
            if slot in self._pending:
                self.dropped += 1
            empty = np.zeros((0, 0), np.float32)
            self._pending[slot] = RenderRequest(slot, empty, 1.0, None, empty, self._seq, self.model_serial, tag, fn, then)
            self._cond.notify()
        self._ensure_running()
        return self._seq

    def cancel(self, slot: str) -> None:
        with self._cond:
            self._pending.pop(slot, None)

    def stop(self, timeout_ms: int = 10000) -> None:
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify()
        self.wait(timeout_ms)
        _alive.discard(self)

    def _ensure_running(self) -> None:
        if not self.isRunning() and not self._stopping:
            _alive.add(self)
            self.start()

    # ---- the thread ---------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and self._open_path is None and not self._pending:
                    self._cond.wait()
                if self._stopping:
                    return
                path, self._open_path = self._open_path, None
                request = None if path is not None else self._take()
            if path is not None:
                self._open(path)
            elif request is not None:
                self._render(request)

    def _take(self) -> RenderRequest | None:
        slot = FOCUS if FOCUS in self._pending else min(self._pending, key=lambda s: self._pending[s].seq)
        return self._pending.pop(slot)

    def _open(self, path: Path) -> None:
        try:
            from ganstudio.infer import GeneratorModel

            model = GeneratorModel(path, device=self.device, threads=self.threads)
            model.images(model.z_for_seeds([0]), class_index=0 if model.info.conditional else None)  # warm up
        except Exception as e:  # noqa: BLE001 - every failure becomes a message naming the file
            self._gui.post(self.open_failed.emit, path, open_error(path, e))
            return
        from ganstudio.infer.project import w_avg

        index, problem = _open_index(path)
        encoder, encoder_problem = self._open_encoder(model)
        with self._cond:
            self.model = model
            self.training_index, self.index_problem = index, problem
            self.encoder, self.encoder_problem = encoder, encoder_problem
            self.w_average = w_avg(model)
            self.model_serial += 1
            self._pending.clear()  # requests for the previous model
            serial = self.model_serial
        self._gui.post(self.opened.emit, model, serial)

    def _render(self, r: RenderRequest) -> None:
        model = self.model
        if model is None or r.model_serial != self.model_serial:
            return
        start = time.perf_counter()
        extra = None
        try:
            if r.fn is not None:
                images = r.fn(model)
                if isinstance(images, tuple):
                    images, extra = images
            else:
                images = model.images(r.z, psi=r.psi, class_index=r.class_index, w_offset=r.w_offset)
        except Exception as e:  # noqa: BLE001
            self._gui.post(self.render_failed.emit, describe(e, doing="generating images"))
            return
        self._gui.post(self.rendered.emit, Rendered(r.slot, r.seq, r.model_serial, images, time.perf_counter() - start, r.tag,
                                                    r.then, extra))

    def _open_encoder(self, model):  # noqa: ANN001, ANN202 - GeneratorModel -> (EncoderModel | None, str)
        from ganstudio.infer.errors import ModelError
        from ganstudio.infer.project import EncoderModel

        try:
            return EncoderModel(model, device=self.device, threads=self.threads), ""
        except ModelError as e:
            return None, str(e)[:1].upper() + str(e)[1:] + "."
        except Exception as e:  # noqa: BLE001 - a damaged file: the model explores as well without it
            return None, f"Its encoder could not be opened: {describe(e, doing='opening the encoder').what}"


def _open_index(model: Path):  # noqa: ANN202 - (TrainingIndex | None, str)
    """The training index beside `model`, or None and why not (a missing index is no error: the
    model explores as well without it)."""
    from ganstudio.infer.errors import ModelError
    from ganstudio.infer.training_index import TrainingIndex

    try:
        return TrainingIndex.open(model), ""
    except ModelError as e:
        return None, str(e)[:1].upper() + str(e)[1:] + "."


def stop_all() -> None:
    """Join every render thread (at exit: a thread must not outlive the QApplication)."""
    for worker in list(_alive):
        worker.stop()
