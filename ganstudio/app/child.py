"""A `ganstudio` command in a child process (an export, a run on several GPUs): started the same
way as the user would type it, its output read as lines and kept for the error message.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QProcess

from ganstudio.core.training.launch import ganstudio_command

ERROR_PREFIX = "error:"  # how the CLI words what went wrong (cli.main)
KEEP_CHARS = 4000  # enough of the tail to show in an error's details


class ChildProcess(QProcess):
    """A QProcess for a `ganstudio` command, stdout and stderr merged, whose output is read with
    `read_lines()` and kept (the last KEEP_CHARS) in `output`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.output = ""
        self._pending = ""  # a line not yet ended
        self.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)

    def start_ganstudio(self, arguments: list[str]) -> None:
        """Run `ganstudio ARGUMENTS` as this installation spells it (a script, or the packaged app)."""
        program, *prefix = ganstudio_command()
        self.start(program, [*prefix, *arguments])

    def read_lines(self) -> list[str]:
        """The lines the child completed since the last call (call on readyReadStandardOutput)."""
        text = self._pending + bytes(self.readAllStandardOutput()).decode("utf-8", "replace")
        *lines, self._pending = text.split("\n")
        self.output = (self.output + "".join(line + "\n" for line in lines))[-KEEP_CHARS:]
        return lines

    def read_rest(self) -> list[str]:
        """After the child exited: what is left, the last line too even if it did not end."""
        lines = self.read_lines()
        if self._pending:
            lines.append(self._pending)
            self.output = (self.output + self._pending)[-KEEP_CHARS:]
            self._pending = ""
        return lines

    def said(self) -> str:
        """The CLI's own words for what went wrong (its last "error: ..." line), or ""."""
        lines = self._lines()
        return next((line[len(ERROR_PREFIX) :].strip() for line in reversed(lines) if line.startswith(ERROR_PREFIX)), "")

    def last_line(self) -> str:
        lines = self._lines()
        return lines[-1] if lines else ""

    def _lines(self) -> list[str]:
        return [line.strip() for line in self.output.splitlines() if line.strip()]
