from decimal import Decimal

import pytest

from vendors.catalog.rules import countries_by_shore, rate_band, shore_for, size_band

THREE_HOURS = Decimal(3)


@pytest.mark.parametrize(
    ("employees", "band"),
    [(1, "small"), (500, "small"), (501, "medium"), (5000, "medium"), (5001, "large"), (250_000, "large")],
)
def test_size_band_edges(employees, band):
    assert size_band(employees) == band


def test_size_band_rejects_empty_company():
    with pytest.raises(ValueError):
        size_band(0)


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (None, "undisclosed"),
        ("6", "under-10"),
        ("9.99", "under-10"),
        ("10", "10-20"),
        ("19.99", "10-20"),
        ("20", "20-35"),
        ("34.99", "20-35"),
        ("35", "35-50"),
        ("49.99", "35-50"),
        ("50", "50-plus"),
        ("120", "50-plus"),
    ],
)
def test_rate_band_edges(rate, band):
    assert rate_band(None if rate is None else Decimal(rate)) == band


@pytest.mark.parametrize(
    ("buyer", "expected"),
    [
        (
            "US",
            {
                "US": "onshore",
                "MX": "nearshore",
                "CO": "nearshore",
                "CA": "nearshore",
                "BR": "nearshore",
                "PH": "offshore",
                "IN": "offshore",
                "ZA": "offshore",
                "PL": "offshore",
            },
        ),
        (
            "GB",
            {
                "GB": "onshore",
                "PL": "nearshore",
                "EG": "nearshore",
                "ZA": "nearshore",
                "IN": "offshore",
                "PH": "offshore",
            },
        ),
        ("AU", {"AU": "onshore", "PH": "nearshore", "IN": "offshore"}),
    ],
)
def test_shore_relative_to_buyer(buyer, expected):
    assert {code: shore_for(buyer, code, THREE_HOURS) for code in expected} == expected


def test_shore_gap_wraps_around_the_date_line():
    # Auckland (UTC+12) and Sydney (UTC+10) are two hours apart whichever way one counts.
    assert shore_for("NZ", "AU", THREE_HOURS) == "nearshore"


def test_nearshore_limit_is_a_setting():
    assert shore_for("US", "BR", Decimal(1)) == "offshore"
    assert shore_for("US", "PH", Decimal(12)) == "nearshore"


def test_every_known_country_has_exactly_one_shore():
    grouped = countries_by_shore("US", THREE_HOURS)
    codes = [code for codes in grouped.values() for code in codes]
    assert len(codes) == len(set(codes))
    assert grouped["onshore"] == ["US"]
