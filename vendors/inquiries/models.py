"""Requests for information that buyers send to the vendors they chose, waiting to be forwarded."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vendors.catalog.models import SLUG_MAX_LENGTH
from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db

TIMELINES = {
    "now": "As soon as possible",
    "quarter": "Within 3 months",
    "half-year": "Within 6 months",
    "later": "Later than 6 months",
    "researching": "Just researching",
}
STATES = {"new": "Waiting to be forwarded", "forwarded": "Forwarded"}


class Inquiry(db.Model):
    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    headcount: Mapped[int] = mapped_column(Integer)
    timeline: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="new", index=True)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forwarded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recipients: Mapped[list["InquiryRecipient"]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryRecipient.position"
    )

    @property
    def timeline_label(self) -> str:
        return TIMELINES.get(self.timeline, self.timeline)


class InquiryRecipient(db.Model):
    """One vendor an inquiry goes to; its name and slug are kept as they were when the buyer sent it."""

    __tablename__ = "inquiry_recipients"

    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="SET NULL"), index=True)
    vendor_slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), index=True)
    vendor_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), default="")

    inquiry: Mapped[Inquiry] = relationship(back_populates="recipients")
