"""Message dialogs in one place: what happened, what to do, and details for a bug report.

Every dialog is a QMessageBox run with exec(), so tests can replace QMessageBox.exec."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ganstudio.app.errors import AppError

Button = QMessageBox.StandardButton


def _run(box: QMessageBox) -> Button:
    return Button(box.exec())


def show_error(parent: QWidget | None, error: AppError) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, error.title, error.what, Button.Ok, parent)
    box.setInformativeText(error.todo)
    if error.details:
        box.setDetailedText(error.details)
    _run(box)


def show_info(parent: QWidget | None, title: str, text: str, informative: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, Button.Ok, parent)
    if informative:
        box.setInformativeText(informative)
    _run(box)


def offer(parent: QWidget | None, title: str, text: str, informative: str, action: str) -> bool:
    """News with one natural next step (Open in Explore); True when the user takes it."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, Button.Open | Button.Close, parent)
    box.setInformativeText(informative)
    box.button(Button.Open).setText(action)
    box.setDefaultButton(Button.Open)
    return _run(box) == Button.Open


def confirm(parent: QWidget | None, title: str, text: str, informative: str, yes: str, no: str = "Cancel") -> bool:
    """A question with two named answers; True for `yes`."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, Button.Yes | Button.Cancel, parent)
    box.setInformativeText(informative)
    box.button(Button.Yes).setText(yes)
    box.button(Button.Cancel).setText(no)
    box.setDefaultButton(Button.Yes)
    return _run(box) == Button.Yes
