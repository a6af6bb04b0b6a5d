"""The upscaling engine (ganstudio.infer.upscale*): probing foreign models, tiling, alpha, batches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.infer import ModelError
from ganstudio.infer.images import ImageInfo, save_png
from ganstudio.infer.metadata import upscaler_metadata
from ganstudio.infer.upscale import Cancelled, Upscaler, auto_tile_size, tile_starts
from ganstudio.infer.upscale_files import (
    ImageReadError,
    UPSCALE_KEY,
    collect_inputs,
    read_image,
    upscale_files,
)
import onnx_upscalers as foreign


def _picture(h: int = 40, w: int = 56, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, channels), dtype=np.uint8)


def _nearest(image: np.ndarray, s: int) -> np.ndarray:
    return image.repeat(s, axis=0).repeat(s, axis=1)


# ---- probing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1, 2, 3, 8])
def test_scale_is_probed_from_a_foreign_model_not_its_name(tmp_path: Path, scale: int) -> None:
    path = foreign.nearest(tmp_path / "RealESRGAN_x4plus.onnx", scale)  # the name lies on purpose
    model = Upscaler(path, "cpu")
    assert model.scale == scale and not model.info.ganstudio
    image = _picture(10, 12)
    np.testing.assert_array_equal(model.upscale(image, tile=0), _nearest(image, scale))


@pytest.mark.parametrize(
    "kind", ["fixed64", "float16", "nhwc", "gray-model"],
)
def test_foreign_layouts_sizes_and_precisions(tmp_path: Path, kind: str) -> None:
    make = {
        "fixed64": lambda p: foreign.nearest(p, 2, size=64),
        "float16": lambda p: foreign.nearest(p, 2, dtype=foreign.HALF),
        "nhwc": lambda p: foreign.nearest(p, 2, nhwc=True),
        "gray-model": lambda p: foreign.nearest(p, 2, channels=1),
    }[kind]
    model = Upscaler(make(tmp_path / f"{kind}.onnx"), "cpu")
    assert model.scale == 2
    image = _picture(100, 70)  # bigger than the fixed 64 px on one side, smaller on the other
    out = model.upscale(image, tile=48)
    np.testing.assert_array_equal(out, _nearest(image, 2))


def test_an_image_smaller_than_a_fixed_size_model_is_padded(tmp_path: Path) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "fixed.onnx", 4, size=64), "cpu")
    assert model.info.fixed_size == (64, 64) and model.scale == 4
    image = _picture(40, 30)
    np.testing.assert_array_equal(model.upscale(image), _nearest(image, 4))


def test_metadata_scale_is_trusted_for_ganstudio_models(tmp_path: Path) -> None:
    path = foreign.nearest(tmp_path / "own.onnx", 2, props=upscaler_metadata(2, {"name": "mine"}))
    model = Upscaler(path, "cpu")
    assert (model.scale, model.name, model.info.ganstudio) == (2, "mine", True)


@pytest.mark.parametrize(
    "make, words",
    [
        (foreign.two_inputs, "2 inputs: a, b"),
        (foreign.classifier, "not images"),
        (foreign.shrinker, "not a whole multiple"),
    ],
)
def test_a_model_that_is_not_an_upscaler_gets_a_clear_message(tmp_path: Path, make, words: str) -> None:
    path = make(tmp_path / "other.onnx")
    with pytest.raises(ModelError, match="not an image upscaler") as info:
        Upscaler(path, "cpu")
    assert str(path) in str(info.value) and words in str(info.value)


def test_a_generator_is_not_an_upscaler(exported_model: Path) -> None:
    with pytest.raises(ModelError, match="generator, not an upscaler"):
        Upscaler(exported_model, "cpu")


def test_not_onnx_at_all(tmp_path: Path) -> None:
    bad = tmp_path / "junk.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="junk.onnx"):
        Upscaler(bad, "cpu")


# ---- tiling -------------------------------------------------------------------------------------


def test_tile_starts_cover_and_overlap() -> None:
    for length in (1, 64, 65, 200, 500, 1000):
        for tile in (32, 64, 256):
            starts = tile_starts(length, tile, 16)
            assert starts[0] == 0 and min(starts[-1] + tile, length) == length
            for a, b in zip(starts, starts[1:]):
                assert a + tile - b >= min(16, tile // 2)


def test_tiled_equals_untiled_for_a_model_without_receptive_field(tmp_path: Path) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "n.onnx", 3), "cpu")
    image = _picture(150, 230)
    whole = model.upscale(image, tile=0)
    for tile in (32, 64, 100):
        np.testing.assert_array_equal(model.upscale(image, tile=tile), whole)


def test_feathered_tiles_leave_no_seams(tmp_path: Path) -> None:
    """With a 5x5 receptive field, tile borders differ from the whole-image result; blending over the
    overlap must keep every pixel within a grey level or two and leave no line along the seams."""
    model = Upscaler(foreign.blur(tmp_path / "b.onnx", 2), "cpu")
    image = _picture(128, 128, seed=3)
    whole = model.upscale(image, tile=0).astype(int)
    tiles = model.upscale(image, tile=48, overlap=16).astype(int)
    diff = np.abs(tiles - whole)
    assert diff.max() <= 3 and diff.mean() < 0.1
    # no visible seam: along any row or column the error is no bigger than the picture's noise floor
    assert diff.mean(axis=(0, 2)).max() < 0.6 and diff.mean(axis=(1, 2)).max() < 0.6


def test_out_of_memory_retries_with_smaller_tiles(tmp_path: Path, monkeypatch) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "n.onnx", 2), "cpu")
    real = model._forward
    sizes: list[int] = []

    def forward(tile: np.ndarray) -> np.ndarray:
        sizes.append(max(tile.shape[:2]))
        if max(tile.shape[:2]) > 64:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Failed to allocate memory for requested buffer")
        return real(tile)

    monkeypatch.setattr(model, "_forward", forward)
    image = _picture(200, 200)
    np.testing.assert_array_equal(model.upscale(image, tile=256), _nearest(image, 2))
    assert sizes[:2] == [200, 128] and set(sizes[2:]) == {64}  # 256 (whole image), 128, then 64 px tiles


def test_auto_tile_size_follows_free_memory() -> None:
    assert auto_tile_size(4, available=64 << 20) < auto_tile_size(4, available=8 << 30) <= 1024
    assert auto_tile_size(4, available=1 << 10) == 32


def test_progress_and_cancel_between_tiles(tmp_path: Path) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "n.onnx", 2), "cpu")
    seen: list[tuple[int, int]] = []
    model.upscale(_picture(100, 100), tile=40, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] == len(seen) > 1
    with pytest.raises(Cancelled):
        model.upscale(_picture(100, 100), tile=40, cancelled=lambda: len(seen) > 0)


# ---- colour modes -------------------------------------------------------------------------------


def test_alpha_is_resized_beside_the_model(tmp_path: Path) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "n.onnx", 2), "cpu")
    rgba = _picture(30, 20, channels=4)
    rgba[..., 3] = 255
    rgba[:10, :, 3] = 0
    out = model.upscale(rgba, tile=0)
    assert out.shape == (60, 40, 4)
    np.testing.assert_array_equal(out[..., :3], _nearest(rgba[..., :3], 2))
    assert (out[:18, :, 3] == 0).all() and (out[22:, :, 3] == 255).all()


@pytest.mark.parametrize("mode", ["L", "P", "LA", "I;16", "CMYK", "RGBA"])
def test_read_image_converts_modes(tmp_path: Path, mode: str) -> None:
    rgb = Image.fromarray(_picture(16, 24))
    im = {"L": rgb.convert("L"), "P": rgb.convert("P"), "LA": rgb.convert("LA"), "CMYK": rgb.convert("CMYK"),
          "RGBA": rgb.convert("RGBA"), "I;16": Image.fromarray((np.arange(16 * 24).reshape(16, 24) * 100).astype(np.uint16))}[mode]
    path = tmp_path / ("x.tif" if mode in ("CMYK",) else "x.png")
    im.save(path)
    pixels = read_image(path).pixels
    assert pixels.dtype == np.uint8 and pixels.shape[:2] == (16, 24)
    assert pixels.shape[2] == (4 if mode in ("LA", "RGBA") else 3)


def test_bad_inputs_get_clear_messages(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("hello")
    Image.fromarray(_picture(64, 64)).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    for name, words in (("notes.png", "not an image"), ("cut.png", "damaged or truncated"), ("gone.png", "no such file")):
        with pytest.raises(ImageReadError, match=words) as info:
            read_image(tmp_path / name)
        assert name in str(info.value)
    Image.new("L", (9000, 9000)).save(tmp_path / "huge.png")
    with pytest.raises(ImageReadError, match="too big"):
        read_image(tmp_path / "huge.png")


# ---- batches of files ---------------------------------------------------------------------------


def _folder(root: Path, n: int = 4) -> Path:
    (root / "sub").mkdir(parents=True)
    for i in range(n):
        save_png(root / ("sub" if i % 2 else "") / f"img{i}.png", _picture(20, 24, seed=i), ImageInfo("gan", seed=100 + i, psi=0.7))
    (root / "readme.txt").write_text("not an image")
    return root


def test_folder_batch_keeps_provenance_and_reports_progress(tmp_path: Path) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "n.onnx", 2), "cpu")
    inputs = collect_inputs([_folder(tmp_path / "in")])
    assert [str(r) for _, r in inputs] == ["img0.png", "img2.png", "sub/img1.png", "sub/img3.png"]
    seen = []
    result = upscale_files(model, inputs, tmp_path / "out", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)] and not result.failed and len(result.written) == 4
    with Image.open(tmp_path / "out" / "sub" / "img1-x2.png") as im:
        assert im.size == (48, 40)
        text = im.text
    assert json.loads(text["ganstudio"])["seed"] == 101 and text["seed"] == "101"
    assert json.loads(text[UPSCALE_KEY]) == {"source": "img1.png", "upscaler": "n", "scale": 2}
    # refuses to overwrite unless asked
    from ganstudio.infer import OutputError

    with pytest.raises(OutputError, match="already holds img0-x2.png"):
        upscale_files(model, inputs, tmp_path / "out")
    assert len(upscale_files(model, inputs, tmp_path / "out", overwrite=True).written) == 4


def test_folder_batch_cancel_keeps_what_was_written_and_skips_bad_files(tmp_path: Path) -> None:
    model = Upscaler(foreign.nearest(tmp_path / "n.onnx", 2), "cpu")
    folder = _folder(tmp_path / "in")
    (folder / "broken.png").write_bytes(b"\x89PNG broken")
    inputs = collect_inputs([folder])
    done: list[int] = []
    result = upscale_files(model, inputs, tmp_path / "out", progress=lambda d, t: done.append(d), cancelled=lambda: len(done) >= 3)
    assert result.cancelled and [p.name for p, _ in result.failed] == ["broken.png"]
    assert sorted(p.name for p in result.written) == ["img0-x2.png", "img2-x2.png"]
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.png")) == ["img0-x2.png", "img2-x2.png"]


def test_shipped_upscalers_are_known_by_their_path_not_their_file_name(tmp_path):
    from ganstudio.infer.builtin import builtin_upscaler_name, builtin_upscaler_path

    assert [builtin_upscaler_name(builtin_upscaler_path(s)) for s in (2, 4)] == ["builtin-x2", "builtin-x4"]
    lookalike = tmp_path / "ganstudio-general-x2.onnx"  # a user's own file of the same name
    lookalike.write_bytes(builtin_upscaler_path(2).read_bytes())
    assert builtin_upscaler_name(lookalike) is None
