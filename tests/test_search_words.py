"""Search reads buyers' words: spellings, synonyms, joined forms, words naming filters, closest matches.

Each rule is checked as a rule: over every value of a vocabulary, or on words the data file does not list.
"""

from urllib.parse import urlencode

import pytest

from tests.factories import add_vendors, vendor_record
from vendors import search
from vendors.catalog.rules import SHORES
from vendors.directory.understanding import _phrases, understand
from vendors.reference import search_words
from vendors.reference.countries import COUNTRIES
from vendors.reference.taxonomy import CERTIFICATIONS, COVERAGE, SPECIALISATIONS
from vendors.search import registry
from vendors.search.parsing import parse, words_of
from vendors.search.schema import stem_of


def slugs(client, **params) -> set[str]:
    found, page = set(), 1
    while True:
        body = client.get(
            f"/api/v1/vendors?{urlencode({**params, 'per_page': 100, 'page': page})}"
        ).get_json()
        found |= {item["slug"] for item in body["items"]}
        if page >= body["pages"]:
            return found
        page += 1


def found(q: str) -> set[int]:
    return set(search.find(q).ids)


# The data file


def test_every_phrase_read_as_text_holds_a_word_that_would_name_a_filter(monkeypatch):
    """Otherwise its entry would change nothing: the phrase is read as text either way."""
    from vendors.directory import understanding

    for phrase in search_words.AS_TEXT:
        assert understand(phrase).understood == () and understand(phrase).text == phrase, phrase
    monkeypatch.setattr(understanding, "_as_text", lambda: ())
    for phrase in search_words.AS_TEXT:
        assert understand(phrase).understood, f"{phrase!r} names no filter: its entry is not needed"


def test_a_phrase_read_as_text_finds_the_vendors_writing_it(seeded_client):
    """ "market research" is what three sample vendors write, not Marketing and research."""
    as_a_phrase = slugs(seeded_client, q='"market research"')
    assert as_a_phrase and as_a_phrase <= slugs(seeded_client, q="market research")


@pytest.mark.parametrize("said", ["south america", "Central America", "south american"])
def test_the_americas_south_of_the_united_states_are_latin_america_not_the_united_states(seeded_client, said):
    assert slugs(seeded_client, q=said) == slugs(seeded_client, q="latin america") != set()


def test_every_entry_of_the_words_file_names_what_exists():
    regions = {country.region for country in COUNTRIES.values()}
    assert set(search_words.REGION_NAMES) <= regions
    assert all(set(covered) <= regions for covered in search_words.AREAS.values())
    for facet, values in search_words.FILTER_WORDS.items():
        vocabulary = registry.VENDORS.by_facet[facet].vocabulary
        assert set(values) <= set(vocabulary), facet
    for group in search_words.SAME:
        stems = {tuple(map(stem_of, words_of(phrase))) for phrase in group}
        assert all(stems) and len(stems) > 1, group
    for other, kept in search_words.SPELLING.items():
        assert stem_of(other) == stem_of(kept), (other, kept)


def test_other_forms_of_a_listed_spelling_meet_too():
    for other, kept in [
        ("organisation", "organization"),
        ("organisations", "organizations"),
        ("organised", "organized"),
        ("centre", "center"),
        ("specialised", "specialized"),
        ("colours", "colors"),
        ("licences", "licenses"),
        ("travelled", "traveled"),
        ("programmes", "programs"),
    ]:
        assert stem_of(other) == stem_of(kept), other
    for unrelated in ("analysis", "agent", "centrally", "colonial"):
        assert stem_of(unrelated) not in {stem_of(kept) for kept in search_words.SPELLING.values()}, unrelated
    assert stem_of("organised") != stem_of("organisation"), "as the README says, forms stay apart"


# Words, spellings, synonyms


@pytest.fixture
def worded(app):
    """Vendors writing the same things in different words."""
    texts = {
        "call": "Inbound call centre for retailers.",
        "contact": "A contact center in Leeds.",
        "helpdesk": "Helpdesk cover for software firms.",
        "desk": "Service desk and password resets.",
        "joined": "Backoffice processing of invoices.",
        "spaced": "Back office work: invoices and claims.",
        "apart": "The office at the back handles mail.",
        "colour": "Colour grading and optimisation of photos.",
        "debts": "Collections for utilities and lenders.",
        "moderators": "Trust and safety reviews for marketplaces.",
    }
    vendors = add_vendors(
        *(vendor_record(name=f"{key.title()} Ltd", description=t) for key, t in texts.items())
    )
    return {key: vendor.id for key, vendor in zip(texts, vendors, strict=True)}


def test_british_and_american_spellings_are_the_same_words(worded):
    for british, american in [("centre", "center"), ("colour", "color"), ("optimisation", "optimization")]:
        assert found(british) == found(american) != set(), british
    assert found('"call center"') == found('"call centre"') == {worded["call"]}


def test_a_synonym_finds_what_the_other_phrases_of_its_group_name(worded):
    assert {worded["call"], worded["contact"]} <= found("contact centre")
    assert {worded["call"], worded["contact"]} <= found("call center")
    assert {worded["helpdesk"], worded["desk"]} <= found("service desk") == found("help desk")
    assert worded["debts"] in found("debt recovery")
    assert worded["moderators"] in found("content moderation")


def test_joined_hyphenated_and_spaced_forms_give_the_same_results(worded):
    assert found("back office") == found("back-office") == found("backoffice")
    assert {worded["joined"], worded["spaced"]} <= found("back office")
    assert found("help desk") == found("help-desk") == found("helpdesk") != set()


def test_words_describing_every_vendor_never_empty_a_search(worded):
    for extra in ("bpo", "outsourcing company", "services provider", "vendors"):
        assert found(f"{extra} invoices") == found("invoices") != set(), extra
        assert found(f"invoices {extra}") == found("invoices"), extra
    assert len(found("outsourcing")) == len(worded)


def test_a_typo_correction_never_replaces_a_word_the_index_holds(worded):
    for word in ("centre", "colour", "backoffice", "helpdesk", "lenders", "utilities", "photos"):
        assert search.find(word).suggestion is None, word
    assert search.find("invoces").suggestion == "invoices"


def test_when_no_vendor_has_every_word_the_closest_matches_are_shown_and_marked(worded, client):
    match = search.find("lenders marketplaces")  # one vendor each, none both
    assert match.partial and set(match.ids) == {worded["debts"], worded["moderators"]}
    assert not search.find("invoices claims").partial
    assert search.find("lenders zzqxjv").partial and set(search.find("lenders zzqxjv").ids) == found(
        "lenders"
    )
    assert search.find("zzqxjv").ids == []
    page = client.get("/vendors?q=lenders+marketplaces").get_data(as_text=True)
    assert "No vendor matches every word; showing the closest matches" in page
    assert client.get("/api/v1/vendors?q=lenders+marketplaces").get_json()["partial"] is True


# Words that name a filter value


def test_every_name_of_a_country_specialisation_certification_and_coverage_acts_as_its_filter(seeded_client):
    named = [
        *(("country", code, country.name) for code, country in COUNTRIES.items()),
        *(("specialisation", slug, label) for slug, label in SPECIALISATIONS.items()),
        *(("certification", slug, label) for slug, label in CERTIFICATIONS.items()),
        *(("coverage", slug, label) for slug, label in COVERAGE.items()),
    ]
    checked = 0
    for facet, value, name in named:
        expected = slugs(seeded_client, **{facet: value})
        assert slugs(seeded_client, q=name) == expected, (facet, name)
        assert slugs(seeded_client, q=name.upper()) == expected, (facet, name)
        checked += bool(expected)
    assert checked > 30, "too few values hold vendors for the comparison to mean anything"


@pytest.mark.parametrize("buyer_country", ["US", "GB", "AU", "DE"])
def test_shore_words_list_what_the_shore_filter_lists_for_the_buyers_country(seeded_client, buyer_country):
    for shore, label in SHORES.items():
        expected = slugs(seeded_client, shore=shore, buyer_country=buyer_country)
        assert slugs(seeded_client, q=label.lower(), buyer_country=buyer_country) == expected, shore


def test_other_names_of_filter_values_and_qualifiers_act_as_the_filter(seeded_client):
    pairs = [
        ("ISO 27001 certified", {"certification": "iso-27001"}),
        ("gdpr compliant", {"certification": "gdpr"}),
        ("round the clock", {"coverage": "24-7"}),
        ("24x7", {"coverage": "24-7"}),
        ("spanish", {"language": "es"}),
        ("kpo", {"specialisation": "knowledge-research"}),
    ]
    for q, filters in pairs:
        assert slugs(seeded_client, q=q) == slugs(seeded_client, **filters) != set(), q


def test_a_region_lists_the_vendors_delivering_from_any_of_its_countries(seeded_client):
    for region in ("Latin America", "Southeast Asia", "Central and Eastern Europe"):
        codes = [code for code, country in COUNTRIES.items() if country.region == region]
        expected = set().union(*(slugs(seeded_client, country=code) for code in codes))
        assert slugs(seeded_client, q=region) == expected != set(), region
    assert slugs(seeded_client, q="eastern europe") == slugs(seeded_client, q="Central and Eastern Europe")


def test_filter_words_combine_with_text_and_the_page_shows_what_it_understood(seeded_client):
    body = seeded_client.get("/api/v1/vendors?q=nearshore+billing&buyer_country=US").get_json()
    [understood] = body["understood"]
    assert understood["label"] == "Nearshore for United States"
    assert understood["as_words"] == '"nearshore" billing'
    nearshore = slugs(seeded_client, shore="nearshore", buyer_country="US")
    billing = slugs(seeded_client, q="billing")
    assert slugs(seeded_client, q="nearshore billing", buyer_country="US") == nearshore & billing
    page = seeded_client.get("/vendors?q=nearshore+billing&buyer_country=US").get_data(as_text=True)
    assert "Nearshore for United States" in page and "%22nearshore%22" in page
    quoted = seeded_client.get('/api/v1/vendors?q="nearshore"+billing&buyer_country=US').get_json()
    assert quoted["understood"] == []


def test_understanding_leaves_quoted_and_excluded_words_alone():
    assert understand('"philippines" billing').understood == ()
    assert understand("billing -philippines").understood == ()
    assert understand("billing philippines").text == "billing"
    assert all(len(key) <= 6 for key in _phrases())


# Ordering


@pytest.mark.parametrize("words", ["philippines", "nearshore", "india"])
@pytest.mark.parametrize("beside", ["bpo {}", "{} outsourcing", "{} the", "in {}"])
def test_a_word_every_vendor_has_beside_filter_words_finds_them_in_the_same_order(
    seeded_client, words, beside
):
    """ "bpo philippines" finds what "philippines" finds, ordered as it is: by how well each vendor's text
    matches the filter words, then by name; not in the order vendors were added."""

    def in_order(q: str) -> list[str]:
        body = seeded_client.get(f"/api/v1/vendors?{urlencode({'q': q, 'per_page': 100})}").get_json()
        return [item["slug"] for item in body["items"]]

    alone = in_order(words)
    assert len(alone) > 2 and in_order(beside.format(words)) == alone


def test_a_new_search_from_the_directory_box_is_ordered_by_best_match_unless_a_sort_was_picked(client):
    carried = client.get("/vendors?q=billing&sort=rate&shown_q=&shown_sort=rate")
    assert carried.status_code == 303 and "sort=" not in carried.location
    picked = client.get("/vendors?q=billing&sort=size&shown_q=&shown_sort=rate")
    assert "sort=size" in picked.location
    same_words = client.get("/vendors?q=billing&sort=rate&shown_q=billing&shown_sort=rate")
    assert "sort=rate" in same_words.location and "shown" not in same_words.location


def test_parsing_keeps_group_phrases_together_and_drops_words_describing_everyone():
    parsed = parse("bpo contact centre staff")
    assert [clause.words for clause in parsed.required] == [("contact", "centre"), ("staff",)]
    assert {tuple(map(stem_of, option.words)) for option in parsed.required[0].alternatives} >= {
        ("call", "center")
    }
    assert parse('"bpo"').required[0].words == ("bpo",), "quoted words are kept as written"


def test_a_search_whose_words_and_named_filters_match_no_vendor_together_shows_the_closest(worded, client):
    body = client.get("/api/v1/vendors?q=lenders+india").get_json()  # India: no vendor delivers from it
    assert body["partial"] is True and [item["name"] for item in body["items"]] == ["Debts Ltd"]
    assert client.get("/api/v1/vendors?q=lenders+philippines").get_json()["partial"] is False
    assert client.get("/api/v1/vendors?q=india").get_json()["total"] == 0, "one part alone is never relaxed"
    page = client.get("/vendors?q=india").get_data(as_text=True)
    assert "No vendor matches “india”" in page and "Remove a filter" not in page
