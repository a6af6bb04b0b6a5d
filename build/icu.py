"""Trim Qt's ICU data library for the Linux bundles: 32 MB -> 7 MB.

PySide6's Linux wheels ship ICU, whose data library (libicudata.so.NN, one symbol icudtNN_dat
holding an ICU "common data" package) carries every locale's names, currencies, collations,
transliterators and ~250 legacy character converters. The apps show English text and read
UTF-8, and Qt formats numbers and dates with its own locale tables, so the package is rebuilt
with: ICU's core tables (*.icu, *.nrm: properties, case, normalisation), the root and English
bundles, break-iteration rules and dictionaries (text layout), and the root collation. Nothing
else is changed: the library keeps its name and symbol, and ICU reports any missing item as an
ordinary "not found", which Qt handles.

The package format (ICU's ucmndata.h): a data header, then a table of contents (count, then
count x {name offset, data offset} from the table's start), the item names, and the items, each
16-byte aligned. Rebuilt here in Python so that the build needs no ICU tools; gcc wraps the
result back into a shared library.
"""

from __future__ import annotations

import re
import struct
import subprocess
import tempfile
from pathlib import Path

LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
KEPT_BUNDLES = {"root.res", "en.res", "en_US.res", "en_GB.res", "en_001.res", "res_index.res", "pool.res"}
TREES_WITH_ROOT_ONLY = {"curr", "lang", "region", "zone", "unit", "coll"}


def keep(name: str) -> bool:
    """name without the package prefix, e.g. 'coll/root.res', 'uprops.icu', 'ibm-1047_P100-1995.cnv'."""
    parts = name.split("/")
    leaf = parts[-1]
    if len(parts) == 1:
        if leaf.endswith((".cnv", ".cfu")):  # legacy converters, spoofing tables
            return False
        return not (leaf.endswith(".res") and LOCALE.match(leaf) and leaf not in KEPT_BUNDLES)
    tree = parts[0]
    if tree == "brkitr":
        return True
    if tree in TREES_WITH_ROOT_ONLY:
        return leaf in KEPT_BUNDLES or leaf == "ucadata.icu"
    return False  # rbnf, translit


def read_package(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    header_size = struct.unpack_from("<H", data, 0)[0]
    if data[2:4] != b"\xda\x27":
        raise ValueError("not an ICU data package")
    fmt = data[12:16]  # UDataInfo.dataFormat
    if fmt != b"CmnD":
        raise ValueError(f"not an ICU common data package (format {fmt!r})")
    toc = header_size
    (count,) = struct.unpack_from("<I", data, toc)
    entries = [struct.unpack_from("<II", data, toc + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_off, data_off) in enumerate(entries):
        end_name = data.index(b"\0", toc + name_off)
        name = data[toc + name_off : end_name].decode("ascii")
        start = toc + data_off
        end = toc + entries[i + 1][1] if i + 1 < count else len(data)
        items.append((name, data[start:end]))
    return data[:header_size], items


def write_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    toc_size = 4 + 8 * len(items)
    names_end = toc_size + len(names)
    first_data = (names_end + 15) // 16 * 16
    offsets, blob, position = [], bytearray(), first_data
    name_pos = toc_size
    for name, item in items:
        offsets.append((name_pos, position))
        name_pos += len(name) + 1
        padded = item + b"\0" * (-len(item) % 16)
        blob += padded
        position += len(padded)
    toc = struct.pack("<I", len(items)) + b"".join(struct.pack("<II", n, d) for n, d in offsets)
    return header + toc + names + b"\0" * (first_data - names_end) + bytes(blob)


def trim_library(library: Path) -> tuple[int, int]:
    """Rewrite libicudataNN in place; returns (bytes before, bytes after)."""
    symbol = re.search(r"icudt\d+", subprocess.run(["nm", "-D", str(library)], capture_output=True, text=True, check=True).stdout)
    if symbol is None:
        raise ValueError(f"{library}: no icudtNN_dat symbol")
    with tempfile.TemporaryDirectory() as tmp:
        dat = Path(tmp) / "icu.dat"
        subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", str(library), str(dat)], check=True)
        header, items = read_package(dat.read_bytes())
        prefix = items[0][0].split("/", 1)[0] + "/"
        kept = [(name, item) for name, item in items if keep(name.removeprefix(prefix))]
        dat.write_bytes(write_package(header, kept))
        source = Path(tmp) / "icudata.S"
        source.write_text(
            f"    .section .rodata\n    .global {symbol.group(0)}_dat\n    .type {symbol.group(0)}_dat, @object\n"
            f"    .balign 16\n{symbol.group(0)}_dat:\n    .incbin \"{dat}\"\n    .size {symbol.group(0)}_dat, .-{symbol.group(0)}_dat\n"
            "    .section .note.GNU-stack,\"\",@progbits\n"
        )
        out = Path(tmp) / library.name
        subprocess.run(["gcc", "-shared", "-nostdlib", "-o", str(out), f"-Wl,-soname,{library.name}", str(source)], check=True)
        before = library.stat().st_size
        library.write_bytes(out.read_bytes())
        return before, library.stat().st_size
