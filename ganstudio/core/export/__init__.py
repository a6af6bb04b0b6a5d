"""Export of a trained generator to ONNX (DESIGN.md, "ONNX interface of an exported generator")."""

from ganstudio.core.export.generator import ExportResult, export_generator

__all__ = ["ExportResult", "export_generator"]
