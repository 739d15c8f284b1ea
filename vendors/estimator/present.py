"""An estimate as shown: the rounded figures both the page and the API report, and how money reads. No Flask.

Rounding happens here and only here: money to the cent (whole dollars in the page's headlines), percentages
and months to one decimal, half up. Each figure is rounded from the exact value, so rounded terms may differ
by a cent from a rounded total.
"""

from decimal import Decimal

from vendors.estimator.model import (
    IN_HOUSE_TERMS,
    OUTSOURCED_TERMS,
    Estimate,
    Inputs,
    to_cents,
    to_dollars,
    to_tenths,
)

MONEY_FIGURES = (
    "in_house_per_fte",
    "outsourced_per_fte",
    "in_house_annual",
    "outsourced_annual",
    "annual_savings",
    "transition_total",
    "horizon_savings",
)
BREAKDOWN_TERMS = IN_HOUSE_TERMS + OUTSOURCED_TERMS
TERM_LABELS = {
    "salary": "Salary",
    "payroll_taxes": "Payroll taxes",
    "benefits": "Benefits",
    "overhead": "Overhead",
    "attrition": "Staff turnover",
    "vendor_fees": "Vendor fees",
    "oversight": "Vendor management",
}
TERM_MEANINGS = {
    "salary": "The base pay of one in-house employee.",
    "payroll_taxes": "Taxes the employer pays on that salary.",
    "benefits": "Health cover, paid leave, retirement and other benefits on top of salary.",
    "overhead": "The seat: office space, equipment, software, telephony and utilities.",
    "attrition": "Replacing leavers: the share of the team that leaves each year, each costing a share of a "
    "salary to recruit and train someone new.",
    "vendor_fees": "What the vendor bills: its hourly rate for every hour it bills in a year.",
    "oversight": "Your own staff who manage the vendor, as a share of the fees.",
}
_FORMULAS = {
    "salary": "S",
    "payroll_taxes": "S * t/100",
    "benefits": "S * b/100",
    "overhead": "O",
    "attrition": "(a/100) * (R/100) * S",
    "vendor_fees": "r * H",
    "oversight": "r * H * m/100",
}
TERM_FORMULAS = {term: formula.replace("*", "\N{MULTIPLICATION SIGN}") for term, formula in _FORMULAS.items()}


def terms_in_words(inputs: Inputs) -> dict[str, str]:
    """How each breakdown term is worked out, in words, with the inputs' values: "7.65% of salary"."""
    return {
        "salary": "Base pay",
        "payroll_taxes": f"{inputs.payroll_tax_pct:,}% of salary",
        "benefits": f"{inputs.benefits_pct:,}% of salary",
        "overhead": "Office, equipment and software for one seat",
        "attrition": f"{inputs.attrition_pct:,}% leave a year, each costing "
        f"{inputs.replacement_cost_pct:,}% of salary",
        "vendor_fees": f"{hourly_rate(inputs.hourly_rate)} an hour for {inputs.hours_per_year:,} hours",
        "oversight": f"{inputs.oversight_pct:,}% of vendor fees",
    }


def figures(result: Estimate) -> dict[str, Decimal | None]:
    """The headline figures as presented: money to cents, savings_pct and payback_months to one decimal."""
    shown: dict[str, Decimal | None] = {name: to_cents(getattr(result, name)) for name in MONEY_FIGURES}
    shown["savings_pct"] = to_tenths(result.savings_pct)
    shown["payback_months"] = to_tenths(result.payback_months)
    return shown


def breakdown(result: Estimate) -> dict[str, Decimal]:
    """Each per-position term, to the cent."""
    return {term: to_cents(getattr(result.per_fte, term)) for term in BREAKDOWN_TERMS}


def dollars(amount: Decimal) -> str:
    """$1,235 (to the whole dollar, half up); negative amounts read -$1,235. For headline figures."""
    whole = to_dollars(amount)
    sign = "-" if whole < 0 else ""
    return f"{sign}${abs(whole):,}"


def usd(amount: Decimal) -> str:
    """$1,234.57 (to the cent, half up); negative amounts read -$1,234.57."""
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def hourly_rate(amount: Decimal) -> str:
    """A rate the estimate is worked out with, to the cent or to every further decimal it was given ($12.345):
    the figures use it exactly, so the terms shown beside them must say what they use."""
    places = max(2, -amount.normalize().as_tuple().exponent)
    return f"${amount:,.{places}f}"


def usd_short(amount: float) -> str:
    """Axis labels: $0, $250k, $1.5M, -$40k."""
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{sign}${size / limit:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{sign}${size:,.0f}"


def payback_in_words(figures: dict[str, Decimal | None]) -> tuple[str, str]:
    """The payback as the page says it and the reason, from the figures as presented: a payback that rounds
    to 0.0 months is immediate only when there is no transition cost."""
    payback = figures["payback_months"]
    if payback is None:
        return "Never", "outsourcing saves nothing at these inputs"
    if figures["transition_total"] == 0:
        return "Immediately", "there is no transition cost"
    if payback == 0:
        return "Under 0.1 months", "the transition is earned back within days"
    return f"{one_decimal(payback)} months", ""


def one_decimal(number: Decimal | None) -> str:
    return "" if number is None else f"{to_tenths(number):,.1f}"
