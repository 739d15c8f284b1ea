"""The /estimate page: defaults, messages at the bad field, shareable URLs, presets and the vendor link."""

import html
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.factories import add_vendors, vendor_record
from vendors.catalog.models import Vendor
from vendors.estimator import in_house, presets
from vendors.estimator.model import estimate, to_cents, yearly
from vendors.estimator.parameters import PARAMETERS, default_inputs, parse_inputs
from vendors.estimator.present import breakdown, dollars, figures, usd
from vendors.extensions import db
from vendors.validation import InvalidParameters

FIGURE = re.compile(r'data-figure="(\w+)" data-value="([^"]*)"')


def page_figures(page: str) -> dict[str, dict[str, str]]:
    """Each result column's reported figures (data-figure -> data-value), by column key."""
    parts = re.split(r'data-scenario="(\w+)"', page)
    return {key: dict(FIGURE.findall(body)) for key, body in zip(parts[1::2], parts[2::2], strict=True)}


def input_value(page: str, name: str) -> str | None:
    return input_attribute(page, name, "value")


def input_attribute(page: str, name: str, attribute: str) -> str | None:
    """An attribute of the input named `name`: "" when it has none, None when there is no such input."""
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', page)
    if match is None:
        return None
    value = re.search(rf'\s{attribute}="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def expected_figures(inputs) -> dict[str, str]:
    """Every figure a result column reports: the headline figures, each term per position and for the team."""
    result = estimate(inputs)
    expected = {name: "" if value is None else str(value) for name, value in figures(result).items()}
    for term, value in breakdown(result).items():
        expected[term] = str(value)
        expected[f"{term}_team"] = str(to_cents(result.team(term)))
    return expected


def selected(page: str, select: str) -> str:
    body = re.search(rf'<select [^>]*name="{select}".*?</select>', page, re.S)[0]
    return re.search(r'<option selected value="([^"]*)"', body)[1]


def visible_text(page: str) -> str:
    """What a buyer reads of the estimator: its text without the folded "For developers" part (the site's
    header and footer, which every page shares, are left out)."""
    page = re.search(r'<main id="main".*?</main>', page, re.S)[0]
    for hidden in (r"<script.*?</script>", r"<style.*?</style>", r'<details id="developers".*?</details>'):
        page = re.sub(hidden, " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def typical_inputs(country: str, work: str):
    """The default inputs with the salary and payroll taxes of the table's row for this country and work."""
    row = in_house.all_costs()[(country, work)]
    return replace(default_inputs(), salary=row.salary, payroll_tax_pct=row.payroll_tax_pct)


def share_link(page: str) -> str:
    return html.unescape(
        re.search(r'<a class="share-link" href="([^"]+)">Link to this estimate</a>', page)[1]
    )


def add_vendor(
    slug: str, *, rates=(None, None), countries=("PH",), work=("customer-support",), status="published"
):
    record = vendor_record(
        slug=slug,
        name=f"Vendor {slug}",
        hq_country=countries[0],
        delivery_countries=list(countries),
        specialisations=list(work),
        hourly_rate_min=rates[0],
        hourly_rate_max=rates[1],
        status=status,
    )
    (vendor,) = add_vendors(record)
    return vendor


# ---------- Defaults and explanations ----------


def test_defaults_render_with_results(client):
    response = client.get("/estimate")
    assert response.status_code == 200
    page = response.text
    for parameter in PARAMETERS:
        assert f'<label for="{parameter.name}">{parameter.label}</label>' in page
        assert f'id="about-{parameter.name}"' in page
        if parameter.name in in_house.TABLE_INPUTS:
            # Blank, so a blank field follows the buyer's country; the figure it stands for is shown.
            assert input_value(page, parameter.name) == ""
            assert input_attribute(page, parameter.name, "placeholder") == f"{parameter.default:,}"
        else:
            assert input_value(page, parameter.name) == f"{parameter.default}"
    shown = page_figures(page)
    assert list(shown) == ["estimate"]
    assert shown["estimate"]["annual_savings"] == "329525.00"
    assert shown["estimate"]["payback_months"] == "1.1"
    assert "Outsourcing would save <strong>$329,525 a year</strong>" in page


def test_the_page_explains_each_default_and_its_source(client):
    page = html.unescape(client.get("/estimate").text)
    for source in (
        "Social Security 6.2% plus Medicare 1.45%",
        "Employer Costs for Employee Compensation",
        "$600 a month per seat",
        "30-45% yearly turnover",
        "Boushey and Glynn, 2012",
        "52 weeks x 40 hours = 2,080",
        "About 10% of fees",
        "set-up fee",
    ):
        assert source in page
    times = "\N{MULTIPLICATION SIGN}"
    assert "S * (1 + t/100 + b/100) + O + (a/100) * (R/100) * S".replace("*", times) in page
    assert "r * H * (1 + m/100)".replace("*", times) in page


def test_formulas_read_in_plain_words_with_the_algebra_folded_away(client):
    page = client.get("/estimate").text
    algebra = re.search(r'<details class="algebra">.*?</details>', page, re.S)[0]
    assert "<summary>The formulas, for analysts</summary>" in algebra
    times = "\N{MULTIPLICATION SIGN}"
    assert f"S {times} (1 + t/100 + b/100)" in algebra
    assert f"r {times} H {times} m/100" in algebra  # vendor management, term by term
    outside = page.replace(algebra, "")
    assert "t/100" not in outside and f"r {times} H" not in outside
    assert "each position costs its salary, plus the payroll taxes and benefits" in outside
    breakdown = re.search(r'<table class="breakdown">.*?</table>', outside, re.S)[0]
    for words in (
        "7.65% of salary",
        "30% leave a year, each costing 21% of salary",
        "$10.00 an hour for 2,080",
    ):
        assert words in breakdown


def test_headline_figures_are_whole_dollars_and_the_tables_cents(client):
    query = {"salary": "33333.33", "hourly_rate": "7.77", "headcount": "3", "transition_per_fte": "1234.56"}
    page = client.get("/estimate", query_string=query).text
    result = estimate(parse_inputs(query).inputs)
    key_figures = re.search(r'<dl class="key-figures">.*?</dl>', page, re.S)[0]
    for name in ("annual_savings", "transition_total", "horizon_savings"):
        shown = re.search(rf'data-figure="{name}" data-value="([^"]*)">([^<]*)<', key_figures)
        assert shown[1] == str(to_cents(getattr(result, name)))  # the data keeps its cents
        assert shown[2] == dollars(getattr(result, name)), name
        assert "." not in shown[2]
    assert f"<strong>{dollars(result.annual_savings)} a year</strong>" in page
    breakdown = re.search(r'<table class="breakdown">.*?</table>', page, re.S)[0]
    assert usd(result.per_fte.payroll_taxes) in breakdown  # $2,550.00
    years = re.search(r'<table class="years">.*?</table>', page, re.S)[0]
    assert usd(yearly(result)[0].outsourced) in years


def test_a_vendors_side_by_side_figures_are_whole_dollars_and_its_rates_cents(client):
    add_vendor("rated", rates=("8.50", "14.00"))
    page = client.get("/estimate?vendor=rated&salary=40000.40").text
    comparison = re.search(r'<table class="comparison">.*?</table>', page, re.S)[0]
    low = estimate(replace(default_inputs(), salary=Decimal("40000.40"), hourly_rate=Decimal("8.50")))
    assert "<td>$8.50</td><td>$14.00</td>" in comparison
    assert f"<td>{dollars(low.in_house_annual)}</td>" in comparison
    assert f"<td>{dollars(low.outsourced_annual)}</td>" in comparison


@pytest.mark.parametrize(
    "query", ["", "?vendor=rated", "?vendor=quiet", "?preset=IN-any", "?buyer_country=PH", "?salary=35kk"]
)
def test_buyers_read_no_file_paths_parameter_names_or_api_paths(client, query):
    add_vendor("rated", rates=("8.50", "14.00"))
    add_vendor("quiet")
    page = client.get(f"/estimate{query}").text
    text = visible_text(page)
    for developer_word in ("seed_data", ".csv", "/api/", "JSON", "headcount", "buyer_country"):
        assert developer_word not in text, developer_word
    for parameter in PARAMETERS:
        if "_" in parameter.name:
            assert parameter.name not in text, parameter.name


def test_developers_find_the_api_parameters_and_data_files_in_their_own_folded_part(client):
    page = client.get("/estimate?salary=41000&hourly_rate=12").text
    developers = re.search(r'<details id="developers" class="for-developers">.*?</details>', page, re.S)[0]
    assert "<summary>For developers</summary>" in developers
    assert "<code>GET /api/v1/estimate</code>" in developers
    for name in [parameter.name for parameter in PARAMETERS] + ["buyer_country", "work", "preset", "vendor"]:
        assert f"<code>{name}</code>" in developers, name
    assert "<code>seed_data/in_house_costs.csv</code>" in developers
    assert "<code>seed_data/rate_presets.csv</code>" in developers


def test_the_result_links_to_itself_with_a_copy_button_for_script(client):
    page = client.get("/estimate?headcount=6&buyer_country=GB").text
    share = share_link(page)
    assert share.startswith("http://localhost/estimate?")
    assert share not in visible_text(page)  # the address itself is not spelled out
    button = '<button type="button" class="secondary no-print" data-copy-link hidden>Copy link</button>'
    assert button in page  # shown by the script, which is loaded
    assert '<span class="visually-hidden" role="status" data-copy-status></span>' in page
    assert re.search(r'<script src="/static/js/estimator\.[0-9a-f]{12}\.js" defer></script>', page)


@pytest.mark.parametrize("query", ["", "?vendor=rated"])
def test_every_table_scrolls_in_its_own_focusable_box(client, query):
    add_vendor("rated", rates=("8.50", "14.00"))
    page = client.get(f"/estimate{query}").text
    boxed = re.findall(
        r'<div class="table-scroll" tabindex="0" role="region" aria-label="[^"]+">\s*<table', page
    )
    assert len(boxed) == page.count("<table") >= 4


def test_the_chart_is_inline_svg_with_a_table_fallback(client):
    page = client.get("/estimate").text
    drawings = re.findall(r'<svg class="savings-chart (\w+)".*?</svg>', page, re.DOTALL)
    assert drawings == ["wide", "narrow"]  # for wide screens and for phones; the stylesheet shows one
    for named in ("estimate-chart", "estimate-narrow-chart"):
        assert f'role="img" aria-labelledby="{named}-title {named}-desc"' in page
        assert f'<desc id="{named}-desc">' in page
    for drawing in re.findall(r'<svg class="savings-chart.*?</svg>', page, re.DOTALL):
        assert drawing.count('<rect class="bar in-house"') == 3
        assert drawing.count('<rect class="bar outsourced"') == 3
    assert "Year by year (US dollars)" in page
    assert "$958,575.00" in page  # cumulative savings after year 3, in the table


def test_the_page_links_its_stylesheet_and_works_without_script(client):
    page = client.get("/estimate").text
    assert re.search(r"/static/css/estimator\.[0-9a-f]{12}\.css", page)
    assert '<form class="estimator-form" action="/estimate#results" method="get"' in page
    assert 'name="csrf_token"' not in page


# ---------- Bad input ----------


def test_a_bad_field_gets_its_message_at_that_field(client):
    response = client.get("/estimate?salary=abc&years=11&headcount=5")
    assert response.status_code == 400
    page = response.text
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"salary": "abc", "years": "11"})
    for name, message in caught.value.problems.items():
        assert f'<p class="error" id="{name}-error">{escape(message)}</p>' in page
        assert re.search(
            rf'<input aria-describedby="{name}-error [^"]*" aria-invalid="true"[^>]* name="{name}"', page
        )
    assert input_value(page, "salary") == "abc"  # shown back as typed
    assert input_value(page, "headcount") == "5"
    assert 'id="headcount-error"' not in page
    assert "Some inputs need fixing" in page
    assert page_figures(page) == {}


def test_amounts_typed_as_people_write_them_are_understood_and_shown_back(client):
    query = {
        "salary": "US$52,500",
        "overhead_per_fte": "6.6k",
        "transition_per_fte": "2 500",
        "hourly_rate": "$11.25",
        "headcount": "1,200",
    }
    page = client.get("/estimate", query_string=query).text
    for name, raw in query.items():
        assert input_value(page, name) == raw
    inputs = replace(
        default_inputs(),
        salary=Decimal(52500),
        overhead_per_fte=Decimal(6600),
        transition_per_fte=Decimal(2500),
        hourly_rate=Decimal("11.25"),
        headcount=1200,
    )
    assert page_figures(page)["estimate"] == expected_figures(inputs)


@pytest.mark.parametrize("raw", ["35kk", "abc", "-5", "35,00"])
def test_a_bad_amount_is_named_at_its_field_and_nothing_else_typed_is_lost(client, raw):
    query = {
        "salary": raw,
        "headcount": "14",
        "overhead_per_fte": "$6,500",
        "buyer_country": "GB",
        "work": "sales",
    }
    response = client.get("/estimate", query_string=query)
    assert response.status_code == 400
    page = response.text
    with pytest.raises(InvalidParameters) as caught:
        parse_inputs({"salary": raw})
    assert f'<p class="error" id="salary-error">{escape(caught.value.problems["salary"])}</p>' in page
    assert re.findall(r'<p class="error" id="([\w-]+)"', page) == ["salary-error"]
    for name in ("salary", "headcount", "overhead_per_fte"):
        assert input_value(page, name) == query[name]
    assert (selected(page, "buyer_country"), selected(page, "work")) == ("GB", "sales")


@pytest.mark.parametrize(
    "query", ["salary=1e999", "salary=NaN", "years=1%00x", "headcount=" + "9" * 400, "preset=%3Cb%3E"]
)
def test_hostile_input_never_breaks_the_page(client, query):
    response = client.get(f"/estimate?{query}")
    assert response.status_code == 400
    assert "<b>" not in response.text


def test_blank_fields_take_their_defaults(client):
    page = client.get("/estimate?salary=&years=").text
    assert page_figures(page)["estimate"] == expected_figures(default_inputs())


# ---------- Shareable URLs ----------


def test_the_url_carries_every_input_and_round_trips(client):
    query = (
        "headcount=25&salary=42000.50&payroll_tax_pct=8&benefits_pct=30&overhead_per_fte=9000&attrition_pct=45"
        "&replacement_cost_pct=16&hourly_rate=12.5&hours_per_year=1950&oversight_pct=12&transition_per_fte=0&years=5"
    )
    page = client.get(f"/estimate?{query}").text
    args = dict(pair.split("=") for pair in query.split("&"))
    for name, value in args.items():
        assert input_value(page, name) == value
    shown = page_figures(page)["estimate"]
    assert shown == expected_figures(parse_inputs(args).inputs)
    assert shown["payback_months"] == "0.0"  # no transition cost
    assert "Immediately" in page

    share = share_link(page)
    assert share.startswith("http://localhost/estimate?")
    again = client.get(share.removeprefix("http://localhost")).text
    assert page_figures(again) == page_figures(page)


def test_dearer_outsourcing_is_said_plainly(client):
    page = client.get("/estimate?hourly_rate=40").text
    shown = page_figures(page)["estimate"]
    assert shown["annual_savings"] == "-356875.00"
    assert shown["payback_months"] == ""
    assert "Outsourcing would cost <strong>$356,875 more per\n    year</strong>" in page
    assert "Never" in page


# ---------- Presets ----------


def test_a_preset_replaces_the_hourly_rate_and_says_so(client):
    chosen = presets.find("PH-customer-support")
    page = client.get("/estimate?preset=PH-customer-support&hourly_rate=99").text
    assert input_value(page, "hourly_rate") == f"{chosen.typical}"
    assert re.search(r'<option data-rate="[0-9.]+" selected value="PH-customer-support">', page)
    assert page_figures(page)["estimate"] == expected_figures(
        replace(default_inputs(), hourly_rate=chosen.typical)
    )
    assert f"<strong>{chosen.label}</strong>" in page
    assert escape(chosen.source) in page


def test_every_preset_is_offered_with_its_rate(client):
    page = client.get("/estimate").text
    for key, preset in presets.all_presets().items():
        assert re.search(rf'<option data-rate="{preset.typical}"[^>]*value="{key}"', page), key
    assert "Show all" in page and escape(presets.find("KE-any").source) in page


# ---------- From a vendor's page ----------


def test_a_vendor_with_published_rates_gets_low_and_high_columns(client):
    vendor = add_vendor("rated", rates=("8.50", "14.00"))
    page = client.get("/estimate?vendor=rated&headcount=4").text
    assert re.search(rf'Estimating with\s+<a href="[^"]*/rated">{vendor.name}</a>', page)
    assert "publishes an hourly rate of $8.50 to $14.00" in page
    inputs = replace(default_inputs(), headcount=4)
    shown = page_figures(page)
    assert list(shown) == ["low", "high"]
    assert shown["low"] == expected_figures(replace(inputs, hourly_rate=Decimal("8.50")))
    assert shown["high"] == expected_figures(replace(inputs, hourly_rate=Decimal("14.00")))
    assert "Low and high estimate side by side" in page
    assert '<input type="hidden" name="vendor" value="rated">' in page
    assert input_value(page, "hourly_rate") is None  # the vendor's range is used instead
    assert input_value(page, "headcount") == "4"
    assert "Estimate with your own hourly rate instead" in page


def test_a_vendor_ignores_a_bad_hourly_rate_it_does_not_use(client):
    add_vendor("rated", rates=("8", "9"))
    response = client.get("/estimate?vendor=rated&hourly_rate=abc")
    assert response.status_code == 200
    assert list(page_figures(response.text)) == ["low", "high"]


def test_an_undisclosed_vendor_says_so_and_uses_the_preset(client):
    add_vendor("quiet", countries=("IN", "PH"), work=("healthcare", "customer-support"))
    preset = presets.find("IN-healthcare")
    page = client.get("/estimate?vendor=quiet").text
    assert "does not disclose its rates." in page
    assert escape(preset.source) in page
    shown = page_figures(page)
    healthcare = typical_inputs("US", "healthcare")  # the vendor's main kind of work sets the in-house side
    assert shown["low"] == expected_figures(replace(healthcare, hourly_rate=preset.low))
    assert shown["high"] == expected_figures(replace(healthcare, hourly_rate=preset.high))


def test_an_undisclosed_vendor_falls_back_to_the_country_preset(client):
    add_vendor("quiet-legal", countries=("KE",), work=("legal",))
    preset = presets.find("KE-any")
    shown = page_figures(client.get("/estimate?vendor=quiet-legal").text)
    assert (
        shown["low"]["outsourced_per_fte"]
        == expected_figures(replace(default_inputs(), hourly_rate=preset.low))["outsourced_per_fte"]
    )


def test_an_undisclosed_vendor_without_a_preset_uses_the_form_rate(client):
    add_vendor("far-away", countries=("JP",))
    page = client.get("/estimate?vendor=far-away&hourly_rate=30").text
    assert "there is no rate preset for its\n      delivery country" in page
    assert page_figures(page)["estimate"] == expected_figures(
        replace(default_inputs(), hourly_rate=Decimal(30))
    )
    assert input_value(page, "hourly_rate") == "30"


@pytest.mark.parametrize("slug", ["no-such-vendor", "draft-vendor", "<script>alert(1)</script>"])
def test_an_unknown_or_unpublished_vendor_gets_a_notice(client, slug):
    add_vendor("draft-vendor", rates=("9", "12"), status="draft")
    response = client.get("/estimate", query_string={"vendor": slug})
    assert response.status_code == 200
    page = response.text
    assert f"No published vendor has the address “{escape(slug)}”" in page
    assert "<script>alert" not in page
    assert list(page_figures(page)) == ["estimate"]
    assert 'name="vendor"' not in page


def _sample_vendor(seeded_app, *, disclosed: bool) -> Vendor | None:
    rate = Vendor.hourly_rate_min.is_not(None) if disclosed else Vendor.hourly_rate_min.is_(None)
    with seeded_app.app_context():
        return db.session.execute(
            select(Vendor).where(Vendor.status == "published", rate).order_by(Vendor.slug).limit(1)
        ).scalar_one_or_none()


def test_a_sample_vendor_with_rates_opens_its_estimate(seeded_app, seeded_client):
    vendor = _sample_vendor(seeded_app, disclosed=True)
    if vendor is None:
        pytest.skip("the sample data has no published vendor with rates")
    shown = page_figures(seeded_client.get(f"/estimate?vendor={vendor.slug}").text)
    assert shown["low"] == expected_figures(replace(default_inputs(), hourly_rate=vendor.hourly_rate_min))
    assert shown["high"] == expected_figures(replace(default_inputs(), hourly_rate=vendor.hourly_rate_max))


def test_a_sample_vendor_without_rates_says_so(seeded_app, seeded_client):
    vendor = _sample_vendor(seeded_app, disclosed=False)
    if vendor is None:
        pytest.skip("the sample data has no published vendor with undisclosed rates")
    page = seeded_client.get(f"/estimate?vendor={vendor.slug}").text
    assert "does not disclose its rates" in page
    assert page_figures(page)


@pytest.mark.parametrize("query", ["", "?vendor=two-columns", "?salary=x&preset=zz"])
def test_ids_are_unique_and_every_reference_and_control_resolves(client, query):
    add_vendor("two-columns", rates=("9", "12"))
    page = client.get(f"/estimate{query}").text
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for references in re.findall(r'aria-(?:describedby|labelledby)="([^"]+)"', page):
        assert set(references.split()) <= set(ids), references
    for control in re.findall(r"<(?:input|select)\s[^>]*>", page):
        if 'type="hidden"' not in control:
            control_id = re.search(r'\sid="([^"]+)"', control).group(1)
            assert f'<label for="{control_id}">' in page, control_id


def test_a_vendor_at_the_highest_rate_a_listing_takes_is_estimated_and_its_api_links_answer(client):
    """A vendor may list rates up to the catalogue's highest; the estimate's JSON links must take them."""
    add_vendor("dear-desk", rates=("600.00", "1000.00"))
    page = client.get("/estimate?vendor=dear-desk").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/estimate\?[^"]+)"', page)
    assert len(links) == 2
    for link in links:
        answer = client.get(html.unescape(link))
        assert answer.status_code == 200, answer.get_json()
    assert {client.get(html.unescape(link)).get_json()["inputs"]["hourly_rate"] for link in links} == {
        600,
        1000,
    }


def test_a_rate_given_to_a_tenth_of_a_cent_is_shown_as_the_figures_use_it(client):
    """The fees are worked out at 12.345 an hour, so the terms beside them say 12.345, not 12.35."""
    page = html.unescape(
        client.get("/estimate?hourly_rate=12.345&hours_per_year=1000").get_data(as_text=True)
    )
    assert "Estimate at $12.345 an hour" in page and "$12.345 an hour for 1,000 hours" in page
    assert "$12.35" not in page
    plain = html.unescape(client.get("/estimate?hourly_rate=12.5").get_data(as_text=True))
    assert "Estimate at $12.50 an hour" in plain
