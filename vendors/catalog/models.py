"""The vendor listing and its multi-valued attributes."""

import functools
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from vendors.catalog import rules
from vendors.database import UTCDateTime, read_on_held_connection, utcnow
from vendors.extensions import db

# The multi-valued attributes, named as their URL parameters. Each is stored as VendorFacetValue rows so
# that one query shape filters and counts any of them.
MULTI_VALUED = ("country", "specialisation", "channel", "language", "certification")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 80


class VendorFacts:
    """What a vendor shows beyond its columns, worked out from them and from its attribute rows
    (`facet_values`, in facet and position order): the same for a mapped Vendor and for a ShownVendor."""

    def values(self, facet: str) -> list[str]:
        return [row.value for row in self.facet_values if row.facet == facet]

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


class Vendor(VendorFacts, db.Model):
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
    return select(Vendor).options(joinedload(Vendor.facet_values)).where(_published_at_slug_condition())


def published_vendor_to_show(slug: str) -> "ShownVendor | None":
    """What published_vendor(slug) reads, for a page that only shows it, as a ShownVendor (read as
    vendors_to_show reads)."""
    if not could_be_slug(slug):
        return None
    shown = _shown(_shown_where(_published_at_slug_condition), {"slug": slug})
    return shown[0] if shown else None


def vendors_to_show(ids: list[int]) -> list["ShownVendor"]:
    """The vendors with these ids, whatever their status (the caller chose them), in id order, as
    ShownVendors: their columns and attribute rows read with one statement on the connection the app keeps
    open (vendors.database.read_on_held_connection). Mapped Vendors read through the request's session took,
    on PostgreSQL, the pool's ping, BEGIN, a SELECT of the vendors, one of their attribute rows and ROLLBACK:
    2.5 ms of an API record not yet kept, 1.6 ms this way."""
    return _shown(_shown_where(_with_ids_condition), {"ids": ids}) if ids else []


def _shown(statement, parameters: dict) -> list["ShownVendor"]:
    rows = read_on_held_connection(db.engine, lambda held: held.execute(statement, parameters).all())
    vendor_id = Vendor.__table__.c.id
    return [
        ShownVendor.of(list(rows_of_one))
        for _, rows_of_one in itertools.groupby(rows, key=lambda row: row._mapping[vendor_id])
    ]


class ShownVendor(VendorFacts):
    """A vendor as a page shows it: a Vendor's column attributes and attribute rows, read as plain rows
    rather than loaded as a mapped Vendor (half the time of the read on either database), tied to no session
    and never saved."""

    def __init__(self, columns: dict, facet_values: tuple["AttributeValue", ...]):
        self.__dict__.update(columns)
        self.facet_values = facet_values

    @classmethod
    def of(cls, rows: list) -> "ShownVendor":
        """The vendor in rows of _shown_where's statement: its columns, once per attribute row."""
        columns = {
            attribute.key: rows[0]._mapping[attribute.columns[0]] for attribute in _column_attributes()
        }
        return cls(
            columns,
            tuple(
                AttributeValue(row.facet, row.value, row.position) for row in rows if row.facet is not None
            ),
        )

    def __repr__(self) -> str:
        return f"<ShownVendor {self.slug}>"


# What pages and the API show a vendor from: a mapped Vendor, or one read only to be shown.
ShowableVendor = Vendor | ShownVendor


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One of a ShownVendor's attribute rows, with a VendorFacetValue's fields."""

    facet: str
    value: str
    position: int


@functools.cache
def _column_attributes() -> tuple:
    return tuple(Vendor.__mapper__.column_attrs)


def _published_at_slug_condition():
    vendors = Vendor.__table__
    return (vendors.c.slug == bindparam("slug")) & (vendors.c.status == "published")


def _with_ids_condition():
    return Vendor.__table__.c.id.in_(bindparam("ids", expanding=True))


@functools.cache
def _shown_where(condition):
    """The vendors meeting condition() with each of their attribute rows, a vendor's rows together and in
    the order of Vendor.facet_values; built once per condition, with its values bound at each read."""
    vendors, values = Vendor.__table__, VendorFacetValue.__table__
    return (
        select(vendors, values.c.facet, values.c.value, values.c.position)
        .outerjoin(values, values.c.vendor_id == vendors.c.id)
        .where(condition())
        .order_by(vendors.c.id, values.c.facet, values.c.position)
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
