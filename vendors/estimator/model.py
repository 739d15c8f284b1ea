"""The savings arithmetic: in-house cost against outsourced cost, per position and for the team. No Flask.

All money is `Decimal` in US dollars and is kept exact here; it is rounded (half up) only when presented, by
`to_cents` and `to_tenths`, which the page and the API both use, and by `to_dollars` for the page's headline
figures.

    in-house cost per position   = S x (1 + t/100 + b/100) + O + (a/100) x (R/100) x S
    outsourced cost per position = r x H x (1 + m/100)
    annual savings               = N x (in-house - outsourced)
    horizon savings              = Y x annual savings - N x T
    payback months               = N x T / (annual savings / 12), None when nothing is saved

"Nothing is saved" means annual savings below half a cent, which are presented as $0.00: the verdict, the
payback and the figures then agree, and a payback is never a saving of a fraction of a cent stretched over
trillions of months.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext

HUNDRED = Decimal(100)
TWELVE = Decimal(12)
DOLLAR = Decimal(1)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# Enough digits for the largest allowed inputs (team costs near 10^11 dollars) with room to spare, whatever
# context the caller's thread has set.
PRECISION = 50


@dataclass(frozen=True)
class Inputs:
    """Everything the estimate depends on. Percentages are given as percent (7.65 means 7.65%)."""

    headcount: int
    salary: Decimal
    payroll_tax_pct: Decimal
    benefits_pct: Decimal
    overhead_per_fte: Decimal
    attrition_pct: Decimal
    replacement_cost_pct: Decimal
    hourly_rate: Decimal
    hours_per_year: Decimal
    oversight_pct: Decimal
    transition_per_fte: Decimal
    years: int


@dataclass(frozen=True)
class Breakdown:
    """The yearly cost of one position, term by term, in US dollars (exact)."""

    salary: Decimal
    payroll_taxes: Decimal
    benefits: Decimal
    overhead: Decimal
    attrition: Decimal
    vendor_fees: Decimal
    oversight: Decimal

    @property
    def in_house(self) -> Decimal:
        return self.salary + self.payroll_taxes + self.benefits + self.overhead + self.attrition

    @property
    def outsourced(self) -> Decimal:
        return self.vendor_fees + self.oversight


IN_HOUSE_TERMS = ("salary", "payroll_taxes", "benefits", "overhead", "attrition")
OUTSOURCED_TERMS = ("vendor_fees", "oversight")


@dataclass(frozen=True)
class Estimate:
    inputs: Inputs
    per_fte: Breakdown
    in_house_per_fte: Decimal
    outsourced_per_fte: Decimal
    in_house_annual: Decimal
    outsourced_annual: Decimal
    annual_savings: Decimal
    savings_pct: Decimal
    transition_total: Decimal
    horizon_savings: Decimal
    payback_months: Decimal | None

    @property
    def outsourcing_saves(self) -> bool:
        return saves(self.annual_savings)

    def team(self, term: str) -> Decimal:
        """One breakdown term for the whole team (headcount x the per-position amount)."""
        with _exact():
            return self.inputs.headcount * getattr(self.per_fte, term)


@dataclass(frozen=True)
class YearRow:
    """One year of the horizon. Year 1's outsourced cost includes the one-time transition."""

    year: int
    in_house: Decimal
    outsourced: Decimal
    savings: Decimal
    cumulative_savings: Decimal


def breakdown(inputs: Inputs) -> Breakdown:
    salary = inputs.salary
    vendor_fees = inputs.hourly_rate * inputs.hours_per_year
    return Breakdown(
        salary=salary,
        payroll_taxes=salary * inputs.payroll_tax_pct / HUNDRED,
        benefits=salary * inputs.benefits_pct / HUNDRED,
        overhead=inputs.overhead_per_fte,
        attrition=salary * inputs.attrition_pct * inputs.replacement_cost_pct / (HUNDRED * HUNDRED),
        vendor_fees=vendor_fees,
        oversight=vendor_fees * inputs.oversight_pct / HUNDRED,
    )


def estimate(inputs: Inputs) -> Estimate:
    with _exact():
        per_fte = breakdown(inputs)
        headcount = Decimal(inputs.headcount)
        in_house_annual = headcount * per_fte.in_house
        outsourced_annual = headcount * per_fte.outsourced
        annual_savings = in_house_annual - outsourced_annual
        transition_total = headcount * inputs.transition_per_fte
        return Estimate(
            inputs=inputs,
            per_fte=per_fte,
            in_house_per_fte=per_fte.in_house,
            outsourced_per_fte=per_fte.outsourced,
            in_house_annual=in_house_annual,
            outsourced_annual=outsourced_annual,
            annual_savings=annual_savings,
            savings_pct=annual_savings * HUNDRED / in_house_annual,
            transition_total=transition_total,
            horizon_savings=inputs.years * annual_savings - transition_total,
            payback_months=payback_months(transition_total, annual_savings),
        )


def at_rates(inputs: Inputs, rates: Iterable[Decimal]) -> list[Estimate]:
    """The estimate at each hourly rate, every other input unchanged: a vendor's low and high, say."""
    return [estimate(replace(inputs, hourly_rate=rate)) for rate in rates]


def saves(annual_savings: Decimal) -> bool:
    """Whether outsourcing saves anything: at least a cent a year, as the savings are presented."""
    return to_cents(annual_savings) > 0


def payback_months(transition_total: Decimal, annual_savings: Decimal) -> Decimal | None:
    """Months of savings needed to earn back the transition; None when outsourcing saves nothing.

    Zero transition pays back at once (0 months) whenever there is a saving.
    """
    if not saves(annual_savings):
        return None
    return transition_total * TWELVE / annual_savings


def yearly(result: Estimate) -> list[YearRow]:
    """Year-by-year costs over the horizon; the cumulative savings of the last year equal horizon_savings."""
    rows = []
    cumulative = Decimal(0)
    with _exact():
        for year in range(1, result.inputs.years + 1):
            outsourced = result.outsourced_annual + (result.transition_total if year == 1 else 0)
            savings = result.in_house_annual - outsourced
            cumulative += savings
            rows.append(YearRow(year, result.in_house_annual, outsourced, savings, cumulative))
    return rows


def _exact():
    return localcontext(prec=PRECISION)


def to_dollars(amount: Decimal) -> Decimal:
    """Money as a headline: rounded to the whole dollar, half up, from the exact amount (not from cents)."""
    return _rounded(amount, DOLLAR)


def to_cents(amount: Decimal) -> Decimal:
    """Money as presented: rounded to the cent, half up (0.005 -> 0.01, -0.005 -> -0.01)."""
    return _rounded(amount, CENT)


def to_tenths(number: Decimal | None) -> Decimal | None:
    """Percentages and months as presented: one decimal, half up; None stays None."""
    return None if number is None else _rounded(number, TENTH)


def _rounded(number: Decimal, step: Decimal) -> Decimal:
    """Half up to the step, with as many digits as that takes (the caller's context may have fewer), and
    never a negative zero: -0.004 is 0.00, not the -0.00 that would read as a loss."""
    with _exact():
        return number.quantize(step, rounding=ROUND_HALF_UP) + 0
