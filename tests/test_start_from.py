"""Fine-tuning (`train --from`): a new run starts from another run's weights, with fresh optimiser,
augmentation and step count; run.json records where it started; FreezeD keeps D's finest layers;
a parent that cannot be used is refused in words before anything is written."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from conftest import make_image_folder, tiny_train_config
from ganstudio.cli import main
from ganstudio.core.errors import CheckpointError, ConfigError
from ganstudio.core.training import events as ev
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
from ganstudio.core.training.files import SCHEMA_VERSION
from ganstudio.core.training.run import TrainingRun
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.core.training.start_from import open_parent

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def parent_run(tmp_path_factory):
    """A trained parent: 0.064 kimg of a tiny unconditional GAN."""
    root = tmp_path_factory.mktemp("parent")
    images = make_image_folder(root / "images")
    TrainingRun.new(root / "parent", tiny_train_config(kimg=0.064), images).run()
    return root / "parent"


def weights(folder, step, prefix):
    tensors, _ = load_checkpoint(RunFolder(folder).checkpoints, step)
    return {k: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def test_a_new_run_starts_from_the_parents_weights_with_fresh_state(parent_run, tmp_path, tiny_config):
    parent = open_parent(parent_run, "latest")
    child_data = make_image_folder(tmp_path / "other", size=40)
    warnings = []
    # The child asks for another model size: the parent's architecture wins.
    asked = tiny_config(kimg=0.032, g_lr=1e-3)
    run = TrainingRun.new(tmp_path / "child", asked.replace(model=asked.model.resized("tiny")), child_data,
                          listener=lambda e: isinstance(e, ev.TrainingWarning) and warnings.append(e), start_from=parent)
    assert run.config.model == parent.model and run.config.g_lr == 1e-3
    run.run()

    child = RunFolder(tmp_path / "child")
    info = child.read()
    assert info["started_from"] == {"run": str(parent_run.resolve()), "checkpoint": parent.step, "kimg": pytest.approx(0.064),
                                    "dataset": "images", "fingerprint": RunFolder(parent_run).read()["dataset"]["fingerprint"]}
    first = list_checkpoints(child.checkpoints)[0]
    assert first == 0  # saved before the first step: the parent's weights, and the timeline's first grid
    for prefix in ("G", "D", "G_ema"):
        mine, theirs = weights(child.path, 0, prefix), weights(parent_run, parent.step, prefix)
        assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    _, meta = load_checkpoint(child.checkpoints, 0)
    assert meta["step"] == 0 and meta["images_seen"] == 0 and meta["augment_p"] == 0.0
    tensors, _ = load_checkpoint(child.checkpoints, 0)
    assert not any(k.startswith(("opt_g.", "opt_d.")) for k in tensors)  # Adam starts without moments
    assert (child.samples / "0000000.png").is_file() and not warnings
    # It trained on from there, and resumes as any run does.
    assert list_checkpoints(child.checkpoints)[-1] > 0
    assert TrainingRun.resume(child.path).config.model == parent.model


def test_another_class_count_starts_the_class_embeddings_fresh(parent_run, tmp_path, tiny_config):
    data = make_image_folder(tmp_path / "classes", classes=("cat", "dog", "owl"))
    warnings = []
    run = TrainingRun.new(tmp_path / "child", tiny_config(kimg=0.016, num_classes=3), data, start_from=open_parent(parent_run),
                          listener=lambda e: isinstance(e, ev.TrainingWarning) and warnings.append(e))
    run.run()
    assert [w.what for w in warnings] == ["classes_reinitialised"]
    mine, theirs = weights(run.folder.path, 0, "G"), weights(parent_run, open_parent(parent_run).step, "G")
    assert "G.mapping.embed.weight" in mine and "G.mapping.embed.weight" not in theirs
    assert mine["G.mapping.layers.0.weight"].shape != theirs["G.mapping.layers.0.weight"].shape
    kept = [k for k in theirs if not k.startswith(("G.mapping.embed.", "G.mapping.layers.0."))]
    assert kept and all(torch.equal(mine[k], theirs[k]) for k in kept)


def test_freeze_d_keeps_the_finest_layers_of_d(parent_run, tmp_path, tiny_config):
    parent = open_parent(parent_run)
    run = TrainingRun.new(tmp_path / "child", tiny_config(kimg=0.032, freeze_d=2), make_image_folder(tmp_path / "i"), start_from=parent)
    run.run()
    last = list_checkpoints(run.folder.checkpoints)[-1]
    mine, theirs = weights(run.folder.path, last, "D"), weights(parent_run, parent.step, "D")
    frozen = [k for k in mine if k.startswith(("D.from_rgb.", "D.blocks.0.", "D.blocks.1."))]
    trained = [k for k in mine if k.startswith(("D.blocks.2.", "D.fc.", "D.out."))]
    assert frozen and all(torch.equal(mine[k], theirs[k]) for k in frozen)
    assert trained and not any(torch.equal(mine[k], theirs[k]) for k in trained)


def test_freeze_d_is_checked():
    from ganstudio.core.config import ModelConfig, TrainConfig

    with pytest.raises(ValueError, match="freeze_d must be 0 to 3"):
        TrainConfig(model=ModelConfig(resolution=32), freeze_d=4)
    with pytest.raises(ValueError, match="needs the pixel discriminator"):
        TrainConfig(model=ModelConfig(resolution=32, discriminator="projected"), freeze_d=1)


def test_another_resolution_is_refused_with_what_would_work(parent_run, tmp_path, tiny_config):
    config = tiny_config()
    config = config.replace(model=dataclasses.replace(config.model, resolution=64))
    with pytest.raises(ConfigError, match="makes 32 px images.*not 64 px.*leave the resolution at 32 px"):
        TrainingRun.new(tmp_path / "child", config, None, start_from=open_parent(parent_run))


def _damaged_parents(parent_run, tmp_path):
    """(folder, what the message says) for every kind of parent that cannot be used."""
    import shutil

    from ganstudio.core.training.files import checkpoint_name

    cases = [(tmp_path / "missing", "does not exist"), (tmp_path, "holds no training run")]
    other = shutil.copytree(parent_run, tmp_path / "other-version")
    info = json.loads((other / "run.json").read_text())
    (other / "run.json").write_text(json.dumps({**info, "schema_version": SCHEMA_VERSION + 1}))
    cases.append((other, "schema version"))
    upscaler = shutil.copytree(parent_run, tmp_path / "upscaler")
    (upscaler / "run.json").write_text(json.dumps({**info, "config": {"task": "upscaler"}}))
    cases.append((upscaler, "upscaler training run"))
    broken = shutil.copytree(parent_run, tmp_path / "broken")
    for step in list_checkpoints(broken / "checkpoints"):
        path = broken / "checkpoints" / f"{checkpoint_name(step)}.safetensors"
        path.write_bytes(path.read_bytes()[:100])
    cases.append((broken, "cannot be read"))
    empty = shutil.copytree(parent_run, tmp_path / "empty")
    shutil.rmtree(empty / "checkpoints")
    (empty / "checkpoints").mkdir()
    cases.append((empty, "has no checkpoint yet"))
    return cases


def test_a_parent_that_cannot_be_used_is_refused_and_nothing_is_written(parent_run, tmp_path, capsys):
    data = make_image_folder(tmp_path / "data")
    for folder, said in _damaged_parents(parent_run, tmp_path / "parents"):
        with pytest.raises(CheckpointError, match=said):
            open_parent(folder)
        out = tmp_path / "new-run"
        assert main(["train", str(data), "--from", str(folder), "--out", str(out), "--kimg", "0.016"]) == 1
        assert said in capsys.readouterr().err
        assert not out.exists()


def test_the_command_line_trains_from_a_parent(parent_run, tmp_path, capsys):
    data = make_image_folder(tmp_path / "data", size=40)
    out = tmp_path / "child"
    code = main(["train", str(data), "--from", str(parent_run), "--checkpoint", "latest", "--freeze-d", "1",
                 "--out", str(out), "--kimg", "0.016", "--batch", "8", "--no-export"])
    said = capsys.readouterr()
    assert code == 0, said.err
    assert f"Starting from {parent_run.name}, checkpoint" in said.out
    info = RunFolder(out).read()
    assert info["started_from"]["run"] == str(parent_run.resolve())
    assert info["config"]["model"] == RunFolder(parent_run).read()["config"]["model"] and info["config"]["freeze_d"] == 1


@pytest.mark.parametrize("args, said", [
    (["--checkpoint", "best"], "go with --from"),
    (["--freeze-d", "1"], "go with --from"),
    (["--from", "PARENT", "--resume"], "use one of them"),
    (["--from", "PARENT", "--model-size", "small"], "takes its model"),
])
def test_fine_tuning_options_are_checked(parent_run, tmp_path, capsys, args, said):
    args = [str(parent_run) if a == "PARENT" else a for a in args]
    with pytest.raises(SystemExit):
        main(["train", "--out", str(tmp_path / "run"), *args])
    assert said in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.fixture
def general_model(parent_run, tmp_path, monkeypatch):
    """A tiny run packaged as the general model is (build/train_builtin_generator.py), in resources
    of its own."""
    import importlib.util

    from ganstudio.infer import builtin

    spec = importlib.util.spec_from_file_location("train_builtin_generator", ROOT / "build" / "train_builtin_generator.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    resources = tmp_path / "resources"
    script.package(parent_run, resources / "models" / "general-64")
    monkeypatch.setenv("GANSTUDIO_RESOURCES", str(resources))
    builtin.resources_dir.cache_clear()
    yield builtin.general_model_dir()
    builtin.resources_dir.cache_clear()


def test_the_general_model_is_a_starting_point(general_model, parent_run, tmp_path, capsys):
    from safetensors.torch import load_file

    step = RunFolder(general_model).select_checkpoint("best")
    shipped = load_file(general_model / "checkpoints" / f"{step:07d}.safetensors")
    assert {k.split(".")[0] for k in shipped} == {"G", "D", "G_ema"} and all(v.dtype == torch.float16 for v in shipped.values())
    parent = open_parent("general")
    assert parent.folder.path == general_model.resolve()

    data = make_image_folder(tmp_path / "data", size=40)
    assert main(["train", str(data), "--from", "general", "--out", str(tmp_path / "child"), "--kimg", "0.016",
                 "--batch", "8", "--no-export"]) == 0, capsys.readouterr().err
    info = RunFolder(tmp_path / "child").read()
    assert info["started_from"]["run"] == str(general_model.resolve())
    # Its first grid is the general model's own (fp16 weights, read into fp32), as a parent's is.
    first = list_checkpoints(tmp_path / "child" / "checkpoints")[0]
    child_g = weights(tmp_path / "child", first, "G_ema")
    assert all(torch.equal(child_g[k], v.float()) for k, v in shipped.items() if k.startswith("G_ema."))


def test_a_missing_general_model_says_so(tmp_path, monkeypatch, capsys):
    from ganstudio.infer import builtin

    monkeypatch.setenv("GANSTUDIO_RESOURCES", str(tmp_path / "nothing"))
    builtin.resources_dir.cache_clear()
    try:
        with pytest.raises(CheckpointError, match="general model is missing"):
            open_parent("general")
    finally:
        builtin.resources_dir.cache_clear()
