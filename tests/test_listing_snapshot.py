"""A new worker process starts its listing bitsets from the machine's snapshot, not from every vendor."""

import pickle
from pathlib import Path

import pytest

from tests.factories import add_vendors, update_vendor, vendor_record
from vendors import pagecache
from vendors.catalog import changelog
from vendors.directory import bitsets
from vendors.extensions import db


def snapshot_file(app) -> Path:
    return Path(app.config["SEARCH_INDEX_DIR"]) / bitsets.Snapshot.FILE


def listed(client, **args) -> list[str]:
    pagecache.PAGES.clear()  # each call stands for a worker of its own, which reads the listing afresh
    response = client.get("/api/v1/vendors", query_string={"per_page": 100, **args})
    assert response.status_code == 200
    return sorted(item["slug"] for item in response.get_json()["items"])


@pytest.fixture
def full_reads(monkeypatch) -> list[int]:
    """Counts the catalogue's reads of every vendor, starting as a fresh worker with nothing in memory."""
    reads, real_load = [], bitsets._load
    monkeypatch.setattr(bitsets, "_load", lambda *args: reads.append(1) or real_load(*args))
    bitsets._catalogues.clear()
    return reads


def test_a_new_process_starts_from_the_snapshot_and_patches_in_later_edits(app, client, full_reads):
    _first, second = add_vendors(
        vendor_record(slug="first-co", specialisations=["legal"]), vendor_record(slug="second-co")
    )
    assert listed(client, specialisation="legal") == ["first-co"]
    assert snapshot_file(app).exists() and len(full_reads) == 1
    update_vendor(second.id, specialisations=["legal"])
    bitsets._catalogues.clear()  # another worker starts
    assert listed(client, specialisation="legal") == ["first-co", "second-co"]
    assert listed(client) == ["first-co", "second-co"]
    assert len(full_reads) == 1


def test_a_snapshot_of_another_database_version_or_content_is_not_used(
    app, client, full_reads, caplog, monkeypatch
):
    add_vendors(vendor_record(slug="only-co"))
    assert listed(client) == ["only-co"]
    with open(snapshot_file(app), "rb") as file:
        kept = pickle.load(file)
    assert kept["database"] == changelog.identity(db.session.connection())
    rewritten = [
        {**kept, "database": "another-database"},
        {**kept, "made_by": ("an older version",)},
        {**kept, "values": bitsets.Catalogue((0, None))},  # not a plain value: never unpickled
    ]
    for number, content in enumerate(rewritten, 2):
        with open(snapshot_file(app), "wb") as file:
            pickle.dump(content, file)
        bitsets._catalogues.clear()
        assert listed(client) == ["only-co"] and len(full_reads) == number
    assert "is not a plain value" in caplog.text

    snapshot_file(app).write_bytes(b"not a snapshot")
    bitsets._catalogues.clear()
    assert listed(client) == ["only-co"] and len(full_reads) == 5
