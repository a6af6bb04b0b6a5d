"""Image data: scanning, decoding every mode/format, the decode cache and the demo dataset.

Every fixture is generated here with Pillow under tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.data import (
    DEMO_CLASSES,
    ImageDataset,
    ImageDecodeError,
    SkippedFile,
    decode_image,
    default_cache_dir,
    load_image_folder,
    make_demo_dataset,
    scan_folder,
    suggest_resolution,
)
from ganstudio.infer import decode as decode_module
from ganstudio.core.errors import DataError

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write to the user's real cache, whatever a test passes."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(cache))
    return cache


def split_image(w: int = 32, h: int = 32, left=RED, right=BLUE) -> Image.Image:
    """Left half `left`, right half `right`: shows orientation and crop mistakes."""
    arr = np.empty((h, w, 3), dtype=np.uint8)
    arr[:, : w // 2] = left
    arr[:, w // 2 :] = right
    return Image.fromarray(arr)


def save(image: Image.Image, path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


def assert_colour(pixel: np.ndarray, expected, tol: int = 0) -> None:
    diff = np.abs(pixel.astype(int) - np.asarray(expected, dtype=int)).max()
    assert diff <= tol, f"{pixel.tolist()} is not {expected} (±{tol})"


# --- decode -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "suffix", "tol"),
    [
        ("PNG", ".png", 0),
        ("JPEG", ".jpg", 12),
        ("WEBP", ".webp", 12),
        ("BMP", ".bmp", 0),
        ("TIFF", ".tif", 0),
        ("GIF", ".gif", 0),
    ],
)
def test_formats_decode_to_rgb_square(tmp_path: Path, fmt: str, suffix: str, tol: int) -> None:
    path = save(split_image(64, 64), tmp_path / f"img{suffix}", format=fmt)
    out = decode_image(path, 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    assert_colour(out[16, 4], RED, tol)
    assert_colour(out[16, 28], BLUE, tol)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored 64x32 with red left / blue right; orientation 6 means "rotate 90° clockwise to
    # display", so the viewer sees 32x64 with red on top and blue below.
    exif = Image.Exif()
    exif[0x0112] = 6
    path = save(split_image(64, 32), tmp_path / "rotated.jpg", exif=exif, quality=95)
    out = decode_image(path, 16)
    assert_colour(out[2, 8], RED, 12)
    assert_colour(out[13, 8], BLUE, 12)


def test_shorter_side_resized_then_centre_cropped(tmp_path: Path) -> None:
    # 96x32: green | red | blue thirds; the centre square is the red third.
    arr = np.zeros((32, 96, 3), dtype=np.uint8)
    arr[:, :32], arr[:, 32:64], arr[:, 64:] = (0, 255, 0), RED, BLUE
    out = decode_image(save(Image.fromarray(arr), tmp_path / "wide.png"), 16)
    assert out.shape == (16, 16, 3)
    assert_colour(out[8, 8], RED, 2)


def _half_transparent(mode: str) -> Image.Image:
    """Left half fully transparent, right half opaque red (grey 128 for grey modes)."""
    if mode == "RGBA":
        arr = np.zeros((32, 32, 4), dtype=np.uint8)
        arr[:, 16:] = (255, 0, 0, 255)
        return Image.fromarray(arr)
    if mode == "LA":
        arr = np.zeros((32, 32, 2), dtype=np.uint8)
        arr[:, 16:] = (128, 255)
        return Image.fromarray(arr, "LA")
    pal = Image.new("P", (32, 32), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.paste(1, (16, 0, 32, 32))
    pal.info["transparency"] = 0
    return pal


@pytest.mark.parametrize(("mode", "opaque"), [("RGBA", RED), ("LA", (128,) * 3), ("P", RED)])
def test_alpha_is_composited_on_background(tmp_path: Path, mode: str, opaque) -> None:
    image = _half_transparent(mode)
    kwargs = {"transparency": 0} if mode == "P" else {}
    path = save(image, tmp_path / f"{mode}.png", **kwargs)
    with Image.open(path) as check:
        assert check.mode == mode
    out = decode_image(path, 32, background=(10, 200, 30))
    assert_colour(out[5, 3], (10, 200, 30))
    assert_colour(out[5, 28], opaque)
    assert_colour(decode_image(path, 32)[5, 3], WHITE)  # the default background


@pytest.mark.parametrize(
    ("make", "suffix", "expected", "tol"),
    [
        (lambda: Image.new("L", (32, 32), 100), ".png", (100, 100, 100), 0),
        (lambda: Image.new("1", (32, 32), 1), ".png", WHITE, 0),
        (lambda: Image.new("RGB", (32, 32), (0, 128, 255)).quantize(4), ".png", (0, 128, 255), 0),
        (lambda: Image.new("CMYK", (32, 32), (0, 255, 255, 0)), ".jpg", RED, 12),
        (lambda: Image.new("F", (32, 32), 0.5), ".tif", (128, 128, 128), 1),
        (lambda: Image.new("I", (32, 32), 40000), ".tif", (156, 156, 156), 1),
    ],
    ids=["L", "1", "P", "CMYK", "F", "I"],
)
def test_colour_modes_convert_to_rgb(tmp_path: Path, make, suffix: str, expected, tol: int) -> None:
    image = make()
    path = save(image, tmp_path / f"img{suffix}")
    with Image.open(path) as check:
        assert check.mode == image.mode
    assert_colour(decode_image(path, 32)[10, 10], expected, tol)


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_sixteen_bit_is_scaled_not_clipped(tmp_path: Path, mode: str) -> None:
    ramp = np.tile(np.linspace(0, 65535, 64).round().astype(np.uint16), (64, 1))
    byte_order = "<u2" if mode == "I;16" else ">u2"
    image = Image.frombytes(mode, (64, 64), ramp.astype(byte_order).tobytes())
    path = save(image, tmp_path / ("ramp.png" if mode == "I;16" else "ramp.tif"))
    with Image.open(path) as check:
        assert check.mode == mode
    out = decode_image(path, 64)[..., 0].astype(int)
    assert out[0, 0] == 0 and out[0, -1] == 255
    np.testing.assert_allclose(out[10], np.linspace(0, 255, 64), atol=1)


def test_animated_gif_uses_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (32, 32), c) for c in (RED, BLUE, (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert_colour(decode_image(path, 16)[8, 8], RED)


def _truncated(path: Path, fmt: str) -> Path:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    save(Image.fromarray(noise), path, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("name", "write", "reason"),
    [
        ("half.jpg", lambda p: _truncated(p, "JPEG"), "truncated"),
        ("half.png", lambda p: _truncated(p, "PNG"), "truncated"),
        ("text.png", lambda p: p.write_text("just words"), "not an image (cannot identify)"),
        ("tiny.png", lambda p: Image.new("RGB", (12, 9)).save(p), "too small (12x9 px, need 16)"),
    ],
)
def test_broken_files_raise_with_reason(tmp_path: Path, name: str, write, reason: str) -> None:
    path = tmp_path / name
    write(path)
    with pytest.raises(ImageDecodeError) as info:
        decode_image(path, 32)
    assert info.value.reason == reason


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path, monkeypatch) -> None:
    path = save(Image.new("RGB", (64, 48)), tmp_path / "bomb.png")
    monkeypatch.setattr(decode_module, "MAX_PIXELS", 1000)
    with pytest.raises(ImageDecodeError, match=r"too large \(64x48 px\)"):
        decode_image(path, 32)


@pytest.mark.parametrize("pillow_limit", [1000, 2000])  # error at 2x the limit, warning below it
def test_pillow_bomb_guard_becomes_a_skip(tmp_path: Path, monkeypatch, pillow_limit: int) -> None:
    # 3072 px: above 2x 1000 (Pillow raises), between 2000 and 4000 (Pillow only warns).
    save(Image.new("RGB", (64, 48)), tmp_path / "bomb.png")
    save(split_image(16, 16), tmp_path / "fine.png")  # 256 px: under either limit
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    ds = load_image_folder(tmp_path, 16, use_cache=False)
    assert len(ds) == 1
    assert [s.path.name for s in ds.skipped] == ["bomb.png"]
    assert ds.skipped[0].reason.startswith("too large")


# --- scan -------------------------------------------------------------------------------------


def test_scan_recurses_sorted_and_ignores_hidden_and_other_files(tmp_path: Path) -> None:
    for rel in ["b.png", "a/z.JPG", "a/deeper/c.webp", "a/y.tiff", ".hidden/x.png", ".dot.png"]:
        save(split_image(), tmp_path / rel, format="PNG")
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "empty.png").touch()
    scan = scan_folder(tmp_path)
    rel = [p.relative_to(tmp_path).as_posix() for p in scan.files]
    assert rel == ["a/deeper/c.webp", "a/y.tiff", "a/z.JPG", "b.png"]
    assert scan.labels is None and scan.class_names == ()
    assert scan.skipped == (SkippedFile(tmp_path / "empty.png", "zero bytes"),)


def test_scan_survives_symlink_loop_and_follows_file_links(tmp_path: Path) -> None:
    root = tmp_path / "images"
    save(split_image(), root / "sub" / "a.png")
    try:
        os.symlink(root, root / "sub" / "loop", target_is_directory=True)
        os.symlink(root / "sub" / "a.png", root / "link.png")
    except (OSError, NotImplementedError):
        pytest.skip("symlinks are not supported here")
    rel = [p.relative_to(root).as_posix() for p in scan_folder(root).files]
    assert rel == ["link.png", "sub/a.png"]


@pytest.mark.parametrize("case", ["missing", "file", "empty", "only-broken"])
def test_unusable_folder_raises_data_error_naming_it(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "photos"
    if case == "file":
        folder.write_text("x")
    elif case in ("empty", "only-broken"):
        folder.mkdir()
        (folder / "readme.txt").write_text("no images here")
        if case == "only-broken":
            (folder / "empty.jpg").touch()
    with pytest.raises(DataError) as info:
        scan_folder(folder)
    assert str(folder) in str(info.value)
    if case in ("empty", "only-broken"):
        assert "No images found" in str(info.value) and ".png" in str(info.value)


def test_classes_are_subfolders(tmp_path: Path) -> None:
    save(split_image(), tmp_path / "dogs" / "d1.png")
    save(split_image(), tmp_path / "cats" / "c1.png")
    save(split_image(), tmp_path / "cats" / "kittens" / "c2.png")
    save(split_image(), tmp_path / "loose.png")
    scan = scan_folder(tmp_path, classes=True)
    assert scan.class_names == ("cats", "dogs")
    assert [p.name for p in scan.files] == ["c1.png", "c2.png", "d1.png"]
    assert scan.labels == (0, 0, 1)
    assert scan.skipped == (SkippedFile(tmp_path / "loose.png", "not in a class subfolder"),)

    ds = load_image_folder(tmp_path, 16, classes=True)
    assert ds.num_classes == 2 and ds.labels is not None
    assert ds.labels.dtype == torch.int64 and ds.labels.tolist() == [0, 0, 1]


def test_classes_need_two_subfolders(tmp_path: Path) -> None:
    save(split_image(), tmp_path / "only" / "a.png")
    with pytest.raises(DataError, match="subfolders") as info:
        scan_folder(tmp_path, classes=True)
    assert str(tmp_path) in str(info.value)


# --- load_image_folder, summary and cache -----------------------------------------------------


def _messy_folder(root: Path) -> Path:
    save(split_image(40, 32), root / "good1.png")
    save(split_image(32, 48), root / "nested" / "good2.jpg", quality=95)
    (root / "c.gif").touch()
    _truncated(root / "a.jpg", "JPEG")
    Image.new("RGB", (8, 8)).save(root / "b.png")
    (root / "d.png").write_text("text")
    return root


def test_load_skips_broken_files_with_reasons(tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    folder = _messy_folder(tmp_path / "flowers")
    ds = load_image_folder(folder, 16, progress=lambda done, total: progress.append((done, total)))
    assert ds.images.shape == (2, 3, 16, 16) and ds.images.dtype == torch.uint8
    assert ds.images.is_contiguous() and ds.labels is None and ds.name == "flowers"
    assert ds.source == str((tmp_path / "flowers").resolve()) and ds.files_found == 6
    assert_colour(ds.images[0, :, 8, 2].numpy(), RED)
    assert progress[-1] == (5, 5) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert ds.summary() == (
        "2 images from flowers (16 px); skipped 4 of 6: a.jpg truncated, "
        "b.png too small (8x8 px, need 16), c.gif zero bytes, d.png not an image (cannot identify)"
    )


def test_summary_lists_five_then_counts_the_rest() -> None:
    skipped = tuple(SkippedFile(Path(f"/data/cats/{i}.png"), "truncated") for i in range(7))
    images = torch.zeros(3, 3, 32, 32, dtype=torch.uint8)
    ds = ImageDataset(images, None, (), "cats", "/data/cats", "0", skipped, files_found=10)
    assert ds.summary() == (
        "3 images from cats (32 px); skipped 7 of 10: 0.png truncated, 1.png truncated, "
        "2.png truncated, 3.png truncated, 4.png truncated and 2 more"
    )
    assert len(ds) == 3 and ds.resolution == 32 and ds.num_classes == 0


def test_nothing_decodable_raises_naming_folder_and_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    _truncated(folder / "x.png", "PNG")
    with pytest.raises(DataError, match="x.png: truncated") as info:
        load_image_folder(folder, 16)
    assert str(folder) in str(info.value)


def test_second_load_reads_cache_and_change_invalidates(tmp_path: Path, monkeypatch) -> None:
    folder, cache = _messy_folder(tmp_path / "imgs"), tmp_path / "mycache"
    first = load_image_folder(folder, 16, cache_dir=cache)
    assert sorted(p.suffix for p in cache.iterdir()) == [".json", ".npy"]

    calls: list[Path] = []
    real_decode = decode_module.decode_image

    def counting_decode(path: Path, *args, **kwargs):
        calls.append(path)
        return real_decode(path, *args, **kwargs)

    monkeypatch.setattr(decode_module, "decode_image", counting_decode)
    second = load_image_folder(folder, 16, cache_dir=cache)
    assert calls == []
    assert torch.equal(first.images, second.images) and second.fingerprint == first.fingerprint
    assert second.skipped == first.skipped and second.summary() == first.summary()

    st = (folder / "good1.png").stat()
    os.utime(folder / "good1.png", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    load_image_folder(folder, 16, cache_dir=cache)
    assert len(calls) == 5
    save(split_image(), folder / "new.png")
    assert len(load_image_folder(folder, 16, cache_dir=cache)) == 3
    assert len(calls) == 11


@pytest.mark.parametrize("damage", ["npy", "json", "mismatch"])
def test_corrupt_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    folder, cache = _messy_folder(tmp_path / "imgs"), tmp_path / "c"
    first = load_image_folder(folder, 16, cache_dir=cache)
    npy = next(cache.glob("*.npy"))
    if damage == "npy":
        npy.write_bytes(npy.read_bytes()[:100])
    elif damage == "json":
        npy.with_suffix(".json").write_text("{not json")
    else:  # valid array, wrong content
        np.save(npy, np.zeros_like(first.images.numpy()), allow_pickle=False)
    again = load_image_folder(folder, 16, cache_dir=cache)
    assert torch.equal(again.images, first.images)
    assert load_image_folder(folder, 16, cache_dir=cache).fingerprint == first.fingerprint


def test_default_cache_dir_follows_env(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("GANSTUDIO_CACHE_DIR")
    assert default_cache_dir().name == "decoded"


@pytest.mark.parametrize(
    ("side", "device", "expected"),
    [
        (80, "cpu", 64),
        (80, "cuda", 64),
        (300, "cuda", 256),
        (300, "cpu", 64),
        (300, "mps", 128),
        (20, "cuda", 32),
    ],
)
def test_suggest_resolution(tmp_path: Path, side: int, device: str, expected: int) -> None:
    for i in range(3):
        save(Image.new("RGB", (side + 10 * i, side)), tmp_path / f"{i}.png")
    assert suggest_resolution(scan_folder(tmp_path), device_type=device) == expected


# --- demo -------------------------------------------------------------------------------------


def test_demo_dataset_shape_determinism_and_diversity() -> None:
    ds = make_demo_dataset(32, 200, seed=3)
    assert ds.images.shape == (200, 3, 32, 32) and ds.images.dtype == torch.uint8
    assert ds.images.is_contiguous() and ds.labels is not None and ds.labels.dtype == torch.int64
    assert ds.class_names == DEMO_CLASSES and ds.num_classes == 4
    assert (ds.name, ds.source, ds.skipped, ds.files_found) == ("demo", "builtin:demo", (), 200)
    assert set(ds.labels.tolist()) == {0, 1, 2, 3}

    again = make_demo_dataset(32, 200, seed=3)
    assert torch.equal(again.images, ds.images) and again.fingerprint == ds.fingerprint
    assert make_demo_dataset(32, 200, seed=4).fingerprint != ds.fingerprint

    pixels = ds.images.float()
    assert pixels.std(dim=(1, 2, 3)).min() > 20  # every image has a shape that stands out
    assert pixels.flatten(2).min(2).values.std(dim=0).min() > 30  # the shapes' colours vary across the set
    assert pixels[:, :, :2, :2].mean(dim=(1, 2, 3)).min() > 120  # on pale backgrounds (a corner is mostly background)
    assert len({img.numpy().tobytes() for img in ds.images}) == 200
