from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, url_for

from vendors import pagecache
from vendors.catalog.models import published_vendor_to_show, renamed_vendor
from vendors.catalog.rules import SHORES
from vendors.directory import present, vendorpages
from vendors.directory.params import (
    DEFAULT_PER_PAGE,
    FACET_TITLES,
    FACET_VALUES,
    MAX_PER_PAGE,
    PLAIN_RATE,
    SORTS,
    facet_key,
    parse_listing,
)
from vendors.directory.query import run_listing
from vendors.links import URL_QUERY_SAFE, with_query
from vendors.reference.countries import COUNTRIES, country_name
from vendors.reference.taxonomy import COVERAGE
from vendors.search import MAX_QUERY_LENGTH
from vendors.validation import InvalidParameters, as_spelled

bp = Blueprint("directory", __name__)

PER_PAGE_CHOICES = (10, 20, 50, 100)
LONG_FACET = 15  # a facet with more values than this (countries, languages) shows its most common ones first
LONG_FACET_SHOWN = 6
BUYER_COOKIE = "buyer_country"
BUYER_COOKIE_MAX_AGE = 365 * 24 * 3600


def template_helpers() -> dict:
    return {
        "facet_titles": FACET_TITLES,
        "facet_labels": FACET_VALUES,
        "sorts": SORTS,
        "shore_labels": SHORES,
        "coverage_labels": COVERAGE,
        "country_options": present.country_options,
        "country_name": country_name,
        "money": money,
        "listing_url": listing_url,
        "per_page_choices": PER_PAGE_CHOICES,
        "long_facet": LONG_FACET,
        "long_facet_shown": LONG_FACET_SHOWN,
        "is_stale": present.is_stale,
        "verification_note": present.verification_note,
        "size_text": present.size_text,
    }


def listing_url(params, **changes) -> str:
    """The /vendors URL for this state with `changes` applied (any change returns to page 1). The same
    address url_for would build, without building the path again for each of the page's ~90 links."""
    changes.setdefault("page", 1)
    query = urlencode(list(params.query_args(**changes).items(multi=True)), safe=URL_QUERY_SAFE)
    return _listing_path() + ("?" + query if query else "")


def _listing_path() -> str:
    if "listing_path" not in g:
        g.listing_path = url_for("directory.index")
    return g.listing_path


def facet_label(value: str, facet: str) -> str:
    return FACET_VALUES[facet].get(value, value)


def money(amount) -> str:
    return f"${amount:,.2f}"


def remembered_buyer_country() -> str:
    """The buyer country this visitor chose before, else the site's default."""
    remembered = as_spelled(request.cookies.get(BUYER_COOKIE, ""), capitals=True)
    return remembered if remembered in COUNTRIES else current_app.config["BUYER_COUNTRY"]


def remember_buyer_country(response, buyer_country: str):
    if "buyer_country" in request.args and request.cookies.get(BUYER_COOKIE) != buyer_country:
        response.set_cookie(
            BUYER_COOKIE,
            buyer_country,
            max_age=BUYER_COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def redirect_if_renamed(endpoint: str, slug: str):
    """A 301 to the page of the published vendor that used to have this slug (query kept), else None."""
    renamed = renamed_vendor(slug)
    if renamed is None:
        return None
    target = url_for(endpoint, slug=renamed.slug)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    response = redirect(target, 301)
    # Browsers would keep a 301 without asking again. A vendor may take its old slug back, and the kept
    # redirect from its old address would then send its visitors round in a loop, back and forth.
    response.cache_control.no_cache = True
    return response


def redirect_if_vendors_renamed(endpoint: str):
    """A 301 to the same page with each `vendor` of the query that names a published vendor by a former slug
    naming it by its slug now (the rest of the query kept), else None: an estimate, a comparison or an
    inquiry linked before a rename keeps working, as the vendor's page does. Marked no-cache for the reason
    redirect_if_renamed gives."""
    named = request.args.getlist("vendor")
    now = [renamed.slug if (renamed := renamed_vendor(slug.strip())) else slug for slug in named]
    if now == named:
        return None
    arguments = request.args.to_dict(flat=False) | {"vendor": now}
    response = redirect(with_query(endpoint, arguments), 301)
    response.cache_control.no_cache = True
    return response


@bp.get("/vendors")
@pagecache.cached()
def index():
    if "shown_sort" in request.args:
        return redirect(with_query("directory.index", _without_carried_sort(request.args)), 303)
    params, listing, problems = _listing_for_page(request.args)
    hours = current_app.config["NEARSHORE_MAX_HOURS"]
    delivered = {
        vendor.id: present.delivery_countries(vendor, params.buyer_country, hours)
        for vendor in listing.vendors
    }
    page = render_template(
        "directory/index.html", listing=listing, params=params, delivered=delivered, problems=problems
    )
    return remember_buyer_country(make_response(page), params.buyer_country)


def _listing_for_page(args):
    """The listing the page shows and, in plain words by parameter, what was wrong with the address. The page
    never gives way to an error screen: a bad parameter is left out (a search too long is cut to the limit),
    and a page past the end shows the last page. The API answers the same problems with a 400."""
    buyer_country, hours = remembered_buyer_country(), current_app.config["NEARSHORE_MAX_HOURS"]
    problems: dict[str, str] = {}
    try:
        params = parse_listing(args, buyer_country)
    except InvalidParameters as error:
        problems = {name: plain_problem(name, args, buyer_country) for name in error.problems}
        kept = args.copy()
        for name in error.problems:
            known = _known_values(name, kept.poplist(name))
            if known:  # the filter's other values stay chosen: only the unknown ones are left out
                kept.setlist(name, known)
        if "q" in error.problems:
            kept["q"] = args.get("q", "")[:MAX_QUERY_LENGTH]
        params = parse_listing(kept, buyer_country)
    try:
        return params, run_listing(params, hours), problems
    except InvalidParameters:  # the page is past the last one
        last = run_listing(replace(params, page=1), hours).pages
        problems["page"] = f"There is no page {params.page}: the results end at page {last}, shown here."
        params = replace(params, page=last)
        return params, run_listing(params, hours), problems


def _known_values(name: str, values: list[str]) -> list[str]:
    """The values of a filter the directory knows; none for a parameter that is not a filter."""
    if name not in FACET_VALUES:
        return []
    return [value for value in values if value.strip() and facet_key(name, value) in FACET_VALUES[name]]


def plain_problem(name: str, args, buyer_country: str) -> str:
    """What was wrong with one parameter of the address, as the page tells the buyer."""
    if name == "q":
        return f"Searches are limited to {MAX_QUERY_LENGTH} characters; the words after that were left out."
    if name == "buyer_country":
        return f"That country is not in the list, so shores are shown for {country_name(buyer_country)}."
    if name in FACET_VALUES:
        unknown = [
            v for v in args.getlist(name) if v.strip() and facet_key(name, v) not in FACET_VALUES[name]
        ]
        named = ", ".join(f"“{value.strip()}”" for value in unknown)
        return f"{named} is not a {FACET_TITLES[name].lower()} the directory knows, so it was left out."
    if name == "rate_max" and _is_amount(args.get("rate_max")) and _is_amount(args.get("rate_min")):
        return "The highest rate is below the lowest, so it was left out."
    if name in ("rate_min", "rate_max"):
        return "Enter an hourly rate in US dollars between 0 and 1,000; this one was left out."
    if name == "sort":
        return "That order is not offered, so the results are in the usual order."
    if name == "per_page":
        return f"Choose between 1 and {MAX_PER_PAGE} vendors a page; showing {DEFAULT_PER_PAGE}."
    return "Pages are numbered from 1; showing the first."


def _is_amount(raw: str | None) -> bool:
    return raw is not None and PLAIN_RATE.fullmatch(raw.strip()) is not None


def _without_carried_sort(args) -> dict:
    """The form's arguments, minus the sort it carried from the page before when the search words changed:
    new words are ordered by best match, unless the buyer picked another sort with them."""
    cleaned = args.to_dict(flat=False)
    shown_q, shown_sort = cleaned.pop("shown_q", [""])[0], cleaned.pop("shown_sort", [""])[0]
    new_words = args.get("q", "").split() != shown_q.split()
    if new_words and cleaned.get("sort", [""])[0] == shown_sort:
        cleaned.pop("sort", None)
    return cleaned


def _vendor_page_made_early(slug: str) -> pagecache.Made | None:
    """The vendor page put together from its kept skeleton, for the page cache's front door
    (vendors.frontdoor) to answer before Flask's request hooks; None when no skeleton is kept (the page is
    then rendered whole)."""
    buyer_country = _buyer_country_shown()
    compress = vendorpages.compressed_from_kept_skeleton(slug, _places(buyer_country))
    if compress is None:
        return None
    headers = remember_buyer_country(current_app.response_class(mimetype="text/html"), buyer_country).headers
    return pagecache.Made(200, list(headers.items()), compress)


@bp.get("/vendors/<slug>")
# Besides the address and the cookies: the listing its "All vendors" link returns to when the Referer names it
# (one named by `back` is in the address already, so a visit with no Referer reads no more of the request).
@pagecache.cached(
    vary=lambda: _listing_came_from() if request.referrer else None, made_early=_vendor_page_made_early
)
def vendor_page(slug: str):
    buyer_country = _buyer_country_shown()
    places = _places(buyer_country)
    # A page kept for every visitor alike is made from the vendor's skeleton when one is kept.
    page = vendorpages.from_kept_skeleton(slug, places) if g.get("recording_page") else None
    if page is None:
        vendor = published_vendor_to_show(slug)
        page = vendorpages.rendered(vendor, places) if vendor is not None else None
    if page is None:
        moved = redirect_if_renamed("directory.vendor_page", slug)
        if moved is not None:
            return moved
        abort(404, description="There is no published vendor at this address.")
    return remember_buyer_country(make_response(page), buyer_country)


def _buyer_country_shown() -> str:
    """The buyer country the address names, else the one the visitor chose before, else the default."""
    buyer_country = as_spelled(request.args.get("buyer_country", ""), capitals=True)
    return buyer_country if buyer_country in COUNTRIES else remembered_buyer_country()


def _places(buyer_country: str) -> vendorpages.Places:
    return vendorpages.Places(
        buyer_country, _listing_to_return_to(buyer_country), request.full_path.rstrip("?")
    )


def _listing_to_return_to(buyer_country: str) -> str:
    """The directory page the buyer came from, else the whole directory, seen from the buyer country this
    page shows: one chosen here replaces the one the listing names (a listing naming none shows the
    remembered one, which this page has just set)."""
    listing = _listing_came_from()
    if listing is None:  # as url_for would build it, in a fraction of the time: the code needs no escaping
        return f"{_listing_path()}?buyer_country={buyer_country}"
    path, _, query = listing.partition("?")
    arguments = parse_qsl(query, keep_blank_values=True)
    if all(name != "buyer_country" for name, _ in arguments):
        return listing
    seen_from = [(name, buyer_country if name == "buyer_country" else value) for name, value in arguments]
    return path + "?" + urlencode(seen_from, safe=URL_QUERY_SAFE)


def _listing_came_from() -> str | None:
    """The directory page the buyer came from, with its search and filters (passed on as `back` when the
    vendor page reloads itself); None when neither `back` nor the referrer is one. Only this site's /vendors
    is ever linked."""
    candidates = [candidate for candidate in (request.args.get("back"), request.referrer) if candidate]
    if not candidates:
        return None
    listing = url_for("directory.index")
    for candidate in candidates:
        try:
            parts = urlsplit(candidate)
        except ValueError:  # not an address at all ("http://[", say): no listing to return to
            continue
        if parts.netloc in ("", request.host) and parts.path == listing and not candidate.startswith("//"):
            return listing + (f"?{parts.query}" if parts.query else "")
    return None
