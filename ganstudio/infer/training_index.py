"""Does a model copy its training pictures? The training index an export writes beside the model,
and the numbers read from it. No torch: the Player answers the question too.

The index (`NAME.training-index.zip` beside `NAME.onnx`; format in docs/DESIGN.md) holds
thumbnails of the training pictures and the sha256 of the model it belongs to. Pictures are
compared as their 16x16 area averages (a low-pass of the pixels): measured against a pretrained
network's features, those tell a near-copy (the picture with a little noise and blur, or moved a
pixel) from a new picture of the same kind far better; the network's features move further under
4 grey levels of noise than between two different pictures (benchmarks/copies.py, docs/DESIGN.md).

Distances are Euclidean, always shown relative to the typical distance between a training
picture and its nearest other (not identical) training picture: about 1 for a picture as new as
the training pictures are to each other, near 0 for a copy.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ganstudio.infer.errors import ModelError
from ganstudio.infer.fingerprint import file_sha256

INDEX_FORMAT = 1
INDEX_SUFFIX = ".training-index.zip"
REPORT_KEY = "copies"  # the generator metadata key holding the CopyReport as JSON
FEATURE_SIZE = 16  # pictures are compared as their FEATURE_SIZE x FEATURE_SIZE area averages
# Below this relative distance a picture counts as a near-copy. Training pictures with noise of
# 4 grey levels and a slight blur come out at a median 0.04-0.17 (demo shapes, glyphs, oxygen
# icons), moved by a pixel and with brightness changed by up to 5% at 0.25-0.56; new pictures of
# the same kind at about 1.
NEAR_COPY = 0.5
_DUPLICATE = 1e-6  # nearer than this, two training pictures are the same picture


def index_path(model: str | os.PathLike) -> Path:
    """Where the training index of `model` lives: beside it, named after it."""
    model = Path(model)
    return model.with_name(model.stem + INDEX_SUFFIX)


def features(images: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] (H = W, a multiple of FEATURE_SIZE) -> float32 [N, 3 * FEATURE_SIZE^2]:
    each picture's area average at FEATURE_SIZE px, in [-1, 1]."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    if h != w or h % FEATURE_SIZE:
        raise ValueError(f"pictures must be square and a multiple of {FEATURE_SIZE} px, not {w}x{h}")
    k = h // FEATURE_SIZE
    small = images.reshape(n, FEATURE_SIZE, k, FEATURE_SIZE, k, c).mean(axis=(2, 4), dtype=np.float32)
    return (small / 127.5 - 1.0).reshape(n, -1).astype(np.float32)


@dataclass(frozen=True)
class CopyReport:
    """How close generated pictures come to the training pictures, measured at export."""

    ratio: float  # median nearest distance generated -> training, over training -> other training
    near_copies: float  # share of generated pictures nearer than NEAR_COPY to a training picture
    samples: int  # generated pictures measured
    training_images: int  # training pictures they were compared with

    @property
    def verdict(self) -> str:
        if self.near_copies > 0.5:
            return "copies its training pictures"
        if self.near_copies >= 0.1 or self.ratio < 0.8:
            return "makes some near-copies"
        return "makes new pictures"

    def describe(self) -> str:
        """One sentence for the export report, the train page and `ganstudio export`."""
        return (f"It {self.verdict}: its pictures are {self.ratio:.2f}x as far from their nearest training picture as "
                f"training pictures are from each other (1 = as new as those, 0 = copies); {self.near_copies:.0%} of "
                f"{self.samples} are near-copies.")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "CopyReport":
        """Raises ValueError (JSONDecodeError included), KeyError or TypeError on a bad record."""
        d = json.loads(text)
        return cls(float(d["ratio"]), float(d["near_copies"]), int(d["samples"]), int(d["training_images"]))


def nearest_distances(queries: np.ndarray, reference: np.ndarray, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(index, distance) of each query's nearest reference row. With exclude_self the queries are
    the reference, and a row's neighbour is the nearest row that is not the same picture (itself,
    or a duplicate of it in the training set)."""
    q, r = np.asarray(queries, np.float32), np.asarray(reference, np.float32)
    best_i = np.zeros(len(q), np.int64)
    best_d = np.zeros(len(q), np.float32)
    r2 = (r**2).sum(1)[None, :]
    for start in range(0, len(q), 512):  # a block of distances at a time: memory stays small
        block = q[start : start + 512]
        d2 = np.maximum((block**2).sum(1)[:, None] + r2 - 2 * block @ r.T, 0)
        if exclude_self:
            d2[d2 < _DUPLICATE**2] = np.inf
        i = d2.argmin(1)
        best_i[start : start + len(block)] = i
        best_d[start : start + len(block)] = np.sqrt(d2[np.arange(len(block)), i])
    return best_i, best_d


def typical_distance(training: np.ndarray) -> float:
    """The median distance from a training picture to its nearest other, different training picture."""
    distances = nearest_distances(training, training, exclude_self=True)[1]
    distances = distances[np.isfinite(distances)]
    if not len(distances):
        raise ValueError("it needs at least 2 different training pictures")
    return max(float(np.median(distances)), _DUPLICATE)


def copy_report(generated: np.ndarray, training: np.ndarray) -> CopyReport:
    """The report for generated pictures against the training pictures (features of each)."""
    relative = nearest_distances(generated, training)[1] / typical_distance(training)
    return CopyReport(float(np.median(relative)), float((relative < NEAR_COPY).mean()), len(generated), len(training))


@dataclass(frozen=True)
class Neighbour:
    index: int  # in the index (training pictures in the order the export kept them)
    distance: float  # relative to the typical training-to-training distance
    thumbnail: np.ndarray  # uint8 [h, w, 3]

    @property
    def near_copy(self) -> bool:
        return self.distance < NEAR_COPY


class TrainingIndex:
    """An opened training index, checked to belong to its model."""

    def __init__(self, path: Path, manifest: dict, thumbnails: np.ndarray) -> None:
        self.path = path
        self.manifest = manifest
        self.thumbnails = thumbnails
        self.features = features(thumbnails)
        self.typical = float(manifest["typical_distance"])
        self.report = CopyReport(**manifest["report"])

    @classmethod
    def open(cls, model: str | os.PathLike, path: str | os.PathLike | None = None) -> "TrainingIndex":
        """The index of the model at `model` (by default the file beside it). Raises ModelError when
        it is missing, damaged, or belongs to another model."""
        model = Path(model)
        path = Path(path) if path is not None else index_path(model)
        if not path.is_file():
            raise ModelError(f"{model.name} has no training index ({path.name} is not beside it): export the run again "
                             f"(`ganstudio export RUN`) with its training pictures in place to make one")
        try:
            with zipfile.ZipFile(path) as z:
                manifest = json.loads(z.read("manifest.json"))
                thumbnails = np.load(io.BytesIO(z.read("thumbnails.npy")), allow_pickle=False)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
            raise ModelError(f"{path} is not a readable training index ({e}); export the run again to rewrite it") from None
        if not isinstance(manifest, dict) or manifest.get("kind") != "training-index":
            raise ModelError(f"{path} is not a training index")
        if manifest.get("format") != INDEX_FORMAT:
            raise ModelError(f"{path} is a training index of format {manifest.get('format')!r}; this GAN Studio reads "
                             f"format {INDEX_FORMAT}: export the run again")
        if manifest.get("model_sha256") != file_sha256(model):
            raise ModelError(f"{path.name} belongs to another model ({manifest.get('model_name', 'unknown')}), not to "
                             f"{model.name}: export the run again to make a matching one")
        try:
            return cls(path, manifest, thumbnails)
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{path} is damaged ({e}); export the run again to rewrite it") from None

    def __len__(self) -> int:
        return len(self.thumbnails)

    def nearest(self, image: np.ndarray, k: int = 4) -> list[Neighbour]:
        """The k training pictures nearest to `image` (uint8 [H, W, 3]), nearest first."""
        f = features(np.asarray(image)[None])[0]
        d = np.sqrt(np.maximum(((self.features - f) ** 2).sum(1), 0)) / self.typical
        order = np.argsort(d, kind="stable")[:k]
        return [Neighbour(int(i), float(d[i]), self.thumbnails[i]) for i in order]


def write_index(path: Path, *, model: Path, thumbnails: np.ndarray, report: CopyReport) -> None:
    """Write the index of the model file `model` to `path` (the caller makes it atomic)."""
    manifest = {
        "kind": "training-index",
        "format": INDEX_FORMAT,
        "model_sha256": file_sha256(model),
        "model_name": model.name,
        "feature": f"area average at {FEATURE_SIZE} px",
        "typical_distance": typical_distance(features(thumbnails)),
        "report": asdict(report),
    }
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(thumbnails, np.uint8), allow_pickle=False)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        z.writestr("thumbnails.npy", buffer.getvalue())
