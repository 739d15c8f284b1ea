"""The listing's parameters, parsed once for both the /vendors page and /api/v1/vendors.

Every problem is collected and reported by parameter name, so a bad URL gets a clear 400 instead of a 500 or
a silently ignored filter.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from vendors.reference.countries import COUNTRIES
from vendors.search import MAX_QUERY_LENGTH, QueryTooLong, registry
from vendors.validation import UNGROUPED_NUMBER, InvalidParameters, as_spelled

# facet parameter -> the values it accepts, in display order; and its heading (vendors.search.registry)
FACET_VALUES: dict[str, Mapping[str, str]] = {
    attribute.facet: attribute.vocabulary for attribute in registry.VENDORS.attributes
}
FACET_TITLES = {attribute.facet: attribute.title for attribute in registry.VENDORS.attributes}
SORTS = {
    "relevance": "Best match",
    "name": "Name",
    "rate": "Rate, low to high",
    "size": "Size, largest first",
    "verified": "Recently verified",
}
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_RATE = Decimal(1000)
PLAIN_RATE = re.compile(UNGROUPED_NUMBER)


@dataclass(frozen=True)
class ListingParams:
    buyer_country: str
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rate_min: Decimal | None = None
    rate_max: Decimal | None = None
    sort: str = "name"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def selected(self, facet: str) -> tuple[str, ...]:
        return self.filters.get(facet, ())

    def query_args(self, **changes) -> MultiDict:
        """These parameters as URL arguments, with `changes` applied; defaults are left out."""
        state = {
            "q": self.q,
            "buyer_country": self.buyer_country,
            **{facet: list(values) for facet, values in self.filters.items()},
            "rate_min": self.rate_min,
            "rate_max": self.rate_max,
            "sort": self.sort,
            "page": self.page,
            "per_page": self.per_page,
        }
        state.update(changes)
        if state["sort"] == default_sort(state["q"]):
            state["sort"] = None
        if state["page"] == 1:
            state["page"] = None
        if state["per_page"] == DEFAULT_PER_PAGE:
            state["per_page"] = None
        args = MultiDict()
        for name, value in state.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                if item not in (None, ""):
                    args.add(name, str(item))
        return args


def default_sort(q: str) -> str:
    return "relevance" if q else "name"


def parse_listing(args: MultiDict, default_buyer_country: str) -> ListingParams:
    problems: dict[str, str] = {}
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY_LENGTH:
        problems["q"] = str(QueryTooLong(len(q)))
    buyer_country = _buyer_country(args.get("buyer_country", ""), default_buyer_country, problems)
    filters = {}
    for facet, accepted in FACET_VALUES.items():
        values = _facet_values(facet, args.getlist(facet), accepted, problems)
        if values:
            filters[facet] = values
    rate_min = _rate(args, "rate_min", problems)
    rate_max = _rate(args, "rate_max", problems)
    if rate_min is not None and rate_max is not None and rate_min > rate_max:
        problems["rate_max"] = f"{rate_max} is below rate_min {rate_min}"
    sort = args.get("sort", "").strip() or default_sort(q)
    if sort not in SORTS:
        problems["sort"] = f"{sort!r} is not a sort order; use one of {', '.join(SORTS)}"
    if sort == "relevance" and not q:
        sort = "name"  # with no words to match, the best match is the usual order, and is said to be
    page = _whole_number(args, "page", 1, None, 1, problems)
    per_page = _whole_number(args, "per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE, problems)
    if problems:
        raise InvalidParameters(problems)
    return ListingParams(buyer_country, q, filters, rate_min, rate_max, sort, page, per_page)


def _buyer_country(raw: str, default: str, problems: dict[str, str]) -> str:
    code = facet_key("country", raw)
    if not code:
        return default
    if code not in COUNTRIES:
        problems["buyer_country"] = f"{raw!r} is not a country code the directory knows (e.g. US, GB, AU)"
    return code


def facet_key(facet: str, raw: str) -> str:
    """A facet value as the vocabulary spells it: country codes in capitals, other slugs in lower case."""
    return as_spelled(raw, capitals=facet == "country")


def _facet_values(facet: str, raw_values: list[str], accepted: dict, problems: dict[str, str]) -> tuple:
    values = [facet_key(facet, value) for value in raw_values if value.strip()]
    unknown = [value for value in values if value not in accepted]
    if unknown:
        hint = f"; use one of {', '.join(accepted)}" if len(accepted) <= 15 else ""
        problems[facet] = f"unknown value {', '.join(map(repr, unknown))}{hint}"
    return tuple(dict.fromkeys(values))


def _rate(args: MultiDict, name: str, problems: dict[str, str]) -> Decimal | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if not PLAIN_RATE.fullmatch(raw):
        problems[name] = f"{raw[:20]!r} is not a number of US dollars per hour: use digits, like 25.50"
        return None
    rate = Decimal(raw)
    if not 0 <= rate <= MAX_RATE:
        problems[name] = f"must be between 0 and {MAX_RATE} US dollars per hour"
        return None
    return rate


def _whole_number(args, name: str, low: int, high: int | None, default: int, problems) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not raw.isascii() or len(raw) > 9:
        problems[name] = f"{raw[:20]!r} is not a whole number below a billion"
        return default
    number = int(raw)
    if number < low or (high is not None and number > high):
        problems[name] = f"must be at least {low}" + (f" and at most {high}" if high is not None else "")
        return default
    return number
