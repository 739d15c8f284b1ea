"""Receiving buyers' requests for information and keeping track of which were forwarded. No Flask.

An inquiry is forwarded by a person: an editor sends it on to each vendor's contact and marks it forwarded,
which the audit log records.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import selectinload

from vendors import audit
from vendors.audit import Actor
from vendors.catalog.csvfiles import neutralise
from vendors.catalog.models import Vendor
from vendors.database import utcnow, write_transaction
from vendors.extensions import db
from vendors.inquiries.models import STATES, Inquiry, InquiryRecipient


def receive(fields: dict, vendors: list[Vendor]) -> Inquiry:
    """Store one inquiry addressed to these vendors; `fields` are the form's checked values."""
    with write_transaction() as session:
        inquiry = Inquiry(**fields)
        inquiry.recipients = [
            InquiryRecipient(
                position=position,
                vendor_id=vendor.id,
                vendor_slug=vendor.slug,
                vendor_name=vendor.name,
                contact_email=vendor.contact_email,
            )
            for position, vendor in enumerate(vendors)
        ]
        session.add(inquiry)
    return inquiry


def mark_forwarded(inquiry_id: int, actor: Actor) -> bool:
    """Record that an inquiry went on to its vendors; False when it already had (two editors at once
    included: only the one whose UPDATE finds it still new records it)."""
    with write_transaction() as session:
        result = session.execute(
            update(Inquiry)
            .where(Inquiry.id == inquiry_id, Inquiry.status == "new")
            .values(status="forwarded", forwarded_at=utcnow(), forwarded_by=actor.user_id)
        )
        if result.rowcount != 1:
            return False
        company = session.scalar(select(Inquiry.company).where(Inquiry.id == inquiry_id))
        entry = audit.Entry(
            "inquiry",
            inquiry_id,
            f"#{inquiry_id} {company}"[:254],
            "forward",
            {"status": ["new", "forwarded"]},
        )
        audit.record(session, actor, [entry])
    return True


@dataclass(frozen=True)
class Filters:
    """Which inquiries the admin list and its export show. Dates are inclusive, in UTC."""

    vendor: str = ""  # a vendor slug, as it was when the inquiry was sent
    received_from: date | None = None
    received_to: date | None = None
    status: str = ""  # "" for every state

    def args(self) -> dict[str, str]:
        """The filters as the URL arguments the admin list reads."""
        values = {
            "vendor": self.vendor,
            "from": self.received_from.isoformat() if self.received_from else "",
            "to": self.received_to.isoformat() if self.received_to else "",
            "status": self.status,
        }
        return {name: value for name, value in values.items() if value}

    def query(self) -> Select:
        statement = select(Inquiry).order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
        if self.vendor:
            sent_to = select(InquiryRecipient.inquiry_id).where(InquiryRecipient.vendor_slug == self.vendor)
            statement = statement.where(Inquiry.id.in_(sent_to))
        if self.received_from:
            statement = statement.where(Inquiry.created_at >= _start_of(self.received_from))
        if self.received_to and self.received_to < date.max:
            statement = statement.where(Inquiry.created_at < _start_of(self.received_to + timedelta(days=1)))
        if self.status in STATES:
            statement = statement.where(Inquiry.status == self.status)
        return statement


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def vendors_asked() -> list[tuple[str, str]]:
    """(slug, name) of every vendor that has been sent an inquiry, by name, for the admin filter."""
    rows = db.session.execute(
        select(InquiryRecipient.vendor_slug, InquiryRecipient.vendor_name).distinct()
    ).all()
    return sorted({slug: name for slug, name in rows}.items(), key=lambda item: item[1].lower())


EXPORT_COLUMNS = (
    "id",
    "received_at",
    "status",
    "forwarded_at",
    "name",
    "company",
    "email",
    "headcount",
    "timeline",
    "vendors",
    "vendor_emails",
    "message",
)


def export_rows(filters: Filters) -> Iterator[list[str]]:
    """The header, then one row per inquiry the filters select, newest first; what buyers typed is
    neutralised so a spreadsheet shows it rather than runs it."""
    yield list(EXPORT_COLUMNS)
    statement = filters.query().options(selectinload(Inquiry.recipients)).execution_options(yield_per=500)
    for inquiry in db.session.scalars(statement):
        yield [neutralise(cell) for cell in _cells(inquiry)]


def _cells(inquiry: Inquiry) -> list[str]:
    return [
        str(inquiry.id),
        inquiry.created_at.isoformat(timespec="seconds"),
        inquiry.status,
        inquiry.forwarded_at.isoformat(timespec="seconds") if inquiry.forwarded_at else "",
        inquiry.name,
        inquiry.company,
        inquiry.email,
        str(inquiry.headcount),
        inquiry.timeline_label,
        " ".join(recipient.vendor_slug for recipient in inquiry.recipients),
        " ".join(recipient.contact_email for recipient in inquiry.recipients if recipient.contact_email),
        inquiry.message,
    ]
