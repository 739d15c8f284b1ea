"""Whether a database may have changed since this process last looked, told without a query through the pool.

Every request that shows catalogue data needs the change log's position (vendors.search.log_position): the
page cache and the search caches are keyed by it. On SQLite, `PRAGMA data_version` answers that question
for a fraction of the cost of the query: on a connection that never writes, its value changes exactly when
another connection, of this process or any other, commits to the file (sqlite.org/pragma.html, "PRAGMA
data_version"). So `remembered(engine, read)` runs read() once and gives its answer again until the value
changes. The file's identity (device and inode) and the connection's own identity are part of the signal, so
a database file replaced by another, or a connection opened afresh (after a fork, say), never matches an
answer read before. On a database server, or SQLite in memory, there is no such signal and read() runs
every time.
"""

import os
import sqlite3
import threading
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine

T = TypeVar("T")
_connections_opened = count(1)


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


class _Remembered:
    def __init__(self, data_version: _DataVersion | None):
        self.data_version = data_version
        self.answers: dict[Callable, tuple] = {}  # read: (signal, what it answered then)

    def get(self, read: Callable[[], T]) -> T:
        signal = self.data_version.signal() if self.data_version else None
        answer = self.answers.get(read)
        if signal is not None and answer is not None and answer[0] == signal:
            return answer[1]
        value = read()
        # The signal was taken before read(): a commit in between makes the next call read again.
        if signal is not None:
            self.answers[read] = (signal, value)
        return value


_by_engine: "WeakKeyDictionary[Engine, _Remembered]" = WeakKeyDictionary()


def remembered(engine: Engine, read: Callable[[], T]) -> T:
    """read()'s answer, from this process's memory while the engine's database has not changed since it was
    read; `read` is a function of the module, named once (its answer is remembered under it)."""
    remembered_here = _by_engine.get(engine)
    if remembered_here is None:
        remembered_here = _by_engine.setdefault(engine, _Remembered(_data_version(engine)))
    return remembered_here.get(read)


def _data_version(engine: Engine) -> _DataVersion | None:
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or engine.url.query.get("uri"):
        return None
    return _DataVersion(path)
