"""Explore's undo history without a window: one step per gesture, redo forgotten by a new change,
favourites removals in the order they happened."""

from __future__ import annotations

from ganstudio.app.explore.history import COALESCE_S, FAVOURITES, History
from ganstudio.infer.recipe import Recipe


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_drag_is_one_step_and_a_pause_starts_another():
    clock = Clock()
    history = History(clock)
    start = Recipe(3)
    history.record("amounts", start)  # the drag's first move
    for _ in range(20):  # ... and the rest of it, each a moment after the last
        clock.now += COALESCE_S / 4
        history.record("amounts", Recipe(3, amounts=(clock.now,)))
    clock.now += COALESCE_S * 2
    middle = Recipe(3, amounts=(1.0,))
    history.record("amounts", middle)  # a second drag
    assert history.undo(Recipe(3, amounts=(2.0,))).recipe == middle
    assert history.undo(middle).recipe == start
    assert history.undo(start) is None and not history.can_undo()


def test_different_changes_in_quick_succession_are_separate_steps():
    history = History(Clock())
    history.record("seed", Recipe(0))
    history.record("psi", Recipe(5))
    assert history.undo(Recipe(5, psi=0.7)).recipe == Recipe(5)
    assert history.undo(Recipe(5)).recipe == Recipe(0)


def test_redo_goes_forward_again_until_something_new_is_done():
    history = History(Clock())
    history.record("seed", Recipe(0))
    assert history.undo(Recipe(1)).recipe == Recipe(0)
    assert history.can_redo()
    assert history.redo(Recipe(0)) == Recipe(1)
    assert history.undo(Recipe(1)).recipe == Recipe(0)  # and back again
    history.record("seed", Recipe(0))  # a new change: the undone branch is gone
    assert not history.can_redo() and history.redo(Recipe(2)) is None


def test_favourites_removals_take_their_place_in_the_order():
    history = History(Clock())
    history.record("seed", Recipe(0))
    history.record(FAVOURITES, None)
    history.record(FAVOURITES, None)  # a second Remove right after: still its own step
    history.record("seed", Recipe(1))
    assert history.undo(Recipe(2)).recipe == Recipe(1)
    assert history.undo(Recipe(1)).kind == FAVOURITES
    history.drop_last(FAVOURITES)  # the strip's own Undo remove button put the other back
    assert history.undo(Recipe(1)).recipe == Recipe(0)
    assert not history.can_undo()
