"""The vendor listing and its multi-valued attributes."""

import functools
import re
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from vendors.catalog import rules
from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db

# The multi-valued attributes, named as their URL parameters. Each is stored as VendorFacetValue rows so
# that one query shape filters and counts any of them.
MULTI_VALUED = ("country", "specialisation", "channel", "language", "certification")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 80


class Vendor(db.Model):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tagline: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    hq_country: Mapped[str] = mapped_column(String(2))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    employees: Mapped[int] = mapped_column(Integer)
    hourly_rate_min: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    hourly_rate_max: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    min_seats: Mapped[int | None] = mapped_column(Integer)
    coverage: Mapped[str] = mapped_column(String(20), default="business-hours")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    verified_at: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Raised by the catalogue write service on every change and checked in the UPDATE's WHERE clause, so an
    # edit based on an older version fails instead of overwriting what someone else saved meanwhile.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    facet_values: Mapped[list["VendorFacetValue"]] = relationship(
        back_populates="vendor",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(VendorFacetValue.facet, VendorFacetValue.position)",
    )

    __table_args__ = (
        Index("ix_vendors_status_name", "status", "name"),
        Index("ix_vendors_status_rate", "status", "hourly_rate_min"),
        Index("ix_vendors_status_employees", "status", "employees"),
        Index("ix_vendors_status_verified", "status", "verified_at"),
    )
    __mapper_args__: ClassVar = {"version_id_col": version, "version_id_generator": False}

    def values(self, facet: str) -> list[str]:
        return [row.value for row in self.facet_values if row.facet == facet]

    def set_values(self, facet: str, values: list[str]) -> None:
        """Replace one attribute's values, keeping rows that stay so the flush never re-inserts a key."""
        if facet not in MULTI_VALUED:
            raise ValueError(f"unknown attribute {facet!r}")
        wanted = list(dict.fromkeys(values))
        existing = {row.value: row for row in self.facet_values if row.facet == facet}
        for value, row in existing.items():
            if value not in wanted:
                self.facet_values.remove(row)
        for position, value in enumerate(wanted):
            if value in existing:
                existing[value].position = position
            else:
                self.facet_values.append(VendorFacetValue(facet=facet, value=value, position=position))

    @property
    def delivery_countries(self) -> list[str]:
        return self.values("country")

    @property
    def specialisations(self) -> list[str]:
        return self.values("specialisation")

    @property
    def channels(self) -> list[str]:
        return self.values("channel")

    @property
    def languages(self) -> list[str]:
        return self.values("language")

    @property
    def certifications(self) -> list[str]:
        return self.values("certification")

    @property
    def size_band(self) -> str:
        return rules.size_band(self.employees)

    @property
    def rate_band(self) -> str:
        return rules.rate_band(self.hourly_rate_min)

    def __repr__(self) -> str:
        return f"<Vendor {self.slug}>"


def could_be_slug(text: str) -> bool:
    """Whether `text` has a slug's shape. Anything else names no vendor and is not sent to the database,
    where some of it (a NUL byte, for PostgreSQL) would be an error rather than no match."""
    return len(text) <= SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(text) is not None


def published_vendor(slug: str) -> Vendor | None:
    """The vendor the public may see at this slug; drafts and archived listings are None like unknown ones."""
    if not could_be_slug(slug):
        return None
    return db.session.scalars(_published_at_slug(), {"slug": slug}).unique().one_or_none()


@functools.cache
def _published_at_slug():
    """Built once, at the first read (the mappers are all configured by then), with the slug bound at each
    read: building the statement and its cache key took longer than running it (a read 390-410 us, 240-250
    built once). Its attribute rows are joined in: for one vendor, a third cheaper than the second SELECT
    that loading them "selectin" (right for listings) costs."""
    return (
        select(Vendor)
        .options(joinedload(Vendor.facet_values))
        .where(Vendor.slug == bindparam("slug"), Vendor.status == "published")
    )


def renamed_vendor(old_slug: str) -> Vendor | None:
    """The published vendor that used to have this slug, so old links can be redirected to its new one."""
    if not could_be_slug(old_slug):
        return None
    return db.session.scalar(
        select(Vendor)
        .join(SlugRedirect, SlugRedirect.vendor_id == Vendor.id)
        .where(SlugRedirect.old_slug == old_slug, Vendor.status == "published")
    )


class VendorFacetValue(db.Model):
    """One value of one multi-valued attribute of a vendor; position keeps the vendor's own order."""

    __tablename__ = "vendor_facet_values"

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    vendor: Mapped[Vendor] = relationship(back_populates="facet_values")

    __table_args__ = (Index("ix_vendor_facet_values_lookup", "facet", "value", "vendor_id"),)


class SlugRedirect(db.Model):
    """A slug a vendor had before it was renamed; its old page answers with a 301 to the new one."""

    __tablename__ = "vendor_slug_redirects"

    old_slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
