"""What an export wrote: returned by the core's exporters, saved by `ganstudio export --result-json`
and read back by the app, which exports in a child process (torch's exporter holds the GIL for
hundreds of milliseconds at a time, so in a thread of the app's own it would freeze the window)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ganstudio.infer.training_index import CopyReport


@dataclass(frozen=True)
class ExportResult:
    path: Path
    step: int
    precision: str  # "fp32" or "fp16"
    max_abs_diff: float  # onnxruntime vs torch (fp32) on the same inputs, images in [0, 1]
    tolerance: float
    seconds: float
    copies: str = ""  # the CopyReport as JSON ("" when there is none: see copies_note)
    index: Path | None = None  # the training index written beside the model
    copies_note: str = ""  # why there is no copy report or index
    encoder: Path | None = None  # the encoder written beside the model (export --with-encoder)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "path": str(self.path), "index": str(self.index) if self.index else None,
                           "encoder": str(self.encoder) if self.encoder else None})

    @property
    def copy_report(self) -> CopyReport | None:
        return CopyReport.from_json(self.copies) if self.copies else None

    @classmethod
    def from_json(cls, text: str) -> "ExportResult":
        """Raises ValueError (json's JSONDecodeError included), KeyError or TypeError on a bad record."""
        data = json.loads(text)
        index, encoder = data.get("index"), data.get("encoder")
        return cls(Path(data["path"]), int(data["step"]), str(data["precision"]), float(data["max_abs_diff"]),
                   float(data["tolerance"]), float(data["seconds"]), str(data.get("copies", "")),
                   Path(index) if index else None, str(data.get("copies_note", "")), Path(encoder) if encoder else None)
