"""Your picture: bring a picture of your own into the model. The encoder finds the model's closest
image (infer/project.py); the panel shows both side by side with how alike they are, and where
the Studio can, refines the match. The page then edits it like any seed's image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.app.explore.image_view import ImageView

INTRO = ("Bring a picture of your own into the model: it finds the closest image it can make, and every tool of "
         "this page then works on it (truncation, directions, variations, interpolation, favourites, upscale). "
         "You can also drop a picture anywhere on this page.")

REFINE_TIP = "Search for a closer match with the run's torch generator (a few seconds; Esc cancels)."


class PicturePanel(QWidget):
    """`bring_requested()`: choose a picture; `refine_requested()`; `edit_requested()`: enlarge the
    match again; `encoder_requested()`: export the model again with an encoder (the Studio)."""

    bring_requested = Signal()
    refine_requested = Signal()
    edit_requested = Signal()
    encoder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.bring_button = QPushButton("Bring in a picture…")
        self.bring_button.setProperty("primary", True)
        self.bring_button.setToolTip("Choose a picture (PNG, JPEG, WebP, ...) to find in this model (Ctrl+Shift+P).")
        self.bring_button.clicked.connect(self.bring_requested)
        self.problem_label = QLabel("")
        self.problem_label.setWordWrap(True)
        self.problem_label.setProperty("role", "muted")
        self.encoder_button = QPushButton("Add an encoder…")
        self.encoder_button.setToolTip("Export this model again from its run, with an encoder (about 2 minutes),\n"
                                       "then reopen it here.")
        self.encoder_button.clicked.connect(self.encoder_requested)
        self.original = ImageView("", 64)
        self.original.setToolTip("Your picture, as the model sees it (its size, centred and converted as training pictures are).")
        self.match = ImageView("", 64)
        self.match.setToolTip("The closest image the model can make. Click it to enlarge and edit it.")
        self.match.clicked.connect(self.edit_requested)
        self.name_label = QLabel("")
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        match_label = QLabel("In the model")
        match_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        for view in (self.original, self.match):
            view.setMaximumHeight(220)  # the names and scores stay right under the pictures
        pair = QGridLayout()
        pair.addWidget(self.original, 0, 0)
        pair.addWidget(self.match, 0, 1)
        pair.addWidget(self.name_label, 1, 0)
        pair.addWidget(match_label, 1, 1)
        self.similarity_label = QLabel("")
        self.similarity_label.setWordWrap(True)
        self.similarity_label.setToolTip("PSNR: the pixel match in dB (above 30 is close, below 15 rough).\n"
                                         "SSIM: the match of local structure, 1 is identical.")
        self.refine_button = QPushButton("Refine")
        self.refine_button.setToolTip(REFINE_TIP)
        self.refine_button.clicked.connect(self.refine_requested)
        self.edit_button = QPushButton("Edit it")
        self.edit_button.setToolTip("Enlarge the match in the middle again, with no edits.")
        self.edit_button.clicked.connect(self.edit_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.refine_button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.bring_button)
        top.addWidget(self.encoder_button)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.problem_label)
        layout.addLayout(pair)
        layout.addWidget(self.similarity_label)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.set_model("", False, "")

    def set_model(self, encoder_problem: str, can_add_encoder: bool, refine_problem: str | None) -> None:
        """A newly opened model: why it cannot take pictures ("" if it can), whether this app can add
        an encoder, and why refining is not possible (None: not in this app at all)."""
        self.problem_label.setText(encoder_problem)
        self.problem_label.setVisible(bool(encoder_problem))
        self.bring_button.setEnabled(not encoder_problem)
        self.encoder_button.setVisible(bool(encoder_problem) and can_add_encoder)
        self.encoder_button.setEnabled(True)
        self.refine_problem = refine_problem
        self.refine_button.setVisible(refine_problem is not None)
        self.show_match(None, None, "", "")

    def adding_encoder(self) -> None:
        self.problem_label.setText("Exporting the model again with an encoder (about 2 minutes, progress in the status bar); "
                                   "it reopens here when it is done.")
        self.encoder_button.setEnabled(False)

    def encoder_not_added(self, problem: str) -> None:
        self.problem_label.setText(problem)
        self.encoder_button.setEnabled(True)

    def show_match(self, target: np.ndarray | None, image: np.ndarray | None, name: str, similarity: str) -> None:
        self.match_image = image
        self.original.set_image(target)
        self.match.set_image(image)
        self.name_label.setText(name or "Your picture")
        self.similarity_label.setText(similarity)
        has = image is not None
        self.edit_button.setEnabled(has)
        self.refine_button.setEnabled(has and not self.refine_problem)
        self.refine_button.setToolTip(self.refine_problem[:1].upper() + self.refine_problem[1:] + "." if self.refine_problem else REFINE_TIP)
