"""How a vendor is classified: size band, rate band and shore. Plain functions, no Flask.

Each band table is the single source of the thresholds: the listing query builds its SQL from the same
tables, so a page, the API and these functions cannot disagree.
"""

from decimal import Decimal

from vendors.reference.countries import COUNTRIES

# slug, label, smallest employee count in the band (inclusive)
SIZE_BANDS: list[tuple[str, str, int]] = [
    ("small", "Small (1-500)", 1),
    ("medium", "Medium (501-5,000)", 501),
    ("large", "Large (over 5,000)", 5001),
]

# slug, label, lowest hourly_rate_min in USD in the band (inclusive); "undisclosed" has no floor.
RATE_BANDS: list[tuple[str, str, Decimal | None]] = [
    ("undisclosed", "Undisclosed", None),
    ("under-10", "Under $10/h", Decimal("0")),
    ("10-20", "$10-19.99/h", Decimal("10")),
    ("20-35", "$20-34.99/h", Decimal("20")),
    ("35-50", "$35-49.99/h", Decimal("35")),
    ("50-plus", "$50/h and over", Decimal("50")),
]

SHORES: dict[str, str] = {"onshore": "Onshore", "nearshore": "Nearshore", "offshore": "Offshore"}

SIZE_LABELS = {slug: label for slug, label, _ in SIZE_BANDS}
RATE_LABELS = {slug: label for slug, label, _ in RATE_BANDS}


def size_band(employees: int) -> str:
    """The size band slug for a head count of at least one employee."""
    if employees < 1:
        raise ValueError("a vendor has at least one employee")
    band = SIZE_BANDS[0][0]
    for slug, _, floor in SIZE_BANDS:
        if employees >= floor:
            band = slug
    return band


def rate_band(hourly_rate_min: Decimal | None) -> str:
    """The rate band slug for a vendor's lowest hourly rate in USD; None means undisclosed."""
    if hourly_rate_min is None:
        return "undisclosed"
    if hourly_rate_min < 0:
        raise ValueError("an hourly rate cannot be negative")
    band = "under-10"
    for slug, _, floor in RATE_BANDS[1:]:
        if hourly_rate_min >= floor:
            band = slug
    return band


def hub_offset_gap(first: str, second: str) -> Decimal:
    """Hours between two countries' hub clocks (standard time), the short way round the globe."""
    gap = abs(COUNTRIES[first].utc_offset - COUNTRIES[second].utc_offset) % 24
    return min(gap, 24 - gap)


def shore_for(buyer_country: str, vendor_country: str, nearshore_max_hours: Decimal) -> str:
    """Onshore in the buyer's own country, nearshore within the hour limit of its hub, offshore beyond."""
    if vendor_country == buyer_country:
        return "onshore"
    if hub_offset_gap(buyer_country, vendor_country) <= nearshore_max_hours:
        return "nearshore"
    return "offshore"


def countries_by_shore(buyer_country: str, nearshore_max_hours: Decimal) -> dict[str, list[str]]:
    """Every known country code grouped by its shore for this buyer, so queries can filter by code."""
    grouped: dict[str, list[str]] = {shore: [] for shore in SHORES}
    for code in COUNTRIES:
        grouped[shore_for(buyer_country, code, nearshore_max_hours)].append(code)
    return grouped
