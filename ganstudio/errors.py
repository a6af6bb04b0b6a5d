"""The base of every error meant for the user. Lives above core and infer so both can share it."""


class GanStudioError(Exception):
    """An error whose message is meant for the user, not a traceback: it names the file and the fix."""


class Cancelled(GanStudioError):
    """The user stopped a piece of work (Cancel, Esc): it ends quietly and what it wrote stays.

    The one such exception in every layer, so work started anywhere (the Player's upscaler, a
    background task's report, an Explore job) is stopped and recognised the same way."""
