"""Database settings that let several worker processes share one SQLite file, and the write transaction.

SQLite's default deferred transactions take the write lock only at their first write; if another process
wrote in between, SQLite cannot wait and fails with "database is locked". Write transactions therefore start
with BEGIN IMMEDIATE, so a second writer waits (up to the busy timeout) for the first instead of failing.
Reads stay deferred and, under WAL, never block writers. PostgreSQL needs none of this and gets plain BEGIN.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from vendors import unanswered
from vendors.extensions import db
from vendors.validation import digits_up_to

# How long a SQLite write waits for another's lock: well under gunicorn's 30 s timeout (GUNICORN_TIMEOUT), so
# a write kept waiting is a 503 rather than a worker killed mid-request, and the login's password check and
# the rest of the request still fit.
SQLITE_BUSY_TIMEOUT_MS = 10_000
MAX_ROW_ID = 2**31 - 1  # the largest id an INTEGER column holds on every backend


def whole_number(raw: str | None) -> int | None:
    """A positive whole number from a form or URL that an INTEGER column can hold (an id, a page); None for
    anything else, so a too-large id is simply not found rather than a database error. ASCII digits only:
    "²" is a digit to str.isdigit but not a number to int."""
    return digits_up_to(raw or "", MAX_ROW_ID) or None


log = logging.getLogger(__name__)
T = TypeVar("T")
HELD_CONNECTIONS = "held connections"  # in app.extensions: engine -> its _HeldConnection
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_waits_for_the_lock: ContextVar[bool] = ContextVar("waits_for_the_lock", default=True)


CONNECT_TIMEOUT_SECONDS = 3
STATISTICS_LOCK_WAIT = "10s"  # how long ANALYZE may wait for a table another session is changing
UNACKNOWLEDGED_MILLISECONDS = 10_000
# An execution option marking a SQLite connection that reads with one statement: see one_statement().
ONE_STATEMENT = "one_statement"


def one_statement(connection: Connection) -> Connection:
    """The connection set up for a read made of one statement, which needs no transaction around it (the
    change log's position, read by every request): on SQLite without the BEGIN this module sends, since
    SQLite runs a lone statement in a transaction of its own; on a server in autocommit, which saves the
    BEGIN and ROLLBACK round trips. Each statement then stands alone: a caller that makes more than one
    (changelog.state on a log without its identity row) must not need them to see one snapshot."""
    if connection.dialect.name == "sqlite":
        return connection.execution_options(**{ONE_STATEMENT: True})
    return connection.execution_options(isolation_level="AUTOCOMMIT")


class _HeldConnection:
    """A connection of the process's own, kept open for one_statement reads."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.connection: Connection | None = None
        self.lock = threading.Lock()

    def read(self, read: Callable[[Connection], T]) -> T:
        with self.lock:
            if self.connection is not None:
                try:
                    return self._read_and_end(read)
                except DBAPIError:
                    self._drop()  # dropped by the server (a restart, an outage): one more try on a new one
            self.connection = one_statement(self.engine.connect())
            try:
                return self._read_and_end(read)
            except BaseException:
                self._drop()
                raise

    def _read_and_end(self, read: Callable[[Connection], T]) -> T:
        try:
            return read(self.connection)
        finally:
            self.connection.rollback()  # ends the transaction SQLAlchemy began around the read; no round trip

    def close(self) -> None:
        with self.lock:
            self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.invalidate()


def read_on_held_connection(engine: Engine, read: Callable[[Connection], T]) -> T:
    """read(connection) on a connection the app keeps open for reads of one statement (one_statement) made by
    every request (the change log's position): a connection from the pool would cost a check-out, a return
    and, on a database server, a ping first, a round trip as long as the read itself. A connection the
    server dropped is replaced once; a read that still fails raises, as the pool's would. It is closed when
    the engine is disposed of. Like the pool, it belongs to the process that opened it: the app is loaded
    after gunicorn forks its workers."""
    held = current_app.extensions.setdefault(HELD_CONNECTIONS, {})
    connection = held.get(engine)
    if connection is None:
        connection = held.setdefault(engine, _HeldConnection(engine))
        event.listen(engine, "engine_disposed", lambda _engine: connection.close())
    return connection.read(read)


def refresh_planner_statistics(engine: Engine, tables: list[str]) -> None:
    """ANALYZE these tables on PostgreSQL, after a write that changed many of their rows. Its planner
    chooses each plan from the tables' statistics, which the server's autovacuum refreshes in its own time,
    or never where it is turned off; until then a table filled by an import is planned as the nearly empty
    table it was, and a page of 20 vendors read by id scanned all 105,166 attribute rows (11.5 ms) where,
    with statistics, it reads their index (0.35 ms). SQLite plans without statistics unless ANALYZE has been
    run once, and is left as it is.

    Nothing is raised, since the write is saved by then; what stops it is logged: an error, a wait for a lock
    longer than STATISTICS_LOCK_WAIT (a schema change under way), or the server's warning that it skipped a
    table the site's database user may not analyze (one that neither owns it nor has MAINTAIN on it)."""
    if engine.dialect.name != "postgresql":
        return
    skipped: list[str] = []

    def note_skipped(notice) -> None:
        if notice.severity_nonlocalized == "WARNING":
            skipped.append(notice.message_primary)

    names = ", ".join(tables)
    try:
        with engine.connect() as connection:
            driver_connection = connection.connection.driver_connection
            driver_connection.add_notice_handler(note_skipped)
            try:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{STATISTICS_LOCK_WAIT}'")
                quoted = ", ".join(connection.dialect.identifier_preparer.quote(table) for table in tables)
                connection.exec_driver_sql(f"ANALYZE {quoted}")
                connection.commit()
            finally:
                driver_connection.remove_notice_handler(note_skipped)
    except SQLAlchemyError as error:
        log.warning("could not refresh the planner's statistics of %s: %s", names, error)
        return
    if skipped:
        log.warning("the planner's statistics of %s were not all refreshed: %s", names, "; ".join(skipped))


def engine_options(url: str) -> dict:
    """On a database server, every pooled connection is checked before use, so one the server dropped (a
    restart, an outage) is replaced and the site recovers by itself, and a connection attempt gives up
    after a few seconds instead of holding the request. A SQLite file has no server to drop a connection."""
    if url.startswith("sqlite"):
        return {}
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            # A server that stops acknowledging what is sent (a network cut, a vanished host) fails the
            # query after this long, well within a worker's timeout, rather than when the kernel gives up.
            "tcp_user_timeout": UNACKNOWLEDGED_MILLISECONDS,
            # One that acknowledges and never answers (its process stopped or stuck): vendors.unanswered.
            "cursor_factory": unanswered.WatchedCursor,
        }
    return options


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "do_connect", unanswered.connect_unless_not_answering)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy so BEGIN IMMEDIATE can be issued (pysqlite would
        # otherwise start its own deferred transactions).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() changes ASCII letters only: "Équipe" would stay "Équipe", and searches that
        # compare lower-cased text (the admin's, the search fallback's) would miss it where PostgreSQL finds
        # it.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(ONE_STATEMENT):
            return  # SQLite runs a lone statement in a transaction of its own; BEGIN and ROLLBACK cost more
        if not _write_intent.get():
            connection.exec_driver_sql("BEGIN")
        elif _waits_for_the_lock.get():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:  # the connection goes back to the pool waiting as every other does
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _lower(text):
    return text.lower() if isinstance(text, str) else text


@contextmanager
def write_transaction(wait_for_the_lock: bool = True) -> Iterator[Session]:
    """Run a block as one write transaction: committed when it ends, rolled back if it raises.

    Any read transaction already open in the session is ended first, so the write lock is taken before
    the block reads anything it will base its writes on. A write that may as well not happen this time
    (wait_for_the_lock=False) does not wait for SQLite's write lock: held by another writer (a long import),
    it fails at once with OperationalError rather than after the busy timeout.
    """
    session = db.session
    session.commit()
    intent, waiting = _write_intent.set(True), _waits_for_the_lock.set(wait_for_the_lock)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(intent)
        _waits_for_the_lock.reset(waiting)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A moment in time, stored in UTC and read back in UTC, with its time zone, on every backend.

    SQLite stores text without the zone and would read it back naive, which makes comparisons with aware
    datetimes fail; PostgreSQL would read it back in the connection's time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        # PostgreSQL answers in its session's time zone; pages and logs label these times UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
