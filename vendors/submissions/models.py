"""Listings sent in by vendors through /submit, waiting for an editor."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db

STATES = {"pending": "Waiting for review", "approved": "Approved", "rejected": "Rejected"}


class Submission(db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    submitter_name: Mapped[str] = mapped_column(String(200))
    submitter_email: Mapped[str] = mapped_column(String(254))
    # The vendor fields as submitted (already valid when they arrived), in parse_record's plain form.
    record: Mapped[dict] = mapped_column(JSON)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    vendor_id: Mapped[int | None] = mapped_column(Integer)  # the vendor an approval created

    @property
    def name(self) -> str:
        return self.record.get("name", "")
