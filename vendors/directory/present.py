"""A vendor as buyers see it: labels, shores for their country, staleness. Shared by pages and the API."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from markupsafe import Markup

from vendors.catalog.models import ShowableVendor
from vendors.catalog.rules import SHORES, SIZE_LABELS, shore_for
from vendors.reference.countries import COUNTRIES, country_name

STALE_AFTER = timedelta(days=365)


@dataclass(frozen=True)
class DeliveryCountry:
    code: str
    name: str
    shore: str


def delivery_countries(
    vendor: ShowableVendor, buyer_country: str, nearshore_max_hours: Decimal
) -> list[DeliveryCountry]:
    return delivery_countries_of(vendor.delivery_countries, buyer_country, nearshore_max_hours)


def delivery_countries_of(
    codes: Iterable[str], buyer_country: str, nearshore_max_hours: Decimal
) -> list[DeliveryCountry]:
    return [
        DeliveryCountry(code, country_name(code), shore_for(buyer_country, code, nearshore_max_hours))
        for code in codes
    ]


@functools.lru_cache(maxsize=2 * len(COUNTRIES))
def country_options(selected: str) -> Markup:
    """The options of a buyer-country select, `selected` chosen. Made once per country: escaping every
    country's name again on each page took 0.1 to 0.3 ms of a 2.4 ms vendor page (similar vendors known)."""
    option = Markup('<option value="{}"{}>{}</option>')
    return Markup("\n").join(
        option.format(code, Markup(" selected") if code == selected else "", country.name)
        for code, country in COUNTRIES.items()
    )


def shores(delivered: list[DeliveryCountry]) -> list[str]:
    """The distinct shore classes among a vendor's delivery countries, onshore first."""
    present = {country.shore for country in delivered}
    return [shore for shore in SHORES if shore in present]


def is_stale(verified_at: date | None, today: date | None = None) -> bool:
    """A listing is stale when it was never verified or last verified more than 12 months ago."""
    if verified_at is None:
        return True
    return (today or date.today()) - verified_at > STALE_AFTER


def verification_note(verified_at: date | None, today: date | None = None) -> str:
    """One sentence on how current a listing is: the same on its page and on its result card."""
    if verified_at is None:
        return "This listing has never been verified: check the details with the vendor."
    if is_stale(verified_at, today):
        when = verified_at.isoformat()
        return f"Last verified {when}, over 12 months ago: check the details with the vendor."
    return f"Last verified {verified_at.isoformat()}."


def size_text(employees: int, band: str) -> str:
    """ "38 employees · small (1-500)" """
    label = SIZE_LABELS[band]
    return f"{employees:,} employee{'' if employees == 1 else 's'} · {label[0].lower()}{label[1:]}"
