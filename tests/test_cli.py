"""The `ganstudio` command as a user types it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ganstudio.cli import main


def test_help_lists_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "demo" in out


def test_train_a_folder_then_resume(tmp_path, image_folder, capsys):
    run = tmp_path / "run"
    args = ["train", str(image_folder), "--out", str(run), "--kimg", "0.064", "--resolution", "32", "--batch", "16"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "24 images from images (32 px)" in out
    assert "Sample grids:" in out and f"ganstudio train --out {run} --resume" in out
    assert json.loads((run / "run.json").read_text())["config"]["batch"] == 16

    assert main(["train", "--out", str(run), "--resume", "--kimg", "0.128"]) == 0
    out = capsys.readouterr().out
    assert "resuming at 0.1 kimg" in out and "finished at 0.1 kimg" in out


def test_missing_folder_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["train", str(missing), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_resume_needs_out(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--resume"])
    assert exc.value.code == 2
    assert "--resume needs --out" in capsys.readouterr().err


def test_cuda_without_gpu_is_explained(tmp_path, image_folder, capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert main(["train", str(image_folder), "--out", str(tmp_path / "r"), "--device", "cuda"]) == 1
    assert "no usable CUDA GPU" in capsys.readouterr().err


def test_help_does_not_import_torch():
    code = "import sys; from ganstudio.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
