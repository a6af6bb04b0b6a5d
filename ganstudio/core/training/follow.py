"""Training events read back from a run folder that another process is writing.

A run on several processes trains outside the app (`ganstudio train --nproc N`): its rank 0
writes the same run folder as ever, so the app follows the folder and turns what appears in it
(log records, sample grids, checkpoints) into the events an in-process run would have sent.
Torch-free: it reads JSON and PNG files only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.core.training import events as ev
from ganstudio.core.training.files import list_checkpoints, read_json


class RunFollower:
    """`poll()` returns the events for whatever was written since the last call."""

    def __init__(self, run_dir: Path, target_kimg: float | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.target_kimg = target_kimg
        self._log_offset = 0
        self._seen_samples: set[str] = set()
        self._seen_checkpoints: set[int] = set()
        self._started = False
        self._best: float | None = None
        self._batch = 0
        self.kimg = 0.0
        self.step = 0

    def skip_existing(self) -> None:
        """A resumed run: what is already in the folder was shown when the run was opened."""
        log = self.run_dir / "log.jsonl"
        self._log_offset = log.stat().st_size if log.is_file() else 0
        self._seen_samples = {p.name for p in (self.run_dir / "samples").glob("*.png")}
        self._seen_checkpoints = set(list_checkpoints(self.run_dir / "checkpoints"))
        if self._seen_checkpoints:  # where the run resumes from, for the Started event
            latest = max(self._seen_checkpoints)
            meta = read_json(self.run_dir / "checkpoints" / f"{latest:07d}.json")
            self.step, self.kimg = latest, float(meta.get("kimg", 0.0))

    def poll(self) -> list[ev.Event]:
        events: list[ev.Event] = []
        if not self._started and (self.run_dir / "run.json").is_file():
            events.append(self._started_event())
        if not self._started:
            return events
        events += self._new_log_records()
        events += self._new_checkpoints()
        events += self._new_samples()
        return events

    def _started_event(self) -> ev.Started:
        info = read_json(self.run_dir / "run.json")
        self._started = True
        self._batch = int(info.get("config", {}).get("batch", 0) or 0)
        data = info.get("dataset", {})
        summary = f"{data.get('images', '?')} images from {data.get('name', 'the folder')}"
        resumed = self.kimg if self._seen_checkpoints else 0.0
        return ev.Started(info.get("config", {}), summary, self.run_dir, "several processes", resumed, int(data.get("images", 0) or 0))

    def _new_log_records(self) -> list[ev.Event]:
        log = self.run_dir / "log.jsonl"
        if not log.is_file():
            return []
        with log.open("rb") as f:
            f.seek(self._log_offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written is read next time
        self._log_offset += len(complete)
        out: list[ev.Event] = []
        for line in complete.decode("utf-8", "replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            event = self._event_for(record)
            if event is not None:
                out.append(event)
        return out

    def _event_for(self, r: dict) -> ev.Event | None:
        step, kimg = int(r.get("step", 0)), float(r.get("kimg", 0.0))
        if "losses" in r:
            self.step, self.kimg = step, kimg
            speed = float(r.get("img_s", 0.0))
            eta = fraction = None
            if self.target_kimg:
                fraction = min(1.0, kimg / self.target_kimg)
                eta = max(0.0, (self.target_kimg - kimg) * 1000 / speed) if speed > 0 else None
            return ev.Progress(step, kimg, speed, eta, fraction, r["losses"], float(r.get("d_real", 0.0)),
                               float(r.get("d_fake", 0.0)), float(r.get("augment_p", 0.0)))
        if "metrics" in r and "swd" in r["metrics"]:
            value = float(r["metrics"]["swd"])
            is_best = self._best is None or value < self._best
            self._best = value if is_best else self._best
            return ev.Metric(step, kimg, "swd", value, is_best)
        if "warning" in r:
            w = r["warning"]
            return ev.TrainingWarning(step, kimg, str(w.get("what", "")), str(w.get("why", "")), str(w.get("action", "")))
        return None

    def _new_checkpoints(self) -> list[ev.Event]:
        out: list[ev.Event] = []
        for step in list_checkpoints(self.run_dir / "checkpoints"):
            if step in self._seen_checkpoints:
                continue
            self._seen_checkpoints.add(step)
            try:
                kimg = float(read_json(self.run_dir / "checkpoints" / f"{step:07d}.json").get("kimg", self.kimg))
            except Exception:  # noqa: BLE001 - a checkpoint being pruned as we look: skip it
                continue
            self.step, self.kimg = max(self.step, step), max(self.kimg, kimg)
            out.append(ev.CheckpointSaved(step, kimg, self.run_dir / "checkpoints" / f"{step:07d}.safetensors"))
        return out

    def _new_samples(self) -> list[ev.Event]:
        out: list[ev.Event] = []
        for path in sorted((self.run_dir / "samples").glob("*.png")):
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
        steps = list_checkpoints(self.run_dir / "checkpoints")
        step = steps[-1] if steps else self.step
        if exit_code != 0:
            return ev.Finished(step, self.kimg, "error", f"the training processes ended with exit code {exit_code}")
        done = self.target_kimg is not None and self.kimg >= self.target_kimg - 1e-9
        return ev.Finished(step, self.kimg, "stopped" if stop_requested and not done else "completed")
