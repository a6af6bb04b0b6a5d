"""Refining a projected picture with torch: what the Studio adds to the Explore page (the Player,
which has no torch, brings pictures in with the encoder alone).

Gradient descent on w through the torch generator of the run the model was exported from:
+3 to +8 dB over the encoder alone in 1-2 s a 64 px picture (benchmarks/project.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ganstudio.app.runs import is_run_folder
from ganstudio.errors import Cancelled

STEPS = 300


class TorchRefiner:
    """The Explore page's `refiner`: `problem(model)` says why a model cannot be refined (or take an
    encoder) here, "" when it can; calling it refines one picture, on a job's thread."""

    steps = STEPS

    def problem(self, model: Path) -> str:
        run = Path(model).resolve().parent.parent
        if not is_run_folder(run):
            return (f"refining needs the training run {Path(model).name} was exported from, and {run} is not one "
                    "(models exported into their run's export/ folder, the default, have it)")
        return ""

    def __call__(self, model: Path, checkpoint_step: int, target: np.ndarray, w: np.ndarray,
                 progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> np.ndarray:
        from ganstudio.core.export.encoder import generator_of, refine_picture

        G = generator_of(Path(model), checkpoint_step)

        def report(done: int, total: int) -> None:
            if cancelled():
                raise Cancelled
            progress(done, total)

        return refine_picture(G, target, w, self.steps, progress=report)
