"""Does a model copy its training pictures? The copy report and the training index (issue: edit your
own pictures, and see whether the model copies its training data)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from conftest import make_image_folder, make_run_folder, tiny_model_config
from ganstudio.infer.errors import ModelError
from ganstudio.infer.training_index import NEAR_COPY, CopyReport, TrainingIndex, copy_report, index_path, nearest_distances


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_report_tells_copies_from_new_pictures():
    rng = np.random.default_rng(0)
    training = unit(rng.standard_normal((300, 64)))
    copies = copy_report(training[:100] + 1e-3, training)
    fresh = copy_report(unit(rng.standard_normal((100, 64))), training)  # from the same distribution
    assert copies.ratio < 0.05 and copies.near_copies == 1.0 and copies.verdict == "copies its training pictures"
    assert 0.8 < fresh.ratio < 1.2 and fresh.near_copies == 0.0 and fresh.verdict == "makes new pictures"
    half = copy_report(np.concatenate([training[:40], unit(rng.standard_normal((60, 64)))]), training)
    assert half.near_copies == pytest.approx(0.4) and half.verdict == "makes some near-copies"
    assert CopyReport.from_json(half.to_json()) == half


def test_nearest_distances_leave_a_row_out_of_its_own_neighbours():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]], np.float32)
    index, distance = nearest_distances(points, points, exclude_self=True)
    assert index.tolist() == [1, 0, 1] and distance.tolist() == pytest.approx([1.0, 1.0, 4.0])
    index, distance = nearest_distances(points, points)
    assert index.tolist() == [0, 1, 2] and distance.tolist() == pytest.approx([0, 0, 0])


@pytest.mark.slow
def test_a_generator_that_hands_back_its_training_pictures_scores_as_copying():
    """Purpose-made cases in the real feature space: the training pictures themselves, slightly
    shifted and dimmed (a memorising generator), against new pictures of the same kind."""
    import torch

    from ganstudio.core.data import make_demo_dataset
    from ganstudio.core.data.dataset import ImageDataset
    from ganstudio.core.export.copies import CopyCheck

    demo = make_demo_dataset(32, 200, seed=0)
    check = CopyCheck(demo)
    verbatim = check.report_for(demo.images[:100])
    noise = torch.randn(100, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 4  # 4 grey levels
    dimmed = demo.images[:100].float() * 0.97 + noise  # 3% darker
    near = check.report_for(dimmed.round().clamp(0, 255).to(torch.uint8))
    moved = check.report_for((torch.roll(demo.images[:100].float(), 1, 3) * 0.97 + noise).round().clamp(0, 255).to(torch.uint8))
    new = check.report_for(make_demo_dataset(32, 100, seed=7).images)
    assert verbatim.ratio < 0.01 and verbatim.near_copies == 1.0
    assert near.ratio < NEAR_COPY and near.near_copies > 0.9 and near.verdict == "copies its training pictures"
    assert moved.ratio < 0.6 and moved.near_copies > 0.5  # also moved a pixel: still mostly near-copies
    assert new.ratio > 0.8 and new.near_copies < 0.1 and new.verdict == "makes new pictures"
    assert isinstance(demo, ImageDataset) and check.training.shape == (200, 3 * 16 * 16)


@pytest.mark.slow
def test_export_writes_the_report_and_an_index_that_finds_training_pictures(tmp_path):
    from ganstudio.core.export import export_generator
    from ganstudio.infer import GeneratorModel

    folder = make_image_folder(tmp_path / "pictures", count=12, size=32)
    run = make_run_folder(tmp_path / "run", tiny_model_config(), source=folder)
    result = export_generator(run)
    report = result.copy_report
    assert report is not None and report.training_images == 12 and report.samples == 1024
    assert GeneratorModel(result.path, device="cpu").info.copies == report  # in the model's metadata
    assert result.index == index_path(result.path) and result.index.is_file()

    index = TrainingIndex.open(result.path)
    assert len(index) == 12 and index.report == report
    from PIL import Image

    picture = np.asarray(Image.open(folder / "img_003.png").convert("RGB"))
    nearest = index.nearest(picture, 3)
    assert nearest[0].distance < 0.05 and nearest[0].near_copy  # the picture itself
    assert nearest[0].distance <= nearest[1].distance <= nearest[2].distance
    np.testing.assert_allclose(nearest[0].thumbnail.astype(int), picture.astype(int), atol=2)


@pytest.mark.slow
def test_an_index_from_another_model_or_a_damaged_one_is_refused(tmp_path):
    from ganstudio.core.export import export_generator

    folder = make_image_folder(tmp_path / "pictures", count=8, size=32)
    run_a = make_run_folder(tmp_path / "a", tiny_model_config(), source=folder)
    first = export_generator(run_a)
    second = export_generator(make_run_folder(tmp_path / "b", tiny_model_config(), seed=1, source=folder), copies=False)
    assert second.index is None and not index_path(second.path).exists()
    with pytest.raises(ModelError, match="has no training index"):
        TrainingIndex.open(second.path)
    shutil.copy(first.index, index_path(second.path))
    with pytest.raises(ModelError, match="belongs to another model"):
        TrainingIndex.open(second.path)
    index_path(second.path).write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a readable training index"):
        TrainingIndex.open(second.path)

    again = export_generator(run_a, copies=False)  # the same file again, without the check
    assert again.path == first.path and not first.index.exists()  # no index left that no longer fits


@pytest.mark.slow
def test_export_goes_on_without_its_training_pictures_and_says_why(tmp_path):
    from ganstudio.core.export import export_generator

    folder = make_image_folder(tmp_path / "pictures", count=8, size=32)
    run = make_run_folder(tmp_path / "run", tiny_model_config(), source=folder)
    shutil.rmtree(folder)
    result = export_generator(run)
    assert result.path.is_file() and result.copy_report is None and result.index is None
    assert "training pictures could not be loaded" in result.copies_note and str(folder) in result.copies_note
