"""Export a run's generator to ONNX off the GUI thread (the core's export_generator)."""

from __future__ import annotations

from pathlib import Path

from ganstudio.app.tasks import BackgroundTask


def start_export(run_dir: Path, *, checkpoint: str = "best", fp16: bool = False, out: Path | None = None) -> BackgroundTask:
    """Reports each stage's words (str) on `progressed`; succeeds with the core's ExportResult."""

    def work(report):  # noqa: ANN001, ANN202
        from ganstudio.app.heavy import quiet_gc

        with quiet_gc():  # torch and onnx load here, not on the GUI thread
            from ganstudio.core.export import export_generator

        return export_generator(run_dir, checkpoint=checkpoint, fp16=fp16, out=out, stage=report)

    return BackgroundTask(work, doing="exporting")


def describe_result(result) -> tuple[str, str]:  # noqa: ANN001 - ExportResult, imported lazily
    """(headline, details) for the message shown when an export is done."""
    size = result.path.stat().st_size / 1e6 if result.path.is_file() else 0.0
    return (
        f"Exported {result.path.name} ({size:.1f} MB).",
        f"From checkpoint {result.step} ({result.precision}), in {result.seconds:.0f} s. onnxruntime matches the "
        f"torch model within {result.max_abs_diff:.1e} (allowed {result.tolerance:.0e}).\n\n"
        f"Saved in {result.path.parent}. Open it in Explore, or generate images from the command line with:\n"
        f"ganstudio generate \"{result.path}\" --count 16 --grid --out images",
    )
