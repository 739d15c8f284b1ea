"""Properties that must hold on any catalogue, checked on the sample data through the API."""

from decimal import Decimal

import pytest

from vendors.catalog import rules

ITEM_VALUES = {
    "shore": lambda item: item["shore"],
    "country": lambda item: [country["code"] for country in item["delivery_countries"]],
    "size": lambda item: [item["size_band"]],
    "specialisation": lambda item: item["specialisations"],
    "rate_band": lambda item: [item["rate_band"]],
    "language": lambda item: item["languages"],
    "certification": lambda item: item["certifications"],
    "channel": lambda item: item["channels"],
    "coverage": lambda item: [item["coverage"]],
}


def all_items(client, query: str) -> list[dict]:
    items, page = [], 1
    while True:
        body = client.get(f"/api/v1/vendors?per_page=100&page={page}&{query}").get_json()
        items += body["items"]
        if page >= body["pages"]:
            return items
        page += 1


@pytest.mark.parametrize("buyer_country", ["US", "GB"])
def test_every_facet_count_equals_the_results_of_choosing_it(seeded_client, buyer_country):
    facets = seeded_client.get(f"/api/v1/vendors?buyer_country={buyer_country}").get_json()["facets"]
    for facet, counts in facets.items():
        for value, count in counts.items():
            items = all_items(seeded_client, f"buyer_country={buyer_country}&{facet}={value}")
            assert len(items) == count, (facet, value)
            assert all(value in ITEM_VALUES[facet](item) for item in items), (facet, value)


def test_listed_bands_follow_the_rule_functions(seeded_client):
    items = all_items(seeded_client, "")
    assert items, "the sample data lists vendors"
    for item in items:
        assert item["size_band"] == rules.size_band(item["employees"])
        low = item["hourly_rate_min"]
        assert item["rate_band"] == rules.rate_band(None if low is None else Decimal(str(low)))


def test_rate_sort_is_ascending_with_undisclosed_last_across_pages(seeded_client):
    rates = [item["hourly_rate_min"] for item in all_items(seeded_client, "sort=rate")]
    disclosed = [rate for rate in rates if rate is not None]
    assert disclosed and len(disclosed) < len(rates), "the sample data has disclosed and undisclosed rates"
    assert disclosed == sorted(disclosed)
    assert rates[: len(disclosed)] == disclosed and set(rates[len(disclosed) :]) <= {None}


def test_pages_partition_the_listing(seeded_client):
    body = seeded_client.get("/api/v1/vendors").get_json()
    slugs = [item["slug"] for item in all_items(seeded_client, "sort=verified")]
    assert len(slugs) == len(set(slugs)) == body["total"]


def test_combined_filters_narrow_to_vendors_meeting_all_of_them(seeded_client):
    items = all_items(seeded_client, "shore=offshore&shore=nearshore&language=es&size=medium&size=large")
    assert items, "the sample data has medium and large Spanish-speaking vendors off and near shore"
    for item in items:
        assert set(item["shore"]) & {"offshore", "nearshore"}
        assert "es" in item["languages"]
        assert item["size_band"] in {"medium", "large"}
