"""What the app remembers between sessions (QSettings): window geometry, the user's choices,
where runs go, the theme, and a run that was still training when the app closed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

if TYPE_CHECKING:  # presets import the core's config; the Explore page (and the Player) need neither
    from ganstudio.app.presets import TrainingChoices

ORGANIZATION = "GAN Studio"
APPLICATION = "GAN Studio"
THEMES = ("system", "light", "dark")


def default_runs_dir() -> Path:
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / "GAN Studio runs"


class Settings:
    """Typed access to QSettings. Structured values are stored as JSON text, which reads back the
    same on every platform (QSettings' own variant types do not)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    # ---- plain values ------------------------------------------------------------------

    def _get_json(self, key: str, default: Any) -> Any:
        raw = self.store.value(key)
        if raw is None:
            return default
        try:
            return json.loads(str(raw))
        except ValueError:
            return default

    def _set_json(self, key: str, value: Any) -> None:
        self.store.setValue(key, json.dumps(value))

    @property
    def runs_dir(self) -> Path:
        value = self.store.value("runs_dir")
        return Path(str(value)) if value else default_runs_dir()

    @runs_dir.setter
    def runs_dir(self, path: Path) -> None:
        self.store.setValue("runs_dir", str(path))

    @property
    def theme(self) -> str:
        value = str(self.store.value("theme", "system"))
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self.store.setValue("theme", value)

    @property
    def last_folder(self) -> str:
        return str(self.store.value("last_folder", "") or "")

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self.store.setValue("last_folder", value)

    @property
    def choices(self) -> TrainingChoices:
        from ganstudio.app.presets import TrainingChoices

        return TrainingChoices.from_dict(self._get_json("choices", {}))

    @choices.setter
    def choices(self, value: TrainingChoices) -> None:
        self._set_json("choices", value.to_dict())

    # ---- explore ---------------------------------------------------------------------------

    @property
    def last_model(self) -> Path | None:
        """The generator last opened on the Explore page."""
        value = self.store.value("explore/last_model")
        return Path(str(value)) if value else None

    @last_model.setter
    def last_model(self, path: Path | None) -> None:
        if path is None:
            self.store.remove("explore/last_model")
        else:
            self.store.setValue("explore/last_model", str(path))

    @property
    def explore_psi(self) -> float:
        try:
            value = float(self.store.value("explore/psi", 1.0))
        except (TypeError, ValueError):
            return 1.0
        return value if 0.0 <= value <= 1.5 else 1.0

    @explore_psi.setter
    def explore_psi(self, value: float) -> None:
        self.store.setValue("explore/psi", float(value))

    def favourites(self, model: Path) -> list[dict]:
        """The recipes kept in Explore for this model file (plain dicts, see Recipe.to_dict)."""
        kept = self._get_json("explore/favourites", {})
        recipes = kept.get(str(Path(model).resolve()), []) if isinstance(kept, dict) else []
        return recipes if isinstance(recipes, list) else []

    def set_favourites(self, model: Path, recipes: list[dict]) -> None:
        kept = self._get_json("explore/favourites", {})
        kept = kept if isinstance(kept, dict) else {}
        key = str(Path(model).resolve())
        if recipes:
            kept[key] = recipes
        else:
            kept.pop(key, None)
        self._set_json("explore/favourites", kept)

    # ---- runs ----------------------------------------------------------------------------

    @property
    def interrupted_run(self) -> Path | None:
        """A run that was training when the app last closed (or crashed): offered for resuming."""
        value = self.store.value("interrupted_run")
        return Path(str(value)) if value else None

    @interrupted_run.setter
    def interrupted_run(self, path: Path | None) -> None:
        if path is None:
            self.store.remove("interrupted_run")
        else:
            self.store.setValue("interrupted_run", str(path))

    def take_recent_runs(self) -> list[Path]:
        """Runs opened from outside the runs folder as earlier versions kept them here, newest first,
        and forgotten here: the core's list of known runs holds them now."""
        paths = [Path(p) for p in self._get_json("recent_runs", []) if isinstance(p, str)]
        self.store.remove("recent_runs")
        return paths

    # ---- window --------------------------------------------------------------------------

    def geometry(self, key: str) -> QByteArray | None:
        value = self.store.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, key: str, value: QByteArray) -> None:
        self.store.setValue(f"window/{key}", value)

    def sync(self) -> None:
        self.store.sync()
