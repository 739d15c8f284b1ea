"""/admin/audit: every recorded change, filterable by who, which vendor and when."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement, func, or_, select

from vendors.accounts.access import requires
from vendors.admin import bp
from vendors.admin.present import date_range
from vendors.audit import AuditEntry
from vendors.catalog.models import Vendor
from vendors.database import whole_number
from vendors.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    vendor: str = ""  # a vendor's id or slug, current or former
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.actor:
            conditions.append(AuditEntry.actor == self.actor)
        if self.vendor:
            conditions += [AuditEntry.subject == "vendor", self._vendor_condition()]
        if self.since:
            conditions.append(AuditEntry.at >= datetime.combine(self.since, time(), UTC))
        if self.until and self.until < date.max:  # the last day there is has no day after it
            conditions.append(AuditEntry.at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return conditions

    def _vendor_condition(self) -> ColumnElement[bool]:
        vendor_id = whole_number(self.vendor)
        if vendor_id is not None:
            return AuditEntry.subject_id == vendor_id
        current = db.session.scalar(select(Vendor.id).where(Vendor.slug == self.vendor))
        by_label = AuditEntry.subject_label == self.vendor
        return by_label if current is None else or_(by_label, AuditEntry.subject_id == current)


@bp.get("/audit")
@requires("editor")
def audit_log():
    audit_filter, problems = _filter_from_request()
    conditions = audit_filter.conditions()
    if not current_user.is_admin:
        conditions.append(AuditEntry.subject != "user")  # accounts are the admins' business
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
    actors = db.session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor))
    vendor_name = _vendor_name(audit_filter.vendor)
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
    audit_filter = AuditFilter(
        actor=request.args.get("actor", "").strip()[:254],
        vendor=request.args.get("vendor", "").strip()[:80],
        since=dates["since"],
        until=dates["until"],
    )
    return audit_filter, problems


def _vendor_name(vendor: str) -> str | None:
    if not vendor:
        return None
    vendor_id = whole_number(vendor)
    named = Vendor.id == vendor_id if vendor_id is not None else Vendor.slug == vendor
    return db.session.scalar(select(Vendor.name).where(named))
