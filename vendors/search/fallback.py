"""Search answered by the database alone, for when the index is missing or unreadable.

Slower (substring scans) and plainer (no stemming or typo tolerance), but the same clause semantics: every
word or phrase required, excluded ones removed; attribute words match their labels ("Spanish", "Colombia").
Ranking keeps the one promise that matters most: a match in the name comes before any other.
"""

from sqlalchemy import ColumnElement, and_, case, exists, false, func, not_, or_, select

from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.extensions import db
from vendors.reference.countries import COUNTRIES
from vendors.reference.languages import LANGUAGES
from vendors.reference.taxonomy import CERTIFICATIONS, CHANNELS, SPECIALISATIONS
from vendors.search.parsing import Clause, ParsedQuery, words_of

_LABELS = {
    "specialisation": SPECIALISATIONS,
    "channel": CHANNELS,
    "certification": CERTIFICATIONS,
    "country": {code: country.name for code, country in COUNTRIES.items()},
    "language": LANGUAGES,
}


def find_ids(parsed: ParsedQuery) -> list[int]:
    conditions: list[ColumnElement[bool]] = [Vendor.status == "published"]
    conditions += [_matches(clause) for clause in parsed.required]
    conditions += [not_(_matches(clause)) for clause in parsed.excluded]
    order = [func.lower(Vendor.name), Vendor.id]
    if parsed.required:
        # A query with nothing required ("-billing", "the") has no name to match first.
        in_name = and_(*(_like(Vendor.name, clause) for clause in parsed.required))
        order.insert(0, case((in_name, 0), else_=1))
    statement = select(Vendor.id).where(*conditions).order_by(*order)
    return list(db.session.scalars(statement))


def _matches(clause: Clause) -> ColumnElement[bool]:
    text = or_(*(_like(column, clause) for column in (Vendor.name, Vendor.tagline, Vendor.description)))
    return or_(text, *_label_matches(clause))


def _like(column, clause: Clause) -> ColumnElement[bool]:
    pattern = "%" + "%".join(escape_like(word) for word in clause.words) + "%"
    return func.lower(column).like(pattern, escape="\\")


def _label_matches(clause: Clause) -> list[ColumnElement[bool]]:
    matches = []
    for facet, labels in _LABELS.items():
        values = [value for value, label in labels.items() if _contains(words_of(label), clause.words)]
        if values and facet == "country":
            matches.append(Vendor.hq_country.in_(values))
        if values:
            matches.append(
                exists().where(
                    VendorFacetValue.vendor_id == Vendor.id,
                    VendorFacetValue.facet == facet,
                    VendorFacetValue.value.in_(values),
                )
            )
    return matches or [false()]


def _contains(words: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
