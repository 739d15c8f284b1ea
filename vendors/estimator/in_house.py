"""Typical in-house salaries and employer payroll taxes by buyer country and kind of work
(seed_data/in_house_costs.csv). No Flask.

The figures are indicative: national wage surveys and published employer contribution rates, rounded and
converted to US dollars as the file's header says, each row naming its sources. They stand in for the salary
and payroll-tax defaults when the buyer's country is in the table; elsewhere the general defaults apply.
"""

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from vendors.reference.countries import COUNTRIES, country_name
from vendors.reference.taxonomy import mid_sentence

COSTS_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "in_house_costs.csv"
COLUMNS = ("country", "work", "annual_salary_usd", "payroll_tax_pct", "salary_source", "payroll_tax_source")

# The kinds of work the table covers (specialisation slugs), with the roles their figures are for.
KINDS_OF_WORK: dict[str, str] = {
    "customer-support": "Customer support",
    "administration": "Back office and data entry",
    "finance-accounting": "Finance and accounting",
    "it-services": "IT help desk",
    "healthcare": "Healthcare billing and coding",
    "content-moderation": "Content moderation",
    "sales": "Sales and lead generation",
}
DEFAULT_WORK = "customer-support"
# The inputs whose defaults the table sets.
TABLE_INPUTS = ("salary", "payroll_tax_pct")
# A vendor's other specialisations (legal, HR, research, marketing...) are back-office work to a buyer; its
# salaries are among the lowest in the table, so the stand-in errs toward smaller savings.
OTHER_WORK = "administration"


class CostsFileError(ValueError):
    """The in-house costs file is malformed; the message names the line and the problem."""


@dataclass(frozen=True)
class TypicalCosts:
    """One row of the table: what one full-time position typically costs its employer, in US dollars."""

    country: str
    work: str
    salary: Decimal  # US$ a year
    payroll_tax_pct: Decimal  # % of salary
    salary_source: str
    payroll_tax_source: str


@dataclass(frozen=True)
class InHouseDefaults:
    """Where the salary and payroll-tax defaults come from: the buyer's country and kind of work, and the
    table's figures for them, or None when the country is outside the table (the general defaults apply)."""

    buyer_country: str
    work: str
    typical: TypicalCosts | None

    @property
    def values(self) -> dict[str, Decimal]:
        """The inputs the table sets, by parameter name; empty when the general defaults apply."""
        if self.typical is None:
            return {}
        return {name: getattr(self.typical, name) for name in TABLE_INPUTS}

    @property
    def label(self) -> str:
        return f"{country_name(self.buyer_country)}, {mid_sentence(KINDS_OF_WORK[self.work])}"


def defaults_for(buyer_country: str, work: str) -> InHouseDefaults:
    return InHouseDefaults(buyer_country, work, all_costs().get((buyer_country, work)))


def work_for(specialisations: list[str]) -> str:
    """The kind of work of a vendor's main (first) specialisation; back office for one the table lacks."""
    if not specialisations:
        return DEFAULT_WORK
    main = specialisations[0]
    return main if main in KINDS_OF_WORK else OTHER_WORK


def countries() -> list[str]:
    """The buyer countries the table covers, by name."""
    return sorted({country for country, _ in all_costs()}, key=country_name)


def all_costs() -> dict[tuple[str, str], TypicalCosts]:
    """Every row by (country, kind of work), in file order."""
    return _load(COSTS_FILE)


@cache
def _load(path: Path) -> dict[tuple[str, str], TypicalCosts]:
    with path.open(encoding="utf-8", newline="") as file:
        lines = file.readlines()
    header_comments = next(index for index, line in enumerate(lines) if not line.startswith("#"))
    reader = csv.DictReader(lines[header_comments:])
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise CostsFileError(f"{path.name}: the columns must be {', '.join(COLUMNS)}")
    costs: dict[tuple[str, str], TypicalCosts] = {}
    for row in reader:
        where = f"{path.name} line {header_comments + reader.line_num}"
        typical = _parse_row(row, where)
        key = (typical.country, typical.work)
        if key in costs:
            raise CostsFileError(f"{where}: {typical.country} {typical.work} appears twice")
        costs[key] = typical
    _check_complete(costs, path.name)
    return costs


def _parse_row(row: dict[str, str], where: str) -> TypicalCosts:
    country = row["country"].strip().upper()
    work = row["work"].strip().lower()
    if country not in COUNTRIES:
        raise CostsFileError(f"{where}: {country!r} is not a country the directory knows")
    if work not in KINDS_OF_WORK:
        raise CostsFileError(f"{where}: {work!r} is not one of {', '.join(KINDS_OF_WORK)}")
    salary = _number(row["annual_salary_usd"], where)
    payroll_tax_pct = _number(row["payroll_tax_pct"], where)
    if salary <= 0 or payroll_tax_pct > 100:
        raise CostsFileError(f"{where}: the salary must be above 0 and the payroll tax at most 100%")
    sources = row["salary_source"].strip(), row["payroll_tax_source"].strip()
    if not all(source.startswith("Indicative: ") for source in sources):
        raise CostsFileError(f"{where}: each figure needs its source, labelled 'Indicative: '")
    return TypicalCosts(country, work, salary, payroll_tax_pct, *sources)


def _check_complete(costs: dict[tuple[str, str], TypicalCosts], name: str) -> None:
    """Every country in the table has every kind of work, so a lookup never half-succeeds."""
    for country in {country for country, _ in costs}:
        missing = [work for work in KINDS_OF_WORK if (country, work) not in costs]
        if missing:
            raise CostsFileError(f"{name}: {country} has no row for {', '.join(missing)}")


def _number(raw: str, where: str) -> Decimal:
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        raise CostsFileError(f"{where}: {raw!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise CostsFileError(f"{where}: {raw!r} is not a positive number")
    return number
