"""The submissions queue: receiving a listing request, approving it into a vendor, or rejecting it."""

from sqlalchemy import select

from vendors import audit
from vendors.audit import Actor
from vendors.catalog.models import Vendor
from vendors.catalog.records import RecordError, parse_record, plain_values
from vendors.catalog.writes import catalogue_writes, former_slugs
from vendors.database import utcnow, write_transaction
from vendors.extensions import db
from vendors.submissions.models import Submission

# What a vendor may not decide about its own listing.
EDITOR_ONLY = ("status", "verified_at")


class AlreadyDecided(ValueError):
    """The submission was approved or rejected already (by someone else, or in another tab)."""


def receive(record: dict, submitter_name: str, submitter_email: str) -> Submission:
    """Check a submitted listing with the catalogue's rules and queue it; raises RecordError if it is bad."""
    cleaned = parse_record({**record, "status": "draft", "verified_at": None})
    slug = cleaned["slug"]
    if db.session.scalar(select(Vendor.id).where(Vendor.slug == slug)) is not None or former_slugs([slug]):
        raise RecordError(cleaned["slug"], {"slug": f"{cleaned['slug']!r} is not available; choose another"})
    kept = {field: value for field, value in plain_values(cleaned).items() if field not in EDITOR_ONLY}
    with write_transaction() as session:
        submission = Submission(
            record=kept, submitter_name=submitter_name.strip(), submitter_email=submitter_email.strip()
        )
        session.add(submission)
    return submission


def approve(submission_id: int, record: dict, actor: Actor) -> Vendor:
    """Create the vendor (as edited by the reviewer; its status says draft or published) and close the
    submission, in one transaction."""
    with catalogue_writes(actor, note=f"from submission #{submission_id}") as writer:
        submission = _pending(writer.session, submission_id)
        vendor = writer.create(record)
        writer.flush()
        _decide(writer.session, submission, actor, "approved", vendor_id=vendor.id)
    return vendor


def reject(submission_id: int, reason: str, actor: Actor) -> None:
    if not reason.strip():
        raise ValueError("give the reason for the rejection")
    with write_transaction() as session:
        _decide(session, _pending(session, submission_id), actor, "rejected", reason=reason.strip())


def _pending(session, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id, with_for_update=True)
    if submission is None:
        raise LookupError(f"there is no submission #{submission_id}")
    if submission.status != "pending":
        raise AlreadyDecided(f"submission #{submission_id} was {submission.status} already")
    return submission


def _decide(session, submission: Submission, actor: Actor, status: str, vendor_id=None, reason="") -> None:
    submission.status = status
    submission.reviewed_at = utcnow()
    submission.reviewed_by = actor.user_id
    submission.vendor_id = vendor_id
    submission.rejection_reason = reason
    changes = {"status": ["pending", status]} | ({"reason": [None, reason]} if reason else {})
    entry = audit.Entry("submission", submission.id, submission.name, status, changes)
    audit.record(session, actor, [entry])
