"""ganstudio.infer.recipe and per-key offsets in interpolations: what the Explore page builds on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ganstudio.infer import GeneratorModel, ModelError, read_image_info, save_png
from ganstudio.infer.animation import interpolation_frames
from ganstudio.infer.recipe import Recipe, project, variation_offsets


@pytest.fixture(scope="module")
def model(exported_model) -> GeneratorModel:
    return GeneratorModel(exported_model, device="cpu", threads=1)


def _image(model: GeneratorModel, recipe: Recipe) -> np.ndarray:
    info = model.info
    return model.images(recipe.z(info.latent_dim)[None], psi=recipe.psi, class_index=recipe.class_index,
                        w_offset=recipe.w_offset(info)[None])[0]


def test_sliders_at_zero_give_the_plain_seed(model):
    k = len(model.info.directions)
    assert k > 0
    plain = model.images_for_seeds([5], psi=0.7)[0]
    assert np.array_equal(_image(model, Recipe(5, 0.7, amounts=(0.0,) * k)), plain)
    moved = Recipe(5, 0.7).with_amounts((2.0,) + (0.0,) * (k - 1))
    assert not np.array_equal(_image(model, moved), plain)
    assert np.array_equal(_image(model, moved.with_amounts((0.0,) * k)), plain)


def test_several_directions_add_up(model):
    d = model.info.directions
    r = Recipe(1).with_amounts((1.0, -0.5, 2.0))
    np.testing.assert_allclose(r.w_offset(model.info), d.offset({0: 1.0, 1: -0.5, 2: 2.0}), atol=1e-6)
    np.testing.assert_allclose(project(d, r.w_offset(model.info))[:3], [1.0, -0.5, 2.0], atol=1e-4)


def test_a_png_gives_back_its_exact_recipe(model, tmp_path):
    info = model.info
    variation = variation_offsets(info.directions, 4, 1.5, key=3)[2]
    edited = Recipe(9, 0.8).with_amounts((1.25, -0.5)).with_offset(info, Recipe(9, 0.8).with_amounts((1.25, -0.5)).w_offset(info) + variation)
    pixels = _image(model, edited)
    path = save_png(tmp_path / "kept.png", pixels, edited.image_info(info))
    restored = Recipe.from_image_info(read_image_info(path), info, str(path))
    assert np.array_equal(restored.w_offset(info), edited.w_offset(info))
    assert np.array_equal(_image(model, restored), pixels)
    np.testing.assert_allclose(restored.amounts[:2], edited.w_offset(info) @ info.directions.vectors[:2].T / info.directions.std[:2], atol=1e-5)
    assert Recipe.from_image_info(read_image_info(save_png(tmp_path / "p.png", pixels, Recipe(9).image_info(info))), info, "p").base is None


def test_a_png_from_another_model_or_a_walk_is_refused(model, exported_conditional_model, tmp_path):
    from ganstudio.infer import ImageInfo

    cond = GeneratorModel(exported_conditional_model, device="cpu").info
    with pytest.raises(ModelError, match="class 'zebra'.*cat, dog, owl"):
        Recipe.from_image_info(ImageInfo("m", 1, 1.0, "zebra"), cond, "x.png")
    with pytest.raises(ModelError, match="not made from a seed"):
        Recipe.from_image_info(ImageInfo("m", None), model.info, "x.png")
    with pytest.raises(ModelError, match="offset of size 3"):
        Recipe.from_image_info(ImageInfo("m", 1, w_offset=[0.0, 1.0, 2.0]), model.info, "x.png")


def test_variations_form_a_ring_that_depends_on_the_key_only(model):
    d = model.info.directions
    ring = variation_offsets(d, 8, 1.0, key=4)
    assert ring.shape == (8, model.info.w_dim)
    coeffs = project(d, ring[0])
    assert np.linalg.norm(coeffs) == pytest.approx(np.sqrt(len(d)), rel=1e-3)
    norms = [np.linalg.norm(project(d, r)) for r in ring]
    np.testing.assert_allclose(norms, norms[0], rtol=1e-3)  # all at the same distance
    assert np.array_equal(ring, variation_offsets(d, 8, 1.0, key=4))
    assert not np.array_equal(ring, variation_offsets(d, 8, 1.0, key=5))
    np.testing.assert_allclose(variation_offsets(d, 8, 0.5, key=4), ring * 0.5, rtol=1e-5, atol=1e-7)
    assert not np.any(variation_offsets(d, 3, 0.0))


@pytest.mark.parametrize("space", ["z", "w"])
def test_per_key_offsets_start_and_end_on_the_edited_keys(model, space):
    info = model.info
    keys = [Recipe(1).with_amounts((2.0,)), Recipe(2), Recipe(3).with_amounts((0.0, -1.5))]
    z = np.stack([k.z(info.latent_dim) for k in keys])
    offsets = np.stack([k.w_offset(info) for k in keys])
    frames = list(interpolation_frames(model, z, 7, space=space, psi=0.9, w_offset=offsets))
    assert len(frames) == 7
    ends = model.images(z, psi=0.9, w_offset=offsets)
    assert np.abs(frames[0].astype(int) - ends[0]).max() <= 1
    assert np.abs(frames[3].astype(int) - ends[1]).max() <= 1
    assert np.abs(frames[-1].astype(int) - ends[2]).max() <= 1
    with pytest.raises(ValueError, match="2 offsets for 3 keys"):
        list(interpolation_frames(model, z, 5, w_offset=offsets[:2]))


def test_a_projected_picture_truncates_edits_and_reopens_exactly(model, tmp_path):
    from ganstudio.infer.project import render_w, w_avg
    from ganstudio.infer.recipe import draw, projected_recipe

    info, average = model.info, w_avg(model)
    w = model.w(model.z_for_seeds([4]))[0] * 1.3  # a w no seed has, as an encoder's guess is
    picture = projected_recipe(w, average, info, note="cat.png")
    assert picture.label() == "your picture · cat.png" and picture.graph_psi == 0.0
    # At psi 1 it is the picture the encoder found; at psi 0 the model's average, as for any seed.
    np.testing.assert_array_equal(draw(model, [picture])[0], render_w(model, w)[0])
    np.testing.assert_array_equal(draw(model, [dataclasses.replace(picture, psi=0.0)])[0], draw(model, [Recipe(3, 0.0)])[0])
    halfway = draw(model, [dataclasses.replace(picture, psi=0.5)])[0]
    np.testing.assert_array_equal(halfway, render_w(model, average + 0.5 * (w - average))[0])

    # Truncated and edited, then saved: reopening gives back the same recipe and pixels, and the
    # seed, psi and offset alone (what any reader uses) remake the same pixels.
    edited = dataclasses.replace(picture, psi=0.7).with_amounts((1.5, -1.0))
    pixels = draw(model, [edited])[0]
    path = save_png(tmp_path / "mine.png", pixels, edited.image_info(info))
    stored = read_image_info(path)
    restored = Recipe.from_image_info(stored, info, str(path))
    assert restored.projected == edited.projected and restored.psi == pytest.approx(0.7)
    np.testing.assert_array_equal(draw(model, [restored])[0], pixels)
    np.testing.assert_array_equal(
        model.images(model.z_for_seeds([stored.seed]), psi=stored.psi, w_offset=np.asarray(stored.w_offset, np.float32)[None])[0], pixels)
    # A picture in a batch with seeds draws as it does alone.
    np.testing.assert_array_equal(draw(model, [Recipe(2, 0.6), edited])[1], pixels)


def test_a_damaged_projection_in_a_png_is_refused(model):
    from ganstudio.infer import ImageInfo

    with pytest.raises(ModelError, match="damaged"):
        ImageInfo.from_json("x.png", '{"model": "m", "seed": 0, "projection": {"w": [1.0]}}')
    with pytest.raises(ModelError, match="non-finite"):
        ImageInfo.from_json("x.png", '{"model": "m", "seed": 0, "projection": {"w": [NaN], "psi": 1, "edits": [0]}}')
    with pytest.raises(ModelError, match="projected picture of size 1"):
        Recipe.from_image_info(ImageInfo("m", 0, 0.0, projection={"w": [1.0], "psi": 1.0, "edits": [0.0]}), model.info, "x.png")
