"""Explore page latency: from a slider change to the repainted image, on this machine's CPU.

    python benchmarks/explore_latency.py [--changes 60]

Exports the default architecture (untrained weights: speed does not depend on them) at 64 and
256 px into a temporary folder, opens each on the Explore page offscreen and measures, on the GUI
thread's clock, the time from QSlider.setValue to the end of the enlarged image's paintEvent:

- single changes: one direction slider moved, then wait for the new image;
- rapid drags: bursts of slider moves 4 ms apart (faster than a render at 256 px), timed from the
  last move of each burst; stale values in between are dropped, not queued;
- a 4x4 page of the seed grid at 64 px: "More seeds" to the page's 16 thumbnails drawn.

Goals (issue 6): single image <= 33 ms at 64 px and <= 100 ms at 256 px; grid page <= 150 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOALS = {64: 33.0, 256: 100.0}
GRID_GOAL = 150.0


def export_model(folder: Path, resolution: int) -> Path:
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.export import export_generator
    from ganstudio.core.models import Generator
    from ganstudio.core.training.checkpoint import save_checkpoint
    from ganstudio.core.training.runfolder import RunFolder

    model = ModelConfig(resolution=resolution)
    run = RunFolder(folder)
    run.create(TrainConfig(model=model), {"name": f"bench{resolution}", "images": 0, "classes": []})
    G = Generator(model)
    save_checkpoint(run.checkpoints, 1, {f"G_ema.{k}": v for k, v in G.state_dict().items()}, {"images_seen": 0})
    return export_generator(folder).path


class Events:
    """Spins the event loop. QEventLoop.processEvents, not QApplication.processEvents: in PySide6
    6.12 on Python 3.11 the latter drops a reference to None per call, and a benchmark's tight loop
    would run None's count down to zero (a "deallocating None" crash)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEventLoop

        self.loop = QEventLoop()

    def processEvents(self) -> None:  # noqa: N802 - Qt's name
        self.loop.processEvents()


def wait(app, condition, timeout: float = 30.0) -> None:  # noqa: ANN001
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the page did not answer in time")
        app.processEvents()


def figures(ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {max(ms):6.1f} ms   (n={len(ms)})"


def single_changes(app, page, changes: int) -> list[float]:  # noqa: ANN001
    slider = page.controls.sliders[0]
    out = []
    for i in range(changes):
        value = (i % 2 * 2 - 1) * (50 + 3 * i % 200)  # alternate sides, every value new
        start = time.perf_counter()
        slider.setValue(value)
        target = page.focus_seq
        wait(app, lambda: page._focus_shown >= target and page.focus._shown_seq >= target)
        out.append((page.focus.painted_at - start) * 1000)
    return out


def rapid_drags(app, page, drags: int, moves: int = 12, gap: float = 0.004) -> tuple[list[float], int, int]:  # noqa: ANN001
    """(latency from each burst's last move, moves made, moves dropped as stale)."""
    slider = page.controls.sliders[1]
    out = []
    dropped_before = page.worker.dropped
    for d in range(drags):
        for m in range(moves):
            last = time.perf_counter()
            slider.setValue(-250 + 500 * m // moves + d % 7)
            while time.perf_counter() - last < gap:  # the hand keeps moving; the GUI keeps painting
                app.processEvents()
        target = page.focus_seq
        wait(app, lambda: page._focus_shown >= target and page.focus._shown_seq >= target)
        out.append((page.focus.painted_at - last) * 1000)
    return out, drags * moves, page.worker.dropped - dropped_before


def grid_pages(app, page, count: int) -> list[float]:  # noqa: ANN001
    out = []
    for i in range(count):
        start = time.perf_counter()
        page.grid.reset(1000 + 16 * i)  # a fresh page of 16 seeds
        wait(app, page.grid.is_complete)
        page.grid.list.viewport().repaint()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=60, help="slider changes per figure (default 60)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ganstudio-explore-"))
    models = {res: export_model(tmp / f"run{res}", res) for res in (64, 256)}

    from ganstudio.app import create_application
    from ganstudio.app.explore import ExplorePage
    from ganstudio.app.explore.render import THREADS

    create_application(["explore_latency"])
    app = Events()
    print(f"Explore latency on {os.cpu_count()} CPU cores (onnxruntime {THREADS} threads), offscreen Qt; "
          f"load average {os.getloadavg()[0]:.2f}")
    results = []
    for res, path in models.items():
        page = ExplorePage(device="cpu")
        page.resize(1360, 860)
        page.show()
        page.open_model(path)
        wait(app, lambda: page.shown is not None and page.grid.is_complete(), 120)
        page.choose_seed(3)
        wait(app, lambda: page.shown is not None and page.shown[0].seed == 3)
        single_changes(app, page, 5)  # warm up
        single = single_changes(app, page, args.changes)
        drags, moves, dropped = rapid_drags(app, page, max(10, args.changes // 6))
        print(f"\n{res} px ({page.focus.width()}x{page.focus.height()} px view)")
        print(f"  slider change -> repainted image:      {figures(single)}   goal <= {GOALS[res]:.0f} ms")
        print(f"  rapid drags, last move -> repainted:   {figures(drags)}   ({dropped} of {moves} moves dropped as stale)")
        results.append((res, statistics.median(single), max(single)))
        if res == 64:
            grid = grid_pages(app, page, max(20, args.changes // 3))
            print(f"  4x4 grid page -> drawn:                {figures(grid)}   goal <= {GRID_GOAL:.0f} ms")
            results.append(("grid", statistics.median(grid), max(grid)))
        page.shutdown()
        page.close()
    print("\nSummary (median against the goal): " + ", ".join(
        f"{'4x4 grid' if k == 'grid' else f'{k} px'} {med:.1f} ms / {GRID_GOAL if k == 'grid' else GOALS[k]:.0f} ms"
        for k, med, _ in results))


if __name__ == "__main__":
    main()
