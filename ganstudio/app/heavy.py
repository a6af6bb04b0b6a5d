"""Loading torch (through the core) without freezing the GUI thread.

Importing torch creates hundreds of thousands of Python objects, and the garbage collector's full
passes over them hold the GIL for 100-150 ms at a time (measured on a 2-core CPU): the GUI thread
stops painting while a background thread imports. So the cyclic collector sleeps during the
import, and everything the import created is then moved to the permanent generation
(gc.freeze), so that later full collections only look at objects made since."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Iterator

from ganstudio.app import gc_guard

_lock = threading.Lock()


HEAVY_IMPORT = 50  # new modules that make an import worth freezing for


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Around a heavy import in a background thread; nested or concurrent uses are fine. Freezes
    only when the import really loaded something (torch, onnx): frozen objects are never
    cycle-collected, so freezing at every call would slowly keep garbage alive."""
    with _lock:
        was_enabled = gc.isenabled()
        modules_before = len(sys.modules)
        gc.disable()
        gc_guard.hold()  # the GUI thread's collector waits too
    try:
        yield
    finally:
        with _lock:
            if len(sys.modules) - modules_before >= HEAVY_IMPORT:
                gc.freeze()
            gc_guard.release()
            if was_enabled:
                gc.enable()


def load_core() -> None:
    """Import the torch-heavy core modules the app uses, once, quietly."""
    with quiet_gc():
        import ganstudio.core.data  # noqa: F401 - torch, the data pipeline
        import ganstudio.core.device  # noqa: F401
        import ganstudio.core.training.run  # noqa: F401 - models, trainer, metrics

        # torch imports its compiler stack (torch._dynamo, sympy: ~800 modules, 1.2 s) on the first
        # optimiser step; loaded here, its objects are frozen with the rest instead of filling the
        # young generations the GUI thread's collector then walks (passes of 40-60 ms measured).
        with contextlib.suppress(ImportError):
            import torch._dynamo  # noqa: F401
