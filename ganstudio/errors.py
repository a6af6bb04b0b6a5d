"""The base of every error meant for the user. Lives above core and infer so both can share it."""


class GanStudioError(Exception):
    """An error whose message is meant for the user, not a traceback: it names the file and the fix."""
