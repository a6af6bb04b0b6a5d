"""Undo and redo for Explore: the enlarged image's recipes, one step per gesture, and the removals
from the favourites strip, in the order the user made them. Plain Python (no Qt), so the page's
tests and its own can drive it without a window."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ganstudio.infer.recipe import Recipe

COALESCE_S = 0.6  # changes of one kind closer than this are one step: a drag, held arrow keys
LIMIT = 200
FAVOURITES = "favourites"  # an entry that stands for "the favourites strip's last removal"


@dataclass(frozen=True)
class Entry:
    kind: str  # what changed: "seed", "psi", "amounts", ... or FAVOURITES
    recipe: Recipe | None  # the recipe before the change (None for FAVOURITES)


class History:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._undo: list[Entry] = []
        self._redo: list[Recipe] = []
        self._last: tuple[str, float] | None = None  # kind and time of the newest recorded change

    def record(self, kind: str, before: Recipe | None) -> None:
        """A change of `kind` is about to replace `before`. Redo is forgotten, as in any editor."""
        now = self._clock()
        same_gesture = self._last is not None and self._last[0] == kind and now - self._last[1] < COALESCE_S
        self._last = (kind, now)
        if kind != FAVOURITES and before is None:
            return
        self._redo.clear()
        if not same_gesture:
            self._undo.append(Entry(kind, before))
            del self._undo[:-LIMIT]

    def undo(self, current: Recipe | None) -> Entry | None:
        """The entry to go back to; a recipe's step can be redone to `current`."""
        if not self._undo:
            return None
        self._last = None  # the next change starts a step of its own
        entry = self._undo.pop()
        if entry.kind != FAVOURITES and current is not None:
            self._redo.append(current)
        return entry

    def redo(self, current: Recipe | None) -> Recipe | None:
        if not self._redo:
            return None
        self._last = None
        if current is not None:
            self._undo.append(Entry("redo", current))
        return self._redo.pop()

    def drop_last(self, kind: str) -> None:
        """Forget the newest entry of `kind` (it was undone by other means: the strip's own button)."""
        for i in range(len(self._undo) - 1, -1, -1):
            if self._undo[i].kind == kind:
                del self._undo[i]
                return

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._last = None
