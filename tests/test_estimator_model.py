"""The estimator's plain modules: the arithmetic worked by hand, the parser, the presets and the chart.
The typical in-house figures have their own file, tests/test_estimator_in_house.py."""

from dataclasses import replace
from decimal import Decimal, localcontext

import pytest

from vendors.estimator import chart, presets
from vendors.estimator.model import Inputs, estimate, to_cents, to_tenths, yearly
from vendors.estimator.parameters import (
    BY_NAME,
    PARAMETERS,
    as_args,
    default_inputs,
    parse_inputs,
)
from vendors.estimator.present import dollars, figures, terms_in_words, usd
from vendors.validation import InvalidParameters

D = Decimal


def make_inputs(**changes) -> Inputs:
    return replace(default_inputs(), **changes)


# ---------- The model ----------


def test_defaults_are_the_documented_ones():
    assert default_inputs() == Inputs(
        headcount=10,
        salary=D(35000),
        payroll_tax_pct=D("7.65"),
        benefits_pct=D(25),
        overhead_per_fte=D(7200),
        attrition_pct=D(30),
        replacement_cost_pct=D(21),
        hourly_rate=D(10),
        hours_per_year=D(2080),
        oversight_pct=D(10),
        transition_per_fte=D(3000),
        years=3,
    )


def test_defaults_worked_by_hand():
    result = estimate(default_inputs())
    # Per position, in-house:
    #   salary             35,000
    #   payroll taxes      35,000 x 7.65% =  2,677.50
    #   benefits           35,000 x 25%   =  8,750
    #   overhead                             7,200
    #   attrition          30% x 21% x 35,000 = 2,205
    #   total                               55,832.50
    terms = result.per_fte
    assert (terms.salary, terms.payroll_taxes, terms.benefits, terms.overhead, terms.attrition) == (
        D(35000),
        D("2677.50"),
        D(8750),
        D(7200),
        D(2205),
    )
    assert result.in_house_per_fte == D("55832.50")
    # Per position, outsourced: 10 $/h x 2,080 h = 20,800 fees, + 10% oversight 2,080 = 22,880
    assert (terms.vendor_fees, terms.oversight) == (D(20800), D(2080))
    assert result.outsourced_per_fte == D(22880)
    # Team of 10: 558,325 in-house, 228,800 outsourced, 329,525 saved a year
    assert result.in_house_annual == D(558325)
    assert result.outsourced_annual == D(228800)
    assert result.annual_savings == D(329525)
    # 329,525 / 558,325 = 59.0203 %
    assert to_tenths(result.savings_pct) == D("59.0")
    assert result.savings_pct.quantize(D("0.0001")) == D("59.0203")
    # Transition 10 x 3,000 = 30,000; three years: 3 x 329,525 - 30,000 = 958,575
    assert result.transition_total == D(30000)
    assert result.horizon_savings == D(958575)
    # Payback 30,000 / (329,525 / 12) = 360,000 / 329,525 = 1.0925 months
    assert result.payback_months.quantize(D("0.0001")) == D("1.0925")
    assert to_tenths(result.payback_months) == D("1.1")


def test_zero_transition_pays_back_at_once():
    result = estimate(make_inputs(transition_per_fte=D(0)))
    assert result.transition_total == 0
    assert result.payback_months == 0
    assert result.horizon_savings == 3 * result.annual_savings == D(988575)


def test_dearer_outsourcing_gives_negative_savings_and_no_payback():
    # In-house: 20,000 salary and nothing else. Outsourced: 20 $/h x 2,080 h = 41,600 + 10% = 45,760.
    inputs = make_inputs(
        headcount=2,
        salary=D(20000),
        payroll_tax_pct=D(0),
        benefits_pct=D(0),
        overhead_per_fte=D(0),
        attrition_pct=D(0),
        hourly_rate=D(20),
    )
    result = estimate(inputs)
    assert result.in_house_annual == D(40000)
    assert result.outsourced_annual == D(91520)
    assert result.annual_savings == D(-51520)
    assert result.savings_pct == D("-128.8")  # -51,520 / 40,000
    assert result.horizon_savings == D(-160560)  # 3 x -51,520 - 2 x 3,000
    assert result.payback_months is None
    assert not result.outsourcing_saves


# Salary on one side, vendor fees on the other, nothing added to either.
BARE = dict.fromkeys(
    ["payroll_tax_pct", "benefits_pct", "overhead_per_fte", "attrition_pct", "oversight_pct"], D(0)
)


def test_break_even_has_no_payback():
    # 10 $/h x 2,080 h with no oversight equals a bare 20,800 salary.
    inputs = make_inputs(salary=D(20800), transition_per_fte=D(0), **BARE)
    result = estimate(inputs)
    assert result.annual_savings == 0
    assert result.savings_pct == 0
    assert result.payback_months is None


@pytest.mark.parametrize("above_break_even", ["0.0000000000000000000001", "0.0000004"])  # x 10,000 positions
def test_a_saving_below_half_a_cent_is_no_saving_and_has_no_payback(above_break_even):
    """Presented as $0.00 a year, it cannot be earned back over trillions of months, and would take more
    digits to round than a 28-digit decimal context has."""
    inputs = make_inputs(
        salary=D(20800) + D(above_break_even), transition_per_fte=D(100000), headcount=10000, **BARE
    )
    result = estimate(inputs)
    assert result.annual_savings > 0
    assert result.payback_months is None and not result.outsourcing_saves
    assert figures(result)["annual_savings"] == 0 and figures(result)["payback_months"] is None


def test_a_loss_below_half_a_cent_is_shown_as_zero_not_minus_zero():
    for shown in (to_cents(D("-0.004")), to_tenths(D("-0.04")), to_cents(D("-0"))):
        assert shown == 0 and not shown.is_signed(), shown


def test_rounding_needs_no_more_digits_than_the_callers_context_has():
    with localcontext(prec=5):
        assert to_tenths(D("123456789.26")) == D("123456789.3")
        assert to_cents(D("-98765432.105")) == D("-98765432.11")


def test_largest_inputs_stay_exact():
    inputs = Inputs(
        headcount=10_000,
        salary=D(1_000_000),
        payroll_tax_pct=D(50),
        benefits_pct=D(100),
        overhead_per_fte=D(100_000),
        attrition_pct=D(200),
        replacement_cost_pct=D(200),
        hourly_rate=D(500),
        hours_per_year=D(4000),
        oversight_pct=D(100),
        transition_per_fte=D(100_000),
        years=10,
    )
    result = estimate(inputs)
    # In-house: 1,000,000 x (1 + 0.5 + 1) + 100,000 + 2 x 2 x 1,000,000 = 6,600,000 per position
    assert result.in_house_per_fte == D(6_600_000)
    # Outsourced: 500 x 4,000 x 2 = 4,000,000 per position
    assert result.outsourced_per_fte == D(4_000_000)
    assert result.in_house_annual == D(66_000_000_000)
    assert result.annual_savings == D(26_000_000_000)
    assert result.transition_total == D(1_000_000_000)
    assert result.horizon_savings == D(259_000_000_000)  # 10 x 26e9 - 1e9
    # 26/66 = 39.39393939...%; 1e9 x 12 / 26e9 = 0.461538... months
    assert to_tenths(result.savings_pct) == D("39.4")
    assert to_tenths(result.payback_months) == D("0.5")
    assert to_cents(result.horizon_savings) == D("259000000000.00")


def test_odd_amounts_keep_every_digit_until_presented():
    inputs = make_inputs(
        headcount=9_999, salary=D("33333.33"), payroll_tax_pct=D("7.65"), hourly_rate=D("7.77")
    )
    result = estimate(inputs)
    assert result.per_fte.payroll_taxes == D("2549.999745")  # 33,333.33 x 0.0765, exactly
    assert to_cents(result.per_fte.payroll_taxes) == D("2550.00")
    assert result.team("payroll_taxes") == D("25497447.450255")
    assert result.per_fte.vendor_fees == D("16161.60")  # 7.77 x 2,080


def test_the_callers_decimal_context_does_not_change_the_result():
    expected = estimate(make_inputs(salary=D("33333.33")))
    with localcontext(prec=6):
        assert estimate(make_inputs(salary=D("33333.33"))) == expected


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.005", "0.01"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("1.004999", "1.00"), ("-2.675", "-2.68")],
)
def test_money_rounds_half_up_to_the_cent(amount, cents):
    assert to_cents(D(amount)) == D(cents)


@pytest.mark.parametrize(("number", "shown"), [("59.05", "59.1"), ("0.04999", "0.0"), ("-12.25", "-12.3")])
def test_percent_and_months_round_half_up_to_one_decimal(number, shown):
    assert to_tenths(D(number)) == D(shown)
    assert to_tenths(None) is None


def test_presented_figures_are_rounded_from_the_exact_values():
    shown = figures(estimate(default_inputs()))
    assert shown["in_house_per_fte"] == D("55832.50")
    assert shown["savings_pct"] == D("59.0")
    assert shown["payback_months"] == D("1.1")
    assert usd(D("-1234.565")) == "-$1,234.57"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("329525", "$329,525"), ("1234.5", "$1,235"), ("-1234.5", "-$1,235"), ("999999.4999", "$999,999")],
)
def test_headline_money_reads_in_whole_dollars(amount, shown):
    assert dollars(D(amount)) == shown


def test_whole_dollars_are_rounded_from_the_exact_amount_not_from_cents():
    # 0.495 is 0.50 to the cent, which would round to $1; the exact amount rounds to $0.
    assert usd(D("0.495")) == "$0.50"
    assert dollars(D("0.495")) == "$0"


def test_each_term_is_put_in_words_with_the_inputs_values():
    inputs = make_inputs(
        payroll_tax_pct=D("11.8"),
        benefits_pct=D(20),
        attrition_pct=D(45),
        replacement_cost_pct=D(16),
        hourly_rate=D("12.5"),
        hours_per_year=D(1950),
        oversight_pct=D(12),
    )
    assert terms_in_words(inputs) == {
        "salary": "Base pay",
        "payroll_taxes": "11.8% of salary",
        "benefits": "20% of salary",
        "overhead": "Office, equipment and software for one seat",
        "attrition": "45% leave a year, each costing 16% of salary",
        "vendor_fees": "$12.50 an hour for 1,950 hours",
        "oversight": "12% of vendor fees",
    }


def test_years_carry_the_transition_in_year_one_and_end_at_the_horizon_savings():
    result = estimate(default_inputs())
    rows = yearly(result)
    assert [row.year for row in rows] == [1, 2, 3]
    assert rows[0].outsourced == D(228800) + D(30000)
    assert rows[1].outsourced == rows[2].outsourced == D(228800)
    assert [row.cumulative_savings for row in rows] == [D(299525), D(629050), D(958575)]
    assert rows[-1].cumulative_savings == result.horizon_savings


# ---------- The parameter parser (shared by the page and the API) ----------


def test_missing_and_blank_parameters_take_their_defaults():
    assert (
        parse_inputs({}).inputs == parse_inputs({name: "  " for name in BY_NAME}).inputs == default_inputs()
    )


@pytest.mark.parametrize(
    "raw",
    ["abc", "1e3", "1e999", "NaN", "nan", "Infinity", "-inf", "0x10", "\u0661\u0660", "12.5.1"],
)
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"salary": raw, "benefits_pct": raw})
    assert caught.value.problems == {
        "salary": f"{raw!r} is not an amount: type it like 35000, 35,000, $35,000 or 35k",
        "benefits_pct": f"{raw!r} is not a number: use digits and an optional decimal point, like 7.65",
    }


@pytest.mark.parametrize("parameter", PARAMETERS, ids=lambda parameter: parameter.name)
def test_range_edges_are_inclusive(parameter):
    for edge in (parameter.low, parameter.high):
        value = getattr(parse_inputs({parameter.name: str(edge)}).inputs, parameter.name)
        assert value == edge
    step = D(1) if parameter.whole else D("0.01")
    for outside in (parameter.low - step, parameter.high + step):
        with pytest.raises(InvalidParameters) as caught:
            parse_inputs({parameter.name: str(outside)})
        assert caught.value.problems == {
            parameter.name: f"must be between {parameter.low:,} and {parameter.high:,}"
        }


def test_whole_number_parameters_refuse_fractions():
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"headcount": "2.5", "years": "1.5"})
    assert caught.value.problems == {"headcount": "must be a whole number", "years": "must be a whole number"}
    assert parse_inputs({"headcount": "12.0"}).inputs.headcount == 12


def test_every_bad_parameter_is_named_at_once():
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"salary": "0", "years": "x", "oversight_pct": "-1", "headcount": "5"})
    assert set(caught.value.problems) == {"salary", "years", "oversight_pct"}


def test_a_preset_replaces_the_hourly_rate():
    parsed = parse_inputs({"preset": "ph-Customer-Support", "hourly_rate": "not read"})
    assert parsed.preset == presets.find("PH-customer-support")
    assert parsed.inputs.hourly_rate == parsed.preset.typical


def test_an_unknown_preset_is_named():
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"preset": "XX-nothing"})
    assert "not a rate preset" in caught.value.problems["preset"]


def test_inputs_round_trip_through_url_arguments():
    inputs = make_inputs(salary=D("1E+5"), payroll_tax_pct=D("7.650"), hourly_rate=D("0.5"))
    args = as_args(inputs)
    assert args["salary"] == "100000"
    assert args["payroll_tax_pct"] == "7.65"
    assert parse_inputs(args).inputs == inputs


def test_every_parameter_documents_its_default_and_source():
    assert [parameter.symbol for parameter in PARAMETERS] == list("NStbOaRrHmTY")
    for parameter in PARAMETERS:
        assert parameter.low <= parameter.default <= parameter.high
        assert parameter.meaning and parameter.source


# ---------- Amounts as people type them ----------

AMOUNT_MESSAGE = "{!r} is not an amount: type it like 35000, 35,000, $35,000 or 35k"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("42,500", "42500"),
        ("42 500", "42500"),
        ("42\u00a0500", "42500"),  # a no-break space, as spreadsheets and some locales group thousands
        ("$42,500", "42500"),
        ("US$42,500", "42500"),
        ("us$ 42,500", "42500"),
        ("USD 42500", "42500"),
        ("42,500 USD", "42500"),
        ("42k", "42000"),
        ("42.75K", "42750"),
        ("$61.2k", "61200"),
        ("1,000,000", "1000000"),
        ("48,250.50", "48250.50"),
        ("  $40,000  ", "40000"),
        ("40000", "40000"),
    ],
)
def test_amounts_are_read_as_people_type_them(raw, value):
    assert parse_inputs({"salary": raw}).inputs.salary == D(value)


@pytest.mark.parametrize(
    "raw",
    [
        "35kk",
        "abc",
        "4,25",
        "42,50,0",
        "42.500,50",
        "1,000 000",
        "k",
        "$",
        "€42,000",
        "42 k k",
        "$$42",
        "42m",
    ],
)
def test_anything_else_is_refused_with_a_message(raw):
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"overhead_per_fte": raw})
    assert caught.value.problems == {"overhead_per_fte": AMOUNT_MESSAGE.format(raw)}


@pytest.mark.parametrize(
    ("name", "raw"),
    [("salary", "-5"), ("overhead_per_fte", "-5"), ("transition_per_fte", "-$1,200"), ("hourly_rate", "12k")],
)
def test_amounts_out_of_range_are_refused_with_the_range(name, raw):
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({name: raw})
    parameter = BY_NAME[name]
    assert caught.value.problems == {name: f"must be between {parameter.low:,} and {parameter.high:,}"}


def test_only_the_bad_amounts_are_named():
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs(
            {"salary": "35kk", "transition_per_fte": "abc", "overhead_per_fte": "$6,000", "years": "4"}
        )
    assert caught.value.problems == {
        "salary": AMOUNT_MESSAGE.format("35kk"),
        "transition_per_fte": AMOUNT_MESSAGE.format("abc"),
    }


def test_other_numbers_may_group_thousands_but_are_not_amounts():
    inputs = parse_inputs({"headcount": "1,200", "hours_per_year": "1 950"}).inputs
    assert (inputs.headcount, inputs.hours_per_year) == (1200, D(1950))
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"headcount": "2k", "benefits_pct": "$20", "years": "3 years"})
    assert set(caught.value.problems) == {"headcount", "benefits_pct", "years"}
    assert all("is not a number" in message for message in caught.value.problems.values())


def test_amounts_read_back_as_plain_url_arguments():
    inputs = parse_inputs(
        {"salary": "42.75k", "transition_per_fte": "$2,500", "hourly_rate": "US$9.5"}
    ).inputs
    args = as_args(inputs)
    assert (args["salary"], args["transition_per_fte"], args["hourly_rate"]) == ("42750", "2500", "9.5")
    assert parse_inputs(args).inputs == inputs


# ---------- Presets ----------

REQUIRED_COUNTRIES = [
    "PH",
    "IN",
    "MX",
    "CO",
    "BR",
    "ZA",
    "PL",
    "EG",
    "KE",
    "VN",
    "MY",
    "RO",
    "US",
    "GB",
    "CA",
    "AU",
]
REQUIRED_WORK = ["customer-support", "finance-accounting", "healthcare", "it-services", "content-moderation"]


def test_presets_cover_the_required_countries_and_kinds_of_work():
    loaded = presets.all_presets()
    for country in REQUIRED_COUNTRIES:
        assert f"{country}-any" in loaded, country
    for work in [*REQUIRED_WORK, "administration"]:
        assert any(preset.specialisation == work for preset in loaded.values()), work


def test_each_required_country_has_the_rows_the_readme_names():
    kinds = {country: set() for country in REQUIRED_COUNTRIES}
    for preset in presets.all_presets().values():
        if preset.country in kinds:
            kinds[preset.country].add(preset.specialisation)
    for country, rows in kinds.items():
        expected = {"any", "customer-support", "finance-accounting", "administration"}
        expected |= set() if country == "KE" else {"it-services"}
        assert expected <= rows, country
        assert rows <= expected | {"healthcare", "content-moderation", "sales"}, country
    assert len({preset.country for preset in presets.all_presets().values()}) == 53


def test_every_preset_is_a_valid_hourly_rate_with_a_source():
    rate = BY_NAME["hourly_rate"]
    for preset in presets.all_presets().values():
        assert rate.low <= preset.low <= preset.typical <= preset.high <= rate.high, preset.key
        assert preset.source.startswith("Indicative"), preset.key
        assert "http" not in preset.source


def test_a_malformed_presets_file_is_refused(tmp_path):
    path = tmp_path / "rate_presets.csv"
    header = ",".join(presets.COLUMNS)
    path.write_text(f"{header}\nPH,any,12,10,15,Somewhere\n", encoding="utf-8")
    with pytest.raises(presets.PresetFileError, match="low <= typical <= high"):
        presets._load(path)
    path.write_text(f"{header}\nZZ,any,8,10,15,Somewhere\n", encoding="utf-8")
    with pytest.raises(presets.PresetFileError, match="not a country"):
        presets._load(path)


def test_vendor_rates_use_the_published_range():
    rates = presets.vendor_rates(D(8), D(14), ["PH"], ["customer-support"])
    assert (rates.low, rates.high, rates.disclosed, rates.preset) == (D(8), D(14), True, None)


def test_undisclosed_vendor_rates_fall_back_to_the_preset_for_the_work():
    rates = presets.vendor_rates(None, None, ["IN", "PH"], ["healthcare", "customer-support"])
    expected = presets.find("IN-healthcare")
    assert (rates.low, rates.high, rates.disclosed, rates.preset) == (
        expected.low,
        expected.high,
        False,
        expected,
    )


def test_undisclosed_vendor_rates_fall_back_to_the_country_then_to_nothing():
    rates = presets.vendor_rates(None, None, ["KE"], ["legal"])
    assert rates.preset == presets.find("KE-any")
    assert presets.vendor_rates(None, None, ["JP"], ["customer-support"]) is None
    assert presets.vendor_rates(None, None, [], []) is None


# ---------- Chart geometry ----------


@pytest.mark.parametrize(
    ("rough", "step"), [(0.0, 1.0), (0.7, 1.0), (1.2, 2.0), (2.1, 2.5), (3, 5), (7, 10), (1234, 2000)]
)
def test_nice_steps(rough, step):
    assert chart.nice_step(rough) == step


def test_chart_of_negative_savings_draws_below_the_zero_line():
    result = estimate(make_inputs(hourly_rate=D(40)))
    assert result.annual_savings < 0
    drawn = chart.build(yearly(result))
    assert drawn.top <= drawn.zero_y < drawn.bottom
    assert all(point.y > drawn.zero_y for point in drawn.points)
    # Costs are drawn as bars standing on the zero line, whichever side the savings line runs.
    assert all(abs(bar.y + bar.height - drawn.zero_y) < 0.01 for bar in drawn.bars)
    assert len(drawn.bars) == 2 * result.inputs.years
    labels = [tick.label for tick in drawn.ticks]
    assert "$0" in labels
    assert any(label.startswith("-$") for label in labels)


@pytest.mark.parametrize("layout", [chart.WIDE, chart.NARROW], ids=["wide", "narrow"])
def test_chart_fits_every_value_inside_the_plot(layout):
    for inputs in (
        default_inputs(),
        make_inputs(years=10, transition_per_fte=D(100_000)),
        make_inputs(years=1),
    ):
        drawn = chart.build(yearly(estimate(inputs)), layout)
        assert (drawn.width, drawn.height, drawn.font_size) == (layout.width, layout.height, layout.font_size)
        assert 0 < drawn.left < drawn.right < drawn.width and 0 < drawn.top < drawn.bottom < drawn.height
        ys = [point.y for point in drawn.points] + [bar.y for bar in drawn.bars]
        assert all(drawn.top - 0.01 <= y <= drawn.bottom + 0.01 for y in ys)
        xs = [point.x for point in drawn.points] + [bar.x for bar in drawn.bars]
        assert all(drawn.left <= x <= drawn.right for x in xs)
