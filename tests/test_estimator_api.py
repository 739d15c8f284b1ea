"""GET /api/v1/estimate: defaults, errors naming each parameter, and agreement with the page to the cent."""

import json
import random
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from tests.test_estimator_pages import add_vendor, page_figures
from vendors.estimator import in_house, presets
from vendors.estimator.parameters import BY_NAME, PARAMETERS

HEADLINE = (
    "in_house_per_fte",
    "outsourced_per_fte",
    "in_house_annual",
    "outsourced_annual",
    "annual_savings",
    "savings_pct",
    "transition_total",
    "horizon_savings",
    "payback_months",
)
TERMS = ("salary", "payroll_taxes", "benefits", "overhead", "attrition", "vendor_fees", "oversight")


def test_defaults(client):
    response = client.get("/api/v1/estimate")
    assert response.status_code == 200
    body = response.get_json()
    assert body["currency"] == "USD"
    assert body["inputs"] == {
        "headcount": 10,
        "salary": 35000,
        "payroll_tax_pct": 7.65,
        "benefits_pct": 25,
        "overhead_per_fte": 7200,
        "attrition_pct": 30,
        "replacement_cost_pct": 21,
        "hourly_rate": 10,
        "hours_per_year": 2080,
        "oversight_pct": 10,
        "transition_per_fte": 3000,
        "years": 3,
    }
    assert body["preset"] is None
    # Worked by hand in tests/test_estimator_model.py::test_defaults_worked_by_hand
    assert {name: body[name] for name in HEADLINE} == {
        "in_house_per_fte": 55832.5,
        "outsourced_per_fte": 22880,
        "in_house_annual": 558325,
        "outsourced_annual": 228800,
        "annual_savings": 329525,
        "savings_pct": 59.0,
        "transition_total": 30000,
        "horizon_savings": 958575,
        "payback_months": 1.1,
    }
    assert body["breakdown"] == {
        "salary": 35000,
        "payroll_taxes": 2677.5,
        "benefits": 8750,
        "overhead": 7200,
        "attrition": 2205,
        "vendor_fees": 20800,
        "oversight": 2080,
    }


def test_the_answer_depends_on_the_query_alone(client):
    # The API keeps the general in-house defaults: it reads neither the buyer's country nor the directory's
    # cookie, so every caller gets the same figures for the same query.
    defaults = client.get("/api/v1/estimate").get_json()
    client.set_cookie("buyer_country", "GB")
    assert client.get("/api/v1/estimate?buyer_country=JP&work=sales").get_json() == defaults


def test_money_is_rounded_to_cents_and_percentages_to_one_decimal(client):
    body = client.get("/api/v1/estimate?salary=33333.33&hourly_rate=7.777&headcount=3").get_json()
    assert body["breakdown"]["payroll_taxes"] == 2550.0  # 2,549.999745
    assert body["breakdown"]["vendor_fees"] == 16176.16  # 7.777 x 2,080 = 16,176.16
    for name in HEADLINE:
        assert isinstance(body[name], int | float)
        places = 1 if name in ("savings_pct", "payback_months") else 2
        assert Decimal(str(body[name])) == round(Decimal(str(body[name])), places)


def test_dearer_outsourcing_has_negative_savings_and_null_payback(client):
    body = client.get("/api/v1/estimate?hourly_rate=40").get_json()
    assert body["annual_savings"] == -356875
    assert body["savings_pct"] == -63.9
    assert body["payback_months"] is None


def test_zero_transition_pays_back_at_once(client):
    body = client.get("/api/v1/estimate?transition_per_fte=0").get_json()
    assert body["transition_total"] == 0
    assert body["payback_months"] == 0


TINY_SAVING = (
    "salary=1000.000000000000000000001&payroll_tax_pct=0&benefits_pct=0&overhead_per_fte=0&attrition_pct=0"
    "&hourly_rate=0.5&hours_per_year=2000&oversight_pct=0&transition_per_fte=100000&headcount=10000"
)


def test_a_saving_of_a_fraction_of_a_cent_is_no_saving_on_the_page_and_in_the_api(client):
    body = client.get(f"/api/v1/estimate?{TINY_SAVING}").get_json()
    assert body["annual_savings"] == 0 and body["payback_months"] is None
    page = client.get(f"/estimate?{TINY_SAVING}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "would cost the same as keeping the team in-house" in text and "Never" in text


def test_a_loss_of_a_fraction_of_a_cent_is_no_negative_zero(client):
    body = client.get(
        "/api/v1/estimate?salary=20800&payroll_tax_pct=0&benefits_pct=0&overhead_per_fte=0&attrition_pct=0"
        "&oversight_pct=0&hours_per_year=2080.000001&transition_per_fte=0"
    ).get_json()
    shown = {name: body[name] for name in ("annual_savings", "savings_pct", "horizon_savings")}
    assert all(value == 0 for value in shown.values()) and "-0" not in json.dumps(shown), shown


def test_a_transition_earned_back_within_days_is_not_said_to_cost_nothing(client):
    body = client.get("/api/v1/estimate?transition_per_fte=100").get_json()
    assert body["transition_total"] == 1000 and body["payback_months"] == 0

    def payback_shown(query: str) -> str:
        page = client.get(f"/estimate?{query}").get_data(as_text=True)
        return re.search(r'data-figure="payback_months"[^>]*>(.*?)</dd>', page, re.DOTALL)[1]

    assert payback_shown("transition_per_fte=100").startswith("Under 0.1 months")
    assert payback_shown("transition_per_fte=0").startswith("Immediately")


def test_minus_zero_is_zero_wherever_it_shows(client):
    body = client.get("/api/v1/estimate?payroll_tax_pct=-0&transition_per_fte=-0.00").get_json()
    assert body == client.get("/api/v1/estimate?payroll_tax_pct=0&transition_per_fte=0").get_json()
    assert "-0" not in str(body)
    page = client.get("/estimate?payroll_tax_pct=-0&transition_per_fte=-0").get_data(as_text=True)
    shown = re.sub(r'value="[^"]*"', "", page)  # the boxes keep what was typed, not the figures
    assert "-0" not in re.sub(r"\d-0|-0\d", "", shown), "no minus sign on a zero"


def test_every_bad_parameter_is_named(client):
    response = client.get(
        "/api/v1/estimate?salary=abc&years=0&headcount=2.5&oversight_pct=101&benefits_pct=50"
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameters"
    named = {error["parameter"]: error["message"] for error in body["errors"]}
    assert set(named) == {"salary", "years", "headcount", "oversight_pct"}
    assert named["years"] == "must be between 1 and 10"
    assert named["headcount"] == "must be a whole number"
    assert "'abc' is not an amount" in named["salary"]


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "NaN",
        "Infinity",
        "-Infinity",
        "1e999",
        "1e3",
        "0x1F",
        "12..5",
        "٣",
        "35kk",
        "35,00",
        "-5",
        "$-5",
    ],
)
def test_malformed_numbers_are_refused(client, raw):
    response = client.get("/api/v1/estimate", query_string={"salary": raw})
    assert response.status_code == 400
    assert [error["parameter"] for error in response.get_json()["errors"]] == ["salary"]


@pytest.mark.parametrize(
    "typed", ["42,500", "42.5k", "$42,500", "42 500", "US$42,500", "42500 USD", "usd 42.5K"]
)
def test_amounts_are_read_as_people_type_them(client, typed):
    body = client.get("/api/v1/estimate", query_string={"salary": typed, "transition_per_fte": "$1.5k"})
    assert body.status_code == 200
    assert body.get_json() == client.get("/api/v1/estimate?salary=42500&transition_per_fte=1500").get_json()


@pytest.mark.parametrize("typed", ["35kk", "4,25", "€42,000", "42m"])
def test_an_amount_that_is_not_one_is_named_with_how_to_type_it(client, typed):
    response = client.get("/api/v1/estimate", query_string={"overhead_per_fte": typed})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {
            "parameter": "overhead_per_fte",
            "message": f"{typed!r} is not an amount: type it like 35000, 35,000, $35,000 or 35k",
        }
    ]


def test_empty_parameters_take_their_defaults_and_unknown_ones_are_ignored(client):
    blank = client.get("/api/v1/estimate?" + urlencode({parameter.name: "" for parameter in PARAMETERS}))
    assert blank.status_code == 200
    assert blank.get_json() == client.get("/api/v1/estimate?colour=blue").get_json()


@pytest.mark.parametrize("parameter", PARAMETERS, ids=lambda parameter: parameter.name)
def test_range_edges_are_inclusive(client, parameter):
    for edge in (parameter.low, parameter.high):
        response = client.get("/api/v1/estimate", query_string={parameter.name: str(edge)})
        assert response.status_code == 200, edge
        assert Decimal(str(response.get_json()["inputs"][parameter.name])) == edge
    step = Decimal(1) if parameter.whole else Decimal("0.01")
    for outside in (parameter.low - step, parameter.high + step):
        response = client.get("/api/v1/estimate", query_string={parameter.name: str(outside)})
        assert response.status_code == 400, outside
        assert response.get_json()["errors"] == [
            {
                "parameter": parameter.name,
                "message": f"must be between {parameter.low:,} and {parameter.high:,}",
            }
        ]


def test_the_largest_inputs(client):
    query = {parameter.name: str(parameter.high) for parameter in PARAMETERS}
    query["hourly_rate"] = "0.5"
    query["hours_per_year"] = "100"
    query["oversight_pct"] = "0"
    body = client.get("/api/v1/estimate", query_string=query).get_json()
    # 6,600,000 in-house and 50 outsourced per position; 10,000 positions; 10 years; 1e9 transition
    assert body["in_house_annual"] == 66_000_000_000
    assert body["annual_savings"] == 65_999_500_000
    assert body["horizon_savings"] == 658_995_000_000
    assert body["savings_pct"] == 100.0  # 99.99924...
    assert body["payback_months"] == 0.2  # 1e9 x 12 / 65,999,500,000 = 0.1818...


def test_a_preset_sets_the_rate_and_is_reported(client):
    preset = presets.find("IN-it-services")
    body = client.get("/api/v1/estimate?preset=IN-it-services&hourly_rate=1").get_json()
    assert body["inputs"]["hourly_rate"] == float(preset.typical)
    assert body["preset"]["key"] == "IN-it-services"
    assert body["preset"]["source"] == preset.source
    bad = client.get("/api/v1/estimate?preset=XX-any")
    assert bad.status_code == 400
    assert bad.get_json()["errors"][0]["parameter"] == "preset"


def _random_query(rng: random.Random) -> dict[str, str]:
    query = {}
    for parameter in PARAMETERS:
        if parameter.whole:
            value = Decimal(rng.randint(int(parameter.low), int(parameter.high)))
        else:
            cents = rng.randint(int(parameter.low * 100), int(parameter.high * 100))
            value = Decimal(cents) / 100
        query[parameter.name] = str(value)
    return query


def test_page_and_api_agree_to_the_cent(client):
    rng = random.Random(20250101)
    queries = [_random_query(rng) for _ in range(8)]
    queries.append({"salary": "60000", "hourly_rate": "35.55", "transition_per_fte": "0"})
    queries.append({"hourly_rate": "499.99", "years": "1"})
    for query in queries:
        api = client.get("/api/v1/estimate", query_string=query).get_json()
        page = client.get("/estimate", query_string=query)
        assert page.status_code == 200, query
        shown = page_figures(page.text)["estimate"]
        for name in HEADLINE:
            expected = "" if api[name] is None else Decimal(str(api[name]))
            assert (shown[name] and Decimal(shown[name])) == expected, (name, query)
        for term in TERMS:
            assert Decimal(shown[term]) == Decimal(str(api["breakdown"][term])), (term, query)


def test_a_vendor_estimate_agrees_with_the_api_at_each_end_of_the_range(client):
    add_vendor("ranged", rates=("6.25", "13.75"))
    page = page_figures(client.get("/estimate?vendor=ranged&headcount=7&years=2").text)
    for column, rate in (("low", "6.25"), ("high", "13.75")):
        api = client.get(f"/api/v1/estimate?headcount=7&years=2&hourly_rate={rate}").get_json()
        for name in HEADLINE:
            expected = "" if api[name] is None else Decimal(str(api[name]))
            assert (page[column][name] and Decimal(page[column][name])) == expected, (column, name)


def json_link(page: str, label: str = "Estimate") -> str:
    return re.search(
        rf'These figures as JSON:\s*(?:<a [^>]+>[^<]+</a>, )*<a href="([^"]+)">{label}</a>', page
    )[1].replace("&amp;", "&")


def test_each_result_links_to_its_own_json(client):
    page = client.get("/estimate?salary=41000&hourly_rate=12").text
    body = client.get(json_link(page)).get_json()
    assert body["inputs"]["salary"] == 41000
    assert body["inputs"]["hourly_rate"] == 12


@pytest.mark.parametrize(("country", "work"), [("GB", "sales"), ("JP", "it-services"), ("PH", "healthcare")])
def test_the_json_of_an_estimate_with_country_defaults_has_the_same_figures(client, country, work):
    page = client.get(f"/estimate?buyer_country={country}&work={work}").text
    body = client.get(json_link(page)).get_json()
    row = in_house.all_costs().get((country, work))
    assert body["inputs"]["salary"] == (row.salary if row else BY_NAME["salary"].default)
    shown = page_figures(page)["estimate"]
    for name in HEADLINE:
        assert (shown[name] and Decimal(shown[name])) == (body[name] and Decimal(str(body[name]))), name


def test_a_vendor_estimate_links_the_json_of_each_column(client):
    add_vendor("ranged", rates=("6.25", "13.75"))
    page = client.get("/estimate?vendor=ranged").text
    for label, rate in (("Low estimate", 6.25), ("High estimate", 13.75)):
        assert client.get(json_link(page, label)).get_json()["inputs"]["hourly_rate"] == rate
