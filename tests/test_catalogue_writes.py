"""The one write path: every vendor change is validated, saved, audited and logged for search together."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.factories import TEST_ACTOR, add_vendors, delete_vendor, update_vendor, vendor_record
from vendors.audit import AuditEntry
from vendors.catalog import changelog, seeding, synthetic, writes
from vendors.catalog.models import SlugRedirect, Vendor, VendorFacetValue
from vendors.catalog.records import RecordError
from vendors.catalog.writes import (
    CatalogueWriteRefused,
    EditConflict,
    catalogue_writes,
    conflicting_changes,
)
from vendors.database import refresh_planner_statistics, write_transaction
from vendors.extensions import db


def entries(vendor_id: int | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if vendor_id is not None:
        statement = statement.where(AuditEntry.subject == "vendor", AuditEntry.subject_id == vendor_id)
    return list(db.session.scalars(statement))


def logged_changes() -> int:
    return db.session.scalar(select(func.count()).select_from(changelog.SearchChange))


def test_a_new_vendor_is_audited_with_every_value_it_was_given(app):
    [vendor] = add_vendors(vendor_record(name="Harbour Contact", languages=["en", "es"]))

    [entry] = entries(vendor.id)
    assert (entry.action, entry.actor, entry.subject_label, entry.version) == (
        "created",
        TEST_ACTOR.label,
        vendor.slug,
        1,
    )
    assert entry.changes["name"] == [None, "Harbour Contact"]
    assert entry.changes["languages"] == [None, ["en", "es"]]
    assert entry.changes["hourly_rate_min"] == [None, "9.00"]
    assert "min_seats" not in entry.changes  # empty values are not changes
    assert vendor.version == 1


def test_an_edit_records_each_changed_field_old_and_new_and_raises_the_version(app):
    [vendor] = add_vendors(vendor_record(tagline="Old line", languages=["en"]))

    diff = update_vendor(vendor.id, tagline="New line", languages=["en", "fr"], employees=120)

    assert diff == {"tagline": ["Old line", "New line"], "languages": [["en"], ["en", "fr"]]}
    latest = entries(vendor.id)[-1]
    assert (latest.action, latest.version, latest.changes) == ("updated", 2, diff)
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).version == 2


def test_an_edit_that_changes_nothing_writes_nothing(app):
    [vendor] = add_vendors(vendor_record())
    before = (len(entries()), logged_changes())

    assert update_vendor(vendor.id, employees=120, languages=["en"]) == {}

    assert (len(entries()), logged_changes()) == before
    db.session.expire_all()
    assert db.session.get(Vendor, vendor.id).version == 1


@pytest.mark.parametrize(
    ("changes", "action"),
    [
        ({"status": "draft"}, "unpublished"),
        ({"status": "archived"}, "archived"),
        ({"verified_at": "2026-11-01"}, "verified"),
    ],
)
def test_single_field_actions_get_their_own_name_in_the_log(app, changes, action):
    [vendor] = add_vendors(vendor_record())
    update_vendor(vendor.id, **changes)
    assert entries(vendor.id)[-1].action == action


def test_a_deleted_vendor_keeps_its_audit_trail_with_its_last_values(app):
    [vendor] = add_vendors(vendor_record(name="Gone Soon"))
    vendor_id, slug = vendor.id, vendor.slug

    delete_vendor(vendor_id)

    assert db.session.get(Vendor, vendor_id) is None
    last = entries(vendor_id)[-1]
    assert (last.action, last.subject_label) == ("deleted", slug)
    assert last.changes["name"] == ["Gone Soon", None]


def test_invalid_values_are_refused_before_anything_is_written(app):
    [vendor] = add_vendors(vendor_record())
    before = (len(entries()), logged_changes())

    with pytest.raises(RecordError) as refused:
        update_vendor(vendor.id, employees="lots", hourly_rate_min="50", hourly_rate_max="10")

    assert set(refused.value.problems) == {"employees", "hourly_rate_max"}  # every problem, not the first
    assert (len(entries()), logged_changes()) == before


def test_the_audit_entry_and_the_change_log_row_roll_back_with_the_change(app):
    [vendor] = add_vendors(vendor_record(name="Steady Name"))
    before = (len(entries()), logged_changes())

    with pytest.raises(RuntimeError), catalogue_writes(TEST_ACTOR) as writer:
        writer.update(writer.session.get(Vendor, vendor.id), {"name": "Changed Then Undone"})
        writer.create(vendor_record(name="Never Saved"))
        writer.flush()
        raise RuntimeError("stopped half way")

    assert (len(entries()), logged_changes()) == before
    assert db.session.scalar(select(Vendor.name).where(Vendor.id == vendor.id)) == "Steady Name"


def test_an_edit_based_on_an_older_version_is_refused_and_the_other_edit_is_listed(app):
    [vendor] = add_vendors(vendor_record(tagline="First"))
    update_vendor(vendor.id, tagline="Second")  # someone else saves: version 2

    with pytest.raises(EditConflict) as conflict, catalogue_writes(TEST_ACTOR) as writer:
        writer.update(writer.session.get(Vendor, vendor.id), {"tagline": "Mine"}, expected_version=1)

    assert conflict.value.expected_version == 1
    [other] = conflicting_changes(vendor.id, 1)
    assert other.changes == {"tagline": ["First", "Second"]}
    assert db.session.scalar(select(Vendor.tagline).where(Vendor.id == vendor.id)) == "Second"


def test_the_version_is_checked_in_the_update_itself(app):
    """Between reading a vendor and saving it another transaction commits: the UPDATE ... WHERE version
    matches no row and the save is refused as a conflict instead of overwriting."""
    [vendor] = add_vendors(vendor_record(tagline="First"))
    with pytest.raises(EditConflict), catalogue_writes(TEST_ACTOR) as writer:
        stale = writer.session.get(Vendor, vendor.id)
        # What a concurrent save leaves behind, without taking this transaction's lock.
        writer.session.connection().execute(
            Vendor.__table__.update().where(Vendor.__table__.c.id == vendor.id).values(version=2)
        )
        writer.update(stale, {"tagline": "Mine"}, expected_version=1)
    assert db.session.scalar(select(Vendor.tagline).where(Vendor.id == vendor.id)) == "First"


def test_renaming_a_slug_keeps_the_old_one_as_a_redirect(app):
    [vendor] = add_vendors(vendor_record(slug="old-name"))

    update_vendor(vendor.id, slug="new-name")
    update_vendor(vendor.id, slug="newest-name")

    redirects = dict(db.session.execute(select(SlugRedirect.old_slug, SlugRedirect.vendor_id)).all())
    assert redirects == {"old-name": vendor.id, "new-name": vendor.id}


def test_a_slug_in_use_or_formerly_used_by_another_vendor_is_refused(app):
    first, second = add_vendors(vendor_record(slug="first"), vendor_record(slug="second"))
    with pytest.raises(RecordError) as refused:
        update_vendor(second.id, slug="first")
    assert "already used" in refused.value.problems["slug"]

    update_vendor(first.id, slug="first-renamed")
    for attempt in (
        lambda: add_vendors(vendor_record(slug="first")),
        lambda: update_vendor(second.id, slug="first"),
    ):
        with pytest.raises(RecordError) as refused:
            attempt()
        assert "former address of another vendor" in refused.value.problems["slug"]
    with pytest.raises(RecordError), catalogue_writes(TEST_ACTOR) as writer:
        writer.insert_many([vendor_record(slug="first")])

    update_vendor(first.id, slug="first")  # a vendor may take its own former slug back
    assert db.session.scalar(select(SlugRedirect.old_slug)) == "first-renamed"
    delete_vendor(first.id)  # its former slugs go with it
    assert db.session.scalar(select(func.count()).select_from(SlugRedirect)) == 0
    add_vendors(vendor_record(slug="first-renamed"))


def test_ids_of_deleted_vendors_are_never_given_again(app):
    """Audit entries and submissions refer to vendors by id; a new vendor must not inherit their history."""
    _first, second = add_vendors(vendor_record(), vendor_record())
    gone = second.id
    delete_vendor(gone)
    [created] = add_vendors(vendor_record())
    with catalogue_writes(TEST_ACTOR) as writer:
        [bulk] = writer.insert_many([vendor_record()])
    assert created.id > gone and bulk > created.id
    assert [entry.action for entry in entries(created.id)] == ["created"]


def test_audit_times_are_in_utc_on_every_backend(app):
    [vendor] = add_vendors(vendor_record())
    [entry] = entries(vendor.id)
    assert entry.at.utcoffset() == timedelta(0)
    assert abs(entry.at - datetime.now(UTC)) < timedelta(minutes=5)


def test_vendors_cannot_be_changed_outside_the_catalogue_writer(app):
    [vendor] = add_vendors(vendor_record(name="Guarded"))
    with pytest.raises(CatalogueWriteRefused), write_transaction() as session:
        session.get(Vendor, vendor.id).name = "Sneaked In"
    with pytest.raises(CatalogueWriteRefused), write_transaction() as session:
        session.add(Vendor(slug="sneaked", name="Sneaked", hq_country="US", employees=5))
    with pytest.raises(CatalogueWriteRefused), write_transaction() as session:
        session.delete(session.get(Vendor, vendor.id))
    db.session.expire_all()
    assert db.session.scalar(select(Vendor.name).where(Vendor.id == vendor.id)) == "Guarded"


def test_seeding_and_generated_vendors_are_audited_as_their_commands(app):
    records = seeding.load_sample_records()[:3]
    seeding.seed_sample(records)
    synthetic.insert_synthetic(4, batch_size=3)

    actors = dict(db.session.execute(select(AuditEntry.note, func.count()).group_by(AuditEntry.note)).all())
    assert actors == {"sample data": 3, "generated vendors": 4}
    commands = set(db.session.scalars(select(AuditEntry.actor)))
    assert {actor.split(" (")[0] for actor in commands} == {"flask seed", "flask seed --synthetic"}
    vendor_ids = set(db.session.scalars(select(Vendor.id)))
    assert set(db.session.scalars(select(AuditEntry.subject_id))) == vendor_ids
    logged = set(
        db.session.scalars(
            select(changelog.SearchChange.document_id).where(changelog.SearchChange.kind == "vendor")
        )
    )
    assert logged == vendor_ids


def planned_rows(table: str) -> float | None:
    """The rows the PostgreSQL planner believes the table holds, as its statistics say."""
    estimate = db.session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)"), {"table": table}
    ).scalar()
    db.session.commit()
    return estimate


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")


def test_a_bulk_change_refreshes_the_planners_statistics_and_a_small_one_does_not(
    app, postgresql_only, monkeypatch
):
    monkeypatch.setattr(writes, "BULK_CHANGE", 6)
    with catalogue_writes(TEST_ACTOR) as writer:
        writer.insert_many([vendor_record() for _ in range(5)])
    assert planned_rows("vendors") != 5, "five changes are below the bulk threshold"
    with catalogue_writes(TEST_ACTOR) as writer:
        writer.insert_many([vendor_record(delivery_countries=["PH", "IN"]) for _ in range(3)])
        writer.insert_many([vendor_record() for _ in range(3)])
    assert planned_rows("vendors") == 11
    assert planned_rows("vendor_facet_values") == db.session.scalar(
        select(func.count(VendorFacetValue.vendor_id))
    )
    assert planned_rows("vendor_slug_redirects") == 0


def test_statistics_that_cannot_be_refreshed_leave_the_bulk_change_saved(
    app, postgresql_only, monkeypatch, caplog
):
    monkeypatch.setattr(writes, "BULK_CHANGE", 2)
    monkeypatch.setattr(writes, "CATALOGUE_TABLES", ["vendors", "no_such_table"])
    with catalogue_writes(TEST_ACTOR) as writer:
        writer.insert_many([vendor_record() for _ in range(3)])
    assert db.session.scalar(select(func.count(Vendor.id))) == 3
    assert "could not refresh the planner's statistics of vendors, no_such_table" in caplog.text


@pytest.fixture
def writer_not_owner(app, postgresql_only):
    """The URL of a database user who may read and write the catalogue but owns none of its tables."""
    name = f"vendors_writer_{secrets.token_hex(4)}"
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN')
        connection.exec_driver_sql(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{name}"'
        )
    yield db.engine.url.set(username=name, password=None)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f'DROP OWNED BY "{name}"')
        connection.exec_driver_sql(f'DROP ROLE "{name}"')


def test_a_user_who_may_not_analyze_the_tables_is_told_in_the_log(app, writer_not_owner, caplog):
    add_vendors(vendor_record())
    engine = create_engine(writer_not_owner)
    try:
        refresh_planner_statistics(engine, ["vendors", "vendor_facet_values"])
    finally:
        engine.dispose()
    assert "the planner's statistics of vendors, vendor_facet_values were not all refreshed" in caplog.text
    assert '"vendors"' in caplog.text and '"vendor_facet_values"' in caplog.text
    assert planned_rows("vendors") != 1
