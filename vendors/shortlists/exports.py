"""The shortlist and the comparison as CSV downloads, with formulas neutralised as in the admin export."""

from collections.abc import Iterator

from flask import url_for

from vendors.catalog.csvfiles import neutralise
from vendors.estimator.parameters import PARAMETERS
from vendors.reference.countries import country_name
from vendors.shortlists import comparison
from vendors.shortlists.models import ShortlistEntry

SHORTLIST_COLUMNS = (
    "name",
    "slug",
    "listed",
    "note",
    "page",
    "hq_country",
    "delivery_countries",
    "hourly_rate_min",
    "hourly_rate_max",
    "employees",
    "specialisations",
    "languages",
    "certifications",
    "coverage",
    "verified_at",
    "added_at",
)


def shortlist_rows(entries: list[ShortlistEntry]) -> Iterator[list[str]]:
    yield list(SHORTLIST_COLUMNS)
    for entry in entries:
        yield [neutralise(cell) for cell in _entry_cells(entry)]


def _entry_cells(entry: ShortlistEntry) -> list[str]:
    added = entry.added_at.strftime("%Y-%m-%d")
    if not entry.listed:
        return [entry.vendor_name, entry.vendor_slug, "no longer listed", entry.note, *[""] * 11, added]
    vendor = entry.vendor
    return [
        vendor.name,
        vendor.slug,
        "yes",
        entry.note,
        url_for("directory.vendor_page", slug=vendor.slug, _external=True),
        vendor.hq_country,
        " ".join(vendor.delivery_countries),
        _amount(vendor.hourly_rate_min),
        _amount(vendor.hourly_rate_max),
        str(vendor.employees),
        " ".join(vendor.specialisations),
        " ".join(vendor.languages),
        " ".join(vendor.certifications),
        vendor.coverage,
        vendor.verified_at.isoformat() if vendor.verified_at else "",
        added,
    ]


def comparison_rows(compared: comparison.Comparison) -> Iterator[list[str]]:
    """The comparison as the page shows it: one column per vendor, one row per attribute, each cost figure
    at the low and the high rates, then the inputs. Names, attributes and figures are neutralised (negative
    figures too); the row labels and inputs are the site's own words and numbers."""
    width = len(compared.columns)
    yield [neutralise(cell) for cell in ["", *(column.name for column in compared.columns)]]
    yield ["Listed", *("yes" if column.listed else "no longer listed" for column in compared.columns)]
    rows = comparison.attribute_rows(compared, country_name(compared.buyer_country))
    rows += comparison.rate_rows(compared)
    for row in rows:
        yield [neutralise(cell) for cell in [row.label, *row.cells]]
    for figure_row in comparison.figure_rows(compared):
        cells = [_marked(figure_row.text(index), column) for index, column in enumerate(compared.columns)]
        yield [neutralise(cell) for cell in [figure_row.label, *cells]]
    for parameter in PARAMETERS:
        if parameter.name != "hourly_rate":
            value = getattr(compared.inputs, parameter.name)
            yield [f"Input: {parameter.label} ({parameter.unit})", *[f"{value}"] * width]
    yield ["Input: Buyer country (shores are seen from it)", *[country_name(compared.buyer_country)] * width]


def _marked(text: str, column: comparison.Column) -> str:
    """A figure as the page marks it: worked out from a preset's typical rates, it is an estimate."""
    return f"{text} (estimate)" if column.listed and column.rate_source == "preset" else text


def _amount(value) -> str:
    return "" if value is None else f"{value:.2f}"
