"""The CLI's listener: one progress line, rewritten in place on a terminal, and a line every
few seconds when the output goes to a file or a pipe."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from ganstudio.core.training import events as ev

BAR_WIDTH = 20
PIPE_INTERVAL_S = 10.0


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressPrinter:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.metric: float | None = None
        self.metric_name = "swd"
        self.swd: float | None = None
        self.kid: float | None = None
        self.last: ev.Progress | None = None
        self._line_open = False
        self._last_pipe_print = 0.0
        self.snapshots = 0

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.Preparing):
            self._status(f"{event.message}: {event.done}/{event.total}", final=event.done == event.total)
        elif isinstance(event, ev.Started):
            resumed = f", resuming at {event.resumed_from_kimg:.1f} kimg" if event.resumed_from_kimg else ""
            self.note(f"{event.dataset_summary}\ntraining on {event.device}{resumed}; run folder {event.run_dir}")
        elif isinstance(event, ev.Progress):
            self.last = event
            self._status(self.progress_line(event))
        elif isinstance(event, ev.Metric):
            self.metric = event.value
            self.metric_name = event.name
            self.swd = event.values.get("swd", self.swd)
            self.kid = event.values.get("kid", self.kid)
        elif isinstance(event, ev.Snapshot):
            self.snapshots += 1
        elif isinstance(event, ev.TrainingWarning):
            self.note(f"warning: {event.why}. {event.action[:1].upper()}{event.action[1:]}.")

    def progress_line(self, p: ev.Progress) -> str:
        parts = [f"{p.kimg:7.1f} kimg"]
        if p.fraction_done is not None:
            filled = int(round(p.fraction_done * BAR_WIDTH))
            parts.append(f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {p.fraction_done:4.0%}")
        parts.append(f"{p.images_per_second:5.1f} img/s")
        if "l1" in p.stats:  # an upscaler's run
            parts.append(f"L1 {p.stat('l1'):.4f}")
            if self.metric is not None:
                parts.append(f"PSNR {self.metric:+.2f} dB vs bicubic")
        else:
            parts.append(f"G {p.stat('g'):.2f} D {p.stat('d'):.2f}")
            parts.append(f"D(real) {p.stat('d_real'):.2f} D(fake) {p.stat('d_fake'):.2f}")
            parts.append(f"aug {p.stat('augment_p'):.2f}")
            if self.swd is not None:
                parts.append(f"SWD {self.swd:.1f}")
            if self.kid is not None:
                parts.append(f"KID {self.kid:.0f}")
        if p.eta_seconds is not None:
            parts.append(f"left {format_duration(p.eta_seconds)}")
        return "  ".join(parts)

    def _status(self, text: str, *, final: bool = False) -> None:
        if self.tty:
            self.out.write("\r\033[K" + text + ("\n" if final else ""))
            self._line_open = not final
        else:
            now = time.monotonic()
            if not final and now - self._last_pipe_print < PIPE_INTERVAL_S:
                return
            self._last_pipe_print = now
            self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """A message on its own line(s), without breaking the progress line."""
        if self._line_open:
            self.out.write("\r\033[K")
            self._line_open = False
        self.out.write(text + "\n")
        if self.last is not None and self.tty:
            self._status(self.progress_line(self.last))
        self.out.flush()

    def summary(self, run_dir: Path, finished: ev.Finished) -> None:
        if self.last is not None:
            self._status(self.progress_line(self.last), final=True)
        how = {"completed": "finished", "stopped": "stopped", "error": "stopped by an error"}[finished.reason]
        samples = sorted((run_dir / "samples").glob("*.png"))
        lines = [f"Training {how} at {finished.kimg:.1f} kimg (step {finished.step})."]
        if samples:
            lines.append(f"Sample grids: {run_dir / 'samples'} ({len(samples)} images; newest {samples[-1].name})")
        if self.metric is not None and self.metric_name == "psnr_gain":
            lines.append(f"Quality (validation PSNR over bicubic, higher is better): {self.metric:+.2f} dB")
            lines.append(f"Continue with: ganstudio train-upscaler --out {run_dir} --resume")
        else:
            if self.swd is not None:
                lines.append(f"Quality (sliced Wasserstein distance, lower is better): {self.swd:.1f}")
            if self.kid is not None:
                lines.append(f"Global quality (kernel distance on pretrained features, lower is better): {self.kid:.1f}")
            lines.append(f"Continue with: ganstudio train --out {run_dir} --resume")
        self.note("\n".join(lines))
