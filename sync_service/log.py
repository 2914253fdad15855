"""What the service says, through ``logging``: the logger ``crm_sync``.

A run's events (``Job.log``: page, done, failed, ...) are records carrying
``event`` and ``values``; the command's messages are plain records. On a
terminal the events draw a progress line (``TerminalProgress``); anywhere else
each event is a JSON line ``{"time", "event", ...values}``. Messages read
``crm-sync: <message>`` either way. ``-v`` shows debug records, ``-q`` only
warnings and errors.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

LOGGER = logging.getLogger("crm_sync")


class TerminalProgress:
    """What a person at a terminal sees: one line per job, redrawn as its
    pages go by (a bar when the source knows how far it is), then a line per
    event that matters."""

    width = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.line_open = False

    def show(self, event: str, values: dict[str, Any]) -> None:
        values = dict(values)
        name = values.pop("source", None) or values.pop("target", None) or ""
        progress = values.pop("progress", None)
        values.pop("bookmark", None)
        counts = " ".join(f"{key}={value}" for key, value in values.items())
        if event != "page":
            self.say(f"{name}: {event} {counts}")
            return
        bar = ""
        if progress and progress[1]:
            done, total = progress
            filled = round(self.width * min(done, total) / total)
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} "
        self.stream.write(f"\r\x1b[K{name} {bar}{counts}")
        self.stream.flush()
        self.line_open = True

    def say(self, line: str) -> None:
        """A line of its own, after the progress line if one is open."""
        self._end_line()
        print(line, file=self.stream, flush=True)

    def _end_line(self) -> None:
        if self.line_open:
            self.stream.write("\n")
            self.line_open = False


class JsonLinesFormatter(logging.Formatter):
    """An event as one JSON line; a message as ``crm-sync: <message>``."""

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "event", None)
        if event is None:
            text = f"crm-sync: {record.getMessage()}"
            if record.exc_info:
                text += "\n" + self.formatException(record.exc_info)
            return text
        values = getattr(record, "values", {})
        return json.dumps(
            {"time": record.created, "event": event, **values}, default=str
        )


class ConsoleHandler(logging.Handler):
    """Writes to ``sys.stderr`` as it is at each record (a redirect, a test's
    capture): a progress line when it is a terminal, JSON lines otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLinesFormatter())
        self._progress: TerminalProgress | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            if not stream.isatty():
                print(self.format(record), file=stream, flush=True)
                return
            if self._progress is None or self._progress.stream is not stream:
                self._progress = TerminalProgress(stream)
            event = getattr(record, "event", None)
            if event is None:
                self._progress.say(self.format(record))
            else:
                self._progress.show(event, getattr(record, "values", {}))
        except Exception:  # noqa: BLE001 - logging's own rule: never raise
            self.handleError(record)


def setup(verbosity: int | None = None) -> logging.Logger:
    """The ``crm_sync`` logger with its console handler (once); a verbosity
    of -1 (``-q``) keeps warnings and errors, 1 (``-v``) adds debug."""
    if not any(isinstance(h, ConsoleHandler) for h in LOGGER.handlers):
        LOGGER.addHandler(ConsoleHandler())
        LOGGER.propagate = False
    if verbosity is not None:
        LOGGER.setLevel(
            logging.WARNING
            if verbosity < 0
            else logging.DEBUG
            if verbosity > 0
            else logging.INFO
        )
    elif LOGGER.level == logging.NOTSET:
        LOGGER.setLevel(logging.INFO)
    return LOGGER


def event(name: str, **values: Any) -> None:
    """One event of a run (see the module's docstring)."""
    setup().info("%s", name, extra={"event": name, "values": values})
