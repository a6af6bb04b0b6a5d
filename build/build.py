"""Build the installers: one-folder apps made by PyInstaller, an archive of each, sizes reported,
and each app's --self-test run on what was built.

    python build/build.py player            # the torch-free Player (built in its own venv)
    python build/build.py studio            # the whole app, torch included (this environment)
    python build/build.py all

The Player is built in build/out/venv-player, made on first use with the CPU onnxruntime and no
torch, so that the bundle holds exactly what the Player needs; the build then checks that no
torch file is inside. The Studio is built from the environment that runs this script (torch and,
on Linux x86_64 and Windows, onnxruntime-gpu: the CUDA variant; CUDA's own libraries are not
bundled, onnxruntime loads them from the system's CUDA and falls back to the CPU).
Outputs: dist/ganstudio-<kind>/ and dist/ganstudio-<kind>-<version>-<platform>.tar.gz (.zip on Windows).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle  # noqa: E402
import icu  # noqa: E402

DIST = bundle.ROOT / "dist"
PLAYER_VENV = bundle.OUT / "venv-player"
# What the Player's environment holds: the inference layer's and the window's needs, nothing else.
PLAYER_REQUIREMENTS = ["onnxruntime>=1.17", "pyside6-essentials>=6.6", "numpy", "pillow", "tqdm", "platformdirs>=3.0",
                       "pyinstaller>=6.0"]


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def player_python() -> Path:
    python = venv_python(PLAYER_VENV)
    if not python.exists():
        log(f"making the Player's build environment in {PLAYER_VENV} (no torch, CPU onnxruntime)")
        venv.create(PLAYER_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PLAYER_REQUIREMENTS], check=True)
    return python


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def largest(path: Path, count: int = 8) -> list[tuple[int, str]]:
    """The biggest top-level items under _internal: where the megabytes go."""
    internal = path / "_internal"
    items = [(folder_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in internal.iterdir() if not p.is_symlink()]
    return sorted(items, reverse=True)[:count]


def build(kind: str) -> Path:
    python = player_python() if kind == "player" else Path(sys.executable)
    target = DIST / bundle.bundle_name(kind)
    log(f"building the {kind} with {python}")
    start = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "PyInstaller", str(bundle.ROOT / "build" / f"{kind}.spec"), "--noconfirm", "--clean",
         "--log-level", "WARN", "--distpath", str(DIST), "--workpath", str(bundle.OUT / f"work-{kind}")],
        check=True, cwd=bundle.ROOT,
    )
    before = folder_size(target)
    for relative in bundle.PRUNE:
        path = target / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    prune_unneeded_libraries(target)
    strip_interpreter(target)
    for library in target.glob("_internal/PySide6/Qt/lib/libicudata.so.*"):
        if not library.is_symlink():
            was, now = icu.trim_library(library)
            log(f"ICU data trimmed to what the apps use: {was / 1e6:.0f} MB -> {now / 1e6:.0f} MB")
    after = folder_size(target)
    log(f"{kind}: built in {time.perf_counter() - start:.0f} s; {after / 1e6:.0f} MB unpacked "
        f"({(before - after) / 1e6:.0f} MB pruned: translations, unused Qt plugins, debug symbols, ICU data)")
    for size, name in largest(target):
        log(f"    {size / 1e6:7.1f} MB  {name}")
    if kind == "player":
        assert_no_torch(target)
    return target


def needed_libraries(binary: Path) -> list[str]:
    """The DT_NEEDED entries of an ELF file (readelf from binutils)."""
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def prune_unneeded_libraries(target: Path) -> None:
    """Drop system libraries at the top of _internal that no remaining binary needs any more (those
    collected for plugins pruned above). Linux only; libraries opened with dlopen are never
    collected by PyInstaller in the first place, so the DT_NEEDED graph is the whole story."""
    if not sys.platform.startswith("linux") or shutil.which("readelf") is None:
        return
    internal = target / "_internal"
    top = {p.name: p for p in internal.iterdir() if ".so" in p.name}
    queue = [executable(target)] + [p for p in internal.rglob("*.so*") if p.parent != internal and p.is_file() and not p.is_symlink()]
    queue += [p for p in top.values() if p.name.startswith("libpython")]
    needed: set[str] = set()
    while queue:
        for name in needed_libraries(queue.pop()):
            if name in top and name not in needed:
                needed.add(name)
                queue.append(top[name].resolve())
    for name, path in top.items():
        if name not in needed and not name.startswith("libpython"):
            path.unlink()


def strip_interpreter(target: Path) -> None:
    tool = shutil.which("strip")
    if not sys.platform.startswith("linux") or tool is None:
        return
    for pattern in bundle.STRIP:
        for path in target.glob(pattern):
            if path.is_file() and not path.is_symlink():
                subprocess.run([tool, "--strip-unneeded", str(path)], check=True)


def assert_no_torch(target: Path) -> None:
    found = [p for p in target.rglob("*") if p.name in ("torch", "libtorch_cpu.so", "torch_cpu.dll", "libtorch.so")]
    if found:
        raise SystemExit(f"the Player must not contain torch, but holds {found[0]}")
    log("player: no torch inside (checked)")


def executable(target: Path) -> Path:
    return target / (target.name + (".exe" if sys.platform == "win32" else ""))


def self_test(target: Path) -> float:
    """Run the built app's --self-test offscreen; returns the cold start to window shown, seconds."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GANSTUDIO_CACHE_DIR": str(bundle.OUT / "selftest-cache")}
    env.pop("PYTHONPATH", None)
    start = time.time()
    done = subprocess.run([str(executable(target)), "--self-test"], capture_output=True, text=True, env=env, timeout=300)
    print(done.stdout + done.stderr, end="", flush=True)
    if done.returncode:
        raise SystemExit(f"{target.name} --self-test failed (exit code {done.returncode})")
    shown = [float(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("WINDOW_SHOWN")]
    cold_start = shown[0] - start if shown else float("nan")
    log(f"{target.name}: self-test passed; cold start to window shown {cold_start:.2f} s")
    return cold_start


def archive(target: Path) -> Path:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    base = DIST / f"{target.name}-{bundle.version()}-{system}-{platform.machine().lower()}"
    path = Path(shutil.make_archive(str(base), "zip" if sys.platform == "win32" else "gztar", DIST, target.name))
    log(f"archive {path.name}: {path.stat().st_size / 1e6:.0f} MB")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("player", "studio", "all"))
    parser.add_argument("--no-archive", dest="archive", action="store_false", help="skip the .tar.gz/.zip")
    parser.add_argument("--no-self-test", dest="self_test", action="store_false", help="skip running --self-test")
    args = parser.parse_args()
    for kind in ("player", "studio") if args.kind == "all" else (args.kind,):
        target = build(kind)
        if args.self_test:
            self_test(target)
        if args.archive:
            archive(target)


if __name__ == "__main__":
    main()
