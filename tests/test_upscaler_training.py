"""Training upscalers (core.upscaler) through the shared TrainingRun machinery, their export, and
the `ganstudio train-upscaler` / `ganstudio upscale` commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import onnx_upscalers as foreign
from conftest import make_image_folder
from ganstudio.cli import main
from ganstudio.core.errors import CheckpointError
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
from ganstudio.core.training.run import TrainingRun
from ganstudio.core.upscaler import UpscalerConfig
from ganstudio.core.upscaler.degrade import degrade_batch
from ganstudio.core.upscaler.run import UpscalerRun
from ganstudio.infer.builtin import builtin_upscaler_path
from ganstudio.infer.upscale import Upscaler

TINY = dict(channels=8, body_convs=2, resolution=64, patch=16, batch=4, snapshot_kimg=0.02, checkpoint_kimg=0.032,
            metric_images=8, log_interval=2, device="cpu")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image_folder(tmp_path_factory.mktemp("pics") / "pics", count=8, size=64)


def test_degradations_are_seeded_and_8_bit() -> None:
    hr = torch.rand(6, 3, 32, 32)
    a = degrade_batch(hr, 2, 1.0, torch.Generator().manual_seed(1))
    b = degrade_batch(hr, 2, 1.0, torch.Generator().manual_seed(1))
    assert a.shape == (6, 3, 16, 16) and torch.equal(a, b)
    assert torch.allclose(a * 255, (a * 255).round(), atol=1e-4) and 0 <= a.min() and a.max() <= 1
    clean = degrade_batch(hr, 2, 0.0, torch.Generator().manual_seed(1))
    assert not torch.equal(a, clean)


def test_a_run_writes_the_shared_run_folder_and_exports(tmp_path: Path, folder: Path) -> None:
    events = []
    finished = UpscalerRun.new(tmp_path / "run", UpscalerConfig(scale=2, kimg=0.064, **TINY), folder, listener=events.append).run()
    assert finished.reason == "completed" and finished.step == 16
    run_json = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run_json["config"]["task"] == "upscaler" and run_json["dataset"]["images"] == 8
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert any("l1" in r.get("stats", {}) and "lr" in r["stats"] for r in log)
    assert any(r.get("metrics", {}).get("psnr_gain") is not None for r in log)
    assert list_checkpoints(tmp_path / "run" / "checkpoints")[-1] == 16
    assert (tmp_path / "run" / "checkpoints" / "best.json").is_file()
    kinds = {type(e).__name__ for e in events}
    assert {"Started", "Progress", "Snapshot", "Metric", "CheckpointSaved", "Finished"} <= kinds
    grid = next(e for e in events if type(e).__name__ == "Snapshot").grid
    assert grid.shape == (4 * 32, 3 * 32, 3)  # rows of bicubic | model | original
    # a GAN command on it is told what it is
    with pytest.raises(CheckpointError, match="upscaler training run"):
        TrainingRun.resume(tmp_path / "run")


def test_resume_matches_an_uninterrupted_run(tmp_path: Path, folder: Path) -> None:
    full = UpscalerRun.new(tmp_path / "full", UpscalerConfig(scale=2, kimg=0.064, **TINY), folder)
    full.run()
    split = UpscalerRun.new(tmp_path / "split", UpscalerConfig(scale=2, kimg=0.064, **TINY), folder)
    split.listener = lambda e: split.stop() if getattr(e, "step", 0) >= 8 and type(e).__name__ == "Progress" else None
    assert split.run().reason == "stopped"
    assert list_checkpoints(tmp_path / "split" / "checkpoints")[-1] == 8
    UpscalerRun.resume(tmp_path / "split").run()
    a, _ = load_checkpoint(tmp_path / "full" / "checkpoints", 16)
    b, meta = load_checkpoint(tmp_path / "split" / "checkpoints", 16)
    assert meta["images_seen"] == 64
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


@pytest.mark.slow
def test_cli_train_upscaler_then_upscale_with_the_export(tmp_path: Path, folder: Path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["train-upscaler", str(folder), "--scale", "2", "--kimg", "0.032", "--batch", "4",
                 "--device", "cpu", "--out", str(run)]) == 0
    out = capsys.readouterr().out
    config = json.loads((run / "run.json").read_text())["config"]
    assert (config["resolution"], config["patch"]) == (64, 32)  # from the 64 px pictures: never enlarged
    assert "PSNR" in out and "ganstudio upscale" in out
    (exported,) = (run / "export").glob("*.onnx")
    model = Upscaler(exported, "cpu")
    assert model.scale == 2 and model.info.ganstudio and model.name == "run"
    assert main(["upscale", str(exported), str(folder), "--out", str(tmp_path / "big"), "--tile", "24"]) == 0
    pngs = sorted((tmp_path / "big").rglob("*.png"))
    assert len(pngs) == 8
    with Image.open(pngs[0]) as im:
        assert im.size == (128, 128)
        assert json.loads(im.text["ganstudio.upscale"])["upscaler"] == "run"
    # resume continues the same run folder
    assert main(["train-upscaler", "--resume", "--out", str(run), "--kimg", "0.048", "--no-export"]) == 0
    assert list_checkpoints(run / "checkpoints")[-1] == 12


def test_cli_upscale_messages(tmp_path: Path, capsys) -> None:
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(tmp_path / "a.png")
    not_up = foreign.classifier(tmp_path / "classifier.onnx")
    assert main(["upscale", str(not_up), str(tmp_path / "a.png"), "--out", str(tmp_path / "o")]) == 1
    assert "classifier.onnx is not an image upscaler" in capsys.readouterr().err
    nearest = foreign.nearest(tmp_path / "n.onnx", 3)
    assert main(["upscale", str(nearest), str(tmp_path / "a.png"), "--out", str(tmp_path / "o")]) == 0
    assert main(["upscale", str(nearest), str(tmp_path / "a.png"), "--out", str(tmp_path / "o")]) == 1
    assert "already holds a-x3.png" in capsys.readouterr().err
    assert main(["upscale", str(nearest), str(tmp_path / "a.png"), "--out", str(tmp_path / "o"), "--overwrite", "--scale", "2"]) == 0
    with Image.open(tmp_path / "o" / "a-x2.png") as im:
        assert im.size == (40, 40)  # x3 model resized to the asked x2
    assert main(["upscale", str(nearest), str(tmp_path / "missing.png"), "--out", str(tmp_path / "o")]) == 1
    assert "missing.png: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("scale", [2, 4])
def test_builtin_upscalers_ship_small_and_run(scale: int) -> None:
    path = builtin_upscaler_path(scale)
    assert path.stat().st_size <= 5 * 1024 * 1024
    model = Upscaler(path, "cpu")
    assert model.scale == scale and model.info.ganstudio
    image = np.random.default_rng(0).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    assert model.upscale(image, tile=0).shape == (40 * scale, 30 * scale, 3)


def test_cli_upscale_builtin_keeps_seed_and_alpha(tmp_path: Path, capsys) -> None:
    rgba = np.random.default_rng(0).integers(0, 256, (20, 30, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[:, :10, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "a.png")
    from ganstudio.infer.images import ImageInfo, save_png

    save_png(tmp_path / "seed.png", rgba[..., :3].copy(), ImageInfo("gan", seed=42))
    assert main(["upscale", "builtin", str(tmp_path / "a.png"), str(tmp_path / "seed.png"), "--scale", "4",
                 "--out", str(tmp_path / "out")]) == 0
    assert "wrote 2 images x4" in capsys.readouterr().out
    with Image.open(tmp_path / "out" / "a-x4.png") as im:
        assert im.mode == "RGBA" and im.size == (120, 80)
        alpha = np.asarray(im)[..., 3]
    assert (alpha[:, :36] == 0).all() and (alpha[:, 44:] == 255).all()
    with Image.open(tmp_path / "out" / "seed-x4.png") as im:
        assert im.text["seed"] == "42" and json.loads(im.text["ganstudio.upscale"])["upscaler"] == "builtin-x4"
    with pytest.raises(SystemExit) as usage:
        main(["upscale", "builtin", str(tmp_path / "a.png"), "--scale", "3", "--out", str(tmp_path / "o3")])
    assert usage.value.code == 2 and "does x2 and x4, not x3" in capsys.readouterr().err
