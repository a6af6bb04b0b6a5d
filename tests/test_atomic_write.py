"""ganstudio.infer.atomic: the one atomic write (unique temp beside the target, umask mode, fsync,
replace), and save_png, which goes through it."""

from __future__ import annotations

import os
import stat
import threading

import numpy as np
import pytest
import safetensors.numpy
from PIL import Image

from ganstudio.infer import OutputError, save_png
from ganstudio.infer import atomic
from ganstudio.infer.atomic import atomic_path, atomic_write, atomic_write_bytes, atomic_write_text


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="Windows files have no permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_the_mode_follows_the_umask_as_for_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"x")
        with atomic_path(tmp_path / "b.safetensors") as tmp:
            safetensors.numpy.save_file({"x": np.zeros(2)}, tmp)  # recreates the file with mode 0600
        (tmp_path / "plain").write_bytes(b"x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.bin") == _mode(tmp_path / "b.safetensors") == _mode(tmp_path / "plain") == 0o666 & ~umask


def test_every_form_writes_and_replaces(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    assert atomic_write_text(target, "ünïcode") == target and target.read_text(encoding="utf-8") == "ünïcode"
    atomic_write(target, lambda f: f.write(b"from a file object"))
    assert target.read_bytes() == b"from a file object"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, error):
    target = tmp_path / "run.json"
    target.write_bytes(b"old")

    def half_then_fail(f):
        f.write(b"half of the new")
        raise error

    with pytest.raises(error):
        atomic_write(target, half_then_fail)
    with pytest.raises(error), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise error
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_a_failed_replace_leaves_no_temp(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError("in use")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(PermissionError):
        atomic_write_bytes(tmp_path / "x.onnx", b"data")
    assert list(tmp_path.iterdir()) == []


def test_the_data_is_fsynced_before_the_replace(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    atomic_write_bytes(tmp_path / "x", b"data")
    assert order == ["fsync", "replace"]


def test_two_writers_to_one_target_use_different_temp_files(tmp_path):
    target = tmp_path / "best.json"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_bytes(b"first")
        second.write_bytes(b"second")
    assert target.read_bytes() == b"first"  # the last to finish wins, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.json"]


def test_concurrent_writers_never_mix_their_bytes(tmp_path):
    target = tmp_path / "grid.png"
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    errors = []

    def write(data):
        try:
            for _ in range(5):
                atomic_write_bytes(target, data)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and target.read_bytes() in payloads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]


def test_save_png_leaves_no_partial_file_when_the_write_fails(tmp_path, monkeypatch):
    pixels = np.full((16, 16, 3), 7, np.uint8)
    good = save_png(tmp_path / "seed000001.png", pixels)
    before = good.read_bytes()
    real_save = Image.Image.save

    def fail_mid_save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", fail_mid_save)
    with pytest.raises(OutputError, match="could not write .*seed000002.png: No space left on device"):
        save_png(tmp_path / "seed000002.png", pixels)
    with pytest.raises(OutputError):
        save_png(good, pixels)  # overwriting: the old image stays whole
    monkeypatch.setattr(Image.Image, "save", real_save)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed000001.png"]
    assert good.read_bytes() == before


def test_save_png_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(OutputError, match="could not write"):
        save_png(tmp_path / "no" / "x.png", np.zeros((4, 4, 3), np.uint8))
