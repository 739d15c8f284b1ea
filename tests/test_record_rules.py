"""The record rules the admin editor, the "List your company" form and the CSV import share: numbers in the
digits 0-9, amounts as plain decimals, verification dates written YYYY-MM-DD and not after today."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import add_user, add_vendors, login, post_form, vendor_record
from vendors.catalog.forms import form_data
from vendors.catalog.models import Vendor
from vendors.catalog.records import RecordError, parse_record
from vendors.catalog.records import vendor_record as stored_record
from vendors.extensions import db


def problems_with(**fields) -> dict[str, str]:
    """parse_record's problems for a valid record with `fields` changed ({} if it is accepted)."""
    try:
        parse_record(vendor_record(**fields))
    except RecordError as error:
        return error.problems
    return {}


def utc_today() -> date:
    return datetime.now(UTC).date()


# ------------------------------------------------------------------------------------------ line breaks
@pytest.mark.parametrize("field", ["name", "tagline"])
@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r", "\u2028", "\x85"])
def test_a_name_or_tagline_holds_no_line_break(field, line_break):
    """The editor shows them in a one-line box, which would drop the break on the next save."""
    assert problems_with(**{field: f"First{line_break}Second"}) == {
        field: "must be on one line: remove the line break"
    }


@pytest.mark.parametrize("line_break", ["\r\n", "\r"])
def test_a_descriptions_line_breaks_are_kept_as_lf(line_break):
    text = f"First paragraph.{line_break}{line_break}Second paragraph."
    assert (
        parse_record(vendor_record(description=text))["description"]
        == "First paragraph.\n\nSecond paragraph."
    )


# ------------------------------------------------------------------------------------------ whole numbers
@pytest.mark.parametrize("field", ["employees", "founded_year", "min_seats"])
@pytest.mark.parametrize(
    "typed",
    [
        "1_000",  # int() reads Python's digit grouping
        "\u0661\u0669\u0669\u0660",  # Arabic-Indic digits, which int() reads as 1990
        "\uff12\uff10\uff11\uff10",  # full-width digits, which int() reads as 2010
        "1,000",
        "+1990",
        "1990.0",
        "1e3",
    ],
)
def test_whole_numbers_are_written_with_the_digits_0_to_9_only(field, typed):
    assert problems_with(**{field: typed}) == {
        field: f"{typed!r} is not a whole number: use the digits 0-9 only, with no separators"
    }


def test_whole_numbers_keep_their_range_check_whatever_their_length():
    assert problems_with(employees="0") == {"employees": "must be between 1 and 10000000"}
    assert problems_with(employees="9" * 5000) == {"employees": "must be between 1 and 10000000"}
    assert parse_record(vendor_record(employees=" 0240 ", founded_year="2010"))["employees"] == 240


# ------------------------------------------------------------------------------------------ rates
@pytest.mark.parametrize(
    "typed",
    ["1e1", "1_0", "\u0661\u0662", "\uff11\uff12", "12,50", "+12", "NaN", "Infinity", "$12"],
)
def test_rates_are_plain_decimals(typed):
    assert problems_with(hourly_rate_min=typed, hourly_rate_max="20") == {
        "hourly_rate_min": (
            f"{typed!r} is not an amount in USD: use the digits 0-9 and a decimal point only, e.g. 12.50"
        )
    }


@pytest.mark.parametrize(
    ("typed", "amount"), [("12", "12.00"), ("12.", "12.00"), (".75", "0.75"), (" 9.5 ", "9.50")]
)
def test_plain_decimals_are_read_as_amounts(typed, amount):
    assert (
        str(parse_record(vendor_record(hourly_rate_min=typed, hourly_rate_max="20"))["hourly_rate_min"])
        == amount
    )


# ------------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize(
    "typed",
    [
        "20261201",  # date.fromisoformat reads ISO 8601's basic form
        "2026-W01-1",  # and week dates (this one is 2025-12-29)
        "2026-1-05",
        "2026-02-30",
        "\uff12\uff10\uff12\uff16-01-05",
        "01/05/2026",
    ],
)
def test_verification_dates_are_written_yyyy_mm_dd(typed):
    assert problems_with(verified_at=typed) == {"verified_at": f"{typed!r} is not a date (YYYY-MM-DD)"}


def test_a_verification_date_cannot_be_after_today():
    the_day_after_tomorrow = (utc_today() + timedelta(days=2)).isoformat()
    for later in ("2999-01-01", the_day_after_tomorrow):
        assert problems_with(verified_at=later) == {
            "verified_at": f"{later!r} is after today: give the day the details were last checked"
        }
    assert parse_record(vendor_record(verified_at=utc_today().isoformat()))["verified_at"] == utc_today()


def test_today_is_anyones_today_so_an_editor_ahead_of_the_servers_clock_is_not_refused(monkeypatch):
    """At 10:30 UTC it is already tomorrow in Kiribati (UTC+14): an editor there may give that date."""

    class LateMorningUTC(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 6, 10, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr("vendors.catalog.records.datetime", LateMorningUTC)
    assert parse_record(vendor_record(verified_at="2026-12-07"))["verified_at"] == date(2026, 12, 7)
    assert set(problems_with(verified_at="2026-12-08")) == {"verified_at"}


# ------------------------------------------------------------------------------------------ codes and slugs
DOTLESS_I, LONG_S, KELVIN_SIGN = "\u0131", "\u017f", "\u212a"


@pytest.mark.parametrize(
    "field, typed",
    [
        ("hq_country", f"{DOTLESS_I}n"),  # which upper-cases to IN
        ("hq_country", f"{LONG_S}g"),  # which upper-cases to SG
        ("delivery_countries", ["PH", f"{DOTLESS_I}n"]),
        ("channels", [f"bac{KELVIN_SIGN}-office"]),  # which lower-cases to back-office
        ("languages", ["en", f"{KELVIN_SIGN}a"]),
    ],
)
def test_letters_of_other_scripts_are_not_read_as_the_ascii_letters_of_a_code(field, typed):
    assert field in problems_with(**{field: typed})


def test_codes_and_slugs_are_read_in_any_case_with_spaces_around_them():
    cleaned = parse_record(
        vendor_record(hq_country=" ph ", delivery_countries=["ph", " In"], channels=[" Back-Office"])
    )
    assert (cleaned["hq_country"], cleaned["delivery_countries"]) == ("PH", ["PH", "IN"])
    assert cleaned["channels"] == ["back-office"]


# ------------------------------------------------------------------------------------------ the editor form
@pytest.fixture
def editor(client):
    add_user("rules@example.com", role="editor")
    login(client, "rules@example.com")
    return client


def test_the_editor_refuses_each_lenient_value_at_its_field_and_keeps_what_was_saved(editor):
    [vendor] = add_vendors(vendor_record(name="Steady Rules", employees=240, verified_at="2026-06-01"))
    saved = stored_record(vendor)
    typed = {
        "employees": "\uff12\uff10\uff11\uff10",
        "founded_year": "1_999",
        "hourly_rate_min": "1e1",
        "verified_at": "2999-01-01",
    }
    data = form_data(saved) | {"version": str(vendor.version)} | typed

    response = post_form(editor, f"/admin/vendors/{vendor.id}/edit", data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for value in typed.values():
        assert re.search(
            rf"&#39;{re.escape(value)}&#39; is (not a whole number|not an amount|after today)", page
        )
    db.session.expire_all()
    assert stored_record(db.session.get(Vendor, vendor.id)) == saved


# ------------------------------------------------------------------------------------------ web addresses
@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("https://vendor.example", "https://vendor.example"),
        ("HTTPS://Vendor.example/about", "https://Vendor.example/about"),
        ("http://vendor.example:8080/x?y=1", "http://vendor.example:8080/x?y=1"),
    ],
)
def test_a_web_address_is_taken_with_its_scheme_in_lower_case(typed, kept):
    assert parse_record(vendor_record(website=typed))["website"] == kept


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("https://", "must name the site"),
        ("https:///path", "must name the site"),
        ("https://a.example\njavascript:alert(1)", "line breaks"),
        ("https://a .example", "spaces"),
        ("ftp://vendor.example", "must start with https:// or http://"),
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("vendor.example", "must start with https:// or http://"),
    ],
)
def test_a_web_address_without_a_site_or_with_a_break_is_refused(typed, said):
    assert said in problems_with(website=typed)["website"]


# ------------------------------------------------------------------------------------------ email addresses
@pytest.mark.parametrize(
    "typed",
    [
        "sales@vendor.example?bcc=harvest%40evil.example",  # a mailto: link would copy someone else
        "sales@vendor.example&cc=x@evil.example",
        'a"onmouseover=alert(4)@x.example',
        "<sales>@vendor.example",
        "sales@vendor.example/path",
        "sales,other@vendor.example",
    ],
)
def test_an_email_address_cannot_carry_more_than_an_address(typed):
    assert problems_with(contact_email=typed) == {"contact_email": f"{typed!r} is not an email address"}


@pytest.mark.parametrize("typed", ["ana.maria+sales@sub.vendor.co", "o'brien@vendor.ie", "josé@exämple.es"])
def test_addresses_people_write_are_taken(typed):
    assert parse_record(vendor_record(contact_email=typed))["contact_email"] == typed
