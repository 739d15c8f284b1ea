"""The one listing query behind /vendors and /api/v1/vendors: filters, facet counts, sort and paging.

Values within one facet are OR-ed and facets are AND-ed. Each facet's counts apply every filter except the
facet's own, so a buyer who ticks one country still sees how many vendors each other country would add.

Browsing runs in SQL. A search (q) can match most of a large catalogue, so it runs the same rules over the
per-process bitsets of vendors.directory.bitsets, with the text match as one more bitset.
"""

import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from math import ceil

from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, case, distinct, func, select

from vendors import search
from vendors.catalog.models import MULTI_VALUED, Vendor, VendorFacetValue
from vendors.catalog.rules import RATE_BANDS, SIZE_BANDS, countries_by_shore
from vendors.directory import bitsets
from vendors.directory.params import FACET_VALUES, ListingParams, ParameterError
from vendors.extensions import db

# Facets whose every value is listed, even at zero; country and language list only values that occur.
_ALWAYS_LISTED = {"shore", "size", "specialisation", "rate_band", "certification", "channel"}


@dataclass
class Listing:
    params: ListingParams
    total: int
    vendors: list[Vendor]
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    snippets: dict[int, Markup] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.params.per_page))


def run_listing(params: ListingParams, nearshore_max_hours: Decimal) -> Listing:
    shores = countries_by_shore(params.buyer_country, nearshore_max_hours)
    if params.q:
        return _search_listing(params, shores)
    base = [Vendor.status == "published", *_rate_range_conditions(params)]
    facet_conditions = {
        facet: _facet_condition(facet, values, shores) for facet, values in params.filters.items()
    }
    conditions = base + list(facet_conditions.values())
    total = db.session.scalar(select(func.count()).select_from(Vendor).where(*conditions))
    _check_page(params, total)
    vendors = _page_of_vendors(params, conditions)
    facets = {
        facet: _facet_counts(
            facet, base + [c for f, c in facet_conditions.items() if f != facet], params, shores
        )
        for facet in FACET_VALUES
    }
    return Listing(params, total, vendors, facets)


def _search_listing(params: ListingParams, shores: dict[str, list[str]]) -> Listing:
    """The listing of the vendors matching params.q, by the same rules as browsing, over bitsets.

    Kept per process for repeated requests, keyed by the parameters, the change log position (any edit)
    and the text match (any index change). Its vendors are detached from the session, read-only copies.
    """
    match = search.find(params.q)
    catalogue = bitsets.current()
    key = (repr(params), catalogue.position)
    cached = _listings.get(key)
    if cached is not None and cached[0]() is match:
        return cached[1]
    listing = _match_listing(params, shores, match, catalogue)
    for vendor in listing.vendors:
        db.session.expunge(vendor)
    if len(_listings) >= LISTING_CACHE_SIZE:
        _listings.pop(next(iter(_listings)))
    _listings[key] = (weakref.ref(match), listing)
    return listing


LISTING_CACHE_SIZE = 256
_listings: dict[tuple, tuple] = {}


def _match_listing(params: ListingParams, shores, match, catalogue: bitsets.Catalogue) -> Listing:
    if "bits" not in match.memo:
        match.memo["bits"] = bitsets.bits_of(match.ranking.unordered())
    base = catalogue.published & match.memo["bits"]
    if params.rate_min is not None or params.rate_max is not None:
        base &= catalogue.within_rates(params.rate_min, params.rate_max)
    facet_bits = {
        facet: _facet_bits(catalogue, facet, values, shores) for facet, values in params.filters.items()
    }
    selected = base
    for bits in facet_bits.values():
        selected &= bits
    total = selected.bit_count()
    _check_page(params, total)
    ordered = (
        match.ranking
        if params.sort == "relevance"
        else bitsets.order(catalogue, params.sort, _order(params.sort))
    )
    page_ids = bitsets.first_members(ordered, selected, (params.page - 1) * params.per_page, params.per_page)
    by_id = {
        vendor.id: vendor for vendor in db.session.scalars(select(Vendor).where(Vendor.id.in_(page_ids)))
    }
    vendors = [by_id[vendor_id] for vendor_id in page_ids]
    facets = {}
    for facet in FACET_VALUES:
        within = base
        for other, bits in facet_bits.items():
            if other != facet:
                within &= bits
        facets[facet] = _in_display_order(
            facet, _bit_counts(catalogue, facet, within, shores), params.selected(facet)
        )
    snippets = search.snippets(params.q, page_ids)
    return Listing(params, total, vendors, facets, match.suggestion, snippets)


def _facet_bits(catalogue: bitsets.Catalogue, facet: str, values: tuple[str, ...], shores) -> int:
    if facet == "shore":
        return catalogue.having("country", [code for shore in values for code in shores[shore]])
    return catalogue.having(facet, values)


def _bit_counts(catalogue: bitsets.Catalogue, facet: str, within: int, shores) -> dict[str, int]:
    if facet == "shore":
        return {
            shore: (catalogue.having("country", codes) & within).bit_count()
            for shore, codes in shores.items()
        }
    return catalogue.value_counts(facet, within)


def size_band_expression() -> ColumnElement[str]:
    """SQL for rules.size_band, built from the same thresholds."""
    whens = [(Vendor.employees >= floor, slug) for slug, _, floor in reversed(SIZE_BANDS[1:])]
    return case(*whens, else_=SIZE_BANDS[0][0])


def rate_band_expression() -> ColumnElement[str]:
    """SQL for rules.rate_band, built from the same thresholds."""
    rate = Vendor.hourly_rate_min
    whens = [(rate.is_(None), "undisclosed")]
    whens += [(rate >= floor, slug) for slug, _, floor in reversed(RATE_BANDS[2:])]
    return case(*whens, else_=RATE_BANDS[1][0])


def _rate_range_conditions(params: ListingParams) -> list[ColumnElement[bool]]:
    """A rate filter keeps vendors whose disclosed range overlaps the buyer's budget range."""
    conditions = []
    if params.rate_min is not None:
        conditions.append(Vendor.hourly_rate_max >= params.rate_min)
    if params.rate_max is not None:
        conditions.append(Vendor.hourly_rate_min <= params.rate_max)
    return conditions


def _facet_condition(facet: str, values: tuple[str, ...], shores: dict[str, list[str]]) -> ColumnElement:
    if facet in MULTI_VALUED:
        return Vendor.id.in_(_vendors_with(facet, values))
    if facet == "shore":
        codes = [code for shore in values for code in shores[shore]]
        return Vendor.id.in_(_vendors_with("country", codes))
    if facet == "size":
        return size_band_expression().in_(values)
    if facet == "rate_band":
        return rate_band_expression().in_(values)
    raise ValueError(f"unknown facet {facet!r}")


def _vendors_with(facet: str, values) -> Select:
    return select(VendorFacetValue.vendor_id).where(
        VendorFacetValue.facet == facet, VendorFacetValue.value.in_(values)
    )


def _check_page(params: ListingParams, total: int) -> None:
    last_page = max(1, ceil(total / params.per_page))
    if params.page > last_page:
        raise ParameterError({"page": f"page {params.page} is past the last page, {last_page}"})


def _page_of_vendors(params: ListingParams, conditions) -> list[Vendor]:
    offset = (params.page - 1) * params.per_page
    statement = select(Vendor).where(*conditions).order_by(*_order(params.sort))
    return list(db.session.scalars(statement.offset(offset).limit(params.per_page)))


def _order(sort: str) -> list:
    by_name = [func.lower(Vendor.name), Vendor.id]
    if sort == "rate":
        return [
            Vendor.hourly_rate_min.asc().nulls_last(),
            Vendor.hourly_rate_max.asc().nulls_last(),
            *by_name,
        ]
    if sort == "size":
        return [Vendor.employees.desc(), *by_name]
    if sort == "verified":
        return [Vendor.verified_at.desc().nulls_last(), *by_name]
    return by_name


def _facet_counts(facet: str, conditions, params: ListingParams, shores) -> dict[str, int]:
    matching = select(Vendor.id).where(*conditions)
    if facet in MULTI_VALUED:
        statement = (
            select(VendorFacetValue.value, func.count())
            .where(VendorFacetValue.facet == facet, VendorFacetValue.vendor_id.in_(matching))
            .group_by(VendorFacetValue.value)
        )
    else:
        # Bucket in a subquery so the GROUP BY names a column, not a CASE with its own bound parameters
        # (PostgreSQL would not see the two CASE expressions as the same).
        buckets = _bucketed(facet, conditions, matching, shores).subquery()
        statement = select(buckets.c.bucket, func.count(distinct(buckets.c.vendor_id))).group_by(
            buckets.c.bucket
        )
    counts = {value: count for value, count in db.session.execute(statement)}
    return _in_display_order(facet, counts, params.selected(facet))


def _bucketed(facet: str, conditions, matching: Select, shores) -> Select:
    """(vendor_id, bucket) rows for the single-valued or derived facets."""
    if facet == "shore":
        shore = case(
            *[(VendorFacetValue.value.in_(codes), name) for name, codes in shores.items() if codes],
            else_="offshore",
        )
        return select(VendorFacetValue.vendor_id, shore.label("bucket")).where(
            VendorFacetValue.facet == "country", VendorFacetValue.vendor_id.in_(matching)
        )
    band = size_band_expression() if facet == "size" else rate_band_expression()
    return select(Vendor.id.label("vendor_id"), band.label("bucket")).where(*conditions)


def _in_display_order(facet: str, counts: dict[str, int], selected: tuple[str, ...]) -> dict[str, int]:
    listed = {}
    for value in FACET_VALUES[facet]:
        count = counts.get(value, 0)
        if count or value in selected or facet in _ALWAYS_LISTED:
            listed[value] = count
    return listed
