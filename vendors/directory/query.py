"""The one listing query behind /vendors and /api/v1/vendors: filters, facet counts, sort and paging.

Values within one facet are OR-ed and facets are AND-ed. Each facet's counts apply every filter except the
facet's own, so a buyer who ticks one country still sees how many vendors each other country would add.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from math import ceil

from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, case, distinct, false, func, select

from vendors import search
from vendors.catalog.models import MULTI_VALUED, Vendor, VendorFacetValue
from vendors.catalog.rules import RATE_BANDS, SIZE_BANDS, countries_by_shore
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
    base = [Vendor.status == "published", *_rate_range_conditions(params)]
    suggestion, ranked_ids = None, None
    if params.q:
        match = search.find(params.q)
        suggestion, ranked_ids = match.suggestion, match.ids
        base.append(Vendor.id.in_(ranked_ids) if ranked_ids else false())
    facet_conditions = {
        facet: _facet_condition(facet, values, shores) for facet, values in params.filters.items()
    }
    conditions = base + list(facet_conditions.values())
    total = db.session.scalar(select(func.count()).select_from(Vendor).where(*conditions))
    _check_page(params, total)
    vendors = _page_of_vendors(params, conditions, ranked_ids)
    facets = {
        facet: _facet_counts(
            facet, base + [c for f, c in facet_conditions.items() if f != facet], params, shores
        )
        for facet in FACET_VALUES
    }
    snippets = search.snippets(params.q, [vendor.id for vendor in vendors]) if params.q else {}
    return Listing(params, total, vendors, facets, suggestion, snippets)


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


def _page_of_vendors(params: ListingParams, conditions, ranked_ids: list[int] | None) -> list[Vendor]:
    offset = (params.page - 1) * params.per_page
    if params.sort == "relevance" and ranked_ids is not None:
        matching = set(db.session.scalars(select(Vendor.id).where(*conditions)))
        page_ids = [vendor_id for vendor_id in ranked_ids if vendor_id in matching][
            offset : offset + params.per_page
        ]
        by_id = {v.id: v for v in db.session.scalars(select(Vendor).where(Vendor.id.in_(page_ids)))}
        return [by_id[vendor_id] for vendor_id in page_ids]
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
