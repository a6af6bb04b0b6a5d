"""The X11 libraries Qt's xcb platform plugin needs and a minimal Linux desktop may lack. Without
them Qt aborts (SIGABRT, a core dump) before any window opens; checked first, the user is told
which Debian/Ubuntu packages to install instead. Qt-free: it runs before Qt loads."""

from __future__ import annotations

import ctypes
import os
import sys

from ganstudio.errors import GanStudioError

# The library the plugin loads -> the Debian/Ubuntu package that holds it (Debian 12 lacks these).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


class MissingQtLibraries(GanStudioError):
    pass


def _uses_xcb() -> bool:
    """Whether Qt will pick its X11 (xcb) plugin here: Linux, and no other platform asked for."""
    if not sys.platform.startswith("linux"):
        return False
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    return not (os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland")


def missing_packages() -> list[str]:
    """The packages to install before the app can open its window ([] when nothing is missing)."""
    if not _uses_xcb():
        return []
    missing = []
    for library, package in XCB_LIBRARIES.items():
        try:
            ctypes.CDLL(library)  # the same search the plugin's loader does
        except OSError:
            missing.append(package)
    return missing


def check_qt_libraries() -> None:
    """Raise MissingQtLibraries, naming the packages, where Qt would abort for want of them."""
    missing = missing_packages()
    if missing:
        raise MissingQtLibraries(
            f"the window cannot open: Qt's X11 support needs {', '.join(missing)}, which this system lacks. "
            f"On Debian or Ubuntu: sudo apt-get install {' '.join(XCB_LIBRARIES.values())} "
            "(the `ganstudio` commands such as train and generate work without them)"
        )
