"""ganstudio.infer: generation with onnxruntime alone; no torch, no Qt."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from PIL import Image

from ganstudio.infer import GeneratorModel, ImageInfo, ModelError, OutputError, read_image_info, save_png, z_for_seed
from ganstudio.infer import latent
from ganstudio.infer.animation import interpolation_frames, write_animation
from ganstudio.infer.folder import generate_to_folder, image_name


@pytest.fixture(scope="module")
def model(exported_model) -> GeneratorModel:
    return GeneratorModel(exported_model, device="cpu")


def test_infer_works_where_torch_and_qt_cannot_be_imported(exported_model, tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "PySide6"):
                    raise ImportError(f"{{name}} is blocked in this test")
        sys.meta_path.insert(0, Blocker())
        from ganstudio.infer import GeneratorModel
        from ganstudio.infer.animation import interpolation_frames, write_animation
        from ganstudio.infer.folder import generate_to_folder
        from ganstudio.cli import main
        model = GeneratorModel({str(exported_model)!r})
        assert model.images_for_seeds([1, 2]).shape == (2, 32, 32, 3)
        assert main(["generate", {str(exported_model)!r}, "--count", "3", "--out", {str(tmp_path / "out")!r}]) == 0
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "PySide6")))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert len(list((tmp_path / "out").glob("seed*.png"))) == 3


def test_same_seed_same_image_whatever_the_batch(model):
    alone = model.images_for_seeds([7])[0]
    in_batch = model.images_for_seeds([3, 7, 11, 12, 13, 14, 15, 16])[1]
    assert np.array_equal(alone, in_batch)
    assert np.array_equal(model.images_for_seeds([7])[0], alone)  # and across calls
    assert not np.array_equal(model.images_for_seeds([8])[0], alone)


def test_a_seed_has_its_own_latent():
    assert np.array_equal(z_for_seed(5, 16), z_for_seed(5, 16))
    assert not np.array_equal(z_for_seed(5, 16), z_for_seed(6, 16))
    assert z_for_seed(5, 16).dtype == np.float32


def test_classes_by_name_or_number(exported_conditional_model):
    model = GeneratorModel(exported_conditional_model, device="cpu")
    assert model.info.classes == ("cat", "dog", "owl")
    assert model.class_index("dog") == 1 == model.class_index(1) == model.class_index("1")
    with pytest.raises(ModelError, match="no class 'zebra'; its classes are: cat, dog, owl"):
        model.class_index("zebra")
    z = model.z_for_seeds([4])
    assert not np.array_equal(model.images(z, class_index=0), model.images(z, class_index=2))
    with pytest.raises(ModelError, match="class-conditional: choose one of cat, dog, owl"):
        model.images(z)


def _save(model: onnx.ModelProto, path) -> str:
    onnx.save(model, str(path))
    return str(path)


def _identity_model(props: dict[str, str] | None = None) -> onnx.ModelProto:
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.helper.set_model_props(model, props or {})
    return model


@pytest.mark.parametrize(
    "props, message",
    [
        ({}, "is not a GAN Studio generator: it has no 'ganstudio.kind' metadata"),
        ({"ganstudio.kind": "upscaler", "ganstudio.format": "1"}, "is a GAN Studio upscaler, not a generator"),
        ({"ganstudio.kind": "generator", "ganstudio.format": "9"}, "uses model format 9; this GAN Studio reads up to 1"),
        ({"ganstudio.kind": "generator", "ganstudio.format": "1", "latent_dim": "16"}, "lacks the metadata w_dim, resolution"),
    ],
    ids=["foreign", "upscaler", "newer-format", "incomplete"],
)
def test_a_model_that_is_not_ours_gets_a_clear_message(tmp_path, props, message):
    path = _save(_identity_model(props), tmp_path / "other.onnx")
    with pytest.raises(ModelError, match=message) as e:
        GeneratorModel(path, device="cpu")
    assert "other.onnx" in str(e.value)


def test_metadata_that_lies_about_the_graph_is_caught(tmp_path, exported_model):
    model = onnx.load(str(exported_model))
    props = {p.key: p.value for p in model.metadata_props}
    props["latent_dim"] = "99"
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, props)
    with pytest.raises(ModelError, match="input z has size 16 but the metadata says latent_dim 99"):
        GeneratorModel(_save(model, tmp_path / "lying.onnx"), device="cpu")
    props["latent_dim"], props["directions"] = "16", "{not json"
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, props)
    with pytest.raises(ModelError, match="malformed metadata"):
        GeneratorModel(_save(model, tmp_path / "broken.onnx"), device="cpu")


@pytest.mark.parametrize("content", [b"", b"not an onnx file at all", None], ids=["empty", "text", "truncated"])
def test_unreadable_files_get_a_clear_message(tmp_path, exported_model, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(exported_model.read_bytes()[:5000] if content is None else content)
    with pytest.raises(ModelError, match=r"bad.onnx could not be opened as an ONNX model"):
        GeneratorModel(path, device="cpu")
    with pytest.raises(ModelError, match="no such model file"):
        GeneratorModel(tmp_path / "missing.onnx")


def test_cuda_falls_back_to_the_cpu_with_a_note(exported_model, monkeypatch):
    import ganstudio.infer.session as session

    monkeypatch.setattr(session, "_nvidia_driver_present", lambda: True)
    monkeypatch.setattr(session, "_cuda_works", None)
    model = GeneratorModel(exported_model, device="cuda")
    assert model.device == "cpu"  # no GPU on the test machine
    assert "CUDA" in model.device_note and "running on the CPU" in model.device_note
    assert model.images_for_seeds([1]).shape == (1, 32, 32, 3)
    # auto on a machine without an NVIDIA driver does not even try, and says nothing
    monkeypatch.setattr(session, "_nvidia_driver_present", lambda: False)
    quiet = GeneratorModel(exported_model)
    assert quiet.device == "cpu" and quiet.device_note is None


def test_slerp_and_paths():
    a, b = z_for_seed(1, 64), z_for_seed(2, 64)
    np.testing.assert_allclose(latent.slerp(a, b, 0.0), a, atol=1e-5)
    np.testing.assert_allclose(latent.slerp(a, b, 1.0), b, atol=1e-5)
    middle = latent.slerp(a, b, 0.5)
    # slerp keeps the norm of same-norm ends; lerp's midpoint falls inside the sphere
    unit = latent.slerp(a / np.linalg.norm(a), b / np.linalg.norm(b), np.linspace(0, 1, 7))
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(latent.lerp(a, b, 0.5)) < np.linalg.norm(middle)
    keys = np.stack([a, b, z_for_seed(3, 64)])
    open_path = latent.path(keys, 9)
    np.testing.assert_allclose(open_path[[0, 4, 8]], keys, atol=1e-5)
    loop = latent.path(keys, 9, loop=True)
    np.testing.assert_allclose(loop[[0, 3, 6]], keys, atol=1e-5)
    assert np.abs(loop[-1] - keys[0]).max() < np.abs(loop[-1] - keys[1]).max()  # heading home
    walk = latent.random_walk_keys(5, 64)
    assert np.array_equal(walk[0], z_for_seed(5, 64)) and len(walk) == 4
    assert np.array_equal(walk, latent.random_walk_keys(5, 64))


@pytest.mark.parametrize("space", ["z", "w"])
def test_interpolation_passes_through_the_seeds(model, space):
    keys = model.z_for_seeds([1, 2, 3])
    frames = list(interpolation_frames(model, keys, 9, space=space, psi=0.8, batch_size=4))
    assert len(frames) == 9
    ends = model.images(keys, psi=0.8)
    for frame, key in zip([frames[0], frames[4], frames[8]], ends):
        assert np.abs(frame.astype(int) - key).max() <= 1
    assert np.abs(frames[2].astype(int) - ends[0]).mean() > 0.5  # in between, something else


def test_lerp_in_w_is_a_straight_line_in_w(model):
    keys = model.z_for_seeds([1, 2])
    w = model.w(keys)
    frames = list(interpolation_frames(model, keys, 5, space="w"))
    middle = model.run(keys[:1], w_offset=(w[1] - w[0]) * 0.5).images[0]
    assert np.array_equal(frames[2], middle)


def test_generate_to_folder_writes_remakeable_pngs(model, tmp_path):
    progress: list[tuple[int, int]] = []
    result = generate_to_folder(
        model, list(range(10, 30)), tmp_path / "out", psi=0.7, batch_size=8, grid=True, progress=lambda d, t: progress.append((d, t))
    )
    assert result.count == 20 and progress[-1] == (20, 20) and len(progress) == 3
    assert len(list((tmp_path / "out").glob("seed*.png"))) == 20
    assert Image.open(result.grid).size == (5 * 32, 4 * 32)
    path = tmp_path / "out" / image_name(17)
    info = read_image_info(path)
    assert info == ImageInfo(model=model.name, seed=17, psi=pytest.approx(0.7), class_name=None, w_offset=None)
    text = Image.open(path).text
    assert text["seed"] == "17" and text["psi"] == "0.7" and text["model"] == model.name
    remade = model.images_for_seeds([info.seed], psi=info.psi)[0]
    assert np.array_equal(np.asarray(Image.open(path)), remade)


def test_generate_to_folder_never_overwrites_unasked_and_can_be_cancelled(model, tmp_path):
    generate_to_folder(model, [1, 2], tmp_path)
    before = (tmp_path / image_name(1)).read_bytes()
    with pytest.raises(OutputError, match="already holds seed000001.png, seed000002.png: choose another folder"):
        generate_to_folder(model, [1, 2, 3], tmp_path, psi=0.5)
    assert (tmp_path / image_name(1)).read_bytes() == before and not (tmp_path / image_name(3)).exists()
    calls = []
    result = generate_to_folder(model, list(range(100, 200)), tmp_path / "c", batch_size=10, cancelled=lambda: len(calls) > 2,
                                progress=lambda d, t: calls.append(d))
    assert result.count == 30


def test_forged_png_information_is_refused_with_a_message(tmp_path):
    good = ImageInfo(model="m", seed=3, psi=0.5, class_name="cat", w_offset=[0.1, -0.2])
    save_png(tmp_path / "good.png", np.zeros((4, 4, 3), np.uint8), good)
    assert read_image_info(tmp_path / "good.png") == good
    save_png(tmp_path / "plain.png", np.zeros((4, 4, 3), np.uint8))
    assert read_image_info(tmp_path / "plain.png") is None
    from PIL import PngImagePlugin

    for forged in ['{"model": "m", "seed": "__import__(\'os\')"}', '[1, 2]', '{"model": "m", "psi": NaN}', "{{{"]:
        chunks = PngImagePlugin.PngInfo()
        chunks.add_itxt("ganstudio", forged)
        Image.new("RGB", (4, 4)).save(tmp_path / "forged.png", pnginfo=chunks)
        with pytest.raises(ModelError, match="forged.png: its GAN Studio information"):
            read_image_info(tmp_path / "forged.png")


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_animations_are_written_with_every_frame(model, tmp_path, suffix):
    keys = model.z_for_seeds([1, 2])
    out = write_animation(tmp_path / f"walk{suffix}", interpolation_frames(model, keys, 12), fps=12, scale=2)
    if suffix == ".gif":
        with Image.open(out) as gif:
            assert gif.n_frames == 12 and gif.size == (64, 64)
    else:
        import av

        with av.open(str(out)) as container:
            frames = list(container.decode(video=0))
        assert len(frames) == 12 and (frames[0].width, frames[0].height) == (64, 64)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temp file


def test_animation_formats_and_folders_are_checked(tmp_path):
    with pytest.raises(OutputError, match="can write .gif or .mp4 animations, not '.avi'"):
        write_animation(tmp_path / "walk.avi", [])
    with pytest.raises(OutputError, match="does not exist"):
        write_animation(tmp_path / "no" / "walk.gif", [])
    with pytest.raises(OutputError, match="no frames"):
        write_animation(tmp_path / "walk.gif", [])
    assert not (tmp_path / "walk.gif").exists() and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize("location", ["../secret.bin", "/etc/hostname"], ids=["relative", "absolute"])
def test_external_data_outside_the_model_folder_is_refused(tmp_path, location):
    (tmp_path / "secret.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
    (tmp_path / "models").mkdir()
    tensor = onnx.TensorProto(name="c", data_type=onnx.TensorProto.FLOAT, dims=[4], data_location=onnx.TensorProto.EXTERNAL)
    for key, value in (("location", location), ("offset", "0"), ("length", "16")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [4])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [4])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Add", ["x", "c"], ["y"])], "g", [x], [y], initializer=[tensor])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "models" / "evil.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelError, match="evil.onnx refers to weight data outside its own folder, which is not allowed"):
        GeneratorModel(path, device="cpu")
