"""/compare, its CSV, /shortlist.csv and GET /api/v1/compare: each vendor's figures are the estimator's at its
low and high rate, undisclosed rates fall back to a preset, the best and the differences are marked, and every
bad selection is refused naming the problem."""

import csv
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select, update

from tests.factories import add_vendors, csrf_token, update_vendor, vendor_record
from vendors.catalog.models import Vendor
from vendors.extensions import db
from vendors.shortlists.models import ShortlistEntry

LEVELS = ("low", "high")
FIGURES = ("outsourced_annual", "annual_savings", "savings_pct", "payback_months")
FORMULA_STARTS = ("=", "+", "-", "@")
CELL = re.compile(r'<td id="(low|high)-(\w+)-([a-z0-9-]+)"(?: data-value="([^"]*)")?>(.*?)</td>', re.S)
ROW = re.compile(r'<tr( class="differs")?>\s*<th scope="row" class="attribute">(.*?)</th>(.*?)</tr>', re.S)
ATTRIBUTE_LABELS = ["Size", "Hourly rate", "Specialisations", "Languages", "Channels", "Certifications"]
ATTRIBUTE_LABELS += ["Coverage", "Minimum seats", "Founded", "Last verified"]
FIGURE_LABELS = ("Outsourced cost a year", "Savings a year", "Savings", "Payback")

# The (low, high) rates each vendor must be costed at; the undisclosed ones' from seed_data/rate_presets.csv.
RATES = {
    "ranged": ("6.25", "13.75"),
    "flat": ("7.40", "7.40"),
    "pricey": ("38.50", "61.99"),
    "preset-in": ("10.00", "25.00"),
    "preset-ph": ("8.00", "15.00"),
}
FIELDS = {
    "pricey": {"delivery_countries": ["US"]},
    "preset-in": {"delivery_countries": ["IN"], "specialisations": ["finance-accounting"]},
    # First country PH, main work legal: there is no PH-legal row, so PH-any (not PH-finance-accounting).
    "preset-ph": {"delivery_countries": ["PH", "IN"], "specialisations": ["legal", "finance-accounting"]},
}
PRESETS = {
    "preset-in": ("IN-finance-accounting", "India, finance and accounting"),
    "preset-ph": ("PH-any", "Philippines, any kind of work"),
}
UNDISCLOSED = {"hourly_rate_min": None, "hourly_rate_max": None}
QUERIES = {
    "defaults": "",
    "team": "headcount=7&salary=48000.50",
    "nothing-saved": "headcount=3&salary=1000",
    "assumptions": "headcount=250&salary=61234.56&oversight_pct=17.5&hours_per_year=2300.5&years=7"
    "&transition_per_fte=12345.67",
    "no-transition": "headcount=12&salary=29999.99&oversight_pct=0&hours_per_year=1650&years=1"
    "&transition_per_fte=0&benefits_pct=31.5",
}
INPUTS = {key: dict(parse_qsl(query)) for key, query in QUERIES.items()}


def add_costed(*slugs: str) -> list[Vendor]:
    records = []
    for slug in slugs or RATES:
        low, high = (None, None) if slug in PRESETS else RATES[slug]
        fields = {"hourly_rate_min": low, "hourly_rate_max": high, **FIELDS.get(slug, {})}
        records.append(vendor_record(slug=slug, name=f"Vendor {slug}", **fields))
    return add_vendors(*records)


def text(fragment: str) -> str:
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([,.;])", r"\1", words)


def figure_cells(page: str) -> dict[tuple[str, str, str], tuple[str | None, str]]:
    """(level, figure, slug) -> (data-value or None, the cell's inner HTML)."""
    return {(level, fig, slug): (value or None, body) for level, fig, slug, value, body in CELL.findall(page)}


def attribute_rows(page: str) -> dict[str, tuple[bool, list[str]]]:
    """Row label (without the Differs mark) -> (marked as differing, cell texts)."""
    rows = {}
    for differs, head, cells in ROW.findall(page):
        label = text(re.sub(r'<span class="differs-mark">.*?</span>', "", head))
        assert bool(differs) == ('class="differs-mark"' in head), label
        rows[label] = (bool(differs), [text(cell) for cell in re.findall(r"<td>(.*?)</td>", cells, re.S)])
    return rows


def compare_page(client, slugs, status: int = 200, **query) -> str:
    response = client.get("/compare", query_string={"vendor": list(slugs), **query})
    assert response.status_code == status, response.text
    return response.text


def compare_api(client, slugs, **query):
    return client.get("/api/v1/compare", query_string={"vendor": list(slugs), **query})


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"\xef\xbb\xbf"), "a byte order mark, so spreadsheets read UTF-8"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def estimate_api(client, query: dict, rate: str) -> dict:
    response = client.get("/api/v1/estimate", query_string={**query, "hourly_rate": rate})
    assert response.status_code == 200
    return response.get_json()


def without_preset(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "preset"}


# ------------------------------------------------------------------------------------------ figures
@pytest.mark.parametrize("query", INPUTS.values(), ids=INPUTS.keys())
def test_each_column_equals_the_estimate_api_at_the_vendors_low_and_high_rate(client, query):
    add_costed()
    cells = figure_cells(compare_page(client, RATES, **query))
    columns = compare_api(client, RATES, **query).get_json()["vendors"]
    assert [column["slug"] for column in columns] == list(RATES)
    for column, (slug, rates) in zip(columns, RATES.items(), strict=True):
        for level, rate in zip(LEVELS, rates, strict=True):
            expected = estimate_api(client, query, rate)
            for figure in FIGURES:
                value, body = cells[(level, figure, slug)]
                if expected[figure] is None:
                    assert figure == "payback_months" and value is None, (slug, level, figure)
                    assert text(body).startswith("Never"), (slug, level, body)
                else:
                    assert Decimal(value) == Decimal(str(expected[figure])), (slug, level, figure)
            document = column[f"estimate_{level}"]
            assert document.keys() == expected.keys()
            assert without_preset(document) == without_preset(expected), (slug, level)
            assert (document["preset"] and document["preset"]["key"]) == PRESETS.get(slug, [None])[0]


def test_nothing_saved_reads_never_and_has_no_payback_value(client):
    add_costed("ranged", "flat", "preset-in")
    cells = figure_cells(compare_page(client, ["ranged", "flat", "preset-in"], salary="1000"))
    for level in LEVELS:
        for slug in ("ranged", "flat", "preset-in"):
            value, body = cells[(level, "payback_months", slug)]
            assert value is None and "best-badge" not in body
            assert text(body).startswith("Never: outsourcing saves nothing")


def test_a_loss_is_never_marked_the_largest_saving(client):
    """Every vendor costs more than the team at this salary: the smallest loss is no saving."""
    add_costed("ranged", "flat", "preset-in")
    cells = figure_cells(compare_page(client, ["ranged", "flat", "preset-in"], salary="1000"))
    for level in LEVELS:
        for figure in ("annual_savings", "savings_pct"):
            for slug in ("ranged", "flat", "preset-in"):
                value, body = cells[(level, figure, slug)]
                assert Decimal(value) < 0 and "best-badge" not in body, (level, figure, slug)
    saving = figure_cells(compare_page(client, ["ranged", "flat", "preset-in"]))
    assert any("best-badge" in saving[("low", "annual_savings", slug)][1] for slug in ("ranged", "flat"))


def test_a_saving_of_a_fraction_of_a_cent_is_no_saving_in_the_page_the_api_and_the_csv(client):
    """At the flat vendor's 7.40 an hour for 2,080 hours, this salary saves 10^-22 dollars a position: a
    payback of 10^33 months once made every one of them fail."""
    add_costed("ranged", "flat")
    tiny = {
        "salary": "15392.0000000000000000000001",
        **dict.fromkeys(["payroll_tax_pct", "benefits_pct", "overhead_per_fte", "attrition_pct"], "0"),
        "oversight_pct": "0",
        "transition_per_fte": "100000",
        "headcount": "10000",
    }
    cells = figure_cells(compare_page(client, ["ranged", "flat"], **tiny))
    value, body = cells[("low", "payback_months", "flat")]
    assert value is None and text(body).startswith("Never")
    assert Decimal(cells[("low", "annual_savings", "flat")][0]) == 0
    flat = compare_api(client, ["ranged", "flat"], **tiny).get_json()["vendors"][1]
    assert flat["estimate_low"]["payback_months"] is None
    rows = read_csv(client.get("/compare.csv", query_string={"vendor": ["ranged", "flat"], **tiny}))
    assert any(row and row[0].startswith("Payback") for row in rows), "the whole comparison, not a cut one"


@pytest.mark.parametrize(
    ("transition", "said"),
    [("0", "Immediately: there is no transition cost"), ("1", "Under 0.1 months: the transition is earned")],
    ids=["none", "earned back within days"],
)
def test_a_payback_of_zero_months_reads_as_in_the_estimator(client, transition, said):
    """0.0 months is immediate only when there is no transition cost; a small one is earned back first."""
    add_costed("ranged", "flat")
    cells = figure_cells(compare_page(client, ["ranged", "flat"], transition_per_fte=transition))
    for level in LEVELS:
        for slug in ("ranged", "flat"):
            value, body = cells[(level, "payback_months", slug)]
            assert Decimal(value) == 0 and text(body).startswith(said), body
    query = {"vendor": ["ranged", "flat"], "transition_per_fte": transition}
    rows = read_csv(client.get("/compare.csv", query_string=query))
    assert any(row[1:] and all(cell.startswith(said) for cell in row[1:]) for row in rows)


@pytest.mark.parametrize("key", ["defaults", "assumptions", "no-transition"])
def test_the_best_figures_are_marked(client, key):
    add_costed()
    cells = figure_cells(compare_page(client, RATES, **INPUTS[key]))
    marks = (
        ("outsourced_annual", "Cheapest", min),
        ("annual_savings", "Largest saving", max),
        ("savings_pct", "Largest saving", max),
        ("payback_months", "Quickest payback", min),
    )
    for level in LEVELS:
        for figure, label, pick in marks:
            values = {slug: cells[(level, figure, slug)][0] for slug in RATES}
            shown = [Decimal(value) for value in values.values() if value is not None]
            best = pick(shown) if len(shown) >= 2 else None
            for slug, value in values.items():
                marked = f'<span class="best-badge">{label}</span>' in cells[(level, figure, slug)][1]
                assert marked == (value is not None and Decimal(value) == best), (level, figure, slug)
    # The ranged vendor is cheapest at the low rates, the flat one at the high rates.
    assert "Cheapest" in cells[("low", "outsourced_annual", "ranged")][1]
    assert "Cheapest" in cells[("high", "outsourced_annual", "flat")][1]


# ------------------------------------------------------------------------------------------ rates
def test_undisclosed_rates_are_estimated_from_the_preset_or_not_at_all(client):
    add_costed("ranged", "preset-in", "preset-ph")
    add_vendors(vendor_record(slug="far", name="Far Co", delivery_countries=["JP"], **UNDISCLOSED))
    slugs = ["ranged", "preset-in", "preset-ph", "far"]
    page = compare_page(client, slugs)
    shown, cells, rows = text(page), figure_cells(page), attribute_rows(page)
    for index, slug in enumerate(slugs[:3]):
        (low, high), estimated = RATES[slug], slug in PRESETS
        label = PRESETS.get(slug, ("", ""))[1]
        said = f"Vendor {slug} does not disclose its rates. Its figures are an estimate from the typical"
        assert (f"{said} range for {label} (${low} to ${high} an hour)" in shown) is estimated
        assert (f"Vendor {slug} does not disclose" in shown) is estimated
        suffix = " (estimate)" if estimated else ""
        assert rows["Hourly rate used, low rate"][1][index] == f"${low}{suffix}"
        assert rows["Hourly rate used, high rate"][1][index] == f"${high}{suffix}"
        for level in LEVELS:
            for figure in FIGURES:
                marked = '<span class="estimate-mark">estimate</span>' in cells[(level, figure, slug)][1]
                assert marked is estimated, (slug, level, figure)
    assert (
        "Far Co does not disclose its rates, and there is no rate preset for its delivery country, "
        "so it has no cost figures" in shown
    )
    for level in LEVELS:
        for figure in FIGURES:
            value, body = cells[(level, figure, "far")]
            assert value is None and text(body) == "No estimate", (level, figure)
    columns = compare_api(client, slugs).get_json()["vendors"]
    assert [column["rate_source"] for column in columns] == ["vendor", "preset", "preset", None]
    assert columns[3]["estimate_low"] is None and columns[3]["estimate_high"] is None


def one_sided(slug: str, rate: str, given: str) -> None:
    """A vendor with one end of its range only. Records refuse that, so it is written to the table directly,
    as older data could hold it; the comparison's rates (presets.vendor_rates) cost it at its one rate."""
    add_vendors(vendor_record(slug=slug, name=f"Vendor {slug}", hourly_rate_min=rate, hourly_rate_max=rate))
    missing = {"min": "hourly_rate_max", "max": "hourly_rate_min"}[given]
    db.session.execute(update(Vendor).where(Vendor.slug == slug).values({missing: None}))
    db.session.commit()


def test_a_one_sided_range_is_costed_at_its_one_rate_by_the_api(client):
    add_costed("ranged")
    one_sided("only-min", "7.35", "min")
    one_sided("only-max", "11.45", "max")
    columns = compare_api(client, ["ranged", "only-min", "only-max"], headcount="9").get_json()["vendors"]
    for column, rate in zip(columns[1:], ("7.35", "11.45"), strict=True):
        assert column["rate_source"] == "vendor"
        expected = estimate_api(client, {"headcount": "9"}, rate)
        assert column["estimate_low"] == column["estimate_high"] == expected


@pytest.mark.parametrize("given", ["min", "max"])
def test_a_one_sided_range_is_shown_on_the_page(client, given):
    add_costed("ranged")
    one_sided("one-sided", "7.35", given)
    page = compare_page(client, ["ranged", "one-sided"], headcount="9")
    rows, cells = attribute_rows(page), figure_cells(page)
    assert rows["Hourly rate used, low rate"][1][1] == rows["Hourly rate used, high rate"][1][1] == "$7.35"
    assert "Undisclosed" not in rows["Hourly rate"][1][1] and "$7.35" in rows["Hourly rate"][1][1]
    expected = estimate_api(client, {"headcount": "9"}, "7.35")
    for level in LEVELS:
        value = cells[(level, "outsourced_annual", "one-sided")][0]
        assert Decimal(value) == Decimal(str(expected["outsourced_annual"]))


# ------------------------------------------------------------------------------------------ attributes
def assert_differs_marked(rows: dict[str, tuple[bool, list[str]]]) -> None:
    assert len([label for label in rows if not label.startswith("Hourly rate used")]) == 11
    for label, (differs, cells) in rows.items():
        assert differs == (len(set(cells)) > 1), label


def test_rows_where_the_vendors_differ_are_marked(client):
    _, second = add_vendors(
        vendor_record(slug="alike-a", name="Alike A", delivery_countries=["PH"], coverage="24-7"),
        vendor_record(slug="alike-b", name="Alike B", delivery_countries=["IN"], coverage="24-7"),
    )
    rows = attribute_rows(compare_page(client, ["alike-a", "alike-b"]))
    assert_differs_marked(rows)
    assert rows["Coverage"] == (False, ["24/7", "24/7"])
    assert rows["Shores for United States"] == (True, ["Offshore: Philippines", "Offshore: India"])
    assert not rows["Size"][0] and not rows["Languages"][0] and not rows["Hourly rate"][0]

    update_vendor(second.id, coverage="business-hours", employees=900, languages=["en", "es"])
    rows = attribute_rows(compare_page(client, ["alike-a", "alike-b"]))
    assert_differs_marked(rows)
    assert rows["Coverage"] == (True, ["24/7", "Business hours"])
    assert rows["Size"][0] and rows["Languages"][0]
    assert not rows["Hourly rate"][0] and not rows["Channels"][0]


def test_a_vendor_no_longer_listed_does_not_make_the_rates_differ(app):
    """A shared comparison keeps a column for a vendor taken out since; its empty cells are no rate."""
    from vendors.estimator.parameters import parse_inputs
    from vendors.shortlists import comparison

    alike = add_vendors(
        vendor_record(slug="same-a", hourly_rate_min="8.00", hourly_rate_max="12.00"),
        vendor_record(slug="same-b", hourly_rate_min="8.00", hourly_rate_max="12.00"),
    )
    gone = {"slug": "gone-co", "name": "Gone Co"}
    built = comparison.build([*alike, gone], parse_inputs({}).inputs, "US", Decimal(3))
    rows = comparison.rate_rows(built)
    assert [row.cells[2] for row in rows] == ["", ""]
    assert not any(row.differs for row in rows)


def test_the_shores_row_follows_the_buyer_country(client):
    add_vendors(
        vendor_record(slug="near", name="Near Co", hq_country="MX", delivery_countries=["MX"]),
        vendor_record(slug="far-off", name="Far Off Co", delivery_countries=["PH"]),
        vendor_record(slug="both", name="Both Co", hq_country="US", delivery_countries=["US", "MX"]),
    )
    slugs = ["near", "far-off", "both"]
    from_us = ["Nearshore: Mexico", "Offshore: Philippines", "Onshore: United States; Nearshore: Mexico"]
    from_mx = ["Onshore: Mexico", "Offshore: Philippines", "Onshore: Mexico; Nearshore: United States"]
    expected = {None: ("United States", from_us), "US": ("United States", from_us), "MX": ("Mexico", from_mx)}
    for buyer, (country, cells) in expected.items():
        query = {"buyer_country": buyer} if buyer else {}
        rows = attribute_rows(compare_page(client, slugs, **query))
        assert rows[f"Shores for {country}"][1] == cells, buyer
        csv_rows = read_csv(client.get("/compare.csv", query_string={"vendor": slugs, **query}))
        assert [f"Shores for {country}", *cells] in csv_rows
    api_shores = {"MX": ["onshore", "offshore", "nearshore"], "US": ["nearshore", "offshore", "onshore"]}
    for buyer, shores in api_shores.items():
        body = compare_api(client, slugs, buyer_country=buyer).get_json()
        assert body["buyer_country"] == buyer
        assert [column["delivery_countries"][0]["shore"] for column in body["vendors"]] == shores


def test_a_country_not_in_the_list_is_said_to_be_left_out(client):
    add_vendors(vendor_record(slug="one"), vendor_record(slug="two"))
    body = compare_page(client, ["one", "two"], buyer_country="ZZ")
    said = "That country is not in the list, so shores are shown for United States."
    assert f'<p class="field-problem" id="problem-buyer_country">{said}</p>' in body
    assert re.search(r'<select id="buyer_country"[^>]*aria-describedby="problem-buyer_country"', body)
    assert "field-problem" not in compare_page(client, ["one", "two"], buyer_country="gb")


def test_a_country_code_in_letters_of_another_script_is_said_to_be_left_out(client):
    add_vendors(vendor_record(slug="one"), vendor_record(slug="two"))
    body = compare_page(client, ["one", "two"], buyer_country="\u0131n")  # a dotless i: upper-cased, IN
    assert "That country is not in the list, so shores are shown for United States." in body
    assert '<option value="US" selected>' in body and '<option value="IN" selected>' not in body


# ------------------------------------------------------------------------------------------ errors
SELECTIONS = {
    "one": (["p1"], "choose at least 2 vendors to compare (1 given)"),
    "seven": ([f"p{n}" for n in range(1, 8)], "compare at most 6 vendors at once (7 given)"),
    "unknown": (["p1", "nobody-here"], "no published vendor has the slug 'nobody-here'"),
    "draft": (["p1", "drafted", "p2"], "no published vendor has the slug 'drafted'"),
    "archived": (["retired", "p2"], "no published vendor has the slug 'retired'"),
    "repeated": (["p1", "p2", "p1"], "each vendor once: 'p1' given more than once"),
}


def add_selectable() -> None:
    add_vendors(
        *(vendor_record(slug=f"p{n}") for n in range(1, 8)),
        vendor_record(slug="drafted", status="draft"),
        vendor_record(slug="retired", status="archived"),
    )


@pytest.mark.parametrize("slugs, problem", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_a_bad_selection_is_refused_naming_the_problem(client, slugs, problem):
    add_selectable()
    page = text(compare_page(client, slugs, status=400))
    assert f"This comparison cannot be shown {problem[0].upper()}{problem[1:]}." in page
    response = compare_api(client, slugs)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_parameters",
        "errors": [{"parameter": "vendor", "message": problem}],
    }
    assert client.get("/compare.csv", query_string={"vendor": slugs}).status_code == 400


@pytest.mark.parametrize(
    "name, raw, message",
    [
        ("headcount", "abc", "'abc' is not a number: use digits only, like 12"),
        ("salary", "5", "must be between 1,000 and 1,000,000"),
    ],
)
def test_a_bad_estimator_input_is_refused_naming_the_field(client, name, raw, message):
    add_selectable()
    page = compare_page(client, ["p1", "p2"], status=400, **{name: raw})
    error = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page)
    assert error and message in html.unescape(error.group(1))
    assert 'id="comparison"' not in page
    # The page still says which vendors it compares, and what to fix to see them.
    summary = re.search(r'<div class="error-summary"[^>]*autofocus>(.*?)</div>', page, re.S)
    assert summary and "Comparing 2 vendors" in page
    names = [
        vendor.name for vendor in db.session.scalars(select(Vendor).where(Vendor.slug.in_(["p1", "p2"])))
    ]
    assert len(names) == 2 and all(name_shown in html.unescape(summary[1]) for name_shown in names)
    assert f'href="#{name}"' in summary[1] and message in html.unescape(summary[1])
    response = compare_api(client, ["p1", "p2"], **{name: raw})
    assert response.status_code == 400
    [error] = response.get_json()["errors"]
    assert error["parameter"] == name and message in error["message"]
    assert client.get("/compare.csv", query_string={"vendor": ["p1", "p2"], name: raw}).status_code == 400


def test_the_api_names_every_bad_parameter_at_once(client):
    add_selectable()
    response = compare_api(client, ["p1"], years="11", buyer_country="ZZ")
    assert response.status_code == 400
    named = {error["parameter"]: error["message"] for error in response.get_json()["errors"]}
    assert named == {
        "vendor": "choose at least 2 vendors to compare (1 given)",
        "years": "must be between 1 and 10",
        "buyer_country": "'ZZ' is not a country code the directory knows",
    }


def test_without_vendors_the_page_is_a_picker(client):
    response = client.get("/compare")
    assert response.status_code == 200
    assert "Choose 2 to 6 vendors" in response.text
    assert 'class="compare-table"' not in response.text and "error-summary" not in response.text


# ------------------------------------------------------------------------------------------ the API
def test_the_api_gives_each_vendors_public_fields_in_the_order_given(client):
    add_costed("ranged", "flat", "preset-in")
    slugs = ["preset-in", "ranged", "flat"]
    body = compare_api(client, slugs, buyer_country="GB", headcount="4").get_json()
    assert body["buyer_country"] == "GB"
    defaults = estimate_api(client, {"headcount": "4"}, "10")["inputs"]
    assert body["inputs"] == {name: value for name, value in defaults.items() if name != "hourly_rate"}
    assert [column["name"] for column in body["vendors"]] == [f"Vendor {slug}" for slug in slugs]
    for column, slug in zip(body["vendors"], slugs, strict=True):
        public = client.get(f"/api/v1/vendors/{slug}?buyer_country=GB").get_json()
        extra = {key: column.pop(key) for key in ("rate_source", "estimate_low", "estimate_high")}
        assert column == public
        assert column["url"].endswith(f"/vendors/{slug}")
        assert extra["rate_source"] == ("preset" if slug in PRESETS else "vendor")
    rates = [(column["hourly_rate_min"], column["hourly_rate_max"]) for column in body["vendors"]]
    assert rates == [(None, None), (6.25, 13.75), (7.4, 7.4)]


# ------------------------------------------------------------------------------------------ CSV
FORMULA_NAMES = ['=HYPERLINK("http://x")', "+SUM(A1:A9)", "-2+3", "@cmd", "Plain Co"]


def test_the_comparison_csv_has_every_row_and_neutralises_formulas(client):
    slugs = [f"csv-{n}" for n in range(len(FORMULA_NAMES))]
    add_vendors(
        *(vendor_record(slug=slug, name=name) for slug, name in zip(slugs, FORMULA_NAMES, strict=True))
    )
    query = {"vendor": slugs, "headcount": "6", "salary": "41000"}
    rows = read_csv(client.get("/compare.csv", query_string=query))
    quoted = [f"'{name}" if name.startswith(FORMULA_STARTS) else name for name in FORMULA_NAMES]
    assert rows[0] == ["", *quoted]
    assert all(len(row) == len(slugs) + 1 for row in rows)
    by_label = {row[0]: row[1:] for row in rows[1:]}
    figure_labels = {f"{label}, at the {level} rate" for label in FIGURE_LABELS for level in LEVELS}
    assert {"Listed", "Shores for United States", *ATTRIBUTE_LABELS, *figure_labels} <= set(by_label)
    for label, cells in by_label.items():
        if label not in figure_labels:
            assert not any(cell.startswith(FORMULA_STARTS) for cell in cells), label
    page = figure_cells(compare_page(client, slugs, headcount="6", salary="41000"))
    money = {"outsourced_annual": "Outsourced cost a year", "annual_savings": "Savings a year"}
    for level in LEVELS:
        for figure, label in money.items():
            for slug, cell in zip(slugs, by_label[f"{label}, at the {level} rate"], strict=True):
                amount = Decimal(cell.replace("$", "").replace(",", ""))
                assert amount == Decimal(page[(level, figure, slug)][0]), (slug, level, figure)


def test_the_comparison_csv_marks_figures_from_a_preset_and_names_the_buyer_country(client):
    """As the page does: an undisclosed vendor is costed at a preset's typical rates, an estimate."""
    add_costed("ranged", "preset-in")
    query = {"vendor": ["ranged", "preset-in"], "buyer_country": "GB"}
    by_label = {row[0]: row[1:] for row in read_csv(client.get("/compare.csv", query_string=query))}
    for level in LEVELS:
        ranged, preset = by_label[f"Outsourced cost a year, at the {level} rate"]
        assert preset.endswith(" (estimate)") and not ranged.endswith("(estimate)"), (ranged, preset)
    assert by_label["Input: Buyer country (shores are seen from it)"] == ["United Kingdom", "United Kingdom"]


SHORTLIST_HEADER = ["name", "slug", "listed", "note", "page", "hq_country", "delivery_countries"]
SHORTLIST_HEADER += ["hourly_rate_min", "hourly_rate_max", "employees", "specialisations", "languages"]
SHORTLIST_HEADER += ["certifications", "coverage", "verified_at", "added_at"]


def picked(row: dict, *columns: str) -> list[str]:
    return [row[column] for column in columns]


def test_the_shortlist_csv_has_a_row_per_entry_with_notes_and_neutralised_formulas(client):
    _, leaving, _ = add_vendors(
        vendor_record(slug="sl-formula", name='=HYPERLINK("http://x")', delivery_countries=["PH", "IN"]),
        vendor_record(slug="sl-leaving", name="@Leaving Co"),
        vendor_record(slug="sl-plain", name="Plain Co", **UNDISCLOSED),
    )
    token = csrf_token(client, "/vendors")
    for slug in ("sl-formula", "sl-leaving", "sl-plain"):
        assert client.post("/shortlist/add", data={"vendor": slug, "csrf_token": token}).status_code == 303
    entries = {entry.vendor_slug: entry.id for entry in db.session.scalars(select(ShortlistEntry))}
    notes = {"sl-formula": "Call back Tuesday", "sl-leaving": "=1+2", "sl-plain": "-10% discount"}
    for slug, note in notes.items():
        data = {"note": note, "csrf_token": token}
        assert client.post(f"/shortlist/notes/{entries[slug]}", data=data).status_code == 303
    update_vendor(leaving.id, status="archived")

    rows = read_csv(client.get("/shortlist.csv"))
    assert rows[0] == SHORTLIST_HEADER
    assert len(rows) == 4 and all(len(row) == len(SHORTLIST_HEADER) for row in rows)
    formula, gone, plain = (dict(zip(SHORTLIST_HEADER, row, strict=True)) for row in rows[1:])
    assert [row["slug"] for row in (formula, gone, plain)] == ["sl-formula", "sl-leaving", "sl-plain"]
    assert {
        row["slug"]: picked(row, "name", "listed", "note", "hourly_rate_min")
        for row in (formula, gone, plain)
    } == {
        "sl-formula": ['\'=HYPERLINK("http://x")', "yes", "Call back Tuesday", "9.00"],
        "sl-leaving": ["'@Leaving Co", "no longer listed", "'=1+2", ""],
        "sl-plain": ["Plain Co", "yes", "'-10% discount", ""],
    }
    assert picked(formula, "delivery_countries", "hourly_rate_max") == ["PH IN", "12.00"]
    assert formula["page"].endswith("/vendors/sl-formula")
    assert all(gone[column] == "" for column in SHORTLIST_HEADER[4:-1])
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[-1]) for row in rows[1:])


@pytest.mark.parametrize(
    "path",
    ["/estimate", "/compare", "/compare.csv", "/api/v1/compare", "/inquiry"],
)
def test_a_link_naming_a_vendor_by_its_former_slug_leads_to_it_by_its_new_one(client, path):
    """Estimates, comparisons and inquiries linked before a rename keep working, as the vendor's page does."""
    renamed, _ = add_costed("ranged", "flat")
    update_vendor(renamed.id, slug="ranged-renamed")
    old_link = {"vendor": ["ranged"] if path == "/estimate" else ["ranged", "flat"], "headcount": "25"}
    moved = client.get(path, query_string=old_link)
    assert moved.status_code == 301 and moved.headers["Cache-Control"] == "no-cache"
    assert parse_qsl(moved.headers["Location"].partition("?")[2]) == [
        ("vendor", "ranged-renamed"),
        *([] if path == "/estimate" else [("vendor", "flat")]),
        ("headcount", "25"),
    ]
    assert client.get(moved.headers["Location"]).status_code == 200
