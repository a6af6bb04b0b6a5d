"""The training driver: loads the data, drives a task's trainer step by step, writes the run
folder and emits events. Thread-safe control (pause / resume / stop / snapshot now) for the app's worker.

    run = TrainingRun.new("runs/flowers", config, data="~/flowers", listener=print)
    run.run()          # blocks; call from a worker thread to keep a UI responsive

Started by torchrun, every rank runs the same loop (distributed.py); rank 0 alone holds the lock,
writes the run folder, evaluates the metric and hears events, and takes the decisions (stop,
which checkpoint to load) that the others follow.

What is particular to one kind of training (a GAN's Trainer, fixed-latent grid, SWD metric and
health checks) is its Task (task.py); UpscalerRun (core/upscaler/run.py) hands the driver the
upscaler's task and so shares the run folder, lock, events, checkpoints, resume, NaN rollback,
pause and stop with GAN training.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.config import TrainConfig
from ganstudio.core.data import ImageDataset
from ganstudio.core.device import configure_torch, one_thread_for_torch, resolve_device
from ganstudio.core.errors import CheckpointError, GanStudioError, TrainingError
from ganstudio.core.training import events as ev
from ganstudio.core.training import known_runs
from ganstudio.core.training.checkpoint import (
    atomic_write_json,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    read_json,
    save_checkpoint,
)
from ganstudio.core.training.distributed import World
from ganstudio.core.training.health import HealthIssue
from ganstudio.core.training.lock import RunLock
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.core.training.start_from import Parent, fine_tune_config
from ganstudio.core.training.task import GanTask, Task, TaskTrainer

DEMO_SOURCE = "builtin:demo"
MAX_ROLLBACKS = 3


class TrainingRun:
    def __init__(self, folder: RunFolder, config: TrainConfig, data: str | None, *, resume: bool, listener: ev.Listener | None) -> None:
        self.folder = folder
        self.config = config  # builds self.task too
        self.data = data  # folder path, or None for the demo
        self.resuming = resume
        self.parent: Parent | None = None  # the run a new one starts from (fine-tuning)
        self.world = World.from_env()
        self.listener = listener or (lambda event: None)  # the caller's; may be replaced before run()
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._snapshot_requested = threading.Event()
        self._metric_pool = ThreadPoolExecutor(1, thread_name_prefix="ganstudio-metric", initializer=one_thread_for_torch)
        self._pending_metric: tuple[int, float, Future] | None = None
        self._rollbacks = 0
        self._best_record: dict[str, Any] | None = None  # best.json
        self.device = torch.device("cpu")  # the one training runs on, chosen when the run starts
        self._last_snapshot_step = self._last_metric_step = -1

    # ---- construction ---------------------------------------------------------------------

    @classmethod
    def new(cls, run_dir: str | Path, config: TrainConfig, data: str | Path | None = None, listener: ev.Listener | None = None,
            *, start_from: Parent | None = None) -> "TrainingRun":
        """A run from random weights, or from `start_from`'s (fine-tuning: it takes the parent's architecture)."""
        folder = RunFolder(Path(run_dir).expanduser().resolve())
        if folder.exists() and World.from_env().is_main:  # the other ranks start after rank 0 made it
            raise CheckpointError(f"{folder.path} already holds a training run: resume it, or choose another output folder")
        if start_from is not None:
            config = fine_tune_config(start_from, config)
        run = cls(folder, config, str(Path(data).expanduser().resolve()) if data else None, resume=False, listener=listener)
        run.parent = start_from
        return run

    @classmethod
    def resume(cls, run_dir: str | Path, *, listener: ev.Listener | None = None, **overrides: Any) -> "TrainingRun":
        """Continue a run from its latest good checkpoint; overrides (kimg, minutes, device) replace run.json's."""
        folder = RunFolder(Path(run_dir).expanduser().resolve())
        if not folder.exists():
            raise CheckpointError(f"{folder.path} holds no training run to resume (no run.json)")
        info = folder.read()
        config = cls._read_config(folder).replace(**{k: v for k, v in overrides.items() if v is not None})
        source = info.get("dataset", {}).get("source", DEMO_SOURCE)
        return cls(folder, config, None if source == DEMO_SOURCE else source, resume=True, listener=listener)

    @staticmethod
    def _read_config(folder: RunFolder) -> TrainConfig:
        return folder.config()

    @staticmethod
    def _make_task(config: TrainConfig) -> Task:
        return GanTask(config)

    @property
    def config(self) -> TrainConfig:
        return self._config

    @config.setter
    def config(self, config: TrainConfig) -> None:
        """The run's configuration; its task is made from it, so set it before run() (the app
        changes a resumed run's length this way)."""
        self._config = config
        self.task: Task = self._make_task(config)

    @property
    def trainer(self) -> TaskTrainer:
        """The task's trainer (None until the run has started and loaded its data)."""
        return self.task.trainer

    # ---- control (any thread) -------------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()

    def resume_training(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Save a checkpoint and finish at the next step boundary."""
        self._stop.set()
        self._running.set()

    def snapshot_now(self) -> None:
        self._snapshot_requested.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # ---- the run ----------------------------------------------------------------------------

    def _load_data(self) -> ImageDataset:
        def progress(done: int, total: int) -> None:
            self._emit(ev.Preparing(done, total, f"decoding images from {self.data}"))

        return self.task.load_data(self.data, progress)

    def _emit(self, event: ev.Event) -> None:
        """Every event goes to the log writer, a listener like the caller's, then to the caller's.
        Rank 0 alone speaks for a run on several processes."""
        if self.main:
            self.folder.log_event(event)
            self.listener(event)

    @property
    def main(self) -> bool:
        """Whether this process writes the run folder (the only one, or rank 0 of several)."""
        return self.world.is_main

    def run(self) -> ev.Finished:
        """Train until the kimg/minutes budget is spent or stop() is called. Blocking."""
        trainer = None
        lock = RunLock(self.folder.path)
        try:
            if self.main:
                lock.acquire()
            if self.main and not self.resuming and self.folder.exists():  # made by another run since new() looked
                raise CheckpointError(f"{self.folder.path} already holds a training run: resume it, or choose another output folder")
            self._prepare()
            trainer = self.trainer
            try:
                finished = self._loop()
            except OSError as e:  # sample grids and the log, written between checkpoints
                raise CheckpointError(
                    f"could not write {e.filename or self.folder.path}: {e.strerror or e} (is the disk full or "
                    "read-only?). The last saved checkpoint is intact; free some space, then resume."
                ) from None
        except Exception as e:  # listeners (the app) must always hear how the run ended
            step, kimg = (trainer.step, trainer.images_seen / 1000) if trainer else (0, 0.0)
            finished = ev.Finished(step, kimg, "error", str(e) if isinstance(e, GanStudioError) else repr(e))
            self._emit(finished)
            raise
        finally:
            self._metric_pool.shutdown(wait=True)
            lock.release()
            self.world.close()
        self._emit(finished)
        return finished

    def _prepare(self) -> None:
        configure_torch()
        cfg = self.config
        if cfg.batch % self.world.size:
            raise GanStudioError(f"a batch of {cfg.batch} does not split evenly over {self.world.size} processes: choose a multiple of {self.world.size}")
        self.device = self.world.start(cfg.device) if self.world.distributed else resolve_device(cfg.device)
        if not self.main:
            self.world.barrier()  # rank 0 decodes first and fills the decode cache the others read
        dataset = self._load_data()
        if self.main:
            self.world.barrier()
        dataset_info, notices = self.task.setup(dataset, self.device, self.world)
        resumed_from = 0.0
        if self.resuming:
            resumed_from = self._restore_latest()
            recorded = self.folder.read().get("dataset", {}).get("fingerprint")
            if recorded and recorded != dataset.fingerprint:
                self._warn("data_changed", f"the images in {dataset.source} changed since this run started", "training goes on with the current images")
        else:
            if self.parent is not None:
                notices += self.task.start_from(self.parent)
            if self.main:
                try:
                    self.folder.create(cfg, dataset_info, started_from=self.parent.record() if self.parent else None)
                except OSError as e:
                    raise CheckpointError(f"could not create the run folder {self.folder.path}: {e.strerror or e}") from None
        if self.main:
            known_runs.remember(self.folder.path)  # so the app's Past runs lists it, wherever it lives
        self._best_record = self._read_best_record()
        self._emit(ev.Started(cfg.to_dict(), self.task.dataset_summary(dataset), self.folder.path, str(self.device), resumed_from, len(dataset)))
        self._report(notices)  # now that the folder exists, so that they are logged too

    def _restore_latest(self) -> float:
        """Load the newest checkpoint that reads back whole; damaged ones are skipped with a warning.
        Rank 0 chooses; the other ranks load the one it chose."""
        if self.world.distributed:
            chosen = self._restore_on_main() if self.main else 0.0
            (step,) = self.world.broadcast_ints(self.trainer.step, device=self.device)
            if not self.main:
                self.trainer.load_state(*load_checkpoint(self.folder.checkpoints, step))
            return chosen or self.trainer.images_seen / 1000
        return self._restore_on_main()

    def _restore_on_main(self) -> float:
        for step in reversed(list_checkpoints(self.folder.checkpoints)):
            try:
                tensors, meta = load_checkpoint(self.folder.checkpoints, step)
                self.trainer.load_state(tensors, meta)
                return self.trainer.images_seen / 1000
            except CheckpointError as e:
                self._warn("damaged_checkpoint", str(e), "resuming from the checkpoint before it")
            except (KeyError, RuntimeError, TypeError, ValueError) as e:
                raise CheckpointError(
                    f"checkpoint {step:07d} in {self.folder.checkpoints} does not fit this run's model "
                    f"({type(e).__name__}: {' '.join(str(e).split())[:300]})"
                ) from None
        raise CheckpointError(f"{self.folder.checkpoints} holds no readable checkpoint to resume from")

    def _read_best_record(self) -> dict[str, Any] | None:
        """A resumed run's best.json; the task's BestRule decides whether it still counts."""
        if not self.folder.best_json.is_file():
            return None
        try:
            best = read_json(self.folder.best_json)
            float(best["value"]), int(best["step"])  # a damaged one counts as none
            return best
        except (CheckpointError, KeyError, TypeError, ValueError):
            return None

    # ---- the loop -------------------------------------------------------------------------

    def _loop(self) -> ev.Finished:
        cfg, t = self.config, self.trainer
        train_seconds = 0.0
        last_log_time, last_log_images = time.perf_counter(), t.images_seen
        speed = 0.0
        next_snapshot = self._next_tick(cfg.snapshot_kimg)
        next_checkpoint = self._next_tick(cfg.checkpoint_kimg)
        if self.main and self.folder.latest_checkpoint() is None:
            self._save_checkpoint()  # there is always a checkpoint to roll back to
        self._snapshot()
        # Ranks decide together only every log_interval steps: a decision is a sync point.
        decide_every = cfg.log_interval if self.world.distributed else 1
        while True:
            if not self._running.is_set():
                paused_at = time.perf_counter()
                self._running.wait()
                last_log_time += time.perf_counter() - paused_at  # paused time is not training time
            self._collect_metric(block=False)
            kimg = t.images_seen / 1000
            done = cfg.kimg is not None and kimg >= cfg.kimg  # the same on every rank
            stop = False
            if t.step % decide_every == 0:  # rank 0's clock and Ctrl-C decide for all
                elapsed_minutes = (train_seconds + time.perf_counter() - last_log_time) / 60
                out_of_time = cfg.minutes is not None and elapsed_minutes >= cfg.minutes
                stop, out_of_time = (bool(v) for v in self.world.broadcast_ints(self._stop.is_set(), out_of_time, device=self.device))
                done = done or out_of_time
            if stop or done:
                if self._last_snapshot_step != t.step:
                    self._snapshot()
                self._save_checkpoint(with_metric=done and self._last_metric_step != t.step)
                self._collect_metric(block=True)
                return ev.Finished(t.step, kimg, "completed" if done else "stopped")

            try:
                t.train_step()
            except torch.OutOfMemoryError:
                if self.world.distributed:  # the ranks would no longer take the same passes
                    raise TrainingError(
                        f"{self.device} ran out of memory on worker {self.world.rank}; train again with a smaller --batch"
                    ) from None
                self._on_out_of_memory()
                continue

            if t.step % cfg.log_interval == 0:
                now = time.perf_counter()
                interval = now - last_log_time
                train_seconds += interval
                instant = (t.images_seen - last_log_images) / max(interval, 1e-9)
                speed = instant if speed == 0 else 0.7 * speed + 0.3 * instant
                last_log_time, last_log_images = now, t.images_seen
                self._report_progress(speed, train_seconds)
            kimg = t.images_seen / 1000
            if kimg >= next_snapshot or self._snapshot_requested.is_set():
                self._snapshot_requested.clear()
                self._snapshot()
                next_snapshot = self._next_tick(cfg.snapshot_kimg)
            if kimg >= next_checkpoint:
                self._save_checkpoint(with_metric=True)
                next_checkpoint = self._next_tick(cfg.checkpoint_kimg)

    def _next_tick(self, every_kimg: float) -> float:
        kimg = self.trainer.images_seen / 1000
        return (math.floor(kimg / every_kimg + 1e-9) + 1) * every_kimg

    def _report_progress(self, speed: float, train_seconds: float) -> None:
        cfg, t = self.config, self.trainer
        stats = t.read_stats()
        if not all(math.isfinite(v) for v in stats.values()):
            self._roll_back(stats)
            return
        kimg = t.images_seen / 1000
        eta = fraction = None
        if cfg.kimg is not None:
            fraction = min(1.0, kimg / cfg.kimg)
            eta = max(0.0, (cfg.kimg - kimg) * 1000 / max(speed, 1e-9))
        if cfg.minutes is not None:
            time_fraction = min(1.0, train_seconds / (cfg.minutes * 60))
            time_eta = max(0.0, cfg.minutes * 60 - train_seconds)
            fraction = time_fraction if fraction is None else max(fraction, time_fraction)
            eta = time_eta if eta is None else min(eta, time_eta)
        if not self.main:
            return
        stats = self.task.stats(stats)
        self._emit(ev.Progress(t.step, kimg, speed, eta, fraction, stats, train_seconds))
        self._report(self.task.check_progress(kimg, stats))

    def _roll_back(self, stats: dict[str, float]) -> None:
        t = self.trainer
        self._rollbacks += 1
        bad = ", ".join(f"{k}={v}" for k, v in stats.items() if not math.isfinite(v))
        if self._rollbacks > MAX_ROLLBACKS:
            raise TrainingError(
                f"losses became NaN/inf {self._rollbacks} times ({bad}) even after lowering the learning rate "
                f"{MAX_ROLLBACKS} times; the last good checkpoint is kept in {self.folder.checkpoints}. "
                "Try a lower learning rate or a smaller batch."
            )
        (step,) = self.world.broadcast_ints(self.folder.latest_checkpoint() if self.main else 0, device=self.device)
        tensors, meta = load_checkpoint(self.folder.checkpoints, step)
        t.load_state(tensors, meta, reset_optimizers=True)
        done = self.task.on_nan()  # something must change, or it NaNs again
        self._warn("nan", f"losses became NaN/inf at step {t.step} ({bad})", f"rolled back to checkpoint {step:07d}, {done} and reset the optimisers")

    def _on_out_of_memory(self) -> None:
        """Halve the images per pass and accumulate gradients over twice the passes: the same
        effective batch (and recipe) in less memory, a little slower."""
        t = self.trainer
        per_pass = math.ceil(self.config.batch / t.accumulation)
        for net in self.task.networks():
            net.zero_grad(set_to_none=True)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if per_pass <= 1:
            raise TrainingError(
                f"the {self.device} device ran out of memory even with one image per pass; choose a lower "
                "resolution, or train on the CPU (--device cpu)"
            )
        t.accumulation *= 2
        smaller = math.ceil(self.config.batch / t.accumulation)
        self._warn(
            "out_of_memory",
            f"the {self.device} device ran out of memory with {per_pass} images per pass",
            f"now {t.accumulation} passes of {smaller} images per step with their gradients added up: the same batch "
            f"of {self.config.batch}, a little slower",
        )

    def _warn(self, what: str, why: str, action: str) -> None:
        t = self.trainer
        step, kimg = (t.step, t.images_seen / 1000) if t else (0, 0.0)
        self._emit(ev.TrainingWarning(step, kimg, what, why, action))

    def _report(self, issues: list[HealthIssue]) -> None:
        for issue in issues:
            self._warn(issue.what, issue.why, issue.action)

    def _snapshot(self) -> None:
        t = self.trainer
        self._last_snapshot_step = t.step
        if not self.main:
            return
        grid, issues = self.task.preview()
        path = self.folder.write_sample_grid(t.step, grid)
        self._emit(ev.Snapshot(t.step, t.images_seen / 1000, grid, path))
        self._report(issues)

    def _save_checkpoint(self, *, with_metric: bool = False) -> None:
        t = self.trainer
        if self.world.distributed:
            # Every rank holds the same weights, so every rank reaches the same verdict here and
            # they roll back together; only rank 0 writes.
            if not all(torch.isfinite(v).all() for v in t.state_tensors().values() if v.is_floating_point()):
                self._roll_back({"weights": math.nan})
                return
            if not self.main:
                return
        if self.folder.latest_checkpoint() == t.step and not with_metric:
            return
        tensors = t.state_tensors()
        # Weights can go NaN between two progress reports: never save those as the "last good" one.
        if not all(torch.isfinite(v).all() for v in tensors.values() if v.is_floating_point()):
            self._roll_back({"weights": math.nan})
            return
        try:
            path = save_checkpoint(self.folder.checkpoints, t.step, tensors, t.state_meta())
        except OSError as e:
            previous = self.folder.latest_checkpoint()
            kept = f"checkpoint {previous:07d} is intact" if previous is not None else "nothing was saved before"
            raise CheckpointError(
                f"could not save checkpoint {t.step:07d} in {self.folder.checkpoints}: {e.strerror or e} "
                f"(is the disk full or read-only?). The previous {kept}; free some space, then resume."
            ) from None
        self._prune()
        self._emit(ev.CheckpointSaved(t.step, t.images_seen / 1000, path))
        if with_metric:
            self._last_metric_step = t.step
            self._collect_metric(block=True)  # at most one evaluation in flight
            self._pending_metric = (t.step, t.images_seen / 1000, self._metric_pool.submit(self.task.metric_job()))

    def _prune(self) -> None:
        # Never the best, nor one whose metric is still being computed (it may become the best).
        pending = self._pending_metric[0] if self._pending_metric else None
        protect = {self.trainer.step, self.folder.best_checkpoint(), pending} - {None}
        prune_checkpoints(self.folder.checkpoints, self.config.keep_checkpoints, protect)

    def _collect_metric(self, *, block: bool) -> None:
        if not self._pending_metric:
            return
        step, kimg, future = self._pending_metric
        if not block and not future.done():
            return
        self._pending_metric = None
        values = future.result()
        rule = self.task.best_rule
        is_best, record = rule.judge(self._best_record, step, kimg, values)
        if record != self._best_record:  # a new best, or a new best score seen (the tie-break's reach)
            self._best_record = record
            atomic_write_json(self.folder.best_json, record)
        self._prune()  # the checkpoint held back for this metric may go now
        self._emit(ev.Metric(step, kimg, values, rule.metric, is_best))
        self._report(self.task.check_metric(kimg, values[rule.metric]))
