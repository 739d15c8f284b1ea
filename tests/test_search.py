"""Search behaviour: relevance, stemming, phrases, exclusion, typos, snippets, suggestions, similar vendors.

A small catalogue written for these properties is loaded once per backend; the tests only read it.
"""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import Markup

from tests.conftest import _database_url, app_with_data
from tests.factories import add_vendors, vendor_record
from vendors import search
from vendors.extensions import db
from vendors.search import readcache

CATALOGUE = [
    vendor_record(
        slug="medical-billing-partners",
        name="Medical Billing Partners",
        tagline="Revenue cycle for clinics",
        description="Claims, coding and denials for hospitals in the United States.",
        specialisations=["healthcare", "finance-accounting"],
        certifications=["hipaa"],
        delivery_countries=["PH"],
    ),
    vendor_record(
        slug="cebu-care",
        name="Cebu Care",
        tagline="Patient support",
        description=(
            "Patient support lines and appointment setting for clinics. We also handle medical billing "
            "questions; every claim is billed within two days. Billing, billing and more billing."
        ),
        specialisations=["healthcare", "customer-support"],
        delivery_countries=["PH"],
    ),
    vendor_record(
        slug="andes-contact",
        name="Andes Contact",
        tagline="Bilingual chat support from Bogotá",
        description="Customer support by chat and email for retailers; setting appointments on request.",
        hq_country="CO",
        delivery_countries=["CO"],
        languages=["es", "en"],
        channels=["chat", "email"],
    ),
    vendor_record(
        slug="safe-feed",
        name="SafeFeed",
        tagline="Trust and safety",
        description="Content moderation for marketplaces and social platforms, around the clock.",
        specialisations=["content-moderation"],
        hq_country="IN",
        delivery_countries=["IN"],
        channels=["back-office"],
    ),
    vendor_record(
        slug="ledger-lane",
        name="Ledger Lane",
        tagline="Bookkeeping for small firms",
        description="Bookkeeping, payroll and accounts payable. <script>alert(1)</script> & more.",
        specialisations=["finance-accounting"],
        delivery_countries=["PL"],
        hq_country="PL",
    ),
    vendor_record(
        slug="draft-vendor",
        name="Draft Bookkeeping Vendor",
        description="Bookkeeping that is not published yet.",
        status="draft",
    ),
    vendor_record(
        slug="voice-first",
        name="Voice First",
        tagline="Inbound customer service",
        description="Customer service by phone: order status, returns, appointment reminders.",
        specialisations=["customer-support"],
        channels=["voice"],
        delivery_countries=["MX"],
        hq_country="MX",
        languages=["es", "en"],
    ),
]


@pytest.fixture(scope="module")
def search_app(backend, request, tmp_path_factory):
    directory = tmp_path_factory.mktemp("search")
    url = _database_url(backend, request, directory, "search")
    with app_with_data(url, directory / "index", lambda: add_vendors(*CATALOGUE)) as app:
        yield app


@pytest.fixture
def ctx(search_app):
    with search_app.test_request_context():
        yield
        db.session.remove()


def slugs_for(q: str) -> list[str]:
    from sqlalchemy import select

    from vendors.catalog.models import Vendor

    ids = search.find(q).ids
    by_id = dict(db.session.execute(select(Vendor.id, Vendor.slug).where(Vendor.id.in_(ids))).all())
    return [by_id[vendor_id] for vendor_id in ids]


def test_a_name_match_outranks_description_mentions(ctx):
    found = slugs_for("medical billing")
    assert found[0] == "medical-billing-partners"
    assert "cebu-care" in found


def test_stemming_meets_word_forms(ctx):
    assert set(slugs_for("billed")) == {"medical-billing-partners", "cebu-care"}
    assert "andes-contact" in slugs_for("appointment settings")


def test_every_word_is_required_so_more_words_narrow(ctx):
    assert set(slugs_for("support")) >= {"cebu-care", "andes-contact", "voice-first"}
    assert slugs_for("support bogota chat") == ["andes-contact"]


def test_quoted_phrase_matches_only_the_phrase(ctx):
    assert slugs_for('"appointment setting"') == ["cebu-care"]
    assert set(slugs_for("appointment setting")) == {"cebu-care", "andes-contact"}


def test_a_bare_minus_word_excludes(ctx):
    assert slugs_for("billing -clinics") == []
    assert "cebu-care" not in slugs_for("appointment -patient")
    assert "andes-contact" in slugs_for("appointment -patient")


def test_country_and_language_names_find_vendors(ctx):
    assert slugs_for("Colombia") == ["andes-contact"]
    assert set(slugs_for("spanish")) == {"andes-contact", "voice-first"}
    assert slugs_for("spanish chat support") == ["andes-contact"]
    assert set(slugs_for("philippines")) == {"medical-billing-partners", "cebu-care"}


def test_case_and_accents_are_folded(ctx):
    assert slugs_for("BOGOTA") == slugs_for("bogotá") == ["andes-contact"]


def test_labels_and_certifications_are_searched(ctx):
    assert "medical-billing-partners" in slugs_for("hipaa")
    assert set(slugs_for("content moderation")) == {"safe-feed"}


def test_unpublished_vendors_are_never_found(ctx):
    assert slugs_for("bookkeeping") == ["ledger-lane"]


def test_misspelt_words_still_find_results_and_offer_a_suggestion(ctx):
    match = search.find("moderaton")
    assert slugs_for("moderaton") == ["safe-feed"]
    assert match.suggestion == "moderation"
    match = search.find("custmer suport")
    assert match.ids
    assert match.suggestion == "customer support"
    assert search.find("customer support").suggestion is None


def test_words_found_nowhere_find_nothing(ctx):
    match = search.find("xylophone")
    assert match.ids == []
    assert match.suggestion is None


@pytest.mark.parametrize(
    "q", ['"unbalanced', "AND OR NOT", "name:foo*", "(((", "-", '""', "*:*", "\\", "title:[a TO z]", '-"x y"']
)
def test_no_query_syntax_can_fail(search_app, q):
    """Whatever is typed is read as words, quotes and minus signs: a page of results, never an error."""
    client = search_app.test_client()
    response = client.get("/api/v1/vendors", query_string={"q": q, "per_page": 100})
    assert response.status_code == 200, q
    answer = response.get_json()
    assert answer["total"] == len(answer["items"]) <= len(CATALOGUE), q
    assert client.get("/vendors", query_string={"q": q}).status_code == 200, q


def test_a_query_of_only_stop_words_is_browsing(ctx):
    assert len(search.find("the and of").ids) == 6


def test_a_query_over_200_characters_is_refused(ctx):
    with pytest.raises(search.QueryTooLong):
        search.find("a" * 201)


def test_snippets_highlight_matches_in_escaped_text(ctx):
    match = search.find("bookkeeping payroll")
    [vendor_id] = match.ids
    snippet = search.snippets("bookkeeping payroll", match.ids)[vendor_id]
    assert isinstance(snippet, Markup)
    assert "<mark>Bookkeeping</mark>" in snippet and "<mark>payroll</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippets_follow_stemming_and_corrections(ctx):
    match = search.find("billed")
    texts = search.snippets("billed", match.ids)
    assert any("<mark>billed</mark>" in text for text in texts.values())
    match = search.find("moderaton")
    assert "<mark>moderation</mark>" in search.snippets("moderaton", match.ids)[match.ids[0]]


def test_snippets_can_come_from_the_attributes(ctx):
    match = search.find("colombia")
    assert "<mark>Colombia</mark>" in search.snippets("colombia", match.ids)[match.ids[0]]


def suggested(prefix: str, limit: int = 8) -> list[str]:
    return [name for name, _ in search.suggest_vendors(prefix, limit)]


def test_suggest_names_by_prefix(ctx):
    assert suggested("ced") == []
    assert suggested("ceb") == ["Cebu Care"]
    assert suggested("  LEDGER ") == ["Ledger Lane"]
    assert suggested("care") == ["Cebu Care"]
    assert suggested("draft") == []
    assert suggested("%") == []
    assert suggested("c") == ["Cebu Care", "Andes Contact"]
    assert suggested("c", limit=1) == ["Cebu Care"]


def test_similar_vendors_exclude_the_vendor_itself(ctx):
    from sqlalchemy import select

    from vendors.catalog.models import Vendor

    ids = dict(db.session.execute(select(Vendor.slug, Vendor.id)).all())
    similar = search.similar(ids["medical-billing-partners"])
    assert ids["medical-billing-partners"] not in similar
    assert similar[0] == ids["cebu-care"]
    assert len(search.similar(ids["cebu-care"])) > 2
    assert len(search.similar(ids["cebu-care"], limit=2)) == 2
    assert search.similar(ids["draft-vendor"]) == []


# Through the listing: the same query path as /vendors and /api/v1/vendors.


def api(search_app, query: str, status: int = 200) -> dict:
    response = search_app.test_client().get(f"/api/v1/vendors{query}")
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_api_q_sorts_by_relevance_and_counts_facets_on_the_matching_set(search_app):
    body = api(search_app, "?q=support")
    assert body["sort"] == "relevance"
    assert body["total"] == 3
    assert body["facets"]["language"]["es"] == 2
    assert body["facets"]["channel"]["chat"] == 1
    narrowed = api(search_app, "?q=support&language=es")
    assert narrowed["total"] == 2
    assert {item["slug"] for item in narrowed["items"]} == {"andes-contact", "voice-first"}
    assert narrowed["facets"]["language"]["es"] == 2


def test_api_relevance_order_and_other_sorts(search_app):
    assert api(search_app, "?q=medical+billing")["items"][0]["slug"] == "medical-billing-partners"
    by_name = api(search_app, "?q=medical+billing&sort=name")
    assert [item["slug"] for item in by_name["items"]] == ["cebu-care", "medical-billing-partners"]


def test_api_offers_the_suggestion(search_app):
    body = api(search_app, "?q=custmer+suport")
    assert body["suggestion"] == "customer support"
    assert body["total"] >= 1


def test_the_suggestion_keeps_the_words_that_named_filters(search_app):
    body = api(search_app, "?q=custmer+suport+philippines")
    assert any(item["facet"] == "country" for item in body["understood"]), "philippines names a country"
    assert body["suggestion"] == "customer support philippines"
    page = search_app.test_client().get("/vendors?q=custmer+suport+philippines").get_data(as_text=True)
    link = re.search(r'Did you mean <a href="([^"]+)"', page).group(1)
    assert parse_qs(urlsplit(html.unescape(link)).query)["q"] == ["customer support philippines"]


def test_api_refuses_an_overlong_query_with_a_clear_message(search_app):
    body = api(search_app, "?q=" + "a" * 201, status=400)
    assert "200" in body["errors"][0]["message"]


def test_page_shows_snippets_and_did_you_mean(search_app):
    page = search_app.test_client().get("/vendors?q=moderaton").get_data(as_text=True)
    assert "<mark>moderation</mark>" in page
    assert "Did you mean" in page


def test_snippets_are_made_for_the_page_that_shows_them_and_not_for_the_api(search_app, monkeypatch):
    made = []
    real = search.snippets_for
    monkeypatch.setattr(search, "snippets_for", lambda *args: made.append(args) or real(*args))
    readcache.CACHE.clear()  # snippets kept from another test's page would be made by none
    asked = "?q=billing&per_page=7"  # an address no other test's page cache holds
    assert api(search_app, asked)["total"] >= 1
    assert made == []
    assert "<mark>billing</mark>" in search_app.test_client().get("/vendors" + asked).get_data(as_text=True)
    assert len(made) == 1


def test_suggest_endpoint_returns_names_for_a_prefix(search_app):
    response = search_app.test_client().get("/api/v1/suggest?q=cebu")
    assert response.status_code == 200
    assert response.get_json()["names"] == ["Cebu Care"]
    assert search_app.test_client().get("/api/v1/suggest?q=").get_json()["names"] == []


def test_vendor_page_lists_similar_vendors(search_app):
    page = search_app.test_client().get("/vendors/medical-billing-partners").get_data(as_text=True)
    assert "Similar vendors" in page
    assert 'href="/vendors/cebu-care' in page


def test_search_box_offers_name_suggestions_without_depending_on_them(search_app):
    page = search_app.test_client().get("/vendors").get_data(as_text=True)
    assert 'list="q-suggestions"' in page and "/api/v1/suggest" in page
    assert 'method="get"' in page


def test_a_phrase_of_a_word_used_several_times_in_a_field(ctx):
    assert slugs_for('"billing billing"') == ["cebu-care"]
    assert slugs_for('"billing medical"') == []


@pytest.fixture(params=["every word common", "no word common"])
def phrase_ctx(request, backend, tmp_path, monkeypatch):
    """The catalogue indexed with adjacent-pair terms for every pair, or for none (positions only)."""
    from vendors.search import schema

    monkeypatch.setattr(schema, "PAIR_WORD_SHARE", 0.0 if request.param == "every word common" else 2.0)
    url = _database_url(backend, request, tmp_path, "phrases")
    with (
        app_with_data(url, tmp_path / "index", lambda: add_vendors(*CATALOGUE)) as app,
        app.test_request_context(),
    ):
        yield request.param
        db.session.remove()


def test_two_and_three_word_phrases_match_exactly_where_the_words_stand_together_in_one_field(phrase_ctx):
    """Every pair and triple of neighbouring words in the catalogue, and the same words reversed, against
    the documents' own analysed text: two common words are answered from adjacent-pair terms, other phrases
    from positions, and both must agree with reading the text."""
    from flask import current_app
    from sqlalchemy import select

    from vendors.catalog.models import Vendor
    from vendors.search import replica, schema

    index = replica.open_current(current_app.config["SEARCH_INDEX_DIR"])
    pair_words = schema.pair_words_of(index.searcher.schema)
    assert bool(pair_words) == (phrase_ctx == "every word common")

    with db.engine.connect() as connection:
        documents = list(schema.documents(connection))
    slug_of = dict(db.session.execute(select(Vendor.id, Vendor.slug)).all())
    stems_by_field = [
        (doc["vid"], [schema.STEMS.terms(doc[field]) for field in schema.text_fields()]) for doc in documents
    ]

    def standing_together(stems: list[str]) -> set[str]:
        width = len(stems)
        return {
            slug_of[vendor_id]
            for vendor_id, fields in stems_by_field
            if any(field[i : i + width] == stems for field in fields for i in range(len(field)))
        }

    phrases = set()
    for doc in documents:
        for field in schema.text_fields():
            words = schema.WORDS.terms(doc[field])
            for width in (2, 3):
                for start in range(len(words) - width + 1):
                    phrases.add(tuple(words[start : start + width]))
                    phrases.add(tuple(reversed(words[start : start + width])))
    assert len(phrases) > 200
    for words in sorted(phrases):
        expected = standing_together([schema.stem_of(word) for word in words])
        assert set(slugs_for('"' + " ".join(words) + '"')) == expected, words


def test_a_phrase_never_spans_two_fields_and_skips_stop_words_as_indexing_does(ctx):
    assert slugs_for('"partners revenue"') == [], "the last word of a name and the first of its tagline"
    assert slugs_for('"medical billing"') != []
    assert set(slugs_for('"bookkeeping for small"')) == set(slugs_for('"bookkeeping small"')) != set()


def test_bulk_build_in_processes_writes_what_whoosh_writes(search_app, tmp_path, monkeypatch):
    """A full build (several processes, several segments each) holds exactly the postings, positions and
    words that Whoosh's own writer produces for the same documents."""
    from whoosh import index as whoosh_index

    from vendors.search import bulk, schema
    from vendors.search.vocabulary import Vocabulary

    def contents(index) -> dict:
        found = {}
        with index.searcher() as searcher:
            for leaf, _offset in searcher.leaf_searchers():
                reader = leaf.reader()
                vendor_ids = list(reader.column_reader("vid"))
                for field, term in reader.all_terms():
                    if field != "vid":
                        postings = reader.postings(field, term)
                        while postings.is_active():
                            found[(field, term, vendor_ids[postings.id()])] = postings.weight()
                            postings.next()
                        if field in schema.position_fields():
                            for docnum, positions in reader.postings(field, term).items_as("positions"):
                                found[(field, term, vendor_ids[docnum], "at")] = positions
        return found

    monkeypatch.setattr(bulk, "SEGMENT_DOCUMENTS", 2)
    with search_app.app_context():
        (tmp_path / "bulk").mkdir()
        with db.engine.connect() as connection:
            pair_words = schema.choose_pair_words(list(schema.documents(connection)))
        built = whoosh_index.create_in(str(tmp_path / "bulk"), schema.build_schema(pair_words=pair_words))
        words = bulk.build(db.engine, built, procs=2)
        (tmp_path / "plain").mkdir()
        plain = whoosh_index.create_in(str(tmp_path / "plain"), schema.build_schema(pair_words=pair_words))
        expected = Vocabulary()
        writer = plain.writer()
        with db.engine.connect() as connection:
            for document in schema.documents(connection):
                writer.add_document(**document)
                expected.add_document(schema.words_in(" ".join(document[f] for f in schema.text_fields())))
        writer.commit()
    built = whoosh_index.open_dir(str(tmp_path / "bulk"), schema=schema.build_schema(pair_words=pair_words))
    plain = whoosh_index.open_dir(str(tmp_path / "plain"), schema=schema.build_schema(pair_words=pair_words))
    assert len(built._segments()) > 2
    assert built.doc_count() == plain.doc_count() > 4
    assert contents(built) == contents(plain)
    assert words.counts == expected.counts


def test_words_and_names_meet_whatever_their_case_accents_or_ligatures(client):
    add_vendors(
        vendor_record(
            slug="bajio-logistics",
            name="Bajío Logistics",
            description="A Straße office in İstanbul runs a ﬂexible desk.",
        )
    )
    for typed in ("bajio", "BAJÍO", "Bajío", "logist"):
        names = client.get("/api/v1/suggest", query_string={"q": typed}).get_json()["names"]
        assert names == ["Bajío Logistics"], typed
    for words in ("istanbul", "İstanbul", "ISTANBUL", "flexible", "ﬂexible", "strasse", "STRASSE", "straße"):
        body = client.get("/api/v1/vendors", query_string={"q": words}).get_json()
        assert [item["slug"] for item in body["items"]] == ["bajio-logistics"], words
    page = client.get("/vendors", query_string={"q": "istanbul flexible"}).get_data(as_text=True)
    assert "<mark>İstanbul</mark>" in page and "<mark>ﬂexible</mark>" in page


@pytest.mark.parametrize("q", ["😀", "the and", "!!!"])
def test_a_search_with_no_word_to_search_for_says_so_above_the_whole_directory(search_app, q):
    client = search_app.test_client()
    heading = re.search(
        r'<h1 id="results-heading">(.*?)</h1>', client.get("/vendors", query_string={"q": q}).text, re.S
    )
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).split())
    everyone = api(search_app, "")["total"]
    assert said == f"{everyone} vendors (“{q}” holds no word to search for)"
    searched = client.get("/vendors", query_string={"q": "billing"}).text
    assert "matching “billing”" in html.unescape(searched) and "holds no word" not in searched
