"""Typical in-house figures by buyer country and kind of work: the table, the parser, and the /estimate page
taking its salary and payroll-tax defaults from them."""

import re
from dataclasses import replace
from decimal import Decimal

import pytest
from markupsafe import escape

from tests.test_estimator_pages import (
    add_vendor,
    expected_figures,
    input_attribute,
    input_value,
    page_figures,
    selected,
    share_link,
    typical_inputs,
)
from vendors.estimator import in_house, presets
from vendors.estimator.parameters import BY_NAME, default_inputs, parse_inputs
from vendors.reference.countries import country_name
from vendors.reference.taxonomy import SPECIALISATIONS, mid_sentence
from vendors.validation import InvalidParameters

D = Decimal
BUYER_COUNTRIES = ["US", "GB", "CA", "AU", "DE", "FR", "NL", "IE", "NZ", "SG", "JP", "AE"]
COSTS = in_house.all_costs()


def notice(page: str) -> str:
    """The results' note of which in-house defaults were used."""
    return re.search(r'<section class="notice in-house-notice".*?</section>', page, re.S)[0]


# ---------- The table ----------


def test_the_table_covers_the_buyer_countries_and_every_kind_of_work():
    assert set(BUYER_COUNTRIES) <= set(in_house.countries())
    for country in in_house.countries():
        for work in in_house.KINDS_OF_WORK:
            assert (country, work) in COSTS, (country, work)


def test_the_kinds_of_work_are_the_ones_the_rate_presets_know():
    preset_work = {preset.specialisation for preset in presets.all_presets().values()} - {presets.ANY_WORK}
    assert set(in_house.KINDS_OF_WORK) == preset_work
    assert set(in_house.KINDS_OF_WORK) <= set(SPECIALISATIONS)


def test_every_row_is_a_plausible_indicative_figure_with_dated_sources():
    payroll = BY_NAME["payroll_tax_pct"]
    for key, row in COSTS.items():
        assert D(10_000) <= row.salary <= D(80_000), key
        assert row.salary % 1000 == 0, key  # rounded down to the thousand
        assert payroll.low <= row.payroll_tax_pct <= D(30), key
        for source in (row.salary_source, row.payroll_tax_source):
            assert source.startswith("Indicative: "), key
            assert re.search(r"\b202[2-5]\b", source), key  # each names the year of its figures
            assert "http" not in source
        if row.country != "US":
            assert re.search(r"converted at (US\$[0-9.]+ per|the fixed rate)", row.salary_source), key


def test_the_sources_are_national_wage_surveys_and_tax_and_social_security_offices():
    sources = " ".join(f"{row.salary_source} {row.payroll_tax_source}" for row in COSTS.values())
    for named in (
        "Bureau of Labor Statistics, Occupational Employment and Wage Statistics",
        "Office for National Statistics, Annual Survey of Hours and Earnings",
        "Stats NZ",
        "Occupational Wage Survey",
        "Basic Survey on Wage Structure",
        "Internal Revenue Service",
        "HM Revenue and Customs",
        "Canada Revenue Agency",
        "Australian Taxation Office",
        "URSSAF",
        "Revenue and the Department of Social Protection",
        "CPF Board",
    ):
        assert named in sources, named


def test_the_file_says_its_figures_are_indicative_rounded_and_converted_at_stated_rates():
    header = " ".join(
        line for line in in_house.COSTS_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    for said in (
        "INDICATIVE",
        "check them against your own payroll",
        "at or below the",
        "rounded down to the nearest 1,000",
        "2024 average exchange rates",
        "GBP 1.28",
        "EUR 1.08",
        "under the 2025 rules",
        "share for this row's salary",
    ):
        assert said in header, said


def test_the_general_defaults_are_the_united_states_customer_support_row():
    row = COSTS[("US", "customer-support")]
    assert (row.salary, row.payroll_tax_pct) == (
        BY_NAME["salary"].default,
        BY_NAME["payroll_tax_pct"].default,
    )


@pytest.mark.parametrize("country", BUYER_COUNTRIES)
def test_skilled_back_office_work_pays_more_than_customer_support(country):
    support = COSTS[(country, "customer-support")].salary
    assert COSTS[(country, "finance-accounting")].salary > support
    assert COSTS[(country, "it-services")].salary > support


@pytest.mark.parametrize(
    ("specialisations", "work"),
    [
        (["finance-accounting", "customer-support"], "finance-accounting"),
        (["content-moderation"], "content-moderation"),
        (["it-services", "sales"], "it-services"),
        (["legal", "finance-accounting"], "administration"),
        (["hr-recruitment"], "administration"),
        ([], "customer-support"),
    ],
)
def test_a_vendors_main_specialisation_gives_its_kind_of_work(specialisations, work):
    assert in_house.work_for(specialisations) == work


def test_every_specialisation_gives_a_kind_of_work_the_table_has():
    for slug in SPECIALISATIONS:
        assert in_house.work_for([slug]) in in_house.KINDS_OF_WORK


HEADER = ",".join(in_house.COLUMNS)
GOOD_SOURCES = '"Indicative: a wage survey (2024)","Indicative: a tax office (2025)"'


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([f"ZZ,sales,30000,10,{GOOD_SOURCES}"], "not a country"),
        ([f"GB,plumbing,30000,10,{GOOD_SOURCES}"], "not one of"),
        ([f"GB,sales,30000,10,A wage survey,{GOOD_SOURCES.split(',', 1)[1]}"], "labelled 'Indicative: '"),
        ([f"GB,sales,thirty,10,{GOOD_SOURCES}"], "is not a number"),
        ([f"GB,{work},30000,10,{GOOD_SOURCES}" for work in in_house.KINDS_OF_WORK] * 2, "appears twice"),
        ([f"GB,sales,30000,10,{GOOD_SOURCES}"], "GB has no row for customer-support"),
    ],
)
def test_a_malformed_costs_file_is_refused(tmp_path, rows, problem):
    path = tmp_path / "in_house_costs.csv"
    path.write_text("\n".join(["# A comment line", HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(in_house.CostsFileError, match=re.escape(problem)):
        in_house._load(path)


def test_a_malformed_row_is_named_by_its_line_in_the_file(tmp_path):
    path = tmp_path / "in_house_costs.csv"
    path.write_text(f"# One\n# Two\n{HEADER}\nZZ,sales,30000,10,{GOOD_SOURCES}\n", encoding="utf-8")
    with pytest.raises(in_house.CostsFileError, match=re.escape("in_house_costs.csv line 4:")):
        in_house._load(path)


# ---------- The parser ----------


@pytest.mark.parametrize(
    ("country", "work"),
    [
        ("GB", "it-services"),
        ("JP", "finance-accounting"),
        ("AU", "healthcare"),
        ("AE", "sales"),
        ("de", "content-moderation"),
        ("NZ", "administration"),
    ],
)
def test_the_buyers_country_and_work_set_the_salary_and_payroll_defaults(country, work):
    parsed = parse_inputs({"buyer_country": country, "work": work}, fallback_country="US")
    row = COSTS[(country.upper(), work)]
    assert parsed.inputs == replace(default_inputs(), salary=row.salary, payroll_tax_pct=row.payroll_tax_pct)
    assert parsed.in_house_defaults.typical == row


def test_without_a_country_or_work_the_fallbacks_apply():
    parsed = parse_inputs({"buyer_country": " ", "work": ""}, fallback_country="FR", fallback_work="sales")
    assert parsed.inputs == typical_inputs("FR", "sales")
    assert (parsed.in_house_defaults.buyer_country, parsed.in_house_defaults.work) == ("FR", "sales")


def test_typed_figures_win_over_the_typical_ones():
    args = {"buyer_country": "SG", "salary": "$31,500", "payroll_tax_pct": "12"}
    inputs = parse_inputs(args, fallback_country="US").inputs
    assert (inputs.salary, inputs.payroll_tax_pct) == (D(31500), D(12))


@pytest.mark.parametrize("country", ["PH", "BR", "IN", "ZA"])
def test_a_country_outside_the_table_keeps_the_general_defaults(country):
    parsed = parse_inputs({"buyer_country": country, "work": "it-services"}, fallback_country="US")
    assert parsed.inputs == default_inputs()
    assert parsed.in_house_defaults.typical is None


def test_a_bad_country_or_kind_of_work_is_named():
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"buyer_country": "ZZ", "work": "plumbing", "salary": "35k"}, fallback_country="US")
    assert caught.value.problems == {
        "buyer_country": "'ZZ' is not a country code the directory knows",
        "work": "'plumbing' is not one of the kinds of work listed",
    }


def test_a_country_in_letters_of_another_script_is_named_not_read_as_ascii():
    # A dotless i upper-cases to I, and a long s to S.
    for typed in ("\u0131n", "\u017fg"):
        with pytest.raises(InvalidParameters) as caught:
            parse_inputs({"buyer_country": typed, "work": "sales"}, fallback_country="US")
        assert set(caught.value.problems) == {"buyer_country"}
    parsed = parse_inputs({"buyer_country": " gb ", "work": " Sales"}, fallback_country="US")
    assert (parsed.in_house_defaults.buyer_country, parsed.in_house_defaults.work) == ("GB", "sales")
    assert presets.find("\u0131n-any") is None and presets.find("in-ANY") == presets.find("IN-any")


def test_without_a_fallback_country_the_buyer_is_not_read():
    # The comparison and the API parse this way, so their defaults stay the general ones.
    parsed = parse_inputs({"buyer_country": "JP", "work": "sales"})
    assert parsed.inputs == default_inputs()
    assert parsed.in_house_defaults is None


# ---------- The page ----------


@pytest.mark.parametrize(
    ("country", "work"),
    [
        ("GB", "customer-support"),
        ("CA", "it-services"),
        ("FR", "finance-accounting"),
        ("SG", "healthcare"),
        ("IE", "content-moderation"),
    ],
)
def test_the_page_takes_its_in_house_defaults_from_the_buyers_country_and_work(client, country, work):
    page = client.get(f"/estimate?buyer_country={country}&work={work}").text
    row = COSTS[(country, work)]
    assert page_figures(page)["estimate"] == expected_figures(typical_inputs(country, work))
    assert (selected(page, "buyer_country"), selected(page, "work")) == (country, work)
    assert input_value(page, "salary") == ""
    assert input_attribute(page, "salary", "placeholder") == f"{row.salary:,}"
    assert input_attribute(page, "payroll_tax_pct", "placeholder") == f"{row.payroll_tax_pct}"
    label = f"{country_name(country)}, {mid_sentence(in_house.KINDS_OF_WORK[work])}"
    assert f"Leave it blank for the typical figure for {label}: <strong>{row.salary:,}</strong>" in page
    said = notice(page)
    assert f"Typical in-house figures for {label}" in said
    assert '<span class="indicative">indicative</span>' in said
    assert f"${row.salary:,} a year</strong>,\n        used in this estimate" in said
    assert escape(row.salary_source) in said
    assert escape(row.payroll_tax_source) in said
    assert "Amounts stay in US dollars" in said


def test_the_page_follows_the_directory_cookie_then_the_site_default(app, client):
    client.set_cookie("buyer_country", "AU")
    assert page_figures(client.get("/estimate").text)["estimate"] == expected_figures(
        typical_inputs("AU", "customer-support")
    )
    assert page_figures(client.get("/estimate?buyer_country=NZ").text)["estimate"] == expected_figures(
        typical_inputs("NZ", "customer-support")
    )
    client.delete_cookie("buyer_country")
    app.config["BUYER_COUNTRY"] = "NL"
    page = client.get("/estimate?work=sales").text
    assert page_figures(page)["estimate"] == expected_figures(typical_inputs("NL", "sales"))


def test_a_country_outside_the_table_falls_back_and_says_so(client):
    page = client.get("/estimate?buyer_country=PH&work=it-services").text
    assert page_figures(page)["estimate"] == expected_figures(default_inputs())
    assert "There are no typical in-house figures for Philippines yet" in notice(page)
    assert "there is no typical figure for\n    Philippines" in page  # the hint at the salary field
    assert input_attribute(page, "salary", "placeholder") == "35,000"


def test_typed_figures_are_used_and_the_page_says_the_typical_ones_were_not(client):
    page = client.get("/estimate?buyer_country=DE&salary=41.5k").text
    row = COSTS[("DE", "customer-support")]
    assert page_figures(page)["estimate"] == expected_figures(
        replace(default_inputs(), salary=D(41500), payroll_tax_pct=row.payroll_tax_pct)
    )
    said = notice(page)
    assert "not used: this estimate uses your figure,\n        $41,500" in said
    assert f"{row.payroll_tax_pct}% of salary</strong>,\n        used in this estimate" in said
    assert input_value(page, "salary") == "41.5k"


def test_a_bad_country_or_work_is_named_at_its_field_and_the_rest_is_kept(client):
    response = client.get("/estimate?buyer_country=ZZ&work=plumbing&headcount=12&salary=44000")
    assert response.status_code == 400
    page = response.text
    assert '<p class="error" id="buyer_country-error">&#39;ZZ&#39; is not a country code' in page
    assert '<p class="error" id="work-error">&#39;plumbing&#39; is not one of the kinds' in page
    assert (input_value(page, "headcount"), input_value(page, "salary")) == ("12", "44000")
    assert page_figures(page) == {}


def test_a_vendor_estimate_uses_the_vendors_main_kind_of_work(client):
    add_vendor("books", rates=("9", "12"), work=("finance-accounting", "customer-support"))
    add_vendor("counsel", rates=("9", "12"), work=("legal",))
    for query, country, work in (
        ("vendor=books&buyer_country=DE", "DE", "finance-accounting"),
        ("vendor=books&buyer_country=DE&work=sales", "DE", "sales"),  # a kind chosen in the form wins
        ("vendor=counsel&buyer_country=CA", "CA", "administration"),
    ):
        page = client.get(f"/estimate?{query}").text
        assert selected(page, "work") == work, query
        low = page_figures(page)["low"]
        assert low == expected_figures(replace(typical_inputs(country, work), hourly_rate=D(9))), query


def test_the_share_link_carries_the_buyer_and_gives_the_same_estimate(client):
    page = client.get("/estimate?buyer_country=JP&work=sales&headcount=4").text
    share = share_link(page)
    assert "buyer_country=JP" in share and "work=sales" in share
    client.set_cookie("buyer_country", "GB")
    again = client.get(share.removeprefix("http://localhost")).text
    assert page_figures(again) == page_figures(page)
    assert notice(again) == notice(page)


def test_the_page_lists_every_typical_figure_with_its_sources(client):
    page = client.get("/estimate").text
    table = re.search(r'<details class="figures-table">.*?</details>', page, re.S)[0]
    for country in BUYER_COUNTRIES:
        assert f">{country_name(country)}\n" in table
    for row in COSTS.values():
        assert escape(row.salary_source) in table
        assert escape(row.payroll_tax_source) in table
    assert table.count("<td>$") == len(COSTS)


def test_labels_keep_their_abbreviations_in_capitals_mid_sentence():
    """ "Japan, IT help desk", not "Japan, it help desk": read after a comma, only the other words lose
    their capitals."""
    from vendors.estimator import presets

    assert mid_sentence("Tech, IT and development") == "tech, IT and development"
    assert mid_sentence("Customer support") == "customer support"
    labels = [preset.label for preset in presets.all_presets().values()]
    labels += [in_house.InHouseDefaults("JP", work, None).label for work in in_house.KINDS_OF_WORK]
    assert any(" IT " in f"{label} " for label in labels)
    assert not any(" it " in f" {label} " for label in labels)
