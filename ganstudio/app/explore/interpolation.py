"""Interpolation: the strip of images between two or more favourites (slerp in z or lerp in w),
or a looping random walk from the enlarged image, and its export as GIF or MP4."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ganstudio.app.explore.image_view import ImageView
from ganstudio.infer import latent
from ganstudio.infer.animation import interpolation_frames
from ganstudio.infer.images import make_grid
from ganstudio.infer.project import w_avg
from ganstudio.infer.recipe import Recipe, variation_offsets

PREVIEW = 8  # images in the strip
MIN_ANIMATION_SIDE = 256  # small models are enlarged (nearest) so the animation is watchable
WALK_KEYS = 4
WALK_SPREAD = 1.0  # standard deviations per direction from a projected picture to each key of its walk


@dataclass(frozen=True)
class PathSpec:
    """A path through latent space, ready to be drawn at any number of frames."""

    keys_z: np.ndarray  # [K, latent_dim]
    offsets: np.ndarray  # [K, w_dim] per key, or [w_dim] for all
    psi: float
    class_index: int | None
    space: str  # "z" or "w"
    loop: bool
    label: str
    # A path through a projected picture (which has no z): these keys, each as it is shown, in w.
    through: tuple[Recipe, ...] = ()

    def frames(self, model, count: int) -> Iterator[np.ndarray]:  # noqa: ANN001 - GeneratorModel
        if self.through:
            return self._frames_in_w(model, count)
        return interpolation_frames(model, self.keys_z, count, space=self.space, loop=self.loop, psi=self.psi,
                                    class_index=self.class_index, w_offset=self.offsets)

    def _frames_in_w(self, model, count: int) -> Iterator[np.ndarray]:  # noqa: ANN001
        """Each key's own w (its truncation and edits included), lerped: drawn at psi 0, where every z
        gives w_avg, with the offset w - w_avg."""
        info, keys = model.info, self.through
        ws = np.stack([model.w(r.z(info.latent_dim)[None], psi=r.graph_psi, class_index=r.class_index)[0] + r.graph_offset(info)
                       for r in keys])
        average = w_avg(model)
        z = np.repeat(keys[0].z(info.latent_dim)[None], len(keys), axis=0)
        return interpolation_frames(model, z, count, space="w", loop=self.loop, psi=0.0,
                                    class_index=keys[0].class_index, w_offset=ws - average)


def between(recipes: list[Recipe], info, space: str, loop: bool) -> PathSpec:  # noqa: ANN001 - GeneratorInfo
    """Through the favourites in order, each as it was kept (offsets included); truncation and class
    are the first one's, except along a path through a projected picture, which goes in w with each
    key as it was kept."""
    first = recipes[0]
    names = ", ".join(r.name.removeprefix("seed ") for r in recipes)
    if any(r.projected is not None for r in recipes):
        return PathSpec(np.zeros((0, info.latent_dim), np.float32), np.zeros(info.w_dim, np.float32), 0.0, first.class_index,
                        "w", loop, f"between {len(recipes)} favourites ({names}), in w", tuple(recipes))
    return PathSpec(
        np.stack([r.z(info.latent_dim) for r in recipes]), np.stack([r.w_offset(info) for r in recipes]),
        first.psi, first.class_index, space, loop, f"between {len(recipes)} favourites (seeds {names})",
    )


def walk(recipe: Recipe, info, space: str) -> PathSpec:  # noqa: ANN001
    """A looping random walk that starts and ends on `recipe`'s image (around a projected picture:
    through a ring of its variations, in w)."""
    if recipe.projected is not None:
        ring = variation_offsets(info.directions, WALK_KEYS - 1, WALK_SPREAD, key=7, w_dim=info.w_dim)
        keys = (recipe, *(recipe.with_offset(info, recipe.w_offset(info) + offset) for offset in ring))
        return PathSpec(np.zeros((0, info.latent_dim), np.float32), np.zeros(info.w_dim, np.float32), 0.0, recipe.class_index,
                        "w", True, "random walk around your picture, in w", keys)
    keys = latent.random_walk_keys(recipe.seed, info.latent_dim, WALK_KEYS)
    return PathSpec(keys, recipe.w_offset(info), recipe.psi, recipe.class_index, space, True,
                    f"random walk from seed {recipe.seed}")


def animation_scale(resolution: int) -> int:
    return max(1, math.ceil(MIN_ANIMATION_SIDE / resolution))


class InterpolationPanel(QWidget):
    changed = Signal()  # the path or its options changed: draw the strip again
    between_requested = Signal()
    walk_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: PathSpec | None = None
        self.strip_images: np.ndarray | None = None
        self.between_button = QPushButton("Between favourites")
        self.between_button.setToolTip("The path through the selected favourites (at least two; Ctrl+click to pick),\n"
                                       "or through all of them when fewer are selected.")
        self.between_button.clicked.connect(self.between_requested)
        self.walk_button = QPushButton("Random walk")
        self.walk_button.setToolTip("A looping random walk that starts and ends on the enlarged image.")
        self.walk_button.clicked.connect(self.walk_requested)
        self.space_box = QComboBox()
        self.space_box.addItem("z (slerp)", "z")
        self.space_box.addItem("w (lerp)", "w")
        self.space_box.setToolTip("z: spherical interpolation of the latents. w: a straight line between the style\n"
                                  "vectors, which often changes more evenly.")
        self.loop_box = QCheckBox("Loop back to the first")
        self.loop_box.setToolTip("End where the path started, for an animation that loops seamlessly.")
        self.frames_box = QSpinBox()
        self.frames_box.setRange(2, 2000)
        self.frames_box.setValue(60)
        self.frames_box.setToolTip("Frames in the exported animation.")
        self.fps_box = QSpinBox()
        self.fps_box.setRange(1, 60)
        self.fps_box.setValue(24)
        self.fps_box.setSuffix(" fps")
        self.fps_box.setToolTip("Frames per second of the exported animation.")
        for signal in (self.space_box.currentIndexChanged, self.loop_box.toggled):
            signal.connect(lambda *_: self.changed.emit())
        self.source = QLabel("Pick two or more favourites, or start a random walk.")
        self.source.setProperty("role", "muted")
        self.source.setWordWrap(True)
        self.strip = ImageView("The strip between the images appears here.", 40, whole=False)
        self.strip.setToolTip(f"{PREVIEW} evenly spaced images along the path.")
        self.export_button = QPushButton("Export GIF/MP4…")
        self.export_button.setProperty("primary", True)
        self.export_button.setToolTip("Write the path as an animated GIF or an MP4 video with the frames and fps above (Ctrl+Shift+E).")
        self.export_button.clicked.connect(self.export_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.between_button)
        buttons.addWidget(self.walk_button)
        form = QFormLayout()
        form.addRow("Space", self.space_box)
        form.addRow("", self.loop_box)
        form.addRow("Frames", self.frames_box)
        form.addRow("Speed", self.fps_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.source)
        layout.addWidget(self.strip, 1)
        layout.addLayout(form)
        layout.addWidget(self.export_button)
        self.set_spec(None)

    @property
    def space(self) -> str:
        return self.space_box.currentData()

    @property
    def loop(self) -> bool:
        return self.loop_box.isChecked()

    def set_spec(self, spec: PathSpec | None) -> None:
        self.spec = spec
        self.strip_images = None
        self.strip.set_image(None)
        self.export_button.setEnabled(spec is not None)
        if spec is not None:
            self.source.setText(f"Path: {spec.label}.")

    def set_strip(self, images: np.ndarray) -> None:
        self.strip_images = images
        self.strip.set_image(make_grid(images, cols=min(4, len(images)), gap=2))
