"""Reading and changing a visitor's shortlist, and making and revoking read-only links from it. No Flask.

A shortlist is found by the token in the visitor's cookie. Changes run in one write transaction that locks
the shortlist's row, so two tabs adding at once cannot take it past its limit.
"""

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from vendors.catalog.models import Vendor
from vendors.database import utcnow, write_transaction
from vendors.extensions import db
from vendors.shortlists.models import SharedComparison, Shortlist, ShortlistEntry

LIMIT = 50
NOTE_MAX_LENGTH = 1000


class ShortlistFull(ValueError):
    def __init__(self):
        super().__init__(
            f"Your shortlist already holds {LIMIT} vendors, the most it can: remove one to add another."
        )


COOKIE = "shortlist"  # holds the token that finds the visitor's shortlist


@dataclass(frozen=True)
class Summary:
    """What every page needs to know of the visitor's shortlist: its size and which vendors are on it."""

    count: int | None  # None when the database could not say
    vendor_ids: frozenset[int]


EMPTY = Summary(0, frozenset())
UNKNOWN = Summary(None, frozenset())


SHORTLIST_TOKEN_BYTES = 32
SHARE_TOKEN_BYTES = 16  # 128 bits: unguessable, and short enough to paste into an email
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_token(size: int = SHORTLIST_TOKEN_BYTES) -> str:
    """Random bytes from the operating system's generator, URL-safe base64 (16 bytes: 22 characters)."""
    return secrets.token_urlsafe(size)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def find(token: str | None) -> Shortlist | None:
    if not token:
        return None
    return db.session.scalar(select(Shortlist).where(Shortlist.token_hash == digest(token)))


def summary(token: str | None) -> Summary:
    if not token:
        return EMPTY
    return _summary_of(
        db.session.scalars(
            select(ShortlistEntry.vendor_id).join(Shortlist).where(Shortlist.token_hash == digest(token))
        )
    )


def _summary_of(vendor_ids: Iterable[int | None]) -> Summary:
    """Entries of vendors deleted since count too: they stay on the list as "no longer listed"."""
    vendor_ids = list(vendor_ids)
    return Summary(len(vendor_ids), frozenset(vendor_id for vendor_id in vendor_ids if vendor_id))


def add(token: str | None, vendor: Vendor) -> tuple[str, Summary]:
    """Put a vendor on the shortlist (a new shortlist when the token finds none); adding it twice is one
    entry. Returns the token to keep in the cookie and the shortlist as it now is. ShortlistFull at the limit.
    """
    with write_transaction() as session:
        shortlist, token = _locked_or_new(token)
        ids = _vendor_ids(shortlist.id)
        if vendor.id not in ids:
            if len(ids) >= LIMIT:
                raise ShortlistFull()
            session.add(
                ShortlistEntry(
                    shortlist_id=shortlist.id,
                    vendor_id=vendor.id,
                    vendor_slug=vendor.slug,
                    vendor_name=vendor.name,
                )
            )
            shortlist.updated_at = utcnow()
            ids.append(vendor.id)
    return token, _summary_of(ids)


def remove(token: str | None, *, vendor_slug: str = "", entry_id: int | None = None) -> str | None:
    """Take one entry off the visitor's shortlist: the vendor listed at `vendor_slug` now, or the entry
    `entry_id` (how a vendor no longer listed is removed). Returns the vendor's name as the entry shows it,
    or None when the shortlist has no such entry; nothing is said about vendors that are not on it."""
    shortlist = find(token)
    if shortlist is None:
        return None
    if entry_id is not None:
        which = ShortlistEntry.id == entry_id
    else:
        which = ShortlistEntry.vendor_id.in_(select(Vendor.id).where(Vendor.slug == vendor_slug))
    with write_transaction() as session:
        entry = session.scalar(
            select(ShortlistEntry).where(ShortlistEntry.shortlist_id == shortlist.id, which)
        )
        if entry is None:
            return None
        name = entry.vendor.name if entry.listed else entry.vendor_name
        session.delete(entry)
        session.execute(update(Shortlist).where(Shortlist.id == shortlist.id).values(updated_at=utcnow()))
    return name


def set_note(token: str | None, entry_id: int, note: str) -> bool:
    """Save the private note of one entry (at most NOTE_MAX_LENGTH characters, checked by the caller);
    False when the entry is not on this visitor's shortlist."""
    shortlist = find(token)
    if shortlist is None:
        return False
    with write_transaction() as session:
        entry = session.scalar(
            select(ShortlistEntry).where(
                ShortlistEntry.id == entry_id, ShortlistEntry.shortlist_id == shortlist.id
            )
        )
        if entry is None:
            return False
        entry.note = note
        entry.shortlist.updated_at = utcnow()
    return True


def share(token: str | None, vendors: list[Vendor], inputs: dict[str, str]) -> tuple[str, str]:
    """A read-only link to this comparison, owned by the visitor's shortlist (made if they have none).

    Returns (the shortlist token for the cookie, the share token for the link).
    """
    share_token = new_token(SHARE_TOKEN_BYTES)
    with write_transaction() as session:
        shortlist, token = _locked_or_new(token)
        shortlist.updated_at = utcnow()
        session.add(
            SharedComparison(
                token=share_token,
                shortlist_id=shortlist.id,
                vendors=[{"id": vendor.id, "slug": vendor.slug, "name": vendor.name} for vendor in vendors],
                inputs=inputs,
            )
        )
    return token, share_token


def shared(share_token: str) -> SharedComparison | None:
    """The comparison a link shows; None when the link is unknown or revoked."""
    if not TOKEN_PATTERN.fullmatch(share_token):
        return None
    return db.session.scalar(
        select(SharedComparison).where(
            SharedComparison.token == share_token, SharedComparison.revoked_at.is_(None)
        )
    )


def shares_of(shortlist: Shortlist | None) -> list[SharedComparison]:
    if shortlist is None:
        return []
    return list(
        db.session.scalars(
            select(SharedComparison)
            .where(SharedComparison.shortlist_id == shortlist.id, SharedComparison.revoked_at.is_(None))
            .order_by(SharedComparison.id.desc())
        )
    )


def revoke(token: str | None, share_id: int) -> bool:
    """End a link this visitor made; False when it is not theirs or already ended."""
    shortlist = find(token)
    if shortlist is None:
        return False
    with write_transaction() as session:
        link = session.scalar(
            select(SharedComparison).where(
                SharedComparison.id == share_id,
                SharedComparison.shortlist_id == shortlist.id,
                SharedComparison.revoked_at.is_(None),
            )
        )
        if link is None:
            return False
        link.revoked_at = utcnow()
    return True


def _locked_or_new(token: str | None) -> tuple[Shortlist, str]:
    shortlist = None
    if token:
        shortlist = db.session.scalar(
            select(Shortlist).where(Shortlist.token_hash == digest(token)).with_for_update()
        )
    if shortlist is None:
        token = new_token()
        shortlist = Shortlist(token_hash=digest(token))
        db.session.add(shortlist)
        db.session.flush()
    return shortlist, token


def _vendor_ids(shortlist_id: int) -> list[int | None]:
    return list(
        db.session.scalars(
            select(ShortlistEntry.vendor_id).where(ShortlistEntry.shortlist_id == shortlist_id)
        )
    )


def purge(idle: timedelta) -> int:
    """Delete the shortlists (with their notes and shared links) unchanged for `idle`; returns how many."""
    with write_transaction() as session:
        result = session.execute(delete(Shortlist).where(Shortlist.updated_at < utcnow() - idle))
    return result.rowcount
