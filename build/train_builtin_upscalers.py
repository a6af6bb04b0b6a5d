"""Train the built-in upscalers shipped in resources/upscalers/ (x2 and x4), reproducibly.

    apt-get install -y plasma-workspace-wallpapers mate-backgrounds oxygen-icon-theme
    PYTHONPATH=. python build/train_builtin_upscalers.py            # both scales, one after the other
    OMP_NUM_THREADS=1 PYTHONPATH=. python build/train_builtin_upscalers.py --scale 2 &  # or side by side,
    OMP_NUM_THREADS=1 PYTHONPATH=. python build/train_builtin_upscalers.py --scale 4    # as they were made

Training images, all from Debian packages (provenance and licences: resources/upscalers/README.md):
  - the photographs and artwork of KDE Plasma's wallpapers (plasma-workspace-wallpapers, 4:5.27.5-2),
    the largest file of each, cut into 256 px squares at full (PNG only), half and quarter size, the
    most detailed squares of each kept;
  - the nature photographs of MATE's backgrounds (mate-backgrounds 1.26.0-1, nature/*.jpg), the same way;
  - every 8th 256 px icon of the Oxygen icon theme (oxygen-icon-theme), on white.
Only squares with some detail are kept (MIN_DETAIL). About 20 min (x2) and 13 min (x4) on one core each.
None of scikit-image's sample photos is used: those are the held-out evaluation set of
benchmarks/upscale_quality.py.

It trains with GAN Studio's own machinery (UpscalerRun: the same code as `ganstudio train-upscaler`),
seeded, on a fixed kimg budget, then exports with ganstudio.core.export.upscaler.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
WALLPAPERS = Path("/usr/share/wallpapers")
MATE_PHOTOS = Path("/usr/share/backgrounds/mate/nature")
ICONS = Path("/usr/share/icons/oxygen/base/256x256")
EXCLUDED_WALLPAPERS = {"SafeLanding"}  # its metadata names no licence
TILE = 256
TILES_PER_LEVEL = 12
MIN_DETAIL = 3.0  # mean |gradient| in grey levels: flat gradients and empty sky teach an upscaler nothing
KIMG = {2: 160.0, 4: 96.0}  # x2 gains come slower (bicubic is closer at x2)
DEGRADE = 0.1  # mostly clean bicubic pairs (PSNR), a few blurred, noisy or JPEG ones for robustness
CHANNELS = 32  # 32 x 8 body convs: ~0.3 s for 256 px -> 1024 px on 2 cores, 0.4 MB


def wallpaper_files() -> list[tuple[Path, str, str]]:
    """(largest image, licence, author) of each KDE wallpaper with a licence."""
    found = []
    for folder in sorted(p for p in WALLPAPERS.iterdir() if p.is_dir() and p.name not in EXCLUDED_WALLPAPERS):
        images = [p for p in (folder / "contents" / "images").glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg")]
        if not images:
            continue
        meta = json.loads((folder / "metadata.json").read_text()).get("KPlugin", {})
        licence = meta.get("License", "")
        if not licence:
            continue
        author = (meta.get("Authors") or [{}])[0].get("Name", "")
        largest = max(images, key=lambda p: int(p.stem.split("x")[0]) * int(p.stem.split("x")[1]))
        found.append((largest, licence, author))
    for photo in sorted(MATE_PHOTOS.glob("*.jpg")):  # licence per file in /usr/share/doc/mate-backgrounds/copyright
        found.append((photo, "GPL-2+", "see mate-backgrounds' copyright file"))
    return found


def detail(tile: np.ndarray) -> float:
    g = tile.astype(np.float32).mean(axis=2)
    return float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())


def make_dataset(out: Path) -> dict:
    """256 px training squares in `out`; returns the manifest (what came from where)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest: dict = {"wallpapers": [], "icons": 0}
    for path, licence, author in wallpaper_files():
        name = path.stem if path.parent == MATE_PHOTOS else path.parts[-4]
        with Image.open(path) as im:
            image = im.convert("RGB")
        count = 0
        # JPEG sources at full size carry their own compression blocks: only their reductions are used.
        for level in (1, 2, 4) if path.suffix.lower() == ".png" else (2, 4):
            scaled = image if level == 1 else image.resize((image.width // level, image.height // level), Image.Resampling.LANCZOS)
            a = np.asarray(scaled)
            tiles = [(y, x) for y in range(0, a.shape[0] - TILE + 1, TILE) for x in range(0, a.shape[1] - TILE + 1, TILE)]
            tiles.sort(key=lambda yx: -detail(a[yx[0] : yx[0] + TILE, yx[1] : yx[1] + TILE]))
            for y, x in [t for t in tiles if detail(a[t[0] : t[0] + TILE, t[1] : t[1] + TILE]) >= MIN_DETAIL][:TILES_PER_LEVEL]:
                Image.fromarray(a[y : y + TILE, x : x + TILE]).save(out / f"{name}-{level}-{y}-{x}.png")
                count += 1
        manifest["wallpapers"].append({"name": name, "file": str(path), "licence": licence, "author": author, "tiles": count})
    for i, icon in enumerate(sorted(ICONS.rglob("*.png"))):
        if i % 8:
            continue
        with Image.open(icon) as im:
            rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        canvas.save(out / f"icon-{icon.parent.name}-{icon.stem}.png")
        manifest["icons"] += 1
    digest = hashlib.sha256()
    for p in sorted(out.glob("*.png")):
        digest.update(p.name.encode())
        digest.update(p.read_bytes())
    manifest["files"] = len(list(out.glob("*.png")))
    manifest["sha256"] = digest.hexdigest()
    return manifest


def train(scale: int, data: Path, runs: Path, minutes: float | None) -> Path:
    from ganstudio.cli_progress import ProgressPrinter
    from ganstudio.core.export.upscaler import export_upscaler
    from ganstudio.core.upscaler import UpscalerConfig
    from ganstudio.core.upscaler.run import UpscalerRun

    run_dir = runs / f"builtin-x{scale}"
    config = UpscalerConfig(scale=scale, channels=CHANNELS, degrade=DEGRADE, seed=0, kimg=KIMG[scale], minutes=minutes, device="cpu",
                            snapshot_kimg=8.0, checkpoint_kimg=16.0)
    if (run_dir / "run.json").is_file():
        run = UpscalerRun.resume(run_dir, listener=ProgressPrinter(sys.stdout))
    else:
        run = UpscalerRun.new(run_dir, config, data, listener=ProgressPrinter(sys.stdout))
    finished = run.run()
    print(f"\nx{scale}: {finished}")
    target = ROOT / "resources" / "upscalers" / f"ganstudio-general-x{scale}.onnx"
    result = export_upscaler(run_dir, checkpoint="latest", out=target, name=f"builtin-x{scale}",
                             extra={"training_data": "KDE Plasma wallpapers + Oxygen icons (Debian packages); see resources/upscalers/README.md"})
    print(f"exported {result.path} ({result.path.stat().st_size / 1e6:.2f} MB, max |ort - torch| {result.max_abs_diff:.1e})")
    return result.path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, choices=(2, 4), action="append", help="which scale(s) (default both)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "out", help="where the data and runs go")
    parser.add_argument("--minutes", type=float, help="stop early after this many minutes (not reproducible; for trials)")
    args = parser.parse_args()
    data = args.work / "upscaler-data"
    manifest_path = args.work / "upscaler-data.json"
    if not manifest_path.is_file():
        manifest = make_dataset(data)
        manifest_path.write_text(json.dumps(manifest, indent=1))
        print(f"{manifest['files']} training squares in {data} (sha256 {manifest['sha256'][:16]})")
    for scale in args.scale or [2, 4]:
        train(scale, data, args.work / "runs", args.minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
