"""The index as a replica of the database: change log, catch-up, writer lock, rebuild, replicas, fallback."""

import ast
import gc
import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from tests.factories import TEST_ACTOR, add_vendors, delete_vendor, update_vendor, vendor_record
from vendors import search
from vendors.catalog import changelog
from vendors.catalog.models import Vendor
from vendors.catalog.writes import catalogue_writes
from vendors.extensions import db
from vendors.search import fallback, indexing, replica, schema, store
from vendors.search.parsing import parse
from vendors.search.store import LOCK_FILE, IndexFolder


def found(q: str) -> list[int]:
    return search.find(q).ids


def index_root(app) -> str:
    return app.config["SEARCH_INDEX_DIR"]


def status(app) -> indexing.Status:
    return indexing.status(db.engine, index_root(app))


def rename(vendor_id: int, name: str) -> None:
    update_vendor(vendor_id, name=name)


def test_every_kind_of_edit_is_searchable_right_after_its_commit(app):
    [vendor] = add_vendors(vendor_record(name="Zebra Logistics"))
    vendor_id = vendor.id
    assert found("zebra") == [vendor_id]

    rename(vendor_id, "Quagga Logistics")
    assert found("zebra") == []
    assert found("quagga") == [vendor_id]

    update_vendor(vendor_id, languages=["en", "es"])
    assert found("quagga spanish") == [vendor_id]

    for state, expected in (("draft", []), ("published", [vendor_id]), ("archived", [])):
        update_vendor(vendor_id, status=state)
        assert found("quagga") == expected

    update_vendor(vendor_id, status="published")
    delete_vendor(vendor_id)
    assert found("quagga") == []
    assert status(app).pending == 0
    assert status(app).documents == 0


def test_a_rolled_back_transaction_leaves_no_trace(app):
    [anchor] = add_vendors(vendor_record(name="Anchor Services"))
    logged = db.session.scalar(select(func.count()).select_from(changelog.SearchChange))

    with pytest.raises(RuntimeError), catalogue_writes(TEST_ACTOR) as writer:
        writer.create(vendor_record(name="Phantom Outsourcing"))
        writer.update(writer.session.get(Vendor, anchor.id), {"name": "Renamed Then Rolled Back"})
        writer.flush()
        raise RuntimeError("the import failed half way")

    assert found("phantom") == []
    assert found("rolled") == []
    assert found("anchor") == [anchor.id]
    assert db.session.scalar(select(func.count()).select_from(changelog.SearchChange)) == logged
    assert status(app).documents == 1
    assert status(app).pending == 0


# Another process (a gunicorn worker, a CLI command) holding the index writer lock until its stdin closes.
_HOLD_LOCK = """
import fcntl, sys
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_an_edit_made_while_another_process_holds_the_index_lock_is_saved_then_indexed(
    app, runner, monkeypatch
):
    [vendor] = add_vendors(vendor_record(name="Original Name"))
    monkeypatch.setattr(search, "AFTER_COMMIT_WAIT", 0.1)
    monkeypatch.setattr(search, "BEFORE_SEARCH_WAIT", 0.05)
    lock_file = str(IndexFolder(index_root(app)).root / LOCK_FILE)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, lock_file],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        rename(vendor.id, "Lighthouse Partners")
        db.session.expire_all()
        assert db.session.get(Vendor, vendor.id).name == "Lighthouse Partners"
        assert status(app).pending == 1
        # Searches keep being answered meanwhile, with the edit: from the database, since the index lacks it.
        assert found("lighthouse") == [vendor.id] and found("original") == []
        assert not search.find("lighthouse").from_index
        result = runner.invoke(args=["index", "status"])
        assert "Pending changes:        1" in result.output
    finally:
        holder.stdin.close()
        holder.wait(30)
        holder.stdout.close()
    assert holder.returncode == 0
    result = runner.invoke(args=["index", "catch-up"])
    assert result.exit_code == 0, result.output
    assert status(app).pending == 0
    assert found("lighthouse") == [vendor.id]
    assert found("original") == []


def test_while_the_index_cannot_catch_up_pages_try_again_once_a_while_not_on_every_request(
    app, client, monkeypatch
):
    [vendor] = add_vendors(vendor_record(name="Tried Co"))
    tries = []

    def busy(_engine, _root, lock_timeout, *_args, **_kwargs):  # another writer holds the index
        tries.append(lock_timeout)
        raise store.IndexBusy("held by another writer")

    monkeypatch.setattr(indexing, "catch_up", busy)
    monkeypatch.setattr(search, "BEHIND_VERDICT_SECONDS", 1.0)
    update_vendor(vendor.id, name="Tried Again Co")
    tries.clear()  # the edit's own try, after its commit

    for path in ("/vendors?q=tried", "/vendors/" + vendor.slug, "/vendors?q=again", "/api/v1/vendors") * 3:
        assert client.get(path).status_code == 200, path
    assert tries == [search.BEFORE_SEARCH_WAIT], "one try for all those pages"
    assert "Tried Again Co" in client.get("/vendors?q=again").text, "the edit, found in the database"

    update_vendor(vendor.id, name="Tried Thrice Co")  # the log moves: the verdict no longer stands
    tries.clear()
    client.get("/vendors?q=thrice"), client.get("/vendors?q=thrice&sort=name")
    assert tries == [search.BEFORE_SEARCH_WAIT]
    time.sleep(search.BEHIND_VERDICT_SECONDS)
    client.get("/vendors?q=thrice")
    assert tries == [search.BEFORE_SEARCH_WAIT] * 2, "tried again once the verdict's time is up"


def test_an_index_with_more_changes_pending_than_a_request_applies_is_passed_over_until_caught_up(
    app, runner, monkeypatch
):
    vendors = add_vendors(*(vendor_record(name=f"Harbour {n}") for n in range(3)))
    assert search.find("harbour").from_index
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 0)
    for vendor in vendors[:2]:
        rename(vendor.id, f"Lantern {vendor.id}")
    assert status(app).pending == 2
    match = search.find("lantern")
    assert sorted(match.ids) == sorted(vendor.id for vendor in vendors[:2]) and not match.from_index
    assert found("harbour") == [vendors[2].id]
    result = runner.invoke(args=["index", "catch-up"])
    assert result.exit_code == 0, result.output
    match = search.find("lantern")
    assert sorted(match.ids) == sorted(vendor.id for vendor in vendors[:2]) and match.from_index


def test_a_failure_between_commit_and_indexing_is_repaired_before_the_next_search(app, monkeypatch):
    add_vendors(vendor_record(name="Before Failure"))

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(indexing, "catch_up", crash)
    [vendor] = add_vendors(vendor_record(name="Saved Anyway"))
    assert status(app).pending == 1
    monkeypatch.undo()
    assert found("saved anyway") == [vendor.id]
    assert status(app).pending == 0


def test_bulk_inserted_vendors_are_logged_and_found(app):
    add_vendors(vendor_record(name="First Vendor"))
    with catalogue_writes(TEST_ACTOR) as writer:
        [vendor_id] = writer.insert_many(
            [vendor_record(name="Core Inserted", description="Bulk loaded nearshore helpdesk.")]
        )
    assert found("helpdesk") == [vendor_id]


def test_rebuild_and_incremental_indexing_give_the_same_results(app, runner):
    vendors = add_vendors(
        vendor_record(name="Alpha Billing", description="Medical billing and coding", languages=["en", "es"]),
        vendor_record(name="Beta Care", description="Patient support and billing questions"),
        vendor_record(name="Gamma Chat", description="Chat support in Spanish", channels=["chat"]),
        vendor_record(name="Delta Books", description="Bookkeeping for clinics"),
        vendor_record(name="Epsilon Voice", description="Appointment setting by phone"),
    )
    rename(vendors[1].id, "Beta Patient Care")
    update_vendor(vendors[3].id, status="draft")
    delete_vendor(vendors[4].id)
    queries = [
        "billing",
        "support",
        "spanish",
        "bookkeeping",
        "patient",
        "appointment",
        "care -patient",
        "biling",
    ]
    incremental = {q: (search.find(q).ids, search.find(q).suggestion) for q in queries}
    before = status(app).generation

    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert status(app).generation != before
    rebuilt = {q: (search.find(q).ids, search.find(q).suggestion) for q in queries}
    assert rebuilt == incremental
    assert rebuilt["billing"][0][0] == vendors[0].id


def test_searches_are_served_from_the_old_generation_until_the_switch(app):
    [vendor] = add_vendors(vendor_record(name="Steady Search"))
    old = replica.open_current(index_root(app))
    indexing.rebuild(db.engine, index_root(app))
    new = replica.open_current(index_root(app))
    assert new.path != old.path
    assert old.path.exists()  # the previous generation is kept for searches already under way
    from vendors.search import matching
    from vendors.search.parsing import parse

    assert list(matching.rank(old, parse("steady")).vendor_ids) == [vendor.id]
    assert found("steady") == [vendor.id]
    indexing.rebuild(db.engine, index_root(app))
    indexing.rebuild(db.engine, index_root(app))
    generations = [
        path for path in IndexFolder(index_root(app)).root.iterdir() if path.name.startswith("gen-")
    ]
    assert len(generations) == 2


def test_status_and_catch_up_commands(app, runner):
    result = runner.invoke(args=["index", "catch-up"])
    assert result.exit_code == 0, result.output
    assert "0 vendors" in result.output
    add_vendors(vendor_record(name="Shown Vendor"), vendor_record(name="Hidden Vendor", status="draft"))
    result = runner.invoke(args=["index", "status"])
    assert result.exit_code == 0, result.output
    assert "Published vendors (db): 1" in result.output
    assert "Documents in index:     1" in result.output
    assert "Pending changes:        0" in result.output
    result = runner.invoke(args=["index", "catch-up"])
    assert "up to date" in result.output


def test_an_index_built_from_another_database_is_replaced(app):
    [vendor] = add_vendors(vendor_record(name="Fresh Database"))
    IndexFolder(index_root(app)).current().set_applied(10_000)
    replica.forget(index_root(app))
    indexing.catch_up(db.engine, index_root(app), lock_timeout=5)
    assert status(app).applied == status(app).head
    assert found("fresh") == [vendor.id]


def test_an_index_of_another_database_at_the_same_change_is_never_searched(app, runner, tmp_path):
    """Two databases whose logs both end at change 1: the position alone cannot tell their indexes apart."""
    [billing] = add_vendors(vendor_record(slug="billing-experts", name="Medical Billing Experts"))
    assert found("billing") == [billing.id]
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite3'}", Path(index_root(app)))
    try:
        with other.app_context():
            db.create_all()
            [legal] = add_vendors(vendor_record(slug="legal-eagles", name="Legal Eagles"))
            assert changelog.head(db.session.connection()) == 1
            assert found("billing") == []
            assert found("legal") == [legal.id]
            db.session.remove()
        assert "built from another database" in runner.invoke(args=["index", "status"]).output
        result = runner.invoke(args=["index", "catch-up"])
        assert result.exit_code == 0 and "Built the search index: 1 vendors" in result.output
        assert found("legal") == [] and found("billing") == [billing.id]
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _edit_and_search(database_url: str, index_dir: str, worker: int, edits: int) -> None:
    app = make_app(database_url, index_dir)
    with app.app_context():
        for number in range(edits):
            [vendor] = add_vendors(
                vendor_record(slug=f"worker-{worker}-{number}", name=f"Worker{worker} Edit{number}")
            )
            assert search.find(f"worker{worker} edit{number}").ids == [vendor.id]
        db.engine.dispose()


def test_worker_processes_share_one_index_folder(app):
    url, root = app.config["SQLALCHEMY_DATABASE_URI"], index_root(app)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_edit_and_search, args=(url, root, worker, 6)) for worker in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert status(app).documents == 12
    assert status(app).pending == 0


def test_two_index_folders_over_one_database_each_catch_up_from_the_change_log(app, backend, tmp_path):
    # Two machines: each keeps its own index folder over the shared database.
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "other-machine-index")
    [vendor] = add_vendors(vendor_record(name="Harbour Contact"))
    assert found("harbour") == [vendor.id]
    try:
        with other.app_context():
            assert found("harbour") == [vendor.id]
            rename(vendor.id, "Beacon Contact")
            assert found("beacon") == [vendor.id]
            db.session.remove()
        assert found("beacon") == [vendor.id]
        assert found("harbour") == []
        assert Path(index_root(app)) != Path(index_root(other))
        with other.app_context():
            assert status(other).applied == status(other).head
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unreadable_index_falls_back_to_the_database(app, client, runner, caplog):
    [vendor] = add_vendors(
        vendor_record(name="Fallback Vendor", description="Nearshore chat", languages=["es"], hq_country="CO")
    )
    assert search.find("fallback").from_index
    generation = IndexFolder(index_root(app)).current().path
    for toc in generation.glob("*.toc"):
        toc.write_bytes(b"not an index")
    replica.forget(index_root(app))

    match = search.find("fallback")
    assert match.ids == [vendor.id]
    assert not match.from_index
    assert "answering searches from the database" in caplog.text
    assert found("spanish nearshore") == [vendor.id]
    assert found("fallback -chat") == []
    assert found("colombia") == [vendor.id]
    assert client.get("/api/v1/vendors?q=fallback").get_json()["total"] == 1
    assert "<mark>chat</mark>" in search.snippets("chat", [vendor.id])[vendor.id]
    assert search.similar(vendor.id) == []  # the only vendor: never similar to itself

    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert search.find("fallback").from_index


def test_a_missing_index_too_big_to_build_during_a_request_falls_back(app, runner, monkeypatch):
    [vendor] = add_vendors(vendor_record(name="Big Directory"))
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 0)
    shutil.rmtree(index_root(app))
    replica.forget(index_root(app))
    match = search.find("directory")
    assert match.ids == [vendor.id]
    assert not match.from_index
    result = runner.invoke(args=["index", "catch-up"])
    assert result.exit_code == 0, result.output
    assert search.find("directory").from_index


def test_a_search_matching_every_vendor_lists_exactly_what_browsing_lists(app, client):
    """The search listing (bitsets) and the browsing listing (SQL) follow the same rules."""
    add_vendors(
        vendor_record(delivery_countries=["PH", "IN"], languages=["en", "tl"], employees=40),
        vendor_record(delivery_countries=["MX"], hq_country="MX", languages=["es"], employees=900),
        vendor_record(delivery_countries=["US"], hq_country="US", employees=8000, certifications=["hipaa"]),
        vendor_record(hourly_rate_min=None, hourly_rate_max=None, channels=["chat", "email"]),
        vendor_record(hourly_rate_min="25.00", hourly_rate_max="40.00", specialisations=["sales"]),
        vendor_record(hourly_rate_min="55.00", hourly_rate_max="70.00", delivery_countries=["GB", "PL"]),
        vendor_record(status="draft"),
        vendor_record(verified_at=None, name="aardvark lower case"),
        vendor_record(verified_at="2025-01-01", employees=120, name="Zulu Last"),
    )
    queries = [
        "",
        "&sort=name",
        "&sort=rate",
        "&sort=size&per_page=2&page=2",
        "&sort=verified",
        "&country=PH&country=MX",
        "&shore=nearshore&buyer_country=MX",
        "&shore=offshore&size=small",
        "&rate_band=undisclosed",
        "&rate_min=20&rate_max=50",
        "&rate_max=10&language=en",
        "&certification=hipaa&channel=voice",
        "&specialisation=sales&specialisation=customer-support&sort=rate",
    ]
    for query in queries:
        query += "" if "sort=" in query else "&sort=name"
        browsing = client.get(f"/api/v1/vendors?{query}").get_json()
        searching = client.get(f"/api/v1/vendors?q=vendor{query}").get_json()
        for body in (browsing, searching):
            body.pop("q"), body.pop("suggestion")
        assert searching == browsing, query


def test_rebuild_reports_progress_per_segment_and_ends_with_a_summary(app, runner, monkeypatch):
    from vendors.search import bulk

    monkeypatch.setattr(bulk, "SEGMENT_DOCUMENTS", 2)
    add_vendors(*(vendor_record() for _ in range(5)))
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert [line.strip() for line in result.output.splitlines() if "indexed" in line and " of " in line] == [
        "indexed 2 of 5 vendors",
        "indexed 4 of 5 vendors",
        "indexed 5 of 5 vendors",
    ]
    assert "Rebuilt the search index: 5 vendors" in result.output
    assert len(search.find("testing").ids) == 5


def test_an_index_built_without_the_positions_fields_is_rebuilt(app, runner, monkeypatch):
    """An index written by an older version (text fields with positions, no `*_at` fields, no schema
    signature) is not read as if it could answer phrases: searches of a catalogue too big to rebuild during a
    request fall back to the database until a catch-up rebuilds it."""
    from whoosh import fields
    from whoosh import index as whoosh_index

    from vendors.search import schema

    [vendor] = add_vendors(vendor_record(name="Older Schema Vendor", description="Medical billing support"))
    assert found('"medical billing"') == [vendor.id]
    generation = IndexFolder(index_root(app)).current().path
    for path in [*generation.glob("MAIN_*.*"), *generation.glob("*.toc"), generation / store.SCHEMA_FILE]:
        path.unlink()
    old = fields.Schema(
        id=fields.ID(unique=True), **{name: fields.TEXT(phrase=True) for name in schema.text_fields()}
    )
    whoosh_index.create_in(str(generation), old)
    replica.forget(index_root(app))
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 0)
    match = search.find('"medical billing"')
    assert match.ids == [vendor.id] and not match.from_index

    result = runner.invoke(args=["index", "catch-up"])
    assert result.exit_code == 0, result.output
    match = search.find('"medical billing"')
    assert match.ids == [vendor.id] and match.from_index


def test_with_the_index_unreadable_every_query_is_answered_once_warned_and_never_reopened(
    app, client, caplog, monkeypatch
):
    billing, chat = add_vendors(
        vendor_record(name="Ledger Billing Co", description="Medical billing."),
        vendor_record(name="Parlour Chat", description="Chat support."),
    )
    assert search.find("billing").from_index
    for toc in IndexFolder(index_root(app)).current().path.glob("*.toc"):
        toc.write_bytes(b"not an index")
    replica.forget(index_root(app))
    search.WARNINGS.warned_at.clear()
    opened = []
    real_reading = store.Generation.reading
    monkeypatch.setattr(store.Generation, "reading", lambda self: opened.append(self) or real_reading(self))
    monkeypatch.setattr(gc, "collect", lambda *args: pytest.fail("garbage collection on the request path"))

    expected = {
        "-billing": [chat.id],
        "the": sorted([billing.id, chat.id]),
        "!!!": sorted([billing.id, chat.id]),
        '"the of"': sorted([billing.id, chat.id]),
        "billing -chat": [billing.id],
    }
    for q, ids in expected.items():
        response = client.get("/api/v1/vendors", query_string={"q": q})
        assert response.status_code == 200, q
        assert sorted(item["slug"] for item in response.get_json()["items"]) == sorted(
            vendor.slug for vendor in (billing, chat) if vendor.id in ids
        ), q
    assert len(opened) == 1, "a damaged generation is opened again on every search"
    assert caplog.text.count("answering searches from the database") == 1
    assert "Traceback" not in caplog.text


def test_the_catalogue_announces_changes_and_never_imports_search():
    catalogue = Path(__file__).resolve().parents[1] / "vendors" / "catalog"
    imports = []
    for path in sorted(catalogue.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                imports.append((path.name, node.lineno, node.module or ""))
            elif isinstance(node, ast.Import):
                imports += [(path.name, node.lineno, alias.name) for alias in node.names]
    assert len(imports) > 20, "the walk found the catalogue's imports"
    assert [found for found in imports if found[2].startswith("vendors.search")] == []


def test_a_writer_waits_its_whole_timeout_for_the_lock_then_gives_up(app):
    folder = IndexFolder(index_root(app))
    folder.root.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(folder.root / LOCK_FILE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(store.IndexBusy), folder.writer_lock(0.3):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        holder.stdin.close()
        holder.wait(30)
        holder.stdout.close()
    with folder.writer_lock(0.3):
        pass


_OPEN_WITHOUT_THE_PROJECT = """
import sys
sys.modules["vendors"] = None  # any import of the project fails
from whoosh import index
print(index.open_dir(sys.argv[1]).doc_count())
"""


def test_an_index_holds_nothing_of_the_project_and_survives_its_classes_renamed(app):
    [vendor] = add_vendors(vendor_record(name="Pickle Free"))
    rename(vendor.id, "Pickle Free Partners")  # a catch-up through Whoosh's writer, writing its own TOC
    generation = IndexFolder(index_root(app)).current()
    tables_of_contents = list(generation.path.glob("*.toc"))
    assert tables_of_contents
    assert all(b"vendors" not in toc.read_bytes() for toc in tables_of_contents)
    opened = subprocess.run(
        [sys.executable, "-c", _OPEN_WITHOUT_THE_PROJECT, str(generation.path)],
        capture_output=True,
        text=True,
    )
    assert opened.stdout.strip() == "1", opened.stderr

    classes = (schema.Counts, schema.CompactPositions, schema.FoldedWords)
    names = [(cls.__module__, cls.__qualname__) for cls in classes]
    try:
        for cls in classes:
            cls.__module__, cls.__qualname__ = "vendors.moved.elsewhere", f"Renamed{cls.__name__}"
        replica.forget(index_root(app))
        assert search.find("partners").from_index
        assert found("partners") == [vendor.id]
        assert IndexFolder(index_root(app)).current().path == generation.path, "the index was rebuilt"
    finally:
        for cls, (module, qualname) in zip(classes, names, strict=True):
            cls.__module__, cls.__qualname__ = module, qualname


def test_an_index_written_for_another_schema_version_is_rebuilt(app, runner, monkeypatch):
    [vendor] = add_vendors(vendor_record(name="Versioned Vendor"))
    assert search.find("versioned").from_index
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setattr(search, "IMPLICIT_MAX_WORK", 0)  # too big to rebuild during a request
    replica.forget(index_root(app))
    assert not search.find("versioned").from_index
    assert "built for another schema" in runner.invoke(args=["index", "status"]).output
    assert "Built the search index: 1 vendors" in runner.invoke(args=["index", "catch-up"]).output
    assert search.find("versioned").ids == [vendor.id] and search.find("versioned").from_index


def test_a_damaged_segment_is_an_unreadable_index_opened_once(app, caplog, monkeypatch):
    [vendor] = add_vendors(vendor_record(name="Segment Vendor"))
    assert search.find("segment").from_index
    generation = IndexFolder(index_root(app)).current()
    segment_files = list(generation.path.glob("MAIN_*.*"))  # a built segment is several files
    assert segment_files
    for part in segment_files:
        part.write_bytes(b"not a segment")
    replica.forget(index_root(app))
    opened = []
    real_reading = store.Generation.reading
    monkeypatch.setattr(store.Generation, "reading", lambda self: opened.append(self) or real_reading(self))
    for _ in range(3):
        match = search.find("segment")
        assert match.ids == [vendor.id] and not match.from_index
    assert len(opened) == 1


def test_a_whoosh_commit_not_yet_recorded_in_applied_is_never_mixed_with_cached_results(app):
    """A catch-up commits to Whoosh before it writes `applied`: a searcher opened in between holds other
    segments under the same position, and must not be answered from the earlier searcher's cache."""
    first, second = add_vendors(
        vendor_record(name="Mixed Billing One"), vendor_record(name="Mixed Billing Two")
    )
    assert sorted(search.find("mixed").ids) == sorted([first.id, second.id])
    generation = IndexFolder(index_root(app)).current()
    writer = generation.open().writer()
    writer.delete_by_term("id", str(first.id))
    writer.commit()
    replica.forget(index_root(app))
    assert search.find("mixed").ids == [second.id]


def test_the_database_fallback_lists_name_matches_first_and_finds_accented_words_as_typed(app):
    in_description, in_name, in_tagline = add_vendors(
        vendor_record(name="Aardvark Desk", description="Harbour operations in Bogotá."),
        vendor_record(name="Zed Harbour", description="Operations."),
        vendor_record(name="Mid Desk", tagline="Zürich and Straße Café teams", description="Support."),
    )
    assert fallback.find_ids(parse("harbour")) == [in_name.id, in_description.id]
    assert fallback.find_ids(parse("operations")) == [in_description.id, in_name.id]  # then by name
    assert fallback.find_ids(parse("bogota")) == []  # as the README says: no accent folding here
    assert fallback.find_ids(parse("BOGOTÁ")) == [in_description.id]  # but the word as it is spelled
    assert fallback.find_ids(parse('"Straße Café"')) == [in_tagline.id]  # in a phrase too
    assert fallback.find_ids(parse("desk -Zürich")) == [in_description.id]  # and left out
    assert search.find("bogota").ids == [in_description.id]  # the index folds them


def test_an_edit_indexes_the_adjacent_pairs_of_the_generations_common_words(app, monkeypatch):
    monkeypatch.setattr(schema, "PAIR_WORD_SHARE", 0.5)  # common: in at least half of the vendors
    first, second, _ = add_vendors(
        vendor_record(name="Alpha", description="Ledger audits and payroll."),
        vendor_record(name="Beta", description="Payroll and ledger audits."),
        vendor_record(name="Gamma", description="Quiet harbour logistics."),
    )
    indexing.rebuild(db.engine, index_root(app), procs=1)
    generation = IndexFolder(index_root(app)).current()
    common = set((generation.path / store.PAIR_WORDS_FILE).read_text().split())
    assert {"ledger", "audit", "payroll"} <= common and "harbour" not in common
    assert set(search.find('"ledger audits"').ids) == {first.id, second.id}

    update_vendor(first.id, description="Audits ledger, then payroll audits.")  # through Whoosh's writer
    assert search.find('"ledger audits"').ids == [second.id]
    assert search.find('"payroll audits"').ids == [first.id]
    assert search.find('"harbour logistics"').ids != [], "a phrase of other words is read from positions"


def test_the_index_position_is_read_again_only_after_the_log_moves(app, monkeypatch):
    """Every request asks whether the index is current; its applied position, a file, is read only when the
    log (or the code's schema) has changed since it was last found current."""
    add_vendors(vendor_record(name="Steady Support"))
    client = app.test_client()
    client.get("/vendors?q=steady")  # builds the index and finds it current
    reads = []
    read_applied = store.Generation.applied
    monkeypatch.setattr(
        store.Generation, "applied", lambda generation: reads.append(1) or read_applied(generation)
    )
    for _ in range(3):
        assert b"Steady Support" in client.get("/vendors?q=steady&per_page=10").data
    assert reads == []
    add_vendors(vendor_record(name="Second Steady Support"))
    assert b"Second Steady Support" in client.get("/vendors?q=steady&per_page=20").data
    assert reads != []
