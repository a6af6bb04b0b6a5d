"""Where the app's files (icons, style sheet) are: resources/ next to the package in a checkout,
or beside the executable in a PyInstaller bundle. Missing files degrade gracefully (no icon)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

from ganstudio.infer.builtin import resources_dir


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def app_icon() -> QIcon:
    """The app icon at every size we ship: the SVG for any scale, PNGs where SVG is not rendered."""
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256, 512):
        png = resource("icons", f"ganstudio-{size}.png")
        if png.is_file():
            icon.addFile(str(png))
    svg = resource("icons", "ganstudio.svg")
    if svg.is_file():
        icon.addFile(str(svg))
    return icon


def style_template() -> str:
    path = resource("styles", "studio.qss")
    return path.read_text() if path.is_file() else ""
