"""The sample vendors in seed_data/vendors.json: every record valid, and varied enough to exercise every
filter, facet and search the directory offers. No database needed."""

import json
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from vendors.catalog.records import parse_record
from vendors.catalog.rules import RATE_BANDS, SHORES, SIZE_BANDS, rate_band, shore_for, size_band
from vendors.catalog.seeding import SAMPLE_FILE, load_sample_records
from vendors.reference.taxonomy import CERTIFICATIONS, CHANNELS, SPECIALISATIONS

# The day the sample was written. "Recently verified" is judged against it, so the file's intended shape is
# checked without the test rotting as the calendar moves on.
WRITTEN_ON = date(2026, 11, 25)
US_BUYER, NEARSHORE_HOURS = "US", Decimal(3)

SOUTH_AND_SOUTHEAST_ASIA = {"PH", "IN", "PK", "BD", "LK", "NP", "VN", "ID"}
LATIN_AMERICA = {
    "MX",
    "CO",
    "GT",
    "SV",
    "HN",
    "NI",
    "CR",
    "PA",
    "DO",
    "JM",
    "PE",
    "EC",
    "AR",
    "UY",
    "CL",
    "BR",
}
CENTRAL_EASTERN_EUROPE_AND_SOUTH_AFRICA = {"PL", "RO", "BG", "UA", "RS", "CZ", "SK", "HU", "LT", "ZA"}
HIGH_COST_ENGLISH_SPEAKING = {"US", "GB", "CA", "AU", "IE", "NZ"}
SPANISH_SPEAKING = LATIN_AMERICA - {"BR", "JM"}

REAL_BPO_BRANDS = [
    "teleperformance", "concentrix", "taskus", "telus", "alorica", "sitel", "startek", "sutherland",
    "genpact", "wns", "conduent", "iqor", "ttec", "transcom", "webhelp", "majorel", "foundever", "atento",
    "konecta", "arvato", "capita", "serco", "firstsource", "sykes", "convergys", "hinduja", "cognizant",
    "infosys", "wipro", "accenture", "ibex", "vxi", "qualfon", "everise", "intouch", "helpware",
    "supportninja", "boldr", "peak support", "influx", "sourcefit", "cloudstaff", "magellan",
    "open access bpo", "sagility",
]  # fmt: skip
SEARCH_PHRASES = [
    "medical billing",
    "appointment setting",
    "bookkeeping",
    "content moderation",
    "Spanish chat support",
]


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vendors() -> list[dict]:
    return load_sample_records()


@pytest.fixture(scope="module")
def published(vendors) -> list[dict]:
    return [vendor for vendor in vendors if vendor["status"] == "published"]


def test_every_record_parses(raw):
    failures = {}
    for record in raw:
        try:
            parse_record(record)
        except ValueError as error:
            failures[record.get("slug")] = str(error)
    assert failures == {}
    assert len(raw) >= 210


def test_records_use_exactly_the_documented_keys(raw):
    expected = {
        "slug", "name", "tagline", "description", "website", "contact_email", "hq_country",
        "delivery_countries", "founded_year", "employees", "hourly_rate_min", "hourly_rate_max", "min_seats",
        "specialisations", "channels", "languages", "certifications", "coverage", "status", "verified_at",
    }  # fmt: skip
    assert {record["slug"]: set(record) for record in raw if set(record) != expected} == {}


def test_names_and_slugs_are_unique_and_slugs_come_from_names(vendors):
    names = Counter(vendor["name"].casefold() for vendor in vendors)
    assert [name for name, count in names.items() if count > 1] == []
    assert len({vendor["slug"] for vendor in vendors}) == len(vendors)
    mismatched = [vendor["slug"] for vendor in vendors if vendor["slug"] != _slug_from(vendor["name"])]
    assert mismatched == []


def test_contact_details_are_fictional_and_follow_the_slug(vendors):
    for vendor in vendors:
        assert vendor["website"] == f"https://{vendor['slug']}.example"
        assert vendor["contact_email"].endswith(f"@{vendor['slug']}.example")


def test_no_vendor_borrows_a_real_bpo_brand(vendors):
    borrowed = [
        (vendor["name"], brand)
        for vendor in vendors
        for brand in REAL_BPO_BRANDS
        if re.search(rf"\b{re.escape(brand)}\b", f"{vendor['name']} {vendor['tagline']}".casefold())
    ]
    assert borrowed == []


def test_statuses_include_a_few_drafts_and_archived_vendors(vendors):
    statuses = Counter(vendor["status"] for vendor in vendors)
    assert statuses["draft"] == 3
    assert statuses["archived"] == 3
    assert statuses["published"] == len(vendors) - 6


def test_delivery_countries_span_every_shore_for_a_us_buyer(vendors):
    countries = Counter(code for vendor in vendors for code in vendor["delivery_countries"])
    assert len(countries) >= 15
    shores = Counter()
    for code, count in countries.items():
        shores[shore_for(US_BUYER, code, NEARSHORE_HOURS)] += count
    assert set(shores) == set(SHORES)
    assert min(shores.values()) >= 15
    assert all(1 <= len(vendor["delivery_countries"]) <= 4 for vendor in vendors)
    assert sum(len(vendor["delivery_countries"]) > 1 for vendor in vendors) >= 15


def test_every_size_band_is_represented_with_a_realistic_spread(vendors):
    bands = Counter(size_band(vendor["employees"]) for vendor in vendors)
    assert set(bands) == {slug for slug, _, _ in SIZE_BANDS}
    assert min(bands.values()) >= 15
    assert max(bands.values()) <= len(vendors) * 0.6


def test_every_rate_band_is_represented(vendors):
    bands = Counter(rate_band(vendor["hourly_rate_min"]) for vendor in vendors)
    assert set(bands) == {slug for slug, _, _ in RATE_BANDS}
    assert min(bands.values()) >= 3
    assert 0.05 <= bands["undisclosed"] / len(vendors) <= 0.15


@pytest.mark.parametrize(
    ("field", "vocabulary"),
    [("specialisations", SPECIALISATIONS), ("channels", CHANNELS), ("certifications", CERTIFICATIONS)],
)
def test_every_attribute_value_is_offered_by_several_vendors(published, field, vocabulary):
    counts = Counter(value for vendor in published for value in vendor[field])
    assert {value: counts[value] for value in vocabulary if counts[value] < 5} == {}


def test_attribute_lists_have_sensible_lengths(vendors):
    for vendor in vendors:
        assert 1 <= len(vendor["specialisations"]) <= 4, vendor["slug"]
        assert len(vendor["certifications"]) <= 4, vendor["slug"]
        assert vendor["channels"] and vendor["languages"], vendor["slug"]


def test_every_specialisation_is_some_vendors_main_one(published):
    mains = Counter(vendor["specialisations"][0] for vendor in published)
    assert set(mains) == set(SPECIALISATIONS)


def test_descriptions_are_60_to_200_words_and_all_different(vendors):
    lengths = {vendor["slug"]: len(vendor["description"].split()) for vendor in vendors}
    assert {slug: words for slug, words in lengths.items() if not 60 <= words <= 200} == {}
    assert len({vendor["description"] for vendor in vendors}) == len(vendors)


def test_no_sentence_is_reused_across_many_descriptions(vendors):
    """Guards against the template feel: a sentence may recur, but not in more than three vendors."""
    sentences = Counter(
        sentence
        for vendor in vendors
        for sentence in set(re.split(r"(?<=[.!?])\s+", vendor["description"].strip()))
    )
    assert {sentence: count for sentence, count in sentences.items() if count > 3} == {}


def test_rates_come_as_a_range_or_not_at_all(vendors):
    for vendor in vendors:
        low, high = vendor["hourly_rate_min"], vendor["hourly_rate_max"]
        assert (low is None) == (high is None), vendor["slug"]
        assert low is None or Decimal("3") <= low < high, vendor["slug"]


@pytest.mark.parametrize(
    ("markets", "lowest_min", "highest_min", "highest_max"),
    [
        (SOUTH_AND_SOUTHEAST_ASIA, Decimal("5"), Decimal("12"), Decimal("20")),
        (LATIN_AMERICA, Decimal("10"), Decimal("25"), Decimal("32")),
        (CENTRAL_EASTERN_EUROPE_AND_SOUTH_AFRICA, Decimal("15"), Decimal("30"), Decimal("45")),
        (HIGH_COST_ENGLISH_SPEAKING, Decimal("30"), Decimal("65"), Decimal("100")),
    ],
)
def test_rates_follow_the_market_of_vendors_that_deliver_only_there(
    vendors, markets, lowest_min, highest_min, highest_max
):
    priced = [
        v for v in vendors if set(v["delivery_countries"]) <= markets and v["hourly_rate_min"] is not None
    ]
    assert len(priced) >= 5
    outliers = [
        (vendor["slug"], vendor["hourly_rate_min"], vendor["hourly_rate_max"])
        for vendor in priced
        if not lowest_min <= vendor["hourly_rate_min"] <= highest_min
        or vendor["hourly_rate_max"] > highest_max
    ]
    assert outliers == []


def test_philippine_and_indian_vendors_quote_under_16_dollars(vendors):
    """Including multi-country vendors: a range starts at the cheapest market's rate."""
    offshore = [v for v in vendors if {"PH", "IN"} & set(v["delivery_countries"]) and v["hourly_rate_min"]]
    assert len(offshore) >= 40
    assert [v["slug"] for v in offshore if v["hourly_rate_min"] >= 16] == []


def test_multi_market_vendors_span_their_markets_prices(vendors):
    """Cheapest market sets the minimum, dearest market the maximum (e.g. Philippines plus United States)."""
    mixed = [
        v
        for v in vendors
        if set(v["delivery_countries"]) & SOUTH_AND_SOUTHEAST_ASIA
        and set(v["delivery_countries"]) & HIGH_COST_ENGLISH_SPEAKING
        and v["hourly_rate_min"]
    ]
    assert mixed
    for vendor in mixed:
        assert vendor["hourly_rate_min"] < 16 and vendor["hourly_rate_max"] >= 35, vendor["slug"]


def test_languages_fit_the_delivery_countries(vendors):
    expected = {
        "PH": "tl",
        "IN": "hi",
        "BR": "pt",
        "PL": "pl",
        "RO": "ro",
        "EG": "ar",
        "CA": "fr",
        "KE": "sw",
    }
    expected |= dict.fromkeys(SPANISH_SPEAKING, "es")
    missing = [
        (vendor["slug"], code, expected[code])
        for vendor in vendors
        for code in vendor["delivery_countries"]
        if code in expected and expected[code] not in vendor["languages"]
    ]
    assert missing == []
    assert [vendor["slug"] for vendor in vendors if "en" not in vendor["languages"]] == []


def test_verification_dates_are_mostly_recent_with_some_stale(vendors):
    dates = [vendor["verified_at"] for vendor in vendors]
    known = [day for day in dates if day is not None]
    year_before = WRITTEN_ON - timedelta(days=365)
    assert all(day <= WRITTEN_ON for day in known)
    assert 1 <= dates.count(None) <= 12
    assert sum(day >= year_before for day in known) >= 0.75 * len(known)
    stale = [day for day in known if day < year_before]
    assert 0.1 * len(known) <= len(stale) <= 0.25 * len(known)
    assert any(day < WRITTEN_ON - timedelta(days=730) for day in stale)
    assert any(day < date.today() - timedelta(days=365) for day in known)


def test_founding_years_and_head_counts_are_plausible(vendors):
    for vendor in vendors:
        assert 1980 <= vendor["founded_year"] <= WRITTEN_ON.year, vendor["slug"]
        assert vendor["employees"] <= 100_000, vendor["slug"]
        assert vendor["min_seats"] is None or 1 <= vendor["min_seats"] <= vendor["employees"], vendor["slug"]


@pytest.mark.parametrize("phrase", SEARCH_PHRASES)
def test_search_worthy_phrases_appear_in_published_vendors(published, phrase):
    holders = [
        vendor["slug"]
        for vendor in published
        if phrase.casefold() in f"{vendor['name']} {vendor['tagline']} {vendor['description']}".casefold()
    ]
    assert len(holders) >= 2


def _slug_from(name: str) -> str:
    text = name.replace("ł", "l").replace("&", " ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
