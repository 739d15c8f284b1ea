"""The one listing query behind /vendors and /api/v1/vendors: filters, facet counts, sort and paging.

Values within one facet are OR-ed and facets are AND-ed. Each facet's counts apply every filter except the
facet's own, so a buyer who ticks one country still sees how many vendors each other country would add.

The rules run over the per-process bitsets of vendors.directory.bitsets, so a filter is an AND and a count is
a population count however large the catalogue; a search (q) is one more bitset, its text match.
"""

import weakref
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import chain, combinations
from math import ceil

from markupsafe import Markup
from sqlalchemy import func

from vendors import search
from vendors.catalog.models import ShownVendor, Vendor, vendors_to_show
from vendors.catalog.rules import countries_by_shore
from vendors.directory import bitsets
from vendors.directory.params import FACET_VALUES, ListingParams
from vendors.directory.understanding import Understanding, understand
from vendors.search import readcache
from vendors.validation import InvalidParameters

# Facets whose every value is listed, even at zero; country and language list only values that occur.
_ALWAYS_LISTED = {"shore", "size", "specialisation", "rate_band", "certification", "channel", "coverage"}


@dataclass
class Listing:
    params: ListingParams
    total: int
    vendors: list[Vendor]
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    understanding: Understanding | None = None  # the filter values the search's words named
    partial: bool = False  # no vendor matches every word of the search: these match the most of them
    searched_stems: frozenset[str] | None = None  # what a search's snippets highlight; None without a search

    @property
    def searched(self) -> bool:
        """Whether the search words, if any, held anything to search for: "😀" or "the and" hold nothing, and
        the listing is then the whole directory."""
        return bool(self.understanding and self.understanding.understood) or search.has_words(
            self.understanding.text if self.understanding else ""
        )

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.params.per_page))

    @cached_property
    def snippets(self) -> dict[int, Markup]:
        """Each vendor's excerpt with the search's words highlighted, made when a page shows them: the API
        shows none, and making them was a fifth of a listing's first ask."""
        if self.searched_stems is None:
            return {}
        return search.highlighted(self.searched_stems, [vendor.id for vendor in self.vendors])


def run_listing(params: ListingParams, nearshore_max_hours: Decimal) -> Listing:
    """One page of the listing with its facet counts; the same rules with and without a search.

    Kept per process for repeated requests, keyed by the parameters, the change log position (any edit)
    and the text match (any index change). Its vendors are detached from the session, read-only copies,
    shared with the other listings that show them (listed_vendors).
    """
    understanding = understand(params.q) if params.q else None
    text = understanding.text if understanding else ""
    # Words every vendor has ("bpo", "the") beside filter words match all alike: they give no order.
    match = search.find(text) if text and search.has_words(text) else None
    catalogue = bitsets.current()
    key = ("listing", search.database_identity(), repr(params), nearshore_max_hours, catalogue.position)
    cached = readcache.CACHE.get(key)
    if cached is not None and cached[0]() is match:
        return cached[1]
    shores = countries_by_shore(params.buyer_country, nearshore_max_hours)
    listing = _listing(params, shores, match, catalogue, understanding)
    cost = len(listing.vendors) * readcache.COST_PER_LISTED_VENDOR
    readcache.CACHE.put(key, (weakref.ref(match) if match else _no_match, listing), cost)
    return listing


def _no_match() -> None:
    return None


def _listing(
    params: ListingParams, shores, match, catalogue: bitsets.Catalogue, understanding: Understanding | None
) -> Listing:
    base = catalogue.published
    if params.rate_min is not None or params.rate_max is not None:
        base &= catalogue.within_rates(params.rate_min, params.rate_max)
    searched = _search_parts(match, understanding, catalogue, shores)
    relaxed = False
    if searched:
        every = base
        for part in searched:
            every &= part
        if not every and len(searched) > 1:
            every, relaxed = _in_most(searched, base), True
        base = every
    facet_bits = {
        facet: _facet_bits(catalogue, facet, values, shores) for facet, values in params.filters.items()
    }
    selected = base
    for bits in facet_bits.values():
        selected &= bits
    total = selected.bit_count()
    _check_page(params, total)
    ordered = _ordered(params.sort, catalogue, match, understanding, relaxed)
    page_ids = bitsets.first_members(ordered, selected, (params.page - 1) * params.per_page, params.per_page)
    by_id = listed_vendors(page_ids)
    # A vendor deleted after the bitsets' position was read is missing here; the page goes without it.
    vendors = [by_id[vendor_id] for vendor_id in page_ids if vendor_id in by_id]
    facets = {}
    for facet in FACET_VALUES:
        within = base
        for other, bits in facet_bits.items():
            if other != facet:
                within &= bits
        facets[facet] = _in_display_order(
            facet, _bit_counts(catalogue, facet, within, shores), params.selected(facet)
        )
    partial = bool(total) and (relaxed or (match is not None and match.partial))
    if match is None:
        return Listing(params, total, vendors, facets, understanding=understanding, partial=partial)
    suggestion = match.respelling(params.q)
    return Listing(params, total, vendors, facets, suggestion, understanding, partial, match.stems)


def listed_vendors(ids: list[int]) -> dict[int, ShownVendor]:
    """The vendors with these ids as of the change log's position: read-only copies (vendors_to_show) kept
    per process. Listings share most of their vendors (the first page of each sort, the vendors a filter
    leaves), so a listing not kept yet reads only the vendors no listing has shown since the last edit."""
    as_of = (search.database_identity(), search.log_position())
    found, missing = {}, []
    for vendor_id in ids:
        vendor = readcache.CACHE.get(("listed vendor", as_of, vendor_id))
        if vendor is None:
            missing.append(vendor_id)
        else:
            found[vendor_id] = vendor
    for vendor in vendors_to_show(missing):
        readcache.CACHE.put(("listed vendor", as_of, vendor.id), vendor, readcache.COST_PER_LISTED_VENDOR)
        found[vendor.id] = vendor
    return found


def _search_parts(match, understanding: Understanding | None, catalogue: bitsets.Catalogue, shores) -> list:
    """The sets the search's words ask for: the text match, and each filter value its words named."""
    parts = []
    if match is not None:
        if "bits" not in match.memo:
            match.memo["bits"] = bitsets.bits_of(match.ranking.unordered())
        parts.append(match.memo["bits"])
    for item in understanding.understood if understanding else ():
        parts.append(_facet_bits(catalogue, item.facet, item.values, shores))
    return parts


def _in_most(parts: list[int], within: int) -> int:
    """The vendors of within in the most of parts, if that is at least half of them; 0 when none is.
    For a search whose words together match no vendor ("arabic customer care north africa")."""
    for needed in range(len(parts) - 1, 0, -1):
        if needed * 2 < len(parts):
            break
        found = 0
        for chosen in combinations(parts, needed):
            bits = within
            for part in chosen:
                bits &= part
            found |= bits
        if found:
            return found
    return 0


def _ordered(
    sort: str, catalogue: bitsets.Catalogue, match, understanding: Understanding | None, relaxed: bool
):
    """Vendor ids in the listing's order. Best match is the text match's order; a search that only named
    filter values ("nearshore customer support") is ordered by how well each vendor's text matches those
    words, then by name, as are the vendors of a relaxed search that its text does not match."""
    if sort == "relevance" and match is not None and not relaxed:
        return match.ranking
    ordered = bitsets.order(catalogue, sort, _order(sort))
    if sort != "relevance":
        return ordered
    if match is not None:
        return _unique(chain(match.ranking, ordered))
    if understanding is not None and understanding.understood:
        return _unique(chain(search.find(understanding.phrases()).ranking, ordered))
    return ordered


def _unique(ids):
    seen = set()
    for vendor_id in ids:
        if vendor_id not in seen:
            seen.add(vendor_id)
            yield vendor_id


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


def _check_page(params: ListingParams, total: int) -> None:
    last_page = max(1, ceil(total / params.per_page))
    if params.page > last_page:
        raise InvalidParameters({"page": f"page {params.page} is past the last page, {last_page}"})


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


def _in_display_order(facet: str, counts: dict[str, int], selected: tuple[str, ...]) -> dict[str, int]:
    listed = {}
    for value in FACET_VALUES[facet]:
        count = counts.get(value, 0)
        if count or value in selected or facet in _ALWAYS_LISTED:
            listed[value] = count
    return listed
