"""A vendor as buyers see it: labels, shores for their country, staleness. Shared by pages and the API."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from vendors.catalog.models import ShowableVendor
from vendors.catalog.rules import SHORES, SIZE_LABELS, shore_for
from vendors.reference.countries import country_name

STALE_AFTER = timedelta(days=365)


@dataclass(frozen=True)
class DeliveryCountry:
    code: str
    name: str
    shore: str


def delivery_countries(
    vendor: ShowableVendor, buyer_country: str, nearshore_max_hours: Decimal
) -> list[DeliveryCountry]:
    return [
        DeliveryCountry(code, country_name(code), shore_for(buyer_country, code, nearshore_max_hours))
        for code in vendor.delivery_countries
    ]


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
