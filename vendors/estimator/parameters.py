"""The estimator's inputs: names, defaults, ranges, explanations and sources, and the one parser that reads
them from a URL. No Flask: the /estimate form and GET /api/v1/estimate both call `parse_inputs`, so their
ranges and messages cannot drift apart.

A missing or blank parameter takes its default. Numbers are decimals with an optional sign, and may group
their thousands with commas or spaces ("35,000", "35 000"); amounts of money may also carry a dollar sign
or "US$"/"USD" and a "k" for thousands ("$35,000", "35.5k"). Anything else (exponents, NaN, Infinity,
decimal commas, "35kk") is refused rather than guessed at. Ranges are inclusive.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from vendors.estimator import in_house, presets
from vendors.estimator.model import Inputs
from vendors.reference.countries import COUNTRIES
from vendors.validation import HIGHEST_RATE, LOWEST_RATE, UNGROUPED_NUMBER, InvalidParameters, as_spelled

# Thousands grouped by one separator, used throughout ("1,234,567.5", "35 000"), or plain digits ("35000.5").
GROUPED = r"[0-9]{1,3}(?P<separator>[, \u00a0\u202f])[0-9]{3}(?:(?P=separator)[0-9]{3})*(?:\.[0-9]+)?"
NUMBER = rf"(?:{GROUPED}|{UNGROUPED_NUMBER})"
CURRENCY = r"(?:US\$|USD|\$)"
PLAIN_NUMBER = re.compile(rf"(?P<sign>[+-]?)(?P<number>{NUMBER})")
MONEY = re.compile(
    rf"(?P<sign>[+-]?)(?:{CURRENCY} ?)?(?P<number>{NUMBER})(?: ?(?P<thousands>k))?(?: ?{CURRENCY})?",
    re.IGNORECASE,
)
GROUP_SEPARATORS = str.maketrans("", "", ", \u00a0\u202f")
THOUSAND = Decimal(1000)
MAX_LENGTH = 30
NOT_A_NUMBER = "{!r} is not a number: use digits and an optional decimal point, like 7.65"
NOT_A_COUNT = "{!r} is not a number: use digits only, like 12"
NOT_AN_AMOUNT = "{!r} is not an amount: type it like 35000, 35,000, $35,000 or 35k"


@dataclass(frozen=True)
class Parameter:
    name: str
    symbol: str  # the letter the formulas use
    label: str
    unit: str
    default: Decimal
    low: Decimal
    high: Decimal
    group: str  # "in_house", "outsourced" or "horizon": where the form shows it
    meaning: str  # what the input is
    source: str  # where the default comes from
    whole: bool = False
    money: bool = False  # US dollars: a dollar sign and "k" for thousands are understood

    def parse(self, raw: str | None, default: Decimal | None = None) -> Decimal | int:
        """The value of `raw`, else `default` (the parameter's own when None) when missing or blank;
        ValueError with a message otherwise."""
        text = (raw or "").strip()
        if not text:
            value = self.default if default is None else default
            return int(value) if self.whole else value
        value = self._number(text)
        if self.whole and value != value.to_integral_value():
            raise ValueError("must be a whole number")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low:,} and {self.high:,}")
        return int(value) if self.whole else value

    def _number(self, text: str) -> Decimal:
        pattern = MONEY if self.money else PLAIN_NUMBER
        match = pattern.fullmatch(text) if len(text) <= MAX_LENGTH else None
        if match is None:
            shown = text if len(text) <= 20 else text[:20] + "…"
            message = NOT_AN_AMOUNT if self.money else NOT_A_COUNT if self.whole else NOT_A_NUMBER
            raise ValueError(message.format(shown))
        value = Decimal(match["sign"] + match["number"].translate(GROUP_SEPARATORS))
        if match.groupdict().get("thousands"):
            value = Decimal(_plain(value * THOUSAND))
        return value + 0  # "-0" is 0: a minus sign on nothing would be echoed in every figure made from it


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "headcount",
        "N",
        "Team size",
        "full-time positions",
        Decimal(10),
        Decimal(1),
        Decimal(10_000),
        "in_house",
        "The full-time positions you would move to the vendor.",
        "An illustrative small team; put in your own.",
        whole=True,
    ),
    Parameter(
        "salary",
        "S",
        "Base salary",
        "US$ a year per position",
        Decimal(35_000),
        Decimal(1_000),
        Decimal(1_000_000),
        "in_house",
        "What you pay one in-house employee in this role each year, before taxes and benefits.",
        "An illustrative base salary for an entry-level customer-service position in the United States; "
        "replace it with your own payroll figure.",
        money=True,
    ),
    Parameter(
        "payroll_tax_pct",
        "t",
        "Employer payroll taxes",
        "% of salary",
        Decimal("7.65"),
        Decimal(0),
        Decimal(50),
        "in_house",
        "Taxes the employer pays on top of salary.",
        "The US FICA employer share: Social Security 6.2% plus Medicare 1.45%. Federal and state "
        "unemployment taxes (FUTA, SUTA) are left out; add them if you pay them.",
    ),
    Parameter(
        "benefits_pct",
        "b",
        "Benefits",
        "% of salary",
        Decimal(25),
        Decimal(0),
        Decimal(100),
        "in_house",
        "Health insurance, paid leave, retirement contributions and other benefits, as a share of salary.",
        "A typical employer benefits load for entry-level roles. The US Bureau of Labor Statistics' Employer "
        "Costs for Employee Compensation survey puts voluntary benefits in private industry at roughly a "
        "quarter to a third of wages.",
    ),
    Parameter(
        "overhead_per_fte",
        "O",
        "Overhead",
        "US$ a year per position",
        Decimal(7_200),
        Decimal(0),
        Decimal(100_000),
        "in_house",
        "Office space, desk, computer, software licences, telephony and utilities for one position.",
        "$600 a month per seat, an indicative cost of one fitted office seat; use your own if you know it.",
        money=True,
    ),
    Parameter(
        "attrition_pct",
        "a",
        "Staff turnover",
        "% a year",
        Decimal(30),
        Decimal(0),
        Decimal(200),
        "in_house",
        "The share of the team that leaves and has to be replaced each year.",
        "Contact centres commonly report 30-45% yearly turnover; 30% is the low end of that.",
    ),
    Parameter(
        "replacement_cost_pct",
        "R",
        "Cost of replacing a leaver",
        "% of salary",
        Decimal(21),
        Decimal(0),
        Decimal(200),
        "in_house",
        "Recruiting, onboarding and lost productivity when one employee leaves, as a share of salary.",
        "21% is the typical cost of turnover for jobs other than executives and physicians in the widely "
        "cited Center for American Progress review of turnover studies (Boushey and Glynn, 2012).",
    ),
    Parameter(
        "hourly_rate",
        "r",
        "Vendor hourly rate",
        "US$ per position-hour",
        Decimal(10),
        LOWEST_RATE,
        HIGHEST_RATE,
        "outsourced",
        "The vendor's billed price for one position-hour, which already covers the vendor's staff, seats, "
        "supervision and margin.",
        "Within the range commonly quoted for offshore customer support (for example the Philippines or "
        "India); headlines quote rates 'from $6 per hour'. Choose a preset or enter a vendor's quote.",
        money=True,
    ),
    Parameter(
        "hours_per_year",
        "H",
        "Billed hours",
        "hours a year per position",
        Decimal(2_080),
        Decimal(100),
        Decimal(4_000),
        "outsourced",
        "The hours the vendor bills for each position each year.",
        "52 weeks x 40 hours = 2,080, the usual full-time year. Check whether your vendor bills paid or only "
        "productive hours.",
    ),
    Parameter(
        "oversight_pct",
        "m",
        "Vendor management",
        "% of vendor fees",
        Decimal(10),
        Decimal(0),
        Decimal(100),
        "outsourced",
        "Your own staff time to manage the vendor: governance, quality reviews, reporting and contract "
        "management.",
        "About 10% of fees is a common rule of thumb for the retained organisation that oversees an "
        "outsourcing contract.",
    ),
    Parameter(
        "transition_per_fte",
        "T",
        "Transition cost",
        "US$ once per position",
        Decimal(3_000),
        Decimal(0),
        Decimal(100_000),
        "outsourced",
        "The one-time cost of moving the work: knowledge transfer, training, travel, set-up and parallel "
        "running.",
        "An indicative figure; vendors sometimes quote it as a separate set-up fee. Use 0 if there is none.",
        money=True,
    ),
    Parameter(
        "years",
        "Y",
        "Horizon",
        "years",
        Decimal(3),
        Decimal(1),
        Decimal(10),
        "horizon",
        "How many years the comparison covers; the transition cost is paid once, in year 1.",
        "Three years, a common length for an outsourcing contract term.",
        whole=True,
    ),
)

BY_NAME: dict[str, Parameter] = {parameter.name: parameter for parameter in PARAMETERS}
GROUPS: dict[str, str] = {
    "in_house": "Your in-house team",
    "outsourced": "The outsourced team",
    "horizon": "The comparison",
}


@dataclass(frozen=True)
class ParsedInputs:
    inputs: Inputs
    preset: presets.Preset | None  # when given, its typical rate replaced `hourly_rate`
    # When the buyer was read: where the salary and payroll-tax defaults came from.
    in_house_defaults: in_house.InHouseDefaults | None = None


def default_inputs() -> Inputs:
    return parse_inputs({}).inputs


def parse_inputs(
    args: Mapping[str, str],
    *,
    read_rate: bool = True,
    fallback_country: str | None = None,
    fallback_work: str = in_house.DEFAULT_WORK,
) -> ParsedInputs:
    """Every input from URL arguments, defaults for the missing ones; InvalidParameters naming each bad one.

    A `preset` (a key from seed_data/rate_presets.csv) replaces `hourly_rate` with the preset's typical
    rate; `hourly_rate` is then not read at all. With `read_rate=False` neither is read (the caller supplies
    the rates, as the vendor estimate does) and `hourly_rate` holds its default.

    With a `fallback_country`, the salary and payroll-tax defaults follow the buyer: see `read_in_house`.
    Without one, `buyer_country` and `work` are not read and the general defaults apply.
    """
    problems: dict[str, str] = {}
    values: dict[str, Decimal | int] = {}
    defaults = None
    if fallback_country is not None:
        defaults, problems = read_in_house(args, fallback_country, fallback_work)
    preset = _preset(args.get("preset"), problems) if read_rate else None
    typical = defaults.values if defaults else {}
    for parameter in PARAMETERS:
        skip = parameter.name == "hourly_rate" and (preset is not None or not read_rate)
        try:
            raw = None if skip else args.get(parameter.name)
            values[parameter.name] = parameter.parse(raw, typical.get(parameter.name))
        except ValueError as error:
            problems[parameter.name] = str(error)
    if problems:
        raise InvalidParameters(problems)
    if preset is not None:
        values["hourly_rate"] = preset.typical
    return ParsedInputs(Inputs(**values), preset, defaults)


def read_in_house(
    args: Mapping[str, str], fallback_country: str, fallback_work: str
) -> tuple[in_house.InHouseDefaults, dict[str, str]]:
    """The buyer's country (`buyer_country`, else `fallback_country`) and kind of work (`work`, else
    `fallback_work`), with the typical in-house figures for them, and the problems found: a bad value is
    named there and its fallback stands in, so the page can still say which defaults it would use."""
    problems: dict[str, str] = {}
    country = as_spelled(args.get("buyer_country") or "", capitals=True) or fallback_country
    if country not in COUNTRIES:
        problems["buyer_country"] = f"{country[:10]!r} is not a country code the directory knows"
        country = fallback_country
    work = as_spelled(args.get("work") or "") or fallback_work
    if work not in in_house.KINDS_OF_WORK:
        problems["work"] = f"{work[:40]!r} is not one of the kinds of work listed"
        work = fallback_work
    return in_house.defaults_for(country, work), problems


def as_args(inputs: Inputs) -> dict[str, str]:
    """The inputs as URL arguments that `parse_inputs` reads back to the same values."""
    return {parameter.name: _plain(getattr(inputs, parameter.name)) for parameter in PARAMETERS}


def _preset(raw: str | None, problems: dict[str, str]) -> presets.Preset | None:
    key = (raw or "").strip()
    if not key:
        return None
    preset = presets.find(key)
    if preset is None:
        shown = key if len(key) <= 40 else key[:40] + "…"
        problems["preset"] = (
            f"{shown!r} is not a rate preset; use a key such as PH-customer-support or IN-any"
        )
    return preset


def _plain(value: Decimal | int) -> str:
    """A number without exponent or needless trailing zeros: 1E+3 -> "1000", 7.650 -> "7.65"."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
