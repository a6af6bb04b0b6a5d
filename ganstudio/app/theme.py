"""Light and dark palettes that follow the system's colour scheme (or the user's choice).

Fusion style everywhere, so both palettes look the same on Linux, Windows and macOS; the style
sheet in resources/styles/studio.qss adds the accents and uses {{name}} tokens from these colours.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ganstudio.app.resources import style_template

LIGHT = {
    "window": "#f3f4f7", "text": "#1c1e22", "base": "#ffffff", "alt_base": "#f0f1f5",
    "button": "#e8eaef", "highlight": "#5b3fd6", "highlight_text": "#ffffff", "mid": "#c9ccd4",
    "dark": "#9aa0ab", "muted": "#5f6470", "card": "#ffffff", "border": "#d9dce3",
    "warn": "#a85a00", "warn_bg": "#fff4e0", "good": "#15803d", "bad": "#b91c1c", "link": "#4f35c9",
}
DARK = {
    "window": "#1d1f24", "text": "#e4e6eb", "base": "#16181c", "alt_base": "#22252b",
    "button": "#2c2f37", "highlight": "#8b72ff", "highlight_text": "#ffffff", "mid": "#3a3e47",
    "dark": "#0f1013", "muted": "#9ba1ad", "card": "#24272e", "border": "#363a43",
    "warn": "#f5a524", "warn_bg": "#3a2e17", "good": "#4ade80", "bad": "#f87171", "link": "#a898ff",
}

_current: dict[str, str] = dict(LIGHT)
_platform_dark: bool | None = None  # judged once, before our own palette replaces the platform's


def colors() -> dict[str, str]:
    """The palette in use, for widgets that paint themselves (charts)."""
    return _current


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    # Older desktops do not report a scheme: judge by the platform's default window colour.
    global _platform_dark
    if _platform_dark is None:
        _platform_dark = QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
    return _platform_dark


def build_palette(c: dict[str, str]) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, key in (
        (role.Window, "window"), (role.WindowText, "text"), (role.Base, "base"), (role.AlternateBase, "alt_base"),
        (role.Text, "text"), (role.Button, "button"), (role.ButtonText, "text"), (role.Highlight, "highlight"),
        (role.HighlightedText, "highlight_text"), (role.Mid, "mid"), (role.Dark, "dark"), (role.Link, "link"),
        (role.ToolTipBase, "card"), (role.ToolTipText, "text"), (role.PlaceholderText, "muted"),
        (role.Light, "card"), (role.Midlight, "border"), (role.Shadow, "dark"),
    ):
        p.setColor(r, QColor(c[key]))
    disabled = QColor(c["muted"])
    disabled.setAlpha(150)
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return p


def style_sheet(c: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: c.get(m.group(1), m.group(0)), style_template())


def apply_theme(app: QApplication, choice: str = "system") -> str:
    """Apply "system", "light" or "dark"; returns the scheme used ("light" or "dark")."""
    dark = system_prefers_dark() if choice == "system" else choice == "dark"
    _current.clear()
    _current.update(DARK if dark else LIGHT)
    app.setStyle("Fusion")
    app.setPalette(build_palette(_current))
    app.setStyleSheet(style_sheet(_current))
    return "dark" if dark else "light"
