from decimal import Decimal

from flask import abort, current_app, jsonify, request, url_for

from vendors import pagecache, search
from vendors.api import bp, invalid_parameters
from vendors.catalog.models import SLUG_MAX_LENGTH, ShowableVendor, published_vendor_to_show
from vendors.directory import present
from vendors.directory.params import parse_listing
from vendors.directory.query import run_listing
from vendors.directory.views import redirect_if_renamed
from vendors.reference.countries import COUNTRIES, country_name
from vendors.validation import InvalidParameters, as_spelled


@bp.get("/vendors")
@pagecache.cached()
def list_vendors():
    try:
        params = parse_listing(request.args, current_app.config["BUYER_COUNTRY"])
        listing = run_listing(params, current_app.config["NEARSHORE_MAX_HOURS"])
    except InvalidParameters as error:
        return invalid_parameters(error.problems)
    return jsonify(
        total=listing.total,
        page=params.page,
        per_page=params.per_page,
        pages=listing.pages,
        buyer_country=params.buyer_country,
        sort=params.sort,
        q=params.q,
        suggestion=listing.suggestion,
        understood=_understood(listing),
        partial=listing.partial,
        items=[vendor_summary(vendor, params.buyer_country) for vendor in listing.vendors],
        facets=listing.facets,
    )


def _understood(listing) -> list[dict]:
    """The filter values the search's words named, each with the search that reads those words as text."""
    understanding = listing.understanding
    if understanding is None:
        return []
    buyer = country_name(listing.params.buyer_country)
    return [
        {
            "words": item.phrase,
            "facet": item.facet,
            "values": list(item.values),
            "label": understanding.label(item, buyer),
            "as_words": understanding.as_words(item),
        }
        for item in understanding.understood
    ]


@bp.get("/suggest")
@pagecache.cached()
def suggest_names():
    """Up to 8 vendor names for what the buyer has typed so far, for the search box."""
    prefix = request.args.get("q", "")
    if len(prefix) > search.MAX_QUERY_LENGTH:
        return invalid_parameters({"q": str(search.QueryTooLong(len(prefix)))})
    found = search.suggest_vendors(prefix)
    return jsonify(
        q=prefix,
        names=[name for name, _ in found],
        vendors=[
            {"name": name, "slug": slug, "url": url_for("directory.vendor_page", slug=slug, _external=True)}
            for name, slug in found
        ],
    )


@bp.get("/vendors/<slug>")
@pagecache.cached()
def get_vendor(slug: str):
    vendor = published_vendor_to_show(slug)
    if vendor is None:
        moved = redirect_if_renamed("api.get_vendor", slug)
        if moved is not None:
            return moved
        shown = slug if len(slug) <= SLUG_MAX_LENGTH else slug[:SLUG_MAX_LENGTH] + "…"
        abort(404, description=f"No published vendor has the slug {shown!r}.")
    buyer_country = as_spelled(request.args.get("buyer_country", ""), capitals=True)
    buyer_country = buyer_country or current_app.config["BUYER_COUNTRY"]
    if buyer_country not in COUNTRIES:
        return invalid_parameters(
            {"buyer_country": f"{buyer_country[:10]!r} is not a country code the directory knows"}
        )
    return jsonify(vendor_details(vendor, buyer_country))


def vendor_summary(vendor: ShowableVendor, buyer_country: str) -> dict:
    delivered = present.delivery_countries(vendor, buyer_country, current_app.config["NEARSHORE_MAX_HOURS"])
    return {
        "slug": vendor.slug,
        "name": vendor.name,
        "tagline": vendor.tagline,
        "url": url_for("directory.vendor_page", slug=vendor.slug, _external=True),
        "hq_country": vendor.hq_country,
        "delivery_countries": [
            {"code": country.code, "name": country.name, "shore": country.shore} for country in delivered
        ],
        "shore": present.shores(delivered),
        "size_band": vendor.size_band,
        "employees": vendor.employees,
        "hourly_rate_min": _amount(vendor.hourly_rate_min),
        "hourly_rate_max": _amount(vendor.hourly_rate_max),
        "rate_band": vendor.rate_band,
        "specialisations": vendor.specialisations,
        "languages": vendor.languages,
        "certifications": vendor.certifications,
        "channels": vendor.channels,
        "coverage": vendor.coverage,
        "verified_at": vendor.verified_at.isoformat() if vendor.verified_at else None,
    }


def vendor_details(vendor: ShowableVendor, buyer_country: str) -> dict:
    return {
        **vendor_summary(vendor, buyer_country),
        "hq_country_name": country_name(vendor.hq_country),
        "description": vendor.description,
        "website": vendor.website,
        "contact_email": vendor.contact_email,
        "founded_year": vendor.founded_year,
        "min_seats": vendor.min_seats,
        "verification_stale": present.is_stale(vendor.verified_at),
        "buyer_country": buyer_country,
        "created_at": vendor.created_at.isoformat(),
        "updated_at": vendor.updated_at.isoformat(),
    }


def _amount(value: Decimal | None) -> float | None:
    """USD amounts as JSON numbers (two decimals); None stays null, meaning undisclosed."""
    return None if value is None else float(value)
