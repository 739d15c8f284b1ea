"""Vendor records: the one set of validation rules, and a vendor's values in record form.

A record is a plain dict. `parse_record` returns the cleaned values or raises RecordError naming every bad
field, so a file with one bad row reports it clearly and nothing half-checked reaches the database. The
sample data, generated vendors, CSV imports, the admin forms and submissions all go through it.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from slugify import slugify

from vendors.catalog.models import SLUG_PATTERN, Vendor
from vendors.reference.countries import COUNTRIES
from vendors.reference.languages import LANGUAGES
from vendors.reference.taxonomy import CERTIFICATIONS, CHANNELS, COVERAGE, SPECIALISATIONS, STATUSES
from vendors.validation import HIGHEST_RATE, LOWEST_RATE, UNGROUPED_NUMBER, as_spelled, written_date

# An address as people write one: no spaces, and none of the characters a mailto: link would read as more
# than an address (? and & start and join its fields: "sales@x.example?bcc=someone@else" copies someone else
# on every message) or that only the quoted and list forms nobody types use.
_NOT_IN_AN_ADDRESS = r'@\s?&%"<>()\[\],;:\\'
EMAIL_PATTERN = re.compile(
    rf"^[^{_NOT_IN_AN_ADDRESS}]+@[^{_NOT_IN_AN_ADDRESS}/]+\.[^{_NOT_IN_AN_ADDRESS}/]+$"
)
AMOUNT_PATTERN = re.compile(UNGROUPED_NUMBER)
_LINE_BREAKS = re.compile(r"\r\n?")
# What ends a line for a browser or str.splitlines: LF, VT, FF, CR, FS, GS, RS, NEL, LS and PS.
_BREAKS_A_LINE = frozenset("\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029")
LONGEST_TEXT = 5000  # characters: the description's limit, which no other field exceeds
# A verification date may be today's date anywhere on Earth, so an editor whose day has begun can give it
# while the server's clock is still on the day before: the time zone furthest ahead is UTC+14 (Kiribati).
FURTHEST_AHEAD_OF_UTC = timedelta(hours=14)

# Every field of a record, in the order forms, files and the audit log show them.
FIELDS = (
    "slug",
    "name",
    "tagline",
    "website",
    "contact_email",
    "hq_country",
    "delivery_countries",
    "founded_year",
    "employees",
    "hourly_rate_min",
    "hourly_rate_max",
    "min_seats",
    "specialisations",
    "channels",
    "languages",
    "certifications",
    "coverage",
    "description",
    "status",
    "verified_at",
)

# Record field -> the attribute (models.MULTI_VALUED) its values are stored under.
FACET_FIELDS = {
    "delivery_countries": "country",
    "specialisations": "specialisation",
    "channels": "channel",
    "languages": "language",
    "certifications": "certification",
}
_VOCABULARIES = {
    "country": COUNTRIES,
    "specialisation": SPECIALISATIONS,
    "channel": CHANNELS,
    "language": LANGUAGES,
    "certification": CERTIFICATIONS,
}


class RecordError(ValueError):
    def __init__(self, slug: str, problems: dict[str, str]):
        self.slug = slug
        self.problems = problems
        listed = "; ".join(f"{field}: {message}" for field, message in problems.items())
        super().__init__(f"vendor {slug or '(no slug)'}: {listed}")


def parse_record(record: dict) -> dict:
    problems: dict[str, str] = {}
    cleaned: dict = {}

    def check(field, parse):
        try:
            cleaned[field] = parse(record.get(field))
        except ValueError as error:
            problems[field] = str(error)

    check("slug", lambda v: _slug(v, record.get("name")))
    check("name", lambda v: _line(v, 200, required=True))
    check("tagline", lambda v: _line(v, 300))
    check("description", lambda v: _text(v, LONGEST_TEXT))
    check("website", _website)
    check("contact_email", _email)
    check("hq_country", _country)
    check("founded_year", lambda v: _optional_int(v, 1800, date.today().year))
    check("employees", lambda v: _int(v, 1, 10_000_000))
    check("hourly_rate_min", _rate)
    check("hourly_rate_max", _rate)
    check("min_seats", lambda v: _optional_int(v, 1, 100_000))
    check("coverage", lambda v: _choice(v, COVERAGE))
    check("status", lambda v: _choice(v or "published", STATUSES))
    check("verified_at", _verified_date)
    for field, facet in FACET_FIELDS.items():
        check(field, lambda v, facet=facet: _slugs(v, _VOCABULARIES[facet], upper=facet == "country"))
    if "hourly_rate_min" in cleaned and "hourly_rate_max" in cleaned:
        _check_rate_range(cleaned, problems)
    if cleaned.get("delivery_countries") == []:
        problems["delivery_countries"] = "at least one delivery country is required"
    if problems:
        raise RecordError(str(cleaned.get("slug") or record.get("slug") or ""), problems)
    return cleaned


def apply_record(vendor: Vendor, cleaned: dict) -> None:
    for field, value in cleaned.items():
        if field in FACET_FIELDS:
            vendor.set_values(FACET_FIELDS[field], value)
        else:
            setattr(vendor, field, value)


def vendor_record(vendor: Vendor) -> dict:
    """The vendor's current values as a cleaned record (what parse_record would return for them)."""
    return {
        field: vendor.values(FACET_FIELDS[field]) if field in FACET_FIELDS else getattr(vendor, field)
        for field in FIELDS
    }


def plain_values(record: dict) -> dict:
    """A cleaned record with JSON-ready values: amounts as "12.50", dates as "2026-11-29"."""
    return {field: _plain(record[field]) for field in FIELDS if field in record}


def differences(before: dict, after: dict) -> dict[str, list]:
    """{field: [old, new]} in plain values for every field of `after` that differs from `before`."""
    old, new = plain_values(before), plain_values(after)
    return {field: [old.get(field), value] for field, value in new.items() if old.get(field) != value}


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check_rate_range(cleaned: dict, problems: dict[str, str]) -> None:
    low, high = cleaned["hourly_rate_min"], cleaned["hourly_rate_max"]
    if (low is None) != (high is None):
        problems["hourly_rate_max"] = "give both ends of the rate range, or neither for undisclosed"
    elif low is not None and low > high:
        problems["hourly_rate_max"] = f"{high} is below the minimum rate {low}"


def _slug(value, name) -> str:
    """The slug given, or one made from the name when none is given."""
    if value in (None, "") and isinstance(name, str):
        value = slugify(name, max_length=80, word_boundary=True)
        if not value:
            raise ValueError("is empty and no slug can be made from the name: give one")
    if not isinstance(value, str) or not SLUG_PATTERN.match(value) or len(value) > 80:
        raise ValueError("must be lower-case letters, digits and single hyphens, at most 80 characters")
    return value


def _text(value, limit: int, required: bool = False) -> str:
    """The text without spaces around it, its line breaks as LF: a browser sends a textarea's as CRLF, and a
    CSV cell may hold either, so the same text never reads as changed for its line endings alone."""
    text = "" if value is None else _LINE_BREAKS.sub("\n", str(value)).strip()
    if required and not text:
        raise ValueError("is required")
    if len(text) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return text


def _line(value, limit: int, required: bool = False) -> str:
    """A text shown and edited on one line (a name, a tagline): a line break in it, which an import could
    bring, would be dropped by the editor's one-line box, so it is refused."""
    text = _text(value, limit, required)
    if any(character in _BREAKS_A_LINE for character in text):
        raise ValueError("must be on one line: remove the line break")
    return text


def _website(value) -> str:
    """A web address: http or https in any case (kept in lower case), a host, and nothing a browser would
    drop or read otherwise (a space or a line break inside)."""
    text = _text(value, 300)
    if not text:
        return text
    scheme, separator, rest = text.partition("://")
    if not separator or scheme.lower() not in ("https", "http"):
        raise ValueError("must start with https:// or http://")
    if any(character.isspace() or not character.isprintable() for character in text):
        raise ValueError("must not hold spaces or line breaks")
    if not urlsplit(text).hostname:
        raise ValueError("must name the site after https://, e.g. https://vendor.example")
    return f"{scheme.lower()}://{rest}"


def _email(value) -> str:
    text = _text(value, 254)
    if text and not EMAIL_PATTERN.match(text):
        raise ValueError(f"{text!r} is not an email address")
    return text


def _country(value) -> str:
    code = as_spelled(str(value or ""), capitals=True)
    if not code:
        raise ValueError("is required")
    if code not in COUNTRIES:
        raise ValueError(f"{value!r} is not a known ISO 3166-1 alpha-2 country code")
    return code


def _int(value, low: int, high: int) -> int:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError("is required")
    # int() alone would also read "1_000" and other scripts' digits (Arabic-Indic, full-width and more).
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{value!r} is not a whole number: use the digits 0-9 only, with no separators")
    # Python refuses to read a number thousands of digits long; one longer than `high` is out of range anyway.
    if len(text.lstrip("0")) > len(str(high)) or not low <= int(text) <= high:
        raise ValueError(f"must be between {low} and {high}")
    return int(text)


def _optional_int(value, low: int, high: int) -> int | None:
    return None if value is None or not str(value).strip() else _int(value, low, high)


def _rate(value) -> Decimal | None:
    if value in (None, ""):
        return None
    # Decimal() alone would also read "1e1", "1_0" and other scripts' digits.
    text = str(value).strip()
    if not AMOUNT_PATTERN.fullmatch(text):
        raise ValueError(
            f"{value!r} is not an amount in USD: use the digits 0-9 and a decimal point only, e.g. 12.50"
        )
    rate = Decimal(text)
    if not LOWEST_RATE <= rate <= HIGHEST_RATE:
        raise ValueError(f"must be between {LOWEST_RATE:.2f} and {HIGHEST_RATE} USD per hour")
    return rate.quantize(Decimal("0.01"))


def _choice(value, vocabulary: dict) -> str:
    value = as_spelled(value) if isinstance(value, str) else value
    if value not in vocabulary:
        raise ValueError(f"{value!r} is not one of {', '.join(vocabulary)}")
    return value


def _verified_date(value) -> date | None:
    """A day the details were checked: a real date written YYYY-MM-DD, and not one still to come, which would
    show a verification that never happened and keep the listing from ever turning stale."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    day = written_date(text)
    if day is None:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    if day > (datetime.now(UTC) + FURTHEST_AHEAD_OF_UTC).date():
        raise ValueError(f"{text!r} is after today: give the day the details were last checked")
    return day


def _slugs(value, vocabulary: dict, upper: bool = False) -> list[str]:
    if value in (None, ""):
        return []
    items = value.split("|") if isinstance(value, str) else list(value)
    items = [str(item).strip() for item in items if str(item).strip()]
    items = [as_spelled(item, capitals=upper) for item in items]
    unknown = [item for item in items if item not in vocabulary]
    if unknown:
        raise ValueError(f"unknown value(s) {', '.join(map(repr, unknown))}")
    return list(dict.fromkeys(items))
