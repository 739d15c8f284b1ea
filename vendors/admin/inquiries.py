"""/admin/inquiries: buyers' requests for information, filtered by vendor and date, forwarded and exported."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from vendors.accounts.access import current_actor, requires, safe_next
from vendors.admin import bp
from vendors.admin.present import date_range
from vendors.catalog.csvfiles import download
from vendors.catalog.models import could_be_slug
from vendors.database import whole_number
from vendors.extensions import db
from vendors.inquiries import desk
from vendors.inquiries.models import STATES, Inquiry

PAGE_SIZE = 100


@bp.get("/inquiries")
@requires("editor")
def inquiry_list():
    filters, problems = _filters()
    statement = filters.query()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(whole_number(request.args.get("page")) or 1, pages)
    inquiries = list(db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        "admin/inquiries.html",
        inquiries=inquiries,
        total=total,
        page=page,
        pages=pages,
        page_url=lambda number: url_for("admin.inquiry_list", **filters.args(), page=number),
        filters=filters,
        problems=problems,
        states=STATES,
        vendors=desk.vendors_asked(),
        export_url=url_for("admin.inquiry_export", **filters.args()),
    ), 400 if problems else 200


@bp.get("/inquiries/export.csv")
@requires("editor")
def inquiry_export():
    filters, problems = _filters()
    if problems:
        abort(400, description=" ".join(problems.values()))
    return download(desk.export_rows(filters), f"inquiries-{date.today().isoformat()}.csv")


@bp.post("/inquiries/<int:inquiry_id>/forwarded")
@requires("editor")
def inquiry_forwarded(inquiry_id: int):
    inquiry = db.session.get(Inquiry, inquiry_id) or abort(404)
    if desk.mark_forwarded(inquiry_id, current_actor()):
        flash(f"Inquiry #{inquiry_id} from {inquiry.company} is marked as forwarded.", "ok")
    else:
        flash(f"Inquiry #{inquiry_id} was marked as forwarded already.", "ok")
    return redirect(safe_next(request.form.get("next"), "admin.inquiry_list"), 303)


def _filters() -> tuple[desk.Filters, dict[str, str]]:
    dates, problems = date_range("from", "to")
    status = request.args.get("status", "")
    vendor = request.args.get("vendor", "").strip()
    if vendor and not could_be_slug(vendor):
        problems["vendor"] = "That is not a vendor's address (its slug)."
        vendor = ""
    filters = desk.Filters(
        vendor=vendor,
        received_from=dates["from"],
        received_to=dates["to"],
        status=status if status in STATES else "",
    )
    return filters, problems
