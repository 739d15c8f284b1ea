"""Search on the sample data, through /api/v1/vendors: relevance and the listing rules with q."""

from sqlalchemy import or_, select

from tests.test_directory_consistency import ITEM_VALUES
from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.extensions import db


def search(client, query: str) -> dict:
    response = client.get(f"/api/v1/vendors?per_page=100&{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def all_slugs(client, query: str) -> list[str]:
    slugs, page = [], 1
    while True:
        body = client.get(f"/api/v1/vendors?per_page=100&page={page}&{query}").get_json()
        slugs += [item["slug"] for item in body["items"]]
        if page >= body["pages"]:
            return slugs
        page += 1


def published_slugs(*conditions) -> set[str]:
    statement = select(Vendor.slug).where(Vendor.status == "published", *conditions)
    return set(db.session.scalars(statement))


def test_vendors_named_for_the_words_come_first(seeded_client, seeded_app):
    items = search(seeded_client, "q=medical+billing")["items"]
    names = [item["name"] for item in items]
    named = [name for name in names if "medical billing" in name.lower()]
    assert named and names[: len(named)] == named
    assert len(items) > len(named)  # description mentions follow


def test_a_vendor_found_by_its_whole_name_is_first(seeded_client, seeded_app):
    with seeded_app.app_context():
        name = db.session.scalar(select(Vendor.name).where(Vendor.status == "published").order_by(Vendor.id))
    assert search(seeded_client, f"q={name}")["items"][0]["name"] == name


def test_country_and_language_names_find_every_vendor_with_them(seeded_client, seeded_app):
    with seeded_app.app_context():
        colombian = published_slugs(
            or_(
                Vendor.hq_country == "CO",
                Vendor.id.in_(
                    select(VendorFacetValue.vendor_id).where(
                        VendorFacetValue.facet == "country", VendorFacetValue.value == "CO"
                    )
                ),
            )
        )
        spanish = published_slugs(
            Vendor.id.in_(
                select(VendorFacetValue.vendor_id).where(
                    VendorFacetValue.facet == "language", VendorFacetValue.value == "es"
                )
            )
        )
    assert colombian and set(all_slugs(seeded_client, "q=Colombia")) >= colombian
    assert spanish and set(all_slugs(seeded_client, "q=spanish")) >= spanish


def test_more_words_narrow_and_a_minus_word_excludes(seeded_client):
    support = set(all_slugs(seeded_client, "q=support"))
    narrower = set(all_slugs(seeded_client, "q=support+chat"))
    assert narrower and narrower < support
    without = set(all_slugs(seeded_client, "q=support+-chat"))
    assert without and without == support - narrower


def test_a_misspelling_finds_what_the_right_spelling_finds_and_says_so(seeded_client):
    right = search(seeded_client, "q=bookkeeping")
    wrong = search(seeded_client, "q=bokkeeping")
    assert wrong["suggestion"] == "bookkeeping"
    assert [item["slug"] for item in wrong["items"]] == [item["slug"] for item in right["items"]]
    assert right["suggestion"] is None


def test_every_facet_count_with_q_equals_the_results_of_choosing_it(seeded_client):
    q = '"customer support"'
    facets = search(seeded_client, f"q={q}")["facets"]
    for facet, counts in facets.items():
        for value, count in counts.items():
            body = search(seeded_client, f"q={q}&{facet}={value}")
            assert body["total"] == count, (facet, value)
            assert all(value in ITEM_VALUES[facet](item) for item in body["items"]), (facet, value)


def test_similar_vendors_do_the_same_main_kind_of_work_first(seeded_app):
    from vendors import search

    with seeded_app.test_request_context():
        vendors = db.session.scalars(select(Vendor).where(Vendor.status == "published")).all()
        sharing = listed = same_main_first = 0
        for vendor in vendors:
            similar = [db.session.get(Vendor, other) for other in search.similar(vendor.id)]
            listed += len(similar)
            sharing += sum(
                bool(set(other.specialisations) & set(vendor.specialisations)) for other in similar
            )
            same_main_first += bool(similar) and vendor.specialisations[0] in similar[0].specialisations
        db.session.remove()
    assert listed >= 4 * len(vendors)
    assert sharing >= 0.9 * listed, f"{sharing} of {listed} similar vendors share a specialisation"
    assert same_main_first >= 0.9 * len(vendors)


def test_similar_to_a_loaded_vendor_is_similar_read_from_the_database(seeded_app):
    """The vendor page passes the vendor it has loaded (similar_to); similar(id) reads it again. Both must
    give the same vendors, for every sample vendor, and the loaded vendor must be described by the very texts
    its index document holds, or its key terms would not be those of the vendor the index knows."""
    from vendors import search
    from vendors.catalog.models import published_vendor
    from vendors.search import readcache, schema

    with seeded_app.test_request_context():
        slugs = db.session.scalars(select(Vendor.slug).where(Vendor.status == "published")).all()
        compared = 0
        for slug in slugs:
            vendor = published_vendor(slug)
            with db.engine.connect() as connection:
                (indexed,) = schema.documents(connection, [vendor.id])
            described = search._described_by(vendor)
            assert described.texts == {name: indexed[name] for name in similar_fields()}, slug
            for limit in (5, 12):
                readcache.CACHE.clear()
                loaded = search.similar_to(vendor, limit)
                readcache.CACHE.clear()
                assert loaded == search.similar(vendor.id, limit), slug
                compared += bool(loaded)
        db.session.remove()
    assert compared >= 2 * len(slugs) - 2


def similar_fields() -> list[str]:
    from vendors.search import registry

    return [text_field.name for text_field in registry.VENDORS.fields if text_field.similar]


def test_key_terms_are_those_whoosh_picks(seeded_app):
    """matching.key_terms remembers collection frequencies but must pick what Whoosh's own expander picks,
    with the same weights: this fails when a Whoosh release changes how key terms are chosen."""
    from vendors import search
    from vendors.search import matching, schema

    with seeded_app.test_request_context():
        index = search._open_index()
        ids = list(db.session.scalars(select(Vendor.id).where(Vendor.status == "published")))
        with db.engine.connect() as connection:
            documents = list(schema.documents(connection, ids))
        compared = 0
        for document in documents:
            for field_name in similar_fields():
                for _ in range(2):  # the second time from the remembered frequencies
                    ours = matching.key_terms(index, field_name, document[field_name], number=10)
                    whooshs = index.searcher.key_terms_from_text(
                        field_name, document[field_name], numterms=10
                    )
                    assert ours == whooshs, (document["id"], field_name)
                compared += bool(ours)
    assert compared >= len(documents)


def reference_more_like(index, terms: dict[str, float], limit: int, exclude: int) -> tuple[list[int], bool]:
    """more_like's rule a document at a time, and whether it shortlisted: rare terms score every document
    holding them; when they find more than `limit`, only the best 3 * limit (equal scores by document number)
    also take the common terms."""
    from math import log

    from vendors.search import matching, registry, schema

    total = max(index.doc_count, 1)
    weights = registry.VENDORS.weights
    rare, common = [], []
    for term, weight in terms.items():
        per_field = {field: matching._term_postings(index, field, term) for field in schema.text_fields()}
        documents = len(set().union(*per_field.values()))
        if not documents:
            continue
        idf = log(1 + (total - documents + 0.5) / (documents + 0.5))
        gains: dict[int, float] = {}
        for field, per_doc in per_field.items():
            for docnum, tf in per_doc.items():
                gains[docnum] = gains.get(docnum, 0.0) + weights[field] * tf / (tf + matching.SATURATION)
        (common if documents >= total * matching.COMMON_SHARE else rare).append((weight * idf, gains))

    def add(scores: dict, factor_and_gains, only=None) -> None:
        factor, gains = factor_and_gains
        for docnum, gain in gains.items():
            if only is None or docnum in only:
                scores[docnum] = scores.get(docnum, 0.0) + factor * gain

    scores: dict[int, float] = {}
    for gains in rare:
        add(scores, gains)
    shortlisted = len(scores) > limit
    if not shortlisted:
        for gains in common:
            add(scores, gains)
    else:
        kept = sorted(scores, key=lambda docnum: (-scores[docnum], docnum))[
            : limit * matching.SHORTLIST_FACTOR
        ]
        scores = {docnum: scores[docnum] for docnum in kept}
        for gains in common:
            add(scores, gains, only=set(kept))
    best = sorted((-score, index.vendor_ids[docnum]) for docnum, score in scores.items())[: limit + 1]
    return [vendor_id for _, vendor_id in best if vendor_id != exclude][:limit], shortlisted


def test_more_like_sums_as_a_document_at_a_time_would(seeded_app):
    """The array sums give exactly the scores, and so the order, of summing each document's gains in turn:
    with few candidates (every term taken) and with many (the common terms on a shortlist only)."""
    from vendors import search
    from vendors.search import matching, schema

    with seeded_app.test_request_context():
        index = search._open_index()
        ids = list(db.session.scalars(select(Vendor.id).where(Vendor.status == "published")))
        with db.engine.connect() as connection:
            documents = list(schema.documents(connection, ids))
        paths = set()
        for document in documents:
            terms: dict[str, float] = {}
            for field_name in similar_fields():
                for term, weight in matching.key_terms(index, field_name, document[field_name], number=10):
                    terms[term] = max(weight, terms.get(term, 0.0))
            for limit in (3, 20, 100):
                expected, shortlisted = reference_more_like(index, terms, limit, exclude=document["id"])
                assert matching.more_like(index, terms, limit, exclude=document["id"]) == expected
                paths.add(shortlisted)
    assert paths == {True, False}  # both ways were taken


def test_the_shortlist_keeps_the_best_scores_and_the_lowest_docnums_among_equals():
    import random

    import numpy

    from vendors.search import matching

    rng = random.Random(7)
    for _ in range(300):
        size, take = rng.randint(0, 60), rng.randint(1, 40)
        docnums = numpy.array(sorted(rng.sample(range(500), size)), dtype=numpy.intp)
        scores = numpy.array([rng.choice((0.5, 1.0, 1.5, 2.0)) for _ in range(size)])
        best = sorted(
            zip(docnums.tolist(), scores.tolist(), strict=True), key=lambda pair: (-pair[1], pair[0])
        )
        expected = sorted(docnum for docnum, _ in best[:take])
        assert matching._best(docnums, scores, take).tolist() == expected
