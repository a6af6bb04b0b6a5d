"""Errors a user can act on: each message names the file and what is wrong."""


class GanStudioError(Exception):
    """Base of every error whose message is meant for the user, not a traceback."""


class DataError(GanStudioError):
    """The image folder cannot be used (missing, empty, nothing decodable)."""


class CheckpointError(GanStudioError):
    """A run folder or checkpoint cannot be read or written."""


class TrainingError(GanStudioError):
    """Training cannot go on (e.g. losses stay NaN after every rollback)."""


class GanStudioWarning(UserWarning):
    """A problem worth telling the user about that does not stop the work."""
