"""Training events read back from a run folder that another process is writing.

A run on several processes trains outside the app (`ganstudio train --nproc N`): its rank 0
writes the same run folder as ever, so the app follows the folder and turns what appears in it
(log records, sample grids, checkpoints) into the events an in-process run would have sent.
Torch-free: it reads JSON and PNG files only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.core.training import events as ev
from ganstudio.core.training.files import list_checkpoints, read_json
from ganstudio.core.training.runfolder import RunFolder


class RunFollower:
    """`poll()` returns the events for whatever was written since the last call. The log's events
    are the ones the run sent (ETA and best-checkpoint flags included); checkpoints and sample
    grids are turned into events from the files."""

    def __init__(self, run_dir: Path, target_kimg: float | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.target_kimg = target_kimg
        self._folder = RunFolder(self.run_dir)
        self._log_offset = 0
        self._seen_samples: set[str] = set()
        self._seen_checkpoints: set[int] = set()
        self._started = False
        self._batch = 0
        self.kimg = 0.0
        self.step = 0

    def skip_existing(self) -> None:
        """A resumed run: what is already in the folder was shown when the run was opened."""
        folder = self._folder
        self._log_offset = folder.log.stat().st_size if folder.log.is_file() else 0
        self._seen_samples = {p.name for p in folder.samples.glob("*.png")}
        self._seen_checkpoints = set(list_checkpoints(folder.checkpoints))
        if self._seen_checkpoints:  # where the run resumes from, for the Started event
            latest = max(self._seen_checkpoints)
            meta = read_json(folder.checkpoints / f"{latest:07d}.json")
            self.step, self.kimg = latest, float(meta.get("kimg", 0.0))

    def poll(self) -> list[ev.Event]:
        events: list[ev.Event] = []
        if not self._started and self._folder.exists():
            events.append(self._started_event())
        if not self._started:
            return events
        events += self._new_log_records()
        events += self._new_checkpoints()
        events += self._new_samples()
        return events

    def _started_event(self) -> ev.Started:
        info = self._folder.read()
        self._started = True
        self._batch = int(info.get("config", {}).get("batch", 0) or 0)
        data = info.get("dataset", {})
        summary = f"{data.get('images', '?')} images from {data.get('name', 'the folder')}"
        resumed = self.kimg if self._seen_checkpoints else 0.0
        return ev.Started(info.get("config", {}), summary, self.run_dir, "several processes", resumed, int(data.get("images", 0) or 0))

    def _new_log_records(self) -> list[ev.Event]:
        events, self._log_offset = self._folder.read_log(self._log_offset)
        for e in events:
            if isinstance(e, ev.Progress):
                self.step, self.kimg = e.step, e.kimg
        return events

    def _new_checkpoints(self) -> list[ev.Event]:
        out: list[ev.Event] = []
        for step in list_checkpoints(self._folder.checkpoints):
            if step in self._seen_checkpoints:
                continue
            self._seen_checkpoints.add(step)
            try:
                kimg = float(read_json(self._folder.checkpoints / f"{step:07d}.json").get("kimg", self.kimg))
            except Exception:  # noqa: BLE001 - a checkpoint being pruned as we look: skip it
                continue
            self.step, self.kimg = max(self.step, step), max(self.kimg, kimg)
            out.append(ev.CheckpointSaved(step, kimg, self._folder.checkpoints / f"{step:07d}.safetensors"))
        return out

    def _new_samples(self) -> list[ev.Event]:
        out: list[ev.Event] = []
        for path in sorted(self._folder.samples.glob("*.png")):
            if path.name in self._seen_samples or not path.stem.isdigit():
                continue
            try:
                with Image.open(path) as im:
                    grid = np.asarray(im.convert("RGB"))
            except OSError:
                continue  # written atomically, so only a file that vanished: skip it
            self._seen_samples.add(path.name)
            step = int(path.stem)
            out.append(ev.Snapshot(step, step * self._batch / 1000, grid, path))
        return out

    def finished(self, exit_code: int, stop_requested: bool) -> ev.Finished:
        """The event for the end of the training process."""
        self.poll()
        steps = list_checkpoints(self._folder.checkpoints)
        step = steps[-1] if steps else self.step
        if exit_code != 0:
            return ev.Finished(step, self.kimg, "error", f"the training processes ended with exit code {exit_code}")
        done = self.target_kimg is not None and self.kimg >= self.target_kimg - 1e-9
        return ev.Finished(step, self.kimg, "stopped" if stop_requested and not done else "completed")
