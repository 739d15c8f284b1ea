"""The HTML pages as a visitor's browser receives them: home, directory, vendor pages and error pages.

Read-only checks run on the sample data (`seeded_client`) and pick the vendors they need by querying the
database, so they keep working as the sample data changes. Checks that need unusual vendors (drafts, hostile
names) build them in the empty `app` database.
"""

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from tests.factories import add_vendors, csrf_token, vendor_record
from vendors.catalog import rules
from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.directory.params import FACET_VALUES
from vendors.extensions import db
from vendors.reference.countries import country_name
from vendors.reference.taxonomy import SPECIALISATIONS

STALE_WARNING = "check the details with the vendor"
EN_DASH = "\N{EN DASH}"


# ---------- helpers ----------


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", fragment)
    return " ".join(html.unescape(without_tags).split())


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def card_for(body: str, vendor: Vendor) -> str:
    """The result card of one vendor on a listing page."""
    cards = body.split('<li class="vendor-card')[1:]
    mine = [card for card in cards if f'href="/vendors/{vendor.slug}?' in card]
    assert len(mine) == 1, f"{vendor.slug} is not on this page"
    return mine[0].split("</li>")[0]


def checkbox(body: str, facet: str, value: str) -> str:
    match = re.search(rf'<input type="checkbox" id="{facet}-{re.escape(value)}"[^>]*>', body)
    assert match, f"no checkbox {facet}-{value}"
    return match.group(0)


def facet_count(body: str, facet: str, value: str) -> int:
    match = re.search(
        rf'<label for="{facet}-{re.escape(value)}">.*?<span class="count"[^>]*>(\d+)</span>', body
    )
    assert match, f"no count for {facet}-{value}"
    return int(match.group(1))


def published(*conditions):
    return db.session.scalars(
        select(Vendor).where(Vendor.status == "published", *conditions).order_by(Vendor.slug)
    ).all()


def narrowing_query(vendor: Vendor) -> str:
    """Filters this vendor meets, chosen so its card is on the first page of a short listing."""
    parts = [
        f"country={vendor.delivery_countries[0]}",
        f"size={vendor.size_band}",
        f"rate_band={vendor.rate_band}",
        f"specialisation={vendor.specialisations[0]}",
    ]
    if vendor.languages:
        parts.append(f"language={vendor.languages[0]}")
    return "&".join(parts) + "&per_page=100&buyer_country=US"


def expected_shore(buyer: str, code: str) -> str:
    from flask import current_app

    return rules.shore_for(buyer, code, current_app.config["NEARSHORE_MAX_HOURS"])


@pytest.fixture
def seeded(seeded_app):
    with seeded_app.app_context():
        yield seeded_app


@pytest.fixture
def disclosed_vendor(seeded):
    vendors = published(Vendor.hourly_rate_min.is_not(None), Vendor.verified_at.is_not(None))
    assert vendors, "the sample data should have vendors with published rates"
    # the one with the most delivery countries exercises the most badges
    return max(vendors, key=lambda vendor: (len(vendor.delivery_countries), vendor.slug))


# ---------- home ----------


def test_home_page_introduces_the_directory_and_links_into_it(seeded_client, seeded):
    body = page(seeded_client, "/")
    total = db.session.scalar(select(func.count()).select_from(Vendor).where(Vendor.status == "published"))
    assert "<h1" in body and "Find, compare and shortlist" in body
    assert f"{total:,} vendors" in body
    assert 'href="/vendors"' in body
    assert 'action="/vendors"' in body and 'name="q"' in body
    for slug in FACET_VALUES["specialisation"]:
        assert f'href="/vendors?specialisation={slug}"' in body
    assert 'href="#main"' in body and 'id="main"' in body
    assert "fictional sample data" in body


# ---------- the listing ----------


def test_result_cards_show_every_listed_fact(seeded_client, seeded, disclosed_vendor):
    vendor = disclosed_vendor
    card = card_for(page(seeded_client, f"/vendors?{narrowing_query(vendor)}"), vendor)
    text = text_of(card)
    assert vendor.name in text and vendor.tagline in text
    assert country_name(vendor.hq_country) in text
    for code in vendor.delivery_countries:
        shore = expected_shore("US", code)
        assert f"{country_name(code)} {rules.SHORES[shore]}" in text
        assert f"shore-{shore}" in card
    label = FACET_VALUES["size"][vendor.size_band]
    assert f"{vendor.employees:,} employees · {label[0].lower()}{label[1:]}" in text
    assert f"${vendor.hourly_rate_min:,.2f}{EN_DASH}${vendor.hourly_rate_max:,.2f} per hour" in text
    for slug in vendor.specialisations[:3]:
        assert FACET_VALUES["specialisation"][slug] in text
    for code in vendor.languages:
        assert FACET_VALUES["language"][code] in text
    assert vendor.verified_at.isoformat() in text


def test_a_vendor_without_published_rates_says_undisclosed(seeded_client, seeded):
    vendors = published(Vendor.hourly_rate_min.is_(None))
    assert vendors, "the sample data should have vendors with undisclosed rates"
    card = card_for(page(seeded_client, f"/vendors?{narrowing_query(vendors[0])}"), vendors[0])
    assert "Undisclosed" in text_of(card)
    assert "$" not in text_of(card)


def test_facet_checkboxes_carry_the_counts_of_the_catalogue(seeded_client, seeded):
    body = page(seeded_client, "/vendors?buyer_country=US")
    for band, _, _ in rules.SIZE_BANDS:
        expected = sum(vendor.size_band == band for vendor in published())
        assert facet_count(body, "size", band) == expected
    delivering = db.session.execute(
        select(VendorFacetValue.value, func.count())
        .join(Vendor)
        .where(Vendor.status == "published", VendorFacetValue.facet == "country")
        .group_by(VendorFacetValue.value)
    ).all()
    for code, count in delivering:
        assert facet_count(body, "country", code) == count
    for shore in rules.SHORES:
        assert "checked" not in checkbox(body, "shore", shore)


def test_filters_in_the_url_are_shown_checked_and_as_removable_chips(seeded_client, seeded, disclosed_vendor):
    country = disclosed_vendor.delivery_countries[0]
    body = page(seeded_client, f"/vendors?size={disclosed_vendor.size_band}&country={country}")
    assert "checked" in checkbox(body, "size", disclosed_vendor.size_band)
    assert "checked" in checkbox(body, "country", country)
    other_band = next(band for band, _, _ in rules.SIZE_BANDS if band != disclosed_vendor.size_band)
    assert "checked" not in checkbox(body, "size", other_band)
    chips = body.split('class="chips"')[1].split("</ul>")[0]
    assert f"Remove filter Delivery country: {country_name(country)}" in chips
    assert f"Remove filter Company size: {FACET_VALUES['size'][disclosed_vendor.size_band]}" in html.unescape(
        chips
    )


def test_buyer_country_is_remembered_in_a_cookie_and_used_on_the_next_visit(seeded_client, seeded):
    from_gb = select(VendorFacetValue.vendor_id).where(
        VendorFacetValue.facet == "country", VendorFacetValue.value == "GB"
    )
    vendor = published(Vendor.id.in_(from_gb))
    assert vendor, "the sample data should have a vendor delivering from the United Kingdom"
    vendor = vendor[0]
    response = seeded_client.get("/vendors?buyer_country=GB")
    assert "buyer_country=GB" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]

    body = page(seeded_client, f"/vendors?{narrowing_query(vendor).replace('&buyer_country=US', '')}")
    assert '<option value="GB" selected>' in body
    assert "United Kingdom Onshore" in text_of(card_for(body, vendor))
    vendor_page = page(seeded_client, f"/vendors/{vendor.slug}")
    assert '<option value="GB" selected>' in vendor_page
    assert "United Kingdom Onshore" in text_of(vendor_page)


def test_pagination_links_keep_the_filters(seeded_client, seeded):
    size = max(rules.SIZE_LABELS, key=lambda band: sum(v.size_band == band for v in published()))
    total = sum(vendor.size_band == size for vendor in published())
    assert total > 4, "the sample data should have more than four vendors of one size"
    body = page(seeded_client, f"/vendors?size={size}&per_page=2&sort=rate")
    assert f"Page 1 of {-(-total // 2)}" in body
    next_href = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', body).group(1))
    args = parse_qs(urlsplit(next_href).query)
    assert args["size"] == [size] and args["per_page"] == ["2"] and args["sort"] == ["rate"]
    assert args["page"] == ["2"]

    second = page(seeded_client, next_href)
    assert "Page 2 of" in second
    prev_href = html.unescape(re.search(r'<a rel="prev" href="([^"]+)"', second).group(1))
    assert parse_qs(urlsplit(prev_href).query) == {
        "buyer_country": ["US"],
        "size": [size],
        "per_page": ["2"],
        "sort": ["rate"],
    }
    assert "checked" in checkbox(second, "size", size)


def test_a_bad_address_keeps_the_search_and_says_what_was_left_out_beside_each_field(seeded_client):
    body = page(seeded_client, "/vendors?q=billing&size=huge&page=abc&rate_min=cheap&buyer_country=ZZ")
    for parameter in ("size", "page", "rate_min", "buyer_country"):
        assert f'id="problem-{parameter}"' in body, parameter
    # Each message is tied to the control it is about, so a screen reader reads it there.
    for control, parameter in (
        ("facet-size", "size"),
        ("rate_min", "rate_min"),
        ("buyer_country", "buyer_country"),
    ):
        tag = re.search(rf'<(?:input|select|fieldset)[^>]*\bid="{control}"[^>]*>', body).group(0)
        assert f"problem-{parameter}" in re.search(r'aria-describedby="([^"]*)"', tag).group(1), control
    assert "“huge” is not a company size the directory knows" in text_of(body)
    assert "Enter an hourly rate in US dollars" in text_of(body)
    assert 'value="billing"' in body, "the search is kept"
    assert "vendors matching “billing”" in text_of(body)
    reversed_rates = page(seeded_client, "/vendors?q=billing&rate_min=20&rate_max=10")
    assert "The highest rate is below the lowest, so it was left out." in text_of(reversed_rates)
    assert re.search(r'id="rate_min"[^>]*value="20"', reversed_rates), "the rest of the filters are kept"
    past = page(seeded_client, "/vendors?q=billing&per_page=5&page=100000")
    last = re.search(r"the results end at page (\d+), shown here", text_of(past))
    assert last and f"Page {last.group(1)} of {last.group(1)}" in text_of(past)
    assert seeded_client.get("/api/v1/vendors?page=100000").status_code == 400, "the API keeps its 400s"


@pytest.mark.parametrize(
    ("address", "facet", "known"),
    [("size=huge&size=small", "size", "small"), ("country=PH&country=ZZ", "country", "PH")],
)
def test_an_unknown_filter_value_is_left_out_and_the_filters_other_values_kept(
    seeded_client, address, facet, known
):
    body = page(seeded_client, f"/vendors?{address}")
    assert f'id="problem-{facet}"' in body
    assert "checked" in checkbox(body, facet, known), "the known value stays chosen"
    shown = re.search(r"(\d+) vendors?", text_of(body)).group(1)
    alone = text_of(page(seeded_client, f"/vendors?{facet}={known}"))
    assert re.search(r"(\d+) vendors?", alone).group(1) == shown


def test_a_rate_the_directory_accepts_is_one_the_browser_lets_the_form_send(seeded_client):
    """A number input refuses to send a value off its step: a rate of 12.25 in the address must not stop
    the buyer from sending the form again."""
    body = page(seeded_client, "/vendors?rate_min=12.25&rate_max=40.1")
    for name, value in (("rate_min", Decimal("12.25")), ("rate_max", Decimal("40.1"))):
        field = re.search(rf'<input id="{name}"[^>]*>', body).group(0)
        assert f'value="{value}"' in field
        step = re.search(r'step="([^"]+)"', field).group(1)
        assert (
            step == "any"
            or (value - Decimal(re.search(r'min="([^"]+)"', field).group(1))) % Decimal(step) == 0
        )


def test_facet_counts_are_read_out_as_a_number_of_vendors(seeded_client):
    name = seeded_client.get("/api/v1/vendors?per_page=1").get_json()["items"][0]["name"]
    body = page(seeded_client, "/vendors?" + urlencode({"q": f'"{name}"'}))  # one vendor: counts of 0 and 1
    spoken = re.findall(r'<span class="count" aria-label="([^"]*)">(\d+)</span>', body)
    assert {count for _, count in spoken} >= {"0", "1"}
    for label, count in spoken:
        assert label == (f"{count} vendor" if count == "1" else f"{count} vendors")


def test_pages_are_numbered_with_first_and_last_and_a_choice_of_page_size(seeded_client):
    body = page(seeded_client, "/vendors?per_page=10&page=5")
    pages = re.findall(r'aria-label="Page (\d+)"', body)
    assert pages == ["3", "4", "6", "7"] and 'aria-current="page">5<' in body
    assert ">First<" in body and re.search(r">Last \(\d+\)<", body)
    assert '<option value="10" selected>' in body and '<option value="50"' in body


def test_a_value_giving_no_results_cannot_be_ticked_unless_it_is(seeded_client):
    body = page(seeded_client, "/vendors?certification=copc&certification=hipaa")
    counts = dict(
        re.findall(r'id="(\w+-[\w-]+)" name="\w+" value="[^"]*"\s*(?:checked)?\s*(disabled)?', body)
    )
    assert counts, "no facet values found"
    disabled = re.findall(r'<input type="checkbox" id="([^"]+)"[^>]*disabled', body)
    api = seeded_client.get("/api/v1/vendors?certification=copc&certification=hipaa").get_json()["facets"]
    zero = {f"{facet}-{value}" for facet, values in api.items() for value, n in values.items() if n == 0}
    assert disabled and set(disabled) == zero - {"certification-copc", "certification-hipaa"}


# ---------- vendor pages ----------


def test_vendor_page_shows_every_field(seeded_client, seeded):
    complete = [
        vendor
        for vendor in published(Vendor.hourly_rate_min.is_not(None))
        if vendor.website and vendor.contact_email and vendor.founded_year and vendor.min_seats
        if vendor.certifications and vendor.channels and vendor.languages
    ]
    assert complete, "the sample data should have a vendor with every field filled in"
    vendor = complete[0]
    body = page(seeded_client, f"/vendors/{vendor.slug}?buyer_country=US")
    text = text_of(body)
    assert f"<title>{html.escape(vendor.name)} · Open BPO Directory</title>" in body
    assert vendor.name in text and vendor.tagline in text
    for paragraph in vendor.description.split("\n\n"):
        assert " ".join(paragraph.split()) in text
    assert f"Headquarters {country_name(vendor.hq_country)}" in text
    for code in vendor.delivery_countries:
        shore = expected_shore("US", code)
        assert f"{country_name(code)} {rules.SHORES[shore]}" in text
    label = FACET_VALUES["size"][vendor.size_band]
    assert f"{vendor.employees:,} employees · {label[0].lower()}{label[1:]}" in text
    assert f"Founded {vendor.founded_year}" in text
    assert f"Minimum engagement {vendor.min_seats} seat" in text
    assert f"${vendor.hourly_rate_min:,.2f} {EN_DASH} ${vendor.hourly_rate_max:,.2f}" in text
    for facet, values in (
        ("specialisation", vendor.specialisations),
        ("channel", vendor.channels),
        ("language", vendor.languages),
        ("certification", vendor.certifications),
    ):
        for value in values:
            assert FACET_VALUES[facet][value] in text
    assert f'href="{html.escape(vendor.website)}"' in body
    assert f'href="mailto:{html.escape(vendor.contact_email)}"' in body
    assert f"Last verified {vendor.verified_at.isoformat()}" in text
    assert f'href="/api/v1/vendors/{vendor.slug}"' in body
    assert f'href="/estimate?vendor={vendor.slug}"' in body


def test_stale_listings_carry_a_warning_and_recent_ones_do_not(seeded_client, seeded):
    today = date.today()
    stale = published((Vendor.verified_at < today - timedelta(days=366)) | Vendor.verified_at.is_(None))
    recent = published(Vendor.verified_at > today - timedelta(days=300))
    assert stale and recent, "the sample data should have both stale and recently verified vendors"
    stale_page = page(seeded_client, f"/vendors/{stale[0].slug}")
    assert STALE_WARNING in stale_page
    assert 'class="verified stale" role="alert"' in stale_page
    recent_page = page(seeded_client, f"/vendors/{recent[0].slug}")
    assert STALE_WARNING not in recent_page
    assert f"Last verified {recent[0].verified_at.isoformat()}" in text_of(recent_page)


def test_a_never_verified_or_stale_listing_has_one_message_on_its_page_and_its_card(client):
    today = date.today()
    never, old, _fresh = add_vendors(
        vendor_record(name="Never Checked", verified_at=None),
        vendor_record(name="Long Ago", verified_at=(today - timedelta(days=500)).isoformat()),
        vendor_record(name="Just Checked", verified_at=(today - timedelta(days=10)).isoformat()),
    )
    listing = text_of(page(client, "/vendors"))
    for vendor, expected in [
        (never, "This listing has never been verified: check the details with the vendor."),
        (
            old,
            f"Last verified {old.verified_at.isoformat()}, over 12 months ago: "
            "check the details with the vendor.",
        ),
    ]:
        vendor_text = text_of(page(client, f"/vendors/{vendor.slug}"))
        assert vendor_text.count("verified") == 1 and expected in vendor_text, vendor.name
        assert expected in listing, vendor.name
    assert listing.count(STALE_WARNING) == 2


def test_vendor_page_judges_shores_from_the_chosen_country(seeded_client, seeded, disclosed_vendor):
    vendor = disclosed_vendor
    for buyer in ("US", "GB", "AU"):
        text = text_of(page(seeded_client, f"/vendors/{vendor.slug}?buyer_country={buyer}"))
        for code in vendor.delivery_countries:
            assert f"{country_name(code)} {rules.SHORES[expected_shore(buyer, code)]}" in text


def test_unknown_draft_and_archived_vendors_get_a_404_page(client):
    add_vendors(
        vendor_record(slug="drafted", name="Drafted Desk", status="draft"),
        vendor_record(slug="retired", name="Retired Desk", status="archived"),
        vendor_record(slug="live", name="Live Desk"),
    )
    page(client, "/vendors/live")
    for slug in ("drafted", "retired", "no-such-vendor"):
        body = page(client, f"/vendors/{slug}", status=404)
        assert "There is no published vendor at this address." in body
        assert 'href="/vendors"' in body and "fictional sample data" in body
    assert "Drafted Desk" not in page(client, "/vendors")
    page(client, "/no/such/page", status=404)


# ---------- safety and accessibility of the markup ----------

HOSTILE = '<script>alert("x")</script>'


def test_every_value_from_the_database_or_the_url_is_escaped(client):
    add_vendors(
        vendor_record(
            slug="hostile",
            name=f"Evil {HOSTILE} Ltd",
            tagline=f"tag {HOSTILE}",
            description=f"about {HOSTILE}\n\n<img src=x onerror=alert(1)>",
            website='https://example.com/"><script>alert(2)</script>',
        )
    )
    bodies = [
        page(client, "/vendors"),
        page(client, "/vendors/hostile"),
        page(client, "/vendors?size=%3Cscript%3Ealert(3)%3C/script%3E"),
        page(client, "/vendors?buyer_country=%22%3E%3Cscript%3E"),
    ]
    for body in bodies:
        assert "<script>alert" not in body and "<img src=x" not in body
    assert "Evil &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ltd" in bodies[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in bodies[1]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in bodies[2]


@pytest.mark.parametrize("url", ["/", "/vendors?size=small&country=PH", "VENDOR", "/vendors?size=huge"])
def test_every_control_has_a_label_and_every_id_is_unique(seeded_client, seeded, disclosed_vendor, url):
    url = f"/vendors/{disclosed_vendor.slug}" if url == "VENDOR" else url
    response = seeded_client.get(url)
    body = response.get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    labelled = set(re.findall(r'<label for="([^"]+)"', body))
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
        if 'type="hidden"' in control:
            continue
        control_id = re.search(r'\sid="([^"]+)"', control)
        assert control_id and control_id.group(1) in labelled, control
    assert '<html lang="en">' in body and '<meta name="viewport"' in body


def test_listing_and_vendor_pages_need_no_javascript(seeded_client, seeded, disclosed_vendor):
    listing = page(seeded_client, "/vendors")
    form_tag = re.search(r'<form id="filters"[^>]*>', listing).group(0)
    assert 'action="/vendors#results"' in form_tag and 'method="get"' in form_tag  # lands on the results
    form = listing.split(form_tag)[1].split("</form>")[0]
    assert '<button type="submit">Apply filters</button>' in form
    assert '<details class="filter-panel" id="filter-panel">' in form and "<summary>" in form
    vendor = page(seeded_client, f"/vendors/{disclosed_vendor.slug}")
    assert '<button type="submit">Update</button>' in vendor


def test_a_snippet_never_repeats_the_tagline_shown_above_it(client):
    [vendor] = add_vendors(
        vendor_record(name="Quiet Co", tagline="Quokka billing for clinics", description="We answer phones.")
    )
    card = card_for(page(client, "/vendors?q=quokka"), vendor)
    assert text_of(card).count("Quokka billing for clinics") == 1


def test_all_vendors_on_a_vendor_page_returns_to_the_search_it_came_from(client):
    [vendor] = add_vendors(vendor_record(name="Return Co", languages=["ms", "es"]))
    listing = "/vendors?q=return&size=small&sort=name"
    came = client.get(f"/vendors/{vendor.slug}", headers={"Referer": f"http://localhost{listing}"})
    body = came.get_data(as_text=True)
    assert f'href="{html.escape(listing)}">← All vendors' in body
    assert 'name="back" value="' + html.escape(listing) + '"' in body, "kept when the page reloads itself"
    again = page(client, f"/vendors/{vendor.slug}?buyer_country=GB&back={quote(listing)}")
    assert f'href="{html.escape(listing)}">← All vendors' in again
    for elsewhere in ("https://evil.example/vendors?q=x", "//evil.example/vendors", "/admin?q=x"):
        other = page(client, f"/vendors/{vendor.slug}?back={quote(elsewhere)}")
        assert re.search(r'href="/vendors\?buyer_country=[A-Z]{2}">← All vendors', other), elsewhere
    assert "Malay, Spanish" in text_of(body) and "macrolanguage" not in body


def test_a_buyer_country_chosen_on_a_vendor_page_is_the_one_its_listing_link_returns_with(client):
    [vendor] = add_vendors(vendor_record(name="Chosen Co", delivery_countries=["PH"]))
    listing = "/vendors?buyer_country=US&country=PH&sort=name"
    chosen = page(client, f"/vendors/{vendor.slug}?buyer_country=AU&back={quote(listing)}")
    returned = "/vendors?buyer_country=AU&country=PH&sort=name"
    assert f'href="{html.escape(returned)}">← All vendors' in chosen
    assert 'name="back" value="' + html.escape(returned) + '"' in chosen
    assert '<option value="AU" selected>' in page(client, returned), "the listing shows the country chosen"


def test_home_tiles_say_how_many_vendors_each_kind_of_work_holds(seeded_client):
    body = text_of(page(seeded_client, "/"))
    for slug, label in SPECIALISATIONS.items():
        held = seeded_client.get(f"/api/v1/vendors?specialisation={slug}").get_json()["total"]
        assert f"{label} {held:,} vendor{'' if held == 1 else 's'}" in body, slug


def test_the_404_page_speaks_in_the_sites_voice_with_a_search_box_and_the_main_sections(client):
    body = page(client, "/no-such-page", status=404)
    text = text_of(body)
    assert "We could not find that page" in text and "requested URL" not in text
    assert 'name="q" type="search"' in body
    for section in ("/vendors", "/estimate", "/shortlist"):
        assert f'href="{section}"' in body, section
    vendor_gone = text_of(page(client, "/vendors/no-such-vendor", status=404))
    assert "There is no published vendor at this address." in vendor_gone


@pytest.mark.parametrize("buyer_country", ["DE", "IN", "US"])
def test_every_buyer_country_select_offers_each_country_once_with_the_buyer_s_chosen(
    seeded_client, seeded, buyer_country
):
    """The select's options are made once per chosen country and reused: each page still lists every country
    in name order, escaped, with the buyer's own country the only one chosen."""
    from vendors.reference.countries import COUNTRIES

    slug = published()[0].slug
    token = csrf_token(seeded_client, "/vendors")
    assert seeded_client.post("/shortlist/add", data={"vendor": slug, "csrf_token": token}).status_code == 303
    for address in (
        f"/vendors?buyer_country={buyer_country}",
        f"/vendors/{slug}?buyer_country={buyer_country}",
        f"/compare?buyer_country={buyer_country}",
    ):
        body = page(seeded_client, address)
        select = re.search(r'<select id="buyer_country" name="buyer_country">(.*?)</select>', body, re.S)[1]
        options = re.findall(r'<option value="([A-Z]{2})"( selected)?>([^<]*)</option>', select)
        assert [code for code, _, _ in options] == list(COUNTRIES), address
        assert [code for code, chosen, _ in options if chosen] == [buyer_country], address
        assert [html.unescape(name) for _, _, name in options] == [c.name for c in COUNTRIES.values()]


def test_a_search_over_200_characters_is_cut_short_on_the_page_and_says_so(seeded_client):
    long_search = "customer support " * 15  # 255 characters
    page = seeded_client.get("/vendors", query_string={"q": long_search})
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    assert "Searches are limited to 200 characters; the words after that were left out." in body
    assert seeded_client.get("/api/v1/vendors", query_string={"q": long_search}).status_code == 400
