"""The listing query through /api/v1/vendors, on a small catalogue built in each test."""

import pytest
from sqlalchemy import event, select

from tests.factories import add_vendors, vendor_record
from vendors import search
from vendors.catalog.models import Vendor, published_vendor, published_vendor_to_show
from vendors.extensions import db
from vendors.search.schema import fold


def get(client, query=""):
    response = client.get(f"/api/v1/vendors{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def slugs(body) -> list[str]:
    return [item["slug"] for item in body["items"]]


@pytest.fixture
def catalogue(app):
    add_vendors(
        vendor_record(
            slug="manila-voice",
            name="Manila Voice",
            delivery_countries=["PH"],
            employees=300,
            hourly_rate_min="7.50",
            hourly_rate_max="11.00",
            languages=["en", "tl"],
            verified_at="2026-10-01",
        ),
        vendor_record(
            slug="bogota-bilingual",
            name="Bogota Bilingual",
            hq_country="CO",
            delivery_countries=["CO", "MX"],
            employees=2400,
            hourly_rate_min="14.00",
            hourly_rate_max="22.00",
            languages=["en", "es"],
            channels=["chat", "email"],
            specialisations=["sales", "customer-support"],
            verified_at="2024-01-15",
        ),
        vendor_record(
            slug="ohio-onshore",
            name="ohio Onshore",
            hq_country="US",
            delivery_countries=["US"],
            employees=9000,
            hourly_rate_min="38.00",
            hourly_rate_max="55.00",
            certifications=["hipaa", "soc-2"],
            specialisations=["healthcare"],
            verified_at=None,
        ),
        vendor_record(
            slug="krakow-ledger",
            name="Krakow Ledger",
            hq_country="PL",
            delivery_countries=["PL", "PH"],
            employees=650,
            hourly_rate_min=None,
            hourly_rate_max=None,
            languages=["en", "pl", "de"],
            specialisations=["finance-accounting"],
            channels=["back-office"],
            certifications=["iso-27001"],
            verified_at="2026-03-03",
        ),
        vendor_record(slug="draft-desk", name="Draft Desk", status="draft"),
        vendor_record(slug="archived-desk", name="Archived Desk", status="archived"),
    )


def test_lists_only_published_vendors_sorted_by_name_case_insensitively(client, catalogue):
    body = get(client)
    assert body["total"] == 4
    assert slugs(body) == ["bogota-bilingual", "krakow-ledger", "manila-voice", "ohio-onshore"]


def test_item_carries_shores_for_the_buyer_country(client, catalogue):
    item = next(i for i in get(client, "?buyer_country=US")["items"] if i["slug"] == "krakow-ledger")
    assert item["delivery_countries"] == [
        {"code": "PL", "name": "Poland", "shore": "offshore"},
        {"code": "PH", "name": "Philippines", "shore": "offshore"},
    ]
    assert item["shore"] == ["offshore"]
    item = next(i for i in get(client, "?buyer_country=gb")["items"] if i["slug"] == "krakow-ledger")
    assert item["shore"] == ["nearshore", "offshore"]
    assert item["hourly_rate_min"] is None and item["rate_band"] == "undisclosed"
    assert item["size_band"] == "medium" and item["employees"] == 650


def test_values_within_a_facet_are_ored_and_facets_anded(client, catalogue):
    assert sorted(slugs(get(client, "?country=PL&country=MX"))) == ["bogota-bilingual", "krakow-ledger"]
    assert slugs(get(client, "?country=PH&country=MX&language=es")) == ["bogota-bilingual"]


def test_shore_filter_depends_on_buyer_country(client, catalogue):
    assert slugs(get(client, "?shore=nearshore&buyer_country=US")) == ["bogota-bilingual"]
    assert slugs(get(client, "?shore=nearshore&buyer_country=GB")) == ["krakow-ledger"]
    assert slugs(get(client, "?shore=onshore&buyer_country=US")) == ["ohio-onshore"]


def test_facet_counts_ignore_their_own_selection_but_apply_the_others(client, catalogue):
    body = get(client, "?country=PH&size=small")
    assert body["total"] == 1
    # The country facet is counted with only the size filter applied: one small vendor, in PH.
    assert body["facets"]["country"] == {"PH": 1}
    # The size facet is counted with only the country filter applied: PH vendors by size.
    assert body["facets"]["size"] == {"small": 1, "medium": 1, "large": 0}
    assert body["facets"]["shore"] == {"onshore": 0, "nearshore": 0, "offshore": 1}


def test_shore_counts_a_vendor_once_per_class(client, catalogue):
    facets = get(client, "?buyer_country=US")["facets"]
    assert facets["shore"] == {"onshore": 1, "nearshore": 1, "offshore": 2}
    assert facets["rate_band"]["undisclosed"] == 1
    assert facets["rate_band"]["35-50"] == 1
    assert facets["certification"]["hipaa"] == 1 and facets["certification"]["copc"] == 0


def test_rate_range_keeps_overlapping_disclosed_ranges(client, catalogue):
    assert slugs(get(client, "?rate_min=20&sort=rate")) == ["bogota-bilingual", "ohio-onshore"]
    assert slugs(get(client, "?rate_max=10&sort=rate")) == ["manila-voice"]
    assert slugs(get(client, "?rate_min=12&rate_max=15")) == ["bogota-bilingual"]


def test_rate_band_filter(client, catalogue):
    assert sorted(slugs(get(client, "?rate_band=undisclosed&rate_band=under-10"))) == [
        "krakow-ledger",
        "manila-voice",
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("rate", ["manila-voice", "bogota-bilingual", "ohio-onshore", "krakow-ledger"]),
        ("size", ["ohio-onshore", "bogota-bilingual", "krakow-ledger", "manila-voice"]),
        ("verified", ["manila-voice", "krakow-ledger", "bogota-bilingual", "ohio-onshore"]),
    ],
)
def test_sort_orders(client, catalogue, sort, expected):
    assert slugs(get(client, f"?sort={sort}")) == expected


def test_best_match_without_words_is_the_usual_order_and_says_so(client, catalogue):
    by_relevance = client.get("/api/v1/vendors?sort=relevance").get_json()
    by_name = client.get("/api/v1/vendors").get_json()
    assert by_relevance["sort"] == "name"
    assert [item["slug"] for item in by_relevance["items"]] == [item["slug"] for item in by_name["items"]]


def test_pagination(client, catalogue):
    first = get(client, "?per_page=3")
    second = get(client, "?per_page=3&page=2")
    assert first["total"] == second["total"] == 4
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    assert not set(slugs(first)) & set(slugs(second))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?size=huge", "size"),
        ("?country=XX", "country"),
        ("?shore=moonshore", "shore"),
        ("?sort=popularity", "sort"),
        ("?page=0", "page"),
        ("?page=abc", "page"),
        ("?page=99", "page"),
        ("?per_page=101", "per_page"),
        ("?rate_min=cheap", "rate_min"),
        ("?rate_min=nan", "rate_min"),
        ("?rate_min=1e3", "rate_min"),
        ("?rate_min=1_0", "rate_min"),
        ("?rate_min=%2B5", "rate_min"),
        ("?rate_max=%D9%A1%D9%A0", "rate_max"),  # Arabic-Indic digits one and zero
        ("?buyer_country=%C4%B1n", "buyer_country"),  # a dotless i, which upper-cases to I
        ("?country=%C4%B1n", "country"),
        ("?rate_min=30&rate_max=10", "rate_max"),
        ("?buyer_country=Narnia", "buyer_country"),
        ("?q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(client, catalogue, query, parameter):
    response = client.get(f"/api/v1/vendors{query}")
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert [error["parameter"] for error in errors] == [parameter]
    assert errors[0]["message"]


BUYER_COUNTRY_ROUTES = [
    "/api/v1/vendors?",
    "/api/v1/vendors/manila-voice?",
    "/api/v1/compare?vendor=manila-voice&vendor=bogota-bilingual&",
]


@pytest.mark.parametrize("route", BUYER_COUNTRY_ROUTES)
@pytest.mark.parametrize("typed", ["%C4%B1n", "%C5%BFg"])  # a dotless i and a long s: upper-cased, IN and SG
def test_no_api_route_takes_letters_of_another_script_for_a_country_code(client, catalogue, route, typed):
    response = client.get(f"{route}buyer_country={typed}")
    assert response.status_code == 400
    assert [error["parameter"] for error in response.get_json()["errors"]] == ["buyer_country"]


@pytest.mark.parametrize("route", BUYER_COUNTRY_ROUTES)
def test_every_api_route_reads_a_country_code_in_any_case_with_spaces_around_it(client, catalogue, route):
    response = client.get(f"{route}buyer_country=%20gb%09")
    assert response.status_code == 200
    assert response.get_json()["buyer_country"] == "GB"


def test_the_vendor_page_does_not_take_letters_of_another_script_for_a_country_code(client, catalogue):
    page = client.get("/vendors/manila-voice?buyer_country=%C4%B1n").get_data(as_text=True)
    assert '<option value="US" selected>' in page and '<option value="IN" selected>' not in page
    assert '<option value="GB" selected>' in client.get("/vendors/manila-voice?buyer_country=%20gb").text


@pytest.mark.parametrize(
    "path", ["/api/v1/vendors?sort=name&sort=rate", "/api/v1/estimate?headcount=5&headcount=6"]
)
def test_a_parameter_that_takes_one_value_given_several_is_a_400(client, catalogue, path):
    response = client.get(path)
    assert response.status_code == 400
    [error] = response.get_json()["errors"]
    assert error["parameter"] == path.split("?")[1].split("=")[0]
    assert "more than once" in error["message"]


def test_every_bad_parameter_is_reported_at_once(client, catalogue):
    errors = client.get("/api/v1/vendors?size=huge&per_page=0").get_json()["errors"]
    assert {error["parameter"] for error in errors} == {"size", "per_page"}


def test_vendor_detail_has_every_public_field(client, catalogue):
    body = client.get("/api/v1/vendors/bogota-bilingual?buyer_country=US").get_json()
    assert body["name"] == "Bogota Bilingual"
    assert body["hourly_rate_min"] == 14.0 and body["hourly_rate_max"] == 22.0
    assert body["verification_stale"] is True
    for field in (
        "description",
        "website",
        "contact_email",
        "founded_year",
        "min_seats",
        "coverage",
        "channels",
        "certifications",
        "languages",
        "specialisations",
        "verified_at",
        "url",
    ):
        assert field in body
    assert body["url"].endswith("/vendors/bogota-bilingual")


@pytest.mark.parametrize("slug", ["draft-desk", "archived-desk", "no-such-vendor"])
def test_unpublished_or_unknown_vendor_is_a_json_404(client, catalogue, slug):
    response = client.get(f"/api/v1/vendors/{slug}")
    assert response.status_code == 404
    assert response.is_json


def test_a_404_or_400_quotes_a_long_slug_or_country_only_in_part(client, catalogue):
    missing = client.get("/api/v1/vendors/" + "a" * 5000).get_json()["message"]
    assert missing == f"No published vendor has the slug {'a' * 80 + '…'!r}."
    refused = client.get("/api/v1/vendors/manila-voice?buyer_country=" + "Q" * 5000).get_json()
    assert len(refused["errors"][0]["message"]) < 100


def test_vendor_detail_judges_shores_from_the_buyer_country_given(client, catalogue):
    def shores(buyer_country):
        body = client.get(f"/api/v1/vendors/bogota-bilingual?buyer_country={buyer_country}").get_json()
        return {country["code"]: country["shore"] for country in body["delivery_countries"]}

    assert shores("US") == {"CO": "nearshore", "MX": "nearshore"}
    assert shores("co") == {"CO": "onshore", "MX": "nearshore"}
    assert shores("PH") == {"CO": "offshore", "MX": "offshore"}


def test_vendor_detail_rejects_an_unknown_buyer_country(client, catalogue):
    response = client.get("/api/v1/vendors/bogota-bilingual?buyer_country=ZZ")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["parameter"] == "buyer_country"


def test_suggest_offers_at_most_eight_published_names_for_a_prefix(client):
    add_vendors(*(vendor_record(name=f"Zephyr Desk {number}") for number in range(10)))
    add_vendors(vendor_record(name="Zephyr Draft", status="draft"))
    names = client.get("/api/v1/suggest?q=zeph").get_json()["names"]
    assert len(names) == 8
    assert all(name.startswith("Zephyr Desk") for name in names)


def test_each_suggestion_names_the_vendors_page(client):
    [first, second] = add_vendors(vendor_record(name="Quillon Care"), vendor_record(name="Blue Quillon"))
    body = client.get("/api/v1/suggest?q=quil").get_json()
    assert body["names"] == ["Quillon Care", "Blue Quillon"]
    assert body["vendors"] == [
        {"name": "Quillon Care", "slug": first.slug, "url": f"http://localhost/vendors/{first.slug}"},
        {"name": "Blue Quillon", "slug": second.slug, "url": f"http://localhost/vendors/{second.slug}"},
    ]
    assert client.get(body["vendors"][0]["url"]).status_code == 200


def test_suggest_rejects_a_prefix_over_200_characters(client):
    response = client.get("/api/v1/suggest?q=" + "z" * 201)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["parameter"] == "q"


def test_suggestions_follow_the_rule_for_every_prefix_of_every_sample_name(seeded_app):
    """Names starting with the typed text in name order, then names with a later word starting with it,
    eight at most, case and accents folded as searches fold them: checked against every published sample
    name for each of their prefixes."""
    with seeded_app.app_context():
        published = sorted(
            (fold(vendor.name), vendor.id, vendor.name)
            for vendor in db.session.scalars(select(Vendor).where(Vendor.status == "published"))
        )
    prefixes = {name[:length] for name, _, _ in published for length in (1, 2, 4, 7)}
    prefixes |= {word[:3] for name, _, _ in published for word in name.split()[1:]}
    prefixes |= {" ".join(name.split()[1:3]) for name, _, _ in published if len(name.split()) > 2}
    for prefix in sorted(prefixes):
        typed = fold(" ".join(prefix.split()))
        whole = [name for lowered, _, name in published if lowered.startswith(typed)][:8]
        later = [name for lowered, _, name in published if f" {typed}" in lowered and name not in whole]
        expected = (whole + later)[:8]
        with seeded_app.test_request_context():
            assert [name for name, _ in search.suggest_vendors(prefix)] == expected, prefix


@pytest.mark.parametrize("reader", [published_vendor, published_vendor_to_show])
def test_a_published_vendor_comes_with_every_attribute_row_in_order(seeded_app, reader):
    """Both reads join the attribute rows into their one query: each vendor still has all of them, in the
    order its own listing gives, with every column, and a draft, an archived listing or no slug at all is
    still not found."""
    columns = [column.key for column in Vendor.__table__.columns]
    with seeded_app.test_request_context():
        vendors = db.session.scalars(select(Vendor)).all()
        expected = {
            v.slug: (
                v.status,
                [getattr(v, column) for column in columns],
                [(r.facet, r.value, r.position) for r in v.facet_values],
            )
            for v in vendors
        }
        db.session.remove()
        assert any(len(rows) > 5 for _, _, rows in expected.values())
        for slug, (status, values, rows) in expected.items():
            found = reader(slug)
            if status != "published":
                assert found is None
                continue
            assert [getattr(found, column) for column in columns] == values
            assert [(r.facet, r.value, r.position) for r in found.facet_values] == rows
        assert reader("no-such-vendor") is None
        assert reader("Not a slug\x00") is None
        db.session.remove()
    assert {status for status, _, _ in expected.values()} > {"published"}


def test_a_vendor_shown_by_itself_is_read_with_one_statement_and_no_pooled_connection(seeded_app):
    """The vendor page, its API record and the estimator with a vendor read the vendor on the connection
    the app holds open (vendors.database.read_on_held_connection): no connection is checked out of the pool,
    whose ping, BEGIN, ROLLBACK and reset were four of the five round trips of an API record on PostgreSQL."""
    with seeded_app.app_context():
        slug = db.session.scalars(select(Vendor.slug).where(Vendor.status == "published")).first()
        db.session.remove()
        engine = db.engine
    # Without cookies every request is a first visit, whose answers the page cache keeps.
    client = seeded_app.test_client(use_cookies=False)
    client.get(f"/vendors/{slug}")  # the held connection opened, the index opened
    checkouts, statements = [], []

    def checked_out(*_):
        checkouts.append(1)

    def executing(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "before_cursor_execute", executing)
    try:
        for address in (
            f"/api/v1/vendors/{slug}?buyer_country=DE",
            f"/vendors/{slug}?buyer_country=DE",
            f"/estimate?vendor={slug}",
        ):
            del checkouts[:], statements[:]
            assert client.get(address).headers["X-Cache"] == "miss", address
            assert checkouts == [], (address, statements)
            vendor_reads = [
                sql for sql in statements if "vendor_facet_values" in sql and "vendors.slug =" in sql
            ]
            assert len(vendor_reads) == 1, (address, statements)
    finally:
        event.remove(engine, "checkout", checked_out)
        event.remove(engine, "before_cursor_execute", executing)
