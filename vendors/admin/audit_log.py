"""/admin/audit: every recorded change, filterable by who, which vendor and when."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement, false, func, select

from vendors.accounts.access import requires
from vendors.admin import bp
from vendors.admin.present import date_range
from vendors.audit import AuditEntry
from vendors.catalog.models import SlugRedirect, Vendor
from vendors.database import whole_number
from vendors.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    vendor: str = ""  # a vendor's id or slug, current or former, as typed
    vendor_id: int | None = None  # the one vendor it names (_vendor_named), if any
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.actor:
            conditions.append(AuditEntry.actor == self.actor)
        if self.vendor:
            named = false() if self.vendor_id is None else AuditEntry.subject_id == self.vendor_id
            conditions += [AuditEntry.subject == "vendor", named]
        if self.since:
            conditions.append(AuditEntry.at >= datetime.combine(self.since, time(), UTC))
        if self.until and self.until < date.max:  # the last day there is has no day after it
            conditions.append(AuditEntry.at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return conditions


@bp.get("/audit")
@requires("editor")
def audit_log():
    audit_filter, problems = _filter_from_request()
    # Accounts are the admins' business: the entries, and the names of those whose only entries they are.
    visible = [] if current_user.is_admin else [AuditEntry.subject != "user"]
    conditions = audit_filter.conditions() + visible
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    pages = max(1, -(-total // PAGE_SIZE))
    page = max(1, min(request.args.get("page", 1, type=int) or 1, pages))
    entries = db.session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    actors = db.session.scalars(
        select(AuditEntry.actor).where(*visible).distinct().order_by(AuditEntry.actor)
    )
    vendor_name = _vendor_name(audit_filter.vendor_id)
    return render_template(
        "admin/audit.html",
        entries=list(entries),
        audit_filter=audit_filter,
        problems=problems,
        actors=list(actors),
        total=total,
        page=page,
        pages=pages,
        vendor_name=vendor_name,
    ), 400 if problems else 200


def _filter_from_request() -> tuple[AuditFilter, dict[str, str]]:
    dates, problems = date_range("since", "until")
    vendor = request.args.get("vendor", "").strip()[:80]
    audit_filter = AuditFilter(
        actor=request.args.get("actor", "").strip()[:254],
        vendor=vendor,
        vendor_id=_vendor_named(vendor),
        since=dates["since"],
        until=dates["until"],
    )
    return audit_filter, problems


def _vendor_named(vendor: str) -> int | None:
    """The id of the one vendor an id or slug names: the vendor with that slug now, else the one that had it
    most recently (since renamed or deleted). A slug can pass from one vendor to another, but a vendor's
    history is only its own, so the log then shows that one vendor's whole history, under every slug it had.

    A former slug of a vendor that still exists is reserved for it (its redirect). Otherwise the latest audit
    entry labelled with the slug belongs to the vendor that had it last: every slug a vendor takes labels the
    entry that gave it (its creation or its rename)."""
    vendor_id = whole_number(vendor)
    if vendor_id is not None or not vendor:
        return vendor_id
    holders = (
        select(Vendor.id).where(Vendor.slug == vendor),
        select(SlugRedirect.vendor_id).where(SlugRedirect.old_slug == vendor),
        select(AuditEntry.subject_id)
        .where(AuditEntry.subject == "vendor", AuditEntry.subject_label == vendor)
        .order_by(AuditEntry.id.desc())
        .limit(1),
    )
    for holder in holders:  # in order of their claim to the slug
        found = db.session.scalar(holder)
        if found is not None:
            return found
    return None


def _vendor_name(vendor_id: int | None) -> str | None:
    """The name of the vendor whose history is shown, while it exists."""
    return None if vendor_id is None else db.session.scalar(select(Vendor.name).where(Vendor.id == vendor_id))
