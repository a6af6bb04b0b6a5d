"""Export to ONNX: every resolution and the conditional model, checked against torch, with metadata."""

from __future__ import annotations

import dataclasses

import json

import numpy as np
import onnx
import pytest
import torch

from conftest import make_run_folder, tiny_model_config
from ganstudio.core.config import TrainConfig
from ganstudio.core.errors import CheckpointError, ExportError
from ganstudio.core.export import export_generator
from ganstudio.core.export.directions import describe_directions
from ganstudio.core.export.generator import ExportGraph, load_ema_generator
from ganstudio.core.training.runfolder import RunFolder
from ganstudio.infer import GeneratorModel
from ganstudio.infer.metadata import Directions


@pytest.mark.parametrize(
    "resolution, classes",
    [(32, ()), (64, ()), (128, ()), (256, ()), (64, ("cat", "dog"))],
    ids=["32px", "64px", "128px", "256px", "64px-conditional"],
)
@pytest.mark.slow
def test_every_resolution_exports_and_matches_torch(tmp_path, resolution, classes):
    model_cfg = tiny_model_config(resolution, num_classes=len(classes))
    run = make_run_folder(tmp_path / "run", model_cfg, classes)
    result = export_generator(run)
    assert result.max_abs_diff <= 1e-4 and result.precision == "fp32"
    assert result.path.parent == run / "export" and result.path.name == "run-0kimg.onnx"

    # Independently of the exporter's own check: onnxruntime vs torch, another batch size.
    G, _ = load_ema_generator(RunFolder(run), result.step)
    model = GeneratorModel(result.path, device="cpu")
    n = 3
    z = np.random.default_rng(5).standard_normal((n, 16), dtype=np.float32)
    cls = np.arange(n) % 2 if classes else None
    psi = np.array([1.0, 0.6, 0.3], np.float32)
    got = model._session.run(
        ["image"], {"z": z, "psi": psi, "w_offset": np.zeros((n, 16), np.float32), **({"class_index": cls} if classes else {})}
    )[0]
    with torch.no_grad():
        args = [torch.from_numpy(z), torch.from_numpy(psi), torch.zeros(n, 16)] + ([torch.from_numpy(cls)] if classes else [])
        want = ExportGraph(G)(*args)[0].numpy()
    assert got.shape == (n, 3, resolution, resolution)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert model.info.resolution == resolution and model.info.classes == classes


@pytest.mark.slow
def test_the_low_passed_generator_of_new_runs_exports_and_matches_torch(tmp_path):
    from ganstudio.core.config import default_config, demo_config

    assert default_config(64, "cpu").model.g_blur and default_config(256, "cuda").model.g_blur and demo_config(32, "cpu").model.g_blur
    old = default_config(64, "cpu").to_dict()
    del old["model"]["g_blur"]  # a run.json written before the low-pass: its G had none
    assert not TrainConfig.from_dict(old).model.g_blur
    model_cfg = dataclasses.replace(tiny_model_config(), g_blur=True)
    run = make_run_folder(tmp_path / "run", model_cfg)
    result = export_generator(run)
    assert result.max_abs_diff <= 1e-4
    G, _ = load_ema_generator(RunFolder(run), result.step)
    plain = dataclasses.replace(model_cfg, g_blur=False)
    assert RunFolder(run).config().model.g_blur  # run.json records it, and the export followed it
    z = torch.randn(2, 16)
    with torch.no_grad():
        blurred = G(z)
        sharp = type(G)(plain)
        sharp.load_state_dict(G.state_dict())
        # The same weights without the low-pass: the fixed 2x2 pattern of the transposed convs is back.
        assert not torch.allclose(blurred, sharp(z), atol=1e-3)


def test_metadata_follows_the_design(exported_model):
    props = {p.key: p.value for p in onnx.load(str(exported_model)).metadata_props}
    assert props["ganstudio.format"] == "1" and props["ganstudio.kind"] == "generator"
    assert (props["latent_dim"], props["w_dim"], props["resolution"]) == ("16", "16", "32")
    assert json.loads(props["classes"]) == []
    assert props["images_seen"] == "320" and props["dataset_name"] == "shapes" and props["dataset_size"] == "24"
    assert props["name"] == "run" and props["ganstudio_version"] and props["date"]
    directions = json.loads(props["directions"])
    vectors, std = np.array(directions["vectors"]), np.array(directions["std"])
    assert vectors.shape == (16, 16)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(16), atol=1e-4)  # orthonormal
    assert np.all(np.diff(std) <= 1e-6) and std[0] > 0  # strongest first
    assert len(directions["effects"]) == 16 and all(isinstance(e, str) for e in directions["effects"])


def test_each_direction_is_named_after_what_it_changes_most():
    """A made-up generator whose style 0 is the brightness, 1 the subject's place across and 2
    nothing: the three directions are called what the + side of each slider does."""
    coords = torch.linspace(-1, 1, 24)

    def render(w: torch.Tensor) -> torch.Tensor:
        blob = torch.exp(-((coords[None, None, :] - 0.3 * w[:, 1, None, None]) ** 2 + coords[None, :, None] ** 2) / 0.1)
        grey = -0.2 + 0.2 * w[:, 0, None, None] + 0.6 * blob
        return grey[:, None].expand(-1, 3, -1, -1)

    w = torch.randn(48, 3, generator=torch.Generator().manual_seed(0)) * 0.5
    flip = Directions(np.array([[-1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32), np.full(3, 0.5, np.float32))
    assert describe_directions(render, w, flip) == ("darker", "subject to the right", "")


def test_models_exported_before_effects_were_named_still_load(exported_model, tmp_path):
    model = onnx.load(str(exported_model))
    props = {p.key: p.value for p in model.metadata_props}
    directions = json.loads(props["directions"])
    del directions["effects"]
    props["directions"] = json.dumps(directions)
    onnx.helper.set_model_props(model, props)
    onnx.save(model, str(tmp_path / "old.onnx"))
    info = GeneratorModel(tmp_path / "old.onnx", device="cpu").info
    assert info.directions.effects == () and info.directions.effect(0) == "" and len(info.directions) == 16


@pytest.mark.slow
def test_directions_are_the_principal_axes_of_w(exported_model, tmp_path):
    """The first direction explains more of w's spread than a random one, and re-export is identical."""
    model = GeneratorModel(exported_model, device="cpu")
    w = model.w(model.z_for_seeds(range(2000)))
    centred = w - w.mean(0)
    first = model.info.directions.vectors[0]
    random = np.random.default_rng(0).standard_normal(16)
    random /= np.linalg.norm(random)
    assert np.std(centred @ first) > 1.5 * np.std(centred @ random)
    assert np.std(centred @ first) == pytest.approx(model.info.directions.std[0], rel=0.1)


def test_truncation_and_offsets_are_inside_the_graph(exported_model):
    model = GeneratorModel(exported_model, device="cpu")
    z = model.z_for_seeds([1, 2, 3])
    centre = model.run(z, psi=0.0)
    assert np.array_equal(centre.images[0], centre.images[1])  # psi 0: every seed gives w_avg's image
    np.testing.assert_allclose(centre.w, np.broadcast_to(centre.w[0], centre.w.shape), atol=1e-6)
    plain = model.images(z)
    assert np.array_equal(model.images(z, w_offset=np.zeros(16, np.float32)), plain)
    moved = model.images(z, w_offset=model.info.directions.offset({0: 3.0}))
    assert np.abs(moved.astype(int) - plain).mean() > 1


@pytest.mark.slow
def test_fp16_export_is_smaller_and_within_its_stated_tolerance(tmp_path):
    run = make_run_folder(tmp_path / "run", tiny_model_config(64))
    full = export_generator(run)
    half = export_generator(run, fp16=True)
    assert half.path.name == "run-0kimg-fp16.onnx" and half.precision == "fp16"
    assert half.max_abs_diff <= half.tolerance == 1e-2
    assert half.path.stat().st_size < full.path.stat().st_size

    def weight_bytes(path, dtype):
        return sum(len(t.raw_data) for t in onnx.load(str(path)).graph.initializer if t.data_type == dtype)

    f16, f32 = onnx.TensorProto.FLOAT16, onnx.TensorProto.FLOAT
    assert weight_bytes(half.path, f16) > 10 * weight_bytes(half.path, f32)  # the weights really are half
    assert weight_bytes(half.path, f16) == pytest.approx(weight_bytes(full.path, f32) / 2, rel=0.05)
    assert GeneratorModel(half.path, device="cpu").info.summary["precision"] == "fp16"


@pytest.mark.slow
def test_an_export_that_fails_its_check_is_not_written(tmp_path, monkeypatch):
    run = make_run_folder(tmp_path / "run", tiny_model_config())
    monkeypatch.setitem(__import__("ganstudio.core.export.generator", fromlist=["TOLERANCE"]).TOLERANCE, "fp32", 0.0)
    monkeypatch.setattr("ganstudio.core.export.generator._verify", lambda *a: 0.5)
    with pytest.raises(ExportError, match="differs from the torch model"):
        export_generator(run)
    assert list((run / "export").iterdir()) == []


def test_checkpoint_choice(tmp_path):
    run = make_run_folder(tmp_path / "run", tiny_model_config())
    folder = RunFolder(run)
    assert folder.select_checkpoint("latest") == 40
    assert folder.select_checkpoint("best") == 40  # no metric yet: the latest
    assert folder.select_checkpoint("40") == 40
    with pytest.raises(CheckpointError, match="no checkpoint at step 7; it has 40"):
        folder.select_checkpoint(7)
    with pytest.raises(CheckpointError, match="use best, latest or a step number"):
        folder.select_checkpoint("newest")
    with pytest.raises(ExportError, match="must end in .onnx"):
        export_generator(run, out=tmp_path / "model.bin")


def test_a_run_without_checkpoints_says_so(tmp_path):
    run = make_run_folder(tmp_path / "run", tiny_model_config())
    for f in (run / "checkpoints").iterdir():
        f.unlink()
    with pytest.raises(CheckpointError, match="has no checkpoint yet"):
        export_generator(run)


@pytest.mark.slow
def test_resize_upsampling_generator_exports_and_matches_torch(tmp_path):
    run = make_run_folder(tmp_path / "run", dataclasses.replace(tiny_model_config(), g_upsample="resize"))
    assert export_generator(run).max_abs_diff <= 1e-4
