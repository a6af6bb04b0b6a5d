"""Is it new? The training pictures nearest to the enlarged image, with their distances, and the
model's copy report from its export (infer/training_index.py measures both)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ganstudio.app.explore.image_view import ImageView
from ganstudio.infer.training_index import NEAR_COPY, CopyReport, Neighbour

COUNT = 4
SCALE_HINT = (f"Pictures are compared by their layout of colours and shapes (16x16 averages). A distance is relative to "
              f"how far a training picture is from its nearest other one: 1 is as new as those are to each other, 0 is "
              f"a copy, below {NEAR_COPY} a near-copy.")


class NearestPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report_label = QLabel("")
        self.report_label.setWordWrap(True)
        self.problem_label = QLabel("")
        self.problem_label.setWordWrap(True)
        self.problem_label.setProperty("role", "muted")
        heading = QLabel("<b>Nearest training pictures</b> to the enlarged image")
        self.views: list[ImageView] = []
        self.captions: list[QLabel] = []
        grid = QGridLayout()
        grid.setSpacing(4)
        for i in range(COUNT):
            view = ImageView("", 48)
            caption = QLabel("")
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(view, (i // 2) * 2, i % 2)
            grid.addWidget(caption, (i // 2) * 2 + 1, i % 2)
            self.views.append(view)
            self.captions.append(caption)
        hint = QLabel(SCALE_HINT)
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.report_label)
        layout.addWidget(heading)
        layout.addWidget(self.problem_label)
        layout.addLayout(grid, 1)
        layout.addWidget(hint)
        self.set_model(None, "")

    def set_model(self, report: CopyReport | None, problem: str) -> None:
        """A newly opened model: its export's copy report, and why there is no index ("" if there is one)."""
        self.report_label.setText(f"<b>Whole model:</b> {report.describe()}" if report is not None else
                                  "<b>Whole model:</b> no copy report (it was exported without its training pictures, "
                                  "or by an older GAN Studio).")
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.set_neighbours([])

    def set_neighbours(self, neighbours: list[Neighbour]) -> None:
        for i, (view, caption) in enumerate(zip(self.views, self.captions)):
            if i < len(neighbours):
                n = neighbours[i]
                view.set_image(n.thumbnail)
                caption.setText(f"{n.distance:.2f}" + (" · <b>near-copy</b>" if n.near_copy else ""))
                caption.setToolTip(f"Training picture {n.index + 1} of the index, {n.distance:.2f}x the typical distance.")
            else:
                view.set_image(None)
                caption.setText("")
