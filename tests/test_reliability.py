"""No lost work: one writer per run folder, and a full or read-only disk stops a run cleanly."""

from __future__ import annotations

import errno
import io
import os
import sys
import threading

import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.errors import CheckpointError
from ganstudio.core.training import events as ev
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
from ganstudio.core.training.lock import RunLock
from ganstudio.core.training.run import TrainingRun


@pytest.mark.slow
def test_a_second_run_on_a_busy_folder_is_told_so(tmp_path, image_folder, tiny_config):
    started = threading.Event()

    def listener(event):
        if isinstance(event, ev.Started):
            first.pause()
            started.set()

    first = TrainingRun.new(tmp_path / "run", tiny_config(kimg=1.0), image_folder, listener)
    thread = threading.Thread(target=first.run)
    thread.start()
    try:
        assert started.wait(60)
        with pytest.raises(CheckpointError, match=r"is busy: another GAN Studio \(process \d+\) is training this run"):
            TrainingRun.resume(tmp_path / "run").run()
        assert main(["train", "--out", str(tmp_path / "run"), "--resume"]) == 1
    finally:
        first.stop()
        thread.join(60)
    assert not thread.is_alive()
    checkpoints = list_checkpoints(tmp_path / "run" / "checkpoints")
    load_checkpoint(tmp_path / "run" / "checkpoints", checkpoints[-1])  # the first run's save is whole
    # Once the first run has stopped, the folder is free again.
    finished = TrainingRun.resume(tmp_path / "run", kimg=first.trainer.images_seen / 1000 + 0.016).run()
    assert finished.reason == "completed"


def test_the_lock_goes_with_its_holder(tmp_path):
    lock = RunLock(tmp_path)
    lock.acquire()
    with pytest.raises(CheckpointError, match="is busy"):
        RunLock(tmp_path).acquire()
    lock.release()
    with RunLock(tmp_path):
        pass


def test_a_busy_run_names_its_holder_even_where_the_locked_byte_cannot_be_read(tmp_path, monkeypatch):
    """Windows: a locked byte range is unreadable to others. The lock sits past the pid, so the
    pid is readable; a run whose lock file cannot be read at all is still busy, not 'not allowed'."""
    import ganstudio.core.training.lock as lock_module

    class FakeMsvcrt:  # Windows' byte-range locks, on one byte, for this test's two opens
        LK_NBLCK = 2
        held: set[int] = set()

        @classmethod
        def locking(cls, fd, mode, nbytes):  # noqa: ANN001, ANN206
            offset = os.lseek(fd, 0, os.SEEK_CUR)
            assert offset >= len(str(os.getpid())), "the lock covers the pid: others could not read it"
            if offset in cls.held:
                raise PermissionError(13, "Permission denied")
            cls.held.add(offset)

    monkeypatch.setattr(lock_module.sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "msvcrt", FakeMsvcrt)
    RunLock(tmp_path).acquire()
    with pytest.raises(CheckpointError, match=f"is busy: another GAN Studio \\(process {os.getpid()}\\)"):
        RunLock(tmp_path).acquire()

    class Unreadable(io.StringIO):
        def read(self, *args):  # noqa: ANN002, ANN202
            raise PermissionError(13, "Permission denied")

    assert lock_module._holder(Unreadable()) == "unknown"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS], ids=["disk-full", "read-only"])
@pytest.mark.slow
def test_a_failing_save_stops_the_run_and_keeps_the_previous_checkpoint(tmp_path, image_folder, tiny_config, monkeypatch, code):
    import ganstudio.core.training.run as run_module

    real_save = run_module.save_checkpoint
    calls = []

    def failing_save(folder, step, tensors, meta):
        calls.append(step)
        if len(calls) > 1:
            raise OSError(code, "No space left on device" if code == errno.ENOSPC else "Read-only file system")
        return real_save(folder, step, tensors, meta)

    monkeypatch.setattr(run_module, "save_checkpoint", failing_save)
    rec = []
    with pytest.raises(CheckpointError, match=r"could not save checkpoint \d+ .*is the disk full or read-only\?\)\. The previous checkpoint 0000000 is intact"):
        TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.256), image_folder, rec.append).run()
    assert rec[-1].reason == "error" and "is intact" in rec[-1].message
    folder = tmp_path / "run" / "checkpoints"
    assert list_checkpoints(folder) == [0]
    tensors, _ = load_checkpoint(folder, 0)
    assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())
    monkeypatch.setattr(run_module, "save_checkpoint", real_save)
    assert TrainingRun.resume(tmp_path / "run", kimg=0.032).run().reason == "completed"


def test_a_failing_sample_write_is_a_clear_error(tmp_path, image_folder, tiny_config, monkeypatch, capsys):
    from ganstudio.core.training.runfolder import RunFolder

    def full(self, step, grid):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.samples / "x.png"))

    monkeypatch.setattr(RunFolder, "write_sample_grid", full)
    args = ["train", str(image_folder), "--out", str(tmp_path / "run"), "--kimg", "0.1", "--resolution", "32", "--no-export"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "x.png: No space left on device (is the disk full or read-only?)" in err and "Traceback" not in err


CHILD = """
import sys
from pathlib import Path
from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.training import events as ev
from ganstudio.core.training.run import TrainingRun

run_dir, images = Path(sys.argv[1]), sys.argv[2]
def listener(event):
    if isinstance(event, ev.CheckpointSaved):
        print("saved", event.step, flush=True)
if (run_dir / "run.json").exists():
    run = TrainingRun.resume(run_dir, listener=listener)
else:
    model = ModelConfig(resolution=32, latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256,
                        max_channels=32, min_channels=8)
    config = TrainConfig(model=model, batch=8, kimg=1000, checkpoint_kimg=0.016, snapshot_kimg=0.064,
                         metric_images=64, grid_size=4, keep_checkpoints=2)
    run = TrainingRun.new(run_dir, config, images, listener)
run.run()
"""


@pytest.mark.slow
def test_kill_9_at_random_moments_never_loses_the_run(tmp_path, image_folder):
    """Three SIGKILLs, each after the child's k-th checkpoint (so mid-write of the next one, which
    comes 2 steps later); every time the folder reads back and the next child resumes from it.
    benchmarks/kill_resume.py does 20 kills at random times."""
    import random
    import signal
    import subprocess
    import sys

    from ganstudio.core.training.runfolder import RunFolder

    run_dir = tmp_path / "run"
    rng = random.Random(1)
    resumed_from = []
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(run_dir), str(image_folder)], stdout=subprocess.PIPE, text=True)
        wanted, seen = rng.randint(2, 5), 0
        for line in child.stdout:
            seen += line.startswith("saved")
            if seen == wanted:
                break
        child.send_signal(signal.SIGKILL)
        child.wait()
        folder = RunFolder(run_dir)
        folder.config()
        steps = list_checkpoints(folder.checkpoints)
        load_checkpoint(folder.checkpoints, steps[-1])
        resumed_from.append(steps[-1])
    assert resumed_from == sorted(resumed_from) and resumed_from[-1] > resumed_from[0]  # progress is kept
    finished = TrainingRun.resume(run_dir, kimg=(resumed_from[-1] + 2) * 8 / 1000).run()
    assert finished.reason == "completed" and finished.step == resumed_from[-1] + 2


@pytest.mark.slow
def test_a_fuzzed_folder_is_scanned_to_the_end_with_a_reason_for_every_bad_file(tmp_path, capsys):
    """10,000 tiny files, a symlink loop, a non-UTF-8 name, a zero-byte, a truncated, a huge and a
    wrong-extension file among 20 good images."""
    import io
    import os
    import struct
    import time
    import zlib

    from PIL import Image

    from ganstudio.core.data import load_image_folder

    root = tmp_path / "fuzz"
    (root / "tiny").mkdir(parents=True)

    def png(size: int, colour: int) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (size, size), (colour, 255 - colour, 128)).save(buf, format="PNG")
        return buf.getvalue()

    tiny = png(8, 0)
    for i in range(10_000):
        (root / "tiny" / f"{i:05d}.png").write_bytes(tiny)
    for i in range(20):
        (root / f"good_{i:02d}.png").write_bytes(png(40, i * 10))
    os.symlink(root, root / "loop")
    os.symlink(root / "missing.png", root / "dangling.png")
    good = png(40, 200)
    (root.joinpath(os.fsdecode(b"caf\xe9-latin1.png"))).write_bytes(good)  # a name that is not UTF-8
    (root / "empty.png").write_bytes(b"")
    (root / "cut.png").write_bytes(good[: len(good) // 2])
    (root / "notes.jpg").write_text("this is not a picture")
    # A PNG header claiming 100000 x 100000 px: refused before decoding.
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    (root / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)))

    start = time.perf_counter()
    dataset = load_image_folder(root, 32)
    seconds = time.perf_counter() - start
    assert len(dataset) == 21
    reasons = {s.path.name: s.reason for s in dataset.skipped}
    assert len(reasons) >= 10_000 + 4
    assert all(reason for reason in reasons.values())
    assert "too small (8x8 px" in reasons["00000.png"]
    for name in ("empty.png", "cut.png", "notes.jpg", "huge.png"):
        assert name in reasons, name
    assert "skipped" in dataset.summary() and "of 10" in dataset.summary()
    with capsys.disabled():
        print(f"\n  fuzzed folder: {len(reasons) + len(dataset)} files scanned and decoded in {seconds:.1f} s")


def _damage(folder, step, *, tensors=None, meta=None):
    from safetensors.torch import load_file, save_file

    name = f"{step:07d}"
    if tensors is not None:
        data = load_file(folder / f"{name}.safetensors")
        tensors(data)
        save_file(data, folder / f"{name}.safetensors")
    if meta is not None:
        (folder / f"{name}.json").write_text(meta)


def _first_key(data, prefix):
    return next(k for k in sorted(data) if k.startswith(prefix))


@pytest.mark.parametrize(
    "damage, message",
    [
        (dict(tensors=lambda d: d.update({_first_key(d, "G.synthesis"): torch.zeros(3)})), "size mismatch"),
        (dict(tensors=lambda d: d.pop(_first_key(d, "D."))), "Missing key"),
        (dict(tensors=lambda d: d.update({_first_key(d, "opt_d.0.exp_avg"): torch.zeros(2, 2)})), "opt_d.0.exp_avg has shape"),
        (dict(meta='{"schema_version": 1, "step": "many", "images_seen": 0}'), "ValueError"),
        (dict(meta='{"schema_version": 1, "step": 4}'), "KeyError"),
    ],
    ids=["wrong-shape", "missing-key", "optimizer-shape", "wrong-type", "missing-field"],
)
@pytest.mark.slow
def test_a_malformed_checkpoint_gets_a_message_and_is_not_overwritten(tmp_path, image_folder, tiny_config, damage, message):
    TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.032), image_folder).run()
    folder = tmp_path / "run" / "checkpoints"
    steps = list_checkpoints(folder)
    _damage(folder, steps[-1], **damage)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(CheckpointError, match=rf"checkpoint {steps[-1]:07d} in .* does not fit this run's model .*{message}"):
        TrainingRun.resume(tmp_path / "run", kimg=0.064).run()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.slow
def test_out_of_memory_halves_the_pass_and_keeps_the_batch(tmp_path, image_folder, tiny_config, monkeypatch):
    """Simulated (no GPU here): D runs out of memory on more than 2 images at a time."""
    from ganstudio.core.models import Discriminator

    real_forward = Discriminator.forward

    def small_memory(self, img, class_index=None):
        if img.shape[0] > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_forward(self, img, class_index)

    monkeypatch.setattr(Discriminator, "forward", small_memory)
    rec = []
    run = TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.064), image_folder, rec.append)
    finished = run.run()
    assert finished.reason == "completed" and run.trainer.images_seen == 64  # batch 8 throughout
    warnings = [e for e in rec if isinstance(e, ev.TrainingWarning)]
    assert [w.what for w in warnings] == ["out_of_memory", "out_of_memory"]  # 8 -> 4 -> 2 per pass
    assert "now 4 passes of 2 images per step" in warnings[-1].action and run.trainer.accumulation == 4
    tensors, meta = load_checkpoint(tmp_path / "run" / "checkpoints", list_checkpoints(tmp_path / "run" / "checkpoints")[-1])
    assert meta["accumulation"] == 4 and all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())
    # One image per pass is the floor: past it, a clear error.
    monkeypatch.setattr(Discriminator, "forward", lambda self, img, c=None: (_ for _ in ()).throw(torch.OutOfMemoryError("oom")))
    with pytest.raises(Exception, match="ran out of memory even with one image per pass"):
        TrainingRun.resume(tmp_path / "run", kimg=0.128).run()
