"""What the installers rely on, without building them (CI builds the Player and runs its
--self-test in a step of its own; see build/build.py): the self-test passes from source with
torch unimportable, and the ICU data trimming keeps a valid package."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build"))

import icu  # noqa: E402


@pytest.mark.slow
def test_the_player_self_test_passes_without_torch():
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch" or name.startswith("ganstudio.core"):
                    raise ImportError(f"{name} is not in the Player")
        sys.meta_path.insert(0, Block())
        from ganstudio.selftest import run_self_test
        sys.exit(run_self_test("player"))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    generate" in done.stdout and "ok    window" in done.stdout and "WINDOW_SHOWN" in done.stdout


def item(payload: bytes) -> bytes:
    return payload + b"\0" * (-len(payload) % 16)


def test_icu_package_is_rebuilt_with_only_the_items_kept():
    header = struct.pack("<HBB", 32, 0xDA, 0x27) + b"\0" * 8 + b"CmnD" + b"\0" * 16
    names = ["icudt73l/coll/de.res", "icudt73l/coll/root.res", "icudt73l/de.res", "icudt73l/en.res",
             "icudt73l/ibm-1047_P100-1995.cnv", "icudt73l/uprops.icu"]
    payloads = {n: item(n.encode() * 3) for n in names}
    package = icu.write_package(header, [(n, payloads[n]) for n in names])
    read_header, items = icu.read_package(package)
    assert read_header == header and [n for n, _ in items] == names
    assert all(data == payloads[n] for n, data in items)  # round trip
    kept = [(n, d) for n, d in items if icu.keep(n.split("/", 1)[1])]
    assert [n for n, _ in kept] == ["icudt73l/coll/root.res", "icudt73l/en.res", "icudt73l/uprops.icu"]
    _, again = icu.read_package(icu.write_package(header, kept))
    assert again == kept
