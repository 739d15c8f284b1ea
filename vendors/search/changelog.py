"""The change log: one row per change to a vendor's public listing, written in the changing transaction.

The database is the truth and the index a replica. Every flush that creates, edits or deletes a vendor (or
one of its attribute rows) inserts rows here through the flush's own connection, so the log commits or rolls
back together with the edit. The index never reads the session: after a commit it catches up from this table
(vendors.search.indexing), and a rolled-back transaction leaves nothing behind, in the log or in the index.

Each index folder remembers the highest change id it has applied and catches up from there, so the log only
works if ids become visible in increasing order. SQLite allows one write transaction at a time, so that holds
by construction; on PostgreSQL, sequence values are handed out before commit, so a writer first takes a
transaction-scoped advisory lock and holds it until it commits, which puts change ids in commit order.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Connection, DateTime, Integer, func, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from vendors.catalog.models import Vendor, VendorFacetValue, utcnow
from vendors.extensions import db

# Arbitrary constant naming the "change log writer" advisory lock on PostgreSQL.
_CHANGE_LOG_LOCK = 0x5EA4C4

PENDING_KEY = "search_changes_pending"


class SearchChange(db.Model):
    """A vendor whose public listing may have changed. Rows carry no data: the index re-reads the vendor."""

    __tablename__ = "search_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    vendor_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # AUTOINCREMENT: SQLite must never hand out an id again, or an index could skip a change.
    __table_args__: ClassVar = {"sqlite_autoincrement": True}


def record_changes(connection: Connection, vendor_ids: Iterable[int]) -> int:
    """Log a change for each vendor id, inside the caller's transaction; returns how many were logged.

    For writers that bypass the ORM (bulk imports, generated data): call it with the same connection, before
    the transaction commits.
    """
    rows = [{"vendor_id": vendor_id, "changed_at": utcnow()} for vendor_id in sorted(set(vendor_ids))]
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOG_LOCK})
    connection.execute(insert(SearchChange), rows)
    return len(rows)


def head(connection: Connection) -> int:
    """The highest change id committed so far (0 for an empty log)."""
    return connection.scalar(select(func.coalesce(func.max(SearchChange.id), 0))) or 0


def latest(connection: Connection) -> tuple[int, datetime | None]:
    """The last change's id and time: (0, None) for an empty log. The time tells a log that was emptied and
    refilled up to the same id apart from the one a cache was built from."""
    row = connection.execute(
        select(SearchChange.id, SearchChange.changed_at).order_by(SearchChange.id.desc()).limit(1)
    ).first()
    return (row.id, row.changed_at) if row else (0, None)


def changed_since(connection: Connection, applied: int, upto: int) -> list[int]:
    """Vendor ids with a change in (applied, upto], each once."""
    statement = (
        select(SearchChange.vendor_id)
        .where(SearchChange.id > applied, SearchChange.id <= upto)
        .group_by(SearchChange.vendor_id)
    )
    return list(connection.scalars(statement))


def pending_count(connection: Connection, applied: int) -> int:
    return connection.scalar(select(func.count()).where(SearchChange.id > applied)) or 0


def changed_vendor_ids(session: Session) -> set[int]:
    """Vendors touched by the flush in progress; called from after_flush, when new rows have their ids."""
    ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Vendor):
            ids.add(obj.id)
        elif isinstance(obj, VendorFacetValue):
            ids.add(obj.vendor_id)
    for obj in session.dirty:
        if isinstance(obj, Vendor) and session.is_modified(obj):
            ids.add(obj.id)
        elif isinstance(obj, VendorFacetValue) and session.is_modified(obj):
            ids.add(obj.vendor_id)
    for obj in session.deleted:
        if isinstance(obj, Vendor):
            ids.add(obj.id)
        elif isinstance(obj, VendorFacetValue):
            ids.add(obj.vendor_id)
    ids.discard(None)
    return ids
