"""A visitor's shortlist, kept on the server and found through a random token in a cookie, and the read-only
links made from it.

Only the SHA-256 of a shortlist's token is stored, as for login sessions: someone who reads the database
still cannot open a visitor's shortlist. An entry keeps the vendor's name and slug as they were
when it was added, so a vendor unpublished or deleted later still shows as "no longer listed".
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vendors.catalog.models import SLUG_MAX_LENGTH, Vendor
from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db


class Shortlist(db.Model):
    __tablename__ = "shortlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    entries: Mapped[list["ShortlistEntry"]] = relationship(
        back_populates="shortlist",
        cascade="all, delete-orphan",
        order_by="ShortlistEntry.id",
    )


class ShortlistEntry(db.Model):
    __tablename__ = "shortlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlists.id", ondelete="CASCADE"), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="SET NULL"), index=True)
    vendor_slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH))
    vendor_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    shortlist: Mapped[Shortlist] = relationship(back_populates="entries")
    vendor: Mapped[Vendor | None] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("shortlist_id", "vendor_id"),)

    @property
    def listed(self) -> bool:
        return self.vendor is not None and self.vendor.status == "published"


class SharedComparison(db.Model):
    """A read-only snapshot: which vendors, in which order, compared with which estimator inputs."""

    __tablename__ = "shared_comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept as it is (not hashed) so the owner can copy the link again; it opens one read-only page.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlists.id", ondelete="CASCADE"), index=True)
    # [{"id": vendor id, "slug": ..., "name": ...}, ...] as they were when shared.
    vendors: Mapped[list] = mapped_column(JSON)
    # The estimator inputs as URL arguments (parameters.as_args), plus buyer_country.
    inputs: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def vendor_names(self) -> list[str]:
        return [vendor["name"] for vendor in self.vendors]
