"""The side-by-side comparison: which vendors a URL names, and what the page, its CSV and the API show of
them. No Flask.

Costs come from the estimator's own model (`model.at_rates`) with every input the buyer gave and each vendor's
low and high hourly rate, so a column's figures are exactly those of /estimate and /api/v1/estimate at that
rate. A vendor that does not disclose its rates is costed at the typical range of the rate preset for its
first delivery country and main kind of work, and says so.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from vendors.catalog.models import Vendor, could_be_slug
from vendors.catalog.rules import SHORES
from vendors.directory.params import FACET_VALUES
from vendors.directory.present import DeliveryCountry, delivery_countries, is_stale
from vendors.estimator import present, presets
from vendors.estimator.model import Estimate, Inputs, at_rates
from vendors.extensions import db
from vendors.reference.taxonomy import COVERAGE
from vendors.validation import InvalidParameters

MIN_VENDORS = 2
MAX_VENDORS = 6
LEVELS = {"low": "low rate", "high": "high rate"}


@dataclass(frozen=True)
class Column:
    """One vendor's column. `vendor` is None when a shared comparison names a vendor no longer listed."""

    slug: str
    name: str
    vendor: Vendor | None
    delivered: list[DeliveryCountry]
    rates: presets.VendorRates | None
    estimates: dict[str, Estimate]  # "low"/"high" -> the estimate at that rate; empty without a rate

    @property
    def listed(self) -> bool:
        return self.vendor is not None

    @property
    def rate_source(self) -> str | None:
        """ "vendor" for a published range, "preset" for a typical range standing in for it, else None."""
        if self.rates is None:
            return None
        return "vendor" if self.rates.disclosed else "preset"


@dataclass(frozen=True)
class Comparison:
    columns: list[Column]
    inputs: Inputs
    buyer_country: str

    @property
    def listed(self) -> list[Column]:
        return [column for column in self.columns if column.listed]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: list[str]  # one per column; "" for a vendor no longer listed
    differs: bool


@dataclass(frozen=True)
class FigureRow:
    """One cost figure at one rate level, per column, with the best of them marked."""

    key: str  # e.g. "low-outsourced_annual": the figure at the vendors' low rates
    label: str  # with its level, for the CSV
    short_label: str  # without it, under a heading that names the level
    figure: str
    level: str
    values: list[Decimal | None]  # None: no estimate, or (payback) nothing saved
    estimated: list[bool]  # whether each column has an estimate at all
    best: frozenset[int]  # indexes of the columns with the best value
    best_label: str
    shown: list[dict | None]  # each column's figures as presented (present.figures), None with no estimate

    def text(self, index: int) -> str:
        figures = self.shown[index]
        return "No estimate" if figures is None else figure_text(self.figure, figures)


# figure -> (label, whether lower is better, what the best is called)
FIGURES: dict[str, tuple[str, bool, str]] = {
    "outsourced_annual": ("Outsourced cost a year", True, "Cheapest"),
    "annual_savings": ("Savings a year", False, "Largest saving"),
    "savings_pct": ("Savings", False, "Largest saving"),
    "payback_months": ("Payback", True, "Quickest payback"),
}


def parse_vendors(args: MultiDict) -> list[Vendor]:
    """The published vendors named by repeated `vendor` parameters, in the order given; InvalidParameters
    naming the problem when there are fewer than 2, more than 6, repeats, or slugs no published vendor has."""
    slugs = [slug.strip() for slug in args.getlist("vendor") if slug.strip()]
    if len(slugs) < MIN_VENDORS:
        problem = f"choose at least {MIN_VENDORS} vendors to compare ({len(slugs)} given)"
        raise InvalidParameters({"vendor": problem})
    if len(slugs) > MAX_VENDORS:
        problem = f"compare at most {MAX_VENDORS} vendors at once ({len(slugs)} given)"
        raise InvalidParameters({"vendor": problem})
    repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if repeated:
        raise InvalidParameters({"vendor": f"each vendor once: {_quoted(repeated)} given more than once"})
    found = {
        vendor.slug: vendor
        for vendor in db.session.scalars(
            select(Vendor).where(Vendor.slug.in_(filter(could_be_slug, slugs)), Vendor.status == "published")
        )
    }
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise InvalidParameters({"vendor": f"no published vendor has the slug {_quoted(unknown)}"})
    return [found[slug] for slug in slugs]


def build(
    vendors: Sequence[Vendor | dict], inputs: Inputs, buyer_country: str, nearshore_max_hours: Decimal
) -> Comparison:
    """The comparison of these vendors; a dict ({"slug", "name"}) stands for one no longer listed."""
    return Comparison(
        [_column(vendor, inputs, buyer_country, nearshore_max_hours) for vendor in vendors],
        inputs,
        buyer_country,
    )


def _column(vendor: Vendor | dict, inputs: Inputs, buyer_country: str, hours: Decimal) -> Column:
    if isinstance(vendor, dict):
        return Column(vendor["slug"], vendor["name"], None, [], None, {})
    rates = presets.vendor_rates(
        vendor.hourly_rate_min, vendor.hourly_rate_max, vendor.delivery_countries, vendor.specialisations
    )
    estimates = dict(zip(LEVELS, at_rates(inputs, (rates.low, rates.high)), strict=True)) if rates else {}
    return Column(
        vendor.slug, vendor.name, vendor, delivery_countries(vendor, buyer_country, hours), rates, estimates
    )


# ------------------------------------------------------------------------------------------ attributes
def _labels(facet: str) -> Callable[[list[str]], str]:
    return lambda values: ", ".join(FACET_VALUES[facet].get(value, value) for value in values)


def _shores(column: Column) -> str:
    by_shore: dict[str, list[str]] = {}
    for country in column.delivered:
        by_shore.setdefault(country.shore, []).append(country.name)
    return "; ".join(
        f"{SHORES[shore]}: {', '.join(by_shore[shore])}" for shore in SHORES if shore in by_shore
    )


def _rate(vendor: Vendor) -> str:
    """The published range; a vendor that gives only one end has that one rate."""
    low, high = vendor.hourly_rate_min, vendor.hourly_rate_max
    if low is None and high is None:
        return "Undisclosed"
    if low is None or high is None or low == high:
        return f"{present.usd(low if low is not None else high)} an hour"
    return f"{present.usd(low)} to {present.usd(high)} an hour"


def _verified(verified_at: date | None) -> str:
    if verified_at is None:
        return "Never"
    return verified_at.isoformat() + (" (over 12 months ago)" if is_stale(verified_at) else "")


ATTRIBUTES: tuple[tuple[str, str, Callable[[Column], str]], ...] = (
    ("shores", "Shores for {country}", _shores),
    (
        "size",
        "Size",
        lambda c: f"{FACET_VALUES['size'][c.vendor.size_band]}, {c.vendor.employees:,} employees",
    ),
    ("rate", "Hourly rate", lambda c: _rate(c.vendor)),
    ("specialisations", "Specialisations", lambda c: _labels("specialisation")(c.vendor.specialisations)),
    ("languages", "Languages", lambda c: _labels("language")(c.vendor.languages) or "Not stated"),
    ("channels", "Channels", lambda c: _labels("channel")(c.vendor.channels) or "Not stated"),
    (
        "certifications",
        "Certifications",
        lambda c: _labels("certification")(c.vendor.certifications) or "None listed",
    ),
    ("coverage", "Coverage", lambda c: COVERAGE.get(c.vendor.coverage, c.vendor.coverage)),
    (
        "min_seats",
        "Minimum seats",
        lambda c: f"{c.vendor.min_seats:,}" if c.vendor.min_seats else "Not stated",
    ),
    ("founded", "Founded", lambda c: str(c.vendor.founded_year) if c.vendor.founded_year else "Not stated"),
    ("verified", "Last verified", lambda c: _verified(c.vendor.verified_at)),
)


def attribute_rows(comparison: Comparison, country_name: str) -> list[Row]:
    """One row per attribute; a row differs when the listed vendors do not all show the same text."""
    rows = []
    for key, label, text_of in ATTRIBUTES:
        cells = [text_of(column) if column.listed else "" for column in comparison.columns]
        shown = {cell for cell, column in zip(cells, comparison.columns, strict=True) if column.listed}
        rows.append(Row(key, label.format(country=country_name), cells, differs=len(shown) > 1))
    return rows


# ------------------------------------------------------------------------------------------ costs
def rate_rows(comparison: Comparison) -> list[Row]:
    """The hourly rate each level of the estimate uses, and whether it is the vendor's or a preset's; a row
    differs when the listed vendors' rates do (a vendor no longer listed shows none)."""
    rows = []
    for level, level_label in LEVELS.items():
        cells = []
        for column in comparison.columns:
            if column.rates is None:
                cells.append("" if not column.listed else "No estimate: rate undisclosed, no preset for it")
                continue
            rate = column.rates.low if level == "low" else column.rates.high
            cells.append(present.usd(rate) if column.rates.disclosed else f"{present.usd(rate)} (estimate)")
        listed = {cell for cell, column in zip(cells, comparison.columns, strict=True) if column.listed}
        rows.append(Row(f"{level}-rate", f"Hourly rate used, {level_label}", cells, differs=len(listed) > 1))
    return rows


def figure_rows(comparison: Comparison) -> list[FigureRow]:
    """Each cost figure at the low then the high rates, rounded as the estimator shows it."""
    rows = []
    for level, level_label in LEVELS.items():
        shown = [
            present.figures(column.estimates[level]) if level in column.estimates else None
            for column in comparison.columns
        ]
        for figure, (label, lower_is_better, best_label) in FIGURES.items():
            values = [None if figures is None else figures[figure] for figures in shown]
            rows.append(
                FigureRow(
                    key=f"{level}-{figure}",
                    label=f"{label}, at the {level_label}",
                    short_label=label,
                    figure=figure,
                    level=level,
                    values=values,
                    estimated=[figures is not None for figures in shown],
                    best=_best(values, lower_is_better),
                    best_label=best_label,
                    shown=shown,
                )
            )
    return rows


def _best(values: list[Decimal | None], lower_is_better: bool) -> frozenset[int]:
    """The columns holding the best value; none when fewer than two columns have one to compare, and none
    for a saving that is no saving (the smallest of several losses is not the "largest saving")."""
    present_values = [value for value in values if value is not None]
    if len(present_values) < 2:
        return frozenset()
    best = min(present_values) if lower_is_better else max(present_values)
    if not lower_is_better and best <= 0:
        return frozenset()
    return frozenset(index for index, value in enumerate(values) if value == best)


def figure_text(figure: str, figures: dict) -> str:
    """A figure as the page and the CSV show it, from the column's figures as presented."""
    if figure == "payback_months":
        payback, reason = present.payback_in_words(figures)
        return f"{payback}: {reason}" if reason else payback
    if figure == "savings_pct":
        return f"{present.one_decimal(figures[figure])}%"
    return present.usd(figures[figure])


def _quoted(slugs: list[str]) -> str:
    shown = [slug if len(slug) <= 40 else slug[:40] + "…" for slug in slugs]
    return ", ".join(repr(slug) for slug in shown)
