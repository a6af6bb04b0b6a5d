"""The `ganstudio` command as a user types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import make_run_folder, tiny_model_config
from ganstudio.cli import main
from ganstudio.infer import read_image_info


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("train", "demo", "export", "generate", "interpolate"))


def test_no_command_without_a_display_explains_instead_of_crashing(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main([]) == 1
    assert "no display to open the app on" in capsys.readouterr().err


@pytest.mark.slow
def test_train_a_folder_then_resume(tmp_path, image_folder, capsys):
    run = tmp_path / "run"
    args = ["train", str(image_folder), "--out", str(run), "--kimg", "0.064", "--resolution", "32", "--batch", "16"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "24 images from images (32 px)" in out
    assert "Sample grids:" in out and f"ganstudio train --out {run} --resume" in out
    assert json.loads((run / "run.json").read_text())["config"]["batch"] == 16
    from ganstudio.core.config import TrainConfig, default_config

    written = TrainConfig.from_dict(json.loads((run / "run.json").read_text())["config"])
    assert written == default_config(32, "cpu").replace(kimg=0.064)  # the recipe the app's panel starts from too
    exported = list((run / "export").glob("*.onnx"))  # a finished run exports its generator
    assert len(exported) == 1 and f"Exported {exported[0]}" in out and "onnxruntime matches torch" in out

    assert main(["train", "--out", str(run), "--resume", "--kimg", "0.128", "--no-export"]) == 0
    out = capsys.readouterr().out
    assert "resuming at 0.1 kimg" in out and "finished at 0.1 kimg" in out and "Exported" not in out


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


@pytest.mark.slow
def test_export_command(tmp_path, capsys):
    run = make_run_folder(tmp_path / "run", tiny_model_config())
    out = tmp_path / "models" / "mine.onnx"
    assert main(["export", str(run), "--checkpoint", "latest", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.is_file() and f"Exported {out} (fp32, checkpoint 40" in text and "tolerance 1e-04" in text
    assert f"ganstudio generate {out}" in text
    assert main(["export", str(run), "--checkpoint", "99"]) == 1
    assert "no checkpoint at step 99" in capsys.readouterr().err


def test_export_result_json_says_what_was_written(tmp_path, capsys):
    from ganstudio.infer.export_result import ExportResult

    run = make_run_folder(tmp_path / "run", tiny_model_config())
    record = tmp_path / "result.json"
    assert main(["export", str(run), "--checkpoint", "latest", "--result-json", str(record)]) == 0
    result = ExportResult.from_json(record.read_text())
    assert result.path.is_file() and result.path.parent == run / "export"
    assert result.step == 40 and result.precision == "fp32" and result.max_abs_diff <= result.tolerance == 1e-4


def test_generate_command(exported_model, tmp_path, capsys):
    out = tmp_path / "images"
    assert main(["generate", str(exported_model), "--count", "5", "--seed", "100", "--psi", "0.7", "--out", str(out), "--grid"]) == 0
    assert "wrote 5 images" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["grid.png"] + [f"seed{s:06d}.png" for s in range(100, 105)]
    info = read_image_info(out / "seed000102.png")
    assert (info.seed, info.psi, info.model) == (102, 0.7, "run")
    assert main(["generate", str(exported_model), "--seeds", "100,7", "--out", str(out)]) == 1
    assert "already holds seed000100.png" in capsys.readouterr().err
    assert not (out / "seed000007.png").exists()


def test_generate_gives_each_class_a_subfolder(exported_conditional_model, tmp_path, capsys):
    out = tmp_path / "synthetic"
    assert main(["generate", str(exported_conditional_model), "--count", "7", "--out", str(out)]) == 0
    counts = {d.name: len(list(d.glob("seed*.png"))) for d in out.iterdir()}
    assert counts == {"cat": 3, "dog": 2, "owl": 2}
    assert read_image_info(out / "dog" / "seed000001.png").class_name == "dog"
    assert main(["generate", str(exported_conditional_model), "--class", "owl", "--count", "2", "--out", str(tmp_path / "owls")]) == 0
    assert len(list((tmp_path / "owls").glob("*.png"))) == 2


def test_interpolate_command(exported_model, tmp_path, capsys):
    gif = tmp_path / "walk.gif"
    assert main(["interpolate", str(exported_model), "--seeds", "1,2,3", "--frames", "10", "--out", str(gif)]) == 0
    assert "wrote" in capsys.readouterr().out and gif.is_file()
    assert main(["interpolate", str(exported_model), "--seeds", "4", "--frames", "8", "--out", str(tmp_path / "w.mp4")]) == 0
    assert (tmp_path / "w.mp4").stat().st_size > 0
    assert main(["interpolate", str(exported_model), "--seeds", "1,2", "--out", str(tmp_path / "w.avi")]) == 1
    assert "must be a .gif or an .mp4" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["interpolate", str(exported_model), "--seeds", "1,x", "--out", str(gif)])
    assert "cannot read seeds '1,x'" in capsys.readouterr().err


def test_generate_from_a_file_that_is_not_a_model(tmp_path, capsys):
    bad = tmp_path / "notes.onnx"
    bad.write_text("hello")
    assert main(["generate", str(bad), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "notes.onnx could not be opened as an ONNX model" in err and "Traceback" not in err


# ---- issue 15: what a new user typed ------------------------------------------------------------


def _tiny_config_file(tmp_path, tiny_config, **changes):  # noqa: ANN001, ANN202
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(tiny_config(**changes).to_dict()))
    return path


@pytest.mark.slow
def test_train_with_no_folder_says_it_trains_the_demo_and_how_to_stop(tmp_path, tiny_config, capsys):
    config = _tiny_config_file(tmp_path, tiny_config)
    assert main(["train", "--out", str(tmp_path / "run"), "--config", str(config), "--kimg", "0.032", "--no-export"]) == 0
    out = capsys.readouterr().out
    assert "No FOLDER given: training on the built-in demo shapes until 0.032 kimg" in out and "Ctrl-C to stop" in out


@pytest.mark.parametrize(("command", "length"), [
    (command, length)
    for command in (["train"], ["demo"], ["train-upscaler", "pics"])
    for length in (["--minutes", "-5"], ["--minutes", "0"], ["--kimg", "-1"], ["--kimg", "0"])
    if command != ["demo"] or length[0] == "--minutes"  # demo has no --kimg
])
def test_a_negative_or_zero_training_length_is_refused(tmp_path, capsys, command, length):
    with pytest.raises(SystemExit) as exc:
        main([*command, *length, "--out", str(tmp_path / "run")])
    assert exc.value.code == 2
    assert f"{length[1]} is not a length of training: give a number more than 0" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_as_ctrl_c_does(tmp_path, tiny_config):
    import os
    import signal
    import time

    run = tmp_path / "run"
    config = _tiny_config_file(tmp_path, tiny_config)
    process = subprocess.Popen([sys.executable, "-m", "ganstudio", "train", "--out", str(run), "--config", str(config),
                                "--minutes", "30", "--no-export"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any((run / "samples").glob("*")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)  # training has begun once the first sample grid is written
        assert process.poll() is None, process.stdout.read()
        os.kill(process.pid, signal.SIGTERM)  # what `timeout`, a logout or a service manager sends
        out, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, out
    assert "saving a checkpoint first" in out
    assert list((run / "checkpoints").glob("*.safetensors")), out


def test_upscale_of_only_bad_files_leaves_no_output_folder(tmp_path, capsys):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = tmp_path / "upscaled"
    assert main(["upscale", "builtin", str(tmp_path / "empty.png"), str(tmp_path / "broken.jpg"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "empty.png" in err and "broken.jpg" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.slow
def test_the_app_without_qt_x11_libraries_names_the_packages_instead_of_aborting():
    """A subprocess, so that no QApplication exists yet (as when a user types `ganstudio`)."""
    code = (
        "import ctypes, sys\n"
        "real = ctypes.CDLL\n"
        "def without_icccm(name, *a, **k):\n"
        "    if 'xcb-icccm' in str(name) or 'xcb-keysyms' in str(name):\n"
        "        raise OSError(f'{name}: cannot open shared object file')\n"
        "    return real(name, *a, **k)\n"
        "ctypes.CDLL = without_icccm  # as on a Debian 12 desktop without libxcb-icccm4 and libxcb-keysyms1\n"
        "from ganstudio.cli import main\n"
        "sys.exit(main([]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**env, "DISPLAY": ":12345"})
    assert result.returncode == 1, result.stderr
    assert "libxcb-icccm4, libxcb-keysyms1" in result.stderr and "sudo apt-get install" in result.stderr
    assert "Traceback" not in result.stderr


# ---- issue 16: --config loads strictly ------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    ({"bach": 16}, '"bach" is not a setting (did you mean "batch"?)'),
    ({"batch": "16"}, '"batch" must be an integer, not "16"'),
    ({"batch": 16.0}, '"batch" must be an integer, not 16.0'),
    ({"g_lr": "2e-3"}, '"g_lr" must be a number, not "2e-3"'),
    ({"kimg": True}, '"kimg" must be a number or null, not true'),
    ({"kid": "yes"}, '"kid" must be true or false, not "yes"'),
    ({"betas": [0.0]}, '"betas" must be a list of 2 numbers, not [0.0]'),
    ({"model": {"latent_dimm": 16}}, '"model.latent_dimm" is not a setting (did you mean "model.latent_dim"?)'),
    ({"model": {"resolution": "32"}}, '"model.resolution" must be an integer, not "32"'),
    ({"model": 32}, '"model" must be a JSON object, not 32'),
    ({"loss": "l2"}, "loss must be one of nonsaturating, hinge, relativistic, not 'l2'"),
])
def test_a_config_file_with_an_unknown_key_or_a_wrong_type_is_refused_by_name(tmp_path, capsys, change, message):
    path = tmp_path / "my.json"
    path.write_text(json.dumps(change))
    with pytest.raises(SystemExit) as exc:
        main(["train", "--out", str(tmp_path / "run"), "--config", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"--config {path}: {message}" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_a_config_file_that_is_not_an_object_or_not_json_is_refused(tmp_path, capsys):
    path = tmp_path / "my.json"
    cases = [("[16]", "the configuration must be a JSON object, not [16]"), ("{batch: 16", "is not a training configuration")]
    for text, message in cases:
        path.write_text(text)
        with pytest.raises(SystemExit):
            main(["train", "--out", str(tmp_path / "run"), "--config", str(path)])
        assert message in capsys.readouterr().err


def test_strict_loading_takes_what_to_dict_writes_and_json_numbers_as_they_come(tiny_config):
    from ganstudio.core.config import TrainConfig

    config = tiny_config(augment_p=0.2, kimg=None)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict())), strict=True) == config
    loaded = TrainConfig.from_dict({"ema_kimg": 2, "betas": [0, 0.9], "minutes": 5}, strict=True)
    assert loaded.ema_kimg == 2.0 and isinstance(loaded.ema_kimg, float) and loaded.betas == (0.0, 0.9)
    assert loaded.model == TrainConfig().model  # left-out settings keep their defaults


def test_a_run_json_from_another_version_still_loads_tolerantly(tmp_path):
    run = make_run_folder(tmp_path / "run", tiny_model_config())
    data = json.loads((run / "run.json").read_text())
    data["config"]["setting_from_a_newer_version"] = 1
    data["config"]["model"]["another_one"] = "x"
    (run / "run.json").write_text(json.dumps(data))
    from ganstudio.core.training.runfolder import RunFolder

    assert RunFolder(run).config().model == tiny_model_config()


def test_nproc_that_does_not_split_the_batch_is_refused_before_anything_is_written(tmp_path, image_folder, capsys, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the workers' config file would go
    with pytest.raises(SystemExit) as exc:
        main(["train", str(image_folder), "--nproc", "3", "--out", str(tmp_path / "run"), "--no-export"])
    assert exc.value.code == 2 and "a batch of 16 does not split evenly over 3 processes" in capsys.readouterr().err
    assert not (tmp_path / "run").exists() and not list(scratch.iterdir())


def test_progress_line_and_summary_show_both_scores_whichever_marks_the_best(tmp_path):
    import io

    from ganstudio.cli_progress import ProgressPrinter
    from ganstudio.core.training import events as ev

    out = io.StringIO()
    printer = ProgressPrinter(out)
    printer(ev.Metric(625, 10.0, {"swd": 58.13, "kid": 171.9}, "kid", True))  # KID marks the best
    line = printer.progress_line(ev.Progress(700, 11.2, 240.0, 300.0, 0.2, {"g": 1.0, "d": 1.0, "d_real": 0.6, "d_fake": 0.4, "augment_p": 0.1}, 0.0))
    assert "SWD 58.1" in line and "KID 172" in line
    printer.summary(tmp_path, ev.Finished(700, 11.2, "completed"))
    text = out.getvalue()
    assert "sliced Wasserstein distance, lower is better): 58.1" in text and "pretrained features, lower is better): 171.9" in text
