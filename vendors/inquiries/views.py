"""/inquiry: "Request information" from the vendors a buyer chose on the shortlist or the comparison."""

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from vendors.catalog.models import Vendor, could_be_slug
from vendors.directory.views import redirect_if_vendors_renamed
from vendors.extensions import db, limit_accepted_posts
from vendors.inquiries import desk
from vendors.inquiries.forms import MAX_VENDORS, InquiryForm
from vendors.shortlists import store
from vendors.shortlists.views import visitor_token

bp = Blueprint("inquiries", __name__)


@bp.route("/inquiry", methods=["GET", "POST"])
@limit_accepted_posts("INQUIRY_LIMIT_PER_ADDRESS")
def inquiry():
    offered = _offered_vendors()
    if request.method == "GET" and len(offered) < len(set(request.args.getlist("vendor"))):
        moved = redirect_if_vendors_renamed("inquiries.inquiry")
        if moved is not None:
            return moved
    # A team size carried over from the comparison fills the form in; what the buyer types wins.
    form = InquiryForm(data={"headcount": request.args.get("headcount", type=int)})
    named = request.args.getlist("vendor")
    form.offer(offered, chosen=[vendor.slug for vendor in offered if vendor.slug in named])
    if form.validate_on_submit():
        if form.website.data:
            # Filled in by software, not a person: answer as if it worked, keep nothing.
            return redirect(url_for("inquiries.sent", count=len(form.vendors.data)), 303)
        by_slug = {vendor.slug: vendor for vendor in offered}
        chosen = [by_slug[slug] for slug in form.vendors.data]
        desk.receive(
            {
                "name": form.name.data,
                "company": form.company.data,
                "email": form.email.data,
                "headcount": form.headcount.data,
                "timeline": form.timeline.data,
                "message": form.message.data,
            },
            chosen,
        )
        return redirect(url_for("inquiries.sent", count=len(chosen)), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("inquiries/inquiry.html", form=form, offered=offered), status


@bp.get("/inquiry/sent")
def sent():
    count = request.args.get("count", type=int) or 0
    return render_template("inquiries/sent.html", count=min(max(count, 1), MAX_VENDORS))


def _offered_vendors() -> list[Vendor]:
    """The published vendors the form offers: those its link or post names (in that order), else every
    listed vendor on the visitor's shortlist."""
    slugs = list(dict.fromkeys(request.values.getlist("offered") or request.args.getlist("vendor")))[
        :MAX_VENDORS
    ]
    if not slugs:
        owned = store.find(visitor_token())
        return [entry.vendor for entry in owned.entries if entry.listed] if owned else []
    found = {
        vendor.slug: vendor
        for vendor in db.session.scalars(
            select(Vendor).where(Vendor.slug.in_(filter(could_be_slug, slugs)), Vendor.status == "published")
        )
    }
    return [found[slug] for slug in slugs if slug in found]
