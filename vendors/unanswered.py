"""A PostgreSQL that takes statements and never answers them is given up on, so a request meets the outage's
503 within seconds rather than holding its worker until gunicorn's timeout kills it.

A server whose process is stopped or stuck (its storage hung, a SIGSTOP) still has a kernel that accepts
connections and acknowledges what is sent, so neither connect_timeout nor tcp_user_timeout notices, and
libpq has no time limit of its own on an answer. So every cursor of the site's PostgreSQL connections
(psycopg's cursor_factory: vendors.database.engine_options) is watched while it executes for a request. A
thread of each process shuts the socket of a statement still waiting after UNANSWERED_SECONDS: libpq reads
the end of the stream, psycopg raises OperationalError, the pool drops the connection, and vendors.health
answers the 503. For as long again, statements for requests then fail at once rather than wait too, so the
pages that need the database answer their 503 at once and the estimator keeps its workers; the first
statement after that finds out whether the database is back. The health check gives up sooner on its
statements and connection attempts (giving_up_after), since a load balancer waits only a few seconds.

Commands (an import, an index rebuild) are not watched: they hold no worker, and may run long statements.
"""

import itertools
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from flask import has_request_context

from vendors.throttle import ThrottledWarnings

UNANSWERED_SECONDS = 5.0
CHECK_EVERY_SECONDS = 0.1
WHOLE_WAIT = 0.9  # of connect_timeout: a connection attempt that failed this late timed out
NOT_ANSWERING = "the database gave no answer to a recent statement; it is not asked again for a few seconds"

log = logging.getLogger(__name__)
WARNINGS = ThrottledWarnings(log)
# A shorter wait for the statements of one piece of work (the health check's): None is UNANSWERED_SECONDS.
_shorter_wait: ContextVar[float | None] = ContextVar("shorter_wait", default=None)


@contextmanager
def giving_up_after(seconds: float) -> Iterator[None]:
    """Statements run within are given up on after `seconds` rather than UNANSWERED_SECONDS."""
    reset = _shorter_wait.set(seconds)
    try:
        yield
    finally:
        _shorter_wait.reset(reset)


class WatchedCursor(psycopg.Cursor):
    """A cursor whose statements, run for a request, are given up on when the server never answers them."""

    def execute(self, *args, **kwargs):
        if not has_request_context():
            return super().execute(*args, **kwargs)
        with WATCHDOG.watching(self.connection):
            return super().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        if not has_request_context():
            return super().executemany(*args, **kwargs)
        with WATCHDOG.watching(self.connection):
            return super().executemany(*args, **kwargs)


def connect_unless_not_answering(dialect, _record, arguments: list, parameters: dict):
    """SQLAlchemy's do_connect event: a new connection for a request, while the database counts as not
    answering, fails at once too, and one that waited all of connect_timeout for a server that never answered
    makes it count so (a refused one does not: a server that refuses is quick to say so)."""
    if not has_request_context():
        return None  # the dialect connects as usual
    WATCHDOG.check_answering()
    wait = _shorter_wait.get()
    if wait is not None and "connect_timeout" in parameters:  # libpq counts whole seconds, 2 at least
        parameters = {**parameters, "connect_timeout": min(parameters["connect_timeout"], max(2, int(wait)))}
    started = time.monotonic()
    try:
        return dialect.connect(*arguments, **parameters)
    except psycopg.OperationalError:
        if time.monotonic() - started >= parameters.get("connect_timeout", math.inf) * WHOLE_WAIT:
            WATCHDOG.count_as_not_answering()
        raise


class _Watchdog:
    def __init__(self):
        self.lock = threading.Lock()
        # A statement's number -> its deadline, how long it was given, its socket.
        self.waiting: dict[int, tuple[float, float, int]] = {}
        self.numbers = itertools.count()
        self.not_asked_until = 0.0  # monotonic clock
        self.watching_in: int | None = None  # the process whose thread watches

    @contextmanager
    def watching(self, connection: psycopg.Connection) -> Iterator[None]:
        number = next(self.numbers)
        with self.lock:
            now = self.check_answering()
            if self.watching_in != os.getpid():  # the first statement of this process, or of a forked one
                self.watching_in = os.getpid()
                threading.Thread(target=self._watch, name="unanswered statements", daemon=True).start()
            wait = _shorter_wait.get() or UNANSWERED_SECONDS
            self.waiting[number] = (now + wait, wait, connection.fileno())
        try:
            yield
        finally:
            with self.lock:
                # Under the lock: once the statement is done, its socket may close and its number be reused.
                self.waiting.pop(number, None)

    def check_answering(self) -> float:
        """The monotonic clock's time; OperationalError while the database counts as not answering."""
        now = time.monotonic()
        if now < self.not_asked_until:
            raise psycopg.OperationalError(NOT_ANSWERING)
        return now

    def _watch(self) -> None:
        while True:
            time.sleep(CHECK_EVERY_SECONDS)
            now = time.monotonic()
            with self.lock:
                for number, (deadline, wait, fileno) in list(self.waiting.items()):
                    if deadline <= now:
                        del self.waiting[number]
                        self.count_as_not_answering()
                        _cut(fileno, wait)

    def count_as_not_answering(self) -> None:
        self.not_asked_until = time.monotonic() + UNANSWERED_SECONDS


def _cut(fileno: int, wait: float) -> None:
    """Shut the connection's socket both ways: the statement waiting on it reads the end of the stream."""
    WARNINGS.warning(
        "unanswered",
        "the database gave no answer in %s s: the statement's connection was cut",
        wait,
    )
    try:
        with socket.socket(fileno=os.dup(fileno)) as same_socket:
            same_socket.shutdown(socket.SHUT_RDWR)
    except OSError:  # closed meanwhile: nothing is waiting on it any more
        pass


WATCHDOG = _Watchdog()
