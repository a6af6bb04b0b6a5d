"""How the app feels, measured: time to the first painted window, the GUI thread's longest stall
while training runs and while a run exports, and training speed inside the app against the CLI's
on the same config.

    python benchmarks/ui_responsiveness.py [--seconds 60] [--rounds 2] [--launches 3] [--trace-stalls]

Offscreen (QT_QPA_PLATFORM=offscreen), on whatever CPU this is. The CLI and the app train the
same TrainConfig (built-in demo data, 32 px, batch 16, seed 0) for the same training minutes,
alternating, and are compared by images trained. The stall is the largest gap between ticks of a
10 ms heartbeat QTimer on the GUI thread between the run's Started and Finished events.
`--trace-stalls` prints where the GUI thread was (its Python stack) whenever a heartbeat is over
100 ms late: the way to find what a stall is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_STALL_MS = 50.0
TARGET_SPEED_RATIO = 0.90
TARGET_LAUNCH_S = 2.0
HEARTBEAT_MS = 10

# Runs in a fresh interpreter: the real entry point (run_app), timed to the window's first paint.
LAUNCH_CHILD = r"""
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
import ganstudio.app.main_window as mw

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not getattr(self, "seen", False):
            self.seen = True
            QTimer.singleShot(0, self.report)  # after this paint has finished
        return False

    def report(self):
        print("PAINTED", "torch" in sys.modules, flush=True)
        QApplication.instance().quit()

first_paint = FirstPaint()
original_show = mw.MainWindow.show
def show(self):
    self.installEventFilter(first_paint)
    original_show(self)
mw.MainWindow.show = show

from ganstudio.app import run_app
sys.exit(run_app([]))
"""


def measure_launch(home: Path) -> tuple[float, bool]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH_CHILD], stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=60)
    if not line.startswith("PAINTED"):
        raise SystemExit(f"the app did not paint its window: {line!r}")
    return elapsed, line.split()[1] == "True"


def bench_config(seconds: float):
    """The TrainConfig `ganstudio train --resolution 32 --minutes M` builds (cli._cmd_train)."""
    from ganstudio.core.config import ModelConfig, TrainConfig

    return TrainConfig(model=ModelConfig(resolution=32, num_classes=0), batch=16, seed=0, minutes=seconds / 60, device="auto")


def images_trained(run_dir: Path) -> int:
    checkpoints = sorted((run_dir / "checkpoints").glob("[0-9]" * 7 + ".json"))
    return int(json.loads(checkpoints[-1].read_text())["images_seen"])


def run_cli(run_dir: Path, seconds: float) -> int:
    cmd = [sys.executable, "-m", "ganstudio", "train", "--out", str(run_dir), "--resolution", "32",
           "--minutes", repr(seconds / 60), "--batch", "16", "--seed", "0", "--no-export"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return images_trained(run_dir)


class StallTracer:
    """A watchdog thread: when the GUI thread's heartbeat is over `late_ms` late, it prints the GUI
    thread's Python stack, once per stall."""

    def __init__(self, late_ms: float = 100.0) -> None:
        self.gui = threading.get_ident()
        self.late = late_ms / 1000
        self.last = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def beat(self) -> None:
        self.last = time.perf_counter()

    def start(self) -> "StallTracer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        reported = None
        while not self._stop.wait(0.02):
            last = self.last
            if time.perf_counter() - last > self.late and reported != last:
                reported = last
                frame = sys._current_frames().get(self.gui)
                where = "".join(traceback.format_stack(frame, limit=12)) if frame else "  (no Python frame)\n"
                print(f"GUI thread {1000 * (time.perf_counter() - last):.0f} ms late, at:\n{where}", flush=True)


def run_app_training(app, run_dir: Path, seconds: float, settings_dir: Path,
                     tracer: StallTracer | None = None) -> tuple[int, list[float], list[float]]:
    """Train in the app's MainWindow; returns (images, gaps while training, gaps while starting) in ms."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer

    from ganstudio.app.main_window import MainWindow
    from ganstudio.app.settings import Settings
    from ganstudio.app.worker import TrainingJob
    from ganstudio.core.training import events as ev

    settings = Settings(QSettings(str(settings_dir / "bench.ini"), QSettings.Format.IniFormat))
    settings.runs_dir = run_dir.parent
    window = MainWindow(settings)
    window.resize(1360, 860)
    window.show()
    window.show_train()

    clock = QElapsedTimer()
    clock.start()
    ticks: list[tuple[float, str]] = []
    phase = {"now": "starting"}
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(lambda: ticks.append((clock.nsecsElapsed() / 1e6, phase["now"])))
    if tracer is not None:
        heartbeat.timeout.connect(tracer.beat)
    heartbeat.start()

    loop = QEventLoop()
    session = window.train_page.start_job(TrainingJob.new(run_dir, bench_config(seconds), None))
    phase_after = {ev.Started: "training", ev.Finished: "finishing"}
    session.event.connect(lambda e: phase.update(now=phase_after.get(type(e), phase["now"])))
    session.ended.connect(loop.quit)
    loop.exec()
    heartbeat.stop()
    window.close()

    gaps = {"training": [], "starting": []}
    for (t0, _), (t1, p1) in zip(ticks, ticks[1:]):
        if p1 in gaps:
            gaps[p1].append(t1 - t0)
    return images_trained(run_dir), gaps["training"], gaps["starting"]


def measure_export(run_dir: Path, tracer: StallTracer | None = None) -> tuple[list[float], float]:
    """Export `run_dir` as the window's Export does (a child process); returns (gaps in ms between
    heartbeats while it runs, seconds it took)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from ganstudio.app.export import start_export

    clock = QElapsedTimer()
    clock.start()
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))
    if tracer is not None:
        heartbeat.timeout.connect(tracer.beat)
    heartbeat.start()
    loop = QEventLoop()
    task = start_export(run_dir)
    task.failed.connect(lambda error: print(f"export failed: {error}"))
    task.finished.connect(loop.quit)
    task.start()
    loop.exec()
    heartbeat.stop()
    return [b - a for a, b in zip(ticks, ticks[1:])], clock.elapsed() / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training time of each run (default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="CLI/app pairs, alternating (default 2)")
    parser.add_argument("--launches", type=int, default=3, help="cold launches timed (default 3)")
    parser.add_argument("--trace-stalls", action="store_true", help="print the GUI thread's stack at each stall over 100 ms")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ganstudio-ui-bench-") as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        home.mkdir()
        launches = [measure_launch(home) for _ in range(args.launches)]
        launch_times = [t for t, _ in launches]
        torch_early = any(t for _, t in launches)
        print(f"launch to first painted window: median {statistics.median(launch_times):.2f} s, "
              f"max {max(launch_times):.2f} s over {len(launches)} cold starts "
              f"(target <= {TARGET_LAUNCH_S:.1f} s); torch imported before the first paint: {'yes' if torch_early else 'no'}")

        from ganstudio.app import create_application
        from ganstudio.app.theme import apply_theme

        app = create_application([])
        apply_theme(app, "light")
        cli_rates, app_rates, train_gaps, start_gaps = [], [], [], []
        for r in range(args.rounds):
            images = run_cli(tmp / f"cli-{r}", args.seconds)
            cli_rates.append(images / args.seconds)
            tracer = StallTracer().start() if args.trace_stalls else None
            images, gaps, starting = run_app_training(app, tmp / f"app-{r}", args.seconds, tmp, tracer)
            if tracer is not None:
                tracer.stop()
            app_rates.append(images / args.seconds)
            train_gaps += gaps
            start_gaps += starting
            print(f"round {r + 1}: CLI {cli_rates[-1]:.1f} img/s, app {app_rates[-1]:.1f} img/s "
                  f"(longest GUI gap while training {max(gaps):.1f} ms)")

        tracer = StallTracer().start() if args.trace_stalls else None
        export_gaps, export_s = measure_export(tmp / "app-0", tracer)
        if tracer is not None:
            tracer.stop()

    cli, app_rate = statistics.mean(cli_rates), statistics.mean(app_rates)
    ratio = app_rate / cli
    gaps_sorted = sorted(train_gaps)
    p99 = gaps_sorted[int(0.99 * (len(gaps_sorted) - 1))]
    worst = gaps_sorted[-1]
    over = sum(g > TARGET_STALL_MS for g in gaps_sorted)
    print(f"training speed, demo data at 32 px, batch 16, {args.seconds:g} s x {args.rounds}: "
          f"CLI {cli:.1f} img/s, app {app_rate:.1f} img/s = {ratio:.1%} of the CLI (target >= {TARGET_SPEED_RATIO:.0%})")
    print(f"GUI thread while training: longest gap between {HEARTBEAT_MS} ms heartbeats {worst:.1f} ms "
          f"(p99 {p99:.1f} ms, median {statistics.median(gaps_sorted):.1f} ms, {over} of {len(gaps_sorted)} gaps over "
          f"{TARGET_STALL_MS:.0f} ms; target <= {TARGET_STALL_MS:.0f} ms)")
    print(f"GUI thread while the worker loads torch and the data (before Started): longest gap {max(start_gaps):.1f} ms")
    print(f"GUI thread while exporting (the window's Export, {export_s:.1f} s): longest gap {max(export_gaps):.1f} ms "
          f"(target <= {TARGET_STALL_MS:.0f} ms)")
    ok = (worst <= TARGET_STALL_MS and max(export_gaps) <= TARGET_STALL_MS and ratio >= TARGET_SPEED_RATIO
          and max(launch_times) <= TARGET_LAUNCH_S and not torch_early)
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
