"""The training run end to end on tiny models: events, run folder, resume, control, NaN guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.errors import CheckpointError, TrainingError
from ganstudio.core.training import events as ev
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
from ganstudio.core.training.run import TrainingRun
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.core.training.trainer import Trainer


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type) -> list:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    step = list_checkpoints(run_dir / "checkpoints")[-1]
    tensors, _ = load_checkpoint(run_dir / "checkpoints", step)
    return tensors


@pytest.mark.slow
def test_short_run_writes_run_folder_and_events_in_order(tmp_path, image_folder, tiny_config):
    rec = Recorder()
    cfg = tiny_config(kimg=0.128)
    run = TrainingRun.new(tmp_path / "run", cfg, image_folder)
    run.listener = rec  # as the app and the CLI hand theirs over: the log is written all the same
    finished = run.run()

    kinds = [type(e).__name__ for e in rec.events if not isinstance(e, ev.Preparing)]
    assert kinds[0] == "Started" and kinds[-1] == "Finished"
    assert finished.reason == "completed" and finished.step == 16
    for kind in ("Progress", "Snapshot", "CheckpointSaved", "Metric"):
        assert kind in kinds
    assert rec.of(ev.Preparing)[-1].done == 24  # decode progress reached the end

    progress = rec.of(ev.Progress)
    assert [p.step for p in progress] == sorted(p.step for p in progress)
    assert all(np.isfinite(p.stat("g")) and 0 <= p.stat("d_real") <= 1 for p in progress)
    assert progress[-1].fraction_done == pytest.approx(1.0, abs=0.2)

    run = tmp_path / "run"
    info = json.loads((run / "run.json").read_text())
    assert info["config"]["model"]["resolution"] == 32
    assert info["dataset"]["images"] == 24 and len(info["dataset"]["fingerprint"]) == 64
    # The log holds the very events the listener heard: one schema, written and read back.
    logged, _ = RunFolder(run).read_log()
    heard = [(p.step, p.kimg, p.stats, p.fraction_done) for p in progress]
    assert [(p.step, p.kimg, p.stats, p.fraction_done) for p in logged if isinstance(p, ev.Progress)] == heard
    assert [e for e in logged if isinstance(e, ev.Metric)] == rec.of(ev.Metric)
    assert rec.of(ev.Metric)[0].is_best and rec.of(ev.Metric)[0].name == "swd"
    best = json.loads((run / "checkpoints" / "best.json").read_text())
    assert best["step"] in list_checkpoints(run / "checkpoints")

    # The samples changed as G learned: the first and last grids differ.
    grids = sorted((run / "samples").glob("*.png"))
    first, last = (np.asarray(Image.open(p), dtype=np.float32) for p in (grids[0], grids[-1]))
    assert first.shape == (4 * 32, 4 * 32, 3)
    assert np.abs(first - last).mean() > 2.0
    snap = rec.of(ev.Snapshot)[-1]
    assert snap.grid.dtype == np.uint8 and snap.path == grids[-1]


@pytest.mark.slow
def test_resume_matches_uninterrupted_run(tmp_path, image_folder, tiny_config):
    TrainingRun.new(tmp_path / "whole", tiny_config(kimg=0.096), image_folder).run()
    TrainingRun.new(tmp_path / "split", tiny_config(kimg=0.048), image_folder).run()
    resumed = Recorder()
    TrainingRun.resume(tmp_path / "split", kimg=0.096, listener=resumed).run()

    assert resumed.of(ev.Started)[0].resumed_from_kimg == pytest.approx(0.048)
    whole, split = _weights(tmp_path / "whole"), _weights(tmp_path / "split")
    assert whole.keys() == split.keys()
    for key in whole:
        torch.testing.assert_close(split[key], whole[key], rtol=0, atol=0, msg=key)


@pytest.mark.slow
def test_pause_resume_stop_from_another_thread(tmp_path, image_folder, tiny_config):
    rec = Recorder()
    run = TrainingRun.new(tmp_path / "run", tiny_config(), image_folder, rec)  # no budget: until stopped
    thread = threading.Thread(target=run.run)
    first_progress = threading.Event()
    run.listener = lambda e: (rec(e), isinstance(e, ev.Progress) and first_progress.set())
    thread.start()
    assert first_progress.wait(60)

    run.pause()
    assert run.paused
    threading.Event().wait(0.5)  # let the step in flight finish
    steps_at_pause = len(rec.of(ev.Progress))
    threading.Event().wait(1.0)
    assert len(rec.of(ev.Progress)) == steps_at_pause  # nothing trains while paused

    run.resume_training()
    run.snapshot_now()
    run.stop()
    thread.join(60)
    assert not thread.is_alive()
    finished = rec.of(ev.Finished)[-1]
    assert finished.reason == "stopped"
    assert list_checkpoints(tmp_path / "run" / "checkpoints")[-1] == finished.step  # stop saved first


def _poison_after(step: int, times: int | None):
    """Make G's weights NaN after `step` (once, or every time with times=None)."""
    original = Trainer.train_step
    state = {"left": times}

    def train_step(self: Trainer) -> None:
        original(self)
        if self.step >= step and (state["left"] is None or state["left"] > 0):
            with torch.no_grad():
                next(self.G.synthesis.parameters()).fill_(float("nan"))
            if state["left"] is not None:
                state["left"] -= 1

    return train_step


@pytest.mark.slow
def test_nan_rolls_back_lowers_lr_and_goes_on(tmp_path, image_folder, tiny_config, monkeypatch):
    monkeypatch.setattr(Trainer, "train_step", _poison_after(5, times=1))
    rec = Recorder()
    cfg = tiny_config(kimg=0.128)
    run = TrainingRun.new(tmp_path / "run", cfg, image_folder)
    run.listener = rec  # as the app and the CLI hand theirs over: the log is written all the same
    finished = run.run()

    warnings = [w for w in rec.of(ev.TrainingWarning) if w.what == "nan"]
    assert len(warnings) == 1 and "rolled back" in warnings[0].action
    assert finished.reason == "completed"
    tensors, meta = load_checkpoint(tmp_path / "run" / "checkpoints", finished.step)
    assert meta["g_lr"] == pytest.approx(cfg.g_lr / 2)
    assert all(torch.isfinite(t).all() for k, t in tensors.items() if t.is_floating_point())


@pytest.mark.slow
def test_nan_that_keeps_coming_back_stops_with_a_message(tmp_path, image_folder, tiny_config, monkeypatch):
    monkeypatch.setattr(Trainer, "train_step", _poison_after(1, times=None))
    rec = Recorder()
    with pytest.raises(TrainingError, match="NaN"):
        TrainingRun.new(tmp_path / "run", tiny_config(kimg=1.0), image_folder, rec).run()
    assert rec.of(ev.Finished)[-1].reason == "error"
    assert len([w for w in rec.of(ev.TrainingWarning) if w.what == "nan"]) == 3
    assert list_checkpoints(tmp_path / "run" / "checkpoints") == [0]  # the good checkpoint is kept


@pytest.mark.slow
def test_conditional_run(tmp_path, tiny_config):
    from conftest import make_image_folder

    folder = make_image_folder(tmp_path / "classes", classes=("cats", "dogs"))
    cfg = tiny_config(kimg=0.032, num_classes=2)
    finished = TrainingRun.new(tmp_path / "run", cfg, folder).run()
    assert finished.reason == "completed"
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["dataset"]["classes"] == ["cats", "dogs"]


@pytest.mark.slow
def test_pruning_keeps_newest_and_best(tmp_path, image_folder, tiny_config):
    cfg = tiny_config(kimg=0.32, checkpoint_kimg=0.032, keep_checkpoints=2)
    TrainingRun.new(tmp_path / "run", cfg, image_folder).run()
    folder = tmp_path / "run" / "checkpoints"
    steps = list_checkpoints(folder)
    best = json.loads((folder / "best.json").read_text())["step"]
    assert best in steps
    assert set(steps) - {best} == set(steps[-2:]) - {best} and len(steps) <= 3


def test_new_run_refuses_an_existing_run_folder(tmp_path, image_folder, tiny_config):
    TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.016), image_folder).run()
    with pytest.raises(CheckpointError, match="already holds a training run"):
        TrainingRun.new(tmp_path / "run", tiny_config(), image_folder)


@pytest.mark.slow
def test_unknown_schema_version_gets_a_clear_message(tmp_path, image_folder, tiny_config):
    TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.016), image_folder).run()
    run_json = tmp_path / "run" / "run.json"
    info = json.loads(run_json.read_text())
    info["schema_version"] = 99
    run_json.write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="schema version 99"):
        TrainingRun.resume(tmp_path / "run")


@pytest.mark.slow
def test_resume_skips_a_damaged_latest_checkpoint(tmp_path, image_folder, tiny_config):
    TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.064), image_folder).run()
    folder = tmp_path / "run" / "checkpoints"
    latest = list_checkpoints(folder)[-1]
    damaged = folder / f"{latest:07d}.safetensors"
    damaged.write_bytes(damaged.read_bytes()[:100])
    rec = Recorder()
    TrainingRun.resume(tmp_path / "run", kimg=0.096, listener=rec).run()
    assert any(w.what == "damaged_checkpoint" for w in rec.of(ev.TrainingWarning))
    assert rec.of(ev.Started)[0].resumed_from_kimg < latest * 8 / 1000


@pytest.mark.slow
def test_nan_weights_are_never_saved_as_the_last_good_checkpoint(tmp_path, image_folder, tiny_config, monkeypatch):
    # Progress reports (where losses are checked) come too rarely to notice before the checkpoint.
    monkeypatch.setattr(Trainer, "train_step", _poison_after(5, times=1))
    rec = Recorder()
    cfg = tiny_config(kimg=0.128, log_interval=1000)
    assert TrainingRun.new(tmp_path / "run", cfg, image_folder, rec).run().reason == "completed"
    assert [w.what for w in rec.of(ev.TrainingWarning)].count("nan") == 1
    folder = tmp_path / "run" / "checkpoints"
    for step in list_checkpoints(folder):
        tensors, _ = load_checkpoint(folder, step)
        assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point()), step


@pytest.mark.slow
def test_started_mentions_classes_only_when_the_run_uses_them(tmp_path, tiny_config):
    rec = Recorder()
    TrainingRun.new(tmp_path / "plain", tiny_config(kimg=0.008), None, rec).run()  # the demo set has 4 classes
    assert "classes" not in rec.of(ev.Started)[0].dataset_summary
    rec = Recorder()
    TrainingRun.new(tmp_path / "cond", tiny_config(kimg=0.008, num_classes=4), None, rec).run()
    assert "4 classes" in rec.of(ev.Started)[0].dataset_summary


def test_hinge_loss_is_zero_once_d_is_sure_and_trains(tmp_path, image_folder, tiny_config):
    from ganstudio.core.data import load_image_folder

    cfg = tiny_config(loss="hinge")
    trainer = Trainer(cfg, load_image_folder(image_folder, 32).images, None, torch.device("cpu"))
    sure = trainer._d_loss(torch.tensor([1.5, 2.0]), torch.tensor([-1.0, -3.0]))
    unsure = trainer._d_loss(torch.tensor([0.0]), torch.tensor([0.0]))
    assert sure.item() == 0.0 and unsure.item() == 2.0
    assert trainer._g_loss(torch.tensor([1.0, 3.0]), torch.zeros(2)).item() == -2.0
    for _ in range(2):
        trainer.train_step()
    assert all(torch.isfinite(p).all() for p in trainer.G.parameters())
    with pytest.raises(ValueError, match="loss must be one of"):
        tiny_config(loss="wasserstein")


def test_the_relativistic_loss_judges_each_fake_against_a_real_and_trains_with_r1_and_r2(image_folder, tiny_config):
    import torch.nn.functional as F

    from ganstudio.core.data import load_image_folder

    images = load_image_folder(image_folder, 32).images
    trainer = Trainer(tiny_config(loss="relativistic"), images, None, torch.device("cpu"))
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([0.0, 1.0])
    d = trainer._d_loss(real, fake)
    assert d.item() == pytest.approx(F.softplus(fake - real).mean().item())
    assert trainer._d_loss(real + 5, fake + 5).item() == pytest.approx(d.item())  # only the margins count
    assert trainer._g_loss(fake, real).item() == pytest.approx(F.softplus(real - fake).mean().item())

    def d_after_two_steps(r2_gamma: float, passes: int) -> torch.Tensor:
        t = Trainer(tiny_config(loss="relativistic", r2_gamma=r2_gamma), images, None, torch.device("cpu"))
        t.accumulation = passes
        for _ in range(2):  # the first step (0) also takes the lazy penalty (r1_interval 2)
            t.train_step()
        assert t.read_stats()["r1"] > 0
        return torch.cat([p.detach().flatten() for p in t.D.parameters()])

    without_r2 = d_after_two_steps(0.0, 1)
    assert not torch.allclose(without_r2, d_after_two_steps(1.0, 1))  # R2 moved D
    assert torch.isfinite(d_after_two_steps(1.0, 2)).all()  # over two passes the fakes are made again


def test_building_a_trainer_leaves_the_process_rng_alone_and_is_seeded(image_folder, tiny_config):
    """In the app other threads draw from torch's global RNG: a trainer seeding it for its weights
    moved their numbers. Weights still come from the run's seed alone."""
    from ganstudio.core.data import load_image_folder

    images = load_image_folder(image_folder, 32).images
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    a = Trainer(tiny_config(), images, None, torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(99)  # whatever the process did meanwhile
    b = Trainer(tiny_config(), images, None, torch.device("cpu"))
    for (name, pa), pb in zip(a.G.state_dict().items(), b.G.state_dict().values()):
        assert torch.equal(pa, pb), name
    c = Trainer(tiny_config(seed=1), images, None, torch.device("cpu"))
    assert not torch.equal(a.G.synthesis.const, c.G.synthesis.const)


@pytest.mark.parametrize(("cores", "torch_default", "omp", "expected"),
                         [(2, 2, None, 2), (1, 1, None, 1), (8, 8, None, 8), (16, 8, None, 8), (4, 4, "1", 4)])
def test_training_uses_every_core_unless_told_otherwise(monkeypatch, cores, torch_default, omp, expected):
    from ganstudio.core import device

    monkeypatch.setattr(device.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(device.torch, "get_num_threads", lambda: torch_default)
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert device.training_threads() == expected


@pytest.mark.parametrize(("given", "expected"), [(None, "20000"), ("0", "0")])
def test_openmp_threads_spin_briefly_between_ops_unless_the_user_says_otherwise(given, expected):
    # Read once, when torch loads OpenMP: so checked in a fresh interpreter, as a user starts one.
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    if given is not None:
        env["GOMP_SPINCOUNT"] = given
    code = "import os, ganstudio.core; print(os.environ['GOMP_SPINCOUNT'], os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == [expected, env.get("OMP_WAIT_POLICY", "None")]  # no longer PASSIVE unless the user asks


def test_the_metric_thread_computes_on_one_torch_thread_and_training_keeps_every_core(tmp_path, image_folder, tiny_config):
    """A second thread computing on every core makes OpenMP oversubscribe the CPU, after which its
    idle threads sleep at once for good: training ran at 265 instead of 480 img/s (2 cores) after
    the first checkpoint's metric. The metric thread takes one thread; the training thread keeps its."""
    from ganstudio.core.device import configure_torch

    configure_torch()
    before = torch.get_num_threads()
    run = TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.1), image_folder)
    assert run._metric_pool.submit(torch.get_num_threads).result() == 1
    assert torch.get_num_threads() == before
    run._metric_pool.shutdown()


def test_a_class_conditional_batch_comes_in_groups_of_one_class_and_its_fakes_take_the_same_labels(tiny_config):
    """D's minibatch-std measures the spread of 4 consecutive samples. Over mixed classes it reads
    the differences between classes, and G learnt to draw one image per class whatever z (the demo
    shapes, 3 minutes: every row of a column the same image). In groups of one class it reads the
    variety within a class, which is what collapse takes away."""
    from ganstudio.core.models.discriminator import MBSTD_GROUP

    # Unbalanced classes, as a folder's subfolders are: 8 images of class 0, 4 of class 1, 1 of class 2.
    labels = torch.tensor([0] * 8 + [1] * 4 + [2])
    images = torch.arange(len(labels), dtype=torch.uint8).reshape(-1, 1, 1, 1).expand(-1, 3, 32, 32).contiguous()
    trainer = Trainer(tiny_config(batch=16, num_classes=3), images, labels, torch.device("cpu"))
    seen = []
    for _ in range(300):
        real, real_labels = trainer._sample_batch()
        index = ((real[:, 0, 0, 0] + 1) * 127.5).round().long()  # each image's pixels hold its index
        assert torch.equal(labels[index], real_labels)
        groups = real_labels.reshape(-1, MBSTD_GROUP)
        assert (groups == groups[:, :1]).all(), groups
        seen.append(real_labels)
    share = torch.bincount(torch.cat(seen), minlength=3).float() / (300 * 16)
    assert torch.allclose(share, torch.tensor([8, 4, 1]) / 13, atol=0.03), share  # as often as the data holds each class

    # The fakes of a step are drawn for the reals' labels, in the same order.
    calls: dict[str, list] = {"G": [], "D": []}
    G, D = trainer.G_train, trainer.D_train
    trainer.G_train = lambda z, c, **kw: calls["G"].append(c) or G(z, c, **kw)
    trainer.D_train = lambda x, c: calls["D"].append(c) or D(x, c)
    trainer.train_step()
    assert torch.equal(calls["D"][0], calls["G"][0])  # D's first call judges the reals


def test_each_rank_of_a_distributed_conditional_run_gets_the_labels_of_its_own_slice(tiny_config):
    """Every rank draws the whole global batch and keeps its slice (World.share). The labels were
    sliced twice, so rank 1 of 2 got none for its 8 reals."""
    labels = torch.tensor([0] * 8 + [1] * 8)
    images = torch.arange(len(labels), dtype=torch.uint8).reshape(-1, 1, 1, 1).expand(-1, 3, 32, 32).contiguous()
    trainer = Trainer(tiny_config(batch=16, num_classes=2), images, labels, torch.device("cpu"))
    trainer.share = slice(8, 16)  # what World(rank=1, size=2).share(16) gives
    real, real_labels = trainer._sample_batch()
    index = ((real[:, 0, 0, 0] + 1) * 127.5).round().long()
    assert len(real) == len(real_labels) == 8 and torch.equal(labels[index], real_labels)
