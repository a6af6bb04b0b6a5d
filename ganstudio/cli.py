"""The `ganstudio` command: subcommands run the engine headless.

Heavy imports (torch) happen inside the commands, so `ganstudio --help` answers at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

import ganstudio
from ganstudio.cli_infer import UsageError, add_commands
from ganstudio.errors import GanStudioError

DEFAULT_RUNS = Path("runs")


def _more_than_zero(text: str) -> float:
    """An argparse type for --minutes and --kimg: a length of training, so more than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a length of training: give a number more than 0")
    return value


def _add_train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--resolution", type=int, choices=(32, 64, 128, 256), help="training size in px (default: from the data and device)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=_more_than_zero, help="train for this many minutes")
    budget.add_argument("--kimg", type=_more_than_zero, help="train until this many thousand images have been shown to D")
    p.add_argument("--model-size", choices=("small", "medium", "large"),
                   help="network capacity (default: small on a CPU; medium up to 128 px, large above, on a GPU)")
    # No default here: the core's recipe has it (this module loads without the core, for the Player).
    p.add_argument("--batch", type=int, help="images per step (default: the recipe's, 16)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganstudio",
        description="Train small GANs on your own pictures. With no command, the GAN Studio app opens.",
        epilog="Run 'ganstudio COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"ganstudio {ganstudio.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = sub.add_parser(
        "train",
        help="train a GAN on a folder of images (or the built-in demo data)",
        description="Train a GAN on a folder of images, searched recursively. Without FOLDER it trains "
        "on the built-in procedural demo data. Press Ctrl-C to stop: a checkpoint is saved first.",
    )
    train.add_argument("folder", nargs="?", metavar="FOLDER", help="folder of images (default: built-in demo data)")
    train.add_argument("--out", metavar="RUN", help=f"run folder to create (default: {DEFAULT_RUNS}/<data name>)")
    _add_train_options(train)
    train.add_argument("--classes", action="store_true", help="treat subfolders as classes (class-conditional GAN)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    train.add_argument("--no-export", dest="export", action="store_false", help="do not export the generator to ONNX at the end")
    train.add_argument("--config", metavar="FILE.json",
                       help="every training setting from a JSON file, shaped as the 'config' of a run's run.json "
                       "(the app uses this); settings left out keep their defaults, unknown keys and wrong types are refused; "
                       "--device, --kimg and --minutes still apply")
    train.add_argument("--from", dest="start_from", metavar="PARENT",
                       help="fine-tune: start from the weights of this earlier run (its architecture and resolution too), "
                       "or `general` for GAN Studio's general model (64 px, trained on icons); "
                       "optimiser, augmentation and step count start fresh")
    train.add_argument("--checkpoint", help="with --from: best (default), latest or a step number")
    train.add_argument("--freeze-d", type=int, default=0, metavar="N",
                       help="with --from: keep the parent's discriminator at its N finest resolutions (FreezeD); default 0")
    train.add_argument("--nproc", type=int, default=1, metavar="N",
                       help="train in N processes on this machine with torch.distributed: one per GPU, or each with "
                       "a share of the CPU cores; the batch is split between them (default 1)")
    train.add_argument("--max-restarts", type=int, default=3, metavar="R",
                       help="with --nproc: restart the workers from the last checkpoint up to R times when one dies (default 3)")
    train.set_defaults(func=_cmd_train)

    demo = sub.add_parser(
        "demo",
        help="a few minutes of training on the built-in demo data, to see the whole job",
        description="Train on procedural demo shapes for a few minutes, writing sample grids as it goes.",
    )
    demo.add_argument("--out", metavar="RUN", help=f"run folder (default: {DEFAULT_RUNS}/demo)")
    demo.add_argument("--minutes", type=_more_than_zero, default=3.0, help="how long to train (default 3)")
    demo.add_argument("--device", default="auto", help="auto, cpu or cuda")
    demo.set_defaults(func=_cmd_demo, export=True)

    export = sub.add_parser(
        "export",
        help="write a run's generator as ONNX, for generating without torch",
        description="Export the EMA generator of a training run as ONNX (dynamic batch; truncation, style "
        "offsets and classes as inputs; principal directions in the metadata), then check it against the "
        "torch model before calling it done.",
    )
    export.add_argument("run", metavar="RUN", help="the training run folder")
    export.add_argument("--checkpoint", default="best", help="best (by the quality metric), latest, or a step number")
    export.add_argument("--fp16", action="store_true", help="half precision: half the size, for GPUs (checked within 1e-2)")
    export.add_argument("--out", metavar="FILE.onnx", help="where to write it (default: RUN/export/<run>-<kimg>kimg.onnx)")
    export.add_argument("--with-encoder", action="store_true", help="also train an encoder (MODEL.encoder.onnx beside the "
                        "model), so that pictures can be brought into the model with `ganstudio project`")
    export.add_argument("--encoder-minutes", type=_more_than_zero, metavar="M", help="how long the encoder trains (default 2; implies --with-encoder)")
    export.add_argument("--result-json", metavar="FILE", help="also write what was exported (path, checkpoint, precision, "
                        "check) to FILE as JSON, for scripts (the app exports this way)")
    export.set_defaults(func=_cmd_export)
    add_commands(sub)
    explore = sub.add_parser(
        "explore",
        help="open the app on the Explore page with an exported generator",
        description="Open the GAN Studio window on the Explore page with MODEL.onnx: seed grid, direction "
        "sliders, variations, interpolations, favourites. Needs a display; no torch.",
    )
    explore.add_argument("model", metavar="MODEL.onnx")
    explore.set_defaults(func=_cmd_explore)

    up = sub.add_parser(
        "train-upscaler",
        help="train an upscaler on a folder of images, so that GAN outputs upscale in its style",
        description="Train a small x2 or x4 super-resolution net on FOLDER's images: pairs are made by downscaling "
        "random patches with random blur, noise and JPEG, the net learns to undo it. Uses a run folder like "
        "`ganstudio train` (checkpoints, log, samples, --resume) and exports ONNX at the end.",
    )
    up.add_argument("folder", nargs="?", metavar="FOLDER", help="folder of images, searched recursively (needed unless --resume)")
    up.add_argument("--scale", type=int, choices=(2, 4), default=2, help="enlargement factor (default 2)")
    up.add_argument("--out", metavar="RUN", help=f"run folder to create (default: {DEFAULT_RUNS}/<data name>-x<scale>)")
    budget = up.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=_more_than_zero, help="train for this many minutes (default: 10, unless --kimg)")
    budget.add_argument("--kimg", type=_more_than_zero, help="train until this many thousand patches have been seen")
    up.add_argument("--batch", type=int, default=16, help="patches per step (default 16)")
    up.add_argument("--resolution", type=int, choices=(64, 128, 256),
                    help="images are decoded as squares this big (default: the largest not above the images' "
                    "median shorter side, up to 256: small pictures are never enlarged into blurry targets)")
    up.add_argument("--degrade", type=float, default=1.0, help="0..1: how often blur/noise/JPEG spoil the inputs (default 1)")
    up.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    up.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    up.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    up.add_argument("--no-export", dest="export", action="store_false", help="do not export the upscaler to ONNX at the end")
    up.set_defaults(func=_cmd_train_upscaler)
    return parser


def _cmd_train_upscaler(args: argparse.Namespace) -> int:
    from ganstudio.core.export.upscaler import export_upscaler
    from ganstudio.core.upscaler import UpscalerConfig
    from ganstudio.core.upscaler.run import UpscalerRun

    if args.resume:
        if not args.out:
            raise UsageError("--resume needs --out RUN, the run folder to continue")
        run = UpscalerRun.resume(args.out, kimg=args.kimg, minutes=args.minutes, device=None if args.device == "auto" else args.device)
        return _drive(run, export=args.export, exporter=export_upscaler)
    if not args.folder:
        raise UsageError("name the FOLDER of images to learn from")
    if not Path(args.folder).is_dir():
        raise GanStudioError(f"{args.folder}: no such folder")
    if not 0 <= args.degrade <= 1:
        raise UsageError("--degrade must be between 0 and 1")
    minutes = args.minutes if args.minutes is not None or args.kimg is not None else 10.0
    resolution = args.resolution
    if resolution is None:
        from ganstudio.core.data import scan_folder, suggest_resolution

        resolution = max(64, suggest_resolution(scan_folder(args.folder), device_type="cuda"))
    patch = min(32, resolution // args.scale)  # low-resolution patch side: its target must fit the squares
    try:
        config = UpscalerConfig(scale=args.scale, batch=args.batch, resolution=resolution, patch=patch, degrade=args.degrade,
                                seed=args.seed, kimg=args.kimg, minutes=minutes, device=args.device)
    except ValueError as e:
        raise UsageError(str(e)) from None
    out = Path(args.out) if args.out else _unique_run_dir(f"{Path(args.folder).resolve().name}-x{args.scale}")
    return _drive(UpscalerRun.new(out, config, args.folder), export=args.export, exporter=export_upscaler)


def _unique_run_dir(name: str) -> Path:
    from ganstudio.core.training.runfolder import unique_run_dir

    return unique_run_dir(DEFAULT_RUNS, name)


def _cmd_train(args: argparse.Namespace) -> int:
    from ganstudio.core.config import TrainConfig
    from ganstudio.core.device import resolve_device
    from ganstudio.core.training.distributed import in_launched_worker, restart_count
    from ganstudio.core.training.run import TrainingRun

    if args.nproc < 1:
        raise UsageError("--nproc must be 1 or more")
    if args.batch is None:
        args.batch = TrainConfig.batch
    worker = in_launched_worker()
    if worker and not args.out:
        raise UsageError("under torchrun, name the run folder with --out RUN (every worker must write to the same one)")
    if worker and restart_count() > 0 and (Path(args.out) / "run.json").is_file():
        args.resume = True  # the launcher restarted us after a failure: go on from the last checkpoint
        if os.environ.get("RANK") == "0":
            print(f"A worker failed; restarted them all ({restart_count()} of {os.environ.get('TORCHELASTIC_MAX_RESTARTS', '?')} "
                  "restarts): going on from the last checkpoint.", flush=True)
    args.parent = _parent(args)  # checked before anything is written
    if args.nproc > 1 and not worker:
        return _launch_workers(args)

    if args.resume:
        if not args.out:
            raise UsageError("--resume needs --out RUN, the run folder to continue")
        run = TrainingRun.resume(args.out, kimg=args.kimg, minutes=args.minutes, device=None if args.device == "auto" else args.device)
        return _drive(run, export=args.export)

    config, name = _new_run_config(args, resolve_device(args.device))
    if not args.folder:
        length = (f"for {config.minutes:g} minutes" if config.minutes else f"until {config.kimg:g} kimg" if config.kimg
                  else "until you stop it (--minutes or --kimg set a length)")
        print(f"No FOLDER given: training on the built-in demo shapes {length}. Press Ctrl-C to stop; "
              "a checkpoint is saved first.", flush=True)
    if args.parent is not None and not worker:
        p = args.parent
        print(f"Starting from {p.folder.path.name}, checkpoint {p.step} ({p.kimg:.1f} kimg), at its {p.model.resolution} px "
              f"and model size.", flush=True)
    out = Path(args.out) if args.out else _unique_run_dir(name)
    return _drive(TrainingRun.new(out, config, args.folder, start_from=args.parent), export=args.export)


def _parent(args: argparse.Namespace):  # noqa: ANN202 - start_from.Parent | None, imported lazily
    """The run --from names, opened and checked; None without --from."""
    if not args.start_from:
        if args.checkpoint or args.freeze_d:
            raise UsageError("--checkpoint and --freeze-d go with --from PARENT, the run to start from")
        return None
    if args.resume:
        raise UsageError("--from starts a new run from another; --resume continues this one: use one of them")
    if args.model_size:
        raise UsageError("--model-size: a run started from another takes its model, size included")
    from ganstudio.core.training.start_from import open_parent

    return open_parent(args.start_from, args.checkpoint or "best")


def _new_run_config(args: argparse.Namespace, device):  # noqa: ANN001, ANN202 - torch.device, (TrainConfig, str)
    """A new run's whole configuration, resolved once from the command line (or --config), and the
    name its run folder gets by default."""
    from ganstudio.core.config import default_config
    from ganstudio.core.data import scan_folder, suggest_resolution

    parent = args.parent  # fine-tuning: the parent's resolution unless one is asked for
    resolution, classes, name = args.resolution or (parent.model.resolution if parent else None), 0, "demo"
    if args.folder:
        scan = scan_folder(args.folder, classes=args.classes)
        name = scan.root.name or "images"
        classes = len(scan.class_names) if args.classes else 0
        resolution = resolution or suggest_resolution(scan, device_type=device.type)
    else:
        from ganstudio.core.data import DEMO_CLASSES

        classes = len(DEMO_CLASSES) if args.classes else 0
        resolution = resolution or 64
    if args.config:
        config = _config_file(args)
    else:
        config = default_config(resolution, device.type)  # the recipe for this device, as the app starts from
        model = config.model.resized(args.model_size) if args.model_size else config.model
        config = config.replace(
            model=dataclasses.replace(model, num_classes=classes),
            batch=args.batch,
            seed=args.seed,
            kimg=args.kimg,
            minutes=args.minutes,
            device=args.device,
        )
    if parent is not None:
        from ganstudio.core.training.start_from import fine_tune_config

        config = fine_tune_config(parent, config)
    try:
        return (config.replace(freeze_d=args.freeze_d) if args.freeze_d else config), name
    except ValueError as e:
        raise UsageError(f"--freeze-d: {e}") from None


def _config_file(args: argparse.Namespace):  # noqa: ANN202 - TrainConfig, imported lazily
    import json

    from ganstudio.core.config import TrainConfig
    from ganstudio.core.errors import ConfigError

    try:
        # Strict: a file the user wrote, so a typo'd key or a "16" for 16 is an error here, not
        # silently ignored or a TypeError mid-training (run.json from other versions stays tolerant).
        config = TrainConfig.from_dict(json.loads(Path(args.config).read_text()), strict=True)
    except OSError as e:
        raise UsageError(f"cannot read --config {args.config}: {e.strerror or e}") from None
    except ConfigError as e:
        raise UsageError(f"--config {args.config}: {e}") from None
    except ValueError as e:  # not JSON at all
        raise UsageError(f"--config {args.config} is not a training configuration: {e}") from None
    budget = {"kimg": args.kimg, "minutes": args.minutes} if args.kimg is not None or args.minutes is not None else {}
    return config.replace(device=args.device if args.device != "auto" else config.device, **budget)


def _launch_workers(args: argparse.Namespace) -> int:
    """--nproc N: check what can be checked here, once, then start N workers. A new run's whole
    configuration is resolved here and handed to them as a --config file, so that every worker
    trains exactly the same run; a resumed one is read by each from its run.json."""
    import json
    import tempfile

    import torch

    from ganstudio.core.device import resolve_device
    from ganstudio.core.training.launch import launch_local
    from ganstudio.core.training.runfolder import RunFolder

    device = resolve_device(args.device)
    if device.type == "cuda" and args.nproc > torch.cuda.device_count():
        raise UsageError(f"--nproc {args.nproc} needs {args.nproc} GPUs; this machine has {torch.cuda.device_count()}")
    if args.resume:
        if not args.out:
            raise UsageError("--resume needs --out RUN, the run folder to continue")
        if not RunFolder(Path(args.out)).exists():
            raise UsageError(f"{args.out} holds no training run to resume (no run.json)")
        forwarded = ["train", "--resume", "--out", str(Path(args.out).resolve()), "--device", args.device]
        forwarded += ["--kimg", str(args.kimg)] if args.kimg is not None else []
        forwarded += ["--minutes", str(args.minutes)] if args.minutes is not None else []
        batch = RunFolder(Path(args.out)).config().batch
        config_file = None
    else:
        # Resolved once here and handed to every worker as a file: they train exactly the same run.
        config, name = _new_run_config(args, device)
        batch = config.batch
        out = Path(args.out) if args.out else _unique_run_dir(name)
        if RunFolder(out).exists():
            raise UsageError(f"{out} already holds a training run: resume it with --resume, or choose another --out")
        _check_split(batch, args.nproc)
        fd, path = tempfile.mkstemp(prefix="ganstudio-config-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(config.to_dict(), f)
        config_file = Path(path)
        forwarded = ["train", "--config", path, "--out", str(out.resolve()), "--device", config.device]
        if args.parent is not None:
            forwarded += ["--from", str(args.parent.folder.path), "--checkpoint", str(args.parent.step)]
        forwarded += [str(Path(args.folder).expanduser().resolve())] if args.folder else []
    _check_split(batch, args.nproc)
    forwarded += [] if args.export else ["--no-export"]
    print(f"Starting {args.nproc} training processes ({'one per GPU' if device.type == 'cuda' else 'sharing the CPU'}), "
          f"{batch // args.nproc} images each per step; Ctrl-C stops them after saving a checkpoint.", flush=True)
    try:
        return launch_local(forwarded, args.nproc, max_restarts=args.max_restarts, cuda=device.type == "cuda")
    finally:
        if config_file is not None:
            config_file.unlink(missing_ok=True)


def _check_split(batch: int, nproc: int) -> None:
    if batch % nproc:
        raise UsageError(f"a batch of {batch} does not split evenly over {nproc} processes: choose a multiple of {nproc}")


def _cmd_demo(args: argparse.Namespace) -> int:
    from ganstudio.core.config import demo_config
    from ganstudio.core.device import resolve_device
    from ganstudio.core.training.run import TrainingRun

    device = resolve_device(args.device)
    # 32 px on a CPU so that shapes appear within minutes; 64 px where a GPU makes it cheap.
    resolution = 64 if device.type == "cuda" else 32
    # The quality scores run beside training on the same cores: every 5 kimg on 512 pictures they
    # took 37% of the 3 minutes (42 kimg instead of 70); every 10 kimg on 256, about a tenth.
    config = demo_config(
        resolution, device.type, minutes=args.minutes, device=args.device, snapshot_kimg=1.0, checkpoint_kimg=10.0, metric_images=256,
    )
    out = Path(args.out) if args.out else _unique_run_dir("demo")
    return _drive(TrainingRun.new(out, config, None), export=True)


def _cmd_export(args: argparse.Namespace) -> int:
    from ganstudio.core.export import export_generator

    # SIGTERM (the app's Cancel, a timeout) stops like Ctrl-C: the half-written file is removed.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        result = export_generator(args.run, checkpoint=args.checkpoint, fp16=args.fp16, out=args.out, stage=_stage_printer(),
                                  encoder_seconds=_encoder_seconds(args))
    finally:
        signal.signal(signal.SIGTERM, previous)  # main() may be called in-process (tests, scripts)
    if args.result_json:
        from ganstudio.infer.atomic import atomic_write_text

        atomic_write_text(Path(args.result_json), result.to_json())
    _report_export(result)
    return 0


def _encoder_seconds(args: argparse.Namespace) -> float:
    if not (args.with_encoder or args.encoder_minutes is not None):
        return 0.0
    return (args.encoder_minutes or 2.0) * 60


def _stage_printer():  # noqa: ANN202
    tty = sys.stdout.isatty()

    def stage(message: str) -> None:
        sys.stdout.write(f"\r\033[Kexporting: {message}..." if tty else f"exporting: {message}...\n")
        sys.stdout.flush()

    return stage


def _report_export(result, upscaler: bool = False) -> None:  # noqa: ANN001 - ExportResult, imported lazily
    if sys.stdout.isatty():
        sys.stdout.write("\r\033[K")
    size = result.path.stat().st_size / 1e6
    use = (f"Upscale with: ganstudio upscale {result.path} IMAGES... --out {result.path.parent / 'upscaled'}" if upscaler else
           f"Generate with: ganstudio generate {result.path} --count 16 --grid --out {result.path.parent / 'images'}")
    print(
        f"Exported {result.path} ({result.precision}, checkpoint {result.step}, {size:.1f} MB) in {result.seconds:.0f} s; "
        f"onnxruntime matches torch within {result.max_abs_diff:.1e} (tolerance {result.tolerance:.0e}).\n{use}"
    )
    if result.copy_report is not None:
        print(result.copy_report.describe())
    if result.encoder is not None:
        print(f"Its encoder ({result.encoder.name}) finds pictures in it: ganstudio project {result.path} PICTURES... "
              f"--out {result.path.parent / 'projected'}")
    if result.index is not None:
        print(f"The training index beside it ({result.index.name}) lets Explore show each picture's nearest training pictures.")
    elif result.copies_note and not upscaler:
        print(f"No copy check: {result.copies_note}.")


def _drive(run, *, export: bool = False, exporter=None) -> int:  # noqa: ANN001 - TrainingRun, imported lazily
    from ganstudio.cli_progress import ProgressPrinter

    printer = ProgressPrinter(sys.stdout)
    run.listener = printer
    interrupts = 0
    distributed = run.world.distributed

    def on_stop_signal(signum, frame) -> None:  # noqa: ANN001 - Ctrl-C, or SIGTERM (timeout, logout, a service manager)
        nonlocal interrupts
        interrupts += 1
        if distributed:
            # Ctrl-C reaches every worker, and the launcher passes it on once more: each one only
            # asks for the stop that rank 0 then takes with all of them, after saving.
            if interrupts == 1 and run.main:
                printer.note("stopping: saving a checkpoint first")
            run.stop()
            return
        if interrupts > 1:
            raise KeyboardInterrupt
        printer.note("stopping: saving a checkpoint first (Ctrl-C again to abort without saving)")
        run.stop()

    # Under torchrun the launcher's SIGTERM must end a worker at once (it restarts them all).
    stop_signals = (signal.SIGINT,) if distributed else (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, on_stop_signal) for sig in stop_signals}
    try:
        finished = run.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not run.main:
        return 0  # rank 0 reports and exports for the run
    printer.summary(run.folder.path, finished)
    if export and finished.reason != "error" and run.folder.latest_checkpoint() is not None:
        from ganstudio.core.export import export_generator

        result = (exporter or export_generator)(run.folder.path, checkpoint="best", stage=_stage_printer())
        _report_export(result, upscaler=exporter is not None)
    return 0


def _headless() -> bool:
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    )


def _open_app(parser: argparse.ArgumentParser) -> int:
    """No command: the desktop app, unless there is no screen to show it on."""
    if _headless():
        parser.print_help()
        print("\nerror: no display to open the app on (DISPLAY is not set); use a command above", file=sys.stderr)
        return 1
    from ganstudio.app import run_app

    return run_app(sys.argv[:1])


def _cmd_explore(args: argparse.Namespace) -> int:
    model = Path(args.model)
    if not model.is_file():
        raise GanStudioError(f"{model}: no such model file")
    if _headless():
        raise GanStudioError("no display to open the app on (DISPLAY is not set); `ganstudio generate` works without one")
    from ganstudio.app import run_app

    return run_app(sys.argv[:1], explore=model)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if not args.command:
            return _open_app(parser)
        return args.func(args)
    except UsageError as e:
        parser.error(str(e))
    except GanStudioError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\naborted", file=sys.stderr)
        return 130
    return 0
