"""What curators should look at: the admin vendor list's filters and the data-quality counts. No Flask.

The same conditions drive the dashboard's counts, the vendor list's "needs attention" filter and the export
of that list, so a number on the dashboard always matches the list it links to.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from vendors.audit import AuditEntry
from vendors.catalog.models import Vendor
from vendors.database import utcnow
from vendors.directory.present import STALE_AFTER
from vendors.extensions import db
from vendors.search.fallback import escape_like

OLD_DRAFT_AFTER = timedelta(days=30)
PAGE_SIZE = 50


def _stale(today: date, _now: datetime) -> ColumnElement[bool]:
    return and_(
        Vendor.status == "published",
        or_(Vendor.verified_at.is_(None), Vendor.verified_at < today - STALE_AFTER),
    )


def _no_rate(_today: date, _now: datetime) -> ColumnElement[bool]:
    return and_(Vendor.status != "archived", Vendor.hourly_rate_min.is_(None))


def _old_draft(_today: date, now: datetime) -> ColumnElement[bool]:
    return and_(Vendor.status == "draft", Vendor.created_at < now - OLD_DRAFT_AFTER)


# slug: (label, condition)
PROBLEMS = {
    "stale": ("Published, not verified in 12 months", _stale),
    "no-rate": ("Without a rate (drafts and published)", _no_rate),
    "old-draft": ("Drafts older than 30 days", _old_draft),
}


@dataclass(frozen=True)
class VendorFilter:
    q: str = ""
    status: str = ""
    problem: str = ""

    def conditions(self, today: date | None = None, now: datetime | None = None) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.q:
            pattern = "%" + escape_like(self.q.lower()) + "%"
            conditions.append(
                or_(
                    func.lower(Vendor.name).like(pattern, escape="\\"), Vendor.slug.like(pattern, escape="\\")
                )
            )
        if self.status:
            conditions.append(Vendor.status == self.status)
        if self.problem in PROBLEMS:
            conditions.append(PROBLEMS[self.problem][1](today or date.today(), now or utcnow()))
        return conditions

    def statement(self) -> Select:
        return select(Vendor).where(*self.conditions()).order_by(Vendor.name, Vendor.id)


@dataclass
class Page:
    vendors: list[Vendor]
    total: int
    page: int
    last_editors: dict[int, AuditEntry]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def vendor_page(vendor_filter: VendorFilter, page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(Vendor).where(*vendor_filter.conditions()))
    page = max(1, min(page, max(1, -(-total // PAGE_SIZE))))
    vendors = list(
        db.session.scalars(vendor_filter.statement().limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    )
    return Page(vendors, total, page, last_changes([vendor.id for vendor in vendors]))


def last_changes(vendor_ids: list[int]) -> dict[int, AuditEntry]:
    """Each vendor's latest audit entry: who changed it last, and when."""
    if not vendor_ids:
        return {}
    latest = (
        select(func.max(AuditEntry.id))
        .where(AuditEntry.subject == "vendor", AuditEntry.subject_id.in_(vendor_ids))
        .group_by(AuditEntry.subject_id)
    )
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id.in_(latest)))
    return {entry.subject_id: entry for entry in entries}


@dataclass(frozen=True)
class ProblemCount:
    slug: str
    label: str
    count: int
    examples: list[Vendor]


def problem_counts(examples: int = 5) -> list[ProblemCount]:
    counts = []
    for slug, (label, _) in PROBLEMS.items():
        conditions = VendorFilter(problem=slug).conditions()
        count = db.session.scalar(select(func.count()).select_from(Vendor).where(*conditions)) or 0
        shown = db.session.scalars(
            select(Vendor)
            .where(*conditions)
            .order_by(Vendor.verified_at.is_not(None), Vendor.verified_at, Vendor.name)
            .limit(examples)
        )
        counts.append(ProblemCount(slug, label, count, list(shown)))
    return counts
