"""Quality, speed and memory of the built-in upscalers.

    python benchmarks/upscale_quality.py            # needs scikit-image (for its sample photos only)

Quality: PSNR (RGB, a border of `scale` px left out) and SSIM (luma, 11 px Gaussian window, sigma
1.5, as Wang et al. 2004) of the built-in x2 and x4 models against bicubic, on photos that no
built-in model was trained on: scikit-image's sample photographs astronaut (NASA, public domain),
chelsea (CC0, Stefan van der Walt), coffee (CC0, Rachel Michetti), rocket (SpaceX, public domain),
hubble_deep_field (NASA, public domain) and immunohistochemistry (no known copyright restrictions).
The low-resolution input is the photo shrunk with Pillow's bicubic (antialiased), as is usual.
The built-in models were trained on KDE/MATE wallpapers and Oxygen icons (build/train_builtin_upscalers.py).

Speed: 256x256 -> 1024x1024 with the x4 model, onnxruntime on the CPU with its default threads,
median of 5 after warm-up, untiled and in 128 px tiles.

Memory: onnxruntime allocates outside Python's heap, so tracemalloc would not see it. Each case
runs in a fresh process that opens the model and warms it up on a 32 px image, resets the kernel's
RSS high-water mark to the current RSS (writing 5 to /proc/self/clear_refs), upscales once, and
reads the high-water mark (VmHWM) again: the growth is the peak memory the upscale itself needed
(input, onnxruntime's activations and arena, output, blend buffers).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.infer.builtin import builtin_upscaler_path
from ganstudio.infer.upscale import Upscaler

EVAL_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry")


def psnr(a: np.ndarray, b: np.ndarray, border: int) -> float:
    a, b = a[border:-border, border:-border].astype(np.float64), b[border:-border, border:-border].astype(np.float64)
    mse = np.mean((a - b) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def _luma(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def _gauss_filter(x: np.ndarray, sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    x = np.apply_along_axis(lambda r: np.convolve(r, k, mode="valid"), 0, x)
    return np.apply_along_axis(lambda r: np.convolve(r, k, mode="valid"), 1, x)


def ssim(a: np.ndarray, b: np.ndarray, border: int) -> float:
    """Mean SSIM of the luma of two uint8 RGB images (Gaussian window, K1=0.01, K2=0.03, L=255)."""
    x, y = _luma(a)[border:-border, border:-border], _luma(b)[border:-border, border:-border]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _gauss_filter(x), _gauss_filter(y)
    sxx = _gauss_filter(x * x) - mx * mx
    syy = _gauss_filter(y * y) - my * my
    sxy = _gauss_filter(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


def eval_photos() -> dict[str, np.ndarray]:
    import skimage.data

    return {name: np.asarray(getattr(skimage.data, name)())[..., :3] for name in EVAL_PHOTOS}


def quality(scale: int, photos: dict[str, np.ndarray]) -> list[dict]:
    model = Upscaler(builtin_upscaler_path(scale), "cpu")
    rows = []
    for name, photo in photos.items():
        h, w = photo.shape[0] // scale * scale, photo.shape[1] // scale * scale
        hr = photo[:h, :w]
        lr = np.asarray(Image.fromarray(hr).resize((w // scale, h // scale), Image.Resampling.BICUBIC))
        bic = np.asarray(Image.fromarray(lr).resize((w, h), Image.Resampling.BICUBIC))
        out = model.upscale(lr)
        rows.append({"image": name, "size": f"{w}x{h}", "psnr_bicubic": psnr(bic, hr, scale), "psnr_model": psnr(out, hr, scale),
                     "ssim_bicubic": ssim(bic, hr, scale), "ssim_model": ssim(out, hr, scale)})
    return rows


def speed() -> dict[str, float]:
    model = Upscaler(builtin_upscaler_path(4), "cpu")
    image = np.asarray(Image.fromarray(eval_photos()["astronaut"]).resize((256, 256), Image.Resampling.LANCZOS))
    out = {}
    for label, tile in (("untiled", 0), ("tiles of 128 px", 128)):
        model.upscale(image, tile=tile)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            model.upscale(image, tile=tile)
            times.append(time.perf_counter() - t)
        out[label] = statistics.median(times)
    return out


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_child(size: int, tile: int) -> None:
    model = Upscaler(builtin_upscaler_path(4), "cpu")
    model.upscale(np.zeros((32, 32, 3), np.uint8), tile=0)
    image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    try:  # Linux: reset the high-water mark to the current RSS, so loading's own peak does not count
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kb("VmRSS")
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model.upscale(image, tile=tile)
    after = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if before == 0 else 0, _status_kb("VmHWM"))
    print(json.dumps({"before_kb": before, "after_kb": after}))


def memory(size: int, tile: int) -> float:
    """MB by which the RSS high-water mark grew during one upscale, in a fresh process."""
    done = subprocess.run([sys.executable, __file__, "--memory-child", str(size), str(tile)], capture_output=True, text=True, check=True)
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return (r["after_kb"] - r["before_kb"]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    photos = eval_photos()
    for scale in (2, 4):
        path = builtin_upscaler_path(scale)
        rows = quality(scale, photos)
        print(f"\nbuilt-in x{scale} ({path.name}, {path.stat().st_size / 1e6:.2f} MB) vs bicubic, held-out photos:")
        print(f"  {'image':22s} {'size':>9s}  {'PSNR bicubic':>12s} {'PSNR model':>10s} {'gain':>6s}   {'SSIM bicubic':>12s} {'SSIM model':>10s}")
        for r in rows:
            print(f"  {r['image']:22s} {r['size']:>9s}  {r['psnr_bicubic']:12.2f} {r['psnr_model']:10.2f} "
                  f"{r['psnr_model'] - r['psnr_bicubic']:+6.2f}   {r['ssim_bicubic']:12.4f} {r['ssim_model']:10.4f}")
        mean = {k: statistics.mean(r[k] for r in rows) for k in ("psnr_bicubic", "psnr_model", "ssim_bicubic", "ssim_model")}
        print(f"  {'mean':22s} {'':>9s}  {mean['psnr_bicubic']:12.2f} {mean['psnr_model']:10.2f} "
              f"{mean['psnr_model'] - mean['psnr_bicubic']:+6.2f}   {mean['ssim_bicubic']:12.4f} {mean['ssim_model']:10.4f}"
              f"   (goal: {'+1.0' if scale == 2 else '+0.5'} dB)")
    print("\nspeed, 256x256 -> 1024x1024 (x4), onnxruntime CPU:")
    for label, seconds in speed().items():
        print(f"  {label:16s} {seconds:.3f} s")
    print("\npeak memory of one x4 upscale (growth of the process's RSS high-water mark):")
    for size, tile in ((256, 128), (1024, 256)):
        untiled, tiled = memory(size, 0), memory(size, tile)
        print(f"  {size}x{size} -> {4 * size}x{4 * size}:  untiled {untiled:6.0f} MB   tiles of {tile} px {tiled:6.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
