"""Keep None, True and False alive whatever a binding does to their reference counts.

PySide6 6.12 on Python 3.10/3.11 returns None from every void Qt call (widget.update(),
label.setText(), slider.setValue()) and True from Signal.emit() without taking a new reference:
harmless on Python 3.12+, where these objects are immortal, but on 3.11 each call drops one
reference for good. Measured here: about 22 references to None per slider move on the Explore
page, so after a few hundred moves None's count reached zero and the interpreter aborted
("Fatal Python error: none_dealloc: deallocating None").

Python 3.12 fixed this class of bug by making them immortal; this does the same on older
versions by adding a count too large to ever run down (2**40), once, at app import."""

from __future__ import annotations

import ctypes
import sys

PINNED = 1 << 40
_pinned = False


def pin() -> bool:
    """Pin None, True and False on CPython < 3.12 (release builds); True if it did."""
    global _pinned
    if _pinned or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if hasattr(sys, "gettotalrefcount"):  # a debug build: the count is not the object's first field
        return False
    for obj in (None, True, False):
        before = sys.getrefcount(obj)
        field = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt, PyObject's first field
        field.value += PINNED
        if abs(sys.getrefcount(obj) - before - PINNED) > 1000:  # not where expected: undo, change nothing
            field.value -= PINNED
            return False
    _pinned = True
    return True
