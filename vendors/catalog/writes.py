"""The one way vendors change: validated, saved, audited and logged for search in one transaction.

Seeding, generated vendors, CSV imports, the admin forms and approved submissions all write through a
CatalogueWriter:

    with catalogue_writes(actor, note="import of vendors.csv") as writer:
        writer.create(record)
        writer.update(vendor, {"status": "published"}, expected_version=4)

Every change is checked by parse_record, saved, given an audit entry (who, when, each field's old and new
value) and a change-log row for the search index and listing caches; the transaction commits all of that or
none of it. A guard on every session refuses a flush that touches vendors outside a writer, so no other code
path can save a vendor without its audit entry and change-log row.
"""

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vendors import audit
from vendors.audit import Actor, AuditEntry
from vendors.catalog import changelog
from vendors.catalog.models import SlugRedirect, Vendor, VendorFacetValue
from vendors.catalog.records import (
    FACET_FIELDS,
    FIELDS,
    RecordError,
    apply_record,
    differences,
    parse_record,
    plain_values,
    vendor_record,
)
from vendors.database import refresh_planner_statistics, utcnow, write_transaction
from vendors.extensions import db

WRITER_KEY = "catalogue_writer"
CATALOGUE_MODELS = (Vendor, VendorFacetValue, SlugRedirect)
# Buffered creations are flushed, audited and logged in groups of this many, so a large import holds a
# bounded number of new objects at a time.
FLUSH_EVERY = 500
# A transaction changing this many vendors or more is a bulk load (an import, generated vendors), after
# which the database's planner statistics are refreshed (vendors.database.refresh_planner_statistics).
BULK_CHANGE = 500
CATALOGUE_TABLES = [model.__tablename__ for model in CATALOGUE_MODELS]


class CatalogueWriteRefused(RuntimeError):
    """Vendors were changed outside vendors.catalog.writes."""


class SavedMeanwhile(Exception):
    """Another transaction saved a vendor this one was changing; nothing was written. Try again."""


class EditConflict(SavedMeanwhile):
    """The vendor was saved by someone else after the version an edit was based on; nothing was written.

    conflicting_changes(vendor_id, expected_version) lists what the other edits changed.
    """

    def __init__(self, slug: str, expected_version: int):
        self.expected_version = expected_version
        super().__init__(f"vendor {slug} was saved by someone else after version {expected_version}")


@contextmanager
def catalogue_writes(actor: Actor, note: str = "") -> Iterator["CatalogueWriter"]:
    """A write transaction for catalogue changes: committed when the block ends, rolled back if it raises.
    One that changed at least BULK_CHANGE vendors (an import, generated vendors) refreshes the database's
    planner statistics of the catalogue's tables after its commit."""
    with write_transaction() as session:
        session.info[WRITER_KEY] = True
        try:
            writer = CatalogueWriter(session, actor, note)
            yield writer
            writer.flush()
        except StaleDataError as error:  # an UPDATE ... WHERE version = ... found the version changed
            raise SavedMeanwhile(str(error)) from None
        finally:
            session.info.pop(WRITER_KEY, None)
    if writer.vendors_changed >= BULK_CHANGE:
        refresh_planner_statistics(db.engine, CATALOGUE_TABLES)


def conflicting_changes(vendor_id: int, since_version: int) -> list[AuditEntry]:
    """The audit entries of a vendor's saves after since_version, oldest first."""
    statement = (
        select(AuditEntry)
        .where(
            AuditEntry.subject == "vendor",
            AuditEntry.subject_id == vendor_id,
            AuditEntry.version > since_version,
        )
        .order_by(AuditEntry.id)
    )
    return list(db.session.scalars(statement))


class CatalogueWriter:
    def __init__(self, session: Session, actor: Actor, note: str):
        self.session = session
        self.actor = actor
        self.note = note
        self._created: list[Vendor] = []
        self._ids_from_sequence = session.get_bind().dialect.name == "postgresql"
        self._next_id: int | None = None
        self._entries: list[audit.Entry] = []
        self._changed_ids: set[int] = set()
        self.vendors_changed = 0  # changes flushed so far, a vendor changed twice counted twice

    # --------------------------------------------------------------------------------------- changes
    def create(self, record: dict) -> Vendor:
        """A new vendor from a record (validated here); its id is known once the writer flushes."""
        cleaned = parse_record(record)
        self._claim_slug(cleaned["slug"], vendor_id=None)
        vendor = Vendor(version=1)
        if not self._ids_from_sequence:
            [vendor.id] = self._reserve_ids(1)
        apply_record(vendor, cleaned)
        self.session.add(vendor)
        self._created.append(vendor)
        if len(self._created) >= FLUSH_EVERY:
            self.flush()
        return vendor

    def update(self, vendor: Vendor, changes: dict, expected_version: int | None = None) -> dict[str, list]:
        """Apply `changes` (some or all record fields) to a vendor; returns {field: [old, new]}, {} if none.

        With expected_version, refuses with EditConflict when the vendor has been saved since that version.
        """
        if expected_version is not None and vendor.version != expected_version:
            raise EditConflict(vendor.slug, expected_version)
        before = vendor_record(vendor)
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ValueError(f"not vendor fields: {', '.join(sorted(unknown))}")
        cleaned = parse_record({**before, **changes})
        diff = differences(before, cleaned)
        if not diff:
            return {}
        if "slug" in diff:
            self._claim_slug(cleaned["slug"], vendor_id=vendor.id)
            self.session.add(SlugRedirect(old_slug=before["slug"], vendor_id=vendor.id))
        apply_record(vendor, {field: cleaned[field] for field in diff})
        vendor.version += 1
        self._entries.append(
            audit.Entry("vendor", vendor.id, vendor.slug, _action_for(diff), diff, vendor.version)
        )
        self._changed_ids.add(vendor.id)
        if expected_version is not None:
            self._save_checking_version(vendor, expected_version)
        return diff

    def delete(self, vendor: Vendor) -> None:
        gone = {field: [value, None] for field, value in plain_values(vendor_record(vendor)).items()}
        self._entries.append(audit.Entry("vendor", vendor.id, vendor.slug, "deleted", gone, vendor.version))
        self._changed_ids.add(vendor.id)
        self.session.delete(vendor)

    def insert_many(self, records: list[dict]) -> list[int]:
        """New vendors written with bulk inserts (generated data, imports); returns their ids.

        The same validation, audit entries and change-log rows as create(), at a fraction of the ORM's cost.
        Slugs in use are not looked up first: callers know they are new, and a duplicate fails the transaction
        on the unique index. A former slug of another vendor is refused, as create() refuses it.
        """
        cleaned = [parse_record(record) for record in records]
        taken = former_slugs([values["slug"] for values in cleaned])
        if taken:
            slug, new_slug = next(iter(taken.items()))
            raise RecordError(
                slug, {"slug": f"{slug!r} is a former address of {new_slug!r}, which it leads to"}
            )
        ids = self._reserve_ids(len(cleaned))
        now = utcnow()
        vendor_rows, facet_rows = [], []
        for vendor_id, values in zip(ids, cleaned, strict=True):
            self._entries.append(
                audit.Entry("vendor", vendor_id, values["slug"], "created", _created(values), 1)
            )
            row = dict(values)
            for field, facet in FACET_FIELDS.items():
                facet_rows += [
                    {"vendor_id": vendor_id, "facet": facet, "value": value, "position": position}
                    for position, value in enumerate(row.pop(field))
                ]
            vendor_rows.append({**row, "id": vendor_id, "version": 1, "created_at": now, "updated_at": now})
        self.session.execute(insert(Vendor.__table__), vendor_rows)
        self.session.execute(insert(VendorFacetValue.__table__), facet_rows)
        self._changed_ids.update(ids)
        self.flush()
        return ids

    def flush(self) -> None:
        """Write what is buffered: pending vendors, then their audit entries and change-log rows."""
        self.session.flush()
        for vendor in self._created:
            values = vendor_record(vendor)
            self._entries.append(
                audit.Entry("vendor", vendor.id, vendor.slug, "created", _created(values), 1)
            )
            self._changed_ids.add(vendor.id)
        self._created.clear()
        audit.record(self.session, self.actor, self._entries, self.note)
        self._entries.clear()
        if changelog.record_changes(self.session.connection(), self._changed_ids):
            self.session.info[changelog.PENDING_KEY] = True
        self.vendors_changed += len(self._changed_ids)
        self._changed_ids.clear()

    # --------------------------------------------------------------------------------------- helpers
    def _claim_slug(self, slug: str, vendor_id: int | None) -> None:
        """Refuse a slug another vendor has or had (its old links lead there); a vendor may take back one of
        its own former slugs."""
        owner = self.session.scalar(select(Vendor.id).where(Vendor.slug == slug))
        if owner is not None and owner != vendor_id:
            raise RecordError(slug, {"slug": f"{slug!r} is already used by another vendor"})
        former_owner = self.session.scalar(
            select(SlugRedirect.vendor_id).where(SlugRedirect.old_slug == slug)
        )
        if former_owner is not None and former_owner != vendor_id:
            raise RecordError(
                slug, {"slug": f"{slug!r} is a former address of another vendor, which it leads to"}
            )
        if former_owner is not None:
            self.session.execute(delete(SlugRedirect).where(SlugRedirect.old_slug == slug))

    def _save_checking_version(self, vendor: Vendor, expected_version: int) -> None:
        """Flush now, so an UPDATE that finds the version changed under it (a concurrent save on
        PostgreSQL) is reported as the edit conflict it is."""
        conflict = EditConflict(vendor.slug, expected_version)
        try:
            self.session.flush()
        except StaleDataError:
            raise conflict from None

    def _reserve_ids(self, count: int) -> list[int]:
        """Ids for the next `count` vendors, never one a vendor had before (audit entries refer to it).

        PostgreSQL: drawn from the id sequence, so ORM inserts made later (or concurrently) never collide with
        them. SQLite would hand out the highest id again once that vendor is deleted, so ids continue after
        the highest one ever audited; safe because the write transaction holds the database's write lock.
        """
        if self._ids_from_sequence:
            draw = text(
                "SELECT nextval(pg_get_serial_sequence('vendors', 'id')) FROM generate_series(1, :count)"
            )
            return sorted(self.session.scalars(draw, {"count": count}))
        if self._next_id is None:
            highest_audited = select(func.max(AuditEntry.subject_id)).where(AuditEntry.subject == "vendor")
            highest = max(
                self.session.scalar(select(func.max(Vendor.id))) or 0,
                self.session.scalar(highest_audited) or 0,
            )
            self._next_id = highest + 1
        first, self._next_id = self._next_id, self._next_id + count
        return list(range(first, first + count))


def former_slugs(slugs: list[str]) -> dict[str, str]:
    """{slug: the current slug of the vendor it leads to} for those of `slugs` that are former slugs."""
    found: dict[str, str] = {}
    for start in range(0, len(slugs), FLUSH_EVERY):
        rows = db.session.execute(
            select(SlugRedirect.old_slug, Vendor.slug)
            .join(Vendor, Vendor.id == SlugRedirect.vendor_id)
            .where(SlugRedirect.old_slug.in_(slugs[start : start + FLUSH_EVERY]))
        )
        found.update(rows.tuples().all())
    return found


def _created(values: dict) -> dict[str, list]:
    return {
        field: [None, value] for field, value in plain_values(values).items() if value not in (None, "", [])
    }


_STATUS_ACTIONS = {"published": "published", "draft": "unpublished", "archived": "archived"}


def _action_for(diff: dict[str, list]) -> str:
    """A word for the audit log: what kind of change this was."""
    if set(diff) == {"status"}:
        return _STATUS_ACTIONS[diff["status"][1]]
    if set(diff) == {"verified_at"}:
        return "verified"
    return "updated"


# ----------------------------------------------------------------------------------------------- guard
_guard_installed = threading.Lock()


def install_guard() -> None:
    with _guard_installed:
        if not event.contains(Session, "before_flush", _refuse_writes_outside_a_writer):
            event.listen(Session, "before_flush", _refuse_writes_outside_a_writer)


def _refuse_writes_outside_a_writer(session: Session, _context, _instances) -> None:
    if session.info.get(WRITER_KEY):
        return
    touched = itertools.chain(
        session.new, session.deleted, (obj for obj in session.dirty if session.is_modified(obj))
    )
    for obj in touched:
        if isinstance(obj, CATALOGUE_MODELS):
            raise CatalogueWriteRefused(
                f"{obj!r} was changed outside vendors.catalog.writes; catalogue changes go through "
                "catalogue_writes() so they are validated, audited and logged for search"
            )
