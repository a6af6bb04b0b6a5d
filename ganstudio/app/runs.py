"""Read run folders for display, before torch loads (DESIGN.md's run folder contract).

Summaries for the start page and the past runs list, with the core's torch-free run-folder
helpers. It never writes: the run folder belongs to the core.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganstudio.core.training import events as ev
from ganstudio.core.training.files import checkpoint_name, list_checkpoints
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.core.training.runfolder import unique_run_dir  # noqa: F401 - the app's callers import it here
from ganstudio.infer.builtin import general_model_dir

SAMPLE_NAME = re.compile(r"^(\d{7})\.png$")  # samples/NNNNNNN.png, the step of the grid
DEMO_SOURCE = "builtin:demo"


@dataclass(frozen=True)
class RunInfo:
    """What the past runs list shows about one run folder."""

    path: Path
    name: str
    dataset_name: str
    source: str  # image folder, or builtin:demo
    images: int
    resolution: int
    batch: int
    target_kimg: float | None
    target_minutes: float | None
    kimg: float  # at the newest complete checkpoint
    step: int
    latest_sample: Path | None
    modified: float  # seconds since the epoch, of the newest file we looked at

    @property
    def completed(self) -> bool:
        return self.target_kimg is not None and self.kimg >= self.target_kimg - 1e-9

    @property
    def is_demo(self) -> bool:
        return self.source == DEMO_SOURCE

    @property
    def is_general_model(self) -> bool:
        return self.path.resolve() == general_model_dir().resolve()

    def status_text(self) -> str:
        if self.step == 0 and self.kimg == 0:
            return "not trained yet"
        if self.completed:
            return f"completed, {self.kimg:.1f} kimg"
        if self.target_kimg is not None:
            return f"stopped at {self.kimg:.1f} of {self.target_kimg:g} kimg"
        return f"{self.kimg:.1f} kimg trained"


def is_run_folder(path: Path) -> bool:
    return (path / "run.json").is_file()


def is_upscaler_run(path: Path) -> bool:
    """A run of `ganstudio train-upscaler` (same layout, config["task"] == "upscaler"): its models
    belong on the Upscale page, not the Train page."""
    try:
        config = json.loads((path / "run.json").read_text()).get("config", {})
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(config, dict) and config.get("task") == "upscaler"


def read_run(path: Path) -> RunInfo:
    """Summarise a run folder. Raises OSError/ValueError when run.json cannot be read."""
    info = json.loads((path / "run.json").read_text())
    config: dict[str, Any] = info.get("config", {})
    dataset: dict[str, Any] = info.get("dataset", {})
    step, kimg, ckpt_time = _newest_checkpoint(path / "checkpoints")
    steps = sample_steps(path)
    latest = sample_path(path, steps[-1]) if steps else None
    modified = max(ckpt_time, (path / "run.json").stat().st_mtime, latest.stat().st_mtime if latest else 0.0)
    return RunInfo(
        path=path,
        name=path.name,
        dataset_name=str(dataset.get("name", "?")),
        source=str(dataset.get("source", DEMO_SOURCE)),
        images=int(dataset.get("images", 0)),
        resolution=int(config.get("model", {}).get("resolution", 0)),
        batch=int(config.get("batch", 16)),
        target_kimg=config.get("kimg"),
        target_minutes=config.get("minutes"),
        kimg=kimg,
        step=step,
        latest_sample=latest,
        modified=modified,
    )


def _newest_checkpoint(folder: Path) -> tuple[int, float, float]:
    """(step, kimg, mtime) of the newest complete checkpoint, or zeros."""
    for step in reversed(list_checkpoints(folder)):
        meta_path = folder / f"{checkpoint_name(step)}.json"
        try:
            meta = json.loads(meta_path.read_text())
            return step, float(meta.get("kimg", meta.get("images_seen", 0) / 1000)), meta_path.stat().st_mtime
        except (OSError, ValueError, TypeError):
            continue  # a damaged one: the core skips it on resume too
    return 0, 0.0, 0.0


def sample_steps(path: Path) -> list[int]:
    """Steps of the run's sample grids (its timeline), oldest first."""
    folder = path / "samples"
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := SAMPLE_NAME.match(p.name)))


def sample_path(path: Path, step: int) -> Path:
    return path / "samples" / f"{checkpoint_name(step)}.png"


def starting_points(roots: list[Path]) -> list[RunInfo]:
    """What a new run may start from: GAN Studio's general model (where it is installed), then the
    past runs, newest first."""
    general = general_model_dir()
    try:
        builtin = [read_run(general)] if (general / "run.json").is_file() else []
    except (OSError, ValueError, TypeError, AttributeError):
        builtin = []
    return builtin + list_runs(roots)


def list_runs(roots: list[Path]) -> list[RunInfo]:
    """Run folders directly under each root (and roots that are runs themselves), newest first."""
    seen: set[Path] = set()
    found: list[RunInfo] = []
    for root in roots:
        candidates = [root] if is_run_folder(root) else (sorted(root.iterdir()) if root.is_dir() else [])
        for path in candidates:
            real = path.resolve()
            if real in seen or not is_run_folder(path) or is_upscaler_run(path):
                continue
            seen.add(real)
            try:
                found.append(read_run(path))
            except (OSError, ValueError, TypeError, AttributeError):
                continue  # an unreadable run is not listed; opening it directly says why
    return sorted(found, key=lambda r: r.modified, reverse=True)


@dataclass
class History:
    """What log.jsonl says so far, as the events the run sent, in kimg order."""

    progress: list[ev.Progress] = field(default_factory=list)
    metrics: list[ev.Metric] = field(default_factory=list)
    warnings: list[ev.TrainingWarning] = field(default_factory=list)


def read_history(path: Path) -> History:
    """The run's logged events. After a crash the log can run past the checkpoint a resume restarted
    from; those records were a lost branch, so a step going backwards drops what lay beyond it."""
    history = History()
    events, _ = RunFolder(path).read_log()
    for event in events:
        if isinstance(event, ev.Progress):
            _truncate(history.progress, event.step)
            history.progress.append(event)
        elif isinstance(event, ev.Metric):
            _truncate(history.metrics, event.step)
            history.metrics.append(event)
        else:
            history.warnings.append(event)
    return history


def _truncate(events: list, step: int) -> None:
    while events and events[-1].step >= step:
        events.pop()


def age_text(timestamp: float, now: float | None = None) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    seconds = max(0.0, (now or time.time()) - timestamp)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def format_duration(seconds: float) -> str:
    """1:05:09 or 6:41."""
    seconds = int(round(max(0.0, seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
