"""`ganstudio generate`, `interpolate` and `upscale`: exported models, run with onnxruntime.
Nothing here imports torch, so these commands work in the torch-free Player too."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # onnxruntime and friends load when a command runs, not for --help
    from ganstudio.infer import GeneratorModel


class UsageError(Exception):
    """Options that parse but do not fit together; reported like argparse's own errors."""


def parse_seeds(text: str) -> list[int]:
    """'1,2,5-8' -> [1, 2, 5, 6, 7, 8]."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = part.split("-", 1)
                seeds.extend(range(int(lo), int(hi) + 1))
            elif part:
                seeds.append(int(part))
        except ValueError:
            raise UsageError(f"cannot read seeds {text!r}: use whole numbers and ranges like 1,2,5-8") from None
    if not seeds:
        raise UsageError(f"no seeds in {text!r}")
    return seeds


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("seeds are whole numbers from 0 up")
    return value


def add_commands(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser(
        "generate",
        help="images from an exported generator (.onnx), without torch",
        description="Generate images from seeds. Each PNG carries its seed, psi, class and model in its "
        "text chunks, so it can be made again. Seeds run from --seed upwards, or come from --seeds. "
        "A class-conditional model with no --class gives each class its share, in subfolders.",
    )
    gen.add_argument("model", metavar="MODEL.onnx")
    gen.add_argument("--out", required=True, metavar="DIR", help="folder for the images (created if needed)")
    gen.add_argument("--count", type=int, default=16, help="how many images (default 16)")
    gen.add_argument("--seed", type=_seed, default=0, help="first seed (default 0)")
    gen.add_argument("--seeds", help="explicit seeds instead, e.g. 1,2,10-20")
    _add_latent_options(gen)
    gen.add_argument("--grid", action="store_true", help="also write grid.png of the (first 256) images")
    gen.add_argument("--batch", type=int, default=32, help="images per batch (default 32)")
    gen.add_argument("--overwrite", action="store_true", help="replace images of the same seeds already in DIR")
    gen.set_defaults(func=cmd_generate)

    inter = sub.add_parser(
        "interpolate",
        help="an animation between seeds, or a looping random walk",
        description="Animate a path through latent space: between the given seeds (slerp in z, or lerp in w "
        "with --space w), or, with a single seed, a looping random walk that starts from it.",
    )
    inter.add_argument("model", metavar="MODEL.onnx")
    inter.add_argument("--seeds", required=True, help="seeds to pass through, e.g. 1,2,3 (one seed: a random walk)")
    inter.add_argument("--frames", type=int, default=60, help="frames in all (default 60)")
    inter.add_argument("--fps", type=float, default=24, help="frames per second (default 24)")
    inter.add_argument("--out", required=True, metavar="FILE", help="walk.gif or walk.mp4")
    inter.add_argument("--space", choices=("z", "w"), default="z", help="interpolate in z (slerp) or w (lerp)")
    inter.add_argument("--loop", action="store_true", help="return to the first seed at the end")
    inter.add_argument("--scale", type=int, help="enlarge frames this many times (default: to at least 256 px)")
    _add_latent_options(inter)
    inter.set_defaults(func=cmd_interpolate)

    up = sub.add_parser(
        "upscale",
        help="enlarge images with the built-in upscaler or any ONNX super-resolution model",
        description="Upscale images (files or folders, searched recursively) to DIR as NAME-xS.png. MODEL is "
        "`builtin` (GAN Studio's own x2/x4 model), an upscaler from `ganstudio train-upscaler`, or any ONNX "
        "single-image super-resolution model (e.g. an ESRGAN export: its scale is found by probing). Big images "
        "are processed in overlapping tiles. Each PNG records its source, the model and the scale, and keeps "
        "the seed information of GAN Studio images.",
    )
    up.add_argument("model", metavar="MODEL.onnx|builtin")
    up.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    up.add_argument("--out", required=True, metavar="DIR", help="folder for the upscaled PNGs (created if needed)")
    up.add_argument("--scale", type=int, help="2 or 4 for builtin (default 2); for another model, resize its output to this scale")
    up.add_argument("--tile", type=int, metavar="PX", help="tile side in input pixels (default: from free memory; 0: no tiling)")
    up.add_argument("--overwrite", action="store_true", help="replace upscaled images already in DIR")
    up.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to run (default auto)")
    up.set_defaults(func=cmd_upscale)


    proj = sub.add_parser(
        "project",
        help="find pictures in a model: the latent whose image matches each picture",
        description="Bring pictures into a model's latent space with its encoder (MODEL.encoder.onnx beside "
        "MODEL.onnx: `ganstudio export RUN --with-encoder`). Each picture is resized and converted as training "
        "pictures are; DIR gets NAME.png, the model's picture (its latent in the PNG, so Explore reopens it), and "
        "NAME-compare.png, the picture and the model's side by side; the similarity is printed.",
    )
    proj.add_argument("model", metavar="MODEL.onnx")
    proj.add_argument("inputs", nargs="+", metavar="IMAGE", help="image files or folders")
    proj.add_argument("--out", required=True, metavar="DIR", help="folder for the results (created if needed)")
    proj.add_argument("--refine", type=int, default=0, metavar="STEPS", help="then refine each latent with STEPS steps of "
                      "gradient descent through the model (about 300: a few seconds a picture, several dB closer); needs "
                      "torch (GAN Studio, not the Player) and the run the model was exported from")
    proj.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to run (default auto)")
    proj.set_defaults(func=cmd_project)


def _add_latent_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--psi", type=float, default=1.0, help="truncation: below 1 trades variety for typical images (default 1)")
    p.add_argument("--class", dest="class_", metavar="NAME", help="class name or number, for class-conditional models")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to run (default auto)")


def _open(args: argparse.Namespace) -> GeneratorModel:
    from ganstudio.infer import GeneratorModel

    model = GeneratorModel(args.model, device=args.device)
    if model.device_note:
        print(f"note: {model.device_note}", file=sys.stderr)
    return model


def cmd_generate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ganstudio.infer.folder import generate_to_folder

    if args.count < 1 and not args.seeds:
        raise UsageError("--count must be at least 1")
    seeds = parse_seeds(args.seeds) if args.seeds else list(range(args.seed, args.seed + args.count))
    model = _open(args)
    out = Path(args.out)
    if args.class_ is not None or not model.info.conditional:
        index = None if args.class_ is None else model.class_index(args.class_)
        jobs = [(out, seeds, index)]
    else:  # every class its share, each in its own subfolder (ready for `train --classes`)
        classes = model.info.classes
        jobs = [(out / name, seeds[i :: len(classes)], i) for i, name in enumerate(classes)]
    total_seconds = encode_seconds = 0.0
    with tqdm(total=len(seeds), unit="img", desc="generating", dynamic_ncols=True, file=sys.stderr) as bar:
        done_before = 0

        def progress(done: int, _total: int) -> None:
            bar.n = done_before + done
            bar.refresh()

        for folder, job_seeds, index in jobs:
            if not job_seeds:
                continue
            result = generate_to_folder(
                model, job_seeds, folder, psi=args.psi, class_index=index, batch_size=args.batch,
                grid=args.grid, overwrite=args.overwrite, progress=progress,
            )
            done_before += result.count
            total_seconds += result.seconds
            encode_seconds += result.encode_seconds
    rate = len(seeds) / max(total_seconds, 1e-9)
    print(f"wrote {len(seeds)} images to {out} ({rate:.0f} img/s on {model.device}; PNG writing {encode_seconds:.1f} s "
          f"of {total_seconds:.1f} s, overlapped with generation)")
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ganstudio.infer import latent
    from ganstudio.infer.animation import interpolation_frames, write_animation
    from ganstudio.infer.errors import OutputError

    seeds = parse_seeds(args.seeds)
    if args.frames < 2:
        raise UsageError("--frames must be at least 2")
    model = _open(args)
    out = Path(args.out)
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise OutputError(f"{out}: the animation must be a .gif or an .mp4")
    loop = args.loop or len(seeds) == 1
    keys = latent.random_walk_keys(seeds[0], model.info.latent_dim) if len(seeds) == 1 else model.z_for_seeds(seeds)
    index = None if args.class_ is None else model.class_index(args.class_)
    if model.info.conditional and index is None:
        index = 0
        print(f"note: class-conditional model; using class {model.info.classes[0]!r} (choose with --class)", file=sys.stderr)
    scale = args.scale or max(1, -(-256 // model.info.resolution))
    frames = interpolation_frames(model, keys, args.frames, space=args.space, loop=loop, psi=args.psi, class_index=index)
    with tqdm(total=args.frames, unit="frame", desc="rendering", dynamic_ncols=True, file=sys.stderr) as bar:

        def progress(done: int, _total: int) -> None:
            bar.n = done
            bar.refresh()

        write_animation(out, frames, fps=args.fps, count=args.frames, progress=progress, scale=scale)
    print(f"wrote {out} ({args.frames} frames at {args.fps:g} fps, {model.info.resolution * scale} px)")
    return 0


def open_upscaler(model: str, scale: int | None, device: str = "auto"):  # noqa: ANN201 - Upscaler, imported lazily
    """`builtin` (x2 unless scale 4) or a path, with a note on stderr when CUDA was wanted but not used."""
    from ganstudio.infer.builtin import BUILTIN, BUILTIN_SCALES, builtin_upscaler_name, builtin_upscaler_path
    from ganstudio.infer.upscale import Upscaler

    if model == BUILTIN:
        if scale is not None and scale not in BUILTIN_SCALES:
            raise UsageError(f"the built-in upscaler does x2 and x4, not x{scale}")
        chosen = scale or 2
        path = builtin_upscaler_path(chosen)
        upscaler = Upscaler(path, device, name=builtin_upscaler_name(path))
    else:
        upscaler = Upscaler(model, device)
    if upscaler.device_note:
        print(f"note: {upscaler.device_note}", file=sys.stderr)
    return upscaler


def cmd_upscale(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ganstudio.infer.upscale_files import collect_inputs, upscale_files

    if args.scale is not None and not 1 <= args.scale <= 16:
        raise UsageError("--scale must be between 1 and 16")
    if args.tile is not None and args.tile < 0:
        raise UsageError("--tile must be 0 (no tiling) or a size in pixels")
    missing = [p for p in args.inputs if not Path(p).exists()]
    if missing:
        from ganstudio.infer.upscale_files import ImageReadError

        raise ImageReadError(f"{missing[0]}: no such file or folder")
    inputs = collect_inputs(args.inputs)
    if not inputs:
        raise UsageError(f"no images in {', '.join(args.inputs)}")
    model = open_upscaler(args.model, args.scale, args.device)
    scale = args.scale or model.scale
    with tqdm(total=len(inputs), unit="img", desc=f"upscaling x{scale}", dynamic_ncols=True, file=sys.stderr) as bar:

        def progress(done: int, _total: int) -> None:
            bar.n = done
            bar.refresh()

        result = upscale_files(model, inputs, args.out, scale=scale, tile=args.tile, overwrite=args.overwrite, progress=progress)
    for path, why in result.failed:
        print(f"skipped: {why}", file=sys.stderr)
    print(f"wrote {len(result.written)} images x{scale} to {args.out} with {model.name} ({result.seconds:.1f} s on {model.device})"
          + (f"; {len(result.failed)} skipped" if result.failed else ""))
    return 1 if result.failed and not result.written else 0


def cmd_project(args: argparse.Namespace) -> int:
    import numpy as np

    from ganstudio.infer.errors import OutputError
    from ganstudio.infer.images import ImageInfo, make_grid, save_png
    from ganstudio.infer.project import EncoderModel, PictureError, load_picture, project, w_avg
    from ganstudio.infer.upscale_files import collect_inputs

    model = _open(args)
    encoder = EncoderModel(model, device=args.device)
    files = collect_inputs(args.inputs)
    out = Path(args.out)
    average = w_avg(model)
    info = model.info
    done, failed, scores = 0, [], []
    refiner = _refiner(model, encoder, args.refine) if args.refine > 0 else None
    for path, relative in files:
        try:
            target = load_picture(path, info.resolution)
        except PictureError as e:
            failed.append(str(e))
            print(f"skipped {e}", file=sys.stderr)
            continue
        p = project(encoder, target) if refiner is None else refiner(target)
        # psi 0 makes w_avg whatever the seed, so seed 0 and the offset w - w_avg give exactly this w.
        image_info = ImageInfo(model.path.name, seed=0, psi=0.0, class_name=info.classes[0] if info.classes else None,
                               w_offset=[float(v) for v in p.w - average])
        name = out / relative.parent / relative.stem
        try:
            name.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"could not create {name.parent}: {e.strerror or e}") from None
        save_png(name.with_name(name.name + ".png"), p.image, image_info)
        save_png(name.with_name(name.name + "-compare.png"), make_grid(np.stack([p.target, p.image]), 2, gap=2))
        scores.append((p.psnr, p.ssim))
        done += 1
        print(f"{path.name}: {p.similarity} ({p.seconds * 1000:.0f} ms)")
    if scores:
        mean = np.mean(scores, axis=0)
        print(f"projected {done} picture{'s' if done != 1 else ''} into {out}: mean PSNR {mean[0]:.1f} dB, SSIM {mean[1]:.2f}")
    return 1 if failed and not done else 0


def _refiner(model: GeneratorModel, encoder, steps: int):  # noqa: ANN001, ANN202 - EncoderModel; Projection maker
    """project() followed by `steps` of gradient descent on w through the torch generator."""
    try:
        from ganstudio.core.export.encoder import generator_of, refine_picture
    except ImportError:
        raise UsageError("--refine needs torch, which this installation (the Player) does not have; leave it out") from None
    import time

    from ganstudio.infer.project import project, projection_of

    G = generator_of(model.path, int(model.info.summary.get("checkpoint_step", -1)))

    def run(target):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        w = refine_picture(G, target, project(encoder, target).w, steps)
        return projection_of(model, target, w, start=start)  # drawn as the saved PNG will be reopened: by the .onnx

    return run
