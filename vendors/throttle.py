"""Warnings about a fault that lasts, logged once a minute rather than once per request."""

import logging
import time
from collections.abc import Hashable

EVERY_SECONDS = 60


class ThrottledWarnings:
    """Logs each kind of warning (its key) at most once a minute, so a lasting fault (the database away, the
    search index unreadable, the page cache's folder failing) does not flood the log, and one repeated
    warning does not hide another."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger
        self.warned_at: dict[Hashable, float] = {}

    def warning(self, key: Hashable, message: str, *args, exc_info: bool = False) -> None:
        now = time.monotonic()
        if now - self.warned_at.get(key, -EVERY_SECONDS) >= EVERY_SECONDS:
            self.warned_at[key] = now
            self.logger.warning(message, *map(_on_one_line, args), exc_info=exc_info)


def _on_one_line(argument):
    """An error or text as one line: a log line per warning (a database driver's message runs over several,
    psycopg's "connection failed: ..." with a hint on the next)."""
    if isinstance(argument, BaseException | str) and "\n" in str(argument):
        return " ".join(str(argument).split())
    return argument
