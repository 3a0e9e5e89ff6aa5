"""Log lines: one event, one line, so a log reader (or `grep`) never splits an event."""

import logging


class OneLineFormatter(logging.Formatter):
    """The standard format, with the newlines of messages and tracebacks written as `\\n`."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")
