"""Find a picture in a model: the encoder exported beside a generator, and `ganstudio project`."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import make_run_folder, tiny_model_config
from ganstudio.infer.errors import ModelError

pytestmark = pytest.mark.slow


def test_the_encoder_finds_the_models_own_pictures_better_than_the_average(with_encoder):
    from ganstudio.infer import GeneratorModel
    from ganstudio.infer.project import EncoderModel, project, psnr, render_w, w_avg

    result, _ = with_encoder
    assert result.encoder is not None and result.encoder.name == "run-0kimg.encoder.onnx"
    model = GeneratorModel(result.path, device="cpu")
    encoder = EncoderModel(model, device="cpu")
    pictures = model.images_for_seeds(range(8))
    average = render_w(model, w_avg(model))[0]
    found = [project(encoder, p) for p in pictures]
    assert all(f.image.shape == p.shape and f.w.shape == (16,) for f, p in zip(found, pictures))
    assert np.mean([f.psnr for f in found]) > np.mean([psnr(average, p) for p in pictures]) + 1.0
    assert all(0 < f.ssim <= 1 for f in found)
    # The offset from w_avg at psi 0 draws exactly w: the picture the encoder's w stands for.
    np.testing.assert_array_equal(render_w(model, found[0].w)[0], found[0].image)


def test_project_writes_pictures_that_reopen_exactly_and_skips_bad_files(with_encoder, tmp_path, capsys):
    from ganstudio.cli import main
    from ganstudio.infer import GeneratorModel, read_image_info

    result, _ = with_encoder
    pictures = tmp_path / "mine"
    pictures.mkdir()
    Image.new("RGBA", (90, 60), (200, 30, 30, 128)).save(pictures / "wide.png")  # another size, shape and mode
    (pictures / "broken.png").write_bytes(b"not a picture")
    assert main(["project", str(result.path), str(pictures), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert "wide.png: PSNR" in out.out and "broken.png" in out.err and "projected 1 picture" in out.out
    made = np.asarray(Image.open(tmp_path / "out" / "wide.png").convert("RGB"))
    compare = Image.open(tmp_path / "out" / "wide-compare.png")
    assert made.shape == (32, 32, 3) and compare.size == (66, 32)
    info = read_image_info(tmp_path / "out" / "wide.png")
    model = GeneratorModel(result.path, device="cpu")
    again = model.images(model.z_for_seeds([info.seed]), psi=info.psi, w_offset=np.asarray(info.w_offset, np.float32)[None])[0]
    np.testing.assert_array_equal(again, made)

    assert main(["project", str(result.path), str(pictures / "broken.png"), "--out", str(tmp_path / "none")]) == 1


def test_a_missing_or_foreign_encoder_says_what_to_do(with_encoder, tmp_path):
    from ganstudio.core.export import export_generator
    from ganstudio.infer import GeneratorModel
    from ganstudio.infer.project import EncoderModel, encoder_path

    result, _ = with_encoder
    other = export_generator(make_run_folder(tmp_path / "other", tiny_model_config(), seed=3), copies=False)
    with pytest.raises(ModelError, match="--with-encoder"):
        EncoderModel(GeneratorModel(other.path, device="cpu"))
    shutil.copy(result.encoder, encoder_path(other.path))
    with pytest.raises(ModelError, match="encoder of another model"):
        EncoderModel(GeneratorModel(other.path, device="cpu"))
    with pytest.raises(ModelError, match="not a GAN Studio encoder"):
        EncoderModel(GeneratorModel(other.path, device="cpu"), path=result.path)  # a generator, not an encoder

    again = export_generator(tmp_path / "other")  # exported again without one: the stale encoder goes
    assert again.encoder is None and not encoder_path(other.path).exists()


def test_refining_brings_the_picture_closer_and_needs_the_run(with_encoder, tmp_path, capsys):
    import re

    from ganstudio.cli import main
    from ganstudio.infer import GeneratorModel, read_image_info

    result, _ = with_encoder
    picture = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(picture)

    def similarity(*extra: str) -> float:
        assert main(["project", str(result.path), str(picture), "--out", str(tmp_path / "out"), *extra]) == 0
        return float(re.search(r"PSNR ([\d.]+) dB", capsys.readouterr().out).group(1))

    encoder_only = similarity()
    refined = similarity("--refine", "60")
    assert refined > encoder_only + 0.5
    made = np.asarray(Image.open(tmp_path / "out" / "photo.png").convert("RGB"))
    info = read_image_info(tmp_path / "out" / "photo.png")
    model = GeneratorModel(result.path, device="cpu")
    again = model.images(model.z_for_seeds([info.seed]), psi=info.psi, w_offset=np.asarray(info.w_offset, np.float32)[None])[0]
    np.testing.assert_array_equal(again, made)  # a refined latent reopens exactly too

    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for f in (result.path, result.encoder):
        shutil.copy(f, moved / f.name)
    assert main(["project", str(moved / result.path.name), str(picture), "--out", str(tmp_path / "o2"), "--refine", "5"]) == 1
    assert "refining needs the run" in capsys.readouterr().err
