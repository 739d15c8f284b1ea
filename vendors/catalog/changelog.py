"""The change log: one row per change to a searchable document, written in the changing transaction.

The database is the truth; the search index and the listing bitsets are replicas. The catalogue write
service (vendors.catalog.writes) is the only writer: every vendor it creates, edits or deletes gets a row
here through the same transaction, so the log commits or rolls back together with the edit. Readers never
look at sessions: after a commit they catch up from this table (vendors.search.indexing), and a rolled-back
transaction leaves nothing behind, in the log or in any replica.

Each index folder remembers the highest change id it has applied and catches up from there, so the log only
works if ids become visible in increasing order. SQLite allows one write transaction at a time, so that holds
by construction; on PostgreSQL, sequence values are handed out before commit, so a writer first takes a
transaction-scoped advisory lock and holds it until it commits, which puts change ids in commit order.

Rows name the kind of document they concern ("vendor"; guides and reviews will log under their own names),
and positions are shared: each kind's index applies the rows of its kind and records the position it reached.

A position only means something within one database, so each database has an identity: a random value made
once (by the migration that added it, or on first use where the schema was made without migrations), which
every replica records beside its position. A replica of another database is then rebuilt, not trusted.

On PostgreSQL a trigger on both tables sends a notice (NOTIFY) on CHANGE_NOTICES with every transaction that
changes them, so a process learns that the log moved without asking (vendors.changesignal).
"""

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from blinker import Namespace
from sqlalchemy import DDL, BigInteger, Connection, Integer, String, event, func, insert, select, text, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db

# Arbitrary constant naming the "change log writer" advisory lock on PostgreSQL.
_CHANGE_LOG_LOCK = 0x5EA4C4

# Set in session.info by a transaction that logged changes; read after its commit to catch replicas up.
PENDING_KEY = "catalogue_changes_pending"

# Sent, with `count`, after a command committed changes to many vendors at once (an import). Replicas that
# would otherwise leave that much work to a later command bring themselves up to date now; the catalogue
# only announces it and knows nothing of who listens.
many_changed = Namespace().signal("catalogue-many-changed")


VENDOR = "vendor"


class SearchChange(db.Model):
    """A document whose public listing may have changed. Rows carry no data: the index re-reads it."""

    __tablename__ = "search_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=VENDOR, server_default=VENDOR)
    document_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # AUTOINCREMENT: SQLite must never hand out an id again, or an index could skip a change.
    __table_args__: ClassVar = {"sqlite_autoincrement": True}


class LogIdentity(db.Model):
    """The one row naming this database's change log."""

    __tablename__ = "change_log_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    value: Mapped[str] = mapped_column(String(32))


# The notice channel, and the trigger sending on it; migration 0007 makes the same on a migrated database.
CHANGE_NOTICES = "vendors_change_log"
NOTICE_TRIGGER = "change_log_notice"
_NOTICE_FUNCTION = DDL(
    "CREATE OR REPLACE FUNCTION change_log_notice() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN PERFORM pg_notify('{CHANGE_NOTICES}', ''); RETURN NULL; END $$"
)
NOTICE_TABLES = (SearchChange.__table__, LogIdentity.__table__)
for _table in NOTICE_TABLES:
    _trigger = DDL(
        f"CREATE TRIGGER {NOTICE_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {_table.name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION change_log_notice()"
    )
    event.listen(_table, "after_create", _NOTICE_FUNCTION.execute_if(dialect="postgresql"))
    event.listen(_table, "after_create", _trigger.execute_if(dialect="postgresql"))


def identity(connection: Connection) -> str:
    """This database's identity, made on first use where no migration made it (ends the open transaction)."""
    value = connection.scalar(select(LogIdentity.value).where(LogIdentity.id == 1))
    if value is None:
        try:
            connection.execute(insert(LogIdentity).values(id=1, value=uuid.uuid4().hex))
            connection.commit()
        except IntegrityError:  # another process made it a moment ago
            connection.rollback()
        value = connection.scalar(select(LogIdentity.value).where(LogIdentity.id == 1))
    return value


def record_changes(connection: Connection, document_ids: Iterable[int], kind: str = VENDOR) -> int:
    """Log a change for each document id of kind, inside the caller's transaction; returns how many."""
    now = utcnow()
    rows = [{"kind": kind, "document_id": number, "changed_at": now} for number in sorted(set(document_ids))]
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOG_LOCK})
    connection.execute(insert(SearchChange), rows)
    return len(rows)


def head(connection: Connection) -> int:
    """The highest change id committed so far, of any kind (0 for an empty log)."""
    return connection.scalar(select(func.coalesce(func.max(SearchChange.id), 0))) or 0


def state(connection: Connection) -> tuple[tuple[int, datetime | None], str]:
    """latest() and identity() together, in one round trip when the identity exists (every request reads
    them, so the page and listing caches know what they may answer from)."""
    row = _state_row(connection)
    if row is None:
        return latest(connection), identity(connection)
    value, last_id, changed_at = row
    return ((last_id, changed_at) if last_id is not None else (0, None)), value


def _state_row(connection: Connection) -> tuple | None:
    """_STATE's row. On a database server, where every request reads it, as plain SQL with its constants
    written in, its one typed value then converted as the statement's own execution would: the same round
    trip with less work around it (a read 210-235 against 245-290 us on a loopback PostgreSQL; a kept
    page 670-820 against 810-880 us)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(_STATE).first()
    row = connection.exec_driver_sql(_state_sql(connection.dialect)).first()
    if row is None:
        return None
    value, last_id, changed_at = row
    return value, last_id, SearchChange.changed_at.type.process_result_value(changed_at, connection.dialect)


def latest(connection: Connection) -> tuple[int, datetime | None]:
    """The last change's id and time: (0, None) for an empty log. The time tells a log that was emptied and
    refilled up to the same id apart from the one a cache was built from."""
    row = connection.execute(
        select(SearchChange.id, SearchChange.changed_at).order_by(SearchChange.id.desc()).limit(1)
    ).first()
    return (row.id, row.changed_at) if row else (0, None)


def changed_since(connection: Connection, applied: int, upto: int, kind: str) -> list[int]:
    """Ids of the documents of kind with a change in (applied, upto], each once."""
    statement = (
        select(SearchChange.document_id)
        .where(SearchChange.id > applied, SearchChange.id <= upto, SearchChange.kind == kind)
        .group_by(SearchChange.document_id)
    )
    return list(connection.scalars(statement))


def pending_count(connection: Connection, applied: int, kind: str) -> int:
    """Changes to documents of kind logged after position applied."""
    statement = select(func.count()).where(SearchChange.id > applied, SearchChange.kind == kind)
    return connection.scalar(statement) or 0


_LAST_CHANGE = (
    select(SearchChange.id, SearchChange.changed_at).order_by(SearchChange.id.desc()).limit(1).subquery()
)
_STATE = (
    select(LogIdentity.value, _LAST_CHANGE.c.id, _LAST_CHANGE.c.changed_at)
    .select_from(LogIdentity)
    .outerjoin(_LAST_CHANGE, true())
    .where(LogIdentity.id == 1)
)


@functools.lru_cache(maxsize=4)
def _state_sql(dialect) -> str:
    """_STATE as the dialect's SQL, its two constants written in."""
    return str(_STATE.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
