"""Write resources/models/selftest-generator.onnx: a tiny seeded generator (16-d latent, 32 px,
untrained) that the frozen apps' --self-test generates from. Reproducible: run it again and the
weights are the same (the ONNX bytes differ only in the export date in the metadata).

    python build/make_selftest_model.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import torch

from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.export import export_generator
from ganstudio.core.models import Generator
from ganstudio.core.training.checkpoint import save_checkpoint
from ganstudio.core.training.runfolder import RunFolder

OUT = Path(__file__).resolve().parents[1] / "resources" / "models" / "selftest-generator.onnx"
MODEL = ModelConfig(resolution=32, latent_dim=16, w_dim=16, g_channel_base=256, d_channel_base=256, max_channels=32, min_channels=8)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = RunFolder(Path(tmp) / "selftest")
        folder.create(TrainConfig(model=MODEL), {"name": "self-test", "source": "generated", "fingerprint": "0",
                                                 "images": 0, "skipped": 0, "classes": []})
        torch.manual_seed(0)
        G = Generator(MODEL)
        save_checkpoint(folder.checkpoints, 1, {f"G_ema.{k}": v for k, v in G.state_dict().items()}, {"step": 1, "images_seen": 0})
        result = export_generator(folder.path)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result.path, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
