"""Errors a user can act on: each message names the file and what is wrong."""

from ganstudio.errors import GanStudioError

__all__ = ["GanStudioError", "DataError", "CheckpointError", "TrainingError", "ExportError", "ConfigError", "GanStudioWarning"]


class DataError(GanStudioError):
    """The image folder cannot be used (missing, empty, nothing decodable)."""


class CheckpointError(GanStudioError):
    """A run folder or checkpoint cannot be read or written."""


class TrainingError(GanStudioError):
    """Training cannot go on (e.g. losses stay NaN after every rollback)."""


class ExportError(GanStudioError):
    """A generator cannot be exported, or its export does not match the torch model."""


class ConfigError(GanStudioError):
    """A configuration the user wrote names a setting this version does not know, or gives one a
    value of the wrong type. The message names the key; the caller adds the file."""


class GanStudioWarning(UserWarning):
    """A problem worth telling the user about that does not stop the work."""
