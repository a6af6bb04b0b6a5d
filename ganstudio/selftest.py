"""`--self-test` of the installed apps: prove that a bundle has what it needs, then exit.

Generates from the bundled tiny generator, upscales with both built-in upscalers,
opens the main window offscreen (Studio: the full window; Player: the explore window), shows it,
closes it, and prints one line per check. The Studio also checks that torch loads. Exit code 0
when every check passed. `WINDOW_SHOWN <unix time>` lets a build script measure cold start.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path


def _checks(kind: str) -> list[tuple[str, Callable[[], str]]]:
    def generate() -> str:
        from ganstudio.app.resources import resource
        from ganstudio.infer.generator import GeneratorModel
        from ganstudio.infer.images import save_png

        model = GeneratorModel(resource("models", "selftest-generator.onnx"), device="cpu")
        images = model.images_for_seeds([1, 2, 3, 4], psi=0.7)
        again = model.images_for_seeds([3], psi=0.7)
        if images.shape != (4, 32, 32, 3) or not (images[2] == again[0]).all():
            raise RuntimeError(f"unexpected images: {images.shape}, seed 3 not reproducible")
        with tempfile.TemporaryDirectory() as tmp:
            save_png(Path(tmp) / "seed1.png", images[0])
        return f"4 images of {images.shape[1]} px, seeds reproducible, PNG written"

    def upscale() -> str:
        import numpy as np

        from ganstudio.infer.builtin import BUILTIN_SCALES, builtin_upscaler_path
        from ganstudio.infer.upscale import Upscaler

        done = []
        for scale in BUILTIN_SCALES:  # a missing model fails the test: every build ships both
            out = Upscaler(builtin_upscaler_path(scale), device="cpu").upscale(np.zeros((24, 24, 3), np.uint8))
            if out.shape != (24 * scale, 24 * scale, 3):
                raise RuntimeError(f"the built-in x{scale} upscaler made {out.shape}")
            done.append(f"x{scale}")
        return "built-in " + " and ".join(done) + " upscale"

    def window() -> str:
        from ganstudio.app import create_application

        app = create_application([sys.argv[0]])
        if kind == "player":
            from ganstudio.app.player_window import PlayerWindow

            win = PlayerWindow()
        else:
            from ganstudio.app.main_window import MainWindow

            win = MainWindow()
        win.show()
        deadline = time.monotonic() + 10
        while not win.isVisible() and time.monotonic() < deadline:
            app.processEvents()
        app.processEvents()
        print(f"WINDOW_SHOWN {time.time():.3f}", flush=True)
        from PySide6.QtCore import QCollator, QLocale

        # Locale-aware sorting (file dialogs) needs ICU's collation data, which the build trims.
        if QCollator(QLocale("en_US")).compare("apple", "Banana") >= 0:
            raise RuntimeError("locale-aware text sorting is broken (ICU collation data missing?)")
        title = win.windowTitle()
        win.close()
        app.processEvents()
        return f"{type(win).__name__} '{title}' opened and closed"

    def torch_loads() -> str:
        import torch

        return f"torch {torch.__version__}, {torch.ones(2).add(1).sum().item():.0f} == 4"

    checks = [("generate", generate), ("upscale", upscale), ("window", window)]
    return checks + ([("torch", torch_loads)] if kind == "studio" else [])


def run_self_test(kind: str) -> int:
    """kind: "studio" or "player". Returns the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    failures = 0
    for name, check in _checks(kind):
        start = time.perf_counter()
        try:
            detail = check()
            print(f"ok    {name:9s} {detail} ({time.perf_counter() - start:.2f} s)", flush=True)
        except Exception:  # noqa: BLE001 - report every failing check, then fail
            failures += 1
            print(f"FAIL  {name:9s}\n{traceback.format_exc()}", flush=True)
    if kind == "player" and "torch" in sys.modules:
        failures += 1
        print("FAIL  torch was imported by the Player", flush=True)
    print(f"self-test {'passed' if not failures else f'failed ({failures})'}", flush=True)
    return 1 if failures else 0
