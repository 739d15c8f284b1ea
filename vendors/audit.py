"""The audit log: who changed what and when, written in the same transaction as the change itself.

An entry names its subject (a vendor, a user account, a submission) by id and by the label it had then
(slug, email), so entries stay readable after the subject is renamed or deleted. `changes` maps each changed
field to [old value, new value] in plain JSON values.
"""

import getpass
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from vendors.database import UTCDateTime, utcnow
from vendors.extensions import db


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user (with their id), or a command run on the server."""

    label: str
    user_id: int | None = None

    @classmethod
    def command(cls, name: str) -> "Actor":
        try:
            system_user = getpass.getuser()
        except (KeyError, OSError):  # a container user with no name
            system_user = f"uid {os.getuid()}"
        return cls(f"{name} (system user {system_user})")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(20))
    # For vendors: the version the change produced, so an edit conflict can list what came after a version.
    version: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (Index("ix_audit_entries_subject", "subject", "subject_id", "id"),)


@dataclass(frozen=True)
class Entry:
    """An audit entry waiting to be written."""

    subject: str
    subject_id: int
    subject_label: str
    action: str
    changes: dict
    version: int | None = None


def record(session: Session, actor: Actor, entries: Iterable[Entry], note: str = "") -> int:
    """Write entries in the session's transaction with one INSERT; returns how many were written."""
    at = utcnow()
    rows = [
        {
            "at": at,
            "actor": actor.label,
            "user_id": actor.user_id,
            "subject": entry.subject,
            "subject_id": entry.subject_id,
            "subject_label": entry.subject_label,
            "action": entry.action,
            "version": entry.version,
            "changes": entry.changes,
            "note": note[:300],
        }
        for entry in entries
    ]
    if rows:
        session.execute(insert(AuditEntry), rows)
    return len(rows)
