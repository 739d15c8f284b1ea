"""Whether a database may have changed since this process last looked, told without a query through the pool.

Every request that shows catalogue data needs the change log's position (vendors.search.log_position): the
page cache and the search caches are keyed by it. On SQLite, `PRAGMA data_version` answers that question
for a fraction of the cost of the query: on a connection that never writes, its value changes exactly when
another connection, of this process or any other, commits to the file (sqlite.org/pragma.html, "PRAGMA
data_version"). So `remembered(engine, read)` runs read() once and gives its answer again until the value
changes. The file's identity (device and inode) and the connection's own identity are part of the signal, so
a database file replaced by another, or a connection opened afresh (after a fork, say), never matches an
answer read before.

On PostgreSQL the database tells: a trigger sends a notice with every transaction that changes the change log
(vendors.catalog.changelog), and a connection of this process's own listens for them, so an answer is given
again until a notice arrives, checked without a round trip. Notices are delivered after the commit, so a
process that commits changes forgets its answers itself (`forget`), and every other process hears within
the moment a notice takes to arrive. As a bound on anything that silences notices unnoticed (a connection
pooler that does not pass them on, a network cut that leaves the connection open), an answer is also read
again at least every REFRESH_SECONDS. A database without the trigger (not yet migrated), one that cannot be
reached, or SQLite in memory has no signal, and read() runs every time; a process listens again only after
a read that worked, so an outage never waits for two connections.

What is remembered must depend only on the change log's tables: on PostgreSQL nothing else sends a notice.
"""

import logging
import os
import select
import sqlite3
import threading
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Protocol, TypeVar
from weakref import WeakKeyDictionary

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from vendors.catalog.changelog import CHANGE_NOTICES, NOTICE_TABLES, NOTICE_TRIGGER
from vendors.database import engine_options
from vendors.throttle import ThrottledWarnings

log = logging.getLogger(__name__)

T = TypeVar("T")
_connections_opened = count(1)
REFRESH_SECONDS = 1.0
LISTEN_RETRY_SECONDS = 5.0
NOT_MIGRATED_RETRY_SECONDS = 60.0
LISTENER_NAME = "vendors change notices"  # its application_name, as the server's pg_stat_activity shows it
_MEANWHILE = "reading the change log on every request meanwhile"
_WARNINGS = ThrottledWarnings(log)


class _Signal(Protocol):
    def signal(self) -> tuple | None:
        """What changes whenever the data read may have: None when it cannot be told."""

    def after_read(self) -> None:
        """Called after a read that worked, when signal() could not tell."""


class _DataVersion:
    """`PRAGMA data_version` of one SQLite file, on a read-only connection of this process's own."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.connection: sqlite3.Connection | None = None
        self.opened_as: tuple = ()  # (process, connection number, device, inode) of `connection`

    def signal(self) -> tuple | None:
        """What changes whenever the file's data may have: None when it cannot be told."""
        with self.lock:
            try:
                status = os.stat(self.path)
                file = (status.st_dev, status.st_ino)
                if self.connection is None or self.opened_as[0] != os.getpid() or self.opened_as[2:] != file:
                    self._open(file)
                (version,) = self.connection.execute("PRAGMA data_version").fetchone()
                return (*self.opened_as, version)
            except (OSError, sqlite3.Error):
                self._close()
                return None

    def _open(self, file: tuple) -> None:
        self._close()
        uri = f"{Path(self.path).absolute().as_uri()}?mode=ro"
        self.connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        self.opened_as = (os.getpid(), next(_connections_opened), *file)

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and self.opened_as[0] == os.getpid():
            connection.close()

    def after_read(self) -> None:
        pass


class _ChangeNotices:
    """The change log's notices on PostgreSQL, counted on a connection of this process's own that listens."""

    def __init__(self, engine: Engine):
        # As the engine connects: the URL's parts as the driver takes them, and the app's connection settings.
        self.arguments, self.parameters = engine.dialect.create_connect_args(engine.url)
        self.parameters.update(engine_options(engine.url.drivername)["connect_args"])
        self.lock = threading.Lock()
        self.connection: psycopg.Connection | None = None
        self.socket: select.poll | None = None  # asked whether `connection` has anything to read
        self.opened_as: tuple = ()  # (process, connection number) of `connection`
        self.heard = 0
        self.next_try = 0.0  # when to try listening again (monotonic clock)

    def signal(self) -> tuple | None:
        with self.lock:
            if self.connection is None or self.opened_as[0] != os.getpid():
                return None
            try:
                if self._may_have_heard():
                    self.heard += sum(1 for _notice in self.connection.notifies(timeout=0))
            except (psycopg.Error, OSError) as error:
                _WARNINGS.warning(
                    "lost", "stopped hearing the change log's notices (%s); %s", error, _MEANWHILE
                )
                self._close()
                return None
            return (*self.opened_as, self.heard, int(time.monotonic() // REFRESH_SECONDS))

    def _may_have_heard(self) -> bool:
        """Whether the server sent anything (a notice, or the connection's end) since notices were last
        taken: asked of the socket (1.2 µs in one process) rather than of psycopg (4.1 µs), with poll(), which
        takes any file number. Taking notices takes every one already read off the socket, so one that has
        arrived and not been taken is still waiting there; a notice that came with the answer to LISTEN,
        which psycopg keeps aside, is of a change made before the first answer given again, read afresh."""
        return bool(self.socket.poll(0))

    def after_read(self) -> None:
        """Listen, unless listening or tried too recently: the database has just answered a read, so it can be
        expected to answer this."""
        with self.lock:
            listening = self.connection is not None and self.opened_as[0] == os.getpid()
            if listening or time.monotonic() < self.next_try:
                return
            self.next_try = time.monotonic() + LISTEN_RETRY_SECONDS
            try:
                self._listen()
            except _NotMigrated as error:
                self.next_try = time.monotonic() + NOT_MIGRATED_RETRY_SECONDS
                _WARNINGS.warning("not migrated", "%s; %s", error, _MEANWHILE)
                self._close()
            except psycopg.Error as error:
                _WARNINGS.warning(
                    "cannot listen", "cannot hear the change log's notices (%s); %s", error, _MEANWHILE
                )
                self._close()

    def _listen(self) -> None:
        self._close()
        self.connection = psycopg.connect(
            *self.arguments,
            **self.parameters,
            autocommit=True,
            application_name=LISTENER_NAME,
            # A peer that vanished without a word is found out within about 20 s, ending the silence.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        self.opened_as = (os.getpid(), next(_connections_opened))
        tables = [table.name for table in NOTICE_TABLES]
        triggers = self.connection.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = %s AND tgenabled <> 'D' "
            "AND tgrelid IN (SELECT to_regclass(name) FROM unnest(%s::text[]) AS name)",
            (NOTICE_TRIGGER, tables),
        ).fetchone()[0]
        if triggers < len(tables):
            raise _NotMigrated(f"the change log has no trigger {NOTICE_TRIGGER} (run flask db upgrade)")
        self.connection.execute(f"LISTEN {CHANGE_NOTICES}")
        self.socket = select.poll()
        self.socket.register(self.connection.fileno(), select.POLLIN)

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and self.opened_as[0] == os.getpid():
            connection.close()

    def close(self) -> None:
        with self.lock:
            self._close()


class _NotMigrated(Exception):
    pass


class _Remembered:
    def __init__(self, source: _Signal | None):
        self.source = source
        self.lock = threading.Lock()
        self.answers: dict[Callable, tuple] = {}  # read: (signal, what it answered then)
        self.forgotten = 0  # how many times forget() has been called

    def get(self, read: Callable[[], T]) -> T:
        signal = self.source.signal() if self.source else None
        answer = self.answers.get(read)
        if signal is not None and answer is not None and answer[0] == signal:
            return answer[1]
        forgotten = self.forgotten
        value = read()
        # The signal was taken before read(): a commit in between makes the next call read again. So does a
        # forget() in between (another thread's commit), by keeping nothing.
        if signal is not None:
            with self.lock:
                if forgotten == self.forgotten:
                    self.answers[read] = (signal, value)
        elif self.source:
            self.source.after_read()
        return value

    def forget(self) -> None:
        with self.lock:
            self.forgotten += 1
            self.answers.clear()


_by_engine: "WeakKeyDictionary[Engine, _Remembered]" = WeakKeyDictionary()


def remembered(engine: Engine, read: Callable[[], T]) -> T:
    """read()'s answer, from this process's memory while the engine's database has not changed since it was
    read; `read` is a function of the module, named once (its answer is remembered under it)."""
    remembered_here = _by_engine.get(engine)
    if remembered_here is None:
        remembered_here = _by_engine.setdefault(engine, _Remembered(_source(engine)))
    return remembered_here.get(read)


def forget(engine: Engine) -> None:
    """Read afresh next time: this process has just committed a change (whose notice is still on its way)."""
    remembered_here = _by_engine.get(engine)
    if remembered_here is not None:
        remembered_here.forget()


def _source(engine: Engine) -> _Signal | None:
    if engine.dialect.name == "postgresql":
        notices = _ChangeNotices(engine)
        event.listen(engine, "engine_disposed", lambda _engine: notices.close())
        return notices
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or engine.url.query.get("uri"):
        return None
    return _DataVersion(path)
