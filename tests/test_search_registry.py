"""The registry is the one declaration of what is searched: add an entry, and every part of search has it."""

import dataclasses
from pathlib import Path

from whoosh.query import Term

from tests.factories import add_vendors, update_vendor, vendor_record
from vendors import pagecache, search
from vendors.catalog import changelog
from vendors.catalog.models import MULTI_VALUED
from vendors.directory import bitsets
from vendors.directory.params import FACET_TITLES, FACET_VALUES
from vendors.extensions import db
from vendors.search import fallback, indexing, readcache, registry, schema
from vendors.search.parsing import parse
from vendors.search.store import IndexFolder
from vendors.submissions.models import Submission


def test_a_field_added_to_the_registry_is_indexed_matched_shown_and_found_without_the_index(
    app, runner, monkeypatch
):
    [vendor] = add_vendors(
        vendor_record(
            name="Plain Name", description="Nothing unusual.", website="https://quokkaworks.example"
        )
    )
    add_vendors(vendor_record(name="Other Name", description="Nothing unusual either."))
    assert search.find("quokkaworks.example").ids == []

    website = registry.TextField("website", 1.5, columns=("website",), snippet=5)
    monkeypatch.setattr(
        registry, "VENDORS", dataclasses.replace(registry.VENDORS, fields=(*registry.VENDORS.fields, website))
    )
    assert "website:website//" in schema.schema_signature().split()
    assert schema.text_fields()[0] == "name", "fields go heaviest first"
    match = search.find("quokkaworks.example")
    assert match.from_index and match.ids == [vendor.id]
    assert "<mark>quokkaworks.example</mark>" in search.highlighted(match.stems, [vendor.id])[vendor.id]
    assert fallback.find_ids(parse("quokkaworks.example")) == [vendor.id]
    result = runner.invoke(args=["index", "status"])
    assert "Pending changes:        0" in result.output and "Problem" not in result.output


def test_the_stored_attributes_are_the_catalogues_and_the_directory_facets_come_from_the_registry():
    assert set(registry.VENDORS.stored_facets) == set(MULTI_VALUED)
    assert list(FACET_VALUES) == list(FACET_TITLES) == [a.facet for a in registry.VENDORS.attributes]
    for attribute in registry.VENDORS.attributes:
        assert FACET_VALUES[attribute.facet] is attribute.vocabulary


def test_every_text_field_is_gathered_from_columns_or_labels_the_registry_knows():
    kind = registry.VENDORS
    for text_field in kind.fields:
        assert bool(text_field.columns) != bool(text_field.labels_of), text_field.name
        assert set(text_field.labels_of) <= set(kind.stored_facets), text_field.name
        for column in (*text_field.columns, *text_field.coded_columns):
            assert hasattr(kind.model, column), column


def test_the_listing_computes_size_and_rate_bands_as_the_registry_declares(app, client, monkeypatch):
    add_vendors(vendor_record(employees=40), vendor_record(employees=9_000))
    bitsets._catalogues.clear()
    assert client.get("/api/v1/vendors").get_json()["facets"]["size"] == {"small": 1, "medium": 0, "large": 1}
    attributes = tuple(
        dataclasses.replace(attribute, compute=lambda _employees: "medium")
        if attribute.facet == "size"
        else attribute
        for attribute in registry.VENDORS.attributes
    )
    monkeypatch.setattr(registry, "VENDORS", dataclasses.replace(registry.VENDORS, attributes=attributes))
    bitsets._catalogues.clear()  # as a worker started after the change: no catalogue, listing or snapshot
    readcache.CACHE.clear()
    pagecache.PAGES.clear()
    (Path(app.config["SEARCH_INDEX_DIR"]) / bitsets.Snapshot.FILE).unlink()
    assert client.get("/api/v1/vendors").get_json()["facets"]["size"] == {"small": 0, "medium": 2, "large": 0}
    computed = [a.facet for a in registry.VENDORS.attributes if not a.stored and a.compute is None]
    assert computed == ["shore"], "only the shore is worked out at query time"


# A second kind of document over another table, as guides and reviews will be: its own fields, no attributes.
SUBMITTERS = registry.DocumentKind(
    name="submitter",
    folder="submitters",
    model=Submission,
    fields=(
        registry.TextField("submitter", 2.0, columns=("submitter_name",)),
        registry.TextField("note", 1.0, columns=("rejection_reason",)),
    ),
    attributes=(),
    published=Submission.status == "pending",
)


def _submission(name: str, note: str) -> int:
    submission = Submission(
        submitter_name=name, submitter_email="someone@example.com", record={}, rejection_reason=note
    )
    db.session.add(submission)
    db.session.flush()
    changelog.record_changes(db.session.connection(), [submission.id], kind=SUBMITTERS.name)
    db.session.commit()
    return submission.id


def _holding(root: str, field: str, stem: str) -> list[int]:
    """Ids of the indexed submitters whose field holds stem (deleted documents left out)."""
    with IndexFolder(root, SUBMITTERS).current().open().searcher() as searcher:
        return sorted(hit["vid"] for hit in searcher.search(Term(field, stem), limit=None))


def test_a_second_kind_of_document_shares_the_change_log_catch_up_rebuild_status_and_fallback(app):
    root = app.config["SEARCH_INDEX_DIR"]
    add_vendors(vendor_record(name="Harbour Support"))
    first = _submission("Marisol Quintero", "awaiting documents")
    _submission("Tobias Lindqvist", "")

    built = indexing.catch_up(db.engine, root, lock_timeout=5, kind=SUBMITTERS)
    assert built.rebuilt and built.documents == 2
    assert IndexFolder(root, SUBMITTERS).root != IndexFolder(root).root
    assert _holding(root, "submitter", "marisol") == [first]

    db.session.get(Submission, first).rejection_reason = "quarterly paperwork"
    changelog.record_changes(db.session.connection(), [first], kind=SUBMITTERS.name)
    db.session.commit()
    update_vendor(add_vendors(vendor_record(name="Second Vendor"))[0].id, tagline="Edited")
    assert indexing.status(db.engine, root, SUBMITTERS).pending == 1, "vendor changes are not its changes"
    caught_up = indexing.catch_up(db.engine, root, lock_timeout=5, kind=SUBMITTERS)
    assert (caught_up.indexed, caught_up.removed, caught_up.rebuilt) == (1, 0, False)
    assert _holding(root, "note", "quarterli") == [first] and _holding(root, "note", "await") == []
    assert indexing.status(db.engine, root, SUBMITTERS).pending == 0
    assert indexing.status(db.engine, root).documents == 2, "the vendors' index is its own"

    db.session.get(Submission, first).status = "rejected"
    changelog.record_changes(db.session.connection(), [first], kind=SUBMITTERS.name)
    db.session.commit()
    assert indexing.catch_up(db.engine, root, lock_timeout=5, kind=SUBMITTERS).removed == 1
    assert indexing.rebuild(db.engine, root, procs=1, kind=SUBMITTERS).documents == 1

    assert fallback.find_ids(parse("lindqvist"), SUBMITTERS) == [first + 1]
    assert fallback.find_ids(parse("quintero"), SUBMITTERS) == [], "only published documents"
    assert fallback.find_ids(parse("lindqvist")) == [], "vendors are searched as vendors"
