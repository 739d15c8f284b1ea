from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for

from vendors.catalog.models import published_vendor, renamed_vendor
from vendors.catalog.rules import SHORES
from vendors.directory import present
from vendors.directory.params import FACET_TITLES, FACET_VALUES, SORTS, parse_listing
from vendors.directory.query import run_listing
from vendors.reference.countries import COUNTRIES, country_name
from vendors.reference.taxonomy import COVERAGE
from vendors.validation import InvalidParameters

bp = Blueprint("directory", __name__)

BUYER_COOKIE = "buyer_country"
BUYER_COOKIE_MAX_AGE = 365 * 24 * 3600


def template_helpers() -> dict:
    return {
        "facet_titles": FACET_TITLES,
        "facet_labels": FACET_VALUES,
        "sorts": SORTS,
        "shore_labels": SHORES,
        "coverage_labels": COVERAGE,
        "countries": COUNTRIES,
        "country_name": country_name,
        "money": money,
        "listing_url": listing_url,
    }


def listing_url(params, **changes) -> str:
    """The /vendors URL for this state with `changes` applied (any change returns to page 1)."""
    changes.setdefault("page", 1)
    return url_for("directory.index", **params.query_args(**changes).to_dict(flat=False))


def facet_label(value: str, facet: str) -> str:
    return FACET_VALUES[facet].get(value, value)


def money(amount) -> str:
    return f"${amount:,.2f}"


def remembered_buyer_country() -> str:
    """The buyer country this visitor chose before, else the site's default."""
    remembered = request.cookies.get(BUYER_COOKIE, "").upper()
    return remembered if remembered in COUNTRIES else current_app.config["BUYER_COUNTRY"]


def remember_buyer_country(response, buyer_country: str):
    if "buyer_country" in request.args and request.cookies.get(BUYER_COOKIE) != buyer_country:
        response.set_cookie(
            BUYER_COOKIE, buyer_country, max_age=BUYER_COOKIE_MAX_AGE, samesite="Lax", httponly=True
        )
    return response


# Browsers keep a 301 without asking again; a day bounds how long a vendor that takes its old slug back
# could be missed by someone who followed the old link before.
RENAMED_REDIRECT_MAX_AGE = 24 * 3600


def redirect_if_renamed(endpoint: str, slug: str):
    """A 301 to the page of the published vendor that used to have this slug (query kept), else None."""
    renamed = renamed_vendor(slug)
    if renamed is None:
        return None
    target = url_for(endpoint, slug=renamed.slug)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    response = redirect(target, 301)
    response.cache_control.max_age = RENAMED_REDIRECT_MAX_AGE
    return response


@bp.get("/vendors")
def index():
    if "shown_sort" in request.args:
        return redirect(url_for("directory.index", **_without_carried_sort(request.args)), 303)
    try:
        params = parse_listing(request.args, remembered_buyer_country())
        listing = run_listing(params, current_app.config["NEARSHORE_MAX_HOURS"])
    except InvalidParameters as error:
        return render_template("directory/invalid.html", problems=error.problems), 400
    hours = current_app.config["NEARSHORE_MAX_HOURS"]
    delivered = {
        vendor.id: present.delivery_countries(vendor, params.buyer_country, hours)
        for vendor in listing.vendors
    }
    page = render_template("directory/index.html", listing=listing, params=params, delivered=delivered)
    return remember_buyer_country(make_response(page), params.buyer_country)


def _without_carried_sort(args) -> dict:
    """The form's arguments, minus the sort it carried from the page before when the search words changed:
    new words are ordered by best match, unless the buyer picked another sort with them."""
    cleaned = args.to_dict(flat=False)
    shown_q, shown_sort = cleaned.pop("shown_q", [""])[0], cleaned.pop("shown_sort", [""])[0]
    new_words = args.get("q", "").split() != shown_q.split()
    if new_words and cleaned.get("sort", [""])[0] == shown_sort:
        cleaned.pop("sort", None)
    return cleaned


@bp.get("/vendors/<slug>")
def vendor_page(slug: str):
    vendor = published_vendor(slug)
    if vendor is None:
        moved = redirect_if_renamed("directory.vendor_page", slug)
        if moved is not None:
            return moved
        abort(404, description="There is no published vendor at this address.")
    buyer_country = request.args.get("buyer_country", "").upper()
    if buyer_country not in COUNTRIES:
        buyer_country = remembered_buyer_country()
    delivered = present.delivery_countries(vendor, buyer_country, current_app.config["NEARSHORE_MAX_HOURS"])
    page = render_template(
        "directory/vendor.html",
        vendor=vendor,
        buyer_country=buyer_country,
        delivered=delivered,
        stale=present.is_stale(vendor.verified_at),
    )
    return remember_buyer_country(make_response(page), buyer_country)
