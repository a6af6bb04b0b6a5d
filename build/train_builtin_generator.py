"""Train GAN Studio's general model, the built-in starting point for fine-tuning (`ganstudio train
FOLDER --from general`, the app's "Start from: GAN Studio's general model"), reproducibly.

    apt-get install -y oxygen-icon-theme gnome-icon-theme adwaita-icon-theme
    PYTHONPATH=. python build/train_builtin_generator.py [--kimg 300]

Training pictures, all from Debian packages (provenance and licences: resources/models/README.md):
  - the 128 px icons of the Oxygen icon theme (oxygen-icon-theme, LGPL-3+), 837;
  - the 256 px icons of the GNOME icon theme (gnome-icon-theme, GPL-2+), 693;
  - the 96 px icons of the Adwaita icon theme (adwaita-icon-theme, LGPL-3 or CC-BY-SA-3.0), 647.
Held out, so that benchmarks/finetune.py measures it on a domain it never saw: glyphs rendered
from fonts, Tango's icons and any emoji set.

It trains with GAN Studio's own machinery (TrainingRun: the same code as `ganstudio train`), the
CPU recipe at 64 px, seeded, on a fixed kimg budget (about 21 minutes on 2 CPU cores), then keeps
the best checkpoint by KID with only what fine-tuning reads (G, D and EMA G, in fp16: 3.6 MB),
its run.json and its sample grid, in resources/models/general-64/: a run folder `--from` opens
like any other.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCES = (  # (folder, package, licence)
    (Path("/usr/share/icons/oxygen/base/128x128"), "oxygen-icon-theme", "LGPL-3+"),
    (Path("/usr/share/icons/gnome/256x256"), "gnome-icon-theme", "GPL-2+"),
    (Path("/usr/share/icons/Adwaita/96x96"), "adwaita-icon-theme", "LGPL-3 or CC-BY-SA-3.0"),
)
KEPT = ("G.", "D.", "G_ema.")  # what a run started from it reads (core/training/start_from.py)


def gather(data: Path) -> int:
    """Every source's PNGs copied into one flat folder (names made unique); how many."""
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    count = 0
    for folder, package, _licence in SOURCES:
        if not folder.is_dir():
            raise SystemExit(f"{folder} is missing: apt-get install -y {package}")
        for i, path in enumerate(sorted(folder.rglob("*.png"))):
            shutil.copy(path, data / f"{package}-{i:04d}.png")
            count += 1
    return count


def package(run: Path, target: Path) -> None:
    """The best checkpoint of `run`, cut down to what fine-tuning reads, as a run folder in `target`."""
    from safetensors.torch import load_file, save_file

    from ganstudio.core.training.checkpoint import checkpoint_name
    from ganstudio.core.training.runfolder import RunFolder

    folder = RunFolder(run)
    step = folder.select_checkpoint("best")
    name = checkpoint_name(step)
    if target.exists():
        shutil.rmtree(target)
    (target / "checkpoints").mkdir(parents=True)
    (target / "samples").mkdir()
    tensors = load_file(folder.checkpoints / f"{name}.safetensors")
    kept = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in tensors.items() if k.startswith(KEPT)}
    save_file(kept, target / "checkpoints" / f"{name}.safetensors")
    shutil.copy(folder.checkpoints / f"{name}.json", target / "checkpoints" / f"{name}.json")
    shutil.copy(folder.best_json, target / "checkpoints" / "best.json")
    samples = sorted(folder.samples.glob("*.png"))
    grid = next((p for p in samples if p.stem == name), samples[-1])  # its own grid, else the newest
    shutil.copy(grid, target / "samples" / f"{name}.png")
    info = json.loads((run / "run.json").read_text())
    info["dataset"].update(name="GAN Studio's general model", source="icons of the Oxygen, GNOME and Adwaita themes "
                           "(resources/models/README.md)")
    (target / "run.json").write_text(json.dumps(info, indent=2))
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) / 1e6
    print(f"packaged checkpoint {step} of {run} into {target} ({size:.1f} MB, {len(kept)} tensors, fp16)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kimg", type=float, default=300.0, help="training length (default 300: ~21 min on 2 cores)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "out" / "general", help="where the data and run go")
    parser.add_argument("--target", type=Path, default=ROOT / "resources" / "models" / "general-64")
    args = parser.parse_args()

    from ganstudio.cli_progress import ProgressPrinter
    from ganstudio.core.config import default_config
    from ganstudio.core.training.run import TrainingRun

    data, run = args.work / "data", args.work / "run"
    print(f"{gather(data)} training pictures in {data}")
    if run.exists():
        shutil.rmtree(run)
    config = default_config(64, "cpu", seed=0, kimg=args.kimg)
    printer = ProgressPrinter(sys.stdout)
    finished = TrainingRun.new(run, config, data, listener=printer).run()
    printer.summary(run, finished)
    package(run, args.target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
